import { HISTORY_POINTS } from '../analysis/index.ts'
import { type JsonValue, Memo } from '../lib/index.ts'
import { buildToBuildNoise } from '../stats/index.ts'
import type {
  AlertLog,
  BuildCatalog,
  CachedSeriesSummary,
  ChangeRow,
  RunReader,
  SeriesInfo,
  SeriesKey,
  SeriesReader,
  SeriesSummaryCache,
} from '../store/index.ts'

// The workloads index of the API (`GET /api/v1/series/summaries`): every series ordered by
// workload, filtered by part of its name or a tag, and per series on the page its newest means
// (a sparkline), its noise floor between builds (stats' buildToBuildNoise, the successive
// differences detection learns its noise from) and its newest change that is not withdrawn.

/** The query of summarizeSeries, as the route validated it. */
export interface SeriesSummaryQuery {
  readonly machine?: string | undefined
  readonly runtime?: string | undefined
  readonly config?: string | undefined
  readonly branch?: string | undefined
  readonly workload?: string | undefined
  readonly q?: string | undefined
  readonly tag?: string | undefined
  readonly spark: number
  readonly limit: number
  readonly offset: number
}

/** Changes read per statement for the latest of each series. */
const MAX_CHANGES = 5000

/**
 * What the workloads index reads of every series, per store, at the runs' state it was read at:
 * the tags of each workload version, and the series lists by filter. Series and tags change only
 * with the runs (a result stored, a run finished, a build moved), and runsState says when, in the
 * database itself, so two servers over one database agree.
 */
interface Catalog {
  readonly state: string
  readonly tags: ReadonlyMap<string, ReadonlySet<string>>
  readonly lists: Map<string, readonly SeriesInfo[]>
}

const catalogs = new WeakMap<object, Catalog>()

/** Filters of the series lists a catalog keeps, at most. */
const MAX_KEPT_LISTS = 64

async function catalogOf(store: BuildCatalog & RunReader, state: string): Promise<Catalog> {
  const kept = catalogs.get(store)
  if (kept !== undefined && kept.state === state) return kept
  const made: Catalog = { state, tags: await workloadTags(store), lists: new Map() }
  catalogs.set(store, made)
  return made
}

/**
 * Tags of each workload version (`name@version`): its manifest's, and those its results carry
 * in the latest run of each machine × runtime × config × branch (imported pyperf files and
 * langperf-run documents put them in the result's metadata, as compare reads them).
 */
async function workloadTags(store: BuildCatalog & RunReader): Promise<Map<string, Set<string>>> {
  const tags = new Map<string, Set<string>>()
  const add = (key: string, values: readonly unknown[]) => {
    const set = tags.get(key) ?? new Set<string>()
    for (const t of values) if (typeof t === 'string') set.add(t)
    tags.set(key, set)
  }
  for (const w of await store.listWorkloads())
    if (Array.isArray(w.manifest?.tags)) add(`${w.name}@${w.version}`, w.manifest.tags)
  const groups = await store.latestRunsByGroup({ perGroup: 1, statuses: ['complete', 'interrupted'] })
  for (const g of groups) {
    const latest = g.runs[0]
    if (latest === undefined) continue
    for (const r of await store.getResults(latest.id))
      if (Array.isArray(r.metadata.tags)) add(`${r.workload.name}@${r.workload.version}`, r.metadata.tags)
  }
  return tags
}

/** Newest means a cached summary keeps: the most a sparkline may ask for (the route's `spark` cap). */
const CACHED_MEANS = 100

/**
 * What a series summary takes from its points, cached in the store's series index for the
 * revision it was made at: its newest means, latest point, noise floor, and the run of each
 * result a change was found at then (changes come later than points: a change at a result not
 * listed here makes the summary be made again).
 */
interface PointsDigest {
  /** DIGEST_FORMAT when made: a digest of an earlier rule (pair-only runs counted as points) is made again. */
  readonly format: number
  /** Measured points of the history (HISTORY_POINTS): the index's count also holds reference runs. */
  readonly points: number
  readonly unit: string | null
  readonly values: readonly number[]
  readonly latest: {
    runId: number
    commitSha: string | null
    commitDateUtc: string | null
    mean: number
  } | null
  readonly noise: { relative: number; differences: number } | null
  readonly changeRuns: readonly (readonly [number, number])[]
}

