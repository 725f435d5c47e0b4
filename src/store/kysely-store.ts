import type { Kysely } from 'kysely'
import {
  assertNever,
  canonicalJson,
  isJsonObject,
  type JsonObject,
  LangperfError,
  quote,
  sha256Hex,
} from '../lib/index.ts'
import {
  type BuildSpec,
  type EnvironmentWarning,
  type InterpreterInfo,
  type MachineEnvironment,
  type MachineFingerprint,
  type MachineTuning,
  type ProcessSamples,
  type ResultOutcome,
  type ResultState,
  RUN_STATUSES,
  type RunSource,
  type RunSpec,
  type RunStatus,
  type RunWithResults,
  type WorkloadResult,
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
import * as alerts from './alerts.ts'
import * as pipeline from './pipeline.ts'
import type {
  PipelineStepClaim,
  PipelineStepEnd,
  PipelineStepPage,
  PipelineStepQuery,
  PipelineStepRow,
  PipelineStepStart,
} from './pipeline-types.ts'
import type { Store } from './roles.ts'
import type { Database } from './schema.ts'
import { summarizeProcesses } from './summary.ts'
import {
  type BuildLineageInput,
  type BuildPage,
  type BuildQuery,
  type BuildRow,
  type FingerprintRow,
  type InterruptOptions,
  type LatestRunsQuery,
  type MachineDetail,
  type MachineRow,
  type ManifestInput,
  type NewToken,
  type ResultQuery,
  type ResultRow,
  type ResultRowWithSamples,
  type ResultSummary,
  type RunGroup,
  type RunPage,
  type RunQuery,
  type RunRow,
  type RuntimeConfigInfo,
  type RuntimeInfo,
  type SeriesInfo,
  type SeriesKey,
  type SeriesPoint,
  type SeriesPointQuery,
  type SeriesQuery,
  type StoreDialect,
  TOKEN_ROLES,
  type TokenRecord,
  type TokenRole,
  type TokenRow,
  type WorkloadRow,
} from './types.ts'
import { checkId, checkIsoUtc, checkName, checkResult, checkRunEnd, checkRunSpec } from './validate.ts'

// The Store over a Kysely<Database>, shared by every dialect. Only portable SQL is used:
// INSERT … ON CONFLICT DO NOTHING … RETURNING (SQLite ≥ 3.35, PostgreSQL ≥ 9.5), NULLS LAST
// (SQLite ≥ 3.30), CASE, COUNT, SUM. Values come back through the `num`/`json` normalisers,
// because pg returns bigint and count as strings where better-sqlite3 returns numbers.

/** Options of `createKyselyStore`. */
export interface KyselyStoreOptions {
  /** Writes throw LangperfError 'unavailable' instead of reaching the database. */
  readonly readonly?: boolean
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
  return new KyselyStore(db, dialect, options.readonly ?? false)
}

type Db = Kysely<Database>

const DEFAULT_RUN_LIMIT = 50
const DEFAULT_BUILD_LIMIT = 100
const MAX_LIMIT = 1000

/** A normalised integer or float: numbers pass, pg's decimal strings and bigints are converted. */
function num(value: number | string | bigint): number {
  return typeof value === 'number' ? value : Number(value)
}

function numOrNull(value: number | string | bigint | null): number | null {
  return value === null ? null : num(value)
}

/** Parses a JSON column (text everywhere today; a jsonb column would arrive parsed). */
function json<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T
}

function jsonOrNull<T>(value: unknown): T | null {
  return value === null || value === undefined ? null : json<T>(value)
}

const RESULT_STATES: readonly ResultState[] = ['measured', 'failed', 'skipped']

function checkLimit(value: number | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value < 1 || value > MAX_LIMIT) {
    throw new LangperfError(
      'bad-input',
      `Cannot ${what}: expected limit between 1 and ${MAX_LIMIT}, found ${quote(value)}`,
    )
  }
  return value
}

function checkOffset(value: number | undefined, what: string): number {
  if (value === undefined) return 0
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new LangperfError(
      'bad-input',
      `Cannot ${what}: expected offset to be an integer ≥ 0, found ${quote(value)}`,
    )
  }
  return value
}

/** Hash identifying a fingerprint: equal facts in any key order give the same hash. */
function fingerprintHash(fingerprint: MachineFingerprint): string {
  return sha256Hex(canonicalJson(fingerprint), 16)
}

// Columns of a build joined as `b` with its runtime as `rt`, aliased so they can sit beside a run's.
const BUILD_COLUMNS = [
  'b.id as b_id',
  'rt.name as b_runtime',
  'b.version as b_version',
  'b.config as b_config',
  'b.commit_sha as b_commit_sha',
  'b.commit_date_utc as b_commit_date_utc',
  'b.branch as b_branch',
  'b.merge_base as b_merge_base',
  'b.identity as b_identity',
  'b.interpreter as b_interpreter',
  'b.metadata as b_metadata',
] as const

interface BuildColumns {
  b_id: number | string
  b_runtime: string
  b_version: string
  b_config: string
  b_commit_sha: string | null
  b_commit_date_utc: string | null
  b_branch: string | null
  b_merge_base: string | null
  b_identity: string
  b_interpreter: string | null
  b_metadata: string
}

function toBuildRow(r: BuildColumns): BuildRow {
  return {
    id: num(r.b_id),
    runtime: r.b_runtime,
    version: r.b_version,
    config: r.b_config,
    commitSha: r.b_commit_sha,
    commitDateUtc: r.b_commit_date_utc,
    branch: r.b_branch,
    mergeBase: r.b_merge_base,
    identity: r.b_identity,
    interpreter: jsonOrNull<InterpreterInfo>(r.b_interpreter),
    metadata: json<JsonObject>(r.b_metadata),
  }
}

interface RunColumns extends BuildColumns {
  id: number | string
  machine_id: number | string
  machine: string
  suite: string
  preset: string
  harness_version: string
  source: string
  status: string
  started_at: string
  finished_at: string | null
  group_id: string | null
  environment: string | null
  warnings: string
  metadata: string
  result_count: number | string | bigint
}

function toRunRow(r: RunColumns): RunRow {
  const env = jsonOrNull<{ fingerprint: MachineFingerprint; tuning: MachineTuning }>(r.environment)
  const environment: MachineEnvironment | null =
    env === null
      ? null
      : { fingerprint: env.fingerprint, tuning: env.tuning, warnings: json<EnvironmentWarning[]>(r.warnings) }
  return {
    id: num(r.id),
    machineId: num(r.machine_id),
    machine: r.machine,
    environment,
    build: toBuildRow(r),
    suite: r.suite,
    preset: r.preset,
    harnessVersion: r.harness_version,
    source: r.source as RunSource,
    startedAt: r.started_at,
    groupId: r.group_id,
    metadata: json<JsonObject>(r.metadata),
    status: r.status as RunStatus,
    finishedAt: r.finished_at,
    resultCount: num(r.result_count),
  }
}

