import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createRng } from '../lib/index.ts'
import { boundaryNote, boundaryOf } from '../model/index.ts'
import { epochKey } from '../stats/index.ts'
import {
  type ChangeRow,
  exampleEnvironment,
  exampleFingerprint,
  type RunRow,
  type SeriesPoint,
} from '../store/index.ts'
import {
  boundaryVerdict,
  epochChanges,
  type LoadedSeries,
  planDetection,
  retractionReason,
} from './detect.ts'

// planDetection is the pure core of a detection pass: these tests hand it loaded series (points
// and runs as the store returns them) and read its plan, with no database.

const rng = createRng(11)
function normal(): number {
  const u = Math.max(rng(), 1e-12)
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng())
}

const sha = (i: number) => `${i.toString(16).padStart(8, '0')}${'ab12'.repeat(8)}`
const day = (i: number) => new Date(Date.UTC(2024, 2, 1 + i, 3)).toISOString()

/** Run `i` of a nightly history: build `i`, on `kernel`. */
function run(i: number, kernel: string, metadata: Record<string, number> = {}): RunRow {
  return {
    id: i + 1,
    machineId: 1,
    machine: 'box',
    environment: exampleEnvironment(exampleFingerprint({ hostname: 'box', kernel })),
    build: {
      id: i + 1,
      runtime: 'cpython',
      version: '3.14.0a0',
      config: 'default',
      commitSha: sha(i),
      commitDateUtc: day(i),
      branch: 'main',
      mergeBase: null,
      identity: `cpython:${sha(i)}:default`,
      interpreter: null,
      metadata,
    },
    suite: 'default',
    preset: 'default',
    harnessVersion: '1',
    source: 'langperf',
    startedAt: day(i),
    groupId: null,
    metadata: {},
    status: 'complete',
    finishedAt: day(i),
    resultCount: 1,
  }
}

/** A point of workload `w` (index `wi`) in run `i` at `level`, with 10 process means. */
function point(i: number, wi: number, level: number): SeriesPoint {
  const build = level * (1 + 0.004 * normal())
  const processMeans = Array.from({ length: 10 }, () => build * (1 + 0.003 * normal()))
  const mean = processMeans.reduce((a, b) => a + b, 0) / processMeans.length
  return {
    resultId: i * 100 + wi + 1,
    runId: i + 1,
    buildId: i + 1,
    commitSha: sha(i),
    commitDateUtc: day(i),
    runStartedAt: day(i),
    runStatus: 'complete',
    state: 'measured',
    unit: 'second',
    summary: {
      nProcesses: 10,
      nValues: 30,
      mean,
      stdevProcessMeans: null,
      min: null,
      max: null,
      median: null,
    },
    processMeans,
  }
}

/** The series of workload `w${wi}` on the test machine's main line. */
const seriesOf = (wi: number) => ({
  machine: 'box',
  runtime: 'cpython',
  config: 'default',
  branch: 'main',
  workload: `w${wi}`,
  workloadVersion: 'v1',
})

/**
 * Twelve workloads over 40 nightly builds; the kernel changes at build 20. `kernelShift` moves
 * every workload there; `commitShift` moves workload `w0` only, at the same build.
 */
function history(kernelShift: number, commitShift: number, order?: (i: number) => number): LoadedSeries[] {
  const runs = new Map<number, RunRow>()
  for (let i = 0; i < 40; i++) {
    runs.set(i + 1, run(i, i < 20 ? '6.1.0' : '6.6.0', order ? { history_order: order(i) } : {}))
  }
  return Array.from({ length: 12 }, (_, wi) => ({
    series: seriesOf(wi),
    points: Array.from({ length: 40 }, (_, i) => {
      const after = i >= 20
      const level = 0.01 * (1 + wi / 10) * (after ? kernelShift * (wi === 0 ? commitShift : 1) : 1)
      return point(i, wi, level)
    }),
    runs,
    known: [],
  }))
}

test('boundaryVerdict() blames a step that stands out of the crowd on a commit', () => {
  const crowd = { crossing: 100, moved: 3, median: Math.log(1.002), spread: 0.012 }
  assert.equal(boundaryVerdict(Math.log(1.45), crowd), 'commit')
  assert.equal(boundaryVerdict(Math.log(1.03), crowd), 'infrastructure')
  // Everything moved by about 8 %: an 8 % step is the crowd's.
  assert.equal(
    boundaryVerdict(Math.log(1.08), { ...crowd, median: Math.log(1.08), moved: 60 }),
    'infrastructure',
  )
  // Too few workloads to learn a spread: the share of those that moved decides.
  assert.equal(
    boundaryVerdict(Math.log(1.5), { crossing: 2, moved: 2, median: 0, spread: 0 }),
    'infrastructure',
  )
  assert.equal(boundaryVerdict(Math.log(1.5), { crossing: 4, moved: 1, median: 0, spread: 0 }), 'commit')
})

