import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createRng } from '../lib/index.ts'
import type { RunWithResults, WorkloadResult } from '../model/index.ts'
import { exampleEnvironment, exampleFingerprint, openSqliteStore, type Store } from '../store/index.ts'
import { analyseSeries, detectAndRecord } from './detect.ts'
import { judgePair, PAIR_ROUND_PURPOSE, pairLookConfidence, pairState, REFERENCE_PURPOSE } from './paired.ts'

// The paired rule: the judgement alone, then through the real SQLite store with synthetic nightly
// histories in which each build is measured interleaved with the one before it (a chain), and
// each night's drift hits both builds of its pair alike, as on a shared machine.

const rng = createRng(11)
function normal(): number {
  const u = Math.max(rng(), 1e-12)
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng())
}

/** n log-normal process means around `level` with `spread` (relative) between processes. */
function means(level: number, n: number, spread = 0.01): number[] {
  return Array.from({ length: n }, () => level * Math.exp(spread * normal()))
}

const step30 = { direction: 'regression', ratio: 1.3, ratioLow: 1.18, ratioHigh: 1.43 } as const

test('judgePair() confirms a step its pair shows the same way, with overlapping intervals', () => {
  const r = judgePair(step30, means(0.1, 10), means(0.128, 10), { lowerIsBetter: true })
  assert.equal(r.verdict, 'confirms')
  assert.equal(r.comparison.verdict, 'slower')
})

test('judgePair() says a precise pair without a difference contradicts the step', () => {
  const r = judgePair(step30, means(0.1, 10), means(0.1, 10), { lowerIsBetter: true })
  assert.equal(r.comparison.verdict, 'no-difference')
  assert.equal(r.verdict, 'contradicts')
})

test('judgePair() calls a pair too imprecise to rule the step out inconclusive, not a contradiction', () => {
  // Two processes a side with 20 % spread: the 99 % interval holds both 1 and 1.3.
  const r = judgePair(step30, [0.1, 0.125], [0.09, 0.128], { lowerIsBetter: true })
  assert.equal(r.comparison.verdict, 'no-difference')
  assert.equal(r.verdict, 'inconclusive')
  const one = judgePair(step30, [0.1], [0.13, 0.13], { lowerIsBetter: true })
  assert.equal(one.comparison.verdict, 'insufficient')
  assert.equal(one.verdict, 'inconclusive')
})

test('judgePair() says a pair that moves the other way contradicts the step, one that moves far less disagrees', () => {
  const faster = judgePair(step30, means(0.1, 10), means(0.09, 10), { lowerIsBetter: true })
  assert.equal(faster.comparison.verdict, 'faster')
  assert.equal(faster.verdict, 'contradicts')
  // A precise 1 % the other way: the 30 % step is not there (a drift's false step is dismissed).
  const slightly = judgePair(step30, means(0.1, 10, 0.001), means(0.099, 10, 0.001), { lowerIsBetter: true })
  assert.equal(slightly.comparison.verdict, 'faster')
  assert.equal(slightly.verdict, 'contradicts')
  const small = judgePair(step30, means(0.1, 10, 0.002), means(0.103, 10, 0.002), { lowerIsBetter: true })
  assert.equal(small.comparison.verdict, 'slower')
  assert.equal(small.verdict, 'disagrees')
})

test('judgePair() says a pair showing a larger step than the history still confirms it', () => {
  // A noisy minute can inflate one side of a short pair: 2× where the history saw 1.3× [1.18, 1.43].
  const larger = judgePair(step30, means(0.1, 10), means(0.2, 10), { lowerIsBetter: true })
  assert.equal(larger.comparison.verdict, 'slower')
  assert.ok(larger.comparison.kind === 'comparison' && larger.comparison.low > step30.ratioHigh)
  assert.equal(larger.verdict, 'confirms')
  // The same on the other side of 1: a speed-up larger than detected.
  const down = { direction: 'improvement', ratio: 0.77, ratioLow: 0.7, ratioHigh: 0.85 } as const
  const faster = judgePair(down, means(0.1, 10), means(0.05, 10), { lowerIsBetter: true })
  assert.equal(faster.comparison.verdict, 'faster')
  assert.equal(faster.verdict, 'confirms')
  // A larger step the wrong way leaves the detected one out.
  const wrongWay = judgePair(down, means(0.1, 10), means(0.2, 10), { lowerIsBetter: true })
  assert.equal(wrongWay.verdict, 'contradicts')
})

