import { type ResultMetric, resultMetrics } from '../analysis/index.ts'
import { tIntervalFromMoments } from '../stats/index.ts'
import { type SeriesKey, type SeriesPoint, type Store, summarizeProcesses } from '../store/index.ts'

// What the series points route adds to a series' stored points: each point's interval from its
// summary, its run's epoch key, and a server workload's metrics in place of the value.

/**
 * Adds the asked-for extras to series points: the 95 % t interval of the mean of process means
 * (the timeline's band) and the run's epoch key (its boundaries are drawn as lines).
 */
export async function withPointExtras(
  points: readonly SeriesPoint[],
  options: { readonly raw: boolean; readonly interval: boolean; readonly epochs: boolean },
  epochsOf: () => Promise<ReadonlyMap<number, string>>,
) {
  if (!options.interval && !options.epochs) return points
  const epochs = options.epochs ? await epochsOf() : undefined
  // One object per point, made by one spread (a 1,825-point series is read on a timeline's first
  // visit): process means are on a point only when they were read, which is when `raw` asked.
  return points.map((p) => {
    const out: SeriesPoint & {
      interval?: { low: number; high: number; confidence: number } | null
      epoch?: string
    } = options.raw || p.processMeans === undefined ? { ...p } : withoutProcessMeans(p)
    if (options.interval) out.interval = p.state === 'measured' ? summaryInterval(p.summary) : null
    if (epochs !== undefined) out.epoch = epochs.get(p.runId) ?? '?'
    return out
  })
}

/** What the series routes read a series by (their queries less the answer's options). */
export interface SeriesReadQuery {
  readonly machine: string
  readonly runtime: string
  readonly config: string
  readonly branch?: string | undefined
  readonly workload: string
  readonly version?: string | undefined
  readonly failed: boolean
  readonly metric?: string | undefined
}

/** Single letters of the point states in the columns answer. */
const STATE_LETTER = { measured: 'm', failed: 'f', skipped: 's' } as const

/**
 * Series points as columns (the `series/columns` answer): one array per field, each point's interval
 * from its summary and its run's epoch key, in one pass and without an object per point.
 */
export function pointColumns(points: readonly SeriesPoint[], epochs: ReadonlyMap<number, string>) {
  const n = points.length
  const columns = {
    resultId: new Array<number>(n),
    runId: new Array<number>(n),
    buildId: new Array<number>(n),
    commitSha: new Array<string | null>(n),
    commitDateUtc: new Array<string | null>(n),
    runStartedAt: new Array<string>(n),
    state: '',
    mean: new Array<number | null>(n),
    low: new Array<number | null>(n),
    high: new Array<number | null>(n),
    epoch: new Array<string>(n),
  }
  const states: string[] = new Array<string>(n)
  let unit: string | null = null
  for (let i = 0; i < n; i++) {
    const p = points[i] as SeriesPoint
    const measured = p.state === 'measured'
    if (measured && unit === null) unit = p.unit
    const interval = measured ? summaryInterval(p.summary) : null
    columns.resultId[i] = p.resultId
    columns.runId[i] = p.runId
    columns.buildId[i] = p.buildId
    columns.commitSha[i] = p.commitSha
    columns.commitDateUtc[i] = p.commitDateUtc
    columns.runStartedAt[i] = p.runStartedAt
    states[i] = STATE_LETTER[p.state]
    columns.mean[i] = measured ? p.summary.mean : null
    columns.low[i] = interval?.low ?? null
    columns.high[i] = interval?.high ?? null
    columns.epoch[i] = epochs.get(p.runId) ?? '?'
  }
  columns.state = states.join('')
  return { unit, columns }
}

function withoutProcessMeans(p: SeriesPoint): SeriesPoint {
  const { processMeans: _, ...rest } = p
  return rest
}

/** A metric as the series answer names it. */
type MetricInfo = Pick<ResultMetric, 'name' | 'label' | 'unit' | 'lowerIsBetter'>

/** The metrics any of `points` records (read with their metadata), in the order first seen. */
export function metricsOf(points: readonly SeriesPoint[]): MetricInfo[] {
  const out = new Map<string, MetricInfo>()
  for (const p of points) {
    for (const m of resultMetrics(p.metadata ?? {}))
      if (!out.has(m.name))
        out.set(m.name, { name: m.name, label: m.label, unit: m.unit, lowerIsBetter: m.lowerIsBetter })
  }
  return [...out.values()]
}

/** The metrics the newest measured point of a series records (its one result read again). */
export async function newestMetrics(
  store: Store,
  key: SeriesKey,
  points: readonly SeriesPoint[],
): Promise<MetricInfo[]> {
  const newest = points.findLast((p) => p.state === 'measured')
  if (newest === undefined) return []
  const results = await store.getResults(newest.runId, { workloads: [key.workload] })
  const result = results.find((r) => r.id === newest.resultId)
  return result === undefined ? [] : metricsOf([{ ...newest, metadata: result.metadata }])
}

/**
 * The points of a metric in place of the value: its per-process values summarised as a value's
 * process means are (mean, their standard deviation, min, max, median), its unit; measured points
 * without it are left out, failed and skipped ones kept.
 */
export function metricPoints(points: readonly SeriesPoint[], name: string, raw: boolean): SeriesPoint[] {
  const out: SeriesPoint[] = []
  for (const { metadata, processMeans: _, ...p } of points) {
    if (p.state !== 'measured') {
      out.push(p)
      continue
    }
    const m = resultMetrics(metadata ?? {}).find((x) => x.name === name)
    if (m === undefined) continue
    const { summary } = summarizeProcesses(m.values.map((v) => ({ warmups: [], values: [v], metadata: {} })))
    out.push({ ...p, unit: m.unit, summary, ...(raw ? { processMeans: m.values } : {}) })
  }
  return out
}

/**
 * The 95 % t interval of a point's mean from its stored summary (the mean and standard deviation
 * of its per-process means): what `meanTInterval` gives over the process means, without reading
 * them. Null below two processes.
 */
function summaryInterval(
  summary: SeriesPoint['summary'],
): { low: number; high: number; confidence: number } | null {
  const { mean, stdevProcessMeans: stdev, nProcesses: n } = summary
  if (mean === null || stdev === null) return null
  const ci = tIntervalFromMoments({ mean, stdev, n })
  return ci.kind === 'interval' ? { low: ci.low, high: ci.high, confidence: ci.confidence } : null
}
