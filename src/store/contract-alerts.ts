import assert from 'node:assert/strict'
import { test } from 'node:test'
import { gzipSync } from 'node:zlib'
import { LangperfError } from '../lib/index.ts'
import type { ChangeInput } from './alert-types.ts'
import {
  exampleSeriesKey,
  type OpenStore,
  registerPart,
  rejectsWith,
  type WithStore,
} from './contract-helpers.ts'
import { exampleBuild, exampleCountChange, exampleRunWithResults } from './fixtures.ts'
import type { Store } from './roles.ts'

// Contract of changes and alerts (part of storeContract): grouping by blame range, idempotent
// detection, provisional → confirmed / withdrawn, triage that detection never overturns.

const SHA = (n: number) => `${String(n).padStart(4, '0')}${'ab'.repeat(18)}`

/** Stores three builds (commits 1, 2, 3) with two workloads each; returns build and result ids. */
async function seed(store: Store) {
  const ids: { buildId: number; results: Record<string, number> }[] = []
  for (const n of [1, 2, 3]) {
    const [runId] = await store.insertRuns([
      exampleRunWithResults(
        {
          build: exampleBuild(SHA(n), { commitDateUtc: `2024-10-0${n}T08:30:00Z` }),
          startedAt: `2024-10-0${n}T10:00:00.000Z`,
        },
        { workloads: ['nbody', 'richards'] },
      ),
    ])
    const run = await store.getRun(runId!)
    const results = await store.getResults(runId!)
    ids.push({
      buildId: run!.build.id,
      results: Object.fromEntries(results.map((r) => [r.workload.name, r.id])),
    })
  }
  return ids
}

/**
 * A change of `workload` blamed on the range from seeded build `good` to seeded build `bad`
 * (indices into what seed() returned), confirmed unless `overrides` say otherwise.
 */
function change(
  ids: Awaited<ReturnType<typeof seed>>,
  workload: string,
  [good, bad]: readonly [good: number, bad: number],
  overrides: Partial<ChangeInput> = {},
): ChangeInput {
  return {
    kind: 'commit',
    series: exampleSeriesKey(workload),
    lastGood: {
      buildId: ids[good]!.buildId,
      resultId: ids[good]!.results[workload]!,
      commitSha: SHA(good + 1),
    },
    firstBad: { buildId: ids[bad]!.buildId, resultId: ids[bad]!.results[workload]!, commitSha: SHA(bad + 1) },
    unit: 'second',
    ratio: 1.1,
    ratioLow: 1.05,
    ratioHigh: 1.15,
    pValue: 0.0001,
    direction: 'regression',
    status: 'confirmed',
    details: { pointsBefore: 10, pointsAfter: 3 },
    ...overrides,
  }
}

/** Registers the alerts part of the Store contract (AlertLog). */
export function alertsContract(name: string, open: OpenStore): void {
  registerPart({ name, open, title: 'changes and alerts' }, [
    groupingAndStatus,
    triageAndCulprits,
    expiryAndFilters,
  ])
}