interface SummaryColumns {
  n_processes: number | string
  n_values: number | string
  mean: number | string | null
  stdev_process_means: number | string | null
  min: number | string | null
  max: number | string | null
  median: number | string | null
}

function toSummary(r: SummaryColumns): ResultSummary {
  return {
    nProcesses: num(r.n_processes),
    nValues: num(r.n_values),
    mean: numOrNull(r.mean),
    stdevProcessMeans: numOrNull(r.stdev_process_means),
    min: numOrNull(r.min),
    max: numOrNull(r.max),
    median: numOrNull(r.median),
  }
}

function toState(value: string): ResultState {
  const state = RESULT_STATES.find((s) => s === value)
  if (state === undefined)
    throw new LangperfError('internal', `Unexpected result state ${quote(value)} in the store`)
  return state
}

function toOutcome(r: {
  state: string
  failure_reason: string | null
  message: string | null
  stderr_tail: string | null
}): ResultOutcome {
  const state = toState(r.state)
  switch (state) {
    case 'measured':
      return { state }
    case 'failed':
      return {
        state,
        reason: r.failure_reason as Extract<ResultOutcome, { state: 'failed' }>['reason'],
        message: r.message ?? '',
        stderrTail: r.stderr_tail ?? '',
      }
    case 'skipped':
      return { state, message: r.message ?? '' }
    default:
      return assertNever(state)
  }
}

/** Columns of `results` for an outcome. */
function outcomeColumns(outcome: ResultOutcome): {
  state: ResultState
  failure_reason: string | null
  message: string | null
  stderr_tail: string | null
} {
  switch (outcome.state) {
    case 'measured':
      return { state: 'measured', failure_reason: null, message: null, stderr_tail: null }
    case 'failed':
      return {
        state: 'failed',
        failure_reason: outcome.reason,
        message: outcome.message,
        stderr_tail: outcome.stderrTail,
      }
    case 'skipped':
      return { state: 'skipped', failure_reason: null, message: outcome.message, stderr_tail: null }
    default:
      return assertNever(outcome)
  }
}

/** Drops the store's ids from a build so it compares equal to the BuildSpec it came from. */
function toBuildSpec(b: BuildRow): BuildSpec {
  const { id: _id, ...spec } = b
  return spec
}

/** Runs joined with their machine, build and runtime, as `r`, `m`, `b`, `rt`. */
function runsQuery(db: Db) {
  return db
    .selectFrom('runs as r')
    .innerJoin('machines as m', 'm.id', 'r.machine_id')
    .innerJoin('builds as b', 'b.id', 'r.build_id')
    .innerJoin('runtimes as rt', 'rt.id', 'b.runtime_id')
}

/** The columns RunColumns names, over a runsQuery() with any filters added. */
function selectRunColumns(q: ReturnType<typeof runsQuery>) {
  return q
    .select(BUILD_COLUMNS)
    .select([
      'r.id',
      'r.machine_id',
      'm.name as machine',
      'r.suite',
      'r.preset',
      'r.harness_version',
      'r.source',
      'r.status',
      'r.started_at',
      'r.finished_at',
      'r.group_id',
      'r.environment',
      'r.warnings',
      'r.metadata',
    ])
    .select((eb) =>
      eb
        .selectFrom('results as res')
        .select(eb.fn.countAll().as('n'))
        .whereRef('res.run_id', '=', 'r.id')
        .as('result_count'),
    )
}

class KyselyStore implements Store {
  readonly dialect: StoreDialect
  readonly #db: Db
  readonly #readonly: boolean
  #closed = false
  /** The run groups with the state of `runs` they were read at (see #runGroups). */
  #groupCache: { readonly key: string; readonly groups: readonly RunGroupKey[] } | undefined

  constructor(db: Db, dialect: StoreDialect, readonly: boolean) {
    this.#db = db
    this.dialect = dialect
    this.#readonly = readonly
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#db.destroy()
  }

