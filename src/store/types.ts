import type { JsonObject } from '../lib/index.ts'
import type {
  BuildSpec,
  MachineFingerprint,
  ProcessSamples,
  ResultState,
  RunSpec,
  RunStatus,
  RunWithResults,
  WorkloadKey,
  WorkloadManifest,
  WorkloadResult,
} from '../model/index.ts'
import type {
  AlertDetail,
  AlertPage,
  AlertQuery,
  ChangeQuery,
  ChangeRow,
  CulpritInput,
  DetectionBatch,
  DetectionOutcome,
  TriageInput,
} from './alert-types.ts'
import type {
  PipelineStepClaim,
  PipelineStepEnd,
  PipelineStepPage,
  PipelineStepQuery,
  PipelineStepRow,
  PipelineStepStart,
} from './pipeline-types.ts'

// Row and query types of the store. Conventions: camelCase fields, ids as numbers, dates as the
// ISO 8601 UTC strings they were written with, JSON columns parsed. Every implementation (SQLite,
// PostgreSQL) returns exactly these shapes, normalising whatever its driver gives.

/** The SQL engines the store runs on. */
export const STORE_DIALECTS = ['sqlite', 'postgres'] as const
/** One of STORE_DIALECTS. */
export type StoreDialect = (typeof STORE_DIALECTS)[number]

/** A build as stored: the BuildSpec it was first written with (gaps filled later) and its id. */
export interface BuildRow extends BuildSpec {
  readonly id: number
}

/** A machine with its current fingerprint (the one of its latest run by `startedAt`). */
export interface MachineRow {
  readonly id: number
  readonly name: string
  /** Null while no run of the machine carried an environment. */
  readonly fingerprint: MachineFingerprint | null
  readonly fingerprintHash: string | null
  /** Earliest and latest `startedAt` of the machine's runs. */
  readonly firstSeenAt: string
  readonly lastSeenAt: string
}

/** One fingerprint a machine has had, with the span of runs that carried it. */
export interface FingerprintRow {
  readonly id: number
  /** First 16 hex characters of SHA-256 over the canonical JSON of the fingerprint. */
  readonly hash: string
  readonly fingerprint: MachineFingerprint
  readonly firstSeenAt: string
  readonly lastSeenAt: string
}

/** A machine with the history of its fingerprints, oldest first. */
export interface MachineDetail extends MachineRow {
  readonly fingerprints: readonly FingerprintRow[]
}

/** A workload version as stored. */
export interface WorkloadRow extends WorkloadKey {
  readonly id: number
  /** The manifest given with its first result that had one; null for imports. */
  readonly manifest: JsonObject | null
}

/** A run as stored: its RunSpec (with the build as a BuildRow), its state and its ids. */
export interface RunRow extends RunSpec {
  readonly id: number
  readonly machineId: number
  readonly build: BuildRow
  readonly status: RunStatus
  readonly finishedAt: string | null
  /** Number of results stored for the run so far. */
  readonly resultCount: number
}

/**
 * Numbers computed once at write time so that series queries need not read samples.
 * Null when the result has no values (failed or skipped before measuring).
 */
export interface ResultSummary {
  /** Processes with at least one value. */
  readonly nProcesses: number
  /** Values over all processes (warm-ups excluded). */
  readonly nValues: number
  /** Mean of per-process means: the process is the unit of noise (pyperf, METHODS.md). */
  readonly mean: number | null
  /** Sample standard deviation (n − 1) of per-process means; null below 2 processes. */
  readonly stdevProcessMeans: number | null
  readonly min: number | null
  readonly max: number | null
  /** Median of all values (mean of the two middle ones for an even count). */
  readonly median: number | null
}

/** A stored result without its samples. */
export interface ResultRow extends Omit<WorkloadResult, 'processes'> {
  readonly id: number
  readonly runId: number
  readonly workloadId: number
  readonly summary: ResultSummary
  /** Per-process means in process order, as used for the summary. */
  readonly processMeans: readonly number[]
}

/** A stored result with every raw sample. */
export interface ResultRowWithSamples extends ResultRow {
  readonly processes: readonly ProcessSamples[]
}