test('judgePair() reads a rise of a throughput as an improvement', () => {
  const up = { direction: 'improvement', ratio: 1.3, ratioLow: 1.18, ratioHigh: 1.43 } as const
  const r = judgePair(up, means(100, 10), means(130, 10), { lowerIsBetter: false })
  assert.equal(r.comparison.verdict, 'faster')
  assert.equal(r.verdict, 'confirms')
})

test('judgePair() reads an interleaved pair process by process, as pairState() does', () => {
  // A shared machine: each round's load (±30 %) hits both builds alike; the candidate is 20 % slower.
  const load = Array.from({ length: 12 }, () => Math.exp(0.3 * normal()))
  const ref = load.map((l) => 0.1 * l * Math.exp(0.02 * normal()))
  const cand = load.map((l) => 0.12 * l * Math.exp(0.02 * normal()))
  const step20 = { direction: 'regression', ratio: 1.2, ratioLow: 1.12, ratioHigh: 1.28 } as const
  const independent = judgePair(step20, ref, cand, { lowerIsBetter: true })
  const interleaved = judgePair(step20, ref, cand, { lowerIsBetter: true, interleaved: true })
  assert.equal(independent.comparison.kind === 'comparison' && independent.comparison.method, 'welch')
  assert.equal(independent.verdict, 'inconclusive')
  assert.equal(interleaved.comparison.kind === 'comparison' && interleaved.comparison.method, 'paired')
  assert.equal(interleaved.verdict, 'confirms')
  // The pair's own state agrees: the same processes are a change of the practical size.
  assert.equal(pairState(ref, cand, { lowerIsBetter: true, interleaved: true }).state, 'change')
  // The same pair without a step rules a 20 % step out only when read process by process.
  const flat = load.map((l) => 0.1 * l * Math.exp(0.02 * normal()))
  assert.equal(judgePair(step20, ref, flat, { lowerIsBetter: true }).verdict, 'inconclusive')
  assert.equal(
    judgePair(step20, ref, flat, { lowerIsBetter: true, interleaved: true }).verdict,
    'contradicts',
  )
})

// --- through the store ------------------------------------------------------------------------

const sha = (i: number) => `${i.toString(16).padStart(8, '0')}${'abcdef'.repeat(5)}00`
const day = (i: number) => new Date(Date.UTC(2024, 0, 1 + i, 3)).toISOString()

const ENV = exampleEnvironment(exampleFingerprint({ hostname: 'box' }))

/** 10 processes × 3 values around level × drift: 1 % between processes, 0.5 % within. */
function result(name: string, level: number, n = 10, spread = 0.01): WorkloadResult {
  return {
    workload: { name, version: 'v1' },
    unit: 'second',
    loops: 1,
    innerLoops: 1,
    processes: means(level, n, spread).map((m) => ({
      warmups: [],
      values: [0, 1, 2].map(() => m * (1 + 0.005 * normal())),
      metadata: {},
    })),
    outcome: { state: 'measured' },
    metadata: {},
  }
}

function run(
  i: number,
  levels: Readonly<Record<string, number>>,
  drift: number,
  metadata: RunWithResults['run']['metadata'],
  groupId: string | null,
  processes: { readonly n: number; readonly spread: number } = { n: 10, spread: 0.01 },
): RunWithResults {
  return {
    run: {
      machine: 'box',
      environment: ENV,
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
      suite: 'quick',
      preset: 'default',
      harnessVersion: 'langperf-harness protocol 1',
      source: 'langperf',
      startedAt: day(i).replace('T03', 'T05'),
      groupId,
      metadata,
    },
    status: 'complete',
    finishedAt: null,
    results: Object.entries(levels).map(([name, level]) =>
      result(name, level * drift, processes.n, processes.spread),
    ),
  }
}

