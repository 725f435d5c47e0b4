import type { Selectable, Transaction } from 'kysely'
import { LangperfError, quote } from '../lib/index.ts'
import { listAlertProfiles } from './alert-profiles.ts'
import {
  type AlertDetail,
  type AlertPage,
  type AlertQuery,
  type AlertRow,
  CHANGE_DIRECTIONS,
  CHANGE_KINDS,
  CHANGE_MEASURES,
  CHANGE_STATUSES,
  type ChangeDirection,
  type ChangeInput,
  type ChangeKind,
  type ChangeMeasure,
  type ChangeQuery,
  type ChangeRow,
  type ChangeStatus,
  type CulpritInput,
  type DetectionBatch,
  type DetectionOutcome,
  TRIAGE_STATES,
  type TriageInput,
  type TriageState,
} from './alert-types.ts'
import { type Db, num } from './rows.ts'
import type { AlertsTable, ChangesTable, Database } from './schema.ts'
import type { SeriesKey } from './types.ts'
import { checkId, checkIsoUtc, checkJsonObject, checkName } from './validate.ts'

// Changes and alerts over Kysely, for every dialect. The grouping rule lives here because it is
// what the unique keys encode: a change is unique per (series, measure, first bad build); an
// alert per (runtime, branch, last good commit, first bad commit, kind). Triage belongs to
// people: nothing here but triageAlert writes it.

type Trx = Transaction<Database>

/** The commit text of a blame end: its sha, or `build:<id>` when the build has none. */
function commitOf(end: { readonly commitSha: string | null; readonly buildId: number }): string {
  return end.commitSha ?? `build:${end.buildId}`
}

function checkChange(c: ChangeInput, what: string): void {
  checkSeriesKey(c.series, what)
  for (const [label, end] of [
    ['lastGood', c.lastGood],
    ['firstBad', c.firstBad],
  ] as const) {
    checkId(end.buildId, `${label}.buildId`, what)
    checkId(end.resultId, `${label}.resultId`, what)
    if (end.commitSha !== null) checkName(end.commitSha, `${label}.commitSha`, what)
  }
  for (const [label, v] of [
    ['ratio', c.ratio],
    ['ratioLow', c.ratioLow],
    ['ratioHigh', c.ratioHigh],
  ] as const) {
    if (!(Number.isFinite(v) && v > 0)) {
      throw new LangperfError(
        'bad-input',
        `Cannot ${what}: expected ${label} to be a positive number, found ${quote(v)}`,
      )
    }
  }
  if (!(c.pValue >= 0 && c.pValue <= 1)) {
    throw new LangperfError(
      'bad-input',
      `Cannot ${what}: expected pValue in [0, 1], found ${quote(c.pValue)}`,
    )
  }
  if (!(CHANGE_DIRECTIONS as readonly string[]).includes(c.direction)) {
    throw new LangperfError(
      'bad-input',
      `Cannot ${what}: expected direction ${CHANGE_DIRECTIONS.join(' or ')}, found ${quote(c.direction)}`,
    )
  }
  if (!(CHANGE_KINDS as readonly string[]).includes(c.kind)) {
    throw new LangperfError(
      'bad-input',
      `Cannot ${what}: expected kind ${CHANGE_KINDS.join(' or ')}, found ${quote(c.kind)}`,
    )
  }
  checkMeasure(c.measure, what)
  if (c.status !== 'provisional' && c.status !== 'confirmed') {
    throw new LangperfError(
      'bad-input',
      `Cannot ${what}: expected status provisional or confirmed, found ${quote(c.status)}`,
    )
  }
  checkName(c.unit, 'unit', what)
  checkJsonObject(c.details, 'details', what)
}

function checkMeasure(m: ChangeMeasure | undefined, what: string): void {
  if (m !== undefined && !(CHANGE_MEASURES as readonly string[]).includes(m)) {
    throw new LangperfError(
      'bad-input',
      `Cannot ${what}: expected measure ${CHANGE_MEASURES.join(' or ')}, found ${quote(m)}`,
    )
  }
}

