import { badInput, quote, type Rng } from '../lib/index.ts'
import { resample } from './bootstrap.ts'
import { checkConfidence, checkPositiveSample, checkResamples } from './checks.ts'
import { mean, quantile, sortSamples, variance } from './descriptive.ts'
import { studentTQuantile } from './distributions.ts'
import { type Insufficient, type Interval, type IntervalResult, insufficient } from './result.ts'
import { satterthwaiteDof } from './ttest.ts'

// Intervals for the ratio candidate / base of two samples of positive per-process means.
// docs/stats.md, "The ratio of two builds", compares the three and says why log-t is the default.

/** The log of a ratio of geometric means with its standard error: the unit geometricMeanRatio combines. */
export interface LogRatioEstimate {
  readonly kind: 'log-ratio'
  /** mean(log candidate) − mean(log base). */
  readonly logRatio: number
  /** √(var(log base)/n_base + var(log candidate)/n_candidate). */
  readonly stderr: number
  /** Welch–Satterthwaite degrees of freedom of stderr (NaN when stderr is 0). */
  readonly dof: number
}

/**
 * The log ratio of geometric means of two samples of positive values, with its Welch
 * standard error and degrees of freedom. Insufficient when a side has fewer than 2 values,
 * or a value that is not finite or not positive.
 */
export function logRatioStderr(
  base: readonly number[],
  candidate: readonly number[],
): LogRatioEstimate | Insufficient {
  const bad = checkPositiveSample(base, 2, 'base') ?? checkPositiveSample(candidate, 2, 'candidate')
  if (bad) return bad
  const logBase = base.map(Math.log)
  const logCandidate = candidate.map(Math.log)
  const vBase = variance(logBase) / base.length
  const vCandidate = variance(logCandidate) / candidate.length
  return {
    kind: 'log-ratio',
    logRatio: mean(logCandidate) - mean(logBase),
    stderr: Math.sqrt(vBase + vCandidate),
    dof: satterthwaiteDof([
      { variance: vBase, dof: base.length - 1 },
      { variance: vCandidate, dof: candidate.length - 1 },
    ]),
  }
}

/**
 * Variance a log ratio gains from outside its two samples: the noise between separately run
 * measurements of the same build (docs/stats.md, "Comparing separate runs"), with the degrees
 * of freedom of its estimate (Infinity for a stated default that was not estimated).
 */
export interface ExtraLogVariance {
  readonly variance: number
  readonly dof: number
}

/**
 * The estimate with `extra.variance` added to its squared standard error, the degrees of
 * freedom combined by Welch–Satterthwaite.
 */
export function withExtraVariance(estimate: LogRatioEstimate, extra: ExtraLogVariance): LogRatioEstimate {
  if (!(extra.variance >= 0 && Number.isFinite(extra.variance) && extra.dof > 0)) {
    throw badInput(
      `Cannot widen a ratio interval: expected a variance ≥ 0 and dof > 0, found ${quote(extra.variance)} and ${quote(extra.dof)}`,
    )
  }
  if (extra.variance === 0) return estimate
  const own = estimate.stderr * estimate.stderr
  const total = own + extra.variance
  const terms = [{ variance: own, dof: estimate.dof }, extra]
  const dof = satterthwaiteDof(terms)
  // Only a term of infinite dof left (a stated default on an exact estimate): a normal quantile.
  return { ...estimate, stderr: Math.sqrt(total), dof: Number.isNaN(dof) ? Number.POSITIVE_INFINITY : dof }
}

/** exp(logRatio ± t(1 − α/2, dof) · stderr); a zero stderr gives a zero-width interval. */
export function logRatioInterval(estimate: LogRatioEstimate, confidence: number): Interval {
  checkConfidence(confidence, 'compute a ratio interval')
  const { logRatio, stderr, dof } = estimate
  const halfWidth = stderr === 0 ? 0 : studentTQuantile(1 - (1 - confidence) / 2, dof) * stderr
  return {
    kind: 'interval',
    estimate: Math.exp(logRatio),
    low: Math.exp(logRatio - halfWidth),
    high: Math.exp(logRatio + halfWidth),
    confidence,
    method: 'log-t',
  }
}

/**
 * Ratio of geometric means with a Welch t interval on the log scale, transformed back:
 * exp(d ± t·se), d = mean(log c) − mean(log b). The default of compareTwo.
 */
