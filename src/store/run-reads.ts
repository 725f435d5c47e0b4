import { sql } from 'kysely'
import { assertNever, badInput, type JsonObject, LangperfError, quote } from '../lib/index.ts'
import {
  type BuildSpec,
  type EnvironmentWarning,
  type MachineEnvironment,
  type MachineFingerprint,
  type MachineTuning,
  type ProcessSamples,
  type ResultOutcome,
  RUN_STATUSES,
  type RunSource,
  type RunStatus,
  type RunWithResults,
  type WorkloadResult,
} from '../model/index.ts'
import {
  BUILD_COLUMNS,
  type BuildColumns,
  byteOrder,
  checkLimit,
  checkOffset,
  type Db,
  json,
  jsonOrNull,
  num,
  SUMMARY_COLUMNS,
  toBuildRow,
  toState,
  toSummary,
} from './rows.ts'
import type {
  BuildRow,
  LatestRunsQuery,
  ResultQuery,
  ResultRow,
  ResultRowWithSamples,
  ResultSummaryRow,
  RunFacts,
  RunGroup,
  RunGroupQuery,
  RunPage,
  RunQuery,
  RunRow,
} from './types.ts'
import { checkId } from './validate.ts'

// Reading runs and their results (RunReader): one run, a run whole for export, pages of runs,
// a run's results with or without samples, and the latest runs of every machine × runtime ×
// config × branch for the dashboard.

const DEFAULT_RUN_LIMIT = 50

/** The columns of a run as selectRunColumns() names them. */
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

/** A run as the store returns it, from its columns. */
function toRunRow(r: RunColumns): RunRow {
  return { ...toRunFacts(r), resultCount: num(r.result_count) }
}

/** A run without its result count, from its columns. */
function toRunFacts(r: Omit<RunColumns, 'result_count'>): RunFacts {
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
  }
}

/** A result's outcome from its state columns. */
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
  return selectRunFacts(q).select((eb) =>
    eb
      .selectFrom('results as res')
      .select(eb.fn.countAll().as('n'))
      .whereRef('res.run_id', '=', 'r.id')
      .as('result_count'),
  )
}

/** The columns RunColumns names but the result count. */
function selectRunFacts(q: ReturnType<typeof runsQuery>) {
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
}

/** One run, or undefined. */
export async function getRun(db: Db, runId: number): Promise<RunRow | undefined> {
  const what = `get run ${runId}`
  checkId(runId, 'runId', what)
  const row = await selectRunColumns(runsQuery(db)).where('r.id', '=', runId).executeTakeFirst()
  return row === undefined ? undefined : toRunRow(row as RunColumns)
}

