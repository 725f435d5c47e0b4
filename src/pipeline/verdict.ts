import { INSTRUCTION_MIN_EFFECT } from '../analysis/index.ts'
import { badInput, quote } from '../lib/index.ts'
import {
  exactComparison,
  logRatioStderr,
  mean,
  satterthwaiteDof,
  studentTQuantile,
  variance,
} from '../stats/index.ts'

// The decisions of bisection, pure: where a midpoint build sits between the two ends, and
// whether a culprit changes performance against its parent. Inputs are per-process means of one
// workload on each build, measured interleaved (the process is the unit of noise: docs/stats.md,
// "Why per-process means").
//
// Position of a midpoint. On log means ℓg, ℓm, ℓb (each the mean of the log process means, with
// variance vx = s²(log x)/nx), the midpoint's position between the ends is
//     f = (ℓm − ℓg) / (ℓb − ℓg) = d1 / d2,
// 0 when it performs like the good end, 1 like the bad end. Its standard error comes from the
// delta method (first-order Taylor expansion, e.g. Casella & Berger, Statistical Inference,
// 2nd ed., §5.5.4):
//     ∂f/∂ℓm = 1/d2,  ∂f/∂ℓb = −d1/d2²,  ∂f/∂ℓg = (d1 − d2)/d2²
//     Var f ≈ vm/d2² + vb·d1²/d2⁴ + vg·(d1 − d2)²/d2⁴,
// with Welch–Satterthwaite degrees of freedom over the three terms. The midpoint is "like good"
// when the upper bound of f's two-sided (1 − α) interval is below ½, "like bad" when the lower
// bound is above ½, otherwise undecided (measure more). α = 0.01, Pinpoint's significance level
// (Chromium's bisection service: Mann-Whitney and Kolmogorov-Smirnov at α = 0.01, repeats 10
// doubling to 160). The delta method needs d2 well away from 0, which is why a workload counts
// only when its ends themselves differ at the same α.
//
// Several workloads: each gives its own f; the decision uses their inverse-variance weighted mean
// (more processes, fewer rounds), unless two workloads are each clearly on opposite sides, which
// means the range holds more than one change: then the primary workload (the alert's largest
// change) decides alone and the verdict says so.

/** Two-sided significance of every bisection decision (Pinpoint). */
export const BISECT_ALPHA = 0.01

/** Where a midpoint sits between the ends: `f` with its interval (0 = like good, 1 = like bad). */
export interface PositionEstimate {
  readonly f: number
  readonly stderr: number
  readonly dof: number
  readonly low: number
  readonly high: number
}

/** The ends of one workload compared: log ratio bad/good with its (1 − α) interval. */
export interface EndsEstimate {
  readonly logRatio: number
  readonly stderr: number
  readonly dof: number
  /** exp of the interval's bounds: the ratio bad/good and its interval. */
  readonly ratio: number
  readonly ratioLow: number
  readonly ratioHigh: number
  /** True when the interval excludes 1: the ends differ. */
  readonly differ: boolean
}

/** What one midpoint is: like the good end, like the bad end, or not yet clear. */
export const MIDPOINT_CLASSES = ['like-good', 'like-bad', 'undecided'] as const
/** One of MIDPOINT_CLASSES. */
export type MidpointClass = (typeof MIDPOINT_CLASSES)[number]

/** Per-process means of one workload on the good end, the midpoint and the bad end. */
export interface WorkloadTriple {
  readonly workload: string
  readonly good: readonly number[]
  readonly mid: readonly number[]
  readonly bad: readonly number[]
}

/** One workload's part in a midpoint verdict. */
export interface WorkloadPosition {
  readonly workload: string
  readonly ends: EndsEstimate | null
  /** Null when the ends do not (yet) differ or a side has fewer than 2 processes. */
  readonly position: PositionEstimate | null
  readonly verdict: MidpointClass
}

/**
 * The verdict on a midpoint: a class, or `ends-same` when no workload's ends differ (nothing to
 * locate), with the pooled estimate it rests on and each workload's part.
 */
export interface MidpointVerdict {
  readonly verdict: MidpointClass | 'ends-same'
  readonly pooled: PositionEstimate | null
  /** True when workloads were each clearly on opposite sides; the primary one decided. */
  readonly split: boolean
  readonly workloads: readonly WorkloadPosition[]
}

