import { canonicalJson, quote, sha256Hex } from '../lib/index.ts'
import type { MachineEnvironment, MachineFingerprint } from '../model/index.ts'
import { type Db, json, jsonOrNull, num, selectOrInsert } from './rows.ts'
import type { FingerprintRow, MachineDetail, MachineRow } from './types.ts'
import { checkName } from './validate.ts'

// Machines and the history of their fingerprints (MachineRegistry), and the upsert that keeps
// both current as runs are stored.

/** Hash identifying a fingerprint: equal facts in any key order give the same hash. */
function fingerprintHash(fingerprint: MachineFingerprint): string {
  return sha256Hex(canonicalJson(fingerprint), 16)
}

/** A machine as the store returns it, from its row. */
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

/** Every machine, by name. */
export async function listMachines(db: Db): Promise<MachineRow[]> {
  const rows = await db.selectFrom('machines').selectAll().orderBy('name').execute()
  return rows.map(toMachineRow)
}

/** One machine with its fingerprint history (oldest first), or undefined. */
export async function getMachine(db: Db, name: string): Promise<MachineDetail | undefined> {
  const what = `get machine ${quote(name)}`
  checkName(name, 'name', what)
  const row = await db.selectFrom('machines').selectAll().where('name', '=', name).executeTakeFirst()
  if (row === undefined) return undefined
  const history = await db
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

/**
 * The machine's id and, when the run has an environment, the id of its fingerprint in the
 * history. Seen-times widen to include `startedAt`; the current fingerprint follows the latest run.
 */
export async function upsertMachine(
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
