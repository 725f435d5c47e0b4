import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createRng } from '../lib/index.ts'
import type { MachineEnvironment, RunWithResults, WorkloadResult } from '../model/index.ts'
import { INSTRUCTIONS_PRESET } from '../runner/index.ts'
import {
  exampleEnvironment,
  exampleFingerprint,
  openSqliteStore,
  type RunFacts,
  type Store,
} from '../store/index.ts'
import { BISECT_PURPOSE, detectAndRecord } from './detect.ts'
import { partialRuns } from './detect-series.ts'

// Synthetic nightly histories with known truth, through the real SQLite store.

const rng = createRng(7)
function normal(): number {
  const u = Math.max(rng(), 1e-12)
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng())
}

const sha = (i: number) => `${i.toString(16).padStart(8, '0')}${'c0ffee'.repeat(5)}00`
const day = (i: number) => new Date(Date.UTC(2024, 0, 1 + i, 3)).toISOString()

function env(kernel: string): MachineEnvironment {
  return exampleEnvironment(exampleFingerprint({ hostname: 'box', kernel }))
}

/** One workload result: 10 processes × 3 values around `level`, 1 % between-build noise, 0.5 % within. */
function result(name: string, level: number, buildNoise: number): WorkloadResult {
  return {
    workload: { name, version: 'v1' },
    unit: 'second',
    loops: 1,
    innerLoops: 1,
    processes: Array.from({ length: 10 }, () => ({
      warmups: [],
      values: [0, 1, 2].map(() => level * buildNoise * (1 + 0.005 * normal())),
      metadata: {},
    })),
    outcome: { state: 'measured' },
    metadata: {},
  }
}

function failed(name: string): WorkloadResult {
  return {
    workload: { name, version: 'v1' },
    unit: 'second',
    loops: 1,
    innerLoops: 1,
    processes: [],
    outcome: {
      state: 'failed',
      reason: 'crashed',
      message: 'Worker crashed (killed by SIGSEGV)',
      stderrTail: '',
    },
    metadata: {},
  }
}

interface Day {
  readonly levels: Readonly<Record<string, number>>
  readonly kernel?: string
  readonly failed?: readonly string[]
}

function nightly(i: number, d: Day): RunWithResults {
  return {
    run: {
      machine: 'box',
      environment: env(d.kernel ?? '6.1.0'),
      build: {
        runtime: 'cpython',
        version: '3.14.0a1+',
        config: 'default',
        commitSha: sha(i),
        commitDateUtc: day(i),
        branch: 'main',
        mergeBase: null,
        identity: `cpython:${sha(i)}:default`,
        interpreter: null,
        metadata: {},
      },
      suite: 'default',
      preset: 'default',
      harnessVersion: 'langperf-harness protocol 1',
      source: 'langperf',
      startedAt: day(i).replace('T03', 'T05'),
      groupId: null,
      metadata: {},
    },
    status: 'complete',
    finishedAt: null,
    results: Object.entries(d.levels).map(([name, level]) =>
      d.failed?.includes(name) ? failed(name) : result(name, level, 1 + 0.01 * normal()),
    ),
  }
}

async function history(days: readonly Day[], store?: Store, from = 0): Promise<Store> {
  const s = store ?? (await openSqliteStore(':memory:'))
  await s.insertRuns(days.map((d, i) => nightly(from + i, d)))
  return s
}

const flat = (n: number, levels: Record<string, number>, extra: Partial<Day> = {}): Day[] =>
  Array.from({ length: n }, () => ({ levels, ...extra }))