function checkSeriesKey(k: SeriesKey, what: string): void {
  checkName(k.machine, 'series.machine', what)
  checkName(k.runtime, 'series.runtime', what)
  checkName(k.config, 'series.config', what)
  if (k.branch !== null) checkName(k.branch, 'series.branch', what)
  checkName(k.workload, 'series.workload', what)
  checkName(k.workloadVersion, 'series.workloadVersion', what)
}

function seriesWhere<Q extends { where: (...args: never[]) => Q }>(q: Q, k: SeriesKey): Q {
  // biome-ignore lint/suspicious/noExplicitAny: Kysely's where overloads do not survive generics.
  const w = q as any
  return w
    .where('machine', '=', k.machine)
    .where('runtime', '=', k.runtime)
    .where('config', '=', k.config)
    .where('branch', '=', k.branch ?? '')
    .where('workload', '=', k.workload)
    .where('workload_version', '=', k.workloadVersion) as Q
}

/** A change as markSuperseded reads it. */
interface SupersededRow {
  readonly id: number | bigint | string
  readonly alert_id: number | bigint | string
  readonly status: string
  readonly details: string
}

/**
 * Withdraws one change as superseded, `reason` kept in its details; the id of its alert (for the
 * caller to refresh), or null when it was withdrawn already.
 */
async function markSuperseded(
  trx: Trx,
  row: SupersededRow,
  reason: string,
  at: string,
): Promise<number | null> {
  if (row.status === 'withdrawn') return null
  const details = { ...JSON.parse(row.details), superseded: reason }
  await trx
    .updateTable('changes')
    .set({ status: 'withdrawn', details: JSON.stringify(details), updated_at: at })
    .where('id', '=', num(row.id))
    .execute()
  return num(row.alert_id)
}

/**
 * Withdraws the changes `ids` (in `trx`) as superseded, `reason` kept in their details, and
 * refreshes their alerts' status; their alerts keep their triage. Already withdrawn ones are
 * left as they are.
 */
export async function supersedeChanges(
  trx: Trx,
  ids: readonly number[],
  reason: string,
  at: string,
): Promise<void> {
  const touched = new Set<number>()
  for (const id of ids) {
    const row = await trx
      .selectFrom('changes')
      .select(['id', 'alert_id', 'status', 'details'])
      .where('id', '=', id)
      .executeTakeFirst()
    const alertId = row === undefined ? null : await markSuperseded(trx, row, reason, at)
    if (alertId !== null) touched.add(alertId)
  }
  for (const id of touched) await refreshAlert(trx, id, at)
}

/** Recomputes an alert's status and direction from its changes. */
async function refreshAlert(trx: Trx, alertId: number, at: string): Promise<void> {
  const rows = await trx
    .selectFrom('changes')
    .select(['status', 'direction'])
    .where('alert_id', '=', alertId)
    .execute()
  const live = rows.filter((r) => r.status !== 'withdrawn')
  const status: ChangeStatus = live.some((r) => r.status === 'confirmed')
    ? 'confirmed'
    : live.length > 0
      ? 'provisional'
      : 'withdrawn'
  const dirs = new Set(live.map((r) => r.direction))
  const direction =
    dirs.size === 1 ? [...dirs][0]! : dirs.size === 0 ? (rows[0]?.direction ?? 'regression') : 'mixed'
  await trx
    .updateTable('alerts')
    .set({ status, direction, updated_at: at })
    .where('id', '=', alertId)
    .execute()
}

/** Where alertFor() files a change: the pass's time, the alert it leaves, the new alerts so far. */
interface AlertPlacing {
  /** ISO UTC time of the detection pass. */
  readonly at: string
  /** The alert the change belonged to before, if any (its triage passes to a new alert). */
  readonly fromAlertId: number | null
  /** Ids of the alerts this pass created; a new one is appended. */
  readonly newAlertIds: number[]
}

