import { type Kysely, type Migration, sql } from 'kysely'
import type { StoreDialect } from '../types.ts'

/*
 * A covering index for a series' points (issue 12). Frozen once released: add 0013_….
 *
 * results_series_idx   results by workload and run, carrying what a series' points read of a
 *                      result (state, unit and the summary computed at write time), so that
 *                      reading a series' points (store/series.ts: a workload's results in the
 *                      series' runs) is a walk over one workload's contiguous index entries
 *                      instead of one random read of the results table per point. On a 3.3 M-
 *                      result store that is 1,825 scattered pages for a five-year series, which
 *                      is what made a timeline's first visit slow when the file was not cached.
 *                      It replaces results_workload_run_idx (0001), a prefix of it. PostgreSQL
 *                      keeps the carried columns out of the key (INCLUDE).
 */

const CARRIED = [
  'state',
  'unit',
  'n_processes',
  'n_values',
  'mean',
  'stdev_process_means',
  'min',
  'max',
  'median',
]

/** The covering index of series points for `dialect`. */
export function seriesPointsIndexMigration(dialect: StoreDialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (dialect === 'postgres') {
        await sql`create index results_series_idx on results (workload_id, run_id) include (${sql.join(
          CARRIED.map((c) => sql.ref(c)),
        )})`.execute(db)
      } else {
        await db.schema
          .createIndex('results_series_idx')
          .on('results')
          .columns(['workload_id', 'run_id', ...CARRIED])
          .execute()
      }
      await db.schema.dropIndex('results_workload_run_idx').execute()
    },
  }
}
