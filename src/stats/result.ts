// The shapes every estimate in stats/ shares.
//
// Convention (docs/stats.md, "Conventions"): a function that returns one number answers NaN
// when the data cannot give one (empty input, a non-finite value, too few values), as R and
// numpy do; a function that returns an estimate with an interval, or a test, answers
// `{ kind: 'insufficient', reason }` instead, so callers must handle the case in a switch.
// Programmer errors (a confidence outside (0, 1), a negative resample count) throw
// LangperfError('bad-input').

/** The data cannot support the requested estimate; `reason` says why, for people. */
export interface Insufficient {
  readonly kind: 'insufficient'
  readonly reason: string
}

/** How an interval was computed (docs/stats.md names each). */
export const INTERVAL_METHODS = ['t', 'percentile', 'bca', 'log-t', 'fieller'] as const
/** One of INTERVAL_METHODS. */
export type IntervalMethod = (typeof INTERVAL_METHODS)[number]

/** A point estimate with a two-sided confidence interval. */
export interface Interval {
  readonly kind: 'interval'
  readonly estimate: number
  readonly low: number
  readonly high: number
  /** Coverage the interval was built for, e.g. 0.95. */
  readonly confidence: number
  readonly method: IntervalMethod
}

/** An interval, or why the data could not give one. */
export type IntervalResult = Interval | Insufficient

/** Builds an Insufficient result. */
export function insufficient(reason: string): Insufficient {
  return { kind: 'insufficient', reason }
}

/** Half the interval's width relative to its estimate: (high − low) / 2 / estimate; NaN if undefined. */
export function relativeHalfWidth(interval: IntervalResult): number {
  if (interval.kind === 'insufficient') return Number.NaN
  return (interval.high - interval.low) / 2 / interval.estimate
}