/** Changes grouped into alerts by blame range, recorded idempotently, confirmed or withdrawn. */
function groupingAndStatus(withStore: WithStore): void {
  test('changes that share a blame range form one alert, with the commits of both ends', () =>
    withStore(async (store) => {
      const ids = await seed(store)
      const out = await store.applyDetection({
        changes: [
          change(ids, 'nbody', [0, 1]),
          change(ids, 'richards', [0, 1], { ratio: 1.3, ratioLow: 1.2, ratioHigh: 1.4 }),
        ],
        withdrawn: [],
        at: '2024-10-02T12:00:00.000Z',
      })
      assert.equal(out.newAlertIds.length, 1)
      assert.equal(out.newChangeIds.length, 2)
      const alert = await store.getAlert(out.newAlertIds[0]!)
      assert.ok(alert)
      assert.equal(alert.lastGoodCommit, SHA(1))
      assert.equal(alert.firstBadCommit, SHA(2))
      assert.equal(alert.status, 'confirmed')
      assert.equal(alert.direction, 'regression')
      assert.equal(alert.triage, 'new')
      assert.equal(alert.changeCount, 2)
      assert.equal(alert.largest?.workload, 'richards')
      assert.deepEqual(alert.machines, ['bench-1'])
      assert.equal(alert.changes[0]!.firstBad.commitSha, SHA(2))
      assert.deepEqual(alert.changes[0]!.details, { pointsBefore: 10, pointsAfter: 3 })
    }))

  test('recording the same detection again adds nothing', () =>
    withStore(async (store) => {
      const ids = await seed(store)
      const batch = { changes: [change(ids, 'nbody', [0, 1])], withdrawn: [], at: '2024-10-02T12:00:00.000Z' }
      await store.applyDetection(batch)
      const again = await store.applyDetection({ ...batch, at: '2024-10-03T12:00:00.000Z' })
      assert.deepEqual(again, {
        newAlertIds: [],
        newChangeIds: [],
        confirmedChangeIds: [],
        withdrawnChangeIds: [],
        touchedAlertIds: [],
      })
      assert.equal((await store.listAlerts()).total, 1)
      assert.equal((await store.listChanges()).total, 1)
    }))

  test('a provisional change is confirmed or withdrawn later, and a confirmed one never goes back', () =>
    withStore(async (store) => {
      const ids = await seed(store)
      const at = '2024-10-02T12:00:00.000Z'
      const none = await store.changesState()
      const p = await store.applyDetection({
        changes: [change(ids, 'nbody', [0, 1], { status: 'provisional' })],
        withdrawn: [],
        at,
      })
      assert.equal((await store.getAlert(p.newAlertIds[0]!))?.status, 'provisional')
      const provisional = await store.changesState()
      assert.notEqual(provisional, none, 'a change recorded, a new state')
      const c = await store.applyDetection({ changes: [change(ids, 'nbody', [0, 1])], withdrawn: [], at })
      assert.equal(c.confirmedChangeIds.length, 1)
      const confirmed = await store.changesState()
      assert.notEqual(confirmed, provisional, 'a change confirmed at the same time, a new state')
      const down = await store.applyDetection({
        changes: [change(ids, 'nbody', [0, 1], { status: 'provisional' })],
        withdrawn: [],
        at,
      })
      assert.deepEqual(down.confirmedChangeIds, [])
      assert.equal(await store.changesState(), confirmed, 'nothing changed, the same state')
      assert.equal((await store.getAlert(p.newAlertIds[0]!))?.status, 'confirmed')
      // Withdrawal touches provisional changes only.
      const w = await store.applyDetection({
        changes: [],
        withdrawn: [{ series: exampleSeriesKey('nbody'), firstBadBuildId: ids[1]!.buildId }],
        at,
      })
      assert.deepEqual(w.withdrawnChangeIds, [])
      const q = await store.applyDetection({
        changes: [change(ids, 'richards', [1, 2], { status: 'provisional' })],
        withdrawn: [],
        at,
      })
      const w2 = await store.applyDetection({
        changes: [],
        withdrawn: [{ series: exampleSeriesKey('richards'), firstBadBuildId: ids[2]!.buildId }],
        at,
      })
      assert.equal(w2.withdrawnChangeIds.length, 1)
      const withdrawn = await store.getAlert(q.newAlertIds[0]!)
      assert.equal(withdrawn?.status, 'withdrawn')
      assert.equal(withdrawn?.changeCount, 0)
      assert.equal((await store.listAlerts({ status: ['confirmed'] })).total, 1)
    }))

  test('a time change and an instruction-count change at one build are two changes, withdrawn apart', () =>
    withStore(async (store) => {
      const ids = await seed(store)
      const at = '2024-10-02T12:00:00.000Z'
      const out = await store.applyDetection({
        changes: [
          change(ids, 'nbody', [0, 1], { status: 'provisional' }),
          exampleCountChange(change(ids, 'nbody', [0, 1], { status: 'provisional' }), 1.032),
        ],
        withdrawn: [],
        at,
      })
      assert.equal(out.newChangeIds.length, 2)
      assert.equal(out.newAlertIds.length, 1, 'one blame range, one alert')
      const alert = await store.getAlert(out.newAlertIds[0]!)
      assert.deepEqual(
        alert?.changes.map((c) => [c.measure, c.unit, c.ratio]),
        [
          ['time', 'second', 1.1],
          ['instructions', 'instruction', 1.032],
        ],
      )
      assert.equal(alert?.largest?.measure, 'time')
      const w = await store.applyDetection({
        changes: [],
        withdrawn: [
          { series: exampleSeriesKey('nbody'), measure: 'instructions', firstBadBuildId: ids[1]!.buildId },
        ],
        at,
      })
      assert.equal(w.withdrawnChangeIds.length, 1)
      const after = await store.getAlert(out.newAlertIds[0]!)
      assert.deepEqual(
        after?.changes.map((c) => [c.measure, c.status]),
        [
          ['time', 'provisional'],
          ['instructions', 'withdrawn'],
        ],
      )
      await rejectsWith(
        store.applyDetection({
          changes: [change(ids, 'nbody', [0, 1], { measure: 'cycles' as 'time' })],
          withdrawn: [],
          at,
        }),
        'bad-input',
        /measure time or instructions/,
      )
    }))
}

