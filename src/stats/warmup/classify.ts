import { badInput } from '../../lib/index.ts'
import type { ProcessClass } from '../../model/index.ts'
import { mean, median } from '../descriptive.ts'
import { markOutliers, type OutlierOptions } from './outliers.ts'
import { DEFAULT_MIN_SEGMENT, peltMeanVar, warmupPenalty } from './pelt.ts'

// The classification of one process's in-process iteration series, after Barrett et al.
// (OOPSLA 2017, §4): outliers out, PELT change points, neighbouring segments whose means are
// equivalent merged, then
//   flat             every segment equivalent to the last (one segment, mostly);
//   warm-up          the last segment is the fastest, or equivalent to the fastest;
//   slow-down        the last segment is slower than an earlier one;
//   no steady state  the last segment is too short to be a steady state (the paper: a change
//                    point within the last 500 of 2000 iterations; here the last 25 %).
// 'No steady state' carries no steady iteration and no steady mean: it is a status, never a
// number. docs/stats.md, "Warm-up", has the choices made where the paper leaves room.

/** Share of the series the last segment must span to be a steady state: 500 of 2000 iterations. */
export const STEADY_SHARE = 0.25
/**
 * The smallest tolerance between two segments' means, relative to the series' median: means
 * under 1 % apart are always equivalent, 1 % being the smallest change langperf calls anywhere
 * (DEFAULT_MIN_EFFECT).
 */
export const EQUIVALENCE_FLOOR = 0.01

/** A stretch of iterations between two change points (outliers left out of its figures). */
export interface Segment {
  /** First iteration (0-based index). */
  readonly start: number
  /** One past the last iteration. */
  readonly end: number
  /** Iterations in it that are not outliers. */
  readonly kept: number
  /** Mean of its non-outlier values. */
  readonly mean: number
  /** Variance (divisor n) of its non-outlier values. */
  readonly variance: number
}

/** Where a process's steady state starts and what it runs at. */
export interface SteadyState {
  /** Its first iteration, counted from 1 (the first iteration of the last segment). */
  readonly iteration: number
  /** Σ of the values before it (outliers included): the time it took, in values' units. */
  readonly before: number
  /** Mean of the last segment's non-outlier values. */
  readonly mean: number
}

/** What the classification found in one series, whatever its class. */
interface ProcessFindings {
  /** Iterations in the series. */
  readonly n: number
  /** Indexes of the outliers, left out of the segmentation. */
  readonly outliers: readonly number[]
  /** Indexes where PELT starts a new segment (before merging). */
  readonly changepoints: readonly number[]
  /** The segments after equivalent neighbours were merged, in order. */
  readonly segments: readonly Segment[]
}

/** One process classified: a steady state, or the status that it has none. */
export type ProcessWarmup =
  | (ProcessFindings & {
      readonly class: Exclude<ProcessClass, 'no-steady-state'>
      readonly steady: SteadyState
    })
  | (ProcessFindings & { readonly class: 'no-steady-state' })

/** Options of classifyProcess; every default is Barrett et al.'s, scaled to the series' length. */
export interface ClassifyOptions extends OutlierOptions {
  /** β per change point (default 15 · ln n, n the non-outlier iterations). */
  readonly penalty?: number
  /** The shortest PELT segment (default 2). */
  readonly minSegment?: number
  /** Share of the series the last segment must span (default 0.25). */
  readonly steadyShare?: number
  /** The smallest tolerance between equivalent means, relative to the median (default 0.01). */
  readonly equivalenceFloor?: number
}

/**
 * Classifies one process's iteration series (values in time per iteration, lower is faster) as
 * flat, warm-up, slow-down or no steady state (Barrett et al. 2017). Every value must be finite
 * and positive, and the series at least 4 long (throws bad-input otherwise: a caller decides what
 * is too short to measure warm-up, see analysis/warmup).
 * @example classifyProcess(process.values).class // 'warmup'
 */