  #writable(what: string): void {
    if (this.#closed) throw new LangperfError('unavailable', `Cannot ${what}: the store is closed`)
    if (this.#readonly)
      throw new LangperfError('unavailable', `Cannot ${what}: the store was opened read-only`)
  }

  #open(what: string): void {
    if (this.#closed) throw new LangperfError('unavailable', `Cannot ${what}: the store is closed`)
  }

  // ---- writing ----

  async beginRun(spec: RunSpec): Promise<{ readonly runId: number }> {
    const what = 'begin run'
    this.#writable(what)
    checkRunSpec(spec, what)
    const runId = await this.#db.transaction().execute((trx) => insertRun(trx, spec, 'running', null))
    return { runId }
  }

  async addResult(
    runId: number,
    result: WorkloadResult,
    options: { readonly manifest?: ManifestInput } = {},
  ): Promise<{ readonly resultId: number }> {
    const what = `add result ${quote(result?.workload?.name)} to run ${runId}`
    this.#writable(what)
    checkId(runId, 'runId', what)
    checkResult(result, what)
    const resultId = await this.#db.transaction().execute(async (trx) => {
      const run = await trx.selectFrom('runs').select('status').where('id', '=', runId).executeTakeFirst()
      if (run === undefined) throw new LangperfError('not-found', `Cannot ${what}: no run has id ${runId}`)
      if (run.status !== 'running') {
        throw new LangperfError('conflict', `Cannot ${what}: the run is ${run.status}, expected running`)
      }
      return insertResult(trx, runId, result, options.manifest ?? null, { checkDuplicate: true, what })
    })
    return { resultId }
  }

  async finishRun(runId: number, status: 'complete' | 'interrupted', finishedAt: string): Promise<void> {
    const what = `finish run ${runId}`
    this.#writable(what)
    checkId(runId, 'runId', what)
    if (status !== 'complete' && status !== 'interrupted') {
      throw new LangperfError(
        'bad-input',
        `Cannot ${what}: expected status complete or interrupted, found ${quote(status)}`,
      )
    }
    checkIsoUtc(finishedAt, 'finishedAt', what)
    await this.#db.transaction().execute(async (trx) => {
      const run = await trx.selectFrom('runs').select('status').where('id', '=', runId).executeTakeFirst()
      if (run === undefined) throw new LangperfError('not-found', `Cannot ${what}: no run has id ${runId}`)
      if (run.status !== 'running') {
        throw new LangperfError('conflict', `Cannot ${what}: the run is already ${run.status}`)
      }
      await trx.updateTable('runs').set({ status, finished_at: finishedAt }).where('id', '=', runId).execute()
    })
  }

  async insertRuns(runs: readonly RunWithResults[]): Promise<number[]> {
    this.#writable('insert runs')
    if (!Array.isArray(runs)) {
      throw new LangperfError(
        'bad-input',
        `Cannot insert runs: expected an array of runs, found ${quote(runs)}`,
      )
    }
    return this.#db.transaction().execute(async (trx) => {
      const ids: number[] = []
      for (const [i, r] of runs.entries()) {
        // Validated inside the transaction, run by run: a bad run halfway through rolls back the
        // ones before it, so the batch is stored whole or not at all.
        const what = `store run ${i + 1} of ${runs.length}`
        checkRunSpec(r.run, what)
        checkRunEnd(r.status, r.finishedAt, what)
        if (!Array.isArray(r.results)) {
          throw new LangperfError(
            'bad-input',
            `Cannot ${what}: expected results to be an array, found ${quote(r.results)}`,
          )
        }
        const seen = new Set<string>()
        for (const res of r.results) {
          const resWhat = `${what}, result ${quote(res?.workload?.name)}`
          checkResult(res, resWhat)
          const key = `${res.workload.name}\u0000${res.workload.version}`
          if (seen.has(key)) {
            throw new LangperfError(
              'conflict',
              `Cannot ${what}: workload ${quote(res.workload.name)} version ${quote(res.workload.version)} appears twice, expected one result per workload`,
            )
          }
          seen.add(key)
        }
        const runId = await insertRun(trx, r.run, r.status, r.finishedAt)
        for (const res of r.results) {
          await insertResult(trx, runId, res, null, { checkDuplicate: false, what })
        }
        ids.push(runId)
      }
      return ids
    })
  }

  async markInterruptedRuns(options: InterruptOptions = {}): Promise<number> {
    const what = 'mark interrupted runs'
    this.#writable(what)
    let q = this.#db.updateTable('runs').set({ status: 'interrupted' }).where('status', '=', 'running')
    if (options.startedBefore !== undefined) {
      q = q.where('started_at', '<', checkIsoUtc(options.startedBefore, 'startedBefore', what))
    }
    const res = await q.executeTakeFirst()
    return num(res.numUpdatedRows)
  }

  // ---- reading ----

  async getRun(runId: number): Promise<RunRow | undefined> {
    const what = `get run ${runId}`
    this.#open(what)
    checkId(runId, 'runId', what)
    const row = await selectRunColumns(runsQuery(this.#db)).where('r.id', '=', runId).executeTakeFirst()
    return row === undefined ? undefined : toRunRow(row as RunColumns)
  }

  async getRunWithResults(runId: number): Promise<RunWithResults | undefined> {
    const run = await this.getRun(runId)
    if (run === undefined) return undefined
    const results = await this.getResults(runId, { withSamples: true })
    return {
      run: {
        machine: run.machine,
        environment: run.environment,
        build: toBuildSpec(run.build),
        suite: run.suite,
        preset: run.preset,
        harnessVersion: run.harnessVersion,
        source: run.source,
        startedAt: run.startedAt,
        groupId: run.groupId,
        metadata: run.metadata,
      },
      status: run.status,
      finishedAt: run.finishedAt,
      results: results.map(
        (r): WorkloadResult => ({
          workload: r.workload,
          unit: r.unit,
          loops: r.loops,
          innerLoops: r.innerLoops,
          processes: r.processes,
          outcome: r.outcome,
          metadata: r.metadata,
        }),
      ),
    }
  }

  async listRuns(query: RunQuery = {}): Promise<RunPage> {
    const what = 'list runs'
    this.#open(what)
    const limit = checkLimit(query.limit, DEFAULT_RUN_LIMIT, what)
    const offset = checkOffset(query.offset, what)
    let q = runsQuery(this.#db)
    if (query.machine !== undefined) q = q.where('m.name', '=', query.machine)
    if (query.runtime !== undefined) q = q.where('rt.name', '=', query.runtime)
    if (query.config !== undefined) q = q.where('b.config', '=', query.config)
    if (query.branch !== undefined) q = q.where('b.branch', '=', query.branch)
    if (query.status !== undefined) q = q.where('r.status', '=', query.status)
    if (query.groupId !== undefined) q = q.where('r.group_id', '=', query.groupId)
    if (query.suite !== undefined) q = q.where('r.suite', '=', query.suite)
    if (query.buildId !== undefined) q = q.where('r.build_id', '=', checkId(query.buildId, 'buildId', what))
    const [rows, count] = await Promise.all([
      selectRunColumns(q)
        .orderBy('r.started_at', 'desc')
        .orderBy('r.id', 'desc')
        .limit(limit)
        .offset(offset)
        .execute(),
      q.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow(),
    ])
    return { rows: rows.map((r) => toRunRow(r as RunColumns)), total: num(count.n) }
  }

  getResults(
    runId: number,
    options: ResultQuery & { readonly withSamples: true },
  ): Promise<ResultRowWithSamples[]>
  getResults(runId: number, options?: ResultQuery): Promise<ResultRow[]>
  async getResults(runId: number, options: ResultQuery = {}): Promise<ResultRow[]> {
    const what = `get results of run ${runId}`
    this.#open(what)
    checkId(runId, 'runId', what)
    let q = this.#db
      .selectFrom('results as r')
      .innerJoin('workloads as w', 'w.id', 'r.workload_id')
      .select([
        'r.id',
        'r.run_id',
        'r.workload_id',
        'w.name as workload_name',
        'w.version as workload_version',
        'r.state',
        'r.failure_reason',
        'r.message',
        'r.stderr_tail',
        'r.unit',
        'r.loops',
        'r.inner_loops',
        'r.metadata',
        'r.n_processes',
        'r.n_values',
        'r.mean',
        'r.stdev_process_means',
        'r.min',
        'r.max',
        'r.median',
        'r.process_means',
      ])
      .where('r.run_id', '=', runId)
      // Insertion order: the order the suite ran them in, and the order an import had them in,
      // so a run exported again lists its workloads as it was given.
      .orderBy('r.id')
    if (options.workloads !== undefined) {
      if (options.workloads.length === 0) return []
      q = q.where('w.name', 'in', [...options.workloads])
    }
    const rows = await q.execute()
    const base = rows.map(
      (r): ResultRow => ({
        id: num(r.id),
        runId: num(r.run_id),
        workloadId: num(r.workload_id),
        workload: { name: r.workload_name, version: r.workload_version },
        unit: r.unit,
        loops: num(r.loops),
        innerLoops: num(r.inner_loops),
        outcome: toOutcome(r),
        metadata: json<JsonObject>(r.metadata),
        summary: toSummary(r),
        processMeans: json<number[]>(r.process_means),
      }),
    )
    if (options.withSamples !== true || base.length === 0) return base
    let sq = this.#db
      .selectFrom('result_samples as s')
      .innerJoin('results as r', 'r.id', 's.result_id')
      .select(['s.result_id', 's.processes'])
      .where('r.run_id', '=', runId)
    // Only the samples of the selected workloads: they are most of a run's bytes.
    if (options.workloads !== undefined)
      sq = sq.where(
        's.result_id',
        'in',
        base.map((r) => r.id),
      )
    const samples = await sq.execute()
    const byId = new Map(samples.map((s) => [num(s.result_id), s.processes]))
    return base.map((r): ResultRowWithSamples => {
      const processes = byId.get(r.id)
      if (processes === undefined) {
        throw new LangperfError('internal', `Result ${r.id} of run ${runId} has no samples row`)
      }
      return { ...r, processes: json<ProcessSamples[]>(processes) }
    })
  }

  /** Builds joined with their runtime, filtered as `query` says (no order, no limit). */
  #buildsQuery(query: BuildQuery, what: string) {
    let q = this.#db.selectFrom('builds as b').innerJoin('runtimes as rt', 'rt.id', 'b.runtime_id')
    if (query.runtime !== undefined) q = q.where('rt.name', '=', query.runtime)
    if (query.version !== undefined) q = q.where('b.version', '=', query.version)
    if (query.config !== undefined) q = q.where('b.config', '=', query.config)
    if (query.branch !== undefined) q = q.where('b.branch', '=', query.branch)
    if (query.identity !== undefined) q = q.where('b.identity', '=', query.identity)
    if (query.commitPrefix !== undefined) {
      const prefix = checkName(query.commitPrefix, 'commitPrefix', what)
      // substr rather than LIKE: LIKE is case-insensitive on SQLite and treats `_`/`%` specially.
      q = q.where((eb) =>
        eb(eb.fn('substr', ['b.commit_sha', eb.val(1), eb.val(prefix.length)]), '=', prefix),
      )
    }
    return q
  }

  async findBuilds(query: BuildQuery = {}): Promise<BuildRow[]> {
    const what = 'find builds'
    this.#open(what)
    const limit = checkLimit(query.limit, DEFAULT_BUILD_LIMIT, what)
    const offset = checkOffset(query.offset, what)
    const rows = await this.#buildsQuery(query, what)
      .select(BUILD_COLUMNS)
      .orderBy('b.commit_date_utc', (ob) => ob.desc().nullsLast())
      .orderBy('b.id', 'desc')
      .limit(limit)
      .offset(offset)
      .execute()
    return rows.map(toBuildRow)
  }

  async listBuilds(query: BuildQuery = {}): Promise<BuildPage> {
    const what = 'list builds'
    this.#open(what)
    const [rows, count] = await Promise.all([
      this.findBuilds(query),
      this.#buildsQuery(query, what)
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow(),
    ])
    return { rows, total: num(count.n) }
  }

  async setBuildLineage(buildId: number, input: BuildLineageInput): Promise<BuildRow> {
    const what = 'set the lineage of a build'
    this.#writable(what)
    checkId(buildId, 'buildId', what)
    if (input.branch !== null) checkName(input.branch, 'branch', what)
    if (!isJsonObject(input.metadata)) {
      throw new LangperfError(
        'bad-input',
        `Cannot ${what}: expected metadata to be an object, found ${quote(input.metadata)}`,
      )
    }
    return this.#db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom('builds as b')
        .innerJoin('runtimes as rt', 'rt.id', 'b.runtime_id')
        .select(BUILD_COLUMNS)
        .where('b.id', '=', buildId)
        .executeTakeFirst()
      if (row === undefined) throw new LangperfError('not-found', `Cannot ${what}: no build ${buildId}`)
      const stored = toBuildRow(row)
      const metadata = { ...stored.metadata, ...input.metadata }
      await trx
        .updateTable('builds')
        .set({ branch: input.branch, metadata: JSON.stringify(metadata) })
        .where('id', '=', buildId)
        .execute()
      return { ...stored, branch: input.branch, metadata }
    })
  }

  async listRuntimes(): Promise<RuntimeInfo[]> {
    this.#open('list runtimes')
    // Builds and runs are counted in two grouped queries rather than one join, so a build with
    // many runs counts once.
    const [builds, runs] = await Promise.all([
      this.#db
        .selectFrom('builds as b')
        .innerJoin('runtimes as rt', 'rt.id', 'b.runtime_id')
        .select(['rt.name as runtime', 'b.config'])
        .select((eb) => eb.fn.countAll().as('n'))
        .groupBy(['rt.name', 'b.config'])
        .execute(),
      this.#db
        .selectFrom('runs as r')
        .innerJoin('builds as b', 'b.id', 'r.build_id')
        .innerJoin('runtimes as rt', 'rt.id', 'b.runtime_id')
        .select(['rt.name as runtime', 'b.config'])
        .select((eb) => [eb.fn.countAll().as('n'), eb.fn.max('r.started_at').as('last')])
        .groupBy(['rt.name', 'b.config'])
        .execute(),
    ])
    const runsOf = new Map(runs.map((r) => [`${r.runtime}\u0000${r.config}`, r]))
    const byRuntime = new Map<string, RuntimeConfigInfo[]>()
    for (const b of builds) {
      const r = runsOf.get(`${b.runtime}\u0000${b.config}`)
      const list = byRuntime.get(b.runtime) ?? []
      list.push({
        config: b.config,
        builds: num(b.n),
        runs: r === undefined ? 0 : num(r.n),
        lastRunAt: r?.last ?? null,
      })
      byRuntime.set(b.runtime, list)
    }
    return [...byRuntime.keys()].sort(byteOrder).map((name) => {
      const configs = (byRuntime.get(name) ?? []).sort((a, b) => byteOrder(a.config, b.config))
      return { name, builds: configs.reduce((n, c) => n + c.builds, 0), configs }
    })
  }

  /**
   * Every machine × runtime × config × branch that has runs, sorted. Finding them reads every
   * run (20 ms for 33 k runs), so the list is kept until the runs change: runs are never
   * deleted and a run never changes machine or build, so the count and the largest id of the
   * runs (read from the primary key and the smallest index) tell when it is stale, whichever
   * process wrote.
   */
  async #runGroups(): Promise<readonly RunGroupKey[]> {
    const stamp = await this.#db
      .selectFrom('runs')
      .select((eb) => [eb.fn.max('id').as('max_id'), eb.fn.countAll().as('n')])
      .executeTakeFirstOrThrow()
    const key = `${stamp.max_id ?? 0}:${stamp.n}`
    if (this.#groupCache?.key === key) return this.#groupCache.groups
    const rows = await runsQuery(this.#db)
      .select([
        'r.machine_id',
        'm.name as machine',
        'b.runtime_id',
        'rt.name as runtime',
        'b.config',
        'b.branch',
      ])
      .distinct()
      .execute()
    const groups = rows
      .map((g) => ({ ...g, machine_id: num(g.machine_id), runtime_id: num(g.runtime_id) }))
      .sort(
        (a, b) =>
          byteOrder(a.machine, b.machine) ||
          byteOrder(a.runtime, b.runtime) ||
          byteOrder(a.config, b.config) ||
          (a.branch === b.branch
            ? 0
            : a.branch === null
              ? -1
              : b.branch === null
                ? 1
                : byteOrder(a.branch, b.branch)),
      )
    this.#groupCache = { key, groups }
    return groups
  }

  async latestRunsByGroup(query: LatestRunsQuery = {}): Promise<RunGroup[]> {
    const what = 'list the latest runs by group'
    this.#open(what)
    const perGroup = query.perGroup ?? 2
    if (!Number.isSafeInteger(perGroup) || perGroup < 1 || perGroup > 100) {
      throw new LangperfError(
        'bad-input',
        `Cannot ${what}: expected perGroup between 1 and 100, found ${quote(perGroup)}`,
      )
    }
    const statuses = query.statuses
    if (statuses !== undefined) {
      if (statuses.length === 0) return []
      for (const s of statuses) {
        if (!(RUN_STATUSES as readonly unknown[]).includes(s)) {
          throw new LangperfError(
            'bad-input',
            `Cannot ${what}: expected statuses among ${RUN_STATUSES.join(', ')}, found ${quote(s)}`,
          )
        }
      }
    }
    const filtered = () => {
      let q = runsQuery(this.#db)
      if (query.machine !== undefined) q = q.where('m.name', '=', query.machine)
      if (query.runtime !== undefined) q = q.where('rt.name', '=', query.runtime)
      if (statuses !== undefined) q = q.where('r.status', 'in', [...statuses])
      return q
    }
    const groups = (await this.#runGroups()).filter(
      (g) =>
        (query.machine === undefined || g.machine === query.machine) &&
        (query.runtime === undefined || g.runtime === query.runtime),
    )
    const out: RunGroup[] = []
    for (const g of groups) {
      // One small query per group: each walks runs_machine_started_idx backwards and stops after
      // `perGroup` matches, where a window function would sort every run of the store.
      const rows = await selectRunColumns(
        filtered()
          .where('r.machine_id', '=', g.machine_id)
          .where('b.runtime_id', '=', g.runtime_id)
          .where('b.config', '=', g.config)
          .where('b.branch', g.branch === null ? 'is' : '=', g.branch),
      )
        .orderBy('r.started_at', 'desc')
        .orderBy('r.id', 'desc')
        .limit(perGroup)
        .execute()
      out.push({
        machine: g.machine,
        runtime: g.runtime,
        config: g.config,
        branch: g.branch,
        runs: rows.map((r) => toRunRow(r as RunColumns)),
      })
    }
    if (statuses !== undefined) return out.filter((g) => g.runs.length > 0)
    return out
  }

  async listMachines(): Promise<MachineRow[]> {
    this.#open('list machines')
    const rows = await this.#db.selectFrom('machines').selectAll().orderBy('name').execute()
    return rows.map(toMachineRow)
  }

  async getMachine(name: string): Promise<MachineDetail | undefined> {
    const what = `get machine ${quote(name)}`
    this.#open(what)
    checkName(name, 'name', what)
    const row = await this.#db.selectFrom('machines').selectAll().where('name', '=', name).executeTakeFirst()
    if (row === undefined) return undefined
    const history = await this.#db
      .selectFrom('machine_fingerprints')
      .selectAll()
      .where('machine_id', '=', row.id)
      .orderBy('first_seen_at')
      .orderBy('id')
      .execute()
    return {
      ...toMachineRow(row),
      fingerprints: history.map(
        (h): FingerprintRow => ({
          id: num(h.id),
          hash: h.hash,
          fingerprint: json<MachineFingerprint>(h.fingerprint),
          firstSeenAt: h.first_seen_at,
          lastSeenAt: h.last_seen_at,
        }),
      ),
    }
  }

  async listWorkloads(options: { readonly name?: string } = {}): Promise<WorkloadRow[]> {
    this.#open('list workloads')
    let q = this.#db.selectFrom('workloads').selectAll()
    if (options.name !== undefined) q = q.where('name', '=', options.name)
    const rows = await q.orderBy('name').orderBy('version').execute()
    return rows.map((r) => ({
      id: num(r.id),
      name: r.name,
      version: r.version,
      manifest: jsonOrNull<JsonObject>(r.manifest),
    }))
  }

  #seriesQuery() {
    return this.#db
      .selectFrom('results as r')
      .innerJoin('workloads as w', 'w.id', 'r.workload_id')
      .innerJoin('runs as ru', 'ru.id', 'r.run_id')
      .innerJoin('machines as m', 'm.id', 'ru.machine_id')
      .innerJoin('builds as b', 'b.id', 'ru.build_id')
      .innerJoin('runtimes as rt', 'rt.id', 'b.runtime_id')
  }

  async listSeries(query: SeriesQuery = {}): Promise<SeriesInfo[]> {
    this.#open('list series')
    let q = this.#seriesQuery()
    if (query.machine !== undefined) q = q.where('m.name', '=', query.machine)
    if (query.runtime !== undefined) q = q.where('rt.name', '=', query.runtime)
    if (query.config !== undefined) q = q.where('b.config', '=', query.config)
    if (query.branch !== undefined) q = q.where('b.branch', query.branch === null ? 'is' : '=', query.branch)
    if (query.workload !== undefined) q = q.where('w.name', '=', query.workload)
    const rows = await q
      .select([
        'm.name as machine',
        'rt.name as runtime',
        'b.config',
        'b.branch',
        'w.name as workload',
        'w.version as workload_version',
      ])
      .select((eb) =>
        eb.fn
          .sum<number | string>(
            eb.case().when('r.state', '=', 'measured').then(eb.lit(1)).else(eb.lit(0)).end(),
          )
          .as('points'),
      )
      .groupBy(['m.name', 'rt.name', 'b.config', 'b.branch', 'w.name', 'w.version'])
      .orderBy('m.name')
      .orderBy('rt.name')
      .orderBy('b.config')
      .orderBy('b.branch', (ob) => ob.asc().nullsFirst())
      .orderBy('w.name')
      .orderBy('w.version')
      .execute()
    return rows.map((r) => ({
      machine: r.machine,
      runtime: r.runtime,
      config: r.config,
      branch: r.branch,
      workload: r.workload,
      workloadVersion: r.workload_version,
      points: num(r.points),
    }))
  }

  async getSeriesPoints(key: SeriesKey, options: SeriesPointQuery = {}): Promise<SeriesPoint[]> {
    const what = 'get series points'
    this.#open(what)
    checkName(key.machine, 'machine', what)
    checkName(key.runtime, 'runtime', what)
    checkName(key.config, 'config', what)
    checkName(key.workload, 'workload', what)
    checkName(key.workloadVersion, 'workloadVersion', what)
    const states = options.states ?? ['measured']
    if (states.length === 0) return []
    for (const s of states) toStateOrBadInput(s, what)
    const withMeans = options.withProcessMeans === true
    // Driven from the series' runs, not from the workload: a workload has results in every run
    // of every machine and config (33 k for 5 years of 18 daily runs), a series only in its own
    // (1.8 k). The planners pick the workload index for the plain join, so the runs come as an
    // IN subquery (builds of the runtime × config × branch, then their runs on the machine) and
    // each result is found by its (run, workload) key.
    const seriesRuns = this.#db
      .selectFrom('runs as sr')
      .select('sr.id')
      .where('sr.machine_id', '=', (eb) =>
        eb.selectFrom('machines').select('id').where('name', '=', key.machine),
      )
      .where('sr.build_id', 'in', (eb) => {
        const builds = eb
          .selectFrom('builds as sb')
          .innerJoin('runtimes as srt', 'srt.id', 'sb.runtime_id')
          .select('sb.id')
          .where('srt.name', '=', key.runtime)
          .where('sb.config', '=', key.config)
        return key.branch === null
          ? builds.where('sb.branch', 'is', null)
          : builds.where('sb.branch', '=', key.branch)
      })
    const rows = await this.#db
      .selectFrom('results as r')
      .innerJoin('runs as ru', 'ru.id', 'r.run_id')
      .innerJoin('builds as b', 'b.id', 'ru.build_id')
      .select([
        'r.id',
        'r.run_id',
        'b.id as build_id',
        'b.commit_sha',
        'b.commit_date_utc',
        'ru.started_at',
        'ru.status as run_status',
        'r.state',
        'r.unit',
        'r.n_processes',
        'r.n_values',
        'r.mean',
        'r.stdev_process_means',
        'r.min',
        'r.max',
        'r.median',
      ])
      .$if(withMeans, (q) => q.select('r.process_means'))
      .where('r.workload_id', '=', (eb) =>
        eb
          .selectFrom('workloads')
          .select('id')
          .where('name', '=', key.workload)
          .where('version', '=', key.workloadVersion),
      )
      .where('r.run_id', 'in', seriesRuns)
      .where('r.state', 'in', [...states])
      .$if((options.excludeSuites ?? []).length > 0, (q) =>
        q.where('ru.suite', 'not in', [...(options.excludeSuites ?? [])]),
      )
      .orderBy('b.commit_date_utc', (ob) => ob.asc().nullsLast())
      .orderBy('ru.started_at')
      .orderBy('ru.id')
      .execute()
    return rows.map((r) => {
      const point: SeriesPoint = {
        resultId: num(r.id),
        runId: num(r.run_id),
        buildId: num(r.build_id),
        commitSha: r.commit_sha,
        commitDateUtc: r.commit_date_utc,
        runStartedAt: r.started_at,
        runStatus: r.run_status as RunStatus,
        state: toState(r.state),
        unit: r.unit,
        summary: toSummary(r),
      }
      return withMeans ? { ...point, processMeans: json<number[]>(r.process_means) } : point
    })
  }

  // ---- API tokens ----

  async createToken(token: NewToken): Promise<TokenRow> {
    const what = `create token ${quote(token?.name)}`
    this.#writable(what)
    checkName(token.name, 'name', what)
    if (!(TOKEN_ROLES as readonly unknown[]).includes(token.role)) {
      throw new LangperfError(
        'bad-input',
        `Cannot ${what}: expected role to be one of ${TOKEN_ROLES.join(', ')}, found ${quote(token.role)}`,
      )
    }
    if (!Array.isArray(token.scopes)) {
      throw new LangperfError('bad-input', `Cannot ${what}: expected scopes to be an array of machine names`)
    }
    for (const scope of token.scopes) checkName(scope, 'scope', what)
    if (typeof token.hash !== 'string' || !/^[0-9a-f]{64}$/.test(token.hash)) {
      throw new LangperfError(
        'bad-input',
        `Cannot ${what}: expected hash to be 64 lower-case hex characters (SHA-256), found ${quote(token.hash, 20)}`,
      )
    }
    checkIsoUtc(token.createdAt, 'createdAt', what)
    return this.#db.transaction().execute(async (trx) => {
      const dup = await trx
        .selectFrom('api_tokens')
        .select('id')
        .where('hash', '=', token.hash)
        .executeTakeFirst()
      if (dup !== undefined) {
        throw new LangperfError(
          'conflict',
          `Cannot ${what}: a token with the same secret exists (id ${num(dup.id)})`,
        )
      }
      const row = await trx
        .insertInto('api_tokens')
        .values({
          name: token.name,
          role: token.role,
          scopes: JSON.stringify([...new Set(token.scopes)]),
          hash: token.hash,
          created_at: token.createdAt,
          last_used_at: null,
          revoked_at: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow()
      return toTokenRow(row)
    })
  }

  async findTokenByHash(hash: string): Promise<TokenRecord | undefined> {
    this.#open('find token')
    if (typeof hash !== 'string' || hash === '') return undefined
    const row = await this.#db
      .selectFrom('api_tokens')
      .selectAll()
      .where('hash', '=', hash)
      .executeTakeFirst()
    return row === undefined ? undefined : { ...toTokenRow(row), hash: row.hash }
  }

  async listTokens(): Promise<TokenRow[]> {
    this.#open('list tokens')
    const rows = await this.#db.selectFrom('api_tokens').selectAll().orderBy('id').execute()
    return rows.map(toTokenRow)
  }

  async revokeToken(id: number, revokedAt: string): Promise<TokenRow> {
    const what = `revoke token ${quote(id)}`
    this.#writable(what)
    checkId(id, 'id', what)
    checkIsoUtc(revokedAt, 'revokedAt', what)
    return this.#db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst()
      if (row === undefined) throw new LangperfError('not-found', `Cannot ${what}: no token has id ${id}`)
      if (row.revoked_at !== null) return toTokenRow(row)
      const updated = await trx
        .updateTable('api_tokens')
        .set({ revoked_at: revokedAt })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow()
      return toTokenRow(updated)
    })
  }

  async touchToken(id: number, usedAt: string): Promise<void> {
    const what = `record use of token ${quote(id)}`
    this.#writable(what)
    checkId(id, 'id', what)
    checkIsoUtc(usedAt, 'usedAt', what)
    await this.#db.updateTable('api_tokens').set({ last_used_at: usedAt }).where('id', '=', id).execute()
  }
  // ---- changes and alerts (alerts.ts) ----

  async applyDetection(batch: DetectionBatch): Promise<DetectionOutcome> {
    this.#writable('record detected changes')
    return alerts.applyDetection(this.#db, batch)
  }

  async listAlerts(query: AlertQuery = {}): Promise<AlertPage> {
    this.#open('list alerts')
    return alerts.listAlerts(this.#db, query)
  }

  async getAlert(id: number): Promise<AlertDetail | undefined> {
    this.#open('show an alert')
    return alerts.getAlert(this.#db, id)
  }

  async listChanges(
    query: ChangeQuery = {},
  ): Promise<{ readonly rows: readonly ChangeRow[]; readonly total: number }> {
    this.#open('list changes')
    return alerts.listChanges(this.#db, query)
  }

  async triageAlert(id: number, input: TriageInput): Promise<AlertDetail> {
    this.#writable('triage an alert')
    return alerts.triageAlert(this.#db, id, input)
  }

  async setAlertCulprit(id: number, input: CulpritInput): Promise<AlertDetail> {
    this.#writable('record a culprit')
    return alerts.setAlertCulprit(this.#db, id, input)
  }

  // ---- the nightly pipeline's step journal (pipeline.ts) ----

  async startPipelineStep(input: PipelineStepStart): Promise<PipelineStepClaim> {
    this.#writable('start a pipeline step')
    return pipeline.startPipelineStep(this.#db, input)
  }

  async finishPipelineStep(key: string, input: PipelineStepEnd): Promise<PipelineStepRow> {
    this.#writable('finish a pipeline step')
    return pipeline.finishPipelineStep(this.#db, key, input)
  }

  async getPipelineStep(key: string): Promise<PipelineStepRow | undefined> {
    this.#open('get a pipeline step')
    return pipeline.getPipelineStep(this.#db, key)
  }

  async listPipelineSteps(query: PipelineStepQuery = {}): Promise<PipelineStepPage> {
    this.#open('list pipeline steps')
    return pipeline.listPipelineSteps(this.#db, query)
  }
}

/** A machine × runtime × config × branch that has runs, with the ids the per-group query needs. */
interface RunGroupKey {
  readonly machine_id: number
  readonly machine: string
  readonly runtime_id: number
  readonly runtime: string
  readonly config: string
  readonly branch: string | null
}

/** Orders strings by UTF-16 code units, as the store's byte-order columns do for ASCII names. */
function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function toTokenRow(r: {
  id: number | string
  name: string
  role: string
  scopes: string
  created_at: string
  last_used_at: string | null
  revoked_at: string | null
}): TokenRow {
  return {
    id: num(r.id),
    name: r.name,
    role: r.role as TokenRole,
    scopes: json<string[]>(r.scopes),
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    revokedAt: r.revoked_at,
  }
}

function toStateOrBadInput(value: unknown, what: string): void {
  if (!RESULT_STATES.includes(value as ResultState)) {
    throw new LangperfError(
      'bad-input',
      `Cannot ${what}: expected states among ${RESULT_STATES.join(', ')}, found ${quote(value)}`,
    )
  }
}

function toMachineRow(r: {
  id: number | string
  name: string
  fingerprint: string | null
  fingerprint_hash: string | null
  first_seen_at: string
  last_seen_at: string
}): MachineRow {
  return {
    id: num(r.id),
    name: r.name,
    fingerprint: jsonOrNull<MachineFingerprint>(r.fingerprint),
    fingerprintHash: r.fingerprint_hash,
    firstSeenAt: r.first_seen_at,
    lastSeenAt: r.last_seen_at,
  }
}

// ---- write helpers, each inside a caller's transaction ----

/**
 * Selects an id, inserting the row when there is none. The insert ignores a conflict (another
 * writer inserted it meanwhile, possible on PostgreSQL) and the select then finds that row.
 */
async function selectOrInsert(
  select: () => Promise<{ id: number | string } | undefined>,
  insert: () => Promise<{ id: number | string } | undefined>,
  what: string,
): Promise<number> {
  const found = (await select()) ?? (await insert()) ?? (await select())
  if (found === undefined)
    throw new LangperfError('internal', `Cannot ${what}: the row vanished after insert`)
  return num(found.id)
}

async function upsertRuntime(trx: Db, name: string): Promise<number> {
  return selectOrInsert(
    () => trx.selectFrom('runtimes').select('id').where('name', '=', name).executeTakeFirst(),
    () =>
      trx
        .insertInto('runtimes')
        .values({ name })
        .onConflict((oc) => oc.column('name').doNothing())
        .returning('id')
        .executeTakeFirst(),
    `store runtime ${quote(name)}`,
  )
}

/**
 * The machine's id and, when the run has an environment, the id of its fingerprint in the
 * history. Seen-times widen to include `startedAt`; the current fingerprint follows the latest run.
 */
async function upsertMachine(
  trx: Db,
  name: string,
  environment: MachineEnvironment | null,
  startedAt: string,
): Promise<{ machineId: number; fingerprintId: number | null }> {
  const fp = environment?.fingerprint ?? null
  const hash = fp === null ? null : fingerprintHash(fp)
  const fpJson = fp === null ? null : JSON.stringify(fp)
  const existing = await trx.selectFrom('machines').selectAll().where('name', '=', name).executeTakeFirst()
  let machineId: number
  if (existing === undefined) {
    machineId = await selectOrInsert(
      () => trx.selectFrom('machines').select('id').where('name', '=', name).executeTakeFirst(),
      () =>
        trx
          .insertInto('machines')
          .values({
            name,
            fingerprint_hash: hash,
            fingerprint: fpJson,
            first_seen_at: startedAt,
            last_seen_at: startedAt,
          })
          .onConflict((oc) => oc.column('name').doNothing())
          .returning('id')
          .executeTakeFirst(),
      `store machine ${quote(name)}`,
    )
  } else {
    machineId = num(existing.id)
    const isLatest = startedAt >= existing.last_seen_at
    const update: {
      first_seen_at?: string
      last_seen_at?: string
      fingerprint?: string
      fingerprint_hash?: string
    } = {}
    if (startedAt < existing.first_seen_at) update.first_seen_at = startedAt
    if (isLatest && startedAt !== existing.last_seen_at) update.last_seen_at = startedAt
    if (
      fpJson !== null &&
      hash !== null &&
      (isLatest || existing.fingerprint === null) &&
      hash !== existing.fingerprint_hash
    ) {
      update.fingerprint = fpJson
      update.fingerprint_hash = hash
    }
    if (Object.keys(update).length > 0) {
      await trx.updateTable('machines').set(update).where('id', '=', machineId).execute()
    }
  }
  if (fpJson === null || hash === null) return { machineId, fingerprintId: null }
  const seen = await trx
    .selectFrom('machine_fingerprints')
    .select(['id', 'first_seen_at', 'last_seen_at'])
    .where('machine_id', '=', machineId)
    .where('hash', '=', hash)
    .executeTakeFirst()
  if (seen !== undefined) {
    const update: { first_seen_at?: string; last_seen_at?: string } = {}
    if (startedAt < seen.first_seen_at) update.first_seen_at = startedAt
    if (startedAt > seen.last_seen_at) update.last_seen_at = startedAt
    if (Object.keys(update).length > 0) {
      await trx.updateTable('machine_fingerprints').set(update).where('id', '=', seen.id).execute()
    }
    return { machineId, fingerprintId: num(seen.id) }
  }
  const fingerprintId = await selectOrInsert(
    () =>
      trx
        .selectFrom('machine_fingerprints')
        .select('id')
        .where('machine_id', '=', machineId)
        .where('hash', '=', hash)
        .executeTakeFirst(),
    () =>
      trx
        .insertInto('machine_fingerprints')
        .values({
          machine_id: machineId,
          hash,
          fingerprint: fpJson,
          first_seen_at: startedAt,
          last_seen_at: startedAt,
        })
        .onConflict((oc) => oc.columns(['machine_id', 'hash']).doNothing())
        .returning('id')
        .executeTakeFirst(),
    `store a fingerprint of machine ${quote(name)}`,
  )
  return { machineId, fingerprintId }
}

/**
 * The build's id by identity. An existing build keeps what it was stored with; fields it lacked
 * (commit, date, branch, merge base, interpreter) are filled from `build`. The same identity with
 * another runtime, version or config is a conflict: the caller's identity is not identifying.
 */
async function upsertBuild(trx: Db, build: BuildSpec, what: string): Promise<number> {
  const existing = await trx
    .selectFrom('builds as b')
    .innerJoin('runtimes as rt', 'rt.id', 'b.runtime_id')
    .select(BUILD_COLUMNS)
    .where('b.identity', '=', build.identity)
    .executeTakeFirst()
  if (existing === undefined) {
    const runtimeId = await upsertRuntime(trx, build.runtime)
    return selectOrInsert(
      () => trx.selectFrom('builds').select('id').where('identity', '=', build.identity).executeTakeFirst(),
      () =>
        trx
          .insertInto('builds')
          .values({
            runtime_id: runtimeId,
            version: build.version,
            config: build.config,
            commit_sha: build.commitSha,
            commit_date_utc: build.commitDateUtc,
            branch: build.branch,
            merge_base: build.mergeBase,
            identity: build.identity,
            interpreter: build.interpreter === null ? null : JSON.stringify(build.interpreter),
            metadata: JSON.stringify(build.metadata),
          })
          .onConflict((oc) => oc.column('identity').doNothing())
          .returning('id')
          .executeTakeFirst(),
      `store build ${quote(build.identity)}`,
    )
  }
  const stored = toBuildRow(existing)
  if (
    stored.runtime !== build.runtime ||
    stored.version !== build.version ||
    stored.config !== build.config
  ) {
    throw new LangperfError(
      'conflict',
      `Cannot ${what}: build identity ${quote(build.identity)} is stored as ${stored.runtime} ${stored.version} (${stored.config}), found ${build.runtime} ${build.version} (${build.config})`,
    )
  }
  const fill: {
    commit_sha?: string
    commit_date_utc?: string
    branch?: string
    merge_base?: string
    interpreter?: string
  } = {}
  if (stored.commitSha === null && build.commitSha !== null) fill.commit_sha = build.commitSha
  if (stored.commitDateUtc === null && build.commitDateUtc !== null)
    fill.commit_date_utc = build.commitDateUtc
  if (stored.branch === null && build.branch !== null) fill.branch = build.branch
  if (stored.mergeBase === null && build.mergeBase !== null) fill.merge_base = build.mergeBase
  if (stored.interpreter === null && build.interpreter !== null)
    fill.interpreter = JSON.stringify(build.interpreter)
  if (Object.keys(fill).length > 0)
    await trx.updateTable('builds').set(fill).where('id', '=', stored.id).execute()
  return stored.id
}

async function insertRun(
  trx: Db,
  spec: RunSpec,
  status: RunStatus,
  finishedAt: string | null,
): Promise<number> {
  const { machineId, fingerprintId } = await upsertMachine(
    trx,
    spec.machine,
    spec.environment,
    spec.startedAt,
  )
  const buildId = await upsertBuild(trx, spec.build, 'store run')
  const env = spec.environment
  const row = await trx
    .insertInto('runs')
    .values({
      machine_id: machineId,
      build_id: buildId,
      fingerprint_id: fingerprintId,
      suite: spec.suite,
      preset: spec.preset,
      harness_version: spec.harnessVersion,
      source: spec.source,
      status,
      started_at: spec.startedAt,
      finished_at: finishedAt,
      group_id: spec.groupId,
      environment: env === null ? null : JSON.stringify({ fingerprint: env.fingerprint, tuning: env.tuning }),
      warnings: JSON.stringify(env?.warnings ?? []),
      metadata: JSON.stringify(spec.metadata),
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  return num(row.id)
}

async function upsertWorkload(
  trx: Db,
  result: WorkloadResult,
  manifest: ManifestInput | null,
): Promise<number> {
  const { name, version } = result.workload
  const existing = await trx
    .selectFrom('workloads')
    .select(['id', 'manifest'])
    .where('name', '=', name)
    .where('version', '=', version)
    .executeTakeFirst()
  if (existing !== undefined) {
    if (manifest !== null && existing.manifest === null) {
      await trx
        .updateTable('workloads')
        .set({ manifest: JSON.stringify(manifest) })
        .where('id', '=', existing.id)
        .execute()
    }
    return num(existing.id)
  }
  return selectOrInsert(
    () =>
      trx
        .selectFrom('workloads')
        .select('id')
        .where('name', '=', name)
        .where('version', '=', version)
        .executeTakeFirst(),
    () =>
      trx
        .insertInto('workloads')
        .values({ name, version, manifest: manifest === null ? null : JSON.stringify(manifest) })
        .onConflict((oc) => oc.columns(['name', 'version']).doNothing())
        .returning('id')
        .executeTakeFirst(),
    `store workload ${quote(name)}`,
  )
}

async function insertResult(
  trx: Db,
  runId: number,
  result: WorkloadResult,
  manifest: ManifestInput | null,
  options: { readonly checkDuplicate: boolean; readonly what: string },
): Promise<number> {
  const workloadId = await upsertWorkload(trx, result, manifest)
  if (options.checkDuplicate) {
    const dup = await trx
      .selectFrom('results')
      .select('id')
      .where('run_id', '=', runId)
      .where('workload_id', '=', workloadId)
      .executeTakeFirst()
    if (dup !== undefined) {
      throw new LangperfError(
        'conflict',
        `Cannot ${options.what}: the run already has a result for version ${quote(result.workload.version)}`,
      )
    }
  }
  const { summary, processMeans } = summarizeProcesses(result.processes)
  const row = await trx
    .insertInto('results')
    .values({
      run_id: runId,
      workload_id: workloadId,
      ...outcomeColumns(result.outcome),
      unit: result.unit,
      loops: result.loops,
      inner_loops: result.innerLoops,
      metadata: JSON.stringify(result.metadata),
      n_processes: summary.nProcesses,
      n_values: summary.nValues,
      mean: summary.mean,
      stdev_process_means: summary.stdevProcessMeans,
      min: summary.min,
      max: summary.max,
      median: summary.median,
      process_means: JSON.stringify(processMeans),
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  const resultId = num(row.id)
  await trx
    .insertInto('result_samples')
    .values({ result_id: resultId, processes: JSON.stringify(result.processes) })
    .execute()
  return resultId
}
