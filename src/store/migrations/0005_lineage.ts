import { type Kysely, type Migration, sql } from 'kysely'
import type { StoreDialect } from '../types.ts'

/*
 * Lines of development for builds without one. Frozen once released: add 0006_….
 *
 * builds.branch   a build's line of development (docs/lineage.md). Before this migration a build
 *                 with neither a commit nor a branch — an interpreter found on a machine, a
 *                 released CPython or PyPy — had a null branch, so every version of a runtime on a
 *                 machine fell into one series. Its line is now its version (the rule
 *                 `released-interpreter` of model/lineage.ts), as new builds get it on insert.
 *                 Builds with a commit are left as they are: re-importing their files (or
 *                 `langperf import --repo`) places them, and `langperf detect` follows.
 */

/** Gives every build without a commit or branch its version as its line. */
export function lineageMigration(_dialect: StoreDialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await sql`update builds set branch = version where branch is null and commit_sha is null`.execute(db)
    },
  }
}
