import { assertNever, type Rng, randomInt } from '../lib/index.ts'
import { checkConfidence, checkResamples, checkSample } from './checks.ts'
import { quantile, type SortedSamples, sortSamples } from './descriptive.ts'
import { normalCdf, normalQuantile } from './distributions.ts'
import { type Insufficient, type IntervalResult, insufficient } from './result.ts'

/** Bootstrap interval methods: Efron's percentile, or bias-corrected and accelerated (BCa). */
export const BOOTSTRAP_METHODS = ['percentile', 'bca'] as const
/** One of BOOTSTRAP_METHODS. */
export type BootstrapMethod = (typeof BOOTSTRAP_METHODS)[number]

/** A statistic of one sample, e.g. `mean`; it must not keep or change the array it is given. */
export type Statistic = (sample: readonly number[]) => number

/** Options of bootstrapCi. */
export interface BootstrapOptions {
  /** The only source of randomness: same seed, same interval. */
  readonly rng: Rng
  /** Number of resamples, default 2000. */
  readonly resamples?: number
  /** Two-sided coverage, default 0.95. */
  readonly confidence?: number
  /** Default 'bca'. */
  readonly method?: BootstrapMethod
}

/** Draws n values from `values` with replacement. */
export function resample(values: readonly number[], rng: Rng): number[] {
  const n = values.length
  const out = new Array<number>(n)
  for (let i = 0; i < n; i++) out[i] = values[randomInt(rng, n)]!
  return out
}

/**
 * A bootstrap confidence interval for `statistic` of `samples` (Efron & Tibshirani 1993).
 * 'percentile' takes the α/2 and 1 − α/2 quantiles (type 7) of the resampled statistics;
 * 'bca' moves those levels by a bias correction z₀ and an acceleration a estimated by the
 * jackknife (Efron 1987), which makes the interval second-order accurate for smooth
 * statistics such as the mean. Insufficient when n < 2, a value or a statistic is not finite,
 * or (BCa only) every resampled statistic lies on one side of the estimate.
 * @example bootstrapCi(processMeans, mean, { rng: createRng(42) })
 */
export function bootstrapCi(
  samples: readonly number[],
  statistic: Statistic,
  options: BootstrapOptions,
): IntervalResult {
  const { rng, resamples = 2000, confidence = 0.95, method = 'bca' } = options
  checkConfidence(confidence, 'compute a bootstrap interval')
  checkResamples(resamples, 'compute a bootstrap interval')
  const bad = checkSample(samples, 2, 'sample')
  if (bad) return bad
  const estimate = statistic(samples)
  if (!Number.isFinite(estimate))
    return insufficient(`The statistic of the sample is not finite (${estimate})`)
  const replicates = new Array<number>(resamples)
  for (let b = 0; b < resamples; b++) {
    const value = statistic(resample(samples, rng))
    if (!Number.isFinite(value))
      return insufficient(`The statistic of resample ${b} is not finite (${value})`)
    replicates[b] = value
  }
  const sorted = sortSamples(replicates)
  const alpha = (1 - confidence) / 2
  switch (method) {
    case 'percentile':
      return intervalAt(
        sorted,
        { low: alpha, high: 1 - alpha },
        { estimate, confidence, method: 'percentile' },
      )
    case 'bca': {
      const levels = bcaLevels(sorted, estimate, jackknife(samples, statistic), alpha)
      if (levels.kind === 'insufficient') return levels
      return intervalAt(sorted, levels, { estimate, confidence, method: 'bca' })
    }
    default:
      return assertNever(method)
  }
}

/**
 * The interval between the `levels.low` and `levels.high` quantiles of the sorted replicates,
 * labelled with the sample's estimate and the confidence and method it was built with.
 */
function intervalAt(
  sorted: SortedSamples,
  levels: { readonly low: number; readonly high: number },
  label: { readonly estimate: number; readonly confidence: number; readonly method: 'percentile' | 'bca' },
): IntervalResult {
  return {
    kind: 'interval',
    estimate: label.estimate,
    low: quantile(sorted, levels.low),
    high: quantile(sorted, levels.high),
    confidence: label.confidence,
    method: label.method,
  }
}

/** The statistic of each leave-one-out sample. */
export function jackknife(samples: readonly number[], statistic: Statistic): number[] {
  const out: number[] = []
  for (let i = 0; i < samples.length; i++) {
    out.push(statistic([...samples.slice(0, i), ...samples.slice(i + 1)]))
  }
  return out
}

/** BCa's quantile levels and the two corrections behind them. */
export interface BcaLevels {
  readonly kind: 'levels'
  /** Quantile level of the lower end (α/2 for the percentile interval). */
  readonly low: number
  /** Quantile level of the upper end (1 − α/2 for the percentile interval). */
  readonly high: number
  /** Bias correction z₀. */
  readonly z0: number
  /** Acceleration a. */
  readonly acceleration: number
}

/**
 * BCa's adjusted quantile levels (Efron 1987; Efron & Tibshirani 1993, §14.3):
 * z₀ = Φ⁻¹(share of replicates below the estimate), counting ties as half, as scipy does;
 * a = Σ(θ̄ − θᵢ)³ / (6 (Σ(θ̄ − θᵢ)²)^{3/2}) over the jackknife values θᵢ;
 * level(z) = Φ(z₀ + (z₀ + z) / (1 − a (z₀ + z))) for z = Φ⁻¹(α) and Φ⁻¹(1 − α).
 */
export function bcaLevels(
  sortedReplicates: SortedSamples,
  estimate: number,
  jackknifeValues: readonly number[],
  alpha: number,
): BcaLevels | Insufficient {
  const b = sortedReplicates.length
  let below = 0
  let atOrBelow = 0
  for (const v of sortedReplicates) {
    if (v < estimate) below++
    if (v <= estimate) atOrBelow++
  }
  const share = (below + atOrBelow) / (2 * b)
  if (share <= 0 || share >= 1) {
    return insufficient('BCa is undefined: every bootstrap statistic lies on one side of the estimate')
  }
  const z0 = normalQuantile(share)
  const n = jackknifeValues.length
  let center = 0
  for (const v of jackknifeValues) center += v / n
  let cubes = 0
  let squares = 0
  for (const v of jackknifeValues) {
    const d = center - v
    squares += d * d
    cubes += d * d * d
  }
  // A constant jackknife (e.g. a constant sample) carries no skew: no acceleration.
  const acceleration = squares > 0 ? cubes / (6 * squares ** 1.5) : 0
  const level = (z: number): number => {
    const shifted = z0 + z
    return normalCdf(z0 + shifted / (1 - acceleration * shifted))
  }
  const low = level(normalQuantile(alpha))
  const high = level(normalQuantile(1 - alpha))
  if (!(low >= 0 && low <= 1 && high >= 0 && high <= 1 && low <= high)) {
    return insufficient(`BCa is undefined: the acceleration ${acceleration} is too large for this confidence`)
  }
  return { kind: 'levels', low, high, z0, acceleration }
}
