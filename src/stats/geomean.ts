import type { Rng } from '../lib/index.ts'
import { randomInt } from '../lib/index.ts'
import { checkConfidence, checkPositiveSample, checkResamples } from './checks.ts'
import { mean, quantile, sortSamples } from './descriptive.ts'
import { studentTQuantile } from './distributions.ts'
import { type ExtraLogVariance, type LogRatioEstimate, logRatioStderr, withExtraVariance } from './ratio.ts'
import { type Insufficient, type Interval, type IntervalResult, insufficient } from './result.ts'
import { meanTInterval, satterthwaiteDof } from './ttest.ts'

// The suite headline: the geometric mean over workloads of candidate/base ratios, each
// workload weighted equally (as pyperformance and SPEC do), with two intervals that answer
// two questions (docs/stats.md, "Geometric mean of ratios").

/** Per-process means of one workload on both builds. */
export interface WorkloadPair {
  readonly base: readonly number[]
  readonly candidate: readonly number[]
}

/** The geometric mean of per-workload ratios and its intervals. */
export interface GeometricMeanRatio {
  readonly kind: 'geometric-mean-ratio'
  /** exp(mean over workloads of the log ratio of geometric means of process means). */
  readonly estimate: number
  /**
   * Measurement uncertainty, the workloads held fixed: the delta method (Var of a mean of
   * independent log ratios = Σ seᵢ² / k²) with Welch–Satterthwaite degrees of freedom.
   */
  readonly measurement: Interval
  /**
   * "Over a typical workload": the t interval of the k log ratios (k − 1 dof), treating the
   * workloads as a sample from a population of workloads. Insufficient when k < 2.
   */
  readonly acrossWorkloads: IntervalResult
  /** Each workload's ratio of geometric means, in input order. */
  readonly ratios: readonly number[]
}

/** Options of geometricMeanRatio. */
export interface GeometricMeanOptions {
  /** Default 0.95. */
  readonly confidence?: number
  /**
   * Between-run noise of the suite's geometric mean, added once to the measurement interval's
   * variance (separate runs: a machine's drift moves every workload alike, so it does not
   * average out over workloads).
   */
  readonly extraLogVariance?: ExtraLogVariance
}

/**
 * The geometric mean of candidate/base ratios over workloads, from per-process means.
 * Insufficient when there is no workload, or a workload has fewer than 2 process means on a
 * side or a value that is not finite and positive (the reason names the workload's index).
 */
export function geometricMeanRatio(
  pairs: readonly WorkloadPair[],
  options: GeometricMeanOptions = {},
): GeometricMeanRatio | Insufficient {
  const estimates: LogRatioEstimate[] = []
  for (const [i, pair] of pairs.entries()) {
    const estimate = logRatioStderr(pair.base, pair.candidate)
    if (estimate.kind === 'insufficient') return insufficient(`Workload ${i}: ${estimate.reason}`)
    estimates.push(estimate)
  }
  return geometricMeanRatioFromEstimates(estimates, options)
}

/**
 * The same from per-workload log ratios already computed (e.g. stored), so a suite can be
 * summarised without its raw samples. Insufficient when `estimates` is empty or one is not
 * usable (non-finite log ratio, negative or non-finite stderr, dof ≤ 0 with a stderr > 0).
 */