/**
 * The alert a change belongs to (runtime × branch × blame range × kind), created when missing; a
 * new alert made for a change leaving `fromAlertId` inherits that alert's triage.
 */
async function alertFor(trx: Trx, c: ChangeInput, placing: AlertPlacing): Promise<number> {
  const { at, fromAlertId, newAlertIds } = placing
  const branch = c.series.branch ?? ''
  const lastGoodCommit = commitOf(c.lastGood)
  const firstBadCommit = commitOf(c.firstBad)
  const found = await trx
    .selectFrom('alerts')
    .select(['id'])
    .where('runtime', '=', c.series.runtime)
    .where('branch', '=', branch)
    .where('last_good_commit', '=', lastGoodCommit)
    .where('first_bad_commit', '=', firstBadCommit)
    .where('kind', '=', c.kind)
    .executeTakeFirst()
  if (found) return num(found.id)
  const from =
    fromAlertId === null
      ? undefined
      : await trx
          .selectFrom('alerts')
          .select(['triage', 'triage_note', 'triage_link', 'triaged_at', 'acknowledged_until'])
          .where('id', '=', fromAlertId)
          .executeTakeFirst()
  const created = await trx
    .insertInto('alerts')
    .values({
      runtime: c.series.runtime,
      branch,
      last_good_commit: lastGoodCommit,
      first_bad_commit: firstBadCommit,
      kind: c.kind,
      last_good_build_id: c.lastGood.buildId,
      first_bad_build_id: c.firstBad.buildId,
      status: c.status,
      direction: c.direction,
      triage: from?.triage ?? 'new',
      triage_note: from?.triage_note ?? null,
      triage_link: from?.triage_link ?? null,
      triaged_at: from?.triaged_at ?? null,
      acknowledged_until: from?.acknowledged_until ?? null,
      culprit_commit: null,
      culprit_note: null,
      created_at: at,
      updated_at: at,
    })
    .returning(['id'])
    .executeTakeFirstOrThrow()
  newAlertIds.push(num(created.id))
  return num(created.id)
}