/** Filters of `listRuns`; all optional, combined with AND. */
export interface RunQuery {
  /** Page size, 1–1000; 50 when absent. */
  readonly limit?: number
  readonly offset?: number
  /** Machine name. */
  readonly machine?: string
  /** Runtime family of the build. */
  readonly runtime?: string
  readonly config?: string
  readonly branch?: string
  readonly status?: RunStatus
  readonly groupId?: string
  readonly suite?: string
  readonly buildId?: number
}

/** One page of runs, newest first, with the count of all runs matching the filters. */
export interface RunPage {
  readonly rows: readonly RunRow[]
  readonly total: number
}

/** Options of `getResults`. */
export interface ResultQuery {
  /** Parse and return every process's samples (large); false when absent. */
  readonly withSamples?: boolean
  /** Only these workload names (every version of each). */
  readonly workloads?: readonly string[]
}

/** A build's new line of development (`setBuildLineage`). */
export interface BuildLineageInput {
  readonly branch: string | null
  /** Keys merged into the build's metadata (lineage rule, note, history order…). */
  readonly metadata: JsonObject
}

/** Filters of `findBuilds`; all optional, combined with AND. */
export interface BuildQuery {
  readonly runtime?: string
  readonly version?: string
  readonly config?: string
  readonly branch?: string
  /** Start of the commit SHA, compared case-sensitively. */
  readonly commitPrefix?: string
  readonly identity?: string
  /** 1–1000; 100 when absent. */
  readonly limit?: number
  /** Builds to skip (for `listBuilds` pages); 0 when absent. */
  readonly offset?: number
}

/** One page of builds, newest commit first, with the count of all builds matching the filters. */
export interface BuildPage {
  readonly rows: readonly BuildRow[]
  readonly total: number
}

/** One build config of a runtime family, with how many builds and runs it has. */
export interface RuntimeConfigInfo {
  readonly config: string
  readonly builds: number
  readonly runs: number
  /** `startedAt` of its newest run; null when no run used it. */
  readonly lastRunAt: string | null
}

/** A runtime family with its build configs. */
export interface RuntimeInfo {
  readonly name: string
  readonly builds: number
  readonly configs: readonly RuntimeConfigInfo[]
}

/** Options of `latestRunsByGroup`. */
export interface LatestRunsQuery {
  /** Runs per group, newest first; 2 when absent (the latest and the one before it), at most 100. */
  readonly perGroup?: number
  /** Only runs in these states; every state when absent. */
  readonly statuses?: readonly RunStatus[]
  readonly machine?: string
  readonly runtime?: string
}

/** The latest runs of one machine × runtime × config × branch. */
export interface RunGroup {
  readonly machine: string
  readonly runtime: string
  readonly config: string
  readonly branch: string | null
  /** Newest `startedAt` first. */
  readonly runs: readonly RunRow[]
}

/** Identity of a series: one workload version × runtime × config × branch on one machine. */
export interface SeriesKey {
  readonly machine: string
  readonly runtime: string
  readonly config: string
  /** Null for builds without a branch (local interpreters). */
  readonly branch: string | null
  readonly workload: string
  readonly workloadVersion: string
}

/** A series with how many measured points it has. */
export interface SeriesInfo extends SeriesKey {
  readonly points: number
}

/** Filters of `listSeries`; all optional, combined with AND. */
export interface SeriesQuery {
  readonly machine?: string
  readonly runtime?: string
  readonly config?: string
  /** A branch name; `null` selects builds without a branch. */
  readonly branch?: string | null
  readonly workload?: string
}

/** Options of `getSeriesPoints`. */
export interface SeriesPointQuery {
  /** Also return each point's per-process means; false when absent. */
  readonly withProcessMeans?: boolean
  /** Result states to include; `['measured']` when absent. */
  readonly states?: readonly ResultState[]
  /**
   * Leave out the runs of these suites (e.g. `bisect`: bisection's measurements of a few
   * workloads, kept as data but not part of the nightly history).
   */
  readonly excludeSuites?: readonly string[]
}

