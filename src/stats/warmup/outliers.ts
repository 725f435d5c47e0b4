import { badInput } from '../../lib/index.ts'
import { median, quantile, sortSamples } from '../descriptive.ts'

// Outliers of one in-process iteration series, as Barrett et al. (OOPSLA 2017, §4.1) mark them
// before looking for change points: an iteration is an outlier when it lies farther than
// 3 × (P90 − P10) from the median of a rolling window of iterations (200 of their 2000). A spike
// (a collection, a neighbour's burst) is then left out of the segmentation instead of carving a
// segment of its own. docs/stats.md, "Warm-up", says what was chosen where the paper is silent.

/** Share of the series one rolling window spans: Barrett et al.'s 200 of 2000 iterations. */
export const OUTLIER_WINDOW_SHARE = 0.1
/** The smallest window: fewer iterations give no usable P10 and P90. */
export const MIN_OUTLIER_WINDOW = 10
/** How many inter-decile ranges from the rolling median make an outlier (Barrett et al.: 3). */
export const OUTLIER_MULTIPLIER = 3

/** The rolling window for a series of n iterations: 10 % of it (200 of 2000), at least 10. */
export function outlierWindow(n: number): number {
  return Math.max(MIN_OUTLIER_WINDOW, Math.round(n * OUTLIER_WINDOW_SHARE))
}

/** Options of markOutliers. */
export interface OutlierOptions {
  /** Iterations in the rolling window (default outlierWindow(n)). */
  readonly window?: number
  /** Inter-decile ranges from the median (default 3). */
  readonly multiplier?: number
}

/**
 * The indexes of the outliers of `values` (ascending). Iteration i is an outlier when it lies
 * outside median ± multiplier × (P90 − P10) of the window of `window` iterations centred on it
 * (moved inwards at either end of the series so it stays full). The slow iterations a series
 * starts with are never outliers: those before the first iteration at or below the series' median,
 * at most `window` of them (Barrett et al. leave the first 200 of 2000 unchecked). That is where a
 * JIT warms up, and its first, far slower iterations are the signal, not noise; ending the
 * exemption where the series first reaches its usual level, rather than at a fixed count, keeps a
 * spiky warm-up from being cut in two at the window's end (kept spikes before it, none after).
 * Centred rather than trailing, so that the iterations just after a genuine step are judged
 * against a window that already holds the new level, instead of being cut as outliers for half a
 * window. A series shorter than two windows has no outliers.
 * @example markOutliers(values, { window: 30 })
 */
export function markOutliers(values: readonly number[], options: OutlierOptions = {}): number[] {
  const n = values.length
  const window = options.window ?? outlierWindow(n)
  const multiplier = options.multiplier ?? OUTLIER_MULTIPLIER
  if (!Number.isInteger(window) || window < 3)
    throw badInput(`Cannot mark outliers with a window of ${window}: expected an integer of at least 3`)
  if (!(multiplier > 0))
    throw badInput(`Cannot mark outliers at ${multiplier} ranges: expected a positive number`)
  const out: number[] = []
  if (n < 2 * window) return out
  const level = median(values)
  let first = 0
  while (first < window && values[first]! > level) first++
  const half = Math.floor(window / 2)
  for (let i = first; i < n; i++) {
    const from = Math.max(0, Math.min(i - half, n - window))
    const sorted = sortSamples(values.slice(from, from + window))
    const centre = quantile(sorted, 0.5)
    const reach = multiplier * (quantile(sorted, 0.9) - quantile(sorted, 0.1))
    const v = values[i]!
    if (v < centre - reach || v > centre + reach) out.push(i)
  }
  return out
}
