import { assertNever } from '../lib/index.ts'
import { checkSample } from './checks.ts'
import { normalCdf } from './distributions.ts'
import type { Insufficient } from './result.ts'

/** The alternative hypotheses of mannWhitneyU, named as scipy names them. */
export const ALTERNATIVES = ['two-sided', 'less', 'greater'] as const
/** One of ALTERNATIVES: 'less' means the first sample tends to be smaller. */
export type Alternative = (typeof ALTERNATIVES)[number]

/** How the p-value of mannWhitneyU is computed. */
export const MANN_WHITNEY_METHODS = ['auto', 'exact', 'asymptotic'] as const
/** One of MANN_WHITNEY_METHODS. */
export type MannWhitneyMethod = (typeof MANN_WHITNEY_METHODS)[number]

/** Options of mannWhitneyU; the defaults are scipy.stats.mannwhitneyu's. */
export interface MannWhitneyOptions {
  /** Default 'two-sided'. */
  readonly alternative?: Alternative
  /** Default 'auto': exact when a sample has ≤ 8 values and nothing is tied, else asymptotic. */
  readonly method?: MannWhitneyMethod
  /** Continuity correction of the normal approximation, default true. */
  readonly continuity?: boolean
}

/** The outcome of a Mann-Whitney U test. */
export interface MannWhitneyResult {
  readonly kind: 'mann-whitney'
  /** U of the first sample: the number of pairs (a, b) with a > b, ties counting ½ (as scipy). */
  readonly u: number
  readonly p: number
  /** The method actually used ('auto' resolved). */
  readonly method: 'exact' | 'asymptotic'
  readonly alternative: Alternative
}

/**
 * The Mann-Whitney U (Wilcoxon rank-sum) test, matching scipy.stats.mannwhitneyu (1.17):
 * U of the first sample from mid-ranks; with method 'auto', the exact null distribution
 * when either sample has at most 8 values and there are no ties, otherwise the normal
 * approximation with tie correction and (by default) continuity correction.
 * Insufficient when a sample is empty or holds a non-finite value (scipy raises on NaN and
 * ranks infinities; here both are refused).
 * @example mannWhitneyU([1, 2, 3], [4, 5, 6]) // { u: 0, p: 0.1, method: 'exact', … }
 */
export function mannWhitneyU(
  a: readonly number[],
  b: readonly number[],
  options: MannWhitneyOptions = {},
): MannWhitneyResult | Insufficient {
  const { alternative = 'two-sided', method = 'auto', continuity = true } = options
  const bad = checkSample(a, 1, 'first sample') ?? checkSample(b, 1, 'second sample')
  if (bad) return bad
  const n1 = a.length
  const n2 = b.length
  const { ranks, tieSizes } = midRanks([...a, ...b])
  let rankSum1 = 0
  for (let i = 0; i < n1; i++) rankSum1 += ranks[i]!
  const u1 = rankSum1 - (n1 * (n1 + 1)) / 2
  const u2 = n1 * n2 - u1
  // As scipy: every alternative becomes an upper-tail probability of one U, doubled for
  // two sides ('less' uses U₂'s upper tail, which by symmetry is U₁'s lower tail).
  let u: number
  let factor: number
  switch (alternative) {
    case 'greater':
      u = u1
      factor = 1
      break
    case 'less':
      u = u2
      factor = 1
      break
    case 'two-sided':
      u = Math.max(u1, u2)
      factor = 2
      break
    default:
      return assertNever(alternative)
  }
  const hasTies = tieSizes.length > 0
  const used: 'exact' | 'asymptotic' =
    method === 'auto' ? ((n1 > 8 && n2 > 8) || hasTies ? 'asymptotic' : 'exact') : method
  let tail: number
  if (used === 'exact') {
    // With ties (only when 'exact' is forced) U may end in .5; scipy truncates it to an integer.
    tail = exactUDistribution(n1, n2).survival(Math.floor(u))
  } else {
    const n = n1 + n2
    let tieTerm = 0
    for (const t of tieSizes) tieTerm += t * t * t - t
    const sd = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))))
    // Subtracting ½ always widens toward the observed U's own mass, since the p-value is an upper tail.
    const z = (u - (n1 * n2) / 2 - (continuity ? 0.5 : 0)) / sd
    tail = normalCdf(-z)
  }
  const p = Math.min(1, Math.max(0, factor * tail))
  return { kind: 'mann-whitney', u: u1, p, method: used, alternative }
}

