import type { JsonObject } from '../lib/index.ts'
import type { ChangeMeasure, DifferentialSummary, TriageState } from '../model/index.ts'
import type { ProfileState } from './profile-types.ts'
import type { SeriesKey } from './types.ts'

// Row and input types of detected changes and alerts (migrations/0003_changes_alerts.ts).

// The triage states live in model/ (the command line names them in its help without the store).
export { TRIAGE_STATES, type TriageState } from '../model/index.ts'

/** How sure detection is of a change: later builds confirm or withdraw a provisional one. */
export const CHANGE_STATUSES = ['provisional', 'confirmed', 'withdrawn'] as const
/** One of CHANGE_STATUSES. */
export type ChangeStatus = (typeof CHANGE_STATUSES)[number]

/** Which way a change goes for people (knowing whether lower or higher is better). */
export const CHANGE_DIRECTIONS = ['regression', 'improvement'] as const
/** One of CHANGE_DIRECTIONS. */
export type ChangeDirection = (typeof CHANGE_DIRECTIONS)[number]

/**
 * What a change is blamed on: `commit` (a runtime commit in the range) or `infrastructure` (the
 * range crosses an epoch boundary — kernel, CPU configuration, suite, harness or compiler changed —
 * so the step is never blamed on a commit; re-running the old build on the new setup separates them).
 */
export const CHANGE_KINDS = ['commit', 'infrastructure'] as const
/** One of CHANGE_KINDS. */
export type ChangeKind = (typeof CHANGE_KINDS)[number]

// What a change measured (time or instructions) lives in model/ too: people read it in every view.
export { CHANGE_MEASURES, type ChangeMeasure } from '../model/index.ts'

/** One side of a blame range. */
export interface BlameEnd {
  readonly buildId: number
  readonly resultId: number
  /** Null for builds without a commit (local interpreters). */
  readonly commitSha: string | null
}

/** A change as detection reports it. */
export interface ChangeInput {
  readonly kind: ChangeKind
  readonly series: SeriesKey
  /** `time` when absent. */
  readonly measure?: ChangeMeasure
  readonly lastGood: BlameEnd
  readonly firstBad: BlameEnd
  readonly unit: string
  /** Level after / level before, with its interval. */
  readonly ratio: number
  readonly ratioLow: number
  readonly ratioHigh: number
  readonly pValue: number
  readonly direction: ChangeDirection
  readonly status: 'provisional' | 'confirmed'
  /** Anything else worth keeping: points on each side, degrees of freedom, noise. */
  readonly details: JsonObject
}

/** Identifies a stored change: its series, its measure and the first build of the new level. */
export interface ChangeKey {
  readonly series: SeriesKey
  /** `time` when absent. */
  readonly measure?: ChangeMeasure
  readonly firstBadBuildId: number
}

/** One detection pass to record atomically. */
export interface DetectionBatch {
  readonly changes: readonly ChangeInput[]
  /** Provisional changes that later builds did not confirm. */
  readonly withdrawn: readonly ChangeKey[]
  /**
   * Changes of series that no longer exist (their builds moved to another line of development):
   * withdrawn whatever their status, with `details.superseded` saying why. Their alerts keep
   * their triage.
   */
  readonly superseded?: readonly (ChangeKey & { readonly reason: string })[]
  /** ISO UTC time of the pass. */
  readonly at: string
}

/** What a detection pass changed in the store. */
export interface DetectionOutcome {
  readonly newAlertIds: readonly number[]
  readonly newChangeIds: readonly number[]
  /** Provisional changes now confirmed. */
  readonly confirmedChangeIds: readonly number[]
  readonly withdrawnChangeIds: readonly number[]
  /** Alerts whose changes were added to or changed state (new alerts included). */
  readonly touchedAlertIds: readonly number[]
}

/** A stored change. */
export interface ChangeRow extends Omit<ChangeInput, 'status' | 'measure'> {
  readonly measure: ChangeMeasure
  readonly id: number
  readonly alertId: number
  readonly status: ChangeStatus
  readonly createdAt: string
  readonly updatedAt: string
}

