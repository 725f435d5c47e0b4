import type { JsonObject, JsonValue } from '../lib/index.ts'
import type { RunSpec, RunWithResults, WorkloadResult } from '../model/index.ts'
import type {
  AlertDetail,
  AlertPage,
  AlertProfileInput,
  AlertQuery,
  ChangeQuery,
  ChangeRow,
  CulpritInput,
  DetectionBatch,
  DetectionOutcome,
  TriageInput,
} from './alert-types.ts'
import type {
  AgentRow,
  AgentTouch,
  MachineAlertKind,
  MachineAlertQuery,
  MachineAlertRow,
  NewAgent,
  NewMachineAlert,
  RunOnce,
} from './farm-types.ts'
import type {
  PipelineStepClaim,
  PipelineStepEnd,
  PipelineStepPage,
  PipelineStepQuery,
  PipelineStepRow,
  PipelineStepStart,
} from './pipeline-types.ts'
import type { PrimeOutcome } from './prime.ts'
import type { NewProfile, ProfilePage, ProfileQuery, ProfileWithStacks } from './profile-types.ts'
import type {
  BuildLineageInput,
  BuildPage,
  BuildQuery,
  BuildRow,
  CachedSeriesSummary,
  InterruptOptions,
  LatestRunsQuery,
  MachineDetail,
  MachineRow,
  ManifestInput,
  MovedRun,
  NewToken,
  ResultQuery,
  ResultRow,
  ResultRowWithSamples,
  ResultSummaryRow,
  RunFacts,
  RunGroup,
  RunGroupQuery,
  RunPage,
  RunPlacement,
  RunQuery,
  RunRow,
  RuntimeInfo,
  SeriesInfo,
  SeriesKey,
  SeriesPoint,
  SeriesPointQuery,
  SeriesQuery,
  StoreDialect,
  TokenRecord,
  TokenRow,
  WorkloadRow,
} from './types.ts'

// The store's role interfaces: each names what one kind of consumer does with the store, so a
// function can ask for the narrow role it uses (detection reads series, the runner writes runs)
// and a test can hand it a small fake. `Store` is all of them together: what an implementation
// provides and what `storeContract()` checks. Invalid input throws LangperfError `bad-input`; an
// unknown id `not-found`; writing to a finished run or a second result for the same workload
// `conflict`.

/** Runs to store: all at hand, or produced one at a time (an import reading file after file). */
export type RunSource = readonly RunWithResults[] | AsyncIterable<RunWithResults>
/** The connection itself: which engine it is and how to release it. */
export interface StoreHandle {
  readonly dialect: StoreDialect
  /** Releases the connection(s); the store is unusable afterwards. */
  close(): Promise<void>
  /**
   * Reads what a series' first visit reads into a large page cache (SQLite opened with `cacheMb`;
   * store/prime.ts), in slices that let other requests through; says what it did.
   */
  primeReads(): Promise<PrimeOutcome>
}

/** Writes runs and their results: measured live, imported, received from agents. */
export interface RunWriter {
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
  /**
   * Marks a running run `complete` or `interrupted` at `finishedAt` (ISO UTC); `metadata`, when
   * given, is merged over the run's (facts known only at the end, such as how busy its CPUs were).
   */
  finishRun(
    runId: number,
    status: 'complete' | 'interrupted',
    finishedAt: string,
    metadata?: JsonObject,
  ): Promise<void>
  /**
   * Stores whole runs (import, API ingest) in one transaction: all of them or none. Returns their
   * ids. An async source is consumed inside the transaction one run at a time (an import of a
   * whole results tree); an error it throws rolls the batch back.
   */
  insertRuns(runs: RunSource): Promise<number[]>
  /**
   * Moves a stored run to the build and machine `to` names (a better reading of its source: the
   * config from bench_runner's directory name, a 32-bit interpreter), in one transaction: its
   * results change series, the changes recorded on the series they left and joined are withdrawn
   * as superseded (alerts keep their triage; detection revives those it finds again), an old
   * build left unused is deleted.
   * `not-found` for an unknown run.
   */
  moveRun(runId: number, to: RunPlacement): Promise<MovedRun>
  /**
   * Marks runs left `running` by a crashed process as `interrupted` (finishedAt stays null);
   * returns how many. Their stored results stay: each is complete with its samples.
   */
  markInterruptedRuns(options?: InterruptOptions): Promise<number>
}