/** Records one detection pass in one transaction (see DetectionBatch). */
export async function applyDetection(db: Db, batch: DetectionBatch): Promise<DetectionOutcome> {
  const what = 'record detected changes'
  checkIsoUtc(batch.at, 'at', what)
  for (const c of batch.changes) checkChange(c, what)
  for (const k of [...batch.withdrawn, ...(batch.superseded ?? [])]) {
    checkSeriesKey(k.series, what)
    checkMeasure(k.measure, what)
    checkId(k.firstBadBuildId, 'firstBadBuildId', what)
  }
  return db.transaction().execute(async (trx) => {
    const newAlertIds: number[] = []
    const newChangeIds: number[] = []
    const confirmedChangeIds: number[] = []
    const withdrawnChangeIds: number[] = []
    const touched = new Set<number>()
    for (const c of batch.changes) {
      const existing = await seriesWhere(trx.selectFrom('changes').selectAll(), c.series)
        .where('measure', '=', c.measure ?? 'time')
        .where('first_bad_build_id', '=', c.firstBad.buildId)
        .executeTakeFirst()
      if (existing) {
        const was = existing.status as ChangeStatus
        // Never downgrade: a confirmed change stays confirmed; numbers are refreshed.
        const status: ChangeStatus = was === 'confirmed' ? 'confirmed' : c.status
        // A change judged again with another kind (infrastructure ↔ commit) moves to the alert of
        // that kind; a new alert for it inherits the triage of the one it leaves.
        const moved = existing.kind !== c.kind
        const alertId = moved
          ? await alertFor(trx, c, { at: batch.at, fromAlertId: num(existing.alert_id), newAlertIds })
          : existing.alert_id
        await trx
          .updateTable('changes')
          .set({
            ratio: c.ratio,
            ratio_low: c.ratioLow,
            ratio_high: c.ratioHigh,
            p_value: c.pValue,
            status,
            kind: c.kind,
            alert_id: alertId,
            details: JSON.stringify(c.details),
            updated_at: was === status && !moved ? existing.updated_at : batch.at,
          })
          .where('id', '=', existing.id)
          .execute()
        if (was !== 'confirmed' && status === 'confirmed') confirmedChangeIds.push(num(existing.id))
        if (was !== status || moved) touched.add(num(existing.alert_id))
        if (moved) touched.add(num(alertId))
        continue
      }
      const branch = c.series.branch ?? ''
      const alert = { id: await alertFor(trx, c, { at: batch.at, fromAlertId: null, newAlertIds }) }
      const inserted = await trx
        .insertInto('changes')
        .values({
          alert_id: alert.id,
          machine: c.series.machine,
          runtime: c.series.runtime,
          config: c.series.config,
          branch,
          workload: c.series.workload,
          workload_version: c.series.workloadVersion,
          measure: c.measure ?? 'time',
          kind: c.kind,
          last_good_build_id: c.lastGood.buildId,
          first_bad_build_id: c.firstBad.buildId,
          last_good_result_id: c.lastGood.resultId,
          first_bad_result_id: c.firstBad.resultId,
          ratio: c.ratio,
          ratio_low: c.ratioLow,
          ratio_high: c.ratioHigh,
          p_value: c.pValue,
          direction: c.direction,
          status: c.status,
          unit: c.unit,
          details: JSON.stringify(c.details),
          created_at: batch.at,
          updated_at: batch.at,
        })
        .returning(['id'])
        .executeTakeFirstOrThrow()
      newChangeIds.push(num(inserted.id))
      touched.add(num(alert.id))
    }
    for (const k of batch.withdrawn) {
      const row = await seriesWhere(trx.selectFrom('changes').select(['id', 'alert_id', 'status']), k.series)
        .where('measure', '=', k.measure ?? 'time')
        .where('first_bad_build_id', '=', k.firstBadBuildId)
        .executeTakeFirst()
      if (row?.status !== 'provisional') continue
      await trx
        .updateTable('changes')
        .set({ status: 'withdrawn', updated_at: batch.at })
        .where('id', '=', row.id)
        .execute()
      withdrawnChangeIds.push(num(row.id))
      touched.add(num(row.alert_id))
    }
    for (const k of batch.superseded ?? []) {
      const row = await seriesWhere(
        trx.selectFrom('changes').select(['id', 'alert_id', 'status', 'details']),
        k.series,
      )
        .where('measure', '=', k.measure ?? 'time')
        .where('first_bad_build_id', '=', k.firstBadBuildId)
        .executeTakeFirst()
      if (row === undefined) continue
      const alertId = await markSuperseded(trx, row, k.reason, batch.at)
      if (alertId === null) continue
      withdrawnChangeIds.push(num(row.id))
      touched.add(alertId)
    }
    for (const id of touched) await refreshAlert(trx, id, batch.at)
    return {
      newAlertIds,
      newChangeIds,
      confirmedChangeIds,
      withdrawnChangeIds,
      touchedAlertIds: [...touched].sort((a, b) => a - b),
    }
  })
}

function toChangeRow(r: Selectable<ChangesTable>): ChangeRow {
  return {
    id: num(r.id),
    alertId: num(r.alert_id),
    kind: r.kind as ChangeKind,
    measure: r.measure as ChangeMeasure,
    series: {
      machine: r.machine,
      runtime: r.runtime,
      config: r.config,
      branch: r.branch === '' ? null : r.branch,
      workload: r.workload,
      workloadVersion: r.workload_version,
    },
    lastGood: { buildId: num(r.last_good_build_id), resultId: num(r.last_good_result_id), commitSha: null },
    firstBad: { buildId: num(r.first_bad_build_id), resultId: num(r.first_bad_result_id), commitSha: null },
    unit: r.unit,
    ratio: num(r.ratio),
    ratioLow: num(r.ratio_low),
    ratioHigh: num(r.ratio_high),
    pValue: num(r.p_value),
    direction: r.direction as ChangeDirection,
    status: r.status as ChangeStatus,
    details: JSON.parse(r.details),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }
}