/** One night of the nightly: build `i` at `levels`, measured with build `i − 1` (at `previous`) when i > 0. */
async function night(
  store: Store,
  i: number,
  levels: Readonly<Record<string, number>>,
  previous: Readonly<Record<string, number>> | null,
  drift: number,
): Promise<{ readonly runId: number; readonly referenceRunId: number | null }> {
  if (previous === null) {
    const [runId] = await store.insertRuns([run(i, levels, drift, { purpose: 'nightly' }, null)])
    return { runId: runId!, referenceRunId: null }
  }
  const group = `pair-${i}`
  const [referenceRunId] = await store.insertRuns([
    run(i - 1, previous, drift, { purpose: REFERENCE_PURPOSE, pair_group: group }, group),
  ])
  const [runId] = await store.insertRuns([
    run(
      i,
      levels,
      drift,
      { purpose: 'nightly', reference_run_id: referenceRunId!, pair_group: group },
      group,
    ),
  ])
  return { runId: runId!, referenceRunId: referenceRunId! }
}

/** Nights 0 … n − 1 at `levels`, each night's drift within ±1 %. */
async function chain(store: Store, n: number, levels: Readonly<Record<string, number>>): Promise<void> {
  for (let i = 0; i < n; i++) await night(store, i, levels, i === 0 ? null : levels, 1 + 0.01 * normal())
}

const FLAT = { a: 0.1, b: 0.2 }

test('a provisional jump at the newest build is confirmed at once by its interleaved pair', async () => {
  const store = await openSqliteStore(':memory:')
  await chain(store, 30, FLAT)
  const newest = await night(store, 30, { a: 0.13, b: 0.2 }, FLAT, 1.004)
  const report = await detectAndRecord(store)
  assert.equal(report.newAlerts.length, 1, JSON.stringify(report.newAlerts))
  const alert = report.newAlerts[0]!
  assert.equal(alert.status, 'confirmed', 'no longer provisional: the pair confirms it')
  assert.equal(alert.firstBadCommit, sha(30))
  assert.equal(alert.lastGoodCommit, sha(29))
  assert.equal(report.confirmedByPair, 1)
  assert.equal(report.dismissedByPair.length, 0)
  const change = alert.changes[0]!
  assert.equal(change.series.workload, 'a')
  const paired = change.details.paired as Record<string, unknown>
  assert.equal(paired.verdict, 'confirms')
  assert.equal(paired.comparison, 'slower')
  assert.equal(paired.runId, newest.runId)
  assert.equal(paired.referenceRunId, newest.referenceRunId)
  assert.equal(paired.referenceCommit, sha(29))
  assert.equal(paired.confidence, 0.99)
  const [ratio, low, high] = [paired.ratio, paired.low, paired.high] as number[]
  assert.ok(low! < 1.3 && 1.3 < high! && Math.abs(ratio! - 1.3) < 0.03, `${ratio} [${low}, ${high}]`)
  // Idempotent: a second pass adds and changes nothing.
  const again = await detectAndRecord(store)
  assert.equal(again.newAlerts.length, 0)
  assert.equal(again.newChangeIds.length, 0)
  assert.equal(again.confirmedChangeIds.length, 0)
  assert.deepEqual(again.updatedAlertIds, [])
  assert.equal((await store.listAlerts()).total, 1)
  await store.close()
})

test('without pairs the same jump stays provisional, so the pair is what confirms it', async () => {
  const store = await openSqliteStore(':memory:')
  for (let i = 0; i < 30; i++) await store.insertRuns([run(i, FLAT, 1 + 0.01 * normal(), {}, null)])
  await store.insertRuns([run(30, { a: 0.13, b: 0.2 }, 1.004, {}, null)])
  const report = await detectAndRecord(store)
  assert.equal(report.newAlerts[0]?.status, 'provisional')
  assert.equal(report.pairedChanges, 0)
  await store.close()
})

