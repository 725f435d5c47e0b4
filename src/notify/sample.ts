import { type AlertLike, type AlertMessage, alertMessageFrom, type ChangeLike } from './message.ts'

// A made-up alert for `langperf notify test`: realistic enough to show every part of a message
// (magnitudes with intervals, a blame range, the portal links), and marked as a test
// in its title so nobody acts on it. Alert id 0 is never a stored alert's (ids start at 1), so
// the GitHub marker of a test never matches a real alert's issue.

/** The alert behind sampleAlertMessage. */
export const SAMPLE_ALERT: AlertLike = {
  id: 0,
  runtime: 'cpython',
  branch: 'main',
  kind: 'commit',
  status: 'confirmed',
  direction: 'regression',
  lastGoodCommit: '3f1c2d4e5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d',
  firstBadCommit: '9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b',
  lastGoodBuildId: 1,
  firstBadBuildId: 2,
  culpritCommit: null,
  culpritNote: null,
  machines: ['bench-1'],
  configs: ['default', 'pgo-lto'],
  changes: [
    change('json_dumps', 'default', { ratio: 1.083, ratioLow: 1.071, ratioHigh: 1.095 }),
    change('regex_compile', 'pgo-lto', { ratio: 1.041, ratioLow: 1.029, ratioHigh: 1.053 }),
    change('nbody', 'default', { ratio: 1.022, ratioLow: 1.012, ratioHigh: 1.032 }),
  ],
}

/**
 * The sample message `langperf notify test` sends: a regression of three workloads on
 * cpython main, with links to `portalUrl`.
 */
export function sampleAlertMessage(portalUrl: string): AlertMessage {
  // No commit links: the sample's commits are made up, and links to them would lead nowhere.
  const message = alertMessageFrom(SAMPLE_ALERT, { portalUrl })
  return {
    ...message,
    title: `[test] ${message.title.replace(/^Alert 0/, 'Sample alert')} (a test of this target, not a real alert)`,
  }
}

/** A confirmed regression of `workload` under `config` on the sample's machine, by the ratios given. */
function change(
  workload: string,
  config: string,
  { ratio, ratioLow, ratioHigh }: Pick<ChangeLike, 'ratio' | 'ratioLow' | 'ratioHigh'>,
) {
  return {
    series: { workload, config, machine: 'bench-1' },
    ratio,
    ratioLow,
    ratioHigh,
    direction: 'regression' as const,
    status: 'confirmed' as const,
    details: {},
  }
}
