import { type Kysely, type Migration, sql } from 'kysely'
import type { StoreDialect } from '../types.ts'
import { idColumn, idType, JSON_TYPE, REF_TYPE, textType, timeType } from './helpers.ts'

/*
 * Profiles at an alert's culprit (issue 15). Frozen once released: add 0011_….
 *
 * alert_profiles   one row per alert × machine × workload profiled at the culprit: the workload's
 *                  name, the culprit commit and its first parent, the two profiles (parent_profile_id
 *                  and culprit_profile_id, profiles of 0006; null when none could be stored, e.g. the
 *                  profiler is missing), state profiled|unavailable|failed with a message when not
 *                  profiled, summary (JSON: the largest changes in self share with their intervals,
 *                  derived from the two profiles' stacks when the row was written; {} when not
 *                  profiled) and created_at. Profiling the same alert × machine × workload again
 *                  replaces the row (the profiles it named stay).
 *
 * pipeline_steps   the kind check gains `profile` (the nightly's step that profiles a culprit). A
 *                  check constraint cannot be altered on SQLite, so there the table is rebuilt with
 *                  its rows; PostgreSQL drops and adds the constraint.
 */

const KINDS_0010 = sql`kind in ('build', 'measure', 'detect', 'notify', 'bisect', 'profile')`

/** The alert_profiles table and the `profile` step kind, for `dialect`. */
export function alertProfilesMigration(dialect: StoreDialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      const text = textType(dialect)
      await db.schema
        .createTable('alert_profiles')
        .addColumn('id', idType(dialect), idColumn(dialect))
        .addColumn('alert_id', REF_TYPE, (c) => c.notNull().references('alerts.id').onDelete('cascade'))
        .addColumn('machine_id', REF_TYPE, (c) => c.notNull().references('machines.id'))
        .addColumn('workload', text, (c) => c.notNull())
        .addColumn('parent_commit', text, (c) => c.notNull())
        .addColumn('culprit_commit', text, (c) => c.notNull())
        .addColumn('parent_profile_id', REF_TYPE, (c) => c.references('profiles.id'))
        .addColumn('culprit_profile_id', REF_TYPE, (c) => c.references('profiles.id'))
        .addColumn('state', text, (c) => c.notNull())
        .addColumn('message', text)
        .addColumn('summary', JSON_TYPE, (c) => c.notNull())
        .addColumn('created_at', timeType(dialect), (c) => c.notNull())
        .addCheckConstraint('alert_profiles_state_check', sql`state in ('profiled', 'unavailable', 'failed')`)
        .addCheckConstraint(
          'alert_profiles_profiled_check',
          sql`state <> 'profiled' or (parent_profile_id is not null and culprit_profile_id is not null)`,
        )
        .execute()
      await db.schema
        .createIndex('alert_profiles_key_idx')
        .on('alert_profiles')
        .columns(['alert_id', 'machine_id', 'workload'])
        .unique()
        .execute()
      if (dialect === 'postgres') {
        await sql`alter table pipeline_steps drop constraint pipeline_steps_kind_check`.execute(db)
        await sql`alter table pipeline_steps add constraint pipeline_steps_kind_check check (${KINDS_0010})`.execute(
          db,
        )
        return
      }
      await rebuildSqliteSteps(db)
    },
  }
}

/**
 * SQLite's way to change a constraint (https://sqlite.org/lang_altertable.html#otheralter): a new
 * table with the 0004 columns and the wider check, the rows copied, the old one dropped and the
 * new one renamed, in one transaction. Nothing refers to pipeline_steps by a foreign key.
 */
async function rebuildSqliteSteps(db: Kysely<unknown>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const text = textType('sqlite')
    const time = timeType('sqlite')
    await trx.schema
      .createTable('pipeline_steps_0010')
      .addColumn('id', idType('sqlite'), idColumn('sqlite'))
      .addColumn('kind', text, (c) => c.notNull())
      .addColumn('key', text, (c) => c.notNull())
      .addColumn('status', text, (c) => c.notNull())
      .addColumn('detail', JSON_TYPE, (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('started_at', time, (c) => c.notNull())
      .addColumn('finished_at', time)
      .addUniqueConstraint('pipeline_steps_key_unique', ['key'])
      .addCheckConstraint('pipeline_steps_kind_check', KINDS_0010)
      .addCheckConstraint('pipeline_steps_status_check', sql`status in ('running', 'done', 'failed')`)
      .addCheckConstraint('pipeline_steps_attempts_check', sql`attempts >= 1`)
      .execute()
    await sql`insert into pipeline_steps_0010 (id, kind, key, status, detail, attempts, started_at, finished_at)
      select id, kind, key, status, detail, attempts, started_at, finished_at from pipeline_steps`.execute(
      trx,
    )
    await trx.schema.dropTable('pipeline_steps').execute()
    await trx.schema.alterTable('pipeline_steps_0010').renameTo('pipeline_steps').execute()
    await trx.schema
      .createIndex('pipeline_steps_started_idx')
      .on('pipeline_steps')
      .columns(['started_at', 'id'])
      .execute()
  })
}
