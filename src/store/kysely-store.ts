import type { Kysely } from 'kysely'
import { type JsonObject, type JsonValue, LangperfError, quote } from '../lib/index.ts'
import type { RunSpec, RunWithResults, WorkloadResult } from '../model/index.ts'
import * as alertProfiles from './alert-profiles.ts'
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
import * as alerts from './alerts.ts'
import * as builds from './builds.ts'
import * as farm from './farm.ts'
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
import * as machines from './machines.ts'
import * as pipeline from './pipeline.ts'
import type {
  PipelineStepClaim,
  PipelineStepEnd,
  PipelineStepPage,
  PipelineStepQuery,
  PipelineStepRow,
  PipelineStepStart,
} from './pipeline-types.ts'
import { type PrimeOutcome, primeReads } from './prime.ts'
import type { NewProfile, ProfilePage, ProfileQuery, ProfileWithStacks } from './profile-types.ts'
import * as profiles from './profiles.ts'
import type { RunSource, Store } from './roles.ts'
import type { Db } from './rows.ts'
import { moveRun } from './run-move.ts'
import * as runReads from './run-reads.ts'
import * as runWrites from './run-writes.ts'
import type { Database } from './schema.ts'
import * as series from './series.ts'
import * as seriesIndex from './series-index.ts'
import * as tokens from './tokens.ts'
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

// The Store over a Kysely<Database>, shared by every dialect: a façade that guards each call (a
// closed store, a read-only one) and hands it to the module of its aggregate — run-writes.ts,
// run-move.ts, run-reads.ts, builds.ts, machines.ts, series.ts, tokens.ts, alerts.ts, pipeline.ts, profiles.ts — whose
// free functions hold the queries. Only portable SQL is used: INSERT … ON CONFLICT DO NOTHING …
// RETURNING (SQLite ≥ 3.35, PostgreSQL ≥ 9.5), NULLS LAST (SQLite ≥ 3.30), CASE, COUNT, SUM.

/** Options of `createKyselyStore`. */
export interface KyselyStoreOptions {
  /** Writes throw LangperfError 'unavailable' instead of reaching the database. */
  readonly readonly?: boolean
  /** SQLite: the page cache the connection was given, in bytes (primeReads fills it). */
  readonly cacheBytes?: number
}

/**
 * A Store over an open, migrated Kysely instance; `close()` destroys the instance. Dialect
 * packages (sqlite/, postgres/) open the connection, migrate and call this.
 */
export function createKyselyStore(
  db: Kysely<Database>,
  dialect: StoreDialect,
  options: KyselyStoreOptions = {},
): Store {
  return new KyselyStore(db, dialect, options.readonly ?? false, options.cacheBytes)
}

class KyselyStore implements Store {
  readonly dialect: StoreDialect
  readonly #db: Db
  readonly #readonly: boolean
  #closed = false
  /** The run groups with the state of `runs` they were read at (see run-reads.ts). */
  readonly #groups: runReads.RunGroupCache = { current: undefined }
  /** Writes started and finished on this store's connection (each counts twice), see runsState. */
  #writes = 0
  /** The last runs stamp, with what said it was current (SQLite only, see runsState). */
  #stamp: { readonly dataVersion: number; readonly writes: number; readonly value: string } | undefined

  readonly #cacheBytes: number | undefined

  constructor(db: Db, dialect: StoreDialect, readonly: boolean, cacheBytes: number | undefined) {
    this.#db = db
    this.dialect = dialect
    this.#readonly = readonly
    this.#cacheBytes = cacheBytes
  }

