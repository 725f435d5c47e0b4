import { measuredSeries, pointVariances } from './noise.ts'
import { type StepContext, stepTest } from './steptest.ts'
import { type Detection, type DetectOptions, resolveOptions, type StepEstimate } from './types.ts'

/**
 * What the history says about the level between two of a detection's builds: the step test of
 * the builds up to and including `lastGoodIndex` against those from `firstBadIndex` on (indexes of
 * `detection.points`), each side at most `confirmWindow` measured builds, inside their epoch and
 * bounded by the confirmed changes on either side, judged with the series' noise model, as the
 * detector confirms a step. Null when either build is not measured, the two lie in different
 * epochs, or the first bad does not follow the last good. Pure; `options` are those the detection
 * was made with.
 * @example stepBetween(detectChanges(points), 9, 10)?.pointsAfter // builds averaged after the step
 */
export function stepBetween(
  detection: Detection,
  lastGoodIndex: number,
  firstBadIndex: number,
  options: DetectOptions = {},
): StepEstimate | null {
  const opts = resolveOptions(options)
  const series = measuredSeries(detection.points)
  const positionOf = new Map<number, number>()
  for (let position = 0; position < series.pointIndex.length; position++)
    positionOf.set(series.pointIndex[position] as number, position)
  const from = positionOf.get(lastGoodIndex)
  const at = positionOf.get(firstBadIndex)
  if (from === undefined || at === undefined || from >= at) return null
  const block = series.blocks.find((b) => b.start <= from && from < b.end)
  if (block === undefined || at >= block.end) return null
  // Confirmed changes cut the sides: the level before the last good is the one after the newest
  // change before it, the level after the first bad the one before the next change.
  const cuts = detection.changes
    .filter((c) => c.state === 'confirmed')
    .map((c) => positionOf.get(c.firstBadIndex))
    .filter((p): p is number => p !== undefined && p > block.start && p < block.end && (p <= from || p > at))
  const start = Math.max(block.start, from + 1 - opts.confirmWindow, ...cuts.filter((p) => p <= from))
  const end = Math.min(block.end, at + opts.confirmWindow, ...cuts.filter((p) => p > at))
  const context: StepContext = {
    series,
    noise: detection.noise,
    variances: pointVariances(series, detection.noise),
    options: opts,
  }
  return stepTest(context, { start, end: from + 1 }, { start: at, end })
}
