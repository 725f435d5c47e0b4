/** States people give an alert; detection never changes them. */
export const TRIAGE_STATES = ['new', 'acknowledged', 'invalid', 'fixed', 'wont-fix'] as const
/** One of TRIAGE_STATES. */
export type TriageState = (typeof TRIAGE_STATES)[number]
