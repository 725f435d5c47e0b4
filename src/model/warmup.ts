import { assertNever } from '../lib/errors.ts'

// The vocabulary of warm-up (Barrett et al., "Virtual machine warmup blows hot and cold", OOPSLA
// 2017): how one process's in-process iterations behave, and how a workload's processes agree.
// The classification itself is stats/warmup; docs/stats.md, "Warm-up".

/** The classes of one process's iteration series. */
export const PROCESS_CLASSES = ['flat', 'warmup', 'slowdown', 'no-steady-state'] as const
/** One of PROCESS_CLASSES. */
export type ProcessClass = (typeof PROCESS_CLASSES)[number]

/**
 * The classes of a workload: its processes' class when they all agree; `good-inconsistent` when
 * they disagree but each is flat or warms up; `bad-inconsistent` when they disagree and one slows
 * down or never settles.
 */
export const WORKLOAD_CLASSES = [...PROCESS_CLASSES, 'good-inconsistent', 'bad-inconsistent'] as const
/** One of WORKLOAD_CLASSES. */
export type WorkloadClass = (typeof WORKLOAD_CLASSES)[number]

/** A class in words, for tables and pages. */
export function warmupClassLabel(c: WorkloadClass): string {
  switch (c) {
    case 'flat':
      return 'flat'
    case 'warmup':
      return 'warm-up'
    case 'slowdown':
      return 'slow-down'
    case 'no-steady-state':
      return 'no steady state'
    case 'good-inconsistent':
      return 'good inconsistent'
    case 'bad-inconsistent':
      return 'bad inconsistent'
    default:
      return assertNever(c)
  }
}