function tQuantile(alpha: number, dof: number): number {
  // Infinite dof (no variance anywhere) gives the normal quantile; NaN dof has no interval.
  return studentTQuantile(1 - alpha / 2, Number.isNaN(dof) ? Number.POSITIVE_INFINITY : dof)
}

function checkAlpha(alpha: number): void {
  if (!(alpha > 0 && alpha < 1))
    throw badInput(`Cannot bisect with alpha ${quote(alpha)}: expected 0 < alpha < 1`)
}

/**
 * Log differences of aligned samples, side − base, when both sides have the same length ≥ 3 and
 * only positive values: the i-th values ran next to each other (interleaved rounds), so their
 * difference cancels the load the machine carried then. Null otherwise (callers fall back to
 * treating the sides as independent).
 */
function alignedLogDiffs(base: readonly number[], side: readonly number[]): number[] | null {
  if (base.length !== side.length || base.length < 3) return null
  if (![...base, ...side].every((x) => Number.isFinite(x) && x > 0)) return null
  return side.map((x, i) => Math.log(x) - Math.log(base[i] as number))
}

/** Sample covariance of two equally long series (divisor n − 1). */
function covariance(a: readonly number[], b: readonly number[]): number {
  const ma = mean(a)
  const mb = mean(b)
  let s = 0
  for (let i = 0; i < a.length; i++) s += ((a[i] as number) - ma) * ((b[i] as number) - mb)
  return s / (a.length - 1)
}

/** Options of the verdicts: α, and whether the i-th processes of every side ran next to each other. */
export interface VerdictOptions {
  readonly alpha?: number
  /**
   * The sides were measured in interleaved rounds (A B C / C B A): compare them round by round,
   * which cancels the machine's load during each round (default false: independent samples).
   * Sides of unequal length fall back to independent samples.
   */
  readonly interleaved?: boolean
}

/**
 * The ends of one workload: ratio bad/good of geometric means with its (1 − α) interval on logs:
 * Welch's, or with `interleaved` a t interval of the round-by-round log ratios (n − 1 dof).
 */
export function compareEnds(
  good: readonly number[],
  bad: readonly number[],
  options: VerdictOptions = {},
): EndsEstimate | null {
  const alpha = options.alpha ?? BISECT_ALPHA
  checkAlpha(alpha)
  const diffs = options.interleaved ? alignedLogDiffs(good, bad) : null
  const e = diffs
    ? {
        kind: 'log-ratio' as const,
        logRatio: mean(diffs),
        stderr: Math.sqrt(variance(diffs) / diffs.length),
        dof: diffs.length - 1,
      }
    : logRatioStderr(good, bad)
  if (e.kind === 'insufficient') return null
  const half = e.stderr === 0 ? 0 : tQuantile(alpha, e.dof) * e.stderr
  return {
    logRatio: e.logRatio,
    stderr: e.stderr,
    dof: e.dof,
    ratio: Math.exp(e.logRatio),
    ratioLow: Math.exp(e.logRatio - half),
    ratioHigh: Math.exp(e.logRatio + half),
    differ: e.logRatio !== 0 && Math.abs(e.logRatio) > half,
  }
}

function logMoments(xs: readonly number[]): { m: number; v: number; n: number } | null {
  if (xs.length < 2 || !xs.every((x) => Number.isFinite(x) && x > 0)) return null
  const logs = xs.map(Math.log)
  return { m: mean(logs), v: variance(logs) / logs.length, n: logs.length }
}

/**
 * Where `mid` sits between `good` (0) and `bad` (1), f = (ℓm − ℓg)/(ℓb − ℓg) on log means, with
 * its delta-method standard error and (1 − α) interval; null when a side has fewer than 2
 * positive values or the ends have equal means.
 */
