import { badInput, quote } from '../lib/index.ts'

// Descriptive statistics of one sample. Each returns one number, and NaN when the sample
// cannot give one: empty input, any non-finite value (NaN or ±Infinity), or too few values
// (variance needs two). That is R's and numpy's convention, applied uniformly.

/** Values sorted ascending; only sortSamples() makes one, so quantile() need not re-sort. */
export type SortedSamples = readonly number[] & { readonly __sorted: unique symbol }

/** A sorted copy of `values` (ascending; NaN last). The input is not changed. */
export function sortSamples(values: readonly number[]): SortedSamples {
  const copy = values.slice()
  copy.sort((a, b) => {
    // Array.prototype.sort needs a consistent order: put NaN last instead of comparing it.
    if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : 1
    if (Number.isNaN(b)) return -1
    return a - b
  })
  return copy as readonly number[] as SortedSamples
}

/** True when every value is finite; the guard behind every NaN answer here. */
function allFinite(values: readonly number[]): boolean {
  for (const v of values) if (!Number.isFinite(v)) return false
  return true
}

/** Arithmetic mean; NaN when empty or any value is not finite. */
export function mean(values: readonly number[]): number {
  const n = values.length
  if (n === 0 || !allFinite(values)) return Number.NaN
  let sum = 0
  for (const v of values) sum += v
  const first = sum / n
  // A second pass adds the mean residual, recovering digits lost when large, close values
  // (instruction counts near 2.5e8) are summed; R's mean() refines its result the same way.
  let residual = 0
  for (const v of values) residual += v - first
  return first + residual / n
}

/** Sample variance with the n − 1 divisor (R's var, numpy's var(ddof=1)); NaN when n < 2. */
export function variance(values: readonly number[]): number {
  const n = values.length
  if (n < 2) return Number.NaN
  const m = mean(values)
  if (Number.isNaN(m)) return Number.NaN
  // Corrected two-pass algorithm (Chan, Golub & LeVeque 1983): the second term cancels the
  // rounding error of the computed mean.
  let squares = 0
  let residual = 0
  for (const v of values) {
    const d = v - m
    squares += d * d
    residual += d
  }
  return Math.max(0, (squares - (residual * residual) / n) / (n - 1))
}

/** Sample standard deviation, √variance (n − 1 divisor); NaN when n < 2. */
export function stdev(values: readonly number[]): number {
  return Math.sqrt(variance(values))
}

/**
 * The p-quantile of sorted samples by linear interpolation between order statistics:
 * Hyndman & Fan (1996) type 7, the default of R's quantile() and numpy's quantile().
 * NaN when empty or any value is not finite; throws bad-input when p is outside [0, 1].
 * @example quantile(sortSamples([1, 2, 3, 4]), 0.25) // 1.75
 */
export function quantile(sorted: SortedSamples, p: number): number {
  if (!(p >= 0 && p <= 1)) {
    throw badInput(`Cannot compute a quantile: expected a probability between 0 and 1, found ${quote(p)}`)
  }
  const n = sorted.length
  if (n === 0) return Number.NaN
  // Sorted ascending with NaN last, so checking both ends covers every non-finite value.
  if (!Number.isFinite(sorted[0]!) || !Number.isFinite(sorted[n - 1]!)) return Number.NaN
  const h = (n - 1) * p
  const lo = Math.floor(h)
  const below = sorted[lo]!
  if (lo >= n - 1) return below
  return below + (h - lo) * (sorted[lo + 1]! - below)
}

/** Median (type 7 quantile at 0.5: the mean of the two middle values when n is even). */
export function median(values: readonly number[]): number {
  return quantile(sortSamples(values), 0.5)
}

/**
 * Geometric mean, exp(mean(log x)); the right average of ratios. NaN when empty, when any
 * value is not finite or negative; 0 when a value is 0 (as scipy.stats.gmean).
 */
export function geometricMean(values: readonly number[]): number {
  if (values.length === 0 || !allFinite(values)) return Number.NaN
  let sumLog = 0
  for (const v of values) {
    if (v < 0) return Number.NaN
    sumLog += Math.log(v)
  }
  return Math.exp(sumLog / values.length)
}

/** R's consistency constant for the MAD (≈ 1 / Φ⁻¹(3/4)), so that mad estimates σ for normal data. */
export const MAD_NORMAL_SCALE = 1.4826

/**
 * Median absolute deviation from the median, scaled by 1.4826 as R's mad() does by default;
 * a spread estimate that ignores up to half the values being outliers. NaN when empty or any
 * value is not finite.
 */
export function mad(values: readonly number[]): number {
  const center = median(values)
  if (Number.isNaN(center)) return Number.NaN
  return MAD_NORMAL_SCALE * median(values.map((v) => Math.abs(v - center)))
}
