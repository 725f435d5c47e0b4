import { assertNever, badInput, quote, type Rng } from '../lib/index.ts'
import { checkConfidence, checkPositiveSample } from './checks.ts'
import { mean } from './descriptive.ts'
import { type MannWhitneyResult, mannWhitneyU } from './mannwhitney.ts'
import {
  bootstrapRatioInterval,
  type ExtraLogVariance,
  fiellerRatioInterval,
  logTRatioInterval,
} from './ratio.ts'
import type { IntervalResult } from './result.ts'
import { type TTestResult, welchTTest } from './ttest.ts'

/** How compareTwo builds the ratio's interval; 'log-t' is the default (docs/stats.md says why). */
export const RATIO_METHODS = ['log-t', 'fieller', 'bootstrap'] as const
/** One of RATIO_METHODS. */
export type RatioMethod = (typeof RATIO_METHODS)[number]

/** What a comparison concludes; 'faster' means better in the unit's sense, whatever the unit. */
export const VERDICTS = ['faster', 'slower', 'no-difference', 'insufficient'] as const
/** One of VERDICTS. */
export type Verdict = (typeof VERDICTS)[number]

/** Options of compareTwo shared by every method. */
interface CompareCommonOptions {
  /** Two-sided coverage of the ratio's interval, default 0.95. */
  readonly confidence?: number
  /** True (default) for times: a ratio below 1 is 'faster'. False for throughputs. */
  readonly lowerIsBetter?: boolean
  /** Smallest |ratio − 1| worth calling a change, default 0 (e.g. 0.01 for 1 %). */
  readonly minEffect?: number
}

/** Options of compareTwo: the bootstrap method needs an Rng, the others take none. */
export type CompareOptions = CompareCommonOptions &
  (
    | {
        readonly method?: 'log-t'
        readonly rng?: Rng
        /** Between-run noise added to the log ratio's variance (separate runs; log-t only). */
        readonly extraLogVariance?: ExtraLogVariance
      }
    | { readonly method: 'fieller'; readonly rng?: Rng }
    | { readonly method: 'bootstrap'; readonly rng: Rng; readonly resamples?: number }
  )

/** A comparison of two builds' per-process means that reached a verdict. */
export interface Comparison {
  readonly kind: 'comparison'
  readonly verdict: Exclude<Verdict, 'insufficient'>
  /**
   * candidate / base: the ratio of geometric means of process means for 'log-t', of arithmetic
   * means for 'fieller' and 'bootstrap'.
   */
  readonly ratio: number
  readonly low: number
  readonly high: number
  readonly confidence: number
  /** `exact`: counts that repeat exactly (instructions), whose ratio has no interval to estimate. */
  readonly method: RatioMethod | 'exact'
  /** mean(candidate) / mean(base), whatever the method. */
  readonly ratioOfMeans: number
  /**
   * Welch's test on log process means, candidate − base: p < 1 − confidence iff the 'log-t'
   * interval excludes 1; null for an exact comparison (no sampling to test).
   */
  readonly welch: TTestResult | null
  /** Mann-Whitney U test, candidate vs base (U of the candidate); null for an exact comparison. */
  readonly mannWhitney: MannWhitneyResult | null
  readonly nBase: number
  readonly nCandidate: number
}

/** A comparison that could not be made (fewer than 2 process means on a side, bad values). */
export interface InsufficientComparison {
  readonly kind: 'insufficient'
  readonly verdict: 'insufficient'
  readonly reason: string
  readonly nBase: number
  readonly nCandidate: number
}

/** A Comparison or an InsufficientComparison; both carry `verdict`. */
export type ComparisonResult = Comparison | InsufficientComparison

/**
 * Compares two exactly repeatable counts (instructions per loop): the ratio candidate/base with
 * no interval around it (low = high = ratio: the count has no sampling spread to estimate, and
 * none is invented), a change called when |ratio − 1| ≥ minEffect. 'insufficient' when either
 * count is not finite and positive.
 * @example exactComparison(146_065_780, 148_000_000, { minEffect: 0.001 }) // slower, ratio 1.0132
 */