/** A stored alert with a digest of its changes. */
export interface AlertRow {
  readonly id: number
  readonly runtime: string
  readonly branch: string | null
  readonly lastGoodCommit: string
  readonly firstBadCommit: string
  readonly kind: ChangeKind
  readonly lastGoodBuildId: number
  readonly firstBadBuildId: number
  readonly status: ChangeStatus
  readonly direction: ChangeDirection | 'mixed'
  readonly triage: TriageState
  readonly triageNote: string | null
  readonly triageLink: string | null
  readonly triagedAt: string | null
  /** ISO UTC: an `acknowledged` alert is known and expected until then; null without expiry. */
  readonly acknowledgedUntil: string | null
  /** The commit date (ISO UTC) of the last build at the old level, when the build has one. */
  readonly lastGoodCommitDate: string | null
  /** The commit date (ISO UTC) of the first build at the new level, when the build has one. */
  readonly firstBadCommitDate: string | null
  readonly culpritCommit: string | null
  readonly culpritNote: string | null
  readonly createdAt: string
  readonly updatedAt: string
  /** Changes that are not withdrawn. */
  readonly changeCount: number
  readonly regressions: number
  readonly improvements: number
  readonly machines: readonly string[]
  readonly configs: readonly string[]
  /** The change with the largest |log ratio| among those not withdrawn, if any. */
  readonly largest: {
    readonly workload: string
    readonly measure: ChangeMeasure
    readonly ratio: number
    readonly ratioLow: number
    readonly ratioHigh: number
  } | null
}

/** An alert with every change. */
export interface AlertDetail extends AlertRow {
  readonly changes: readonly ChangeRow[]
  /** Its culprit profiled against the culprit's parent, per machine × workload (oldest first). */
  readonly profiles: readonly AlertProfileRow[]
}

/** Filters of listAlerts; all optional, combined with AND. */
export interface AlertQuery {
  readonly kind?: ChangeKind
  readonly triage?: readonly TriageState[]
  readonly status?: readonly ChangeStatus[]
  readonly runtime?: string
  readonly branch?: string | null
  readonly machine?: string
  readonly direction?: ChangeDirection | 'mixed'
  /** Only alerts with a change (not withdrawn) on this build config. */
  readonly config?: string
  /** Only alerts with a change (not withdrawn) of at least this many percent either way (> 0). */
  readonly minChangePercent?: number
  /** Only alerts whose first bad build's commit date is at or after this ISO UTC time. */
  readonly commitFrom?: string
  /** Only alerts whose first bad build's commit date is before this ISO UTC time. */
  readonly commitBefore?: string
  /**
   * ISO UTC "now": leaves out alerts acknowledged with an expiry that has not passed by then
   * (acknowledged without an expiry, or expired, they stay).
   */
  readonly hideAcknowledgedAt?: string
  /** 1–1000, 50 when absent. */
  readonly limit?: number
  readonly offset?: number
}

/** One page of alerts, newest first. */
export interface AlertPage {
  readonly rows: readonly AlertRow[]
  readonly total: number
}

/** Filters of listChanges; all optional, combined with AND. */
export interface ChangeQuery {
  readonly series?: SeriesKey
  /** Only the changes of these workloads, by name (1–1000 names). */
  readonly workloads?: readonly string[]
  readonly alertId?: number
  readonly status?: readonly ChangeStatus[]
  /** 1–5000, 1000 when absent. */
  readonly limit?: number
  readonly offset?: number
}

/** A triage decision. */
export interface TriageInput {
  readonly triage: TriageState
  readonly note?: string | null
  readonly link?: string | null
  /**
   * ISO UTC: only with `acknowledged`, after `at` and at most 366 days after it; absent or null,
   * no expiry. Any triage clears an earlier expiry.
   */
  readonly until?: string | null
  /** ISO UTC. */
  readonly at: string
}

/** The culprit bisection found (or a note that it could not). */
export interface CulpritInput {
  readonly commit: string | null
  readonly note: string
  readonly at: string
}

/**
 * The profiles of an alert's culprit and of its first parent on one machine for one workload, as
 * `setAlertProfile` records them: both profiled with their differential's summary, or why not.
 */
export interface AlertProfileInput {
  readonly machine: string
  readonly workload: string
  readonly parentCommit: string
  readonly culpritCommit: string
  /** Profiles of ProfileStore; null when none was stored (e.g. no profiler on the machine). */
  readonly parentProfileId: number | null
  readonly culpritProfileId: number | null
  /** `profiled` when both are, with their differential; else why not, in `message`. */
  readonly state: ProfileState
  readonly message: string | null
  /** The largest changes in self share, parent to culprit; null unless profiled. */
  readonly summary: DifferentialSummary | null
  /** ISO UTC. */
  readonly createdAt: string
}

/** A stored pair of profiles at an alert's culprit. */
export interface AlertProfileRow extends AlertProfileInput {
  readonly id: number
  readonly alertId: number
}