export function classifyProcess(values: readonly number[], options: ClassifyOptions = {}): ProcessWarmup {
  const n = values.length
  if (n < 4) throw badInput(`Cannot classify a series of ${n} iterations: expected at least 4`)
  for (const v of values)
    if (!(v > 0 && Number.isFinite(v)))
      throw badInput(`Cannot classify a series holding ${v}: expected finite positive times`)
  const outliers = markOutliers(values, options)
  const isOutlier = new Uint8Array(n)
  for (const i of outliers) isOutlier[i] = 1
  const keptIndex: number[] = []
  for (let i = 0; i < n; i++) if (!isOutlier[i]) keptIndex.push(i)
  const kept = keptIndex.map((i) => values[i]!)
  const found = peltMeanVar(kept, {
    penalty: options.penalty ?? warmupPenalty(kept.length),
    minSegment: options.minSegment ?? DEFAULT_MIN_SEGMENT,
  })
  // A segment starts at its first kept iteration; an outlier before it belongs to the one before.
  const changepoints = found.map((k) => keptIndex[k]!)
  const scale = median(kept)
  const floor = (options.equivalenceFloor ?? EQUIVALENCE_FLOOR) * scale
  const raw = segmentsOf(values, { bounds: [0, ...changepoints, n], isOutlier })
  const segments = mergeEquivalent(values, { segments: raw, isOutlier, scale, floor })
  const findings = { n, outliers, changepoints, segments }
  const lastSegment = segments[segments.length - 1]!
  const steadyShare = options.steadyShare ?? STEADY_SHARE
  if (segments.length > 1 && n - lastSegment.start < Math.ceil(steadyShare * n))
    return { ...findings, class: 'no-steady-state' }
  const cls = classOf(segments, { scale, floor })
  const start = cls === 'flat' ? 0 : lastSegment.start
  let before = 0
  for (let i = 0; i < start; i++) before += values[i]!
  return {
    ...findings,
    class: cls,
    steady: { iteration: start + 1, before, mean: lastSegment.mean },
  }
}

/** Flat, warm-up or slow-down, from the merged segments of a series that has a steady state. */
function classOf(
  segments: readonly Segment[],
  band: { readonly scale: number; readonly floor: number },
): 'flat' | 'warmup' | 'slowdown' {
  const lastSegment = segments[segments.length - 1]!
  if (segments.every((s) => equivalent(s, lastSegment, band))) return 'flat'
  let fastest = segments[0]!
  for (const s of segments) if (s.mean < fastest.mean) fastest = s
  return fastest === lastSegment || equivalent(fastest, lastSegment, band) ? 'warmup' : 'slowdown'
}

/**
 * Whether two segments' means are equivalent: |μa − μb| ≤ max(floor, min(σ²a, σ²b) / scale).
 * Barrett et al. widen a segment's mean by its variance (at least 0.001 s) in seconds, for
 * iterations of about a second; dividing the variance by the series' median (`scale`) says the
 * same in the series' own unit, whatever an iteration lasts. The quieter segment's variance sets
 * the tolerance: a JIT's first iterations vary wildly, and their variance must not make the
 * warm-up segment equivalent to everything after it.
 */
export function equivalent(
  a: Segment,
  b: Segment,
  band: { readonly scale: number; readonly floor: number },
): boolean {
  const tolerance = Math.max(band.floor, Math.min(a.variance, b.variance) / band.scale)
  return Math.abs(a.mean - b.mean) <= tolerance
}

/** The segments between consecutive bounds, with the figures of their non-outlier values. */
function segmentsOf(
  values: readonly number[],
  at: { readonly bounds: readonly number[]; readonly isOutlier: Uint8Array },
): Segment[] {
  const out: Segment[] = []
  for (let k = 1; k < at.bounds.length; k++) {
    out.push(segment(values, { start: at.bounds[k - 1]!, end: at.bounds[k]!, isOutlier: at.isOutlier }))
  }
  return out
}

/** One segment's figures over its non-outlier values. */
function segment(
  values: readonly number[],
  span: { readonly start: number; readonly end: number; readonly isOutlier: Uint8Array },
): Segment {
  const xs: number[] = []
  for (let i = span.start; i < span.end; i++) if (!span.isOutlier[i]) xs.push(values[i]!)
  const m = mean(xs)
  let squares = 0
  for (const x of xs) squares += (x - m) * (x - m)
  return { start: span.start, end: span.end, kept: xs.length, mean: m, variance: squares / xs.length }
}

/**
 * Neighbouring segments merged while equivalent, left to right: a segment joins the one before
 * when its mean is equivalent to that one's (recomputed over the merged stretch), so a change in
 * variance alone, which PELT's cost also finds, does not split a steady state.
 */
function mergeEquivalent(
  values: readonly number[],
  state: {
    readonly segments: readonly Segment[]
    readonly isOutlier: Uint8Array
    readonly scale: number
    readonly floor: number
  },
): Segment[] {
  const out: Segment[] = []
  for (const s of state.segments) {
    const prev = out[out.length - 1]
    if (prev !== undefined && equivalent(prev, s, state)) {
      out[out.length - 1] = segment(values, { start: prev.start, end: s.end, isOutlier: state.isOutlier })
    } else out.push(s)
  }
  return out
}