test('a kernel upgrade that moves every workload is infrastructure; one workload far beyond it is a commit', () => {
  const plan = planDetection(history(1.06, 1.45))
  assert.equal(plan.seriesScanned, 12)
  assert.equal(plan.epochBoundaries, 1)
  const at20 = plan.changes.filter((c) => c.firstBad.buildId === 21)
  assert.equal(
    at20.length,
    12,
    JSON.stringify(plan.changes.map((c) => [c.series.workload, c.firstBad.buildId])),
  )
  const commit = at20.filter((c) => c.kind === 'commit')
  assert.deepEqual(
    commit.map((c) => c.series.workload),
    ['w0'],
  )
  assert.ok(at20.filter((c) => c.kind === 'infrastructure').length === 11)
  // Both kinds say the same about the boundary, in the words every output uses.
  const b = boundaryOf(commit[0]!)
  assert.ok(b !== null)
  assert.deepEqual(b.changed, ['kernel: linux 6.1.0 → linux 6.6.0'])
  assert.equal(b.crossing, 12)
  assert.equal(b.moved, 12)
  assert.match(
    boundaryNote('commit', b),
    /^The range also holds an infrastructure change \(kernel: linux 6\.1\.0 → linux 6\.6\.0\), but across it the group's 12 workloads shifted typically ×1\.0[56]\d with a robust spread of ± \d+\.\d %, and 12 had a detected step: the step stands more than 5 spreads out of how the suite moved \(×\d\.\d{3}–×\d\.\d{3}\), so a commit in the range is the likelier cause\.$/,
  )
  const infra = at20.find((c) => c.kind === 'infrastructure')!
  assert.match(
    boundaryNote('infrastructure', boundaryOf(infra)!),
    /^kernel: linux 6\.1\.0 → linux 6\.6\.0 changed in this range/,
  )
})

test('a kernel upgrade that moves nothing leaves a lone commit step blamed on the commit', () => {
  const plan = planDetection(history(1, 1.2))
  assert.deepEqual(
    plan.changes.map((c) => [c.series.workload, c.kind, c.firstBad.buildId]),
    [['w0', 'commit', 21]],
  )
  assert.equal(plan.judgedAtBoundaries.commit, 1)
})

test('builds a repository placed are ordered by ancestry, not by commit date', () => {
  // Commit dates run backwards; the first-parent positions run forwards.
  const loaded = history(1, 1.2, (i) => 1000 + i).map((l) => ({
    ...l,
    points: l.points.map((p, i) => ({ ...p, commitDateUtc: day(100 - i) })),
  }))
  const plan = planDetection(loaded)
  assert.equal(plan.orders.ancestry, 12)
  assert.deepEqual(
    plan.changes.map((c) => [c.series.workload, c.direction, c.lastGood.buildId, c.firstBad.buildId]),
    [['w0', 'regression', 20, 21]],
  )
  // By date, the same history reads as an improvement at the other end.
  const byDate = planDetection(
    history(1, 1.2).map((l) => ({
      ...l,
      points: l.points.map((p, i) => ({ ...p, commitDateUtc: day(100 - i) })),
    })),
  )
  assert.equal(byDate.orders.commitDate, 12)
  assert.equal(byDate.changes[0]?.direction, 'improvement')
})

test('changes recorded on series that no longer exist are superseded, with the reason', () => {
  const loaded = history(1, 1)
  const orphan = {
    id: 9,
    alertId: 3,
    kind: 'commit' as const,
    measure: 'time' as const,
    series: { ...loaded[0]!.series, branch: 'v3.13.0a4' },
    lastGood: { buildId: 1, resultId: 1, commitSha: null },
    firstBad: { buildId: 2, resultId: 2, commitSha: null },
    unit: 'second',
    ratio: 1.1,
    ratioLow: 1.05,
    ratioHigh: 1.15,
    pValue: 1e-5,
    direction: 'regression' as const,
    status: 'confirmed' as const,
    details: {},
    createdAt: day(0),
    updatedAt: day(0),
  }
  const plan = planDetection(loaded, { orphans: [orphan] })
  assert.equal(plan.superseded.length, 1)
  assert.equal(plan.superseded[0]!.firstBadBuildId, 2)
  assert.match(plan.superseded[0]!.reason, /branch v3\.13\.0a4.*no longer exists/)
})

