import { checkConfidence, checkSample } from './checks.ts'
import { mean, variance } from './descriptive.ts'
import { studentTQuantile, studentTTwoSidedP } from './distributions.ts'
import { type Insufficient, type IntervalResult, insufficient } from './result.ts'

/** A two-sample t-test of equal means (two-sided). */
export interface TTestResult {
  readonly kind: 't-test'
  /** mean(a) − mean(b) over its standard error; ±Infinity when both samples are constant. */
  readonly t: number
  /** Degrees of freedom: Welch–Satterthwaite for Welch, n₁ + n₂ − 2 for Student. */
  readonly dof: number
  /** Two-sided p-value; 0 when both samples are constant and differ, NaN when identical constants. */
  readonly p: number
  /** mean(a) − mean(b). */
  readonly meanDifference: number
  /** Standard error of meanDifference. */
  readonly stderr: number
}

/** Options of meanTInterval. */
export interface TIntervalOptions {
  /** Two-sided coverage, default 0.95. */
  readonly confidence?: number
}

/**
 * Student's t interval for the mean: mean ± t(1 − α/2, n − 1) · s/√n. Insufficient when n < 2
 * or a value is not finite; a constant sample gives a zero-width interval.
 * @example meanTInterval([1, 2, 3, 4, 5]) // { estimate: 3, low: 1.0367…, high: 4.9633… }
 */
export function meanTInterval(samples: readonly number[], options: TIntervalOptions = {}): IntervalResult {
  const confidence = options.confidence ?? 0.95
  checkConfidence(confidence, 'compute a t interval')
  const bad = checkSample(samples, 2, 'sample')
  if (bad) return bad
  const n = samples.length
  const m = mean(samples)
  const halfWidth = studentTQuantile(1 - (1 - confidence) / 2, n - 1) * Math.sqrt(variance(samples) / n)
  return { kind: 'interval', estimate: m, low: m - halfWidth, high: m + halfWidth, confidence, method: 't' }
}

/**
 * The same t interval as `meanTInterval` from a sample's moments (its mean, sample standard
 * deviation with n − 1, and size) when the values themselves are not at hand: a stored result's
 * summary of its per-process means.
 */
export function tIntervalFromMoments(
  moments: { readonly mean: number; readonly stdev: number; readonly n: number },
  options: TIntervalOptions = {},
): IntervalResult {
  const confidence = options.confidence ?? 0.95
  checkConfidence(confidence, 'compute a t interval')
  const { mean: m, stdev, n } = moments
  if (!(n >= 2) || !Number.isInteger(n)) return insufficient(`Need at least 2 sample values, found ${n}`)
  if (!Number.isFinite(m) || !Number.isFinite(stdev) || stdev < 0) {
    return insufficient(`The sample's mean (${m}) and standard deviation (${stdev}) must be finite`)
  }
  const halfWidth = tQuantileOfN(confidence, n) * (stdev / Math.sqrt(n))
  return { kind: 'interval', estimate: m, low: m - halfWidth, high: m + halfWidth, confidence, method: 't' }
}

/** Two-sided t quantiles by sample size, for the usual 95 %: a series' points mostly share a few sizes. */
const T95_BY_N = new Map<number, number>()

/** The two-sided `confidence` t quantile with n − 1 degrees of freedom (kept for 95 %, n ≤ 10,000). */
function tQuantileOfN(confidence: number, n: number): number {
  const q = () => studentTQuantile(1 - (1 - confidence) / 2, n - 1)
  if (confidence !== 0.95 || n > 10_000) return q()
  let t = T95_BY_N.get(n)
  if (t === undefined) {
    t = q()
    T95_BY_N.set(n, t)
  }
  return t
}

/** Welch–Satterthwaite degrees of freedom of a sum of independent variance terms v_i with dof_i. */
export function satterthwaiteDof(
  terms: readonly { readonly variance: number; readonly dof: number }[],
): number {
  let total = 0
  let denominator = 0
  for (const { variance: v, dof } of terms) {
    total += v
    // A zero-variance term carries no uncertainty, whatever its dof.
    if (v > 0) denominator += (v * v) / dof
  }
  return denominator > 0 ? (total * total) / denominator : Number.NaN
}

/** The test built from a difference and its standard error; handles the zero-error case as scipy does. */
function tTest(meanDifference: number, stderr: number, dof: number): TTestResult {
  if (stderr === 0) {
    // Both samples constant: the difference is certain. scipy.stats.ttest_ind([1,1,1],[2,2,2],
    // equal_var=False) → t = −inf, p = 0.0; identical constants → t = nan, p = nan.
    const t = meanDifference === 0 ? Number.NaN : Math.sign(meanDifference) * Number.POSITIVE_INFINITY
    return { kind: 't-test', t, dof, p: meanDifference === 0 ? Number.NaN : 0, meanDifference, stderr }
  }
  const t = meanDifference / stderr
  return { kind: 't-test', t, dof, p: studentTTwoSidedP(t, dof), meanDifference, stderr }
}

/** Checks both samples of a two-sample test. */
function checkTwo(a: readonly number[], b: readonly number[]): Insufficient | undefined {
  return checkSample(a, 2, 'first sample') ?? checkSample(b, 2, 'second sample')
}

/**
 * Welch's unequal-variances t-test (Welch 1947), two-sided, with Welch–Satterthwaite degrees of
 * freedom; matches scipy.stats.ttest_ind(a, b, equal_var=False) and R's t.test(a, b).
 * Insufficient when a sample has fewer than 2 values or a non-finite value. When both samples
 * are constant, dof is NaN (scipy reports 1.0 there) and t, p follow scipy.
 */
export function welchTTest(a: readonly number[], b: readonly number[]): TTestResult | Insufficient {
  const bad = checkTwo(a, b)
  if (bad) return bad
  const va = variance(a) / a.length
  const vb = variance(b) / b.length
  const dof = satterthwaiteDof([
    { variance: va, dof: a.length - 1 },
    { variance: vb, dof: b.length - 1 },
  ])
  return tTest(mean(a) - mean(b), Math.sqrt(va + vb), dof)
}

/**
 * Student's pooled-variance t-test, two-sided, dof = n₁ + n₂ − 2; matches
 * scipy.stats.ttest_ind(a, b) and R's t.test(a, b, var.equal = TRUE). pyperf's compare_to
 * uses this one. Insufficient as welchTTest.
 */
export function studentTTest(a: readonly number[], b: readonly number[]): TTestResult | Insufficient {
  const bad = checkTwo(a, b)
  if (bad) return bad
  const na = a.length
  const nb = b.length
  const dof = na + nb - 2
  const pooled = ((na - 1) * variance(a) + (nb - 1) * variance(b)) / dof
  return tTest(mean(a) - mean(b), Math.sqrt(pooled * (1 / na + 1 / nb)), dof)
}
