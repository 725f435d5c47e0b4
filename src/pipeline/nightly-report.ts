import type { JsonObject } from '../lib/index.ts'

// What a nightly reports: the plan, and what happened to each commit × config, each detection,
// notification and bisection (printed by `langperf nightly`, or as JSON with `--json`), and how a
// measure step's journalled detail reads back as a commit's report.

/** One commit × config planned. */
export interface PlannedBuild {
  readonly runtime: string
  readonly branch: string
  readonly config: string
  readonly sha: string
  readonly subject: string
  readonly commitDateUtc: string
  /** The commit measured beside it, interleaved (the newest measured before it), or null. */
  readonly reference: string | null
}

/** What happened to one commit × config. */
export interface CommitReport extends PlannedBuild {
  readonly build: 'ok' | 'failed' | 'unsupported' | 'skipped' | 'error'
  readonly measure: 'measured' | 'build-failed' | 'done-before' | 'failed' | 'busy'
  /** The commit's own runs. */
  readonly runIds: readonly number[]
  /** The runs of the reference build measured beside it (purpose `reference`). */
  readonly referenceRunIds: readonly number[]
  /** Why it was measured without a reference, when it was. */
  readonly referenceSkipped?: string
  /** Measured twice, interleaved with itself, for want of a reference (the first build of a history). */
  readonly besideItself?: boolean
  /** How its pair grew (adaptive pair): rounds, extra processes, and the workloads the budget left undecided. */
  readonly pair?: PairReport
  readonly error?: string
}

/** What the adaptive pair of one commit did (analysis/pair-growth.ts). */
export interface PairReport {
  readonly rounds: number
  readonly budget: number
  /** Processes measured beyond the first round, summed over workloads and both builds. */
  readonly addedProcesses: number
  /** Workloads still undecided when the budget ran out. */
  readonly undecided: readonly string[]
  readonly budgetExhausted: boolean
}

/** One detection pass of a runtime × branch. */
export interface DetectionReport {
  readonly runtime: string
  readonly branch: string
  readonly state: 'done' | 'done-before' | 'failed' | 'skipped'
  readonly newAlertIds: readonly number[]
  readonly confirmedAlertIds: readonly number[]
  /** Provisional changes recorded as confirmed at once because their interleaved pair showed them. */
  readonly confirmedByPair: number
  /** Changes not raised (or withdrawn) because their interleaved pair showed no such step. */
  readonly dismissedByPair: number
  /** Provisional changes raised by a decisive pair where the history showed none yet. */
  readonly raisedByPair: number
  readonly error?: string
}

/** One notification of one alert to one target. */
export interface NotificationReport {
  readonly alertId: number
  readonly target: string
  readonly event: NotifyEvent
  readonly state: 'delivered' | 'done-before' | 'failed' | 'gave-up' | 'busy'
  readonly detail: string
}

/** One bisection of an alert. */
export interface BisectionReport {
  readonly alertId: number
  readonly state:
    | 'culprit'
    | 'inconclusive'
    | 'single-commit'
    | 'skipped'
    | 'done-before'
    | 'failed'
    | 'capped'
    | 'pending'
  readonly culprit: string | null
  readonly note: string
}

/** The profiles taken at one alert's culprit (nightly-profile.ts). */
export interface ProfileReport {
  readonly alertId: number
  readonly culprit: string
  /** `recorded`: pairs recorded on the alert (each with its own state); `failed`: the step itself failed. */
  readonly state: 'recorded' | 'skipped' | 'done-before' | 'failed'
  readonly note: string
  /** Per workload: its state and the differential's headline, or why it has none. */
  readonly pairs: readonly {
    readonly workload: string
    readonly state: string
    readonly headline: string | null
    readonly message: string | null
  }[]
  /** How long the step took, in seconds (building, calibrating and profiling both builds). */
  readonly seconds?: number
}

/** The summary of a nightly (printed, or as JSON with `--json`). */
export interface NightlyReport {
  readonly machine: string
  readonly startedAt: string
  readonly finishedAt: string
  readonly dryRun: boolean
  readonly interrupted: boolean
  readonly planned: readonly PlannedBuild[]
  readonly commits: readonly CommitReport[]
  readonly detections: readonly DetectionReport[]
  readonly notifications: readonly NotificationReport[]
  readonly bisections: readonly BisectionReport[]
  /** Culprits profiled against their parents; a profile that could not be taken is here, not in `errors`. */
  readonly profiles: readonly ProfileReport[]
  /** Steps that failed; the nightly went on with the others. */
  readonly errors: readonly { readonly step: string; readonly message: string }[]
}

/** Why an alert is notified: it is new, newly confirmed, or bisection named its culprit. */
export type NotifyEvent = 'new' | 'confirmed' | 'culprit'

/** The numbers of a journalled list (a step's detail is JSON: anything else is left out). */
export function numbers(v: unknown): number[] {
  return Array.isArray(v) ? v.filter((x): x is number => typeof x === 'number') : []
}

/**
 * The run ids and reference of a measure step's detail, over the planned build: what a commit's
 * report says of its pair, whether it was measured now or by an earlier nightly.
 */
export function pairOf(
  base: PlannedBuild,
  detail: JsonObject,
): Pick<CommitReport, 'runIds' | 'referenceRunIds' | 'referenceSkipped'> & PlannedBuild {
  return {
    ...base,
    reference: typeof detail.reference === 'string' ? detail.reference : null,
    runIds: numbers(detail.runIds),
    referenceRunIds: numbers(detail.referenceRunIds),
    ...(typeof detail.referenceSkipped === 'string' ? { referenceSkipped: detail.referenceSkipped } : {}),
    ...(detail.besideItself === true ? { besideItself: true } : {}),
    ...(pairReportOf(detail.pair) ? { pair: pairReportOf(detail.pair) as PairReport } : {}),
  }
}

/** The adaptive pair's account in a measure step's detail, as reported (null when it has none). */
function pairReportOf(v: unknown): PairReport | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null
  const d = v as JsonObject
  return {
    rounds: Number(d.rounds ?? 1),
    budget: Number(d.budget ?? 1),
    addedProcesses: Number(d.addedProcesses ?? 0),
    undecided: Array.isArray(d.undecided)
      ? d.undecided.filter((x): x is string => typeof x === 'string')
      : [],
    budgetExhausted: d.budgetExhausted === true,
  }
}
