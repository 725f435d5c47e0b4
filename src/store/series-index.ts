import type { ExpressionBuilder } from 'kysely'
import type { JsonValue } from '../lib/index.ts'
import { type Db, num } from './rows.ts'
import type { Database } from './schema.ts'
import type { CachedSeriesSummary, SeriesKey } from './types.ts'

// The series index (migration 0008): one row per series with its counts and a revision, kept
// in the transaction of every write that adds results or moves a build to another branch, so
// listing series reads one small table instead of grouping every result. Each row also holds a
// summary derived from its points (the workloads index's), valid for the revision it was made at.

/** Results chunked per statement when added by run (well under every driver's parameter cap). */
const RUN_CHUNK = 500

/** Results joined with their run and build: where series keys come from. */
export function resultsWithBuilds(db: Db) {
  return db
    .selectFrom('results as r')
    .innerJoin('runs as ru', 'ru.id', 'r.run_id')
    .innerJoin('builds as b', 'b.id', 'ru.build_id')
}

/** The series index joined with the names of its machine, runtime and workload. */
export function namedSeries(db: Db) {
  return db
    .selectFrom('series as s')
    .innerJoin('machines as m', 'm.id', 's.machine_id')
    .innerJoin('runtimes as rt', 'rt.id', 's.runtime_id')
    .innerJoin('workloads as w', 'w.id', 's.workload_id')
}

/** The tables resultsWithBuilds joins, by alias. */
type ResultsScope = { r: Database['results']; ru: Database['runs']; b: Database['builds'] }

/** The key of each row of namedSeries, as SeriesKey names its fields. */
export const SERIES_KEY_COLUMNS = [
  'm.name as machine',
  'rt.name as runtime',
  's.config',
  's.branch',
  'w.name as workload',
  'w.version as workloadVersion',
] as const

/** Counts of results and of those measured, for a grouped select over resultsWithBuilds. */
function counted(eb: ExpressionBuilder<ResultsScope, 'r'>) {
  return [
    eb.fn.countAll().as('results'),
    eb.fn.sum(eb.case().when('r.state', '=', 'measured').then(eb.lit(1)).else(eb.lit(0)).end()).as('points'),
  ] as const
}

/** Which results to count into their series: those of new runs, of one build, or one result. */
export type SeriesDelta =
  | { readonly runIds: readonly number[] }
  | { readonly buildId: number }
  | { readonly resultId: number }

/** Counts the results `delta` names into their series rows, creating rows for new series. */
export async function addToSeries(trx: Db, delta: SeriesDelta): Promise<void> {
  if ('runIds' in delta) {
    for (let i = 0; i < delta.runIds.length; i += RUN_CHUNK)
      await upsertCounts(trx, { runIds: delta.runIds.slice(i, i + RUN_CHUNK) })
    return
  }
  await upsertCounts(trx, delta)
}

async function upsertCounts(trx: Db, delta: SeriesDelta): Promise<void> {
  if ('runIds' in delta && delta.runIds.length === 0) return
  let counts = resultsWithBuilds(trx).select((eb) => [
    'ru.machine_id',
    'b.runtime_id',
    'b.config',
    'b.branch',
    eb.fn.coalesce('b.branch', eb.val('')).as('branch_key'),
    'r.workload_id',
    ...counted(eb),
    eb.lit(1).as('revision'),
  ])
  if ('runIds' in delta) counts = counts.where('r.run_id', 'in', delta.runIds)
  else if ('buildId' in delta) counts = counts.where('ru.build_id', '=', delta.buildId)
  else counts = counts.where('r.id', '=', delta.resultId)
  await trx
    .insertInto('series')
    .columns([
      'machine_id',
      'runtime_id',
      'config',
      'branch',
      'branch_key',
      'workload_id',
      'results',
      'points',
      'revision',
    ])
    .expression(counts.groupBy(['ru.machine_id', 'b.runtime_id', 'b.config', 'b.branch', 'r.workload_id']))
    .onConflict((oc) =>
      oc.columns(['machine_id', 'runtime_id', 'config', 'branch_key', 'workload_id']).doUpdateSet((eb) => ({
        results: eb('series.results', '+', eb.ref('excluded.results')),
        points: eb('series.points', '+', eb.ref('excluded.points')),
        revision: eb('series.revision', '+', eb.lit(1)),
      })),
    )
    .execute()
}

/**
 * Moves the results of build `buildId` from the series of branch `from` to those of its branch
 * now (already updated in `trx`): they are subtracted from the old rows (a row left with no
 * result is deleted) and added to the new ones.
 */
export async function moveBuildSeries(trx: Db, buildId: number, from: string | null): Promise<void> {
  await removeFromSeries(trx, { buildId }, { branch: from })
  await addToSeries(trx, { buildId })
}