test('a provisional jump made by drift is dismissed by a pair that shows no difference', async () => {
  // The README-only commit of docs/real-cpython.md: the whole machine 25 % slower that night, for
  // both builds of the pair, and no change in the code.
  const store = await openSqliteStore(':memory:')
  await chain(store, 30, FLAT)
  await night(store, 30, FLAT, FLAT, 1.25)
  const report = await detectAndRecord(store)
  assert.equal(report.newAlerts.length, 0, JSON.stringify(report.newAlerts.map((a) => a.changes)))
  assert.deepEqual(report.dismissedByPair.map((d) => [d.series.workload, d.state, d.firstBadCommit]).sort(), [
    ['a', 'provisional', sha(30)],
    ['b', 'provisional', sha(30)],
  ])
  for (const d of report.dismissedByPair) {
    assert.ok(d.ratio > 1.15, `the detector saw ${d.ratio}`)
    assert.equal(d.paired.verdict, 'contradicts')
    assert.ok(d.paired.low! < 1 && 1 < d.paired.high!)
  }
  assert.equal((await store.listAlerts()).total, 0)
  const again = await detectAndRecord(store)
  assert.equal(again.newChangeIds.length, 0)
  assert.equal((await store.listAlerts()).total, 0)
  await store.close()
})

test('drift that lasts several nights is not raised as a confirmed change when the pairs show nothing', async () => {
  // Four slow nights in a row: the history confirms a step at build 30, which its pair (29 and
  // 30 on the same slow night) does not show.
  const store = await openSqliteStore(':memory:')
  await chain(store, 30, FLAT)
  for (let i = 30; i < 34; i++) await night(store, i, FLAT, FLAT, 1.25)
  const report = await detectAndRecord(store)
  assert.equal(report.newAlerts.filter((a) => a.kind === 'commit').length, 0)
  assert.deepEqual(report.dismissedByPair.map((d) => [d.series.workload, d.state, d.firstBadCommit]).sort(), [
    ['a', 'confirmed', sha(30)],
    ['b', 'confirmed', sha(30)],
  ])
  await store.close()
})

test('a change already recorded as confirmed is kept when its pair contradicts it, with the pair in its details', async () => {
  // Recorded before the pairs existed (separate runs), then a pair of the same two builds.
  const store = await openSqliteStore(':memory:')
  for (let i = 0; i < 30; i++) await store.insertRuns([run(i, FLAT, 1 + 0.01 * normal(), {}, null)])
  for (let i = 30; i < 34; i++) await store.insertRuns([run(i, FLAT, 1.25, {}, null)])
  const first = await detectAndRecord(store)
  const recorded = first.newAlerts.filter((a) => a.status === 'confirmed' && a.firstBadCommit === sha(30))
  assert.equal(recorded.length, 1, JSON.stringify(first.newAlerts.map((a) => [a.firstBadCommit, a.status])))
  const group = 'late-pair'
  const [ref] = await store.insertRuns([
    run(29, FLAT, 1.1, { purpose: REFERENCE_PURPOSE, pair_group: group }, group),
  ])
  await store.insertRuns([
    run(30, FLAT, 1.1, { purpose: 'nightly', reference_run_id: ref!, pair_group: group }, group),
  ])
  const second = await detectAndRecord(store)
  assert.equal(second.dismissedByPair.length, 0, 'never downgraded')
  const alert = await store.getAlert(recorded[0]!.id)
  assert.equal(alert?.status, 'confirmed')
  for (const c of alert?.changes ?? []) {
    assert.equal(c.status, 'confirmed')
    assert.equal((c.details.paired as { verdict: string }).verdict, 'contradicts')
  }
  await store.close()
})