/** Triage that detection never overturns, refused input, kinds of alert and culprits. */
function triageAndCulprits(withStore: WithStore): void {
  test('triage is kept whatever detection does later, and lists filter on it', () =>
    withStore(async (store) => {
      const ids = await seed(store)
      const at = '2024-10-02T12:00:00.000Z'
      const { newAlertIds } = await store.applyDetection({
        changes: [change(ids, 'nbody', [0, 1])],
        withdrawn: [],
        at,
      })
      const id = newAlertIds[0]!
      const t = await store.triageAlert(id, {
        triage: 'acknowledged',
        note: 'Looking <b>now</b>',
        link: 'https://example.org/issue/1',
        at: '2024-10-02T13:00:00.000Z',
      })
      assert.equal(t.triage, 'acknowledged')
      assert.equal(t.triageNote, 'Looking <b>now</b>', 'stored as given; escaping is the renderer’s job')
      await store.applyDetection({
        changes: [change(ids, 'nbody', [0, 1]), change(ids, 'richards', [0, 1])],
        withdrawn: [],
        at: '2024-10-03T12:00:00.000Z',
      })
      const after = await store.getAlert(id)
      assert.equal(after?.triage, 'acknowledged')
      assert.equal(after?.changeCount, 2, 'a later change with the same blame range joins the alert')
      assert.equal((await store.listAlerts({ triage: ['new'] })).total, 0)
      assert.equal((await store.listAlerts({ triage: ['acknowledged'] })).total, 1)
      assert.equal((await store.listAlerts({ machine: 'bench-1' })).total, 1)
      assert.equal((await store.listAlerts({ machine: 'other' })).total, 0)
    }))

  test('bad triage input and unknown alerts are refused with clear errors', () =>
    withStore(async (store) => {
      const ids = await seed(store)
      const { newAlertIds } = await store.applyDetection({
        changes: [change(ids, 'nbody', [0, 1])],
        withdrawn: [],
        at: '2024-10-02T12:00:00.000Z',
      })
      const id = newAlertIds[0]!
      const at = '2024-10-02T13:00:00.000Z'
      await assert.rejects(
        store.triageAlert(id, { triage: 'maybe' as never, at }),
        (e: unknown) =>
          e instanceof LangperfError &&
          e.code === 'bad-input' &&
          /expected a state among new, acknowledged/.test(e.message),
      )
      await assert.rejects(
        store.triageAlert(id, { triage: 'fixed', link: 'javascript:alert(1)', at }),
        /expected link to start with http/,
      )
      await assert.rejects(
        store.triageAlert(999, { triage: 'fixed', at }),
        (e: unknown) => e instanceof LangperfError && e.code === 'not-found',
      )
      await assert.rejects(
        store.applyDetection({
          changes: [change(ids, 'nbody', [0, 1], { ratio: Number.NaN })],
          withdrawn: [],
          at,
        }),
        /expected ratio to be a positive number/,
      )
      assert.equal(await store.getAlert(12345), undefined)
    }))

  test('an infrastructure step and a commit change with the same range are two alerts', () =>
    withStore(async (store) => {
      const ids = await seed(store)
      const out = await store.applyDetection({
        changes: [change(ids, 'nbody', [0, 1]), change(ids, 'richards', [0, 1], { kind: 'infrastructure' })],
        withdrawn: [],
        at: '2024-10-02T12:00:00.000Z',
      })
      assert.equal(out.newAlertIds.length, 2)
      const infra = await store.listAlerts({ kind: 'infrastructure' })
      assert.equal(infra.total, 1)
      assert.equal(infra.rows[0]!.kind, 'infrastructure')
      assert.equal((await store.getAlert(infra.rows[0]!.id))?.changes[0]?.kind, 'infrastructure')
    }))

  test('bisection records a culprit on the alert', () =>
    withStore(async (store) => {
      const ids = await seed(store)
      const { newAlertIds } = await store.applyDetection({
        changes: [change(ids, 'nbody', [0, 2])],
        withdrawn: [],
        at: '2024-10-02T12:00:00.000Z',
      })
      const a = await store.setAlertCulprit(newAlertIds[0]!, {
        commit: SHA(2),
        note: 'confirmed against its parent',
        at: '2024-10-04T00:00:00.000Z',
      })
      assert.equal(a.culpritCommit, SHA(2))
      assert.equal(a.culpritNote, 'confirmed against its parent')
      assert.deepEqual(a.profiles, [])
    }))

  test('the profiles of a culprit and its parent are linked to the alert, or why they are missing', () =>
    withStore(async (store) => {
      const alertId = await oneAlert(store)
      const profile = (commit: string) =>
        store.addProfile({
          machine: 'bench-1',
          environment: null,
          build: exampleBuild(commit),
          workload: { name: 'nbody', version: 'v1hash000000' },
          runId: null,
          groupId: 'culprit-1',
          tool: 'py-spy',
          toolVersion: '0.4.2',
          rateHz: 250,
          processes: 1,
          state: 'profiled',
          message: null,
          sampleCount: 3,
          stacksGzip: gzipSync('main (w.py:1);slow (w.py:9) 3\n'),
          metadata: {},
          createdAt: '2024-10-03T00:00:00.000Z',
        })
      const parent = await profile(SHA(1))
      const culprit = await profile(SHA(2))
      const summary = {
        samplesA: 3,
        samplesB: 3,
        confidence: 0.95,
        timedOnly: true,
        rows: [
          {
            name: 'slow',
            file: 'w.py',
            line: 9,
            selfA: 0,
            selfB: 3,
            selfPercentA: 0,
            selfPercentB: 100,
            deltaPoints: 100,
            low: 60,
            high: 100,
            significant: true,
          },
        ],
      }
      const base = {
        machine: 'bench-1',
        workload: 'nbody',
        parentCommit: SHA(1),
        culpritCommit: SHA(2),
        createdAt: '2024-10-03T00:00:01.000Z',
      }
      await store.setAlertProfile(alertId, {
        ...base,
        parentProfileId: null,
        culpritProfileId: null,
        state: 'unavailable',
        message: 'py-spy is not installed',
        summary: null,
      })
      await store.setAlertProfile(alertId, {
        ...base,
        workload: 'richards',
        parentProfileId: null,
        culpritProfileId: null,
        state: 'failed',
        message: 'the workload failed under the profiler',
        summary: null,
      })
      // Profiled later: it replaces the unavailable record of the same machine and workload.
      await store.setAlertProfile(alertId, {
        ...base,
        parentProfileId: parent.profileId,
        culpritProfileId: culprit.profileId,
        state: 'profiled',
        message: null,
        summary,
      })
      const a = await store.getAlert(alertId)
      assert.deepEqual(
        a?.profiles.map((p) => [p.workload, p.state, p.message]),
        [
          ['richards', 'failed', 'the workload failed under the profiler'],
          ['nbody', 'profiled', null],
        ],
      )
      const nbody = a!.profiles[1]!
      assert.equal(nbody.alertId, alertId)
      assert.equal(nbody.machine, 'bench-1')
      assert.equal(nbody.parentProfileId, parent.profileId)
      assert.equal(nbody.culpritProfileId, culprit.profileId)
      assert.deepEqual(nbody.summary, summary)
      assert.equal(a!.profiles[0]!.summary, null)
      await rejectsWith(
        store.setAlertProfile(alertId, {
          ...base,
          parentProfileId: 999,
          culpritProfileId: culprit.profileId,
          state: 'profiled',
          message: null,
          summary,
        }),
        'not-found',
        /no profile has id 999/,
      )
      await rejectsWith(
        store.setAlertProfile(alertId + 100, {
          ...base,
          parentProfileId: null,
          culpritProfileId: null,
          state: 'unavailable',
          message: 'x',
          summary: null,
        }),
        'not-found',
        /no alert has id/,
      )
      await rejectsWith(
        store.setAlertProfile(alertId, {
          ...base,
          parentProfileId: null,
          culpritProfileId: null,
          state: 'profiled',
          message: null,
          summary,
        }),
        'bad-input',
        /needs both profile ids/,
      )
      await rejectsWith(
        store.setAlertProfile(alertId, {
          ...base,
          parentProfileId: null,
          culpritProfileId: null,
          state: 'unavailable',
          message: null,
          summary: null,
        }),
        'bad-input',
        /expected message to be a non-empty string/,
      )
    }))
}