test('epochChanges() names each changed fact with its values as recorded, separators unescaped', () => {
  const from = epochKey({ cpuConfig: '0=driver:intel_pstate; 1-23=powersave', kernel: 'k1' }, [
    'cpuConfig',
    'kernel',
  ])
  const to = epochKey({ cpuConfig: '0-23=driver:intel_pstate', kernel: 'k1' }, ['cpuConfig', 'kernel'])
  assert.deepEqual(epochChanges(from, to), [
    'cpuConfig: 0=driver:intel_pstate; 1-23=powersave → 0-23=driver:intel_pstate',
  ])
})

test('a second pass over the same history keeps each recorded change at its own build', () => {
  // w0 steps up by 10 % at build 20 and by 30 % at build 22, with the kernel upgraded in between
  // (at 21): each step is its own change, and a record of one must never stand in for the other
  // (the first pass kept blames by the nearest record within two builds, its own or not, and
  // handed each step the other's blame).
  const runs = new Map<number, RunRow>()
  for (let i = 0; i < 44; i++) runs.set(i + 1, run(i, i < 21 ? '6.1.0' : '6.6.0'))
  const loaded = (known: ChangeRow[]): LoadedSeries[] =>
    Array.from({ length: 12 }, (_, wi) => ({
      series: seriesOf(wi),
      points: points[wi]!,
      runs,
      known: known.filter((k) => k.series.workload === `w${wi}`),
    }))
  const points = Array.from({ length: 12 }, (_, wi) =>
    Array.from({ length: 44 }, (_, i) =>
      point(i, wi, 0.01 * (1 + wi / 10) * (wi === 0 ? (i >= 22 ? 1.43 : i >= 20 ? 1.1 : 1) : 1)),
    ),
  )
  const first = planDetection(loaded([]))
  const steps = (p: typeof first) =>
    p.changes
      .filter((c) => c.series.workload === 'w0')
      .map((c) => [c.kind, c.lastGood.buildId, c.firstBad.buildId, Math.round(c.ratio * 10) / 10])
      .sort()
  assert.deepEqual(steps(first), [
    ['commit', 20, 21, 1.1],
    ['commit', 22, 23, 1.3],
  ])
  // Recorded as the first pass found them, listed with the later step first.
  const recorded: ChangeRow[] = first.changes
    .map((c, i) => ({
      ...c,
      measure: 'time' as const,
      id: i + 1,
      alertId: i + 1,
      createdAt: day(50),
      updatedAt: day(50),
    }))
    .reverse()
  const second = planDetection(loaded(recorded))
  assert.deepEqual(steps(second), steps(first))
  assert.deepEqual(second.withdrawn, [])
})

/**
 * The flat history of `history(1, 1)` cut to its first `n` builds, with a change of w0 recorded as
 * confirmed at build `firstBad` (from an earlier, thinner history) that the detector does not report.
 */
function withStaleRecord(firstBad: number, n: number, record: Partial<ChangeRow> = {}): LoadedSeries[] {
  return history(1, 1).map((l) => {
    if (l.series.workload !== 'w0') return l
    const points = l.points.slice(0, n)
    const k = (i: number) => ({ buildId: i + 1, resultId: points[i]!.resultId, commitSha: sha(i) })
    const known: ChangeRow = {
      id: 9,
      alertId: 3,
      kind: 'commit',
      measure: 'time',
      series: l.series,
      lastGood: k(firstBad - 1),
      firstBad: k(firstBad),
      unit: 'second',
      ratio: 1.08,
      ratioLow: 1.05,
      ratioHigh: 1.11,
      pValue: 1e-6,
      direction: 'regression',
      status: 'confirmed',
      details: {},
      createdAt: day(50),
      updatedAt: day(50),
      ...record,
    }
    return { ...l, points, known: [known] }
  })
}

test('a confirmed change the history no longer shows, with 12 builds since, is retracted with the reason', () => {
  // w0 is flat over 40 builds; the record at build 20 is no longer reported, and the history's
  // step there holds 1: retracted. The same record with only 5 builds since is kept: too soon to
  // overrule a confirmation whose numbers are unknown.
  const retracted = planDetection(withStaleRecord(20, 40))
  assert.equal(retracted.retracted, 1)
  assert.deepEqual(
    retracted.superseded.map((s) => [s.series.workload, s.firstBadBuildId]),
    [['w0', 21]],
  )
  assert.match(
    retracted.superseded[0]!.reason,
    /^later builds no longer show this step: with 12 builds from its first bad build on, the history's step there is ×\d\.\d{3} \[\d\.\d{3}, \d\.\d{3}\] \(it was ×1\.080 when confirmed\)$/,
  )
  const soon = planDetection(withStaleRecord(20, 25))
  assert.equal(soon.retracted, 0)
  assert.deepEqual(soon.superseded, [])
})