/** A run with every result and sample, as the model describes it (for export), or undefined. */
export async function getRunWithResults(db: Db, runId: number): Promise<RunWithResults | undefined> {
  const run = await getRun(db, runId)
  if (run === undefined) return undefined
  const results = await getResults(db, runId, { withSamples: true })
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

/** One page of the runs matching the filters, newest `startedAt` (or last stored) first, with the count of all. */
export async function listRuns(db: Db, query: RunQuery = {}): Promise<RunPage> {
  const what = 'list runs'
  const limit = checkLimit(query.limit, DEFAULT_RUN_LIMIT, what)
  const offset = checkOffset(query.offset, what)
  let q = runsQuery(db)
  if (query.machine !== undefined) q = q.where('m.name', '=', query.machine)
  if (query.runtime !== undefined) q = q.where('rt.name', '=', query.runtime)
  if (query.config !== undefined) q = q.where('b.config', '=', query.config)
  if (query.branch !== undefined) q = q.where('b.branch', '=', query.branch)
  if (query.status !== undefined) q = q.where('r.status', '=', query.status)
  if (query.groupId !== undefined) q = q.where('r.group_id', '=', query.groupId)
  if (query.suite !== undefined) q = q.where('r.suite', '=', query.suite)
  if (query.buildId !== undefined) q = q.where('r.build_id', '=', checkId(query.buildId, 'buildId', what))
  if (query.order !== undefined && query.order !== 'started' && query.order !== 'stored') {
    throw badInput(`Cannot ${what}: expected order "started" or "stored", found ${quote(query.order)}`)
  }
  const ordered =
    query.order === 'stored'
      ? selectRunColumns(q).orderBy('r.id', 'desc')
      : selectRunColumns(q).orderBy('r.started_at', 'desc').orderBy('r.id', 'desc')
  const [rows, count] = await Promise.all([
    ordered.limit(limit).offset(offset).execute(),
    q.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow(),
  ])
  return { rows: rows.map((r) => toRunRow(r as RunColumns)), total: num(count.n) }
}

/** A list of names from a query (none when absent), refused when it is not one. */
function names(values: readonly string[] | undefined, field: string, what: string): string[] {
  if (values === undefined) return []
  if (!Array.isArray(values) || !values.every((v) => typeof v === 'string' && v !== ''))
    throw badInput(`Cannot ${what}: expected ${field} to be a list of names, found ${quote(values)}`)
  return [...values].sort()
}

/** Refuses a group query that does not name one machine × runtime × config × branch. */
function checkGroup(group: RunGroupQuery, what: string): void {
  for (const [field, value] of [
    ['machine', group?.machine],
    ['runtime', group?.runtime],
    ['config', group?.config],
  ] as const) {
    if (typeof value !== 'string' || value === '')
      throw badInput(`Cannot ${what}: expected ${field} to be a name, found ${quote(value)}`)
  }
  if (group.branch !== null && typeof group.branch !== 'string')
    throw badInput(`Cannot ${what}: expected branch to be a name or null, found ${quote(group.branch)}`)
}

/** The runs of one group (checked), as a runsQuery to finish. */
function groupRunsQuery(db: Db, group: RunGroupQuery, what: string) {
  checkGroup(group, what)
  const q = runsQuery(db)
    .where('m.name', '=', group.machine)
    .where('rt.name', '=', group.runtime)
    .where('b.config', '=', group.config)
  return group.branch === null ? q.where('b.branch', 'is', null) : q.where('b.branch', '=', group.branch)
}

/** Every run of one group, oldest `startedAt` first (then id), without result counts. */
export async function listGroupRuns(db: Db, group: RunGroupQuery): Promise<RunFacts[]> {
  const rows = await selectRunFacts(groupRunsQuery(db, group, 'list the runs of a group'))
    .orderBy('r.started_at')
    .orderBy('r.id')
    .execute()
  return rows.map((r) => toRunFacts(r as Omit<RunColumns, 'result_count'>))
}

/**
 * How many results (workloads, any state) each run of one group holds, by run id: what tells a
 * partial run (one benchmark re-run on its own) from the group's full ones. One grouped read.
 */
export async function countGroupResults(db: Db, group: RunGroupQuery): Promise<Map<number, number>> {
  const rows = await groupRunsQuery(db, group, 'count the results of a group')
    .innerJoin('results as res', 'res.run_id', 'r.id')
    .select(['r.id', (eb) => eb.fn.countAll().as('n')])
    .groupBy('r.id')
    .execute()
  return new Map(rows.map((r) => [Number(r.id), num(r.n)]))
}

/** Runs `getResultSummaries` reads at once, at most. */
export const MAX_SUMMARY_RUNS = 1000

/** The measured results of several runs, summaries only (RunReader.getResultSummaries). */
export async function getResultSummaries(
  db: Db,
  runIds: readonly number[],
  options: { readonly workloads?: readonly string[] } = {},
): Promise<ResultSummaryRow[]> {
  const what = 'get result summaries'
  if (runIds.length > MAX_SUMMARY_RUNS) {
    throw new LangperfError(
      'bad-input',
      `Cannot ${what}: at most ${MAX_SUMMARY_RUNS} runs at once, found ${runIds.length}`,
    )
  }
  for (const id of runIds) checkId(id, 'runId', what)
  if (runIds.length === 0 || options.workloads?.length === 0) return []
  let q = db
    .selectFrom('results as r')
    .innerJoin('workloads as w', 'w.id', 'r.workload_id')
    .select([
      'r.run_id',
      'w.name as workload_name',
      'w.version as workload_version',
      'r.unit',
      ...SUMMARY_COLUMNS,
    ])
    .where('r.run_id', 'in', [...new Set(runIds)])
    .where('r.state', '=', 'measured')
    .orderBy('r.run_id')
    .orderBy('r.id')
  if (options.workloads !== undefined) q = q.where('w.name', 'in', [...options.workloads])
  const rows = await q.execute()
  return rows.map((r) => ({
    runId: num(r.run_id),
    workload: { name: r.workload_name, version: r.workload_version },
    unit: r.unit,
    summary: toSummary(r),
  }))
}

/** Results of a run in the order they were stored; samples only when asked for. */
export function getResults(
  db: Db,
  runId: number,
  options: ResultQuery & { readonly withSamples: true },
): Promise<ResultRowWithSamples[]>
export function getResults(db: Db, runId: number, options?: ResultQuery): Promise<ResultRow[]>
export async function getResults(db: Db, runId: number, options: ResultQuery = {}): Promise<ResultRow[]> {
  const what = `get results of run ${runId}`
  checkId(runId, 'runId', what)
  let q = db
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
      ...SUMMARY_COLUMNS,
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
  let sq = db
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

/** A machine × runtime × config × branch that has runs, with the ids the per-group query needs. */
interface RunGroupKey {
  readonly machine_id: number
  readonly machine: string
  readonly runtime_id: number
  readonly runtime: string
  readonly config: string
  readonly branch: string | null
}

/**
 * The run groups, and the latest runs of each as queries asked for them, with the state of the
 * store they were read at (see runsStamp); one per store.
 */
export interface RunGroupCache {
  current:
    | {
        readonly key: string
        readonly groups: readonly RunGroupKey[]
        /** latestRunsByGroup's answers by query, at `key`. */
        readonly latest: Map<string, RunGroup[]>
      }
    | undefined
}

/** Most latestRunsByGroup answers kept per state of the store. */
const MAX_LATEST_KEPT = 32

/**
 * The state of the runs as the database tells it, whichever process wrote: runs are never
 * deleted and never change machine or build, so the largest id and the count of runs say when
 * one was added, the count still running when one finished, the largest result id when a
 * result was added to a run, and the `builds` generation when a build got another branch or
 * more of its columns (migration 0008).
 */
export async function runsStamp(db: Db): Promise<string> {
  const runs = await db
    .selectFrom('runs')
    .select((eb) => [
      eb.fn.max('id').as('max_id'),
      eb.fn.countAll().as('n'),
      eb.fn.sum(eb.case().when('status', '=', 'running').then(eb.lit(1)).else(eb.lit(0)).end()).as('running'),
    ])
    .executeTakeFirstOrThrow()
  const results = await db
    .selectFrom('results')
    .select((eb) => eb.fn.max('id').as('max_id'))
    .executeTakeFirstOrThrow()
  const builds = await db
    .selectFrom('generations')
    .select('value')
    .where('name', '=', 'builds')
    .executeTakeFirst()
  return [runs.max_id ?? 0, runs.n, runs.running ?? 0, results.max_id ?? 0, builds?.value ?? 0].join(':')
}

/**
 * SQLite's count of commits other connections made to the file (`PRAGMA data_version`): it
 * changes when another process (or another connection of this one) committed, never for this
 * connection's own commits (https://sqlite.org/pragma.html#pragma_data_version).
 */
export async function sqliteDataVersion(db: Db): Promise<number> {
  const { rows } = await sql<{ data_version: number }>`pragma data_version`.execute(db)
  return Number(rows[0]?.data_version ?? Number.NaN)
}

/**
 * Every machine × runtime × config × branch that has runs, sorted. Finding them reads every
 * run (20 ms for 33 k runs), so the list is kept until the store's runs change (runsStamp).
 */
async function runGroups(db: Db, cache: RunGroupCache): Promise<readonly RunGroupKey[]> {
  const key = await runsStamp(db)
  if (cache.current?.key === key) return cache.current.groups
  const rows = await runsQuery(db)
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
  cache.current = { key, groups, latest: new Map() }
  return groups
}

/** The latest runs of each machine × runtime × config × branch, as `query` selects them. */
export async function latestRunsByGroup(
  db: Db,
  cache: RunGroupCache,
  query: LatestRunsQuery = {},
): Promise<RunGroup[]> {
  const what = 'list the latest runs by group'
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
  const excludeSuites = names(query.excludeSuites, 'excludeSuites', what)
  const excludePresets = names(query.excludePresets, 'excludePresets', what)
  const filtered = () => {
    let q = runsQuery(db)
    if (query.machine !== undefined) q = q.where('m.name', '=', query.machine)
    if (query.runtime !== undefined) q = q.where('rt.name', '=', query.runtime)
    if (statuses !== undefined) q = q.where('r.status', 'in', [...statuses])
    if (excludeSuites.length > 0) q = q.where('r.suite', 'not in', excludeSuites)
    if (excludePresets.length > 0) q = q.where('r.preset', 'not in', excludePresets)
    return q
  }
  const order = query.order ?? 'started'
  if (order !== 'started' && order !== 'commit') {
    throw new LangperfError(
      'bad-input',
      `Cannot ${what}: expected order started or commit, found ${quote(order)}`,
    )
  }
  const memoKey = JSON.stringify([
    order,
    perGroup,
    statuses ?? null,
    query.machine ?? null,
    query.runtime ?? null,
    excludeSuites,
    excludePresets,
  ])
  const all = await runGroups(db, cache)
  const kept = cache.current?.latest.get(memoKey)
  if (kept !== undefined) return kept
  const groups = all.filter(
    (g) =>
      (query.machine === undefined || g.machine === query.machine) &&
      (query.runtime === undefined || g.runtime === query.runtime),
  )
  const out: RunGroup[] = []
  for (const g of groups) {
    // One small query per group: each walks runs_machine_started_idx backwards and stops after
    // `perGroup` matches, where a window function would sort every run of the store.
    const selected = selectRunColumns(
      filtered()
        .where('r.machine_id', '=', g.machine_id)
        .where('b.runtime_id', '=', g.runtime_id)
        .where('b.config', '=', g.config)
        .where('b.branch', g.branch === null ? 'is' : '=', g.branch),
    )
    // A null commit date last, in both dialects (PostgreSQL puts it first by default).
    const ordered =
      order === 'commit'
        ? selected.orderBy('b.commit_date_utc', (ob) => ob.desc().nullsLast()).orderBy('b.id', 'desc')
        : selected
    const rows = await ordered
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
  const filteredOut = statuses !== undefined || excludeSuites.length > 0 || excludePresets.length > 0
  const answer = filteredOut ? out.filter((g) => g.runs.length > 0) : out
  const latest = cache.current?.latest
  if (latest !== undefined && latest.size < MAX_LATEST_KEPT) latest.set(memoKey, answer)
  return answer
}
