import { type Selectable, sql } from 'kysely'
import { type JsonObject, LangperfError, quote } from '../lib/index.ts'
import {
  PIPELINE_STEP_KINDS,
  PIPELINE_STEP_STATUSES,
  type PipelineStepClaim,
  type PipelineStepEnd,
  type PipelineStepKind,
  type PipelineStepPage,
  type PipelineStepQuery,
  type PipelineStepRow,
  type PipelineStepStart,
  type PipelineStepStatus,
} from './pipeline-types.ts'
import { type Db, num } from './rows.ts'
import type { PipelineStepsTable } from './schema.ts'
import { checkIsoUtc, checkJsonObject, checkName } from './validate.ts'

// The nightly pipeline's step journal over Kysely, for every dialect. Claiming a step is one
// atomic statement each way (insert if new, else a conditional update), so two claims of one step
// can never both start it. Whether a `running` step belongs to a dead process is the caller's
// knowledge, not the store's: the nightly holds a lock, so a step that was running before it took
// the lock is abandoned (`staleBefore`).

/** Longest step key: keys name a runtime, config, commit and machine, never free text. */
const MAX_KEY_CHARS = 500

function toRow(r: Selectable<PipelineStepsTable>): PipelineStepRow {
  return {
    id: num(r.id),
    kind: r.kind as PipelineStepKind,
    key: r.key,
    status: r.status as PipelineStepStatus,
    detail: JSON.parse(r.detail) as JsonObject,
    attempts: num(r.attempts),
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  }
}

function checkKey(key: unknown, what: string): string {
  checkName(key, 'key', what)
  if ((key as string).length > MAX_KEY_CHARS) {
    throw new LangperfError(
      'bad-input',
      `Cannot ${what}: expected a key of at most ${MAX_KEY_CHARS} characters, found ${(key as string).length}`,
    )
  }
  return key as string
}

/**
 * Starts step `input.key`: inserts it as running (attempt 1), or restarts a failed one or a running
 * one started before `staleBefore` (attempts + 1, detail replaced when given); a done step is
 * returned unchanged as `done`, a running one that is not stale as `busy`.
 */
export async function startPipelineStep(db: Db, input: PipelineStepStart): Promise<PipelineStepClaim> {
  const what = `start pipeline step ${quote(input?.key)}`
  if (!(PIPELINE_STEP_KINDS as readonly unknown[]).includes(input.kind)) {
    throw new LangperfError(
      'bad-input',
      `Cannot ${what}: expected kind to be one of ${PIPELINE_STEP_KINDS.join(', ')}, found ${quote(input.kind)}`,
    )
  }
  checkKey(input.key, what)
  checkIsoUtc(input.at, 'at', what)
  if (input.staleBefore !== undefined) checkIsoUtc(input.staleBefore, 'staleBefore', what)
  if (input.detail !== undefined) checkJsonObject(input.detail, 'detail', what)
  return db.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto('pipeline_steps')
      .values({
        kind: input.kind,
        key: input.key,
        status: 'running',
        detail: JSON.stringify(input.detail ?? {}),
        attempts: 1,
        started_at: input.at,
        finished_at: null,
      })
      .onConflict((oc) => oc.column('key').doNothing())
      .returningAll()
      .executeTakeFirst()
    if (inserted !== undefined) return { outcome: 'started', step: toRow(inserted) }
    const restarted = await trx
      .updateTable('pipeline_steps')
      .set((eb) => ({
        status: 'running',
        attempts: eb('attempts', '+', 1),
        started_at: input.at,
        finished_at: null,
        ...(input.detail === undefined ? {} : { detail: JSON.stringify(input.detail) }),
      }))
      .where('key', '=', input.key)
      .where((eb) =>
        eb.or([
          eb('status', '=', 'failed'),
          input.staleBefore === undefined
            ? eb('status', '=', 'running')
            : eb.and([eb('status', '=', 'running'), eb('started_at', '<', input.staleBefore)]),
        ]),
      )
      .returningAll()
      .executeTakeFirst()
    if (restarted !== undefined) {
      if (restarted.kind !== input.kind) {
        throw new LangperfError(
          'conflict',
          `Cannot ${what}: the step exists with kind ${quote(restarted.kind)}, not ${quote(input.kind)}`,
        )
      }
      return { outcome: 'started', step: toRow(restarted) }
    }
    const current = toRow(
      await trx
        .selectFrom('pipeline_steps')
        .selectAll()
        .where('key', '=', input.key)
        .executeTakeFirstOrThrow(),
    )
    return { outcome: current.status === 'done' ? 'done' : 'busy', step: current }
  })
}

