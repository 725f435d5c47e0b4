import { type Kysely, type Migration, sql } from 'kysely'
import type { StoreDialect } from '../types.ts'
import { FLOAT_TYPE, idColumn, idType, JSON_TYPE, REF_TYPE, textType, timeType } from './helpers.ts'

/*
 * Detected changes and the alerts that group them. Frozen once released: add 0004_….
 *
 * alerts    one row per blame range and kind: runtime, branch ('' for none), the commits of the last
 *           good and first bad builds (`build:<id>` when a build has no commit), and `kind`:
 *           `commit` (a runtime commit in the range changed performance) or `infrastructure` (the
 *           range crosses an epoch boundary: kernel, CPU configuration, suite, harness or compiler
 *           changed, and the step is never blamed on a commit). Range and kind are the key
 *           (unique), so a commit that moves forty workloads on three machines is one alert.
 *           `status` (provisional|confirmed|withdrawn) and `direction` (regression|improvement|
 *           mixed) are derived from its changes and refreshed whenever detection touches them;
 *           `triage` (new|acknowledged|invalid|fixed|wont-fix) with note, link and time belongs to
 *           people and detection never changes it; culprit_* is set by bisection.
 * changes   one detected step in one series: the series key (machine, runtime, config, branch ''
 *           for none, workload, workload version), the builds and results on either side, ratio
 *           after/before with its interval, p-value, direction, status, unit and details JSON
 *           (points on each side, dof, noise) and the kind of its alert. Unique per (series, first
 *           bad build): running detection again over the same data adds nothing.
 */

/** Changes and alerts for `dialect`. */
export function changesAlertsMigration(dialect: StoreDialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      const id = idType(dialect)
      const idc = idColumn(dialect)
      const text = textType(dialect)
      const time = timeType(dialect)
      await db.schema
        .createTable('alerts')
        .addColumn('id', id, idc)
        .addColumn('runtime', text, (c) => c.notNull())
        .addColumn('branch', text, (c) => c.notNull())
        .addColumn('last_good_commit', text, (c) => c.notNull())
        .addColumn('first_bad_commit', text, (c) => c.notNull())
        .addColumn('kind', text, (c) => c.notNull())
        .addColumn('last_good_build_id', REF_TYPE, (c) => c.notNull().references('builds.id'))
        .addColumn('first_bad_build_id', REF_TYPE, (c) => c.notNull().references('builds.id'))
        .addColumn('status', text, (c) => c.notNull())
        .addColumn('direction', text, (c) => c.notNull())
        .addColumn('triage', text, (c) => c.notNull())
        .addColumn('triage_note', text)
        .addColumn('triage_link', text)
        .addColumn('triaged_at', time)
        .addColumn('culprit_commit', text)
        .addColumn('culprit_note', text)
        .addColumn('created_at', time, (c) => c.notNull())
        .addColumn('updated_at', time, (c) => c.notNull())
        .addUniqueConstraint('alerts_range_unique', [
          'runtime',
          'branch',
          'last_good_commit',
          'first_bad_commit',
          'kind',
        ])
        .addCheckConstraint('alerts_kind_check', sql`kind in ('commit', 'infrastructure')`)
        .addCheckConstraint('alerts_status_check', sql`status in ('provisional', 'confirmed', 'withdrawn')`)
        .addCheckConstraint(
          'alerts_direction_check',
          sql`direction in ('regression', 'improvement', 'mixed')`,
        )
        .addCheckConstraint(
          'alerts_triage_check',
          sql`triage in ('new', 'acknowledged', 'invalid', 'fixed', 'wont-fix')`,
        )
        .execute()
      await db.schema.createIndex('alerts_created_idx').on('alerts').columns(['created_at', 'id']).execute()

      await db.schema
        .createTable('changes')
        .addColumn('id', id, idc)
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
        .addUniqueConstraint('changes_series_bad_unique', [
          'machine',
          'runtime',
          'config',
          'branch',
          'workload',
          'workload_version',
          'first_bad_build_id',
        ])
        .addCheckConstraint('changes_status_check', sql`status in ('provisional', 'confirmed', 'withdrawn')`)
        .addCheckConstraint('changes_direction_check', sql`direction in ('regression', 'improvement')`)
        .addCheckConstraint('changes_kind_check', sql`kind in ('commit', 'infrastructure')`)
        .execute()
      await db.schema.createIndex('changes_alert_idx').on('changes').column('alert_id').execute()
    },
  }
}
