import type { Kysely, Migration } from 'kysely'
import type { StoreDialect } from '../types.ts'
import { idColumn, idType, JSON_TYPE, REF_TYPE, textType, timeType } from './helpers.ts'

/*
 * The benchmark farm (issue 14). Frozen once released: add 0010_….
 *
 * farm_agents    one row per machine whose agent registered: machine (unique), the id of the
 *                token it registered with, its state (idle, measuring, stopped), registered_at,
 *                last_seen_at (every call of the agent), info (JSON: hostname, version, pid) and
 *                counts of the jobs it completed and failed.
 * farm_results   one row per farm job whose result is stored: job_key (unique: the idempotency
 *                key runtime|commit|config|machine|suite|purpose) and the run it stored. The run
 *                and this row are written in one transaction, so a job completed again after a
 *                crash finds its run and stores nothing.
 */

/** The farm's agents and the job keys of stored results, for `dialect`. */
export function farmMigration(dialect: StoreDialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      const text = textType(dialect)
      const time = timeType(dialect)
      await db.schema
        .createTable('farm_agents')
        .addColumn('id', idType(dialect), idColumn(dialect))
        .addColumn('machine', text, (c) => c.notNull().unique())
        .addColumn('token_id', REF_TYPE, (c) => c.notNull())
        .addColumn('state', text, (c) => c.notNull())
        .addColumn('registered_at', time, (c) => c.notNull())
        .addColumn('last_seen_at', time, (c) => c.notNull())
        .addColumn('info', JSON_TYPE, (c) => c.notNull())
        .addColumn('jobs_done', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('jobs_failed', 'integer', (c) => c.notNull().defaultTo(0))
        .execute()
      await db.schema
        .createTable('farm_results')
        .addColumn('job_key', text, (c) => c.primaryKey())
        .addColumn('run_id', REF_TYPE, (c) => c.notNull().references('runs.id'))
        .addColumn('stored_at', time, (c) => c.notNull())
        .execute()
    },
  }
}