export function midpointPosition(
  good: readonly number[],
  mid: readonly number[],
  bad: readonly number[],
  options: VerdictOptions = {},
): PositionEstimate | null {
  const alpha = options.alpha ?? BISECT_ALPHA
  checkAlpha(alpha)
  const a1 = options.interleaved ? alignedLogDiffs(good, mid) : null
  const a2 = options.interleaved ? alignedLogDiffs(good, bad) : null
  if (a1 !== null && a2 !== null) {
    // Round by round: d1 = ℓm − ℓg and d2 = ℓb − ℓg share each round's load; by the delta method
    // Var f ≈ (V11 − 2 f V12 + f² V22) / d̄2², Vjk = cov(dj, dk)/n, with n − 1 dof.
    const n = a1.length
    const d1 = mean(a1)
    const d2 = mean(a2)
    if (d2 === 0) return null
    const f = d1 / d2
    const varF = Math.max(
      0,
      (variance(a1) - 2 * f * covariance(a1, a2) + f * f * variance(a2)) / n / (d2 * d2),
    )
    const stderr = Math.sqrt(varF)
    const dof = n - 1
    const half = stderr === 0 ? 0 : tQuantile(alpha, dof) * stderr
    return { f, stderr, dof, low: f - half, high: f + half }
  }
  const g = logMoments(good)
  const m = logMoments(mid)
  const b = logMoments(bad)
  if (g === null || m === null || b === null) return null
  const d1 = m.m - g.m
  const d2 = b.m - g.m
  if (d2 === 0) return null
  const d2sq = d2 * d2
  const terms = [
    { variance: m.v / d2sq, dof: m.n - 1 },
    { variance: (b.v * d1 * d1) / (d2sq * d2sq), dof: b.n - 1 },
    { variance: (g.v * (d1 - d2) * (d1 - d2)) / (d2sq * d2sq), dof: g.n - 1 },
  ]
  const varF = terms.reduce((s, t) => s + t.variance, 0)
  const stderr = Math.sqrt(varF)
  const dof = satterthwaiteDof(terms)
  const f = d1 / d2
  const half = stderr === 0 ? 0 : tQuantile(alpha, dof) * stderr
  return { f, stderr, dof, low: f - half, high: f + half }
}

/** like-good when the interval lies below ½, like-bad when above, else undecided. */
export function classifyPosition(p: PositionEstimate): MidpointClass {
  if (p.high < 0.5) return 'like-good'
  if (p.low > 0.5) return 'like-bad'
  return 'undecided'
}

/** Inverse-variance weighted mean of positions; a zero-error estimate wins outright. */
export function poolPositions(
  estimates: readonly PositionEstimate[],
  options: { readonly alpha?: number } = {},
): PositionEstimate | null {
  const alpha = options.alpha ?? BISECT_ALPHA
  if (estimates.length === 0) return null
  if (estimates.length === 1) return estimates[0] as PositionEstimate
  const exact = estimates.find((e) => e.stderr === 0)
  if (exact) return exact
  let wSum = 0
  let fSum = 0
  for (const e of estimates) {
    const w = 1 / (e.stderr * e.stderr)
    wSum += w
    fSum += w * e.f
  }
  const f = fSum / wSum
  const stderr = Math.sqrt(1 / wSum)
  // The smallest of the workloads' degrees of freedom: conservative, as the pooled error
  // inherits the least certain variance estimate among those that carry weight.
  const dof = Math.min(...estimates.map((e) => (Number.isNaN(e.dof) ? Number.POSITIVE_INFINITY : e.dof)))
  const half = tQuantile(alpha, dof) * stderr
  return { f, stderr, dof, low: f - half, high: f + half }
}

/**
 * Judges a midpoint from every affected workload: workloads whose ends differ each give a
 * position; their pooled position decides, unless two are each clearly on opposite sides, when
 * `primary` (the alert's largest change; else the first workload with a position) decides alone.
 */
export function judgeMidpoint(
  triples: readonly WorkloadTriple[],
  options: VerdictOptions & { readonly primary?: string } = {},
): MidpointVerdict {
  const alpha = options.alpha ?? BISECT_ALPHA
  const interleaved = options.interleaved === true
  const workloads: WorkloadPosition[] = triples.map((t) => {
    const ends = compareEnds(t.good, t.bad, { alpha, interleaved })
    const position = ends?.differ ? midpointPosition(t.good, t.mid, t.bad, { alpha, interleaved }) : null
    return {
      workload: t.workload,
      ends,
      position,
      verdict: position ? classifyPosition(position) : 'undecided',
    }
  })
  return decideMidpoint(workloads, options.primary, (ps) => poolPositions(ps, { alpha })!)
}

/**
 * The midpoint's verdict from its workloads' parts: ends-same when none is placed; the primary
 * workload's (else the first placed) when they are each on opposite sides; else `pool`'s.
 */