/** Mid-ranks (1-based, ties averaged) and the sizes of the tie groups with more than one member. */
export function midRanks(values: readonly number[]): {
  readonly ranks: number[]
  readonly tieSizes: number[]
} {
  const order = values.map((_, i) => i).sort((i, j) => values[i]! - values[j]!)
  const ranks = new Array<number>(values.length)
  const tieSizes: number[] = []
  let start = 0
  while (start < order.length) {
    let end = start + 1
    while (end < order.length && values[order[end]!] === values[order[start]!]) end++
    // Positions start..end−1 hold equal values: each gets the mean of ranks start+1..end.
    const rank = (start + 1 + end) / 2
    for (let k = start; k < end; k++) ranks[order[k]!] = rank
    if (end - start > 1) tieSizes.push(end - start)
    start = end
  }
  return { ranks, tieSizes }
}

/** The exact null distribution of U for sample sizes n1, n2 (no ties). */
export interface UDistribution {
  /** P(U ≤ u). */
  cdf(u: number): number
  /** P(U ≥ u). */
  survival(u: number): number
}

/**
 * The exact null distribution of U, without ties: under H₀ all C(n₁+n₂, n₁) arrangements
 * are equally likely, and the number giving U = u is the coefficient of qᵘ in the Gaussian
 * binomial [n₁+n₂ choose m]_q, m = min(n₁, n₂): U counts the cells of a partition that fits
 * in an m × n box (Mann & Whitney 1947; Andrews, "The Theory of Partitions", 1976, ch. 3).
 * It is built as ∏ᵢ₌₁..ₘ (1 − q^{n+i}) / (1 − qⁱ), one factor at a time, so every
 * intermediate is itself a Gaussian binomial (positive, no large cancellation), and only up
 * to u = ⌊n₁n₂/2⌋ since the distribution is symmetric.
 * Cost O(m · n₁n₂) time, O(n₁n₂) memory.
 */
export function exactUDistribution(n1: number, n2: number): UDistribution {
  const m = Math.min(n1, n2)
  const n = Math.max(n1, n2)
  const product = m * n
  const half = Math.floor(product / 2)
  const counts = new Float64Array(half + 1)
  counts[0] = 1
  for (let i = 1; i <= m; i++) {
    // Multiply by (1 − q^{n+i}): descending so each term reads the previous polynomial.
    for (let k = half; k >= n + i; k--) counts[k]! -= counts[k - n - i]!
    // Divide by (1 − qⁱ): the inverse of multiplying, a running sum with stride i.
    for (let k = i; k <= half; k++) counts[k]! += counts[k - i]!
  }
  const cumulative = new Float64Array(half + 1)
  let running = 0
  for (let k = 0; k <= half; k++) {
    running += counts[k]!
    cumulative[k] = running
  }
  // Total C(n₁+n₂, m), from the symmetric halves, so the probabilities sum to exactly 1.
  const total = 2 * running - (product % 2 === 0 ? counts[half]! : 0)
  const cdf = (u: number): number => {
    if (u < 0) return 0
    if (u >= product) return 1
    const k = Math.floor(u)
    if (k <= half) return cumulative[k]! / total
    // P(U ≤ k) = 1 − P(U ≥ k + 1) = 1 − P(U ≤ n₁n₂ − k − 1) by symmetry.
    return 1 - cumulative[product - k - 1]! / total
  }
  return { cdf, survival: (u: number) => cdf(product - u) }
}