/** One result in a series, with the build and run it belongs to. */
export interface SeriesPoint {
  readonly resultId: number
  readonly runId: number
  readonly buildId: number
  readonly commitSha: string | null
  readonly commitDateUtc: string | null
  readonly runStartedAt: string
  readonly runStatus: RunStatus
  readonly state: ResultState
  readonly unit: string
  readonly summary: ResultSummary
  /** Present when asked for with `withProcessMeans`. */
  readonly processMeans?: readonly number[]
}

/** Options of `markInterruptedRuns`. */
export interface InterruptOptions {
  /**
   * Only runs started before this ISO UTC instant. Without it every `running` run is marked,
   * which is right only when no other process is writing to the same store.
   */
  readonly startedBefore?: string
}

/** Roles of API tokens: an agent writes results; an admin also triages and manages tokens. */
export const TOKEN_ROLES = ['agent', 'admin'] as const
/** One of TOKEN_ROLES. */
export type TokenRole = (typeof TOKEN_ROLES)[number]

/** An API token as listed: never its secret, nor the secret's hash. */
export interface TokenRow {
  readonly id: number
  readonly name: string
  readonly role: TokenRole
  /** Machine names the token may write for; empty means every machine. */
  readonly scopes: readonly string[]
  readonly createdAt: string
  readonly lastUsedAt: string | null
  readonly revokedAt: string | null
}

/** A token with the SHA-256 (hex) of its secret, as found for authentication. */
export interface TokenRecord extends TokenRow {
  readonly hash: string
}

/** What `createToken` stores: the caller hashes the secret, the store never sees it. */
export interface NewToken {
  readonly name: string
  readonly role: TokenRole
  readonly scopes: readonly string[]
  /** SHA-256 of the secret, 64 lower-case hex characters. */
  readonly hash: string
  /** ISO UTC. */
  readonly createdAt: string
}

/** A manifest to store with a workload version: the model's type or any JSON object. */
export type ManifestInput = WorkloadManifest | JsonObject

/**
 * langperf's persistence: every run, build, machine and raw sample. Async and dialect-neutral so
 * SQLite and PostgreSQL implementations are interchangeable; `storeContract()` is the definition
 * of correct behaviour. Invalid input throws LangperfError `bad-input`; an unknown id `not-found`;
 * writing to a finished run or a second result for the same workload `conflict`.
 */
export interface Store {
  readonly dialect: StoreDialect
  /** Releases the connection(s); the store is unusable afterwards. */
  close(): Promise<void>

  /**
   * Starts a run measured live: upserts the machine (and its fingerprint), the runtime and the
   * build (by identity), then inserts the run as `running`, all in one transaction.
   */
  beginRun(spec: RunSpec): Promise<{ readonly runId: number }>
  /** Adds one workload's result to a running run, atomically with its samples. */
  addResult(
    runId: number,
    result: WorkloadResult,
    options?: { readonly manifest?: ManifestInput },
  ): Promise<{ readonly resultId: number }>
  /** Marks a running run `complete` or `interrupted` at `finishedAt` (ISO UTC). */
  finishRun(runId: number, status: 'complete' | 'interrupted', finishedAt: string): Promise<void>
  /** Stores whole runs (import, API ingest) in one transaction: all of them or none. Returns their ids. */
  insertRuns(runs: readonly RunWithResults[]): Promise<number[]>
  /**
   * Marks runs left `running` by a crashed process as `interrupted` (finishedAt stays null);
   * returns how many. Their stored results stay: each is complete with its samples.
   */
  markInterruptedRuns(options?: InterruptOptions): Promise<number>