test("reference runs are kept out of the detector's history and used as pairs only, unless asked", async () => {
  const store = await openSqliteStore(':memory:')
  await chain(store, 12, FLAT)
  const series = (await store.listSeries({ workload: 'a' }))[0]!
  const key = {
    machine: series.machine,
    runtime: series.runtime,
    config: series.config,
    branch: series.branch,
    workload: series.workload,
    workloadVersion: series.workloadVersion,
  }
  const pairsOnly = await analyseSeries(store, key)
  assert.ok(!('skipped' in pairsOnly))
  assert.equal(pairsOnly.references.length, 11)
  assert.deepEqual(
    pairsOnly.detection.points.map((p) => (p.state === 'measured' ? p.builds : 0)),
    Array(12).fill(1),
  )
  const merged = await analyseSeries(store, key, { referencesInHistory: true })
  assert.ok(!('skipped' in merged))
  assert.equal(merged.references.length, 0)
  assert.deepEqual(
    merged.detection.points.map((p) => (p.state === 'measured' ? p.builds : 0)),
    [...Array(11).fill(2), 1],
  )
  await store.close()
})

test('a pair that disagrees with the detector leaves the change provisional, with the pair in its details', async () => {
  // The night is 27 % slow for both builds and the commit adds a real 3 %: the detector sees +31 %,
  // the pair a significant +3 %, far below the detector's interval.
  const store = await openSqliteStore(':memory:')
  await chain(store, 30, FLAT)
  await night(store, 30, { a: 0.103, b: 0.2 }, FLAT, 1.27)
  const report = await detectAndRecord(store)
  const a = report.newAlerts.flatMap((x) => x.changes).find((c) => c.series.workload === 'a')
  assert.ok(a, JSON.stringify(report.newAlerts))
  assert.equal(a.status, 'provisional')
  const paired = a.details.paired as Record<string, unknown>
  assert.equal(paired.verdict, 'disagrees')
  assert.equal(paired.comparison, 'slower')
  assert.ok((paired.high as number) < a.ratioLow, `${paired.high} < ${a.ratioLow}`)
  assert.equal(report.confirmedByPair, 0)
  // Workload b moved by drift alone: dismissed.
  assert.deepEqual(
    report.dismissedByPair.filter((d) => d.firstBadCommit === sha(30)).map((d) => d.series.workload),
    ['b'],
  )
  await store.close()
})

test('a pair whose reference is not on the old level is not used', async () => {
  // The reference named is an older build across an earlier step: its pair compares two levels
  // of history, not the step in question.
  const store = await openSqliteStore(':memory:')
  await chain(store, 30, FLAT)
  const high = { a: 0.12, b: 0.2 }
  for (let i = 30; i < 45; i++) await night(store, i, high, i === 30 ? FLAT : high, 1 + 0.01 * normal())
  const group = 'pair-odd'
  const [ref] = await store.insertRuns([
    run(20, FLAT, 1, { purpose: REFERENCE_PURPOSE, pair_group: group }, group),
  ])
  await store.insertRuns([
    run(
      45,
      { a: 0.156, b: 0.2 },
      1,
      { purpose: 'nightly', reference_run_id: ref!, pair_group: group },
      group,
    ),
  ])
  const report = await detectAndRecord(store)
  const newest = report.newAlerts.find((x) => x.firstBadCommit === sha(45))
  assert.ok(newest, JSON.stringify(report.newAlerts.map((x) => [x.firstBadCommit, x.status])))
  assert.equal(newest.status, 'provisional')
  assert.equal(newest.changes[0]!.details.paired, undefined)
  await store.close()
})

// --- issue 18: pairs on their own -------------------------------------------------------------

