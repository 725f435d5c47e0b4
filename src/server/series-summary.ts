import { BISECT_PURPOSE } from '../analysis/index.ts'
import { buildToBuildNoise } from '../stats/index.ts'
import type { AlertLog, BuildCatalog, RunReader, SeriesInfo, SeriesReader } from '../store/index.ts'

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

/** Most changes read per series for its latest one. */
const MAX_CHANGES = 5000

/**
 * Tags of each workload version (`name@version`): its manifest's, and those its results carry
 * in the latest run of each machine × runtime × config × branch (imported pyperf files and
 * langperf-run documents put them in the result's metadata, as compare reads them).
 */
async function workloadTags(store: BuildCatalog & RunReader): Promise<Map<string, Set<string>>> {
  const tags = new Map<string, Set<string>>()
  const add = (key: string, values: unknown) => {
    if (!Array.isArray(values)) return
    const set = tags.get(key) ?? new Set<string>()
    for (const t of values) if (typeof t === 'string') set.add(t)
    tags.set(key, set)
  }
  for (const w of await store.listWorkloads()) add(`${w.name}@${w.version}`, w.manifest?.tags)
  const groups = await store.latestRunsByGroup({ perGroup: 1, statuses: ['complete', 'interrupted'] })
  for (const g of groups) {
    const latest = g.runs[0]
    if (latest === undefined) continue
    for (const r of await store.getResults(latest.id))
      add(`${r.workload.name}@${r.workload.version}`, r.metadata.tags)
  }
  return tags
}

/** The summary of one series: its newest means, latest point, noise floor and latest change. */
async function summarize(
  store: SeriesReader & AlertLog,
  s: SeriesInfo,
  tags: readonly string[],
  spark: number,
) {
  const points = await store.getSeriesPoints(s, { excludeSuites: [BISECT_PURPOSE] })
  const measured = points.filter((p) => p.summary.mean !== null && p.summary.mean > 0)
  const means = measured.map((p) => p.summary.mean as number)
  const { rows } = await store.listChanges({ series: s, limit: MAX_CHANGES })
  const change = rows.filter((c) => c.status !== 'withdrawn').at(-1)
  const last = measured.at(-1)
  const noise = buildToBuildNoise(means)
  return {
    ...s,
    tags: [...tags],
    unit: last?.unit ?? null,
    values: means.slice(-spark),
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
    latestChange:
      change === undefined
        ? null
        : {
            id: change.id,
            alertId: change.alertId,
            kind: change.kind,
            direction: change.direction,
            status: change.status,
            ratio: change.ratio,
            ratioLow: change.ratioLow,
            ratioHigh: change.ratioHigh,
            firstBadCommit: change.firstBad.commitSha,
            firstBadRunId: points.find((p) => p.resultId === change.firstBad.resultId)?.runId ?? null,
          },
  }
}

/** One page of series summaries, ordered by workload, machine, runtime, config and branch. */
export async function summarizeSeries(
  store: SeriesReader & BuildCatalog & RunReader & AlertLog,
  query: SeriesSummaryQuery,
) {
  const [all, tags] = await Promise.all([
    store.listSeries({
      ...(query.machine === undefined ? {} : { machine: query.machine }),
      ...(query.runtime === undefined ? {} : { runtime: query.runtime }),
      ...(query.config === undefined ? {} : { config: query.config }),
      ...(query.branch === undefined ? {} : { branch: query.branch }),
      ...(query.workload === undefined ? {} : { workload: query.workload }),
    }),
    workloadTags(store),
  ])
  const needle = query.q?.toLowerCase()
  const tagsOf = (s: SeriesInfo) => [...(tags.get(`${s.workload}@${s.workloadVersion}`) ?? [])].sort()
  const kept = all
    .filter((s) => needle === undefined || s.workload.toLowerCase().includes(needle))
    .filter((s) => query.tag === undefined || tagsOf(s).includes(query.tag))
    .sort((a, b) => seriesOrder(a).localeCompare(seriesOrder(b)))
  const items = []
  for (const s of kept.slice(query.offset, query.offset + query.limit))
    items.push(await summarize(store, s, tagsOf(s), query.spark))
  return { items, total: kept.length, limit: query.limit, offset: query.offset }
}

function seriesOrder(s: SeriesInfo): string {
  return [s.workload, s.workloadVersion, s.machine, s.runtime, s.config, s.branch ?? ''].join('\u0000')
}