  /** One run, or undefined when there is none with this id. */
  getRun(runId: number): Promise<RunRow | undefined>
  /** A run with every result and sample, exactly as the model describes it (for export). */
  getRunWithResults(runId: number): Promise<RunWithResults | undefined>
  /** Runs matching the filters, newest `startedAt` first, one page at a time. */
  listRuns(query?: RunQuery): Promise<RunPage>
  /** Results of a run in the order they were stored; samples only when asked for. */
  getResults(
    runId: number,
    options: ResultQuery & { readonly withSamples: true },
  ): Promise<ResultRowWithSamples[]>
  getResults(runId: number, options?: ResultQuery): Promise<ResultRow[]>
  /** Builds matching the filters, newest commit date first (builds without one last). */
  findBuilds(query?: BuildQuery): Promise<BuildRow[]>
  /** One page of `findBuilds` with the count of every match. */
  listBuilds(query?: BuildQuery): Promise<BuildPage>
  /**
   * Moves a build to another line of development (a lineage rule or a repository placed it
   * better): sets its branch and merges `metadata` into its metadata. Its series are re-keyed;
   * changes recorded on the old series are left for detection to supersede. `not-found` for an
   * unknown id.
   */
  setBuildLineage(buildId: number, input: BuildLineageInput): Promise<BuildRow>
  /** Every runtime family with its configs and their build and run counts, by name. */
  listRuntimes(): Promise<RuntimeInfo[]>
  /**
   * For each machine × runtime × config × branch that has runs, its latest runs (by
   * `startedAt`, then id), ordered by machine, runtime, config and branch (null first).
   */
  latestRunsByGroup(query?: LatestRunsQuery): Promise<RunGroup[]>
  /** Every machine, by name. */
  listMachines(): Promise<MachineRow[]>
  /** One machine with its fingerprint history, or undefined. */
  getMachine(name: string): Promise<MachineDetail | undefined>
  /** Every workload version, by name then version. */
  listWorkloads(options?: { readonly name?: string }): Promise<WorkloadRow[]>

  /** Distinct series with their count of measured points, ordered by their key. */
  listSeries(query?: SeriesQuery): Promise<SeriesInfo[]>
  /**
   * The points of one series ordered by the build's commit date (UTC; builds without one last),
   * then by run start, then by run id.
   */
  getSeriesPoints(key: SeriesKey, options?: SeriesPointQuery): Promise<SeriesPoint[]>

  /** Stores a new API token; a second token with the same hash is a conflict. */
  createToken(token: NewToken): Promise<TokenRow>
  /** The token whose secret hashes to `hash` (revoked ones too), or undefined. */
  findTokenByHash(hash: string): Promise<TokenRecord | undefined>
  /** Every token, revoked ones included, by id. */
  listTokens(): Promise<TokenRow[]>
  /** Revokes a token at `revokedAt` (ISO UTC); revoking it again keeps the first time. Unknown id: not-found. */
  revokeToken(id: number, revokedAt: string): Promise<TokenRow>
  /** Records that a token was used at `usedAt` (ISO UTC). */
  touchToken(id: number, usedAt: string): Promise<void>

  /**
   * Records one detection pass atomically: new changes join the alert of their blame range
   * (created when new), known changes are refreshed (a confirmed one is never downgraded),
   * provisional ones listed in `withdrawn` are withdrawn. Triage is never touched.
   */
  applyDetection(batch: DetectionBatch): Promise<DetectionOutcome>
  /** Alerts matching the filters, newest first. */
  listAlerts(query?: AlertQuery): Promise<AlertPage>
  /** One alert with all its changes, or undefined. */
  getAlert(id: number): Promise<AlertDetail | undefined>
  /** Changes matching the filters, oldest first. */
  listChanges(query?: ChangeQuery): Promise<{ readonly rows: readonly ChangeRow[]; readonly total: number }>
  /** Sets an alert's triage state with a note or link; unknown id: not-found. */
  triageAlert(id: number, input: TriageInput): Promise<AlertDetail>
  /** Records what bisection found for an alert. */
  setAlertCulprit(id: number, input: CulpritInput): Promise<AlertDetail>

  /**
   * Starts a step of the nightly pipeline's journal: a new step is inserted as running; a failed
   * one, or a running one started before `staleBefore`, is restarted (attempts + 1); a done one is
   * returned unchanged as `done`, a running one that is not stale as `busy`. Atomic: of concurrent
   * claims of one step, at most one starts it.
   */
  startPipelineStep(input: PipelineStepStart): Promise<PipelineStepClaim>
  /** Ends a running step as done or failed; unknown key: not-found; a step not running: conflict. */
  finishPipelineStep(key: string, input: PipelineStepEnd): Promise<PipelineStepRow>
  /** One step of the journal by key, or undefined. */
  getPipelineStep(key: string): Promise<PipelineStepRow | undefined>
  /** Steps of the journal matching the filters, oldest start first. */
  listPipelineSteps(query?: PipelineStepQuery): Promise<PipelineStepPage>
}