test('a commit that slows two workloads by 10 % is one alert naming its blame range, found once', async () => {
  const before = { a: 0.1, b: 0.2, c: 0.3 }
  const after = { a: 0.11, b: 0.22, c: 0.3 }
  const store = await history([...flat(30, before), ...flat(15, after)])
  const report = await detectAndRecord(store, { now: () => new Date('2024-03-01T00:00:00Z') })
  assert.equal(report.seriesScanned, 3)
  assert.equal(
    report.newAlerts.length,
    1,
    JSON.stringify(report.newAlerts.map((a) => [a.lastGoodCommit, a.firstBadCommit])),
  )
  const alert = report.newAlerts[0]!
  assert.equal(alert.lastGoodCommit, sha(29))
  assert.equal(alert.firstBadCommit, sha(30))
  assert.equal(alert.direction, 'regression')
  assert.equal(alert.status, 'confirmed')
  assert.deepEqual(alert.changes.map((c) => c.series.workload).sort(), ['a', 'b'])
  for (const c of alert.changes)
    assert.ok(c.ratioLow < 1.1 && c.ratioHigh > 1.1, `interval covers 10 %: ${c.ratioLow}–${c.ratioHigh}`)
  const again = await detectAndRecord(store)
  assert.equal(again.newAlerts.length, 0)
  assert.equal(again.newChangeIds.length, 0)
  assert.equal((await store.listAlerts()).total, 1)
  await store.close()
})

test('triage survives later detection passes', async () => {
  const store = await history([...flat(30, { a: 0.1 }), ...flat(12, { a: 0.12 })])
  const first = await detectAndRecord(store)
  const id = first.newAlerts[0]!.id
  await store.triageAlert(id, {
    triage: 'wont-fix',
    note: 'expected: new feature',
    at: '2024-03-02T00:00:00.000Z',
  })
  await history(flat(5, { a: 0.12 }), store, 42)
  await detectAndRecord(store)
  const alert = await store.getAlert(id)
  assert.equal(alert?.triage, 'wont-fix')
  assert.equal(alert?.triageNote, 'expected: new feature')
  assert.equal((await store.listAlerts()).total, 1)
  await store.close()
})

test('a kernel upgrade that moves every workload is an infrastructure alert, never blamed on a commit', async () => {
  const store = await history([
    ...flat(25, { a: 0.1, b: 0.2 }),
    ...flat(20, { a: 0.108, b: 0.216 }, { kernel: '6.6.0' }),
  ])
  const report = await detectAndRecord(store)
  assert.equal(report.epochBoundaries, 1, 'one infrastructure change in one group of builds')
  assert.equal(report.newAlerts.filter((a) => a.kind === 'commit').length, 0)
  const infra = report.newAlerts.filter((a) => a.kind === 'infrastructure')
  assert.equal(infra.length, 1)
  assert.equal(infra[0]!.firstBadCommit, sha(25))
  const details = infra[0]!.changes[0]!.details
  assert.deepEqual(details.infrastructure, ['kernel: linux 6.1.0 → linux 6.6.0'])
  assert.equal(details.seriesCrossing, 2)
  assert.equal(details.seriesMoved, 2)
  await store.close()
})

test('the newest build raises a provisional alert at once, which later builds confirm', async () => {
  const store = await history([...flat(30, { a: 0.1 }), { levels: { a: 0.13 } }])
  const first = await detectAndRecord(store)
  assert.equal(first.newAlerts.length, 1)
  assert.equal(first.newAlerts[0]!.status, 'provisional')
  assert.equal(first.newAlerts[0]!.firstBadCommit, sha(30))
  await history(flat(4, { a: 0.13 }), store, 31)
  const second = await detectAndRecord(store)
  assert.equal(second.newAlerts.length, 0, 'the same step, not a new alert')
  const alert = await store.getAlert(first.newAlerts[0]!.id)
  assert.equal(alert?.status, 'confirmed')
  await store.close()
})

test('a provisional alert that later builds do not support is withdrawn', async () => {
  const store = await history([...flat(30, { a: 0.1 }), { levels: { a: 0.13 } }])
  const first = await detectAndRecord(store)
  assert.equal(first.newAlerts[0]?.status, 'provisional')
  await history(flat(6, { a: 0.1 }), store, 31)
  const second = await detectAndRecord(store)
  assert.equal(second.withdrawnChangeIds.length, 1)
  assert.equal((await store.getAlert(first.newAlerts[0]!.id))?.status, 'withdrawn')
  assert.equal((await store.listAlerts({ status: ['provisional', 'confirmed'] })).total, 0)
  await store.close()
})