function decideMidpoint(
  workloads: readonly WorkloadPosition[],
  primary: string | undefined,
  pool: (positions: readonly PositionEstimate[]) => PositionEstimate,
): MidpointVerdict {
  const located = workloads.filter((w) => w.position !== null)
  if (located.length === 0) return { verdict: 'ends-same', pooled: null, split: false, workloads }
  const split =
    located.some((w) => w.verdict === 'like-good') && located.some((w) => w.verdict === 'like-bad')
  if (split) {
    const lead = located.find((w) => w.workload === primary) ?? located[0]!
    return { verdict: lead.verdict, pooled: lead.position, split: true, workloads }
  }
  const pooled = pool(located.map((w) => w.position!))
  return { verdict: classifyPosition(pooled), pooled, split: false, workloads }
}

/** One workload of a culprit check: its ratio child/parent with the (1 − α) interval. */
export interface CulpritWorkload {
  readonly workload: string
  readonly estimate: EndsEstimate | null
  /** +1 when the workload got slower at the bad end (larger values), −1 faster. */
  readonly expectedSign: 1 | -1
}

/** One workload measured on a culprit and its parent, with the direction the ends moved. */
export interface CulpritPair {
  readonly workload: string
  readonly parent: readonly number[]
  readonly child: readonly number[]
  /** +1 when the workload got slower at the bad end (larger values), −1 faster. */
  readonly expectedSign: 1 | -1
}

/** Whether a culprit shows the change against its parent, in the expected direction. */
export interface CulpritVerdict {
  readonly verdict: 'confirmed' | 'contradicted' | 'undecided'
  /** Pooled signed log ratio (positive = in the expected direction) with its interval. */
  readonly pooled: { readonly logRatio: number; readonly low: number; readonly high: number } | null
  readonly workloads: readonly CulpritWorkload[]
}

/**
 * Checks `child` against `parent` for each workload: confirmed when the pooled log ratio, signed
 * so that positive is the direction the ends moved, has an interval above 0; contradicted when
 * below 0 (the parent already has the change, or the child undoes it); else undecided.
 */
export function judgeCulprit(pairs: readonly CulpritPair[], options: VerdictOptions = {}): CulpritVerdict {
  const alpha = options.alpha ?? BISECT_ALPHA
  checkAlpha(alpha)
  const workloads: CulpritWorkload[] = pairs.map((p) => ({
    workload: p.workload,
    estimate: compareEnds(p.parent, p.child, { alpha, interleaved: options.interleaved === true }),
    expectedSign: p.expectedSign,
  }))
  const usable = workloads.filter((w) => w.estimate !== null)
  if (usable.length === 0) return { verdict: 'undecided', pooled: null, workloads }
  let wSum = 0
  let sum = 0
  let dof = Number.POSITIVE_INFINITY
  for (const w of usable) {
    const e = w.estimate!
    if (e.stderr === 0) {
      wSum = Number.POSITIVE_INFINITY
      sum = w.expectedSign * e.logRatio
      dof = Number.POSITIVE_INFINITY
      break
    }
    const weight = 1 / (e.stderr * e.stderr)
    wSum += weight
    sum += weight * w.expectedSign * e.logRatio
    if (!Number.isNaN(e.dof)) dof = Math.min(dof, e.dof)
  }
  const logRatio = wSum === Number.POSITIVE_INFINITY ? sum : sum / wSum
  const stderr = wSum === Number.POSITIVE_INFINITY ? 0 : Math.sqrt(1 / wSum)
  const half = stderr === 0 ? 0 : tQuantile(alpha, dof) * stderr
  const pooled = { logRatio, low: logRatio - half, high: logRatio + half }
  const verdict = pooled.low > 0 ? 'confirmed' : pooled.high < 0 ? 'contradicted' : 'undecided'
  return { verdict, pooled, workloads }
}

// Exact verdicts: one instruction count per build and workload (`langperf bisect --measure
// instructions`). A count repeats exactly, so there is no interval to estimate and no round to
// add: the ends differ when their ratio is at least INSTRUCTION_MIN_EFFECT (0.5 %) from 1, as
// `compare` calls a change of two counts (stats exactComparison); the midpoint is like the end
// its count is nearer on the log scale (f < ½ or f > ½, f exact); a culprit is confirmed when it
// differs from its parent by the same threshold in the direction the ends moved.

/** Options of the exact verdicts: the smallest |ratio − 1| called a change (default 0.5 %). */
export interface ExactVerdictOptions {
  readonly minEffect?: number
  /** With `judgeMidpointExact`: the workload that decides when workloads are on opposite sides. */
  readonly primary?: string
}

