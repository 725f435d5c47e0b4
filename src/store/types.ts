import type { JsonObject, JsonValue } from '../lib/index.ts'
import type {
  BuildSpec,
  MachineEnvironment,
  MachineFingerprint,
  ProcessSamples,
  ResultState,
  RunSpec,
  RunStatus,
  WorkloadKey,
  WorkloadManifest,
  WorkloadResult,
} from '../model/index.ts'

// Row and query types of the store; the interfaces that take and return them are in roles.ts.
// Conventions: camelCase fields, ids as numbers, dates as the ISO 8601 UTC strings they were
// written with, JSON columns parsed. Every implementation (SQLite, PostgreSQL) returns exactly
// these shapes, normalising whatever its driver gives.

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
  /** Mean of per-process means: the process is the unit of noise (as pyperf computes it). */
  readonly mean: number | null
  /** Sample standard deviation (n − 1) of per-process means; null below 2 processes. */
  readonly stdevProcessMeans: number | null
  readonly min: number | null
  readonly max: number | null
  /** Median of all values (mean of the two middle ones for an even count). */
  readonly median: number | null
}

/** One measured result's summary, as `getResultSummaries` reads it: no metadata, no process means. */
export interface ResultSummaryRow {
  readonly runId: number
  readonly workload: { readonly name: string; readonly version: string }
  readonly unit: string
  readonly summary: ResultSummary
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

/** A run without its result count: what `listGroupRuns` reads (no result is counted). */
export type RunFacts = Omit<RunRow, 'resultCount'>

/** One machine × runtime × config × branch (null: builds without a branch), for `listGroupRuns`. */
export interface RunGroupQuery {
  readonly machine: string
  readonly runtime: string
  readonly config: string
  readonly branch: string | null
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
  /**
   * `started` (default): newest `startedAt` first, the order runs were measured in (an imported
   * file keeps the time it ran elsewhere); `stored`: the run stored last first.
   */
  readonly order?: 'started' | 'stored'
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

/** Where `moveRun` puts a stored run: the build and machine a better reading of its source names. */
export interface RunPlacement {
  readonly build: BuildSpec
  readonly machine: string
  readonly environment: MachineEnvironment | null
  /** The run's start (ISO UTC), for the machine's seen-times. */
  readonly startedAt: string
  /** When the move happens (ISO UTC), for the changes it supersedes. */
  readonly at: string
  /** Why, kept in the details of each change it supersedes. */
  readonly reason: string
}

/** What `moveRun` did. */
export interface MovedRun {
  readonly runId: number
  readonly fromBuildId: number
  readonly toBuildId: number
  readonly fromMachine: string
  readonly toMachine: string
  /** Changes recorded on the series the run left and joined, now withdrawn as superseded. */
  readonly supersededChangeIds: readonly number[]
  /** Whether the old build, left with nothing referring to it, was deleted. */
  readonly removedBuild: boolean
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
  /** Leaves out runs of these suites (e.g. `bisect`: they answer one question, not the history). */
  readonly excludeSuites?: readonly string[]
  /** Leaves out runs of these presets (e.g. `warmup`: iteration series, not the history). */
  readonly excludePresets?: readonly string[]
  /**
   * `started` (the default): newest start first. `commit`: newest commit first (the build's
   * commit date; builds without one after, newest start first), a build's runs newest start first,
   * so a line's head comes first even when an older commit was run again later (a baseline re-run,
   * a pair's reference).
   */
  readonly order?: 'started' | 'commit'
}

/** The latest runs of one machine × runtime × config × branch. */
export interface RunGroup {
  readonly machine: string
  readonly runtime: string
  readonly config: string
  readonly branch: string | null
  /** In the query's order: newest `startedAt` first, or newest commit first. */
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

/** A series' revision and the summary cached for it, when that summary was made at this revision. */
export interface CachedSeriesSummary {
  readonly revision: number
  /** The summary made at `revision`, or null when there is none or it is older. */
  readonly summary: JsonValue | null
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
  /** Also return each point's result metadata (a server workload's `http` figures); false when absent. */
  readonly withMetadata?: boolean
  /** Result states to include; `['measured']` when absent. */
  readonly states?: readonly ResultState[]
  /**
   * Leave out the runs of these suites (e.g. `bisect`: bisection's measurements of a few
   * workloads, kept as data but not part of the nightly history).
   */
  readonly excludeSuites?: readonly string[]
  /**
   * Leave out the runs of these presets (e.g. `warmup`: in-process iteration series whose means
   * hold the warm-up, not the steady state the history follows).
   */
  readonly excludePresets?: readonly string[]
  /**
   * Leave out the runs whose `metadata.purpose` is one of these (e.g. a nightly's `reference` and
   * `pair-round` runs: read as pairs with the night's new build, not points of the history).
   */
  readonly excludePurposes?: readonly string[]
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
  /** Present when asked for with `withMetadata`. */
  readonly metadata?: JsonObject
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
