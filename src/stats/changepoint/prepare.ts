import type { Exclusion, ExclusionReason, PreparedPoint, SeriesPoint } from './types.ts'

/** The prepared series and the input points that carry no measurement. */
export interface PreparedSeries {
  readonly points: readonly PreparedPoint[]
  readonly excluded: readonly Exclusion[]
}

interface Build {
  readonly id: string
  readonly inputIndex: number
  readonly logValue: number | null
  readonly reason: Exclude<ExclusionReason, 'bad-order'> | null
  readonly logStderr: number | null
}

/**
 * Sorts points into history order and merges the builds of one commit, on a log scale.
 *
 * - Order: by `order`; a commit measured in two epochs (a re-run of an old build on a new setup)
 *   puts the epoch that started earlier first, so the re-run opens the new epoch; then input order.
 * - Several builds with the same `order` and `epoch` are one commit measured several times:
 *   their log values are averaged with equal weights (each build is one draw of the between-build
 *   noise, which dominates), `builds` counts them, and the detector divides their variance by it.
 * - `value` null → failed; NaN/±∞ → not-finite; ≤ 0 → non-positive (a log scale needs > 0);
 *   non-finite `order` → bad-order (cannot be placed). Such points are listed in `excluded`;
 *   commits with no usable build stay in `points` as `unmeasured` so blame ranges can name them.
 */
export function prepareSeries(input: readonly SeriesPoint[]): PreparedSeries {
  const excluded: Exclusion[] = []
  const groups = new Map<string, { order: number; epoch: string; builds: Build[] }>()
  const epochStart = new Map<string, number>()
  input.forEach((point, inputIndex) => {
    if (!Number.isFinite(point.order)) {
      excluded.push({ id: point.id, reason: 'bad-order' })
      return
    }
    const build = toBuild(point, inputIndex)
    if (build.reason !== null) excluded.push({ id: point.id, reason: build.reason })
    const key = `${point.order}\u0000${point.epoch}`
    let group = groups.get(key)
    if (group === undefined) {
      group = { order: point.order, epoch: point.epoch, builds: [] }
      groups.set(key, group)
    }
    group.builds.push(build)
    const start = epochStart.get(point.epoch)
    if (start === undefined || point.order < start) epochStart.set(point.epoch, point.order)
  })
  const sorted = [...groups.values()].sort(
    (a, b) =>
      a.order - b.order ||
      (epochStart.get(a.epoch) ?? 0) - (epochStart.get(b.epoch) ?? 0) ||
      firstInput(a.builds) - firstInput(b.builds),
  )
  const points = sorted.map((group, index) => mergeBuilds(group, index))
  return { points, excluded }
}

function firstInput(builds: readonly Build[]): number {
  return builds[0]?.inputIndex ?? 0
}

function toBuild(point: SeriesPoint, inputIndex: number): Build {
  const base = { id: point.id, inputIndex }
  const value = point.value
  if (value === null) return { ...base, logValue: null, reason: 'failed', logStderr: null }
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    return { ...base, logValue: null, reason: 'not-finite', logStderr: null }
  }
  if (value <= 0) return { ...base, logValue: null, reason: 'non-positive', logStderr: null }
  return { ...base, logValue: Math.log(value), reason: null, logStderr: logStderrOf(point, value) }
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

function mergeBuilds(
  group: { readonly order: number; readonly epoch: string; readonly builds: readonly Build[] },
  index: number,
): PreparedPoint {
  const builds = group.builds
  const ids = builds.map((b) => b.id)
  const base = { index, id: ids[0] ?? '', ids, order: group.order, epoch: group.epoch }
  const usable = builds.filter((b) => b.logValue !== null)
  if (usable.length === 0) {
    // Report the most informative reason: a crash beats an unusable number.
    const reason = builds.find((b) => b.reason === 'failed')?.reason ?? builds[0]?.reason ?? 'failed'
    return { ...base, state: 'unmeasured', reason: reason ?? 'failed' }
  }
  let sum = 0
  for (const b of usable) sum += b.logValue ?? 0
  const logValue = sum / usable.length
  // Standard error of the average of k builds' own errors: √(Σ se²) / k, known only if all are.
  let logStderr: number | null = 0
  for (const b of usable) {
    if (b.logStderr === null || logStderr === null) logStderr = null
    else logStderr += b.logStderr ** 2
  }
  if (logStderr !== null) logStderr = Math.sqrt(logStderr) / usable.length
  return {
    ...base,
    state: 'measured',
    value: Math.exp(logValue),
    logValue,
    logStderr,
    builds: usable.length,
  }
}