/** The one count of a side, or null when it has none, several, or a value that is not positive. */
function oneCount(xs: readonly number[]): number | null {
  const x = xs.length === 1 ? (xs[0] as number) : null
  return x !== null && Number.isFinite(x) && x > 0 ? x : null
}

function checkMinEffect(minEffect: number): void {
  if (!(minEffect >= 0 && minEffect < 1))
    throw badInput(`Cannot bisect with a threshold of ${quote(minEffect)}: expected 0 ≤ threshold < 1`)
}

/** Two counts compared exactly: the ratio b/a with a zero-width interval; differ by the threshold. */
export function compareCountsExact(
  a: readonly number[],
  b: readonly number[],
  minEffect: number = INSTRUCTION_MIN_EFFECT,
): EndsEstimate | null {
  checkMinEffect(minEffect)
  const x = oneCount(a)
  const y = oneCount(b)
  if (x === null || y === null) return null
  const c = exactComparison(x, y, { minEffect })
  if (c.kind !== 'comparison') return null
  const logRatio = Math.log(c.ratio)
  return {
    logRatio,
    stderr: 0,
    dof: Number.POSITIVE_INFINITY,
    ratio: c.ratio,
    ratioLow: c.ratio,
    ratioHigh: c.ratio,
    differ: c.verdict === 'slower' || c.verdict === 'faster',
  }
}

/**
 * Judges a midpoint from one count per build of each workload: each workload whose ends differ
 * by the threshold places the midpoint at f = (ℓm − ℓg)/(ℓb − ℓg), like-good below ½, like-bad
 * above, undecided at exactly ½; several workloads decide by their mean f, unless they are on
 * opposite sides, when `primary` (else the first placed) decides alone.
 */
export function judgeMidpointExact(
  triples: readonly WorkloadTriple[],
  options: ExactVerdictOptions = {},
): MidpointVerdict {
  const minEffect = options.minEffect ?? INSTRUCTION_MIN_EFFECT
  const workloads: WorkloadPosition[] = triples.map((t) => {
    const ends = compareCountsExact(t.good, t.bad, minEffect)
    const m = oneCount(t.mid)
    const position =
      ends?.differ && m !== null ? exactPosition(Math.log(m / oneCount(t.good)!) / ends.logRatio) : null
    return {
      workload: t.workload,
      ends,
      position,
      verdict: position ? classifyPosition(position) : 'undecided',
    }
  })
  return decideMidpoint(workloads, options.primary, (ps) => exactPosition(mean(ps.map((p) => p.f))))
}

/** A position known exactly: no error, its interval the point itself. */
function exactPosition(f: number): PositionEstimate {
  return { f, stderr: 0, dof: Number.POSITIVE_INFINITY, low: f, high: f }
}

/**
 * Checks `child` against `parent` from one count each per workload: a workload confirms when its
 * ratio child/parent is at least the threshold from 1 in its expected direction, contradicts when
 * it is beyond the threshold the other way. Confirmed when some workload confirms and none
 * contradicts, contradicted when some contradicts and none confirms, else undecided (no change,
 * or workloads disagree). `pooled` is the mean signed log ratio (a point: low = high).
 */
export function judgeCulpritExact(
  pairs: readonly CulpritPair[],
  options: ExactVerdictOptions = {},
): CulpritVerdict {
  const minEffect = options.minEffect ?? INSTRUCTION_MIN_EFFECT
  const workloads: CulpritWorkload[] = pairs.map((p) => ({
    workload: p.workload,
    estimate: compareCountsExact(p.parent, p.child, minEffect),
    expectedSign: p.expectedSign,
  }))
  const usable = workloads.filter((w) => w.estimate !== null)
  if (usable.length === 0) return { verdict: 'undecided', pooled: null, workloads }
  const signed = usable.map((w) =>
    w.estimate!.differ ? Math.sign(w.expectedSign * w.estimate!.logRatio) : 0,
  )
  const confirms = signed.some((s) => s > 0)
  const contradicts = signed.some((s) => s < 0)
  const logRatio = mean(usable.map((w) => w.expectedSign * w.estimate!.logRatio))
  const verdict =
    confirms && !contradicts ? 'confirmed' : contradicts && !confirms ? 'contradicted' : 'undecided'
  return { verdict, pooled: { logRatio, low: logRatio, high: logRatio }, workloads }
}
