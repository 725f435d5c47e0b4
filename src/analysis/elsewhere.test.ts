import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createRng } from '../lib/index.ts'
import type { RunWithResults, WorkloadResult } from '../model/index.ts'
import { exampleBuild, exampleRunSpec, openSqliteStore, type SeriesPoint } from '../store/index.ts'
import { detectAndRecord } from './detect.ts'
import { alertElsewhere, elsewhereLines, readAcross } from './elsewhere.ts'

// An alert's step read on the other machines: real detection on three machines measuring the same
// commits, one of which did not slow; and the pure reading of one machine's points.

const rng = createRng(11)
const normal = () => Math.sqrt(-2 * Math.log(Math.max(rng(), 1e-12))) * Math.cos(2 * Math.PI * rng())
const sha = (i: number) => `${i.toString(16).padStart(8, '0')}${'beef'.repeat(8)}`
const day = (i: number) => new Date(Date.UTC(2024, 0, 1 + i, 3)).toISOString()

function result(name: string, level: number): WorkloadResult {
  const build = 1 + 0.005 * normal()
  return {
    workload: { name, version: 'v1' },
    unit: 'second',
    loops: 1,
    innerLoops: 1,
    processes: Array.from({ length: 8 }, () => ({
      warmups: [],
      values: [0, 1, 2].map(() => level * build * (1 + 0.005 * normal())),
      metadata: {},
    })),
    outcome: { state: 'measured' },
    metadata: {},
  }
}

/** Commit i measured on `machine`: nbody at `nbody`, richards flat. */
function nightly(machine: string, i: number, nbody: number): RunWithResults {
  return {
    run: exampleRunSpec({
      machine,
      build: exampleBuild(sha(i), { identity: `cpython:${sha(i)}`, commitDateUtc: day(i) }),
      startedAt: day(i).replace('T03', 'T05'),
    }),
    status: 'complete',
    finishedAt: null,
    results: [result('nbody', nbody), result('richards', 0.2)],
  }
}

test('a step that two machines of three saw: each reads the other as moved, the third as not moved', async () => {
  const store = await openSqliteStore(':memory:')
  try {
    // Commit 12 slows nbody by 20 % on linux and mac; windows measures the same commits, unmoved;
    // arm stopped measuring before the range.
    const runs: RunWithResults[] = []
    for (let i = 0; i < 20; i++) {
      runs.push(nightly('linux', i, i >= 12 ? 0.12 : 0.1))
      runs.push(nightly('mac', i, i >= 12 ? 0.12 : 0.1))
      runs.push(nightly('windows', i, 0.1))
      if (i < 8) runs.push(nightly('arm', i, 0.1))
    }
    await store.insertRuns(runs)
    await detectAndRecord(store)
    const alerts = (await store.listAlerts()).rows.filter((a) => a.largest?.workload === 'nbody')
    assert.equal(alerts.length, 1, JSON.stringify(alerts))
    const alert = (await store.getAlert(alerts[0]!.id))!
    const e = await alertElsewhere(store, alert)
    assert.equal(e.reason, null)
    assert.deepEqual(
      e.rows.map((r) => [r.machine, r.workload, r.others.map((o) => [o.machine, o.verdict])]),
      [
        [
          'linux',
          'nbody',
          [
            ['arm', 'not measured'],
            ['mac', 'moved'],
            ['windows', 'not moved'],
          ],
        ],
        [
          'mac',
          'nbody',
          [
            ['arm', 'not measured'],
            ['linux', 'moved'],
            ['windows', 'not moved'],
          ],
        ],
      ],
    )
    const linux = e.rows.find((r) => r.machine === 'linux')!
    const mac = linux.others.find((o) => o.machine === 'mac')!
    // Mac's own change, recorded by its detection, and its step across the range.
    assert.equal(mac.change?.alertId, alert.id)
    assert.ok(mac.ratio !== null && mac.ratio.low! > 1.15 && mac.ratio.high! < 1.25, JSON.stringify(mac))
    assert.deepEqual([mac.before, mac.after], [5, 5])
    const windows = linux.others.find((o) => o.machine === 'windows')!
    assert.ok(windows.ratio !== null && Math.abs(windows.ratio.estimate - 1) < 0.02, JSON.stringify(windows))
    assert.equal(windows.change, null)
    assert.deepEqual(e.machines, ['arm', 'linux', 'mac', 'windows'])
    // A message's lines: the machines by verdict, each with its step there.
    const lines = elsewhereLines(e)
    assert.equal(lines.length, 2)
    assert.match(
      lines.find((l) => l.includes('on linux:'))!,
      /^nbody · pgo-lto, 1\.\d{3}× on linux: moved on mac 1\.\d{3}× \[1\.\d{3}, 1\.\d{3}\]; not moved on windows [01]\.\d{3}× \[[01]\.\d{3}, [01]\.\d{3}\]; not measured on arm$/,
    )
    assert.deepEqual(elsewhereLines(e, 1).length, 1)
  } finally {
    await store.close()
  }
})

/** A measured point of commit day `i` at `mean`. */
function point(i: number, mean: number): SeriesPoint {
  return {
    resultId: i,
    runId: i,
    buildId: i,
    commitSha: sha(i),
    commitDateUtc: day(i),
    runStartedAt: day(i),
    runStatus: 'complete',
    state: 'measured',
    unit: 'second',
    summary: { nProcesses: 1, nValues: 1, mean, stdevProcessMeans: null, min: mean, max: mean, median: mean },
  }
}

test('one machine read across a range: moved, not moved, unclear, not measured, each by its rule', () => {
  const range = { from: day(9), to: day(10) }
  const step = { ratio: 1.2, direction: 'regression' as const }
  const series = (after: readonly number[]) => [
    ...[0.1, 0.101, 0.099, 0.1, 0.1].map((m, k) => point(5 + k, m)),
    ...after.map((m, k) => point(10 + k, m)),
  ]
  const read = (after: readonly number[]) => readAcross(step, 'other', series(after), [], range)
  assert.equal(read([0.121, 0.12, 0.119, 0.12, 0.12]).verdict, 'moved', 'the same step')
  assert.equal(
    read([0.105, 0.106, 0.104, 0.105, 0.105]).verdict,
    'moved',
    'smaller, but clearly the same way',
  )
  assert.equal(read([0.1, 0.101, 0.099, 0.1, 0.1]).verdict, 'not moved', 'flat: well under half of +20 %')
  assert.equal(read([0.09, 0.13, 0.1, 0.12, 0.095]).verdict, 'unclear', 'too noisy to tell')
  const none = read([])
  assert.deepEqual([none.verdict, none.ratio, none.before, none.after], ['not measured', null, 5, 0])
  const one = readAcross(step, 'other', [point(9, 0.1), point(10, 0.12)], [], range)
  assert.deepEqual([one.verdict, one.ratio?.low, one.ratio?.high], ['unclear', null, null])
  assert.ok(Math.abs((one.ratio?.estimate ?? 0) - 1.2) < 1e-9)
  // Points inside the range (after the last good commit's date, before the first bad's) are on neither side.
  const inside = readAcross(
    step,
    'other',
    [...series([0.12, 0.12]), { ...point(20, 0.5), commitDateUtc: '2024-01-10T12:00:00.000Z' }],
    [],
    range,
  )
  assert.deepEqual([inside.before, inside.after], [5, 2])
})