/**
 * What the digests in the store's cache were made by; 2: HISTORY_POINTS (pair-only runs left
 * out); 3: with their count of points.
 */
const DIGEST_FORMAT = 3

/** The digest of a series' points, made from them (they are read here). */
async function digestPoints(
  store: SeriesReader,
  s: SeriesKey,
  changes: readonly ChangeRow[],
): Promise<PointsDigest> {
  const points = await store.getSeriesPoints(s, HISTORY_POINTS)
  const measured = points.filter((p) => p.summary.mean !== null && p.summary.mean > 0)
  const means = measured.map((p) => p.summary.mean as number)
  const last = measured.at(-1)
  const noise = buildToBuildNoise(means)
  const runOf = new Map(points.map((p) => [p.resultId, p.runId]))
  const changeRuns: [number, number][] = []
  for (const c of changes) {
    const runId = runOf.get(c.firstBad.resultId)
    if (runId !== undefined) changeRuns.push([c.firstBad.resultId, runId])
  }
  return {
    format: DIGEST_FORMAT,
    points: points.length,
    unit: last?.unit ?? null,
    values: means.slice(-CACHED_MEANS),
    latest:
      last === undefined
        ? null
        : {
            runId: last.runId,
            commitSha: last.commitSha,
            commitDateUtc: last.commitDateUtc,
            mean: last.summary.mean as number,
          },
    noise: noise === undefined ? null : { relative: noise.relative, differences: noise.differences },
    changeRuns,
  }
}

/** The series' digest from the store's cache when current and covering `change`, else made and cached. */
async function pointsDigest(
  store: SeriesReader & AlertLog & SeriesSummaryCache,
  s: SeriesKey,
  cached: CachedSeriesSummary | undefined,
  changes: readonly ChangeRow[],
  change: ChangeRow | undefined,
): Promise<PointsDigest> {
  const digest = cached?.summary as PointsDigest | null | undefined
  const usable = (d: PointsDigest | null | undefined): d is PointsDigest =>
    typeof d === 'object' &&
    d !== null &&
    d.format === DIGEST_FORMAT &&
    typeof d.points === 'number' &&
    Array.isArray(d.values) &&
    Array.isArray(d.changeRuns) &&
    (change === undefined || d.changeRuns.some(([resultId]) => resultId === change.firstBad.resultId))
  if (usable(digest)) return digest
  const made = await digestPoints(store, s, changes)
  if (cached !== undefined) await store.writeSeriesSummary(s, cached.revision, made as unknown as JsonValue)
  return made
}

/** The summary of one series: its newest means, latest point, noise floor and latest change. */
async function summarize(
  store: SeriesReader & AlertLog & SeriesSummaryCache,
  s: SeriesInfo,
  tags: readonly string[],
  spark: number,
  cached: CachedSeriesSummary | undefined,
  changes: readonly ChangeRow[],
) {
  const change = changes.at(-1)
  const digest = await pointsDigest(store, s, cached, changes, change)
  return {
    ...s,
    // The points the history views draw, not the index's count (which holds reference runs).
    points: digest.points,
    tags: [...tags],
    unit: digest.unit,
    values: digest.values.slice(-spark),
    latest: digest.latest,
    noise: digest.noise,
    latestChange:
      change === undefined
        ? null
        : {
            id: change.id,
            alertId: change.alertId,
            kind: change.kind,
            measure: change.measure,
            direction: change.direction,
            status: change.status,
            ratio: change.ratio,
            ratioLow: change.ratioLow,
            ratioHigh: change.ratioHigh,
            firstBadCommit: change.firstBad.commitSha,
            firstBadRunId:
              digest.changeRuns.find(([resultId]) => resultId === change.firstBad.resultId)?.[1] ?? null,
          },
  }
}

/** Answers of summarizeSeries per store, by query, at the state of runs and changes they were made at. */
const answers = new WeakMap<object, Memo>()