/** The id of one alert: a change of nbody from seeded build 0 to 1, detected on 2024-10-02. */
async function oneAlert(store: Store): Promise<number> {
  const ids = await seed(store)
  const { newAlertIds } = await store.applyDetection({
    changes: [change(ids, 'nbody', [0, 1])],
    withdrawn: [],
    at: '2024-10-02T12:00:00.000Z',
  })
  return newAlertIds[0]!
}

/** Acknowledgements that expire, and the filters of the alerts list. */
function expiryAndFilters(withStore: WithStore): void {
  test('an acknowledgement with an expiry hides the alert until then, and any triage clears it', () =>
    withStore(async (store) => {
      const id = await oneAlert(store)
      const at = '2024-10-03T00:00:00.000Z'
      const until = '2024-11-01T00:00:00.000Z'
      const a = await store.triageAlert(id, { triage: 'acknowledged', note: 'expected', until, at })
      assert.equal(a.acknowledgedUntil, until)
      assert.equal(a.lastGoodCommitDate, '2024-10-01T08:30:00Z')
      assert.equal(a.firstBadCommitDate, '2024-10-02T08:30:00Z')
      assert.equal((await store.listAlerts({ hideAcknowledgedAt: at })).total, 0)
      assert.equal((await store.listAlerts({ hideAcknowledgedAt: '2024-10-31T23:59:59.000Z' })).total, 0)
      const later = await store.listAlerts({ hideAcknowledgedAt: '2024-11-01T00:00:01.000Z' })
      assert.equal(later.total, 1, 'shown again once the expiry has passed')
      assert.equal(later.rows[0]!.acknowledgedUntil, until)
      assert.equal((await store.listAlerts()).total, 1, 'without the filter every alert is listed')
      await store.triageAlert(id, { triage: 'acknowledged', at })
      assert.equal((await store.getAlert(id))?.acknowledgedUntil, null, 'no expiry: none kept')
      assert.equal((await store.listAlerts({ hideAcknowledgedAt: at })).total, 1)
      await store.triageAlert(id, { triage: 'acknowledged', until, at })
      await store.triageAlert(id, { triage: 'fixed', at })
      assert.equal((await store.getAlert(id))?.acknowledgedUntil, null, 'another state clears it')
    }))

  test('an expiry must be acknowledged, after now and at most a year ahead', () =>
    withStore(async (store) => {
      const id = await oneAlert(store)
      const at = '2024-10-03T00:00:00.000Z'
      await assert.rejects(
        store.triageAlert(id, { triage: 'fixed', until: '2024-11-01T00:00:00.000Z', at }),
        /goes only with acknowledged/,
      )
      for (const until of ['2024-10-02T00:00:00.000Z', at, '2025-10-05T00:00:00.000Z']) {
        await assert.rejects(
          store.triageAlert(id, { triage: 'acknowledged', until, at }),
          (e: unknown) =>
            e instanceof LangperfError && e.code === 'bad-input' && /at most 366 days/.test(e.message),
          until,
        )
      }
      await assert.rejects(
        store.triageAlert(id, { triage: 'acknowledged', until: 'next week', at }),
        /ISO 8601/,
      )
      assert.equal((await store.getAlert(id))?.triage, 'new', 'nothing stored when refused')
    }))

  test('alerts filter on config, size and the commit date of their first bad build', () =>
    withStore(async (store) => {
      const ids = await seed(store)
      const out = await store.applyDetection({
        changes: [
          change(ids, 'nbody', [0, 1], { ratio: 1.03, ratioLow: 1.01, ratioHigh: 1.05 }),
          change(ids, 'richards', [1, 2], {
            ratio: 0.5,
            ratioLow: 0.45,
            ratioHigh: 0.55,
            direction: 'improvement',
          }),
        ],
        withdrawn: [],
        at: '2024-10-03T12:00:00.000Z',
      })
      assert.equal(out.newAlertIds.length, 2)
      const config = exampleSeriesKey('nbody').config
      assert.equal((await store.listAlerts({ config })).total, 2)
      assert.equal((await store.listAlerts({ config: 'no-such-config' })).total, 0)
      const big = await store.listAlerts({ minChangePercent: 10 })
      assert.deepEqual(
        big.rows.map((r) => r.largest?.workload),
        ['richards'],
        'a halving moves by more than 10 %, a 3 % step does not',
      )
      assert.equal((await store.listAlerts({ minChangePercent: 3 })).total, 2)
      const from = await store.listAlerts({ commitFrom: '2024-10-03T00:00:00Z' })
      assert.deepEqual(
        from.rows.map((r) => r.firstBadCommitDate),
        ['2024-10-03T08:30:00Z'],
      )
      const before = await store.listAlerts({ commitBefore: '2024-10-03T00:00:00Z' })
      assert.deepEqual(
        before.rows.map((r) => r.firstBadCommitDate),
        ['2024-10-02T08:30:00Z'],
      )
      await assert.rejects(store.listAlerts({ minChangePercent: -1 }), /minChangePercent/)
      await assert.rejects(store.listAlerts({ commitFrom: 'yesterday' }), /ISO 8601/)
    }))
}
