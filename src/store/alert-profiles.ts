import { badInput, LangperfError, quote } from '../lib/index.ts'
import type { DifferentialSummary } from '../model/index.ts'
import type { AlertProfileInput, AlertProfileRow } from './alert-types.ts'
import { upsertMachine } from './machines.ts'
import { PROFILE_STATES, type ProfileState } from './profile-types.ts'
import { type Db, json, num, numOrNull } from './rows.ts'
import { checkId, checkIsoUtc, checkJsonObject, checkName } from './validate.ts'

// The profiles at an alert's culprit (AlertLog.setAlertProfile, migration 0010): per alert ×
// machine × workload, the profile of the culprit and of its first parent with the summary of
// their differential, or why they could not be taken. The profiles themselves live in
// `profiles` (profiles.ts); a row only links them to the alert.

/** Throws unless `p` can be recorded on alert `alertId` as it is. */
function checkAlertProfile(alertId: number, p: AlertProfileInput, what: string): void {
  checkId(alertId, 'alertId', what)
  checkName(p.machine, 'machine', what)
  checkName(p.workload, 'workload', what)
  checkName(p.parentCommit, 'parentCommit', what)
  checkName(p.culpritCommit, 'culpritCommit', what)
  if (p.parentProfileId !== null) checkId(p.parentProfileId, 'parentProfileId', what)
  if (p.culpritProfileId !== null) checkId(p.culpritProfileId, 'culpritProfileId', what)
  if (!(PROFILE_STATES as readonly unknown[]).includes(p.state))
    throw badInput(
      `Cannot ${what}: expected state to be one of ${PROFILE_STATES.join(', ')}, found ${quote(p.state)}`,
    )
  checkIsoUtc(p.createdAt, 'createdAt', what)
  if (p.state === 'profiled') {
    if (p.parentProfileId === null || p.culpritProfileId === null || p.summary === null)
      throw badInput(`Cannot ${what}: a profiled pair needs both profile ids and a summary`)
    if (p.message !== null)
      throw badInput(`Cannot ${what}: expected no message on a profiled pair, found ${quote(p.message)}`)
    checkJsonObject(p.summary, 'summary', what)
    if (!Array.isArray(p.summary.rows))
      throw badInput(`Cannot ${what}: expected summary.rows to be a list of function changes`)
  } else {
    checkName(p.message, 'message', what)
    if (p.summary !== null) throw badInput(`Cannot ${what}: a pair ${p.state} has no summary`)
  }
}

/**
 * Records the profiles of an alert's culprit and its parent for one machine and workload,
 * replacing an earlier record of the same three; returns its id. An unknown alert or profile is
 * not-found.
 */
export async function setAlertProfile(
  db: Db,
  alertId: number,
  input: AlertProfileInput,
): Promise<{ readonly id: number }> {
  const what = `record the profiles of alert ${quote(alertId)} on ${quote(input?.workload)}`
  checkAlertProfile(alertId, input, what)
  return db.transaction().execute(async (trx) => {
    const alert = await trx.selectFrom('alerts').select('id').where('id', '=', alertId).executeTakeFirst()
    if (alert === undefined)
      throw new LangperfError('not-found', `Cannot ${what}: no alert has id ${alertId}`)
    for (const id of [input.parentProfileId, input.culpritProfileId]) {
      if (id === null) continue
      const p = await trx.selectFrom('profiles').select('id').where('id', '=', id).executeTakeFirst()
      if (p === undefined) throw new LangperfError('not-found', `Cannot ${what}: no profile has id ${id}`)
    }
    const { machineId } = await upsertMachine(trx, input.machine, null, input.createdAt)
    await trx
      .deleteFrom('alert_profiles')
      .where('alert_id', '=', alertId)
      .where('machine_id', '=', machineId)
      .where('workload', '=', input.workload)
      .execute()
    const row = await trx
      .insertInto('alert_profiles')
      .values({
        alert_id: alertId,
        machine_id: machineId,
        workload: input.workload,
        parent_commit: input.parentCommit,
        culprit_commit: input.culpritCommit,
        parent_profile_id: input.parentProfileId,
        culprit_profile_id: input.culpritProfileId,
        state: input.state,
        message: input.message,
        summary: JSON.stringify(input.summary ?? {}),
        created_at: input.createdAt,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
    return { id: num(row.id) }
  })
}

/** The profile pairs recorded on alert `alertId`, oldest first. */
export async function listAlertProfiles(db: Db, alertId: number): Promise<AlertProfileRow[]> {
  const rows = await db
    .selectFrom('alert_profiles as ap')
    .innerJoin('machines as m', 'm.id', 'ap.machine_id')
    .selectAll('ap')
    .select('m.name as machine')
    .where('ap.alert_id', '=', alertId)
    .orderBy('ap.id')
    .execute()
  return rows.map((r) => {
    const state = PROFILE_STATES.find((s) => s === r.state)
    if (state === undefined)
      throw new LangperfError('internal', `Unexpected alert profile state ${quote(r.state)} in the store`)
    return {
      id: num(r.id),
      alertId: num(r.alert_id),
      machine: r.machine,
      workload: r.workload,
      parentCommit: r.parent_commit,
      culpritCommit: r.culprit_commit,
      parentProfileId: numOrNull(r.parent_profile_id),
      culpritProfileId: numOrNull(r.culprit_profile_id),
      state: state satisfies ProfileState,
      message: r.message,
      summary: state === 'profiled' ? json<DifferentialSummary>(r.summary) : null,
      createdAt: r.created_at,
    }
  })
}