export function geometricMeanRatioFromEstimates(
  estimates: readonly LogRatioEstimate[],
  options: GeometricMeanOptions = {},
): GeometricMeanRatio | Insufficient {
  const confidence = options.confidence ?? 0.95
  checkConfidence(confidence, 'compute a geometric mean of ratios')
  const k = estimates.length
  if (k === 0) return insufficient('Need at least 1 workload, found 0')
  for (const [i, e] of estimates.entries()) {
    // A zero stderr has no dof (NaN); otherwise both must be usable numbers.
    const usable = Number.isFinite(e.logRatio) && (e.stderr === 0 || (e.stderr > 0 && e.dof > 0))
    if (!usable) {
      return insufficient(`Workload ${i}: log ratio ${e.logRatio} ± ${e.stderr} (dof ${e.dof}) is not usable`)
    }
  }
  const logRatios = estimates.map((e) => e.logRatio)
  const center = mean(logRatios)
  let sumVariance = 0
  for (const e of estimates) sumVariance += e.stderr * e.stderr
  // Welch–Satterthwaite over the workloads' terms (Welch's dof when k = 1), then the
  // between-run term when the runs were separate.
  const measured: LogRatioEstimate = {
    kind: 'log-ratio',
    logRatio: 0,
    stderr: Math.sqrt(sumVariance) / k,
    dof: satterthwaiteDof(estimates.map((e) => ({ variance: (e.stderr * e.stderr) / (k * k), dof: e.dof }))),
  }
  const { stderr, dof } = options.extraLogVariance
    ? withExtraVariance(measured, options.extraLogVariance)
    : measured
  const halfWidth = stderr === 0 ? 0 : studentTQuantile(1 - (1 - confidence) / 2, dof) * stderr
  const estimate = Math.exp(center)
  const across = meanTInterval(logRatios, { confidence })
  return {
    kind: 'geometric-mean-ratio',
    estimate,
    measurement: {
      kind: 'interval',
      estimate,
      low: Math.exp(center - halfWidth),
      high: Math.exp(center + halfWidth),
      confidence,
      method: 'log-t',
    },
    acrossWorkloads:
      across.kind === 'insufficient'
        ? insufficient(`Need at least 2 workloads for an interval over workloads, found ${k}`)
        : { ...across, estimate, low: Math.exp(across.low), high: Math.exp(across.high), method: 'log-t' },
    ratios: logRatios.map(Math.exp),
  }
}

/** Options of geometricMeanRatioBootstrap. */
export interface GeometricMeanBootstrapOptions {
  readonly rng: Rng
  /** Default 2000. */
  readonly resamples?: number
  /** Default 0.95. */
  readonly confidence?: number
}

/**
 * A percentile bootstrap interval for the geometric mean of ratios that resamples processes
 * within each workload and side (a stratified bootstrap; Davison & Hinkley 1997, §3.2): the
 * workloads stay fixed, so it answers the measurement question without assuming normality of
 * log process means. Insufficient as geometricMeanRatio.
 */
export function geometricMeanRatioBootstrap(
  pairs: readonly WorkloadPair[],
  options: GeometricMeanBootstrapOptions,
): IntervalResult {
  const { rng, resamples = 2000, confidence = 0.95 } = options
  checkConfidence(confidence, 'compute a geometric mean of ratios')
  checkResamples(resamples, 'compute a geometric mean of ratios')
  if (pairs.length === 0) return insufficient('Need at least 1 workload, found 0')
  for (const [i, pair] of pairs.entries()) {
    const bad =
      checkPositiveSample(pair.base, 2, 'base') ?? checkPositiveSample(pair.candidate, 2, 'candidate')
    if (bad) return insufficient(`Workload ${i}: ${bad.reason}`)
  }
  const logs = pairs.map((p) => ({ base: p.base.map(Math.log), candidate: p.candidate.map(Math.log) }))
  const k = logs.length
  let center = 0
  for (const w of logs) center += (mean(w.candidate) - mean(w.base)) / k
  const replicates = new Array<number>(resamples)
  for (let b = 0; b < resamples; b++) {
    let sum = 0
    for (const w of logs) sum += resampledMean(w.candidate, rng) - resampledMean(w.base, rng)
    replicates[b] = sum / k
  }
  const sorted = sortSamples(replicates)
  const alpha = (1 - confidence) / 2
  return {
    kind: 'interval',
    estimate: Math.exp(center),
    low: Math.exp(quantile(sorted, alpha)),
    high: Math.exp(quantile(sorted, 1 - alpha)),
    confidence,
    method: 'percentile',
  }
}

/** The mean of n values drawn with replacement (no array allocated). */
function resampledMean(values: readonly number[], rng: Rng): number {
  const n = values.length
  let sum = 0
  for (let i = 0; i < n; i++) sum += values[randomInt(rng, n)]!
  return sum / n
}
