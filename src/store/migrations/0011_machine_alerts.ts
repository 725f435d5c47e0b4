import { type Kysely, type Migration, sql } from 'kysely'
import type { StoreDialect } from '../types.ts'
import { idColumn, idType, JSON_TYPE, textType, timeType } from './helpers.ts'

/*
 * Alerts about a machine rather than a commit range (issue 14). Frozen once released: add 0012_….
 *
 * machine_alerts   one row per time a machine was found in trouble: machine, kind (`silent`: its
 *                  agent is registered, yet no result arrived from it for the configured period
 *                  while it had work or was not seen), since (ISO UTC: the last result, or the
 *                  registration when there was none), raised_at, cleared_at (null while open) and
 *                  cleared_by (why it closed: a run that arrived, or the agent's return), detail
 *                  (JSON: hours silent, jobs waiting, agent last seen). At most one open alert
 *                  per machine and kind (a partial unique index), so two servers checking at once
 *                  raise it once. Not a row of `alerts`: those are keyed by a commit range and
 *                  two builds, which a silent machine does not have.
 */

/** The machine_alerts table for `dialect`. */
export function machineAlertsMigration(dialect: StoreDialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      const text = textType(dialect)
      const time = timeType(dialect)
      await db.schema
        .createTable('machine_alerts')
        .addColumn('id', idType(dialect), idColumn(dialect))
        .addColumn('machine', text, (c) => c.notNull())
        .addColumn('kind', text, (c) => c.notNull())
        .addColumn('since', time, (c) => c.notNull())
        .addColumn('raised_at', time, (c) => c.notNull())
        .addColumn('cleared_at', time)
        .addColumn('cleared_by', text)
        .addColumn('detail', JSON_TYPE, (c) => c.notNull())
        .addCheckConstraint('machine_alerts_kind_check', sql`kind in ('silent')`)
        .execute()
      await db.schema
        .createIndex('machine_alerts_open_unique')
        .on('machine_alerts')
        .columns(['machine', 'kind'])
        .unique()
        .where(sql.ref('cleared_at'), 'is', null)
        .execute()
      await db.schema
        .createIndex('machine_alerts_raised_idx')
        .on('machine_alerts')
        .columns(['raised_at', 'id'])
        .execute()
    },
  }
}