/** The commit sha and date of builds, by id (absent: no such build). */
async function buildCommits(
  db: Db | Trx,
  buildIds: readonly number[],
): Promise<Map<number, { readonly sha: string | null; readonly date: string | null }>> {
  const ids = [...new Set(buildIds)]
  const out = new Map<number, { readonly sha: string | null; readonly date: string | null }>()
  for (let i = 0; i < ids.length; i += 500) {
    const part = await db
      .selectFrom('builds')
      .select(['id', 'commit_sha', 'commit_date_utc'])
      .where('id', 'in', ids.slice(i, i + 500))
      .execute()
    for (const b of part) out.set(num(b.id), { sha: b.commit_sha, date: b.commit_date_utc })
  }
  return out
}

/** Fills in the commits of the changes' blame ends from their builds. */
async function withCommits(db: Db | Trx, rows: ChangeRow[]): Promise<ChangeRow[]> {
  if (rows.length === 0) return rows
  const commits = await buildCommits(
    db,
    rows.flatMap((r) => [r.lastGood.buildId, r.firstBad.buildId]),
  )
  return rows.map((r) => ({
    ...r,
    lastGood: { ...r.lastGood, commitSha: commits.get(r.lastGood.buildId)?.sha ?? null },
    firstBad: { ...r.firstBad, commitSha: commits.get(r.firstBad.buildId)?.sha ?? null },
  }))
}

/** The commit dates of builds, by id (absent: no such build or no date). */
async function commitDates(db: Db | Trx, buildIds: readonly number[]): Promise<Map<number, string>> {
  const dates = new Map<number, string>()
  for (const [id, c] of await buildCommits(db, buildIds)) if (c.date !== null) dates.set(id, c.date)
  return dates
}

function toAlertRow(
  a: Selectable<AlertsTable>,
  changes: readonly ChangeRow[],
  dates: ReadonlyMap<number, string>,
): AlertRow {
  const live = changes.filter((c) => c.status !== 'withdrawn')
  let largest: AlertRow['largest'] = null
  for (const c of live) {
    if (!largest || Math.abs(Math.log(c.ratio)) > Math.abs(Math.log(largest.ratio))) {
      largest = {
        workload: c.series.workload,
        measure: c.measure,
        ratio: c.ratio,
        ratioLow: c.ratioLow,
        ratioHigh: c.ratioHigh,
      }
    }
  }
  return {
    id: num(a.id),
    runtime: a.runtime,
    branch: a.branch === '' ? null : a.branch,
    lastGoodCommit: a.last_good_commit,
    firstBadCommit: a.first_bad_commit,
    kind: a.kind as ChangeKind,
    lastGoodBuildId: num(a.last_good_build_id),
    firstBadBuildId: num(a.first_bad_build_id),
    status: a.status as ChangeStatus,
    direction: a.direction as AlertRow['direction'],
    triage: a.triage as TriageState,
    triageNote: a.triage_note,
    triageLink: a.triage_link,
    triagedAt: a.triaged_at,
    acknowledgedUntil: a.acknowledged_until,
    lastGoodCommitDate: dates.get(num(a.last_good_build_id)) ?? null,
    firstBadCommitDate: dates.get(num(a.first_bad_build_id)) ?? null,
    culpritCommit: a.culprit_commit,
    culpritNote: a.culprit_note,
    createdAt: a.created_at,
    updatedAt: a.updated_at,
    changeCount: live.length,
    regressions: live.filter((c) => c.direction === 'regression').length,
    improvements: live.filter((c) => c.direction === 'improvement').length,
    machines: [...new Set(live.map((c) => c.series.machine))].sort(),
    configs: [...new Set(live.map((c) => c.series.config))].sort(),
    largest,
  }
}