export function logTRatioInterval(
  base: readonly number[],
  candidate: readonly number[],
  options: { readonly confidence?: number; readonly extraLogVariance?: ExtraLogVariance } = {},
): IntervalResult {
  const confidence = options.confidence ?? 0.95
  checkConfidence(confidence, 'compute a ratio interval')
  const estimate = logRatioStderr(base, candidate)
  if (estimate.kind === 'insufficient') return estimate
  const widened = options.extraLogVariance ? withExtraVariance(estimate, options.extraLogVariance) : estimate
  return logRatioInterval(widened, confidence)
}

/**
 * Ratio of arithmetic means mean(c) / mean(b) with Fieller's interval (Fieller 1954): the set of
 * ρ for which |ȳc − ρ ȳb| ≤ t · √(vc + ρ² vb), vx = s²x / nx, with Welch–Satterthwaite degrees
 * of freedom taken at ρ = ȳc / ȳb (Tamhane & Logan 2004; R's mratios::ttestratio with
 * var.equal = FALSE, iterativeCI = FALSE). Insufficient as logRatioStderr, and when the base
 * mean is not clearly above zero (ȳb² ≤ t² vb), where the set is unbounded.
 */
export function fiellerRatioInterval(
  base: readonly number[],
  candidate: readonly number[],
  options: { readonly confidence?: number } = {},
): IntervalResult {
  const confidence = options.confidence ?? 0.95
  checkConfidence(confidence, 'compute a ratio interval')
  const bad = checkPositiveSample(base, 2, 'base') ?? checkPositiveSample(candidate, 2, 'candidate')
  if (bad) return bad
  const mb = mean(base)
  const mc = mean(candidate)
  const vb = variance(base) / base.length
  const vc = variance(candidate) / candidate.length
  const ratio = mc / mb
  if (vb === 0 && vc === 0) {
    return { kind: 'interval', estimate: ratio, low: ratio, high: ratio, confidence, method: 'fieller' }
  }
  const dof = satterthwaiteDof([
    { variance: vc, dof: candidate.length - 1 },
    { variance: ratio * ratio * vb, dof: base.length - 1 },
  ])
  const t = studentTQuantile(1 - (1 - confidence) / 2, dof)
  const t2 = t * t
  // Roots of (ȳb² − t²vb) ρ² − 2 ȳc ȳb ρ + (ȳc² − t²vc) = 0.
  const a = mb * mb - t2 * vb
  if (!(a > 0)) {
    return insufficient('Fieller interval is unbounded: the base mean is not distinguishable from zero')
  }
  const root = t * Math.sqrt(mc * mc * vb + mb * mb * vc - t2 * vb * vc)
  return {
    kind: 'interval',
    estimate: ratio,
    low: (mc * mb - root) / a,
    high: (mc * mb + root) / a,
    confidence,
    method: 'fieller',
  }
}

/** Options of bootstrapRatioInterval. */
export interface RatioBootstrapOptions {
  readonly rng: Rng
  /** Default 2000. */
  readonly resamples?: number
  /** Default 0.95. */
  readonly confidence?: number
}

/**
 * Ratio of arithmetic means with a percentile bootstrap interval, resampling each side
 * independently (two-sample bootstrap, Efron & Tibshirani 1993, §8.3). Insufficient as
 * logRatioStderr.
 */
export function bootstrapRatioInterval(
  base: readonly number[],
  candidate: readonly number[],
  options: RatioBootstrapOptions,
): IntervalResult {
  const { rng, resamples = 2000, confidence = 0.95 } = options
  checkConfidence(confidence, 'compute a ratio interval')
  checkResamples(resamples, 'compute a ratio interval')
  const bad = checkPositiveSample(base, 2, 'base') ?? checkPositiveSample(candidate, 2, 'candidate')
  if (bad) return bad
  const replicates = new Array<number>(resamples)
  for (let b = 0; b < resamples; b++) {
    replicates[b] = mean(resample(candidate, rng)) / mean(resample(base, rng))
  }
  const sorted = sortSamples(replicates)
  const alpha = (1 - confidence) / 2
  return {
    kind: 'interval',
    estimate: mean(candidate) / mean(base),
    low: quantile(sorted, alpha),
    high: quantile(sorted, 1 - alpha),
    confidence,
    method: 'percentile',
  }
}