test('failed builds are failed points, not gaps, and fabricate nothing', async () => {
  const days = flat(40, { a: 0.1 }).map((d, i) => (i % 7 === 3 ? { ...d, failed: ['a'] } : d))
  const store = await history(days)
  const report = await detectAndRecord(store)
  assert.equal(report.newAlerts.length, 0)
  await store.close()
})

test('series of local interpreters without commits are skipped with the reason', async () => {
  const store = await openSqliteStore(':memory:')
  const run = nightly(0, { levels: { a: 0.1 } })
  await store.insertRuns([
    {
      ...run,
      run: {
        ...run.run,
        build: {
          ...run.run.build,
          commitSha: null,
          commitDateUtc: null,
          branch: null,
          identity: 'local:abc',
        },
      },
    },
  ])
  const report = await detectAndRecord(store)
  assert.equal(report.seriesScanned, 0)
  assert.match(report.skipped[0]!.reason, /no build in this series has a commit date/)
  await store.close()
})

test('bisection runs are kept in the store but left out of detection', async () => {
  // A flat history, then bisection measurements of the same builds in another suite and at
  // another level: as history they would be a step and an epoch boundary; they must be neither.
  const store = await history(flat(30, { a: 0.1 }))
  const bisectRuns = [10, 11, 12].map((i) => {
    const r = nightly(i, { levels: { a: 0.15 } })
    return { ...r, run: { ...r.run, suite: 'bisect', metadata: { purpose: BISECT_PURPOSE } } }
  })
  await store.insertRuns(bisectRuns)
  const report = await detectAndRecord(store)
  assert.equal(report.newAlerts.length, 0)
  assert.equal(report.epochBoundaries, 0)
  assert.equal((await store.listRuns({ suite: 'bisect' })).total, 3)
  await store.close()
})

/** Run `i` of `run --measure instructions`: one counted process per workload, unit `instruction`. */
function counted(i: number, counts: Readonly<Record<string, number>>): RunWithResults {
  const base = nightly(i, { levels: {} })
  return {
    ...base,
    run: { ...base.run, preset: 'instructions', startedAt: day(i).replace('T03', 'T06') },
    results: Object.entries(counts).map(([name, n]) => ({
      workload: { name, version: 'v1' },
      unit: 'instruction',
      loops: 1,
      innerLoops: 1,
      processes: [{ warmups: [], values: [n], metadata: {} }],
      outcome: { state: 'measured' as const },
      metadata: {},
    })),
  }
}

test('instruction counts of several builds raise one exact change at the step, none on the timing series, once', async () => {
  // 20 nightly builds timed flat; their counts step by +3.2 % for `a` at build 12 (with the
  // per-loop wobble of a few hundred instructions), `b` flat; build 15's count is missing.
  const store = await history(flat(20, { a: 0.1, b: 0.2 }))
  const wobble = (i: number) => ((i * 37) % 7) * 100
  await store.insertRuns(
    Array.from({ length: 20 }, (_, i) => i)
      .filter((i) => i !== 15)
      .map((i) => counted(i, { a: (i < 12 ? 1e9 : 1.032e9) + wobble(i), b: 5e8 + wobble(i) })),
  )
  const report = await detectAndRecord(store, { now: () => new Date('2024-03-01T00:00:00Z') })
  assert.equal(report.countSeries, 2)
  assert.equal(report.newAlerts.length, 1, JSON.stringify(report.newAlerts))
  const alert = report.newAlerts[0]!
  assert.equal(alert.lastGoodCommit, sha(11))
  assert.equal(alert.firstBadCommit, sha(12))
  assert.equal(alert.changes.length, 1)
  const c = alert.changes[0]!
  assert.equal(c.measure, 'instructions')
  assert.equal(c.series.workload, 'a')
  assert.equal(c.unit, 'instruction')
  assert.equal(c.status, 'confirmed')
  assert.equal(c.details.method, 'exact')
  assert.ok(Math.abs(c.ratio - (1.032e9 + wobble(12)) / (1e9 + wobble(11))) < 1e-12)
  assert.equal(c.ratioLow, c.ratio)
  assert.equal(c.ratioHigh, c.ratio)
  assert.equal(alert.largest?.measure, 'instructions')
  const timeChanges = (await store.listChanges()).rows.filter((r) => r.measure === 'time')
  assert.deepEqual(timeChanges, [], 'the timing series are flat')
  const again = await detectAndRecord(store)
  assert.equal(again.newAlerts.length, 0)
  assert.equal(again.newChangeIds.length, 0)
  assert.equal(again.updatedAlertIds.length, 0)
  assert.equal((await store.listChanges()).total, 1)
  await store.close()
})