/**
 * The limit and offset of a page query: `bounds.fallback` items from 0 when absent, bad-input
 * for a limit outside 1–`bounds.max` or a negative offset.
 */
function checkPage(
  page: { readonly limit?: number; readonly offset?: number },
  bounds: { readonly max: number; readonly fallback: number },
  what: string,
) {
  const { limit, offset } = page
  const { max, fallback } = bounds
  const l = limit ?? fallback
  const o = offset ?? 0
  if (!Number.isSafeInteger(l) || l < 1 || l > max) {
    throw new LangperfError(
      'bad-input',
      `Cannot ${what}: expected limit between 1 and ${max}, found ${quote(limit)}`,
    )
  }
  if (!Number.isSafeInteger(o) || o < 0)
    throw new LangperfError('bad-input', `Cannot ${what}: expected offset ≥ 0, found ${quote(offset)}`)
  return { limit: l, offset: o }
}

/** Alerts matching the filters, newest first. */
export async function listAlerts(db: Db, query: AlertQuery = {}): Promise<AlertPage> {
  const what = 'list alerts'
  const { limit, offset } = checkPage(query, { max: 1000, fallback: 50 }, what)
  for (const t of query.triage ?? []) {
    if (!(TRIAGE_STATES as readonly string[]).includes(t)) {
      throw new LangperfError(
        'bad-input',
        `Cannot ${what}: expected triage among ${TRIAGE_STATES.join(', ')}, found ${quote(t)}`,
      )
    }
  }
  for (const s of query.status ?? []) {
    if (!(CHANGE_STATUSES as readonly string[]).includes(s)) {
      throw new LangperfError(
        'bad-input',
        `Cannot ${what}: expected status among ${CHANGE_STATUSES.join(', ')}, found ${quote(s)}`,
      )
    }
  }
  let q = db.selectFrom('alerts')
  if (query.triage && query.triage.length > 0) q = q.where('triage', 'in', [...query.triage])
  if (query.status && query.status.length > 0) q = q.where('status', 'in', [...query.status])
  if (query.kind !== undefined) q = q.where('kind', '=', query.kind)
  if (query.runtime !== undefined) q = q.where('runtime', '=', query.runtime)
  if (query.branch !== undefined) q = q.where('branch', '=', query.branch ?? '')
  if (query.direction !== undefined) q = q.where('direction', '=', query.direction)
  if (query.machine !== undefined) {
    const machine = query.machine
    q = q.where((eb) =>
      eb.exists(
        eb
          .selectFrom('changes')
          .select('changes.id')
          .whereRef('changes.alert_id', '=', 'alerts.id')
          .where('changes.machine', '=', machine),
      ),
    )
  }
  const { config, minChangePercent: pct } = query
  if (pct !== undefined && !(Number.isFinite(pct) && pct > 0 && pct <= 10_000)) {
    throw new LangperfError(
      'bad-input',
      `Cannot ${what}: expected minChangePercent between 0 and 10000, found ${quote(pct)}`,
    )
  }
  if (config !== undefined || pct !== undefined) {
    // One live change that passes both: on that config, and of at least pct either way.
    const up = 1 + (pct ?? 0) / 100
    q = q.where((eb) => {
      let sub = eb
        .selectFrom('changes')
        .select('changes.id')
        .whereRef('changes.alert_id', '=', 'alerts.id')
        .where('changes.status', '<>', 'withdrawn')
      if (config !== undefined) sub = sub.where('changes.config', '=', config)
      if (pct !== undefined)
        sub = sub.where((w) => w.or([w('changes.ratio', '>=', up), w('changes.ratio', '<=', 1 / up)]))
      return eb.exists(sub)
    })
  }
  for (const [label, bound, op] of [
    ['commitFrom', query.commitFrom, '>='],
    ['commitBefore', query.commitBefore, '<'],
  ] as const) {
    if (bound === undefined) continue
    checkIsoUtc(bound, label, what)
    q = q.where('first_bad_build_id', 'in', (eb) =>
      eb.selectFrom('builds').select('builds.id').where('builds.commit_date_utc', op, bound),
    )
  }
  if (query.hideAcknowledgedAt !== undefined) {
    const at = checkIsoUtc(query.hideAcknowledgedAt, 'hideAcknowledgedAt', what)
    q = q.where((eb) =>
      eb.or([
        eb('triage', '<>', 'acknowledged'),
        eb('acknowledged_until', 'is', null),
        eb('acknowledged_until', '<=', at),
      ]),
    )
  }
  const totalRow = await q.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow()
  const alerts = await q
    .selectAll('alerts')
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .offset(offset)
    .execute()
  const ids = alerts.map((a) => a.id)
  const changes =
    ids.length === 0
      ? []
      : (await db.selectFrom('changes').selectAll().where('alert_id', 'in', ids).orderBy('id').execute()).map(
          toChangeRow,
        )
  const byAlert = new Map<number, ChangeRow[]>()
  for (const c of changes) byAlert.set(c.alertId, [...(byAlert.get(c.alertId) ?? []), c])
  const dates = await commitDates(
    db,
    alerts.flatMap((a) => [num(a.last_good_build_id), num(a.first_bad_build_id)]),
  )
  return {
    rows: alerts.map((a) => toAlertRow(a, byAlert.get(num(a.id)) ?? [], dates)),
    total: num(totalRow.n),
  }
}