test('pairState() tells a change, no change and undecided apart at the practical threshold', () => {
  const lower = { lowerIsBetter: true, threshold: 0.1 }
  // [reference, candidate, expected]: 20 processes a side with 1 % spread are precise; 3 with 15 % are not.
  const cases: [string, number[], number[], string][] = [
    ['+20 %, precise', means(0.1, 20), means(0.12, 20), 'change'],
    ['−20 %, precise', means(0.1, 20), means(0.08, 20), 'change'],
    ['equal, precise', means(0.1, 20), means(0.1, 20), 'no-change'],
    ['+3 %, precise: significant, but below the threshold', means(0.1, 20), means(0.103, 20), 'no-change'],
    ['equal, imprecise', means(0.1, 3, 0.15), means(0.1, 3, 0.15), 'undecided'],
    ['one process', [0.1], [0.12, 0.12], 'undecided'],
  ]
  for (const [label, ref, cand, expected] of cases) {
    assert.equal(pairState(ref, cand, lower).state, expected, label)
  }
  // A significant change whose estimate is under the threshold while its interval reaches past it.
  const wide = pairState(
    [0.1, 0.101, 0.099, 0.1, 0.1005, 0.0995],
    [0.102, 0.104, 0.106, 0.108, 0.11, 0.112],
    lower,
  ) // 1.069× [1.011, 1.132]
  assert.equal(wide.comparison !== null && wide.comparison.low > 1, true)
  assert.equal(wide.state, 'undecided')
  // A throughput that rises is a change too (an improvement).
  const up = pairState(means(100, 20), means(130, 20), { lowerIsBetter: false, threshold: 0.1 })
  assert.equal(up.state, 'change')
  assert.equal(up.comparison?.verdict, 'faster')
})

test('pairState() compares an interleaved pair process by process', () => {
  // Log ratios 0.1, 0.2, 0.3: mean 0.2, sd 0.1, n 3.
  // scipy.stats.ttest_1samp([0.1, 0.2, 0.3], 0) → t = 3.4641, p = 0.07418; t(0.975, 2) = 4.3027
  const r = pairState([1, 1, 1], [Math.exp(0.1), Math.exp(0.2), Math.exp(0.3)], {
    lowerIsBetter: true,
    confidence: 0.95,
    interleaved: true,
  })
  assert.equal(r.comparison?.method, 'paired')
  assert.ok(Math.abs(r.comparison!.pValue - 0.07418) < 1e-4, String(r.comparison!.pValue))
  assert.ok(Math.abs(r.comparison!.ratio - Math.exp(0.2)) < 1e-12)
  assert.ok(Math.abs(Math.log(r.comparison!.high) - (0.2 + (4.302653 * 0.1) / Math.sqrt(3))) < 1e-5)
  assert.equal(r.state, 'undecided')
  // A shared machine: each round's load (±30 %) hits both builds alike; the candidate is 20 % slower.
  const load = Array.from({ length: 12 }, () => Math.exp(0.3 * normal()))
  const ref = load.map((l) => 0.1 * l * Math.exp(0.02 * normal()))
  const cand = load.map((l) => 0.12 * l * Math.exp(0.02 * normal()))
  const independent = pairState(ref, cand, { lowerIsBetter: true })
  const interleaved = pairState(ref, cand, { lowerIsBetter: true, interleaved: true })
  assert.equal(independent.comparison?.method, 'welch')
  assert.equal(independent.state, 'undecided')
  assert.equal(interleaved.state, 'change')
  assert.equal(interleaved.comparison?.verdict, 'slower')
  // Sides of different lengths (a round lost on one side) fall back to Welch.
  assert.equal(
    pairState(ref, cand.slice(1), { lowerIsBetter: true, interleaved: true }).comparison?.method,
    'welch',
  )
})

/** The history of the issue: a first build measured alone and high, two on the level, a real step. */
async function issueHistory(store: Store, step: number): Promise<void> {
  const noisy = { n: 6, spread: 0.02 }
  await store.insertRuns([run(0, { a: 0.145, b: 0.2 }, 1, { purpose: 'nightly' }, null, noisy)])
  const levels = [
    { a: 0.1, b: 0.2 },
    { a: 0.1, b: 0.2 },
    { a: 0.1 * step, b: 0.2 },
    { a: 0.1 * step, b: 0.2 },
  ]
  const drifts = [1, 1.001, 1.39 / step, 1.24 / step]
  for (let i = 1; i < 5; i++) {
    const group = `pair-${i}`
    const prev = i === 1 ? { a: 0.1, b: 0.2 } : levels[i - 2]!
    const [ref] = await store.insertRuns([
      run(i - 1, prev, drifts[i - 1]!, { purpose: REFERENCE_PURPOSE, pair_group: group }, group, noisy),
    ])
    await store.insertRuns([
      run(
        i,
        levels[i - 1]!,
        drifts[i - 1]!,
        { purpose: 'nightly', reference_run_id: ref!, pair_group: group },
        group,
        noisy,
      ),
    ])
  }
}

