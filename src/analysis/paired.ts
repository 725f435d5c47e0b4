import { assertNever, type JsonObject } from '../lib/index.ts'
import {
  type Change,
  type ComparisonResult,
  compareTwo,
  type Detection,
  type Verdict,
} from '../stats/index.ts'
import type { RunRow, SeriesPoint } from '../store/index.ts'

// Paired, interleaved evidence for a detected step (docs/stats.md, "From detection to alerts").
// The nightly measures each new commit C interleaved with a reference build R, the newest commit
// measured before it (process by process, A B / B A), and stores both runs: C's run names R's in
// `metadata.reference_run_id`. Separate nightly runs carry the machine's drift between runs, which
// on a shared machine is larger than a run's own interval (+24 % on a README-only commit,
// docs/real-cpython.md); inside one interleaved run the drift hits both builds alike and cancels.
// So when the detector, which reads the history of separate runs, sees a step at C, the pair R/C
// is the direct test of that step: it can confirm it at once, or show that it is not there.
//
// Pure: stored points and run metadata in, a judgement out. No clock, no randomness.

/**
 * `metadata.purpose` of a reference run: a real measurement of an older build, made interleaved
 * with a new commit so the two compare without drift. It is stored and shown with the nightly
 * history; the change-point detector reads it as the pair of that commit, not as one more point of
 * the older build (detect.ts, `referencesInHistory`, says why).
 */
export const REFERENCE_PURPOSE = 'reference'

/**
 * Two-sided confidence of the paired interval: α = 0.01, Pinpoint's level and the one bisection
 * uses here (docs/nightly.md). A pair upgrades an alert to confirmed, or dismisses it, on its own,
 * so it is held to the stricter level of the two the project uses (compare's 95 % is for people
 * reading one comparison).
 */
export const PAIRED_CONFIDENCE = 0.99

/**
 * What the pair says about the detector's step:
 * - `confirms`: the paired interval excludes 1 on the step's side and overlaps the detector's interval;
 * - `contradicts`: the paired interval holds 1 and excludes the detector's estimate (precise enough
 *   to rule out the step the history shows);
 * - `disagrees`: significant, but the other way, or far from the detector's interval;
 * - `inconclusive`: the interval holds both 1 and the detector's estimate, or the pair has too few processes.
 */
export const PAIRED_VERDICTS = ['confirms', 'contradicts', 'disagrees', 'inconclusive'] as const
/** One of PAIRED_VERDICTS. */
export type PairedVerdict = (typeof PAIRED_VERDICTS)[number]

/** The detector's estimate of a step, which the pair is held against. */
export interface DetectedStep {
  readonly direction: 'regression' | 'improvement'
  /** Level after / level before. */
  readonly ratio: number
  readonly ratioLow: number
  readonly ratioHigh: number
}

/** The paired comparison of a step's first bad build with its interleaved reference. */
export interface PairedEvidence {
  /** Candidate / reference (ratio of geometric means of process means); null when insufficient. */
  readonly ratio: number | null
  readonly low: number | null
  readonly high: number | null
  readonly confidence: number
  readonly referenceRunId: number
  readonly runId: number
  readonly referenceResultId: number
  readonly resultId: number
  /** The reference build's commit. */
  readonly referenceCommit: string | null
  /** Process means on each side: reference, candidate. */
  readonly processes: readonly [number, number]
  /** compareTwo's verdict on the pair alone. */
  readonly comparison: Verdict
  readonly verdict: PairedVerdict
}

/**
 * Judges a detected step by the paired comparison of its two builds' process means (reference =
 * base, candidate = the first bad build); see PAIRED_VERDICTS. Intervals are log-t
 * (docs/stats.md, "The ratio of two builds").
 */
export function judgePair(
  step: DetectedStep,
  referenceMeans: readonly number[],
  candidateMeans: readonly number[],
  options: { readonly lowerIsBetter: boolean; readonly confidence?: number },
): { readonly verdict: PairedVerdict; readonly comparison: ComparisonResult } {
  const comparison = compareTwo(referenceMeans, candidateMeans, {
    confidence: options.confidence ?? PAIRED_CONFIDENCE,
    lowerIsBetter: options.lowerIsBetter,
  })
  if (comparison.kind === 'insufficient') return { verdict: 'inconclusive', comparison }
  const { low, high } = comparison
  switch (comparison.verdict) {
    case 'no-difference':
      // "No significant difference" alone is weak when the pair is imprecise: only an interval
      // that also leaves out the detector's estimate says the step it saw is not there.
      return {
        verdict: step.ratio < low || step.ratio > high ? 'contradicts' : 'inconclusive',
        comparison,
      }
    case 'slower':
    case 'faster': {
      const sameWay = (comparison.verdict === 'slower') === (step.direction === 'regression')
      const overlaps = low <= step.ratioHigh && high >= step.ratioLow
      return { verdict: sameWay && overlaps ? 'confirms' : 'disagrees', comparison }
    }
    default:
      return assertNever(comparison)
  }
}

/** The two results of a pair found for a step: the reference build's and the first bad build's. */
export interface FoundPair {
  readonly reference: SeriesPoint
  readonly candidate: SeriesPoint
}

/** `metadata.reference_run_id` of a run, when it is a candidate measured beside a reference. */
export function referenceRunIdOf(run: Pick<RunRow, 'metadata'> | undefined): number | null {
  const id = run?.metadata.reference_run_id
  return typeof id === 'number' && Number.isInteger(id) && id > 0 ? id : null
}

/** Where a step is blamed: the prepared-point index of its first bad build (the detector's own, or a blame kept from before). */
export interface StepPosition {
  readonly firstBadIndex: number
}