test('a step in both the time and the count of one workload at one build is two changes', async () => {
  const store = await history([...flat(20, { a: 0.1 }), ...flat(8, { a: 0.12 })])
  await store.insertRuns(Array.from({ length: 28 }, (_, i) => counted(i, { a: i < 20 ? 1e9 : 1.1e9 })))
  const report = await detectAndRecord(store)
  const changes = (await store.listChanges()).rows
  assert.deepEqual(changes.map((r) => [r.measure, r.firstBad.commitSha]).sort(), [
    ['instructions', sha(20)],
    ['time', sha(20)],
  ])
  assert.equal(report.newAlerts.length, 1, 'one blame range: one alert holding both')
  assert.equal((await detectAndRecord(store)).newChangeIds.length, 0)
  await store.close()
})

test('a partial run (one benchmark re-run on its own) is no history point: the step is blamed on the full run', async () => {
  // Six workloads a night; `a` 15 % slower from build 30 on. Between builds 29 and 30 someone
  // re-ran `a` alone on a commit of its own, already at the new level: taken as a history point,
  // it would take the blame from the build the whole suite measured.
  const levels = { a: 0.1, b: 0.2, c: 0.3, d: 0.4, e: 0.5, f: 0.6 }
  const store = await history([...flat(30, levels), ...flat(15, { ...levels, a: 0.115 })])
  const partial = nightly(100, { levels: { a: 0.115 } })
  const between = new Date(Date.parse(day(29)) + 12 * 3600e3).toISOString()
  const [partialId] = await store.insertRuns([
    { ...partial, run: { ...partial.run, build: { ...partial.run.build, commitDateUtc: between } } },
  ])
  const report = await detectAndRecord(store)
  assert.equal(report.partialRuns, 1)
  const changes = report.newAlerts.flatMap((a) => a.changes)
  assert.deepEqual(
    changes.map((c) => [c.series.workload, c.lastGood?.commitSha, c.firstBad.commitSha]),
    [['a', sha(29), sha(30)]],
  )
  assert.equal((await store.getResults(partialId!)).length, 1, 'the partial run stays stored')
  await store.close()
})

test('partialRuns() names the runs holding under half the typical workloads, among history runs only', () => {
  const run = (extra: { purpose?: string; suite?: string; preset?: string } = {}) =>
    ({
      suite: extra.suite ?? 'default',
      preset: extra.preset ?? 'default',
      metadata: extra.purpose ? { purpose: extra.purpose } : {},
    }) as unknown as RunFacts
  const runs = new Map([
    [1, run()],
    [2, run()],
    [3, run()],
    [4, run()],
    [5, run({ purpose: 'pair-round' })],
    [6, run({ suite: BISECT_PURPOSE })],
    [7, run({ preset: INSTRUCTIONS_PRESET })],
  ])
  const counts = (ns: number[]) => new Map(ns.map((n, i) => [i + 1, n]))
  const cases: [number[], number[]][] = [
    [[90, 92, 1, 91, 1, 1, 1], [3]], // one benchmark alone; pair, bisection and count runs never partial
    [[90, 92, 46, 91, 1, 1, 1], []], // at least half the typical count (median 90.5) is no partial run
    [[90, 92, 45, 91, 1, 1, 1], [3]],
    [[3, 3, 1, 3, 1, 1, 1], []], // a group of three-workload runs has none
    [[90, 92, 0, 91, 1, 1, 1], [3]], // a run without results at all
  ]
  for (const [ns, expected] of cases)
    assert.deepEqual([...partialRuns(runs, counts(ns))], expected, JSON.stringify(ns))
})
