import { assertNever, type JsonObject, LangperfError, quote } from '../lib/index.ts'
import type { ResultOutcome, ResultState, RunSpec, RunStatus, WorkloadResult } from '../model/index.ts'
import { upsertBuild, upsertWorkload } from './builds.ts'
import { upsertMachine } from './machines.ts'
import type { RunSource } from './roles.ts'
import { type Db, json, num } from './rows.ts'
import { addToSeries } from './series-index.ts'
import { summarizeProcesses } from './summary.ts'
import type { InterruptOptions, ManifestInput } from './types.ts'
import { checkId, checkIsoUtc, checkJsonObject, checkResult, checkRunEnd, checkRunSpec } from './validate.ts'

// Writing runs and their results (RunWriter): a run measured live (begin, add results, finish),
// whole runs stored in one batch, and runs a crashed process left running. Each result is stored
// atomically with its samples and the summary computed from them.

/** Inserts a run measured live as `running`, with its machine, runtime and build, in one transaction. */
export async function beginRun(db: Db, spec: RunSpec): Promise<{ readonly runId: number }> {
  const what = 'begin run'
  checkRunSpec(spec, what)
  const runId = await db.transaction().execute((trx) => insertRun(trx, spec, 'running', null))
  return { runId }
}

/** Adds one workload's result (with its samples) to a running run, in one transaction. */
export async function addResult(
  db: Db,
  runId: number,
  result: WorkloadResult,
  options: { readonly manifest?: ManifestInput } = {},
): Promise<{ readonly resultId: number }> {
  const what = `add result ${quote(result?.workload?.name)} to run ${runId}`
  checkId(runId, 'runId', what)
  checkResult(result, what)
  const resultId = await db.transaction().execute(async (trx) => {
    const run = await trx.selectFrom('runs').select('status').where('id', '=', runId).executeTakeFirst()
    if (run === undefined) throw new LangperfError('not-found', `Cannot ${what}: no run has id ${runId}`)
    if (run.status !== 'running') {
      throw new LangperfError('conflict', `Cannot ${what}: the run is ${run.status}, expected running`)
    }
    const id = await insertResult(trx, runId, result, {
      manifest: options.manifest ?? null,
      checkDuplicate: true,
      what,
    })
    await addToSeries(trx, { resultId: id })
    return id
  })
  return { resultId }
}

/** Marks a running run `complete` or `interrupted` at `finishedAt`. */
export async function finishRun(
  db: Db,
  runId: number,
  status: 'complete' | 'interrupted',
  finishedAt: string,
  metadata?: JsonObject,
): Promise<void> {
  const what = `finish run ${runId}`
  checkId(runId, 'runId', what)
  if (status !== 'complete' && status !== 'interrupted') {
    throw new LangperfError(
      'bad-input',
      `Cannot ${what}: expected status complete or interrupted, found ${quote(status)}`,
    )
  }
  checkIsoUtc(finishedAt, 'finishedAt', what)
  if (metadata !== undefined) checkJsonObject(metadata, 'metadata', what)
  await db.transaction().execute(async (trx) => {
    const run = await trx
      .selectFrom('runs')
      .select(['status', 'metadata'])
      .where('id', '=', runId)
      .executeTakeFirst()
    if (run === undefined) throw new LangperfError('not-found', `Cannot ${what}: no run has id ${runId}`)
    if (run.status !== 'running') {
      throw new LangperfError('conflict', `Cannot ${what}: the run is already ${run.status}`)
    }
    // What is known only at the end (how busy the workers' CPU was) joins the run's metadata.
    const merged =
      metadata === undefined
        ? {}
        : { metadata: JSON.stringify({ ...json<JsonObject>(run.metadata), ...metadata }) }
    await trx
      .updateTable('runs')
      .set({ status, finished_at: finishedAt, ...merged })
      .where('id', '=', runId)
      .execute()
  })
}

function isRunSource(runs: unknown): runs is RunSource {
  return Array.isArray(runs) || (typeof runs === 'object' && runs !== null && Symbol.asyncIterator in runs)
}

/**
 * Stores whole runs in one transaction, validating each inside it so a bad one rolls back the
 * batch. An async source is consumed inside the transaction, one run at a time, so a batch
 * larger than memory is still stored whole or not at all (an error it throws rolls back too).
 */
export async function insertRuns(db: Db, runs: RunSource): Promise<number[]> {
  if (!isRunSource(runs)) {
    throw new LangperfError(
      'bad-input',
      `Cannot insert runs: expected an array of runs, found ${quote(runs)}`,
    )
  }
  return db.transaction().execute((trx) => insertRunsIn(trx, runs))
}

/** Inserts whole runs inside the caller's transaction `trx`; returns their ids. */
export async function insertRunsIn(trx: Db, runs: RunSource): Promise<number[]> {
  const ids: number[] = []
  const total = Array.isArray(runs) ? ` of ${runs.length}` : ''
  let i = 0
  for await (const r of runs) {
    i++
    // Validated inside the transaction, run by run: a bad run halfway through rolls back the
    // ones before it, so the batch is stored whole or not at all.
    const what = `store run ${i}${total}`
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
      await insertResult(trx, runId, res, { manifest: null, checkDuplicate: false, what })
    }
    ids.push(runId)
  }
  await addToSeries(trx, { runIds: ids })
  return ids
}

/** Marks runs left `running` (started before `options.startedBefore` when given) as `interrupted`. */
export async function markInterruptedRuns(db: Db, options: InterruptOptions = {}): Promise<number> {
  const what = 'mark interrupted runs'
  let q = db.updateTable('runs').set({ status: 'interrupted' }).where('status', '=', 'running')
  if (options.startedBefore !== undefined) {
    q = q.where('started_at', '<', checkIsoUtc(options.startedBefore, 'startedBefore', what))
  }
  const res = await q.executeTakeFirst()
  return num(res.numUpdatedRows)
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

/** Inserts a run with its machine, fingerprint and build upserted; returns its id. */
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

/** How `insertResult` stores a result: the manifest of its workload, whether to refuse a second one. */
interface ResultInsert {
  readonly manifest: ManifestInput | null
  /** Refuse a second result for the same workload version in the run (conflict). */
  readonly checkDuplicate: boolean
  /** What the caller is doing, for error messages. */
  readonly what: string
}

/** Inserts one result, its summary and its samples; returns its id. */
async function insertResult(
  trx: Db,
  runId: number,
  result: WorkloadResult,
  options: ResultInsert,
): Promise<number> {
  const workloadId = await upsertWorkload(trx, result.workload, options.manifest)
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