/** Queries whose answers are kept per store, the oldest going first. */
const MAX_KEPT_ANSWERS = 64

type SummaryPage = Awaited<ReturnType<typeof summarizePage>>

/**
 * One page of series summaries, ordered by workload, machine, runtime, config and branch; the
 * answer to a query is kept until the runs or the changes change (runsState, changesState).
 */
export async function summarizeSeries(
  store: SeriesReader & SeriesSummaryCache & BuildCatalog & RunReader & AlertLog,
  query: SeriesSummaryQuery,
): Promise<SummaryPage> {
  const runs = await store.runsState()
  const state = `${runs}|${await store.changesState()}`
  const memo = answers.get(store) ?? new Memo(MAX_KEPT_ANSWERS)
  answers.set(store, memo)
  return memo.current(JSON.stringify(query), state, () => summarizePage(store, query, runs))
}

async function summarizePage(
  store: SeriesReader & SeriesSummaryCache & BuildCatalog & RunReader & AlertLog,
  query: SeriesSummaryQuery,
  runsState: string,
) {
  const catalog = await catalogOf(store, runsState)
  const filter = {
    ...(query.machine === undefined ? {} : { machine: query.machine }),
    ...(query.runtime === undefined ? {} : { runtime: query.runtime }),
    ...(query.config === undefined ? {} : { config: query.config }),
    ...(query.branch === undefined ? {} : { branch: query.branch }),
    ...(query.workload === undefined ? {} : { workload: query.workload }),
  }
  const filterKey = JSON.stringify(filter)
  let all = catalog.lists.get(filterKey)
  if (all === undefined) {
    // Kept in the index's order (by workload first), so each request only filters.
    all = (await store.listSeries(filter)).sort((a, b) => seriesOrder(a).localeCompare(seriesOrder(b)))
    if (catalog.lists.size < MAX_KEPT_LISTS) catalog.lists.set(filterKey, all)
  }
  const tags = catalog.tags
  const needle = query.q?.toLowerCase()
  const tagsOf = (s: SeriesInfo) => [...(tags.get(`${s.workload}@${s.workloadVersion}`) ?? [])].sort()
  const named = all.filter((s) => needle === undefined || s.workload.toLowerCase().includes(needle))
  const allTags = [...new Set(named.flatMap(tagsOf))].sort()
  const kept = named.filter((s) => query.tag === undefined || tagsOf(s).includes(query.tag))
  const page = kept.slice(query.offset, query.offset + query.limit)
  const [cached, changes] = await Promise.all([store.readSeriesSummaries(page), changesOf(store, page)])
  const items = []
  for (const [i, s] of page.entries())
    items.push(
      await summarize(store, s, tagsOf(s), query.spark, cached[i], changes.get(seriesOrder(s)) ?? []),
    )
  return { items, total: kept.length, limit: query.limit, offset: query.offset, tags: allTags }
}

function seriesOrder(s: SeriesKey): string {
  return [s.workload, s.workloadVersion, s.machine, s.runtime, s.config, s.branch ?? ''].join('\u0000')
}

/** The changes of each series of `page` that are not withdrawn, oldest first, by seriesOrder. */
async function changesOf(store: AlertLog, page: readonly SeriesInfo[]): Promise<Map<string, ChangeRow[]>> {
  const bySeries = new Map<string, ChangeRow[]>()
  const names = [...new Set(page.map((s) => s.workload))]
  const wanted = new Set(page.map(seriesOrder))
  for (let i = 0; i < names.length; i += 1000) {
    for (let offset = 0; ; offset += MAX_CHANGES) {
      const { rows, total } = await store.listChanges({
        workloads: names.slice(i, i + 1000),
        status: ['provisional', 'confirmed'],
        limit: MAX_CHANGES,
        offset,
      })
      for (const c of rows) {
        const key = seriesOrder(c.series)
        if (!wanted.has(key)) continue
        const list = bySeries.get(key) ?? []
        list.push(c)
        bySeries.set(key, list)
      }
      if (offset + rows.length >= total || rows.length === 0) break
    }
  }
  return bySeries
}
