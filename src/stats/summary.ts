import type { Rng } from '../lib/index.ts'
import { bootstrapCi } from './bootstrap.ts'
import { checkConfidence, checkSample } from './checks.ts'
import { mad, mean, median, stdev } from './descriptive.ts'
import { type Insufficient, type IntervalResult, insufficient, relativeHalfWidth } from './result.ts'
import { meanTInterval } from './ttest.ts'

/** Everything a report shows about one workload on one build, from its per-process means. */
export interface Summary {
  readonly kind: 'summary'
  /** Number of process means. */
  readonly n: number
  readonly mean: number
  readonly median: number
  /** Sample standard deviation of process means (NaN when n = 1). */
  readonly stdev: number
  /** Scaled MAD of process means (0 when n = 1). */
  readonly mad: number
  readonly min: number
  readonly max: number
  /** Student's t interval for the mean. */
  readonly meanT: IntervalResult
  /** BCa bootstrap interval for the mean. */
  readonly meanBootstrap: IntervalResult
  /** Percentile bootstrap interval for the median (BCa's jackknife is unreliable for medians). */
  readonly medianBootstrap: IntervalResult
  /** (high − low) / 2 / mean of meanT: ±0.047 reads "±4.7 %" (NaN when n = 1). */
  readonly relativeHalfWidth: number
}

/** Options of summarize. */
export interface SummaryOptions {
  readonly rng: Rng
  /** Default 0.95. */
  readonly confidence?: number
  /** Bootstrap resamples, default 2000. */
  readonly resamples?: number
}

/**
 * Summarises per-process means (processMeans() in src/model): centre, spread, and intervals.
 * Insufficient when empty or a value is not finite; with one process mean the point values
 * are given and every interval is Insufficient. The rng is used for the mean's interval first,
 * then the median's, so the same seed gives the same summary.
 * @example summarize(processMeans(result.processes), { rng: createRng(1) })
 */
export function summarize(processMeans: readonly number[], options: SummaryOptions): Summary | Insufficient {
  const { rng, confidence = 0.95, resamples = 2000 } = options
  checkConfidence(confidence, 'summarize process means')
  const bad = checkSample(processMeans, 1, 'process mean')
  if (bad) return bad
  const meanT = meanTInterval(processMeans, { confidence })
  let min = Number.POSITIVE_INFINITY
  let max = Number.NEGATIVE_INFINITY
  for (const v of processMeans) {
    if (v < min) min = v
    if (v > max) max = v
  }
  const tooFew =
    processMeans.length < 2
      ? insufficient('Need at least 2 process means for an interval, found 1')
      : undefined
  return {
    kind: 'summary',
    n: processMeans.length,
    mean: mean(processMeans),
    median: median(processMeans),
    stdev: stdev(processMeans),
    mad: mad(processMeans),
    min,
    max,
    meanT,
    meanBootstrap: tooFew ?? bootstrapCi(processMeans, mean, { rng, confidence, resamples, method: 'bca' }),
    medianBootstrap:
      tooFew ?? bootstrapCi(processMeans, median, { rng, confidence, resamples, method: 'percentile' }),
    relativeHalfWidth: relativeHalfWidth(meanT),
  }
}