/** Ends a running step as done or failed; unknown key: not-found; a step not running: conflict. */
export async function finishPipelineStep(
  db: Db,
  key: string,
  input: PipelineStepEnd,
): Promise<PipelineStepRow> {
  const what = `finish pipeline step ${quote(key)}`
  checkKey(key, what)
  if (input.status !== 'done' && input.status !== 'failed') {
    throw new LangperfError(
      'bad-input',
      `Cannot ${what}: expected status done or failed, found ${quote(input.status)}`,
    )
  }
  checkIsoUtc(input.at, 'at', what)
  if (input.detail !== undefined) checkJsonObject(input.detail, 'detail', what)
  return db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('pipeline_steps').selectAll().where('key', '=', key).executeTakeFirst()
    if (row === undefined) throw new LangperfError('not-found', `Cannot ${what}: no step has this key`)
    if (row.status !== 'running') {
      throw new LangperfError('conflict', `Cannot ${what}: expected a running step, found it ${row.status}`)
    }
    const updated = await trx
      .updateTable('pipeline_steps')
      .set({
        status: input.status,
        finished_at: input.at,
        ...(input.detail === undefined ? {} : { detail: JSON.stringify(input.detail) }),
      })
      .where('id', '=', row.id)
      .returningAll()
      .executeTakeFirstOrThrow()
    return toRow(updated)
  })
}

/** One step by key, or undefined. */
export async function getPipelineStep(db: Db, key: string): Promise<PipelineStepRow | undefined> {
  checkKey(key, `get pipeline step ${quote(key)}`)
  const row = await db.selectFrom('pipeline_steps').selectAll().where('key', '=', key).executeTakeFirst()
  return row === undefined ? undefined : toRow(row)
}

/** Steps matching the filters, oldest start first. */
export async function listPipelineSteps(db: Db, query: PipelineStepQuery = {}): Promise<PipelineStepPage> {
  const what = 'list pipeline steps'
  const limit = query.limit ?? 100
  const offset = query.offset ?? 0
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000) {
    throw new LangperfError(
      'bad-input',
      `Cannot ${what}: expected limit between 1 and 1000, found ${quote(query.limit)}`,
    )
  }
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new LangperfError('bad-input', `Cannot ${what}: expected offset ≥ 0, found ${quote(query.offset)}`)
  }
  if (query.kind !== undefined && !(PIPELINE_STEP_KINDS as readonly unknown[]).includes(query.kind)) {
    throw new LangperfError(
      'bad-input',
      `Cannot ${what}: expected kind to be one of ${PIPELINE_STEP_KINDS.join(', ')}, found ${quote(query.kind)}`,
    )
  }
  for (const s of query.status ?? []) {
    if (!(PIPELINE_STEP_STATUSES as readonly unknown[]).includes(s)) {
      throw new LangperfError(
        'bad-input',
        `Cannot ${what}: expected status to be among ${PIPELINE_STEP_STATUSES.join(', ')}, found ${quote(s)}`,
      )
    }
  }
  let q = db.selectFrom('pipeline_steps')
  if (query.kind !== undefined) q = q.where('kind', '=', query.kind)
  if (query.status !== undefined) {
    if (query.status.length === 0) return { rows: [], total: 0 }
    q = q.where('status', 'in', [...query.status])
  }
  if (query.keyPrefix !== undefined) {
    checkName(query.keyPrefix, 'keyPrefix', what)
    // substr, not LIKE: SQLite's LIKE ignores ASCII case and both treat % and _ as wildcards.
    const prefix = query.keyPrefix
    q = q.where(sql<string>`substr(key, 1, ${prefix.length})`, '=', prefix)
  }
  const total = await q.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow()
  const rows = await q.selectAll().orderBy('started_at').orderBy('id').limit(limit).offset(offset).execute()
  return { rows: rows.map(toRow), total: num(total.n) }
}
