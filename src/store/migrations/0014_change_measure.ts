import { type Kysely, type Migration, sql } from 'kysely'
import type { StoreDialect } from '../types.ts'
import { FLOAT_TYPE, idColumn, idType, JSON_TYPE, REF_TYPE, textType, timeType } from './helpers.ts'

/*
 * What a detected change measured (issue 15, detection on instruction counts). Frozen once
 * released: add 0015_….
 *
 * changes   gains `measure`: `time` (the series' timing history, every change before this
 *           migration) or `instructions` (its instruction-count history: runs of the
 *           `instructions` preset, judged by the exact rule). The unique key becomes (series,
 *           measure, first bad build), so a commit that moves both a workload's time and its
 *           instruction count is two changes, never one. A unique constraint cannot be altered
 *           on SQLite, so there the table is rebuilt with its rows; PostgreSQL adds the column
 *           and swaps the constraint.
 */

const MEASURE_CHECK = sql`measure in ('time', 'instructions')`
/** The series key's columns, as 0003 named them. */
const SERIES_COLUMNS = ['machine', 'runtime', 'config', 'branch', 'workload', 'workload_version'] as const
const UNIQUE_0014 = [...SERIES_COLUMNS, 'measure', 'first_bad_build_id'] as const

/** The changes' measure column and wider unique key, for `dialect`. */
export function changeMeasureMigration(dialect: StoreDialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (dialect === 'postgres') {
        await sql`alter table changes add column measure text collate "C" not null default 'time'`.execute(db)
        await sql`alter table changes add constraint changes_measure_check check (${MEASURE_CHECK})`.execute(
          db,
        )
        await sql`alter table changes drop constraint changes_series_bad_unique`.execute(db)
        await sql`alter table changes add constraint changes_series_bad_unique unique (${sql.join(
          UNIQUE_0014.map((c) => sql.ref(c)),
        )})`.execute(db)
        return
      }
      await rebuildSqliteChanges(db)
    },
  }
}

/**
 * SQLite's way to change a constraint (https://sqlite.org/lang_altertable.html#otheralter): a new
 * table with the 0003 columns, `measure` and the wider key, the rows copied (as `time`), the old
 * one dropped and the new one renamed, in one transaction. Nothing refers to changes by a
 * foreign key.
 */
async function rebuildSqliteChanges(db: Kysely<unknown>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const text = textType('sqlite')
    const time = timeType('sqlite')
    await trx.schema
      .createTable('changes_0014')
      .addColumn('id', idType('sqlite'), idColumn('sqlite'))
      .addColumn('alert_id', REF_TYPE, (c) => c.notNull().references('alerts.id'))
      .addColumn('machine', text, (c) => c.notNull())
      .addColumn('runtime', text, (c) => c.notNull())
      .addColumn('config', text, (c) => c.notNull())
      .addColumn('branch', text, (c) => c.notNull())
      .addColumn('workload', text, (c) => c.notNull())
      .addColumn('workload_version', text, (c) => c.notNull())
      .addColumn('kind', text, (c) => c.notNull())
      .addColumn('last_good_build_id', REF_TYPE, (c) => c.notNull().references('builds.id'))
      .addColumn('first_bad_build_id', REF_TYPE, (c) => c.notNull().references('builds.id'))
      .addColumn('last_good_result_id', REF_TYPE, (c) => c.notNull())
      .addColumn('first_bad_result_id', REF_TYPE, (c) => c.notNull())
      .addColumn('ratio', FLOAT_TYPE, (c) => c.notNull())
      .addColumn('ratio_low', FLOAT_TYPE, (c) => c.notNull())
      .addColumn('ratio_high', FLOAT_TYPE, (c) => c.notNull())
      .addColumn('p_value', FLOAT_TYPE, (c) => c.notNull())
      .addColumn('direction', text, (c) => c.notNull())
      .addColumn('status', text, (c) => c.notNull())
      .addColumn('unit', text, (c) => c.notNull())
      .addColumn('details', JSON_TYPE, (c) => c.notNull())
      .addColumn('created_at', time, (c) => c.notNull())
      .addColumn('updated_at', time, (c) => c.notNull())
      .addColumn('measure', text, (c) => c.notNull().defaultTo('time'))
      .addUniqueConstraint('changes_series_bad_unique', [...UNIQUE_0014])
      .addCheckConstraint('changes_status_check', sql`status in ('provisional', 'confirmed', 'withdrawn')`)
      .addCheckConstraint('changes_direction_check', sql`direction in ('regression', 'improvement')`)
      .addCheckConstraint('changes_kind_check', sql`kind in ('commit', 'infrastructure')`)
      .addCheckConstraint('changes_measure_check', MEASURE_CHECK)
      .execute()
    const columns = sql.join(
      [
        'id',
        'alert_id',
        ...SERIES_COLUMNS,
        'kind',
        'last_good_build_id',
        'first_bad_build_id',
        'last_good_result_id',
        'first_bad_result_id',
        'ratio',
        'ratio_low',
        'ratio_high',
        'p_value',
        'direction',
        'status',
        'unit',
        'details',
        'created_at',
        'updated_at',
      ].map((c) => sql.ref(c)),
    )
    await sql`insert into changes_0014 (${columns}) select ${columns} from changes`.execute(trx)
    await trx.schema.dropTable('changes').execute()
    await trx.schema.alterTable('changes_0014').renameTo('changes').execute()
    await trx.schema.createIndex('changes_alert_idx').on('changes').column('alert_id').execute()
  })
}
