import { sql } from 'kysely'
import type { Db } from './rows.ts'
import { num } from './rows.ts'
import type { StoreDialect } from './types.ts'

// Priming a server's SQLite page cache. A timeline's first visit reads its series' entries of the
// series index (results by workload and run, carrying the summary columns, migration 0012), one per
// build, spread over that workload's stretch of the index, and the runs and builds they join: on
// the 5-year bench store (3.3 M results) about 28 ms of SQL per visit, half of it SQLite reading
// pages it did not hold (better-sqlite3's default cache is 16 MB). A server opened with a cache large enough
// (`langperf serve --cache-mb`) reads the runs, the builds and the series index once at start, a
// workload at a time, yielding between them so requests are answered meanwhile; afterwards those
// reads come from memory (the same visit: about 15 ms of SQL).

/** Bytes an entry of the series index takes, measured on the bench store (272 MB for 3.29 M results). */
const INDEX_BYTES_PER_RESULT = 85

/** What priming did, for the server's log. */
export interface PrimeOutcome {
  readonly primed: boolean
  readonly note: string
}

/**
 * Reads what a first visit of a series reads into the page cache: `runs`, `builds`, then the
 * series index workload by workload, while `open()` holds; only when the index fits in 80 % of the
 * cache (`cacheBytes`), else just the runs and builds. PostgreSQL: nothing (its buffers are the
 * server's).
 */
export async function primeReads(
  db: Db,
  dialect: StoreDialect,
  cacheBytes: number | undefined,
  open: () => boolean,
): Promise<PrimeOutcome> {
  if (dialect !== 'sqlite')
    return { primed: false, note: 'not primed: PostgreSQL keeps its own buffers (shared_buffers)' }
  if (cacheBytes === undefined)
    return { primed: false, note: 'not primed: the store was opened with the default page cache' }
  const started = performance.now()
  await sql`select sum(length(started_at)) from runs`.execute(db)
  await sql`select sum(length(identity)) from builds`.execute(db)
  const counted = await db
    .selectFrom('series')
    .select((eb) => eb.fn.sum<number>('results').as('n'))
    .executeTakeFirst()
  const indexBytes = num(counted?.n ?? 0) * INDEX_BYTES_PER_RESULT
  const mb = (bytes: number) => Math.round(bytes / 1_048_576)
  if (indexBytes > 0.8 * cacheBytes) {
    return {
      primed: false,
      note: `runs and builds read into the page cache; the series index (about ${mb(indexBytes)} MB) is larger than the cache allows (${mb(cacheBytes)} MB, --cache-mb) and was not`,
    }
  }
  const workloads = await db.selectFrom('workloads').select('id').orderBy('id').execute()
  for (const { id } of workloads) {
    if (!open()) return { primed: false, note: 'priming stopped: the store was closed' }
    await sql`select sum(mean) from results indexed by results_series_idx where workload_id = ${id}`.execute(
      db,
    )
    // The next slice after pending requests (each slice is one workload's stretch of the index).
    await new Promise((resolve) => setImmediate(resolve))
  }
  return {
    primed: true,
    note: `runs, builds and the series index (about ${mb(indexBytes)} MB, ${workloads.length} workloads) read into the page cache in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  }
}