/** Reads runs and their results: comparison, export, the dashboard's run pages. */
export interface RunReader {
  /** One run, or undefined when there is none with this id. */
  getRun(runId: number): Promise<RunRow | undefined>
  /** A run with every result and sample, exactly as the model describes it (for export). */
  getRunWithResults(runId: number): Promise<RunWithResults | undefined>
  /** Runs matching the filters, newest `startedAt` first, one page at a time. */
  listRuns(query?: RunQuery): Promise<RunPage>
  /**
   * Every run of one machine × runtime × config × branch, oldest `startedAt` first, without
   * result counts: one lean read for what is derived from a group's runs (its epochs), where
   * listRuns would count every run's results and page.
   */
  listGroupRuns(group: RunGroupQuery): Promise<RunFacts[]>
  /** How many results each run of one group holds, by run id (runs without any are absent). */
  countGroupResults(group: RunGroupQuery): Promise<Map<number, number>>
  /** Results of a run in the order they were stored; samples only when asked for. */
  getResults(
    runId: number,
    options: ResultQuery & { readonly withSamples: true },
  ): Promise<ResultRowWithSamples[]>
  getResults(runId: number, options?: ResultQuery): Promise<ResultRow[]>
  /**
   * The measured results of several runs (at most 1,000), their summaries only, by run id then
   * storage order, of `workloads` when given: one lean read for figures taken over many runs
   * (a line's successive builds), where getResults per run would parse every result's metadata.
   */
  getResultSummaries(
    runIds: readonly number[],
    options?: { readonly workloads?: readonly string[] },
  ): Promise<ResultSummaryRow[]>
  /**
   * An opaque token of the state of the runs: it changes whenever a run is stored or finishes, a
   * result is added or a build gets another branch or more of its columns, whichever process
   * wrote. Caches of what is derived from runs are keyed by it.
   */
  runsState(): Promise<string>
  /**
   * For each machine × runtime × config × branch that has runs, its latest runs (by
   * `startedAt`, then id), ordered by machine, runtime, config and branch (null first).
   */
  latestRunsByGroup(query?: LatestRunsQuery): Promise<RunGroup[]>
}

/** The catalogue of what was measured: runtimes, their builds (and their lineage), workloads. */
export interface BuildCatalog {
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
  /** Every workload version, by name then version. */
  listWorkloads(options?: { readonly name?: string }): Promise<WorkloadRow[]>
}

/** The machines runs were measured on, with the history of their fingerprints. */
export interface MachineRegistry {
  /** Every machine, by name. */
  listMachines(): Promise<MachineRow[]>
  /** One machine with its fingerprint history, or undefined. */
  getMachine(name: string): Promise<MachineDetail | undefined>
}

/** Reads series (one workload version × runtime × config × branch on one machine) for detection and charts. */
export interface SeriesReader {
  /** Distinct series with their count of measured points, ordered by their key. */
  listSeries(query?: SeriesQuery): Promise<SeriesInfo[]>
  /**
   * The points of one series ordered by the build's commit date (UTC; builds without one last),
   * then by run start, then by run id.
   */
  getSeriesPoints(key: SeriesKey, options?: SeriesPointQuery): Promise<SeriesPoint[]>
}

/**
 * Data derived from a series' points, kept beside it for the revision it was made at (the series
 * index's revision grows with every result added to the series or moved in or out of it).
 */
export interface SeriesSummaryCache {
  /**
   * Each key's revision and its cached summary when it was made at that revision (null when
   * older or none), in the order of `keys`; undefined for a key that is no series.
   */
  readSeriesSummaries(keys: readonly SeriesKey[]): Promise<(CachedSeriesSummary | undefined)[]>
  /**
   * Caches `summary` made from the series at `revision`; false, nothing written, if it has moved on
   * or the store was opened read-only.
   */
  writeSeriesSummary(key: SeriesKey, revision: number, summary: JsonValue): Promise<boolean>
}