/** One alert with all its changes (withdrawn ones too), or undefined. */
export async function getAlert(db: Db, id: number): Promise<AlertDetail | undefined> {
  checkId(id, 'id', 'show an alert')
  const a = await db.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirst()
  if (!a) return undefined
  const rows = (
    await db.selectFrom('changes').selectAll().where('alert_id', '=', id).orderBy('id').execute()
  ).map(toChangeRow)
  const changes = await withCommits(db, rows)
  const dates = await commitDates(db, [num(a.last_good_build_id), num(a.first_bad_build_id)])
  const profiles = await listAlertProfiles(db, id)
  return { ...toAlertRow(a, changes, dates), changes, profiles }
}

/**
 * The state of the changes as the database tells it: their count, largest id and newest update
 * (detection inserts changes and updates their status, ratio and blame; none is ever deleted).
 */
export async function changesState(db: Db): Promise<string> {
  const row = await db
    .selectFrom('changes')
    .select((eb) => [
      eb.fn.countAll().as('n'),
      eb.fn.max('id').as('max_id'),
      eb.fn.max('updated_at').as('updated'),
      eb.fn
        .sum(eb.case().when('status', '=', 'confirmed').then(eb.lit(1)).else(eb.lit(0)).end())
        .as('confirmed'),
      eb.fn
        .sum(eb.case().when('status', '=', 'withdrawn').then(eb.lit(1)).else(eb.lit(0)).end())
        .as('withdrawn'),
    ])
    .executeTakeFirstOrThrow()
  return [row.n, row.max_id ?? 0, row.updated ?? '', row.confirmed ?? 0, row.withdrawn ?? 0].join(':')
}

/** Changes matching the filters, oldest first. */
export async function listChanges(
  db: Db,
  query: ChangeQuery = {},
): Promise<{ rows: ChangeRow[]; total: number }> {
  const what = 'list changes'
  const { limit, offset } = checkPage(query, { max: 5000, fallback: 1000 }, what)
  let q = db.selectFrom('changes')
  if (query.series) q = seriesWhere(q, query.series)
  if (query.workloads !== undefined) {
    if (!Array.isArray(query.workloads) || query.workloads.length === 0 || query.workloads.length > 1000) {
      throw new LangperfError(
        'bad-input',
        `Cannot ${what}: expected workloads to be a list of 1 to 1000 names, found ${quote(query.workloads)}`,
      )
    }
    q = q.where(
      'workload',
      'in',
      query.workloads.map((w) => checkName(w, 'workloads', what)),
    )
  }
  if (query.alertId !== undefined) q = q.where('alert_id', '=', checkId(query.alertId, 'alertId', what))
  if (query.status && query.status.length > 0) q = q.where('status', 'in', [...query.status])
  const totalRow = await q.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow()
  const rows = (await q.selectAll().orderBy('id').limit(limit).offset(offset).execute()).map(toChangeRow)
  return { rows: await withCommits(db, rows), total: num(totalRow.n) }
}