  primeReads(): Promise<PrimeOutcome> {
    return primeReads(this.#db, this.dialect, this.#cacheBytes, () => !this.#closed)
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#db.destroy()
  }

  /** Runs the write `fn` once the store is open and writable; `what` names it in the errors. */
  async #write<T>(what: string, fn: (db: Db) => Promise<T>): Promise<T> {
    if (this.#closed) throw new LangperfError('unavailable', `Cannot ${what}: the store is closed`)
    if (this.#readonly)
      throw new LangperfError('unavailable', `Cannot ${what}: the store was opened read-only`)
    this.#writes++
    try {
      return await fn(this.#db)
    } finally {
      this.#writes++
    }
  }

  /** Runs the read `fn` once the store is open; `what` names it in the error. */
  async #read<T>(what: string, fn: (db: Db) => Promise<T>): Promise<T> {
    if (this.#closed) throw new LangperfError('unavailable', `Cannot ${what}: the store is closed`)
    return fn(this.#db)
  }

  // ---- runs and results (run-writes.ts, run-reads.ts) ----

  beginRun(spec: RunSpec): Promise<{ readonly runId: number }> {
    return this.#write('begin run', (db) => runWrites.beginRun(db, spec))
  }

  addResult(
    runId: number,
    result: WorkloadResult,
    options?: { readonly manifest?: ManifestInput },
  ): Promise<{ readonly resultId: number }> {
    const what = `add result ${quote(result?.workload?.name)} to run ${runId}`
    return this.#write(what, (db) => runWrites.addResult(db, runId, result, options))
  }

  finishRun(
    runId: number,
    status: 'complete' | 'interrupted',
    finishedAt: string,
    metadata?: JsonObject,
  ): Promise<void> {
    return this.#write(`finish run ${runId}`, (db) =>
      runWrites.finishRun(db, runId, status, finishedAt, metadata),
    )
  }

  insertRuns(runs: RunSource): Promise<number[]> {
    return this.#write('insert runs', (db) => runWrites.insertRuns(db, runs))
  }
  moveRun(runId: number, to: RunPlacement): Promise<MovedRun> {
    return this.#write('move a run', (db) => moveRun(db, runId, to))
  }

  markInterruptedRuns(options?: InterruptOptions): Promise<number> {
    return this.#write('mark interrupted runs', (db) => runWrites.markInterruptedRuns(db, options))
  }

  getRun(runId: number): Promise<RunRow | undefined> {
    return this.#read(`get run ${runId}`, (db) => runReads.getRun(db, runId))
  }

  getRunWithResults(runId: number): Promise<RunWithResults | undefined> {
    return this.#read(`get run ${runId}`, (db) => runReads.getRunWithResults(db, runId))
  }

  listRuns(query?: RunQuery): Promise<RunPage> {
    return this.#read('list runs', (db) => runReads.listRuns(db, query))
  }

  listGroupRuns(group: RunGroupQuery): Promise<RunFacts[]> {
    return this.#read('list the runs of a group', (db) => runReads.listGroupRuns(db, group))
  }

  countGroupResults(group: RunGroupQuery): Promise<Map<number, number>> {
    return this.#read('count the results of a group', (db) => runReads.countGroupResults(db, group))
  }

  getResults(
    runId: number,
    options: ResultQuery & { readonly withSamples: true },
  ): Promise<ResultRowWithSamples[]>
  getResults(runId: number, options?: ResultQuery): Promise<ResultRow[]>
  getResults(runId: number, options?: ResultQuery): Promise<ResultRow[]> {
    return this.#read(`get results of run ${runId}`, (db) => runReads.getResults(db, runId, options))
  }

  getResultSummaries(
    runIds: readonly number[],
    options?: { readonly workloads?: readonly string[] },
  ): Promise<ResultSummaryRow[]> {
    return this.#read('get result summaries', (db) => runReads.getResultSummaries(db, runIds, options))
  }

  /**
   * The runs stamp (run-reads.ts). On SQLite it is kept while nothing was committed since: by
   * another connection (`PRAGMA data_version` changes then) or by this one (its writes are
   * counted); reading the stamp scans the runs table, a few ms on a large store, and a page asks
   * for it more than once.
   */
  runsState(): Promise<string> {
    return this.#read('read the state of the runs', async (db) => {
      if (this.dialect !== 'sqlite') return runReads.runsStamp(db)
      const writes = this.#writes
      const dataVersion = await runReads.sqliteDataVersion(db)
      const kept = this.#stamp
      if (kept !== undefined && kept.dataVersion === dataVersion && kept.writes === writes) return kept.value
      const value = await runReads.runsStamp(db)
      this.#stamp = { dataVersion, writes, value }
      return value
    })
  }

  latestRunsByGroup(query?: LatestRunsQuery): Promise<RunGroup[]> {
    const what = 'list the latest runs by group'
    return this.#read(what, (db) => runReads.latestRunsByGroup(db, this.#groups, query))
  }

  // ---- runtimes, builds and workloads (builds.ts) ----

  findBuilds(query?: BuildQuery): Promise<BuildRow[]> {
    return this.#read('find builds', (db) => builds.findBuilds(db, query))
  }

  listBuilds(query?: BuildQuery): Promise<BuildPage> {
    return this.#read('list builds', (db) => builds.listBuilds(db, query))
  }

  setBuildLineage(buildId: number, input: BuildLineageInput): Promise<BuildRow> {
    return this.#write('set the lineage of a build', (db) => builds.setBuildLineage(db, buildId, input))
  }

  listRuntimes(): Promise<RuntimeInfo[]> {
    return this.#read('list runtimes', (db) => builds.listRuntimes(db))
  }

  listWorkloads(options?: { readonly name?: string }): Promise<WorkloadRow[]> {
    return this.#read('list workloads', (db) => builds.listWorkloads(db, options))
  }

  // ---- machines (machines.ts) ----

  listMachines(): Promise<MachineRow[]> {
    return this.#read('list machines', (db) => machines.listMachines(db))
  }

  getMachine(name: string): Promise<MachineDetail | undefined> {
    return this.#read(`get machine ${quote(name)}`, (db) => machines.getMachine(db, name))
  }

  // ---- series (series.ts) ----

  listSeries(query?: SeriesQuery): Promise<SeriesInfo[]> {
    return this.#read('list series', (db) => series.listSeries(db, query))
  }

  getSeriesPoints(key: SeriesKey, options?: SeriesPointQuery): Promise<SeriesPoint[]> {
    return this.#read('get series points', (db) => series.getSeriesPoints(db, this.dialect, key, options))
  }

  // ---- the series index's cached summaries (series-index.ts) ----

  readSeriesSummaries(keys: readonly SeriesKey[]): Promise<(CachedSeriesSummary | undefined)[]> {
    return this.#read('read series summaries', (db) => seriesIndex.readSeriesSummaries(db, keys))
  }

  writeSeriesSummary(key: SeriesKey, revision: number, summary: JsonValue): Promise<boolean> {
    // A cache a reader fills: on a store opened read-only it is simply not kept (the reader that
    // made the summary still answers with it).
    if (this.#readonly && !this.#closed) return Promise.resolve(false)
    return this.#write('write a series summary', (db) =>
      seriesIndex.writeSeriesSummary(db, key, revision, summary),
    )
  }

  // ---- API tokens (tokens.ts) ----

  createToken(token: NewToken): Promise<TokenRow> {
    return this.#write(`create token ${quote(token?.name)}`, (db) => tokens.createToken(db, token))
  }

  findTokenByHash(hash: string): Promise<TokenRecord | undefined> {
    return this.#read('find token', (db) => tokens.findTokenByHash(db, hash))
  }

  listTokens(): Promise<TokenRow[]> {
    return this.#read('list tokens', (db) => tokens.listTokens(db))
  }

  revokeToken(id: number, revokedAt: string): Promise<TokenRow> {
    return this.#write(`revoke token ${quote(id)}`, (db) => tokens.revokeToken(db, id, revokedAt))
  }

  touchToken(id: number, usedAt: string): Promise<void> {
    return this.#write(`record use of token ${quote(id)}`, (db) => tokens.touchToken(db, id, usedAt))
  }
  // ---- the farm's ledger (farm.ts) ----

  registerAgent(agent: NewAgent): Promise<AgentRow> {
    return this.#write(`register agent ${quote(agent?.machine)}`, (db) => farm.registerAgent(db, agent))
  }

  touchAgent(machine: string, touch: AgentTouch): Promise<void> {
    return this.#write(`record agent ${quote(machine)}`, (db) => farm.touchAgent(db, machine, touch))
  }

  listAgents(): Promise<AgentRow[]> {
    return this.#read('list agents', (db) => farm.listAgents(db))
  }

  insertRunOnce(jobKey: string, run: RunWithResults, at: string): Promise<RunOnce> {
    return this.#write(`store the result of job ${quote(jobKey, 80)}`, (db) =>
      farm.insertRunOnce(db, jobKey, run, at),
    )
  }

