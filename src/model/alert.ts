import { formatPercent, formatRatio } from '../lib/format.ts'

/** States people give an alert; detection never changes them. */
export const TRIAGE_STATES = ['new', 'acknowledged', 'invalid', 'fixed', 'wont-fix'] as const
/** One of TRIAGE_STATES. */
export type TriageState = (typeof TRIAGE_STATES)[number]

/**
 * What a detected change measured: `time` (a series' timing history, judged by the change-point
 * detector with an interval) or `instructions` (its instruction-count history, judged by the
 * exact rule: a ratio without an interval). The two histories of one series never merge.
 */
export const CHANGE_MEASURES = ['time', 'instructions'] as const
/** One of CHANGE_MEASURES. */
export type ChangeMeasure = (typeof CHANGE_MEASURES)[number]

/**
 * A change's magnitude for people: `1.083× [1.071, 1.095] +8.3 %` for a time change (the ratio
 * with its interval), `instruction count +3.2 % (exact)` for an instruction-count change, whose
 * two counts have no interval.
 */
export function changeMagnitude(c: {
  readonly measure?: ChangeMeasure
  readonly ratio: number
  readonly ratioLow: number
  readonly ratioHigh: number
}): string {
  if (c.measure === 'instructions') return `instruction count ${formatPercent(c.ratio)} (exact)`
  return `${formatRatio(c.ratio)} [${c.ratioLow.toFixed(3)}, ${c.ratioHigh.toFixed(3)}] ${formatPercent(c.ratio)}`
}
