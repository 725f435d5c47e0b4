import type { Kysely, Migration } from 'kysely'
import type { StoreDialect } from '../types.ts'

/*
 * The runs of a machine by build (issue 12). Frozen once released: add 0014_… (taken: 0014_change_measure; add 0015_…).
 *
 * runs_machine_build_idx   runs by machine and build. A series' points (store/series.ts) and a
 *                          group's runs are the machine's runs of the group's builds; with only
 *                          runs_machine_started_idx (0001) every run of the machine was read to
 *                          test its build (11 k runs for 5 years of 6 daily groups: about 8 ms of
 *                          a timeline's 30 ms read on the 3.3 M-result store). Covering for that
 *                          test on SQLite (the run id is the row id), so the runs table is not read.
 */

/** The index of runs by machine and build (the same for both dialects). */
export function runsMachineBuildIndexMigration(_dialect: StoreDialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createIndex('runs_machine_build_idx')
        .on('runs')
        .columns(['machine_id', 'build_id'])
        .execute()
    },
  }
}