test('a decisive pair raises a provisional change by itself where the history shows none yet', async () => {
  const store = await openSqliteStore(':memory:')
  await issueHistory(store, 1.2)
  const report = await detectAndRecord(store)
  const commit = report.newAlerts.filter((a) => a.kind === 'commit')
  assert.equal(commit.length, 1, JSON.stringify(report.newAlerts.map((a) => a.changes)))
  const alert = commit[0]!
  assert.equal(alert.status, 'provisional')
  assert.equal(alert.lastGoodCommit, sha(2))
  assert.equal(alert.firstBadCommit, sha(3))
  assert.equal(report.raisedByPair, 1)
  const change = alert.changes[0]!
  assert.equal(change.series.workload, 'a')
  assert.equal(change.details.raisedBy, 'pair')
  assert.equal((change.details.paired as { verdict: string }).verdict, 'raises')
  assert.ok(change.ratioLow > 1.1 && change.ratioHigh < 1.35, `${change.ratioLow}..${change.ratioHigh}`)
  // Idempotent: the same change is raised again, nothing new recorded, nothing withdrawn.
  const again = await detectAndRecord(store)
  assert.equal(again.newChangeIds.length, 0)
  assert.equal(again.withdrawnChangeIds.length, 0)
  assert.equal((await store.getAlert(alert.id))?.status, 'provisional')
  await store.close()
})

test('a pair-raised change the builds since contradict is withdrawn; one they bear out is not', async () => {
  // Night 12's pair calls build 12 20 % slower, measured on a night that ran everything 1.2×
  // faster: the history sees no step at 12, only the pair does. The builds after it stay at the
  // old level night after night.
  const store = await openSqliteStore(':memory:')
  await chain(store, 12, FLAT)
  await night(store, 12, { a: 0.12, b: 0.2 }, FLAT, 1 / 1.2)
  const first = await detectAndRecord(store, { filter: { workload: 'a' } })
  assert.equal(first.raisedByPair, 1)
  assert.equal(first.contradictedPairs, 0)
  const raised = first.newAlerts.find((a) => a.kind === 'commit')
  assert.ok(raised !== undefined && raised.status === 'provisional')
  assert.equal(raised.firstBadCommit, sha(12))
  // Three more nights at the old level (four builds from 12 on): too few to outweigh the pair.
  for (let i = 13; i < 16; i++) await night(store, i, FLAT, FLAT, 1 + 0.01 * normal())
  const early = await detectAndRecord(store, { filter: { workload: 'a' } })
  assert.equal(early.contradictedPairs, 0)
  assert.equal(early.withdrawnChangeIds.length, 0)
  // The fifth build from 12 on: the history shows no step of the pair threshold's size there.
  await night(store, 16, FLAT, FLAT, 1)
  const later = await detectAndRecord(store, { filter: { workload: 'a' } })
  assert.equal(later.raisedByPair, 0)
  assert.equal(later.contradictedPairs, 1)
  assert.deepEqual(
    later.withdrawnChangeIds,
    raised.changes.map((c) => c.id),
  )
  assert.equal((await store.getAlert(raised.id))?.status, 'withdrawn')
  await store.close()

  // The same pair followed by builds at its level: never contradicted, the step is reported.
  const kept = await openSqliteStore(':memory:')
  await chain(kept, 12, FLAT)
  await night(kept, 12, { a: 0.12, b: 0.2 }, FLAT, 1 / 1.2)
  await detectAndRecord(kept, { filter: { workload: 'a' } })
  const slow = { a: 0.12, b: 0.2 }
  for (let i = 13; i < 18; i++) await night(kept, i, slow, slow, 1 + 0.01 * normal())
  const after = await detectAndRecord(kept, { filter: { workload: 'a' } })
  assert.equal(after.contradictedPairs, 0)
  const open = await kept.listAlerts({ status: ['provisional', 'confirmed'] })
  const commits = open.rows.filter((a) => a.kind === 'commit' && a.direction === 'regression')
  assert.equal(commits.length, 1, JSON.stringify(open.rows))
  assert.ok([sha(12), sha(13)].includes(commits[0]!.firstBadCommit), commits[0]!.firstBadCommit)
  await kept.close()
})

