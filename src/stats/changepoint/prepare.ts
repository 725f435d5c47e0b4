import type { Exclusion, ExclusionReason, PreparedPoint, SeriesPoint } from './types.ts'

/** The prepared series and the input points that carry no measurement. */
export interface PreparedSeries {
  readonly points: readonly PreparedPoint[]
  readonly excluded: readonly Exclusion[]
}

interface Build {
  readonly id: string
  readonly inputIndex: number
  readonly order: number
  readonly epoch: string
  readonly logValue: number | null
  readonly reason: Exclude<ExclusionReason, 'bad-order'> | null
  readonly logStderr: number | null
}

/**
 * Sorts points into history order and merges the builds of one commit, on a log scale.
 *
 * - Order: by `order`; a commit measured in two epochs (a re-run of an old build on a new setup)
 *   puts the epoch that started earlier (then: ended earlier) first, so the re-run opens the new
 *   epoch; then the epoch's name, then input order.
 * - Several builds with the same `order` and `epoch` are one commit measured several times:
 *   their log values are averaged with equal weights (each build is one draw of the between-build
 *   noise, which dominates), `builds` counts them, and the detector divides their variance by it.
 * - `value` null → failed; NaN/±∞ → not-finite; ≤ 0 → non-positive (a log scale needs > 0);
 *   non-finite `order` → bad-order (cannot be placed). Such points are listed in `excluded`;
 *   commits with no usable build stay in `points` as `unmeasured` so blame ranges can name them.
 */
export function prepareSeries(input: readonly SeriesPoint[]): PreparedSeries {
  const excluded: Exclusion[] = []
  const builds: Build[] = []
  const epochStart = new Map<string, number>()
  const epochEnd = new Map<string, number>()
  for (let inputIndex = 0; inputIndex < input.length; inputIndex++) {
    const point = input[inputIndex] as SeriesPoint
    if (!Number.isFinite(point.order)) {
      excluded.push({ id: point.id, reason: 'bad-order' })
      continue
    }
    const build = toBuild(point, inputIndex)
    if (build.reason !== null) excluded.push({ id: point.id, reason: build.reason })
    builds.push(build)
    const start = epochStart.get(point.epoch)
    if (start === undefined || point.order < start) epochStart.set(point.epoch, point.order)
    const end = epochEnd.get(point.epoch)
    if (end === undefined || point.order > end) epochEnd.set(point.epoch, point.order)
  }
  // One sort puts the builds of one (order, epoch) next to each other, in input order.
  builds.sort(
    (a, b) =>
      a.order - b.order ||
      (epochStart.get(a.epoch) ?? 0) - (epochStart.get(b.epoch) ?? 0) ||
      (epochEnd.get(a.epoch) ?? 0) - (epochEnd.get(b.epoch) ?? 0) ||
      (a.epoch < b.epoch ? -1 : a.epoch > b.epoch ? 1 : 0) ||
      a.inputIndex - b.inputIndex,
  )
  const points: PreparedPoint[] = []
  let i = 0
  while (i < builds.length) {
    const first = builds[i] as Build
    let j = i + 1
    while (j < builds.length && builds[j]?.order === first.order && builds[j]?.epoch === first.epoch) j++
    points.push(mergeBuilds(builds, i, j, points.length))
    i = j
  }
  return { points, excluded }
}

function toBuild(point: SeriesPoint, inputIndex: number): Build {
  const { id, order, epoch, value } = point
  let reason: Build['reason'] = null
  if (value === null) reason = 'failed'
  else if (typeof value !== 'number' || !Number.isFinite(value)) reason = 'not-finite'
  else if (value <= 0) reason = 'non-positive'
  if (reason !== null || value === null)
    return { id, inputIndex, order, epoch, logValue: null, reason, logStderr: null }
  return {
    id,
    inputIndex,
    order,
    epoch,
    logValue: Math.log(value),
    reason: null,
    logStderr: logStderrOf(point, value),
  }
}

/**
 * Standard error of ln(value): from the process means when there are ≥ 2 usable ones (sd of their
 * logs / √n), else from `stderr` by the delta method (stderr / value), else unknown.
 */
function logStderrOf(point: SeriesPoint, value: number): number | null {
  const means = (point.processMeans ?? []).filter((m) => Number.isFinite(m) && m > 0)
  if (means.length >= 2) {
    const logs = means.map(Math.log)
    let sum = 0
    for (const l of logs) sum += l
    const mean = sum / logs.length
    let ss = 0
    for (const l of logs) ss += (l - mean) ** 2
    return Math.sqrt(ss / (logs.length - 1) / logs.length)
  }
  const se = point.stderr
  if (se !== undefined && Number.isFinite(se) && se >= 0) return se / value
  return null
}

function mergeBuilds(builds: readonly Build[], from: number, to: number, index: number): PreparedPoint {
  const first = builds[from] as Build
  const ids: string[] = []
  let usable = 0
  let sum = 0
  let variance: number | null = 0
  let reason: Build['reason'] = null
  for (let i = from; i < to; i++) {
    const b = builds[i] as Build
    ids.push(b.id)
    if (b.logValue === null) {
      // Report the most informative reason: a crash beats an unusable number.
      if (reason === null || b.reason === 'failed') reason = b.reason
      continue
    }
    usable++
    sum += b.logValue
    // Standard error of the average of k builds' own errors: √(Σ se²) / k, known only if all are.
    variance = variance === null || b.logStderr === null ? null : variance + b.logStderr ** 2
  }
  if (usable === 0) {
    return {
      index,
      id: first.id,
      ids,
      order: first.order,
      epoch: first.epoch,
      state: 'unmeasured',
      reason: reason ?? 'failed',
    }
  }
  const logValue = sum / usable
  return {
    index,
    id: first.id,
    ids,
    order: first.order,
    epoch: first.epoch,
    state: 'measured',
    value: Math.exp(logValue),
    logValue,
    logStderr: variance === null ? null : Math.sqrt(variance) / usable,
    builds: usable,
  }
}
