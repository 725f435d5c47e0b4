import { LangperfError } from '../lib/index.ts'
import type { AdaptiveSampling, SideSnapshot } from '../runner/index.ts'
import { logTRatioInterval, meanTInterval } from '../stats/index.ts'

// Adaptive sampling (`langperf run --precision 1`): instead of a fixed number of processes, keep
// starting processes, round by round, until the answer is as precise as asked — or settled — and
// stop there, within a bound. One interpreter: the 95 % interval of its mean (log-t on process
// means) is within ± precision. Several: each one's ratio to the first is within ± precision, or
// its interval already excludes 1 by more than the precision (a change is established; more
// processes would only refine its size).

/** Fewest processes a side gets before the rule may stop it: a t interval needs some dof. */
export const ADAPTIVE_MIN_PROCESSES = 4

/** Default bound of processes per side: the rigorous preset's. */
export const ADAPTIVE_MAX_PROCESSES = 40

/** Confidence of the intervals the stop rule reads. */
const CONFIDENCE = 0.95

/** Half-width, on the log scale, of the interval of one side's mean; Infinity below 2 processes. */
function halfWidthOfMean(means: readonly number[]): number {
  if (means.length < 2 || means.some((m) => !(m > 0))) return Number.POSITIVE_INFINITY
  const i = meanTInterval(means.map(Math.log), { confidence: CONFIDENCE })
  return i.kind === 'insufficient' ? Number.POSITIVE_INFINITY : (i.high - i.low) / 2
}

/** Whether a side's ratio to the base side is precise enough, or beyond doubt a change. */
function ratioSettled(base: readonly number[], candidate: readonly number[], logPrecision: number): boolean {
  const r = logTRatioInterval(base, candidate, { confidence: CONFIDENCE })
  if (r.kind === 'insufficient') return false
  const low = Math.log(r.low)
  const high = Math.log(r.high)
  return (high - low) / 2 <= logPrecision || low > logPrecision || high < -logPrecision
}

/**
 * The stop rule for a relative precision (0.01 = ± 1 %), between `minProcesses` and
 * `maxProcesses` per side, within a time budget of `maxTimeS` seconds for the whole suite when
 * given (the runner splits it over the workloads; the minimum is always measured).
 */
export function precisionRule(
  precision: number,
  bounds: {
    readonly minProcesses?: number
    readonly maxProcesses?: number
    readonly maxTimeS?: number
  } = {},
): AdaptiveSampling {
  if (!(precision > 0 && precision < 1)) {
    throw new LangperfError(
      'bad-input',
      `Cannot sample adaptively to a precision of ${precision * 100} %: expected more than 0 % and less than 100 %`,
    )
  }
  const minProcesses = bounds.minProcesses ?? ADAPTIVE_MIN_PROCESSES
  const maxProcesses = bounds.maxProcesses ?? Math.max(ADAPTIVE_MAX_PROCESSES, minProcesses)
  if (!(Number.isInteger(minProcesses) && minProcesses >= 2 && maxProcesses >= minProcesses)) {
    throw new LangperfError(
      'bad-input',
      `Cannot sample adaptively between ${minProcesses} and ${maxProcesses} processes: expected at least 2, and a maximum not below the minimum`,
    )
  }
  const { maxTimeS } = bounds
  if (maxTimeS !== undefined && !(maxTimeS > 0 && Number.isFinite(maxTimeS))) {
    throw new LangperfError(
      'bad-input',
      `Cannot sample adaptively within ${maxTimeS} s: expected a positive, finite time budget`,
    )
  }
  const logPrecision = Math.log1p(precision)
  const settled = (sides: readonly SideSnapshot[]): boolean => {
    const [base, ...others] = sides
    if (base === undefined) return true
    if (others.length === 0) return halfWidthOfMean(base.processMeans) <= logPrecision
    return others.every((s) => ratioSettled(base.processMeans, s.processMeans, logPrecision))
  }
  return {
    minProcesses,
    maxProcesses,
    ...(maxTimeS === undefined ? {} : { budgetMs: maxTimeS * 1000 }),
    settled,
    describe: { rule: 'precision', precision, confidence: CONFIDENCE },
  }
}
