import type { Change, Detection } from './types.ts'

/** What became of a provisional change once more builds arrived. */
export const FOLLOW_UP_OUTCOMES = ['confirmed', 'withdrawn', 'pending'] as const
/** One of FOLLOW_UP_OUTCOMES. */
export type FollowUpOutcome = (typeof FOLLOW_UP_OUTCOMES)[number]

/** A provisional change of an earlier detection and its fate in a later one. */
export interface FollowUp {
  readonly provisional: Change
  readonly outcome: FollowUpOutcome
  /** The same change (same first bad build) in the later detection, if it is still there. */
  readonly current: Change | null
}

/**
 * Follows up each provisional change of `previous` in `current` (the same series with more
 * builds): `confirmed` when a confirmed change has the same first bad build, `pending` while it is
 * still provisional or no later build has arrived, `withdrawn` otherwise (the later builds went
 * back to the old level, or the step was too small to confirm).
 * @example followUpProvisional(detectChanges(upToYesterday), detectChanges(upToToday))
 */
export function followUpProvisional(previous: Detection, current: Detection): FollowUp[] {
  const newestOrder = current.points[current.points.length - 1]?.order ?? Number.NEGATIVE_INFINITY
  return previous.changes
    .filter((c) => c.state === 'provisional')
    .map((provisional) => {
      const same = current.changes.find((c) => c.firstBadId === provisional.firstBadId) ?? null
      const badOrder = previous.points[provisional.firstBadIndex]?.order ?? Number.NEGATIVE_INFINITY
      let outcome: FollowUpOutcome
      if (same?.state === 'confirmed') outcome = 'confirmed'
      else if (same !== null || newestOrder <= badOrder) outcome = 'pending'
      else outcome = 'withdrawn'
      return { provisional, outcome, current: same }
    })
}