/** How far ahead an acknowledgement may expire, in days (a year, leap or not). */
export const MAX_ACK_DAYS = 366

/** Sets an alert's triage state, note, link and acknowledgement expiry; unknown id: not-found. */
export async function triageAlert(db: Db, id: number, input: TriageInput): Promise<AlertDetail> {
  const what = `triage alert ${quote(id)}`
  checkId(id, 'id', what)
  if (!(TRIAGE_STATES as readonly string[]).includes(input.triage)) {
    throw new LangperfError(
      'bad-input',
      `Cannot ${what}: expected a state among ${TRIAGE_STATES.join(', ')}, found ${quote(input.triage)}`,
    )
  }
  checkIsoUtc(input.at, 'at', what)
  for (const [label, v, max] of [
    ['note', input.note, 4000],
    ['link', input.link, 2000],
  ] as const) {
    if (v !== undefined && v !== null && (typeof v !== 'string' || v.length > max || v.includes('\u0000'))) {
      throw new LangperfError(
        'bad-input',
        `Cannot ${what}: expected ${label} to be text of at most ${max} characters`,
      )
    }
  }
  const until = input.until ?? null
  if (until !== null) {
    checkIsoUtc(until, 'until', what)
    if (input.triage !== 'acknowledged') {
      throw new LangperfError(
        'bad-input',
        `Cannot ${what}: an expiry (until) goes only with acknowledged, not with ${quote(input.triage)}`,
      )
    }
    const ahead = Date.parse(until) - Date.parse(input.at)
    if (!(ahead > 0 && ahead <= MAX_ACK_DAYS * 86_400_000)) {
      throw new LangperfError(
        'bad-input',
        `Cannot ${what}: expected until after now and at most ${MAX_ACK_DAYS} days ahead, found ${quote(until)}`,
      )
    }
  }
  if (input.link && !/^https?:\/\//i.test(input.link)) {
    throw new LangperfError(
      'bad-input',
      `Cannot ${what}: expected link to start with http:// or https://, found ${quote(input.link)}`,
    )
  }
  const res = await db
    .updateTable('alerts')
    .set({
      triage: input.triage,
      ...(input.note !== undefined ? { triage_note: input.note } : {}),
      ...(input.link !== undefined ? { triage_link: input.link } : {}),
      triaged_at: input.at,
      acknowledged_until: until,
      updated_at: input.at,
    })
    .where('id', '=', id)
    .executeTakeFirst()
  if (Number(res.numUpdatedRows) === 0)
    throw new LangperfError('not-found', `Cannot ${what}: no alert has id ${id}`)
  return (await getAlert(db, id))!
}

/** Records what bisection found for an alert. */
export async function setAlertCulprit(db: Db, id: number, input: CulpritInput): Promise<AlertDetail> {
  const what = `record the culprit of alert ${quote(id)}`
  checkId(id, 'id', what)
  checkIsoUtc(input.at, 'at', what)
  if (input.commit !== null) checkName(input.commit, 'commit', what)
  if (typeof input.note !== 'string' || input.note.length > 4000) {
    throw new LangperfError('bad-input', `Cannot ${what}: expected a note of at most 4000 characters`)
  }
  const res = await db
    .updateTable('alerts')
    .set({ culprit_commit: input.commit, culprit_note: input.note, updated_at: input.at })
    .where('id', '=', id)
    .executeTakeFirst()
  if (Number(res.numUpdatedRows) === 0)
    throw new LangperfError('not-found', `Cannot ${what}: no alert has id ${id}`)
  return (await getAlert(db, id))!
}
