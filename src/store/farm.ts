import type { Selectable } from 'kysely'
import { LangperfError, quote } from '../lib/index.ts'
import type { RunWithResults } from '../model/index.ts'
import type {
  AgentRow,
  AgentState,
  AgentTouch,
  MachineAlertKind,
  MachineAlertQuery,
  MachineAlertRow,
  NewAgent,
  NewMachineAlert,
  RunOnce,
} from './farm-types.ts'
import { AGENT_STATES, MACHINE_ALERT_KINDS } from './farm-types.ts'
import { checkLimit, type Db, json, num } from './rows.ts'
import { insertRunsIn } from './run-writes.ts'
import type { MachineAlertsTable } from './schema.ts'
import { checkId, checkIsoUtc, checkName } from './validate.ts'

// The farm's ledger (FarmLedger): agents, one per machine, and the job keys of stored results,
// which make a job's result stored exactly once however often the job is completed; and the
// alerts about machines (a silent one), at most one open per machine and kind.

/** Longest job key accepted (six names joined by `|`). */
const MAX_JOB_KEY_LENGTH = 2000

function toAgentRow(
  r: {
    machine: string
    token_id: number | string
    state: string
    registered_at: string
    last_seen_at: string
    info: string
    jobs_done: number | string
    jobs_failed: number | string
  },
  lastResultAt: string | null = null,
): AgentRow {
  return {
    machine: r.machine,
    tokenId: num(r.token_id),
    state: r.state as AgentState,
    registeredAt: r.registered_at,
    lastSeenAt: r.last_seen_at,
    info: json<Record<string, unknown>>(r.info),
    jobsDone: num(r.jobs_done),
    jobsFailed: num(r.jobs_failed),
    lastResultAt,
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

/** Every registered agent, by machine name, with when its machine's newest result arrived. */
export async function listAgents(db: Db): Promise<AgentRow[]> {
  const rows = await db.selectFrom('farm_agents').selectAll().orderBy('machine').execute()
  if (rows.length === 0) return []
  const last = await lastResultTimes(db)
  return rows.map((r) => toAgentRow(r, last.get(r.machine) ?? null))
}

/**
 * When the newest result of each agent's machine arrived: the time the server stored a farm
 * job's or an upload's run (farm_results.stored_at: a run measured long ago and uploaded now
 * arrived now), or, for runs stored otherwise, the newest run's start.
 */
async function lastResultTimes(db: Db): Promise<Map<string, string>> {
  const agentMachines = db.selectFrom('farm_agents').select('machine')
  const stored = await db
    .selectFrom('farm_results')
    .innerJoin('runs', 'runs.id', 'farm_results.run_id')
    .innerJoin('machines', 'machines.id', 'runs.machine_id')
    .where('machines.name', 'in', agentMachines)
    .select(['machines.name as machine', (eb) => eb.fn.max('farm_results.stored_at').as('at')])
    .groupBy('machines.name')
    .execute()
  const started = await db
    .selectFrom('runs')
    .innerJoin('machines', 'machines.id', 'runs.machine_id')
    .where('machines.name', 'in', agentMachines)
    .select(['machines.name as machine', (eb) => eb.fn.max('runs.started_at').as('at')])
    .groupBy('machines.name')
    .execute()
  const out = new Map<string, string>()
  for (const r of [...stored, ...started]) {
    if (r.at === null) continue
    const at = String(r.at)
    const before = out.get(r.machine)
    if (before === undefined || Date.parse(at) > Date.parse(before)) out.set(r.machine, at)
  }
  return out
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

function toMachineAlertRow(r: Selectable<MachineAlertsTable>): MachineAlertRow {
  return {
    id: num(r.id),
    machine: r.machine,
    kind: r.kind as MachineAlertKind,
    since: r.since,
    raisedAt: r.raised_at,
    clearedAt: r.cleared_at,
    clearedBy: r.cleared_by,
    detail: json<Record<string, unknown>>(r.detail),
  }
}

/** The open alert of `kind` about `machine`, if any. */
async function openMachineAlert(
  db: Db,
  machine: string,
  kind: MachineAlertKind,
): Promise<MachineAlertRow | undefined> {
  const row = await db
    .selectFrom('machine_alerts')
    .selectAll()
    .where('machine', '=', machine)
    .where('kind', '=', kind)
    .where('cleared_at', 'is', null)
    .executeTakeFirst()
  return row === undefined ? undefined : toMachineAlertRow(row)
}

/**
 * Raises an alert about a machine unless one of that kind is open: answers the open alert and
 * whether this call raised it. Two racing calls raise one (the partial unique index refuses the
 * second insert, which then answers the first's alert).
 */
export async function raiseMachineAlert(
  db: Db,
  input: NewMachineAlert,
): Promise<{ alert: MachineAlertRow; raised: boolean }> {
  const what = `raise a ${quote(input?.kind)} alert about machine ${quote(input?.machine)}`
  checkName(input.machine, 'machine', what)
  if (!(MACHINE_ALERT_KINDS as readonly unknown[]).includes(input.kind)) {
    throw new LangperfError(
      'bad-input',
      `Cannot ${what}: expected kind to be one of ${MACHINE_ALERT_KINDS.join(', ')}, found ${quote(input.kind)}`,
    )
  }
  checkIsoUtc(input.since, 'since', what)
  checkIsoUtc(input.at, 'at', what)
  const open = await openMachineAlert(db, input.machine, input.kind)
  if (open !== undefined) return { alert: open, raised: false }
  const values: Omit<MachineAlertsTable, 'id'> = {
    machine: input.machine,
    kind: input.kind,
    since: input.since,
    raised_at: input.at,
    cleared_at: null,
    cleared_by: null,
    detail: JSON.stringify(input.detail ?? {}),
  }
  try {
    const row = await db.insertInto('machine_alerts').values(values).returningAll().executeTakeFirstOrThrow()
    return { alert: toMachineAlertRow(row), raised: true }
  } catch (error) {
    const winner = await openMachineAlert(db, input.machine, input.kind)
    if (winner !== undefined) return { alert: winner, raised: false }
    throw error
  }
}

/** Clears the open alerts about `machine` (of `kind`, or every kind) at `at` for `reason`; answers those cleared. */
export async function clearMachineAlerts(
  db: Db,
  machine: string,
  clear: { readonly at: string; readonly reason: string; readonly kind?: MachineAlertKind },
): Promise<MachineAlertRow[]> {
  const what = `clear the alerts about machine ${quote(machine)}`
  checkName(machine, 'machine', what)
  checkIsoUtc(clear.at, 'at', what)
  checkName(clear.reason, 'reason', what)
  let q = db
    .updateTable('machine_alerts')
    .set({ cleared_at: clear.at, cleared_by: clear.reason.slice(0, 500) })
    .where('machine', '=', machine)
    .where('cleared_at', 'is', null)
  if (clear.kind !== undefined) q = q.where('kind', '=', clear.kind)
  const rows = await q.returningAll().execute()
  return rows.map(toMachineAlertRow).sort((a, b) => a.id - b.id)
}

/** Alerts about machines, newest first. */
export async function listMachineAlerts(db: Db, query: MachineAlertQuery = {}): Promise<MachineAlertRow[]> {
  const what = 'list machine alerts'
  const limit = checkLimit(query.limit, 100, what)
  let q = db.selectFrom('machine_alerts').selectAll()
  if (query.open === true) q = q.where('cleared_at', 'is', null)
  if (query.open === false) q = q.where('cleared_at', 'is not', null)
  if (query.machine !== undefined) q = q.where('machine', '=', checkName(query.machine, 'machine', what))
  const rows = await q.orderBy('raised_at', 'desc').orderBy('id', 'desc').limit(limit).execute()
  return rows.map(toMachineAlertRow)
}