test('a confirmed change is retracted sooner when, on more builds than it was confirmed on, its step falls short of the first pass', () => {
  // Eight builds since the record (fewer than RETRACT_AFTER): confirmed on 12 builds before and 3
  // after, the flat history now gives 12 and 8 and a step nowhere near p ≤ 0.01: retracted.
  const sooner = planDetection(withStaleRecord(20, 28, { details: { pointsBefore: 12, pointsAfter: 3 } }))
  assert.equal(sooner.retracted, 1)
  assert.match(
    sooner.superseded[0]!.reason,
    /^the history no longer shows this step: on 12 builds before and 8 after \(12 and 3 when confirmed\), its step there is ×\d\.\d{3} \[\d\.\d{3}, \d\.\d{3}\], p = \d\.\de-?\d+, short of even the p ≤ 0\.01 a step needs to be considered \(it was ×1\.080 when confirmed\)$/,
  )
  // An infrastructure change the history no longer shows goes the same way.
  const infra = planDetection(
    withStaleRecord(20, 28, { kind: 'infrastructure', details: { pointsBefore: 12, pointsAfter: 3 } }),
  )
  assert.equal(infra.retracted, 1)
  // Confirmed on more builds after it than the history now holds: not yet overruled.
  const thinner = planDetection(withStaleRecord(20, 28, { details: { pointsBefore: 12, pointsAfter: 12 } }))
  assert.equal(thinner.retracted, 0)
  // Confirmed by an interleaved pair: eight builds of history do not overrule the pair (twelve do).
  const paired = { pointsBefore: 12, pointsAfter: 3, paired: { verdict: 'confirms', ratio: 1.08 } }
  assert.equal(planDetection(withStaleRecord(20, 28, { details: paired })).retracted, 0)
  assert.equal(planDetection(withStaleRecord(20, 40, { details: paired })).retracted, 1)
})

test('retractionReason() keeps a step between the first pass and the confirmation level: the margin against flicker', () => {
  const record = withStaleRecord(20, 28, { details: { pointsBefore: 6, pointsAfter: 4 } })[0]!.known[0]!
  const step = (pValue: number) => ({
    ratio: 1.02,
    ratioLow: 1.005,
    ratioHigh: 1.035,
    logRatio: Math.log(1.02),
    logStderr: 0.007,
    pValue,
    dof: 20,
    pointsBefore: 6,
    pointsAfter: 8,
  })
  // Not confirmed at p ≤ 0.001 any more, but still within ten times of it: kept.
  assert.equal(retractionReason(record, step(0.005), 0.01), null)
  assert.match(retractionReason(record, step(0.02), 0.01) ?? '', /^the history no longer shows this step/)
  // Fewer builds before it than when it was confirmed (a newer change cut the side): kept.
  assert.equal(retractionReason(record, { ...step(0.02), pointsBefore: 5 }, 0.01), null)
})

test('two confirmed records of one step, a build apart, become one: the one the pass does not report is retracted', () => {
  // w0 steps up by 30 % at build 20 (the kernel changes there too; the step stands out of the
  // crowd). Recorded at its build (20) and, by an earlier pass that placed it a build later, at 21.
  const loaded = history(1, 1.3).map((l) => {
    if (l.series.workload !== 'w0') return l
    const record = (firstBad: number, id: number): ChangeRow => ({
      id,
      alertId: id,
      kind: 'commit',
      measure: 'time',
      series: l.series,
      lastGood: {
        buildId: firstBad,
        resultId: l.points[firstBad - 1]!.resultId,
        commitSha: sha(firstBad - 1),
      },
      firstBad: { buildId: firstBad + 1, resultId: l.points[firstBad]!.resultId, commitSha: sha(firstBad) },
      unit: 'second',
      ratio: 1.3,
      ratioLow: 1.25,
      ratioHigh: 1.35,
      pValue: 1e-9,
      direction: 'regression',
      status: 'confirmed',
      details: {},
      createdAt: day(50),
      updatedAt: day(50),
    })
    return { ...l, known: [record(20, 1), record(21, 2)] }
  })
  const plan = planDetection(loaded)
  assert.deepEqual(
    plan.changes.filter((c) => c.series.workload === 'w0').map((c) => c.firstBad.buildId),
    [21],
  )
  assert.deepEqual(
    plan.superseded.map((s) => [s.series.workload, s.firstBadBuildId]),
    [['w0', 22]],
  )
  assert.match(
    plan.superseded[0]!.reason,
    /^the same step is reported 1 build\(s\) away \(first bad 00000014/,
  )
  assert.equal(plan.retracted, 1)
})