/**
 * The interleaved pair that tests `change` (at `at`, default its own position): a run of its first
 * bad build that names a reference run, whose result in this series is on the old level — the
 * last good build, or an earlier build with no other step or epoch boundary between it and the
 * change. Several: the one with the most process means, then the newest. Null when there is none.
 * `points` are the series' points the detector read; `references` the reference runs' points
 * kept out of it (placed by their build's position among `points`).
 */
export function findPair(
  detection: Detection,
  change: Change,
  points: readonly SeriesPoint[],
  runs: ReadonlyMap<number, RunRow>,
  options: { readonly at?: StepPosition; readonly references?: readonly SeriesPoint[] } = {},
): FoundPair | null {
  const at = options.at ?? change
  const bad = detection.points[at.firstBadIndex]
  if (bad === undefined) return null
  const byResult = new Map(points.map((p) => [p.resultId, p]))
  const byRun = new Map<number, SeriesPoint>()
  for (const p of [...points, ...(options.references ?? [])]) byRun.set(p.runId, p)
  const indexOfResult = preparedIndexes(detection)
  const indexOfBuild = new Map<number, number>()
  for (const p of points) {
    const idx = indexOfResult.get(p.resultId)
    if (idx !== undefined && !indexOfBuild.has(p.buildId)) indexOfBuild.set(p.buildId, idx)
  }
  const size = (p: FoundPair) =>
    (p.reference.processMeans?.length ?? 0) + (p.candidate.processMeans?.length ?? 0)
  let best: FoundPair | null = null
  for (const id of bad.ids) {
    const candidate = byResult.get(Number(id))
    if (!usable(candidate)) continue
    const refRunId = referenceRunIdOf(runs.get(candidate.runId))
    if (refRunId === null) continue
    const reference = byRun.get(refRunId)
    if (!usable(reference)) continue
    const refIndex = indexOfResult.get(reference.resultId) ?? indexOfBuild.get(reference.buildId)
    if (refIndex === undefined || !onOldLevel(detection, change, at, refIndex)) continue
    const found: FoundPair = { reference, candidate }
    if (
      best === null ||
      size(found) > size(best) ||
      (size(found) === size(best) && candidate.runId > best.candidate.runId)
    )
      best = found
  }
  return best
}

/** Prepared-point index of every input id (result id) of a detection. */
export function preparedIndexes(detection: Detection): Map<number, number> {
  const out = new Map<number, number>()
  for (const pp of detection.points) for (const id of pp.ids) out.set(Number(id), pp.index)
  return out
}

function usable(p: SeriesPoint | undefined): p is SeriesPoint {
  return p !== undefined && p.state === 'measured' && (p.processMeans?.length ?? 0) >= 2
}

/** True when prepared point `index` is on the level before the step: same epoch, no other step or boundary between. */
function onOldLevel(detection: Detection, change: Change, at: StepPosition, index: number): boolean {
  // Between the last good and the first bad build lie only builds without a value, so "before the
  // first bad build" is "at or before the last good one".
  if (index >= at.firstBadIndex) return false
  if (detection.points[index]?.epoch !== detection.points[at.firstBadIndex]?.epoch) return false
  if (detection.epochs.some((b) => b.index > index && b.index <= at.firstBadIndex)) return false
  return !detection.changes.some(
    (c) => c !== change && c.firstBadIndex > index && c.firstBadIndex < at.firstBadIndex,
  )
}

/**
 * The paired evidence for `change` in one analysed series, or null when its first bad build has
 * no interleaved pair with a build of the old level. The detector's estimate (ratio and interval)
 * is the one the pair is held against, wherever the step is blamed.
 */
export function pairedEvidence(
  detection: Detection,
  change: Change,
  points: readonly SeriesPoint[],
  runs: ReadonlyMap<number, RunRow>,
  options: {
    readonly lowerIsBetter: boolean
    readonly confidence?: number
    /** Judge the step at this position (a blame kept from an earlier pass) instead of the detector's. */
    readonly at?: StepPosition
    /** Points of reference runs the detector did not read. */
    readonly references?: readonly SeriesPoint[]
  },
): PairedEvidence | null {
  const pair = findPair(detection, change, points, runs, {
    ...(options.at ? { at: options.at } : {}),
    ...(options.references ? { references: options.references } : {}),
  })
  if (pair === null) return null
  const referenceMeans = pair.reference.processMeans ?? []
  const candidateMeans = pair.candidate.processMeans ?? []
  const { verdict, comparison } = judgePair(
    { direction: change.direction, ...change.step },
    referenceMeans,
    candidateMeans,
    options,
  )
  const measured = comparison.kind === 'comparison'
  return {
    ratio: measured ? comparison.ratio : null,
    low: measured ? comparison.low : null,
    high: measured ? comparison.high : null,
    confidence: options.confidence ?? PAIRED_CONFIDENCE,
    referenceRunId: pair.reference.runId,
    runId: pair.candidate.runId,
    referenceResultId: pair.reference.resultId,
    resultId: pair.candidate.resultId,
    referenceCommit: pair.reference.commitSha,
    processes: [referenceMeans.length, candidateMeans.length],
    comparison: comparison.verdict,
    verdict,
  }
}

/** The evidence as stored in a change's `details.paired`. */
export function pairedDetails(e: PairedEvidence): JsonObject {
  return {
    ratio: e.ratio,
    low: e.low,
    high: e.high,
    confidence: e.confidence,
    referenceRunId: e.referenceRunId,
    runId: e.runId,
    referenceCommit: e.referenceCommit,
    processes: [...e.processes],
    comparison: e.comparison,
    verdict: e.verdict,
  }
}