export function exactComparison(
  base: number,
  candidate: number,
  options: { readonly minEffect: number; readonly confidence?: number },
): ComparisonResult {
  if (!(base > 0 && candidate > 0 && Number.isFinite(base) && Number.isFinite(candidate)))
    return {
      kind: 'insufficient',
      verdict: 'insufficient',
      reason: `Expected two positive counts, found ${quote(base)} and ${quote(candidate)}`,
      nBase: 1,
      nCandidate: 1,
    }
  const ratio = candidate / base
  const verdict =
    Math.abs(ratio - 1) >= options.minEffect && ratio !== 1
      ? ratio > 1
        ? 'slower'
        : 'faster'
      : 'no-difference'
  return {
    kind: 'comparison',
    verdict,
    ratio,
    low: ratio,
    high: ratio,
    confidence: options.confidence ?? 1,
    method: 'exact',
    ratioOfMeans: ratio,
    welch: null,
    mannWhitney: null,
    nBase: 1,
    nCandidate: 1,
  }
}

/**
 * Compares per-process means of a candidate build with a base build: ratio candidate/base
 * with an interval, Welch and Mann-Whitney p-values, and a verdict. A change is called only
 * when the interval excludes 1 and |ratio − 1| ≥ minEffect; the p-values are reported, not
 * used for the verdict. 'insufficient' when either side has fewer than 2 process means or a
 * value that is not finite and positive.
 * @example compareTwo(processMeans(base), processMeans(candidate), { minEffect: 0.01 })
 */
export function compareTwo(
  base: readonly number[],
  candidate: readonly number[],
  options: CompareOptions = {},
): ComparisonResult {
  const { confidence = 0.95, lowerIsBetter = true, minEffect = 0 } = options
  checkConfidence(confidence, 'compare two builds')
  if (!(minEffect >= 0 && Number.isFinite(minEffect))) {
    throw badInput(`Cannot compare two builds: expected a minimum effect ≥ 0, found ${quote(minEffect)}`)
  }
  const nBase = base.length
  const nCandidate = candidate.length
  const fail = (reason: string): InsufficientComparison => ({
    kind: 'insufficient',
    verdict: 'insufficient',
    reason,
    nBase,
    nCandidate,
  })
  const bad = checkPositiveSample(base, 2, 'base') ?? checkPositiveSample(candidate, 2, 'candidate')
  if (bad) return fail(bad.reason)

  let interval: IntervalResult
  const method = options.method ?? 'log-t'
  switch (options.method) {
    case undefined:
    case 'log-t':
      interval = logTRatioInterval(base, candidate, {
        confidence,
        ...(options.extraLogVariance ? { extraLogVariance: options.extraLogVariance } : {}),
      })
      break
    case 'fieller':
      interval = fiellerRatioInterval(base, candidate, { confidence })
      break
    case 'bootstrap':
      interval = bootstrapRatioInterval(base, candidate, {
        rng: options.rng,
        confidence,
        ...(options.resamples === undefined ? {} : { resamples: options.resamples }),
      })
      break
    default:
      return assertNever(options)
  }
  if (interval.kind === 'insufficient') return fail(interval.reason)
  const welch = welchTTest(candidate.map(Math.log), base.map(Math.log))
  if (welch.kind === 'insufficient') return fail(welch.reason)
  const mannWhitney = mannWhitneyU(candidate, base)
  if (mannWhitney.kind === 'insufficient') return fail(mannWhitney.reason)

  const { estimate: ratio, low, high } = interval
  return {
    kind: 'comparison',
    verdict: verdictOf(low, high, ratio, { lowerIsBetter, minEffect }),
    ratio,
    low,
    high,
    confidence,
    method,
    ratioOfMeans: mean(candidate) / mean(base),
    welch,
    mannWhitney,
    nBase,
    nCandidate,
  }
}

/**
 * The verdict rule: a change only when the interval [low, high] excludes 1 and
 * |ratio − 1| ≥ minEffect; its direction is the side of 1 the interval lies on.
 */
export function verdictOf(
  low: number,
  high: number,
  ratio: number,
  options: { readonly lowerIsBetter: boolean; readonly minEffect: number },
): Exclude<Verdict, 'insufficient'> {
  const excludesOne = low > 1 || high < 1
  if (!excludesOne || !(Math.abs(ratio - 1) >= options.minEffect)) return 'no-difference'
  const lower = high < 1
  return lower === options.lowerIsBetter ? 'faster' : 'slower'
}