test('the same noisy history without a step raises nothing', async () => {
  const store = await openSqliteStore(':memory:')
  await issueHistory(store, 1)
  const report = await detectAndRecord(store)
  assert.equal(report.raisedByPair, 0)
  assert.equal(report.newAlerts.filter((a) => a.kind === 'commit').length, 0)
  await store.close()
})

for (const named of ['by the run they extend', "by the candidate's reference (the farm's agent)"] as const) {
  test(`a pair's later rounds, named ${named}, are added to its processes and kept out of the history`, async () => {
    const store = await openSqliteStore(':memory:')
    await chain(store, 12, FLAT)
    const wide = { n: 3, spread: 0.15 }
    const group = 'pair-12'
    const [ref] = await store.insertRuns([
      run(11, { a: 0.1 }, 1, { purpose: REFERENCE_PURPOSE, pair_group: group }, group, wide),
    ])
    const [cand] = await store.insertRuns([
      run(
        12,
        { a: 0.115 },
        1,
        { purpose: 'nightly', reference_run_id: ref!, pair_group: group },
        group,
        wide,
      ),
    ])
    const first = await detectAndRecord(store, { filter: { workload: 'a' } })
    assert.equal(first.raisedByPair, 0, 'three processes a side cannot tell')
    // Two more rounds of 20 precise processes on each build, the same night. The agent stores a
    // candidate's rounds before the server has stored the candidate's run: it names its reference.
    const candidate =
      named === 'by the run they extend' ? { extends_run_id: cand! } : { extends_candidate_of: ref! }
    for (const [i, level, extended] of [
      [11, 0.1, { extends_run_id: ref! }],
      [12, 0.115, candidate],
      [11, 0.1, { extends_run_id: ref! }],
      [12, 0.115, candidate],
    ] as const) {
      await store.insertRuns([
        run(i, { a: level }, 1, { purpose: PAIR_ROUND_PURPOSE, ...extended, pair_round: 2 }, group, {
          n: 20,
          spread: 0.01,
        }),
      ])
    }
    const series = (await store.listSeries({ workload: 'a' }))[0]!
    const analysed = await analyseSeries(store, { ...series })
    assert.ok(!('skipped' in analysed))
    assert.equal(analysed.detection.points.length, 13, 'one point per build: rounds are not history')
    const second = await detectAndRecord(store, { filter: { workload: 'a' } })
    const raised = second.newAlerts.flatMap((a) => a.changes).filter((c) => c.details.raisedBy === 'pair')
    assert.equal(raised.length, 1, JSON.stringify(second.newAlerts.map((a) => a.changes)))
    assert.deepEqual((raised[0]!.details.paired as { processes: number[] }).processes, [43, 43])
    await store.close()
  })
}

test('pairLookConfidence() splits α over the looks a pair may take (Bonferroni)', () => {
  assert.equal(pairLookConfidence(1), 0.99)
  assert.ok(Math.abs(pairLookConfidence(4) - 0.9975) < 1e-15)
  assert.equal(pairLookConfidence(0), 0.99, 'no budget recorded: one look')
  assert.ok(Math.abs(pairLookConfidence(2, 0.95) - 0.975) < 1e-15)
})
