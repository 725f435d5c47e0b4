import { LangperfError, quote } from '../lib/index.ts'
import type { RunWithResults } from '../model/index.ts'
import type { AgentRow, AgentState, AgentTouch, NewAgent, RunOnce } from './farm-types.ts'
import { AGENT_STATES } from './farm-types.ts'
import { type Db, json, num } from './rows.ts'
import { insertRunsIn } from './run-writes.ts'
import { checkId, checkIsoUtc, checkName } from './validate.ts'

// The farm's ledger (FarmLedger): agents, one per machine, and the job keys of stored results,
// which make a job's result stored exactly once however often the job is completed.

/** Longest job key accepted (six names joined by `|`). */
const MAX_JOB_KEY_LENGTH = 2000

function toAgentRow(r: {
  machine: string
  token_id: number | string
  state: string
  registered_at: string
  last_seen_at: string
  info: string
  jobs_done: number | string
  jobs_failed: number | string
}): AgentRow {
  return {
    machine: r.machine,
    tokenId: num(r.token_id),
    state: r.state as AgentState,
    registeredAt: r.registered_at,
    lastSeenAt: r.last_seen_at,
    info: json<Record<string, unknown>>(r.info),
    jobsDone: num(r.jobs_done),
    jobsFailed: num(r.jobs_failed),
  }
}

/** Registers (or re-registers) the agent of a machine: it is idle and seen now. */
export async function registerAgent(db: Db, agent: NewAgent): Promise<AgentRow> {
  const what = `register the agent of machine ${quote(agent?.machine)}`
  checkName(agent.machine, 'machine', what)
  checkId(agent.tokenId, 'tokenId', what)
  checkIsoUtc(agent.at, 'at', what)
  const info = JSON.stringify(agent.info ?? {})
  const row = await db
    .insertInto('farm_agents')
    .values({
      machine: agent.machine,
      token_id: agent.tokenId,
      state: 'idle',
      registered_at: agent.at,
      last_seen_at: agent.at,
      info,
    })
    .onConflict((oc) =>
      oc.column('machine').doUpdateSet({
        token_id: agent.tokenId,
        state: 'idle',
        registered_at: agent.at,
        last_seen_at: agent.at,
        info,
      }),
    )
    .returningAll()
    .executeTakeFirstOrThrow()
  return toAgentRow(row)
}

/** Records an agent's state and a job it finished; an unregistered machine is not-found. */
export async function touchAgent(db: Db, machine: string, touch: AgentTouch): Promise<void> {
  const what = `record the state of the agent of machine ${quote(machine)}`
  checkName(machine, 'machine', what)
  checkIsoUtc(touch.at, 'at', what)
  if (!(AGENT_STATES as readonly unknown[]).includes(touch.state)) {
    throw new LangperfError(
      'bad-input',
      `Cannot ${what}: expected state to be one of ${AGENT_STATES.join(', ')}, found ${quote(touch.state)}`,
    )
  }
  const result = await db
    .updateTable('farm_agents')
    .set((eb) => ({
      state: touch.state,
      last_seen_at: touch.at,
      ...(touch.finished === 'done' ? { jobs_done: eb('jobs_done', '+', 1) } : {}),
      ...(touch.finished === 'failed' ? { jobs_failed: eb('jobs_failed', '+', 1) } : {}),
    }))
    .where('machine', '=', machine)
    .executeTakeFirst()
  if (Number(result.numUpdatedRows) === 0) {
    throw new LangperfError('not-found', `Cannot ${what}: no agent of that machine is registered`)
  }
}

/** Every registered agent, by machine name. */
export async function listAgents(db: Db): Promise<AgentRow[]> {
  const rows = await db.selectFrom('farm_agents').selectAll().orderBy('machine').execute()
  return rows.map(toAgentRow)
}

/** The run stored for `jobKey`, or undefined. */
async function runOfJobKey(db: Db, jobKey: string): Promise<number | undefined> {
  const row = await db
    .selectFrom('farm_results')
    .select('run_id')
    .where('job_key', '=', jobKey)
    .executeTakeFirst()
  return row === undefined ? undefined : num(row.run_id)
}

/**
 * Stores `run` as the result of the job `jobKey` unless a run is already stored for that key,
 * in one transaction with the key. Two racing calls store one run: the loser's transaction
 * fails on the key and it answers the winner's run.
 */
export async function insertRunOnce(
  db: Db,
  jobKey: string,
  run: RunWithResults,
  at: string,
): Promise<RunOnce> {
  const what = `store the result of job ${quote(jobKey, 80)}`
  if (typeof jobKey !== 'string' || jobKey === '' || jobKey.length > MAX_JOB_KEY_LENGTH) {
    throw new LangperfError(
      'bad-input',
      `Cannot ${what}: expected a job key of 1 to ${MAX_JOB_KEY_LENGTH} characters, found ${quote(jobKey, 20)}`,
    )
  }
  checkIsoUtc(at, 'at', what)
  const before = await runOfJobKey(db, jobKey)
  if (before !== undefined) return { runId: before, stored: false }
  try {
    const runId = await db.transaction().execute(async (trx) => {
      const [id] = await insertRunsIn(trx, [run])
      if (id === undefined) throw new LangperfError('internal', `Cannot ${what}: no run id was returned`)
      await trx.insertInto('farm_results').values({ job_key: jobKey, run_id: id, stored_at: at }).execute()
      return id
    })
    return { runId, stored: true }
  } catch (error) {
    const winner = await runOfJobKey(db, jobKey)
    if (winner !== undefined) return { runId: winner, stored: false }
    throw error
  }
}