  raiseMachineAlert(alert: NewMachineAlert): Promise<{ alert: MachineAlertRow; raised: boolean }> {
    return this.#write(`raise an alert about machine ${quote(alert?.machine)}`, (db) =>
      farm.raiseMachineAlert(db, alert),
    )
  }

  clearMachineAlerts(
    machine: string,
    clear: { readonly at: string; readonly reason: string; readonly kind?: MachineAlertKind },
  ): Promise<MachineAlertRow[]> {
    return this.#write(`clear the alerts about machine ${quote(machine)}`, (db) =>
      farm.clearMachineAlerts(db, machine, clear),
    )
  }

  listMachineAlerts(query?: MachineAlertQuery): Promise<MachineAlertRow[]> {
    return this.#read('list machine alerts', (db) => farm.listMachineAlerts(db, query))
  }

  // ---- changes and alerts (alerts.ts) ----

  applyDetection(batch: DetectionBatch): Promise<DetectionOutcome> {
    return this.#write('record detected changes', (db) => alerts.applyDetection(db, batch))
  }

  listAlerts(query?: AlertQuery): Promise<AlertPage> {
    return this.#read('list alerts', (db) => alerts.listAlerts(db, query))
  }

  getAlert(id: number): Promise<AlertDetail | undefined> {
    return this.#read('show an alert', (db) => alerts.getAlert(db, id))
  }

  listChanges(query?: ChangeQuery): Promise<{ readonly rows: readonly ChangeRow[]; readonly total: number }> {
    return this.#read('list changes', (db) => alerts.listChanges(db, query))
  }

  changesState(): Promise<string> {
    return this.#read('read the state of the changes', (db) => alerts.changesState(db))
  }

  triageAlert(id: number, input: TriageInput): Promise<AlertDetail> {
    return this.#write('triage an alert', (db) => alerts.triageAlert(db, id, input))
  }

  setAlertCulprit(id: number, input: CulpritInput): Promise<AlertDetail> {
    return this.#write('record a culprit', (db) => alerts.setAlertCulprit(db, id, input))
  }

  setAlertProfile(alertId: number, input: AlertProfileInput): Promise<{ readonly id: number }> {
    return this.#write('record the profiles of a culprit', (db) =>
      alertProfiles.setAlertProfile(db, alertId, input),
    )
  }

  // ---- the nightly pipeline's step journal (pipeline.ts) ----

  startPipelineStep(input: PipelineStepStart): Promise<PipelineStepClaim> {
    return this.#write('start a pipeline step', (db) => pipeline.startPipelineStep(db, input))
  }

  finishPipelineStep(key: string, input: PipelineStepEnd): Promise<PipelineStepRow> {
    return this.#write('finish a pipeline step', (db) => pipeline.finishPipelineStep(db, key, input))
  }

  getPipelineStep(key: string): Promise<PipelineStepRow | undefined> {
    return this.#read('get a pipeline step', (db) => pipeline.getPipelineStep(db, key))
  }

  listPipelineSteps(query?: PipelineStepQuery): Promise<PipelineStepPage> {
    return this.#read('list pipeline steps', (db) => pipeline.listPipelineSteps(db, query))
  }

  // ---- profiles (profiles.ts) ----

  addProfile(profile: NewProfile): Promise<{ readonly profileId: number }> {
    return this.#write(`store a profile of ${quote(profile?.workload?.name)}`, (db) =>
      profiles.addProfile(db, profile),
    )
  }

  getProfile(id: number): Promise<ProfileWithStacks | undefined> {
    return this.#read(`get profile ${quote(id)}`, (db) => profiles.getProfile(db, id))
  }

  listProfiles(query?: ProfileQuery): Promise<ProfilePage> {
    return this.#read('list profiles', (db) => profiles.listProfiles(db, query))
  }
}