/**
 * Subtracts the results of one run or one build from the series rows they are counted in (a
 * row left with no result is deleted), before they move. `was.branch` stands for their build's
 * branch when that has already been changed in `trx`.
 */
export async function removeFromSeries(
  trx: Db,
  scope: { readonly runId: number } | { readonly buildId: number },
  was: { readonly branch?: string | null } = {},
): Promise<void> {
  let q = resultsWithBuilds(trx).select((eb) => [
    'ru.machine_id',
    'b.runtime_id',
    'b.config',
    'b.branch',
    'r.workload_id',
    ...counted(eb),
  ])
  q = 'runId' in scope ? q.where('r.run_id', '=', scope.runId) : q.where('ru.build_id', '=', scope.buildId)
  const rows = await q
    .groupBy(['ru.machine_id', 'b.runtime_id', 'b.config', 'b.branch', 'r.workload_id'])
    .execute()
  for (const m of rows) {
    await trx
      .updateTable('series')
      .set((eb) => ({
        results: eb('results', '-', num(m.results as number | string)),
        points: eb('points', '-', num((m.points ?? 0) as number | string)),
        revision: eb('revision', '+', 1),
      }))
      .where('machine_id', '=', m.machine_id)
      .where('runtime_id', '=', m.runtime_id)
      .where('config', '=', m.config)
      .where('branch_key', '=', ('branch' in was ? was.branch : m.branch) ?? '')
      .where('workload_id', '=', m.workload_id)
      .execute()
  }
  await trx.deleteFrom('series').where('results', '<=', 0).execute()
}

/** The row of `key` in the series index (ids resolved by name), as a query to finish. */
function byKey(db: Db, key: SeriesKey) {
  return namedSeries(db)
    .where('m.name', '=', key.machine)
    .where('rt.name', '=', key.runtime)
    .where('s.config', '=', key.config)
    .where('s.branch_key', '=', key.branch ?? '')
    .where('w.name', '=', key.workload)
    .where('w.version', '=', key.workloadVersion)
}

/** Workload names per statement when reading summaries. */
const NAME_CHUNK = 500

/** One string per series key, for matching rows to keys. */
function keyText(k: {
  machine: string
  runtime: string
  config: string
  branch: string | null
  workload: string
  workloadVersion: string
}): string {
  return JSON.stringify([k.machine, k.runtime, k.config, k.branch, k.workload, k.workloadVersion])
}

/** Each key's revision and current cached summary, in the order of `keys`; undefined for no series. */
export async function readSeriesSummaries(
  db: Db,
  keys: readonly SeriesKey[],
): Promise<(CachedSeriesSummary | undefined)[]> {
  // One statement per chunk of workload names: the series of those workloads, matched to the
  // keys here (a page of the index holds a few workloads' series, so few rows are left over).
  const names = [...new Set(keys.map((k) => k.workload))]
  const found = new Map<string, CachedSeriesSummary>()
  for (let i = 0; i < names.length; i += NAME_CHUNK) {
    const rows = await namedSeries(db)
      .select([...SERIES_KEY_COLUMNS, 's.revision', 's.summary', 's.summary_revision'])
      .where('w.name', 'in', names.slice(i, i + NAME_CHUNK))
      .execute()
    for (const row of rows) {
      const revision = num(row.revision)
      const current =
        row.summary !== null && row.summary_revision !== null && num(row.summary_revision) === revision
      found.set(keyText(row), {
        revision,
        summary: current ? (JSON.parse(row.summary as string) as JsonValue) : null,
      })
    }
  }
  return keys.map((k) => found.get(keyText(k)))
}

/** Caches `summary` for the series of `key` made at `revision`; false (nothing written) if it moved on. */
export async function writeSeriesSummary(
  db: Db,
  key: SeriesKey,
  revision: number,
  summary: JsonValue,
): Promise<boolean> {
  const row = await byKey(db, key).select('s.id').where('s.revision', '=', revision).executeTakeFirst()
  if (row === undefined) return false
  const done = await db
    .updateTable('series')
    .set({ summary: JSON.stringify(summary), summary_revision: revision })
    .where('id', '=', row.id)
    .where('revision', '=', revision)
    .executeTakeFirst()
  return Number(done.numUpdatedRows) > 0
}

/** A counter of the generations table (migration 0008). */
export type Generation = 'builds'

/** Counts one more change of `name`, in the transaction of the change. */
export async function bumpGeneration(trx: Db, name: Generation): Promise<void> {
  await trx
    .updateTable('generations')
    .set((eb) => ({ value: eb('value', '+', 1) }))
    .where('name', '=', name)
    .execute()
}
