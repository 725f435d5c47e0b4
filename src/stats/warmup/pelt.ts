import { badInput } from '../../lib/index.ts'
import { median } from '../descriptive.ts'

// PELT, Pruned Exact Linear Time (Killick, Fearnhead & Eckley 2012, JASA 107(500)): the
// segmentation of a series that minimises Σ cost(segment) + β · (number of change points),
// found exactly by dynamic programming (optimal partitioning, Jackson et al. 2005) whose
// candidate last change points are pruned once they can never be optimal again.
//
// The cost is the normal change in mean and variance of R's changepoint package (cpt.meanvar,
// test.stat = "Normal"), which Barrett et al. (OOPSLA 2017) used with the penalty 15 · ln n:
// twice the negative maximised log-likelihood of the segment under N(μ, σ²),
//   cost(y_{a..b}) = m · (ln 2π + ln σ̂² + 1),   m = b − a, σ̂² = Σ(y − ȳ)² / m (the MLE).
// Σ m over segments is n whatever the segmentation, so the m · (ln 2π + 1) part is a constant
// and is left out. A segment of equal values has σ̂² = 0 and cost −∞; so σ² is held at or above
// a floor v₀, and the cost is the exact constrained optimum, m · (ln v + σ̂²/v) with
// v = max(σ̂², v₀), which keeps PELT's pruning rule valid (splitting a segment never costs more).
// Values are first divided by the series' median, so the floor is relative (the cost of a
// segmentation then moves by a constant n · ln median², which changes nothing).

/** Barrett et al.'s penalty per change point: 15 · ln n. */
export const WARMUP_PENALTY_PER_LOG_N = 15
/** The shortest segment (R changepoint's default minseglen for cpt.meanvar). */
export const DEFAULT_MIN_SEGMENT = 2
/**
 * The floor of a segment's variance relative to the squared median (σ/median = 10⁻⁶), only to
 * keep the logarithm finite for runs of equal values; real timings vary by far more.
 */
export const RELATIVE_VARIANCE_FLOOR = 1e-12

/** Options of peltMeanVar. */
export interface PeltOptions {
  /** β, added per change point (Barrett et al.: 15 · ln n, `warmupPenalty(n)`). */
  readonly penalty: number
  /** The shortest segment (default 2). */
  readonly minSegment?: number
}

/** Barrett et al.'s penalty for a series of n values: 15 · ln n. */
export function warmupPenalty(n: number): number {
  return WARMUP_PENALTY_PER_LOG_N * Math.log(Math.max(n, 1))
}

/**
 * The normal mean-and-variance cost of every segment of one series, in O(1) each from prefix
 * sums. `cost(a, b)` is the cost of values a … b − 1, as documented above.
 */
export class MeanVarCost {
  readonly n: number
  private readonly sums: Float64Array
  private readonly squares: Float64Array

  constructor(values: readonly number[]) {
    this.n = values.length
    const scale = Math.abs(median(values)) || 1
    this.sums = new Float64Array(this.n + 1)
    this.squares = new Float64Array(this.n + 1)
    for (let i = 0; i < this.n; i++) {
      // Centred on 1 after scaling, so the prefix sums of squares lose few digits.
      const z = values[i]! / scale - 1
      this.sums[i + 1] = this.sums[i]! + z
      this.squares[i + 1] = this.squares[i]! + z * z
    }
  }

  /** The cost of values a … b − 1 (b > a). */
  cost(a: number, b: number): number {
    const m = b - a
    const s = this.sums[b]! - this.sums[a]!
    const variance = Math.max(0, (this.squares[b]! - this.squares[a]! - (s * s) / m) / m)
    const v = Math.max(variance, RELATIVE_VARIANCE_FLOOR)
    return m * (Math.log(v) + variance / v)
  }
}

/** Checks PELT's options for a series, throwing bad-input on a programmer's error. */
function checkOptions(options: PeltOptions): number {
  const minSegment = options.minSegment ?? DEFAULT_MIN_SEGMENT
  if (!Number.isInteger(minSegment) || minSegment < 1)
    throw badInput(`Cannot segment with a minimum segment of ${minSegment}: expected an integer ≥ 1`)
  if (!(options.penalty >= 0))
    throw badInput(`Cannot segment with the penalty ${options.penalty}: expected a number ≥ 0`)
  return minSegment
}

/** A candidate last change point and the time from which it may be dropped. */
interface Candidate {
  readonly tau: number
  dropAt: number
}

/**
 * The change points of `values` under the normal mean-and-variance cost: the indexes where a new
 * segment starts (ascending, never 0), each segment at least `minSegment` long. Exact: the same
 * answer as optimal partitioning over every segmentation, in about linear time when the series
 * has change points throughout. Every value must be finite (throws bad-input otherwise).
 * @example peltMeanVar(values, { penalty: warmupPenalty(values.length) })
 */
export function peltMeanVar(values: readonly number[], options: PeltOptions): number[] {
  const minSegment = checkOptions(options)
  for (const v of values)
    if (!Number.isFinite(v)) throw badInput(`Cannot segment a series holding ${v}: expected finite values`)
  const n = values.length
  if (n < 2 * minSegment) return []
  const cost = new MeanVarCost(values)
  const beta = options.penalty
  // best[t]: the least penalised cost of values 0 … t − 1; last[t]: its last change point.
  const best = new Float64Array(n + 1).fill(Number.POSITIVE_INFINITY)
  const last = new Int32Array(n + 1)
  best[0] = -beta
  let candidates: Candidate[] = [{ tau: 0, dropAt: Number.POSITIVE_INFINITY }]
  for (let t = minSegment; t <= n; t++) {
    let min = Number.POSITIVE_INFINITY
    let arg = 0
    for (const c of candidates) {
      if (t - c.tau < minSegment) continue
      const value = best[c.tau]! + cost.cost(c.tau, t) + beta
      if (value < min) {
        min = value
        arg = c.tau
      }
    }
    best[t] = min
    last[t] = arg
    // Pruning (Killick et al., Theorem 3.1 with K = 0): once best[τ] + cost(τ, t) > best[t], τ
    // is never the optimal last change point at any T ≥ t + minSegment (then t can be one, and
    // splitting τ … T at t costs no more). Before that, a segment from t is too short, so τ stays.
    for (const c of candidates) {
      if (c.dropAt === Number.POSITIVE_INFINITY && t - c.tau >= minSegment) {
        if (best[c.tau]! + cost.cost(c.tau, t) > min) c.dropAt = t + minSegment
      }
    }
    candidates = candidates.filter((c) => c.dropAt > t + 1)
    // t becomes a candidate change point: 0 … t − 1 has a segmentation (t ≥ minSegment).
    candidates.push({ tau: t, dropAt: Number.POSITIVE_INFINITY })
  }
  const changes: number[] = []
  for (let t = n; t > 0; t = last[t]!) if (last[t]! > 0) changes.push(last[t]!)
  return changes.reverse()
}

/**
 * The penalised cost of one segmentation of `values` (β per change point plus each segment's
 * cost), for checking PELT against an exhaustive search.
 */
export function segmentationCost(
  values: readonly number[],
  changes: readonly number[],
  penalty: number,
): number {
  const cost = new MeanVarCost(values)
  const bounds = [0, ...changes, values.length]
  let total = penalty * changes.length
  for (let i = 1; i < bounds.length; i++) total += cost.cost(bounds[i - 1]!, bounds[i]!)
  return total
}