/** API tokens: created and revoked by admins, found and touched when a request authenticates. */
export interface TokenStore {
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
}

/**
 * The farm's ledger: agents (one per machine), results stored once per job key, and alerts about
 * machines (a silent one), at most one open per machine and kind.
 */
export interface FarmLedger {
  /** Registers (or re-registers) the agent of a machine, idle and seen at `agent.at`. */
  registerAgent(agent: NewAgent): Promise<AgentRow>
  /** Records an agent's state and a job it finished; an unregistered machine is not-found. */
  touchAgent(machine: string, touch: AgentTouch): Promise<void>
  /** Every registered agent, by machine name, with when its machine's newest result arrived. */
  listAgents(): Promise<AgentRow[]>
  /** Raises an alert about a machine unless one of its kind is open; answers the open one and whether this call raised it. */
  raiseMachineAlert(alert: NewMachineAlert): Promise<{ alert: MachineAlertRow; raised: boolean }>
  /** Clears the open alerts about a machine (of one kind, or all); answers those it cleared. */
  clearMachineAlerts(
    machine: string,
    clear: { readonly at: string; readonly reason: string; readonly kind?: MachineAlertKind },
  ): Promise<MachineAlertRow[]>
  /** Alerts about machines, newest first. */
  listMachineAlerts(query?: MachineAlertQuery): Promise<MachineAlertRow[]>
  /**
   * Stores `run` as the result of job `jobKey` unless one is stored already, in one transaction
   * with the key: however often (and however concurrently) a job is completed, one run is stored.
   */
  insertRunOnce(jobKey: string, run: RunWithResults, at: string): Promise<RunOnce>
}

/** Detected changes and the alerts they are grouped into: written by detection, triaged by people. */
export interface AlertLog {
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
  /** A token of the state of the changes: it changes whenever detection records, confirms or withdraws one. */
  changesState(): Promise<string>
  /** Sets an alert's triage state with a note or link; unknown id: not-found. */
  triageAlert(id: number, input: TriageInput): Promise<AlertDetail>
  /** Records what bisection found for an alert. */
  setAlertCulprit(id: number, input: CulpritInput): Promise<AlertDetail>
  /**
   * Records the profiles of an alert's culprit and its parent on one machine for one workload
   * (replacing an earlier record of the same three), or why they could not be taken; the alert's
   * `profiles` list them. An unknown alert or profile id is not-found.
   */
  setAlertProfile(alertId: number, input: AlertProfileInput): Promise<{ readonly id: number }>
}

/** The nightly pipeline's step journal, which lets a nightly that died resume where it stopped. */
export interface PipelineJournal {
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

/** Profiles of workloads (where their time goes): stored by `langperf profile`, read by its views. */
export interface ProfileStore {
  /**
   * Stores a profile, upserting its machine, build and workload as a run does, in one transaction.
   * Stacks larger than MAX_PROFILE_STACKS_BYTES are `too-large`; a run id of another machine or
   * build is a conflict, an unknown one not-found.
   */
  addProfile(profile: NewProfile): Promise<{ readonly profileId: number }>
  /** One profile with its compressed stacks, or undefined. */
  getProfile(id: number): Promise<ProfileWithStacks | undefined>
  /** Profiles matching the filters, newest first, without their stacks. */
  listProfiles(query?: ProfileQuery): Promise<ProfilePage>
}

/**
 * langperf's persistence: every run, build, machine and raw sample, and what was found in them.
 * Async and dialect-neutral so SQLite and PostgreSQL implementations are interchangeable;
 * `storeContract()` is the definition of correct behaviour. It is every role above at once.
 */
export interface Store
  extends StoreHandle,
    RunWriter,
    RunReader,
    BuildCatalog,
    MachineRegistry,
    SeriesReader,
    SeriesSummaryCache,
    TokenStore,
    AlertLog,
    PipelineJournal,
    ProfileStore,
    FarmLedger {}
