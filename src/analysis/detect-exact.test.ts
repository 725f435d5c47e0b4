import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  exampleBuild,
  exampleEnvironment,
  exampleFingerprint,
  exampleRunSpec,
  type RunRow,
  type SeriesPoint,
} from '../store/index.ts'
import { type ExactPoint, exactSteps, planExact } from './detect-exact.ts'
import { planDetection } from './detect-plan.ts'

// The exact rule on instruction-count histories, pure: tables of counts in, steps out; then the
// plan of one series (its count points and runs as the store returns them), with no database.

/** One point per build, in order; null is a failed build. */
function pts(values: readonly (number | null)[]): ExactPoint[] {
  return values.map((value, i) => ({ id: String(i), build: i, order: i, value }))
}

const steps = (values: readonly (number | null)[], threshold?: number) =>
  exactSteps(pts(values), threshold).map((s) => ({
    at: `${s.lastGoodId}→${s.firstBadId}`,
    ratio: Number(s.ratio.toFixed(4)),
    state: s.state,
    unmeasured: s.unmeasuredIds.join(','),
  }))

const M = 1_000_000

test('exactSteps(): a table of count histories and the steps the exact rule finds', () => {
  const table: readonly {
    readonly name: string
    readonly values: readonly (number | null)[]
    readonly want: ReturnType<typeof steps>
  }[] = [
    { name: 'flat', values: [M, M, M, M], want: [] },
    {
      name: 'a 2 % step that persists',
      values: [M, M, M, 1.02 * M, 1.02 * M],
      want: [{ at: '2→3', ratio: 1.02, state: 'confirmed', unmeasured: '' }],
    },
    {
      name: 'an improvement of 3 %',
      values: [M, M, 0.97 * M, 0.97 * M],
      want: [{ at: '1→2', ratio: 0.97, state: 'confirmed', unmeasured: '' }],
    },
    { name: 'a single-build blip that returns', values: [M, M, 1.05 * M, M, M], want: [] },
    { name: 'a blip down that returns', values: [M, 0.9 * M, M], want: [] },
    {
      name: 'loop-count wobble under the threshold (±0.11 %)',
      values: [M, 1.0011 * M, 0.9992 * M, 1.0008 * M, M, 0.9989 * M],
      want: [],
    },
    {
      name: 'a step of 0.6 % is a change; 0.49 % is not',
      values: [M, M, 1.006 * M, 1.006 * M, 1.006 * 1.0049 * M, 1.006 * 1.0049 * M],
      want: [{ at: '1→2', ratio: 1.006, state: 'confirmed', unmeasured: '' }],
    },
    {
      name: 'a step at the first build after the first',
      values: [M, 1.1 * M, 1.1 * M],
      want: [{ at: '0→1', ratio: 1.1, state: 'confirmed', unmeasured: '' }],
    },
    {
      name: 'a step at the newest build is provisional',
      values: [M, M, M, 1.04 * M],
      want: [{ at: '2→3', ratio: 1.04, state: 'provisional', unmeasured: '' }],
    },
    {
      name: 'failed builds between the ends are in the blame range',
      values: [M, M, null, null, 1.03 * M, 1.03 * M],
      want: [{ at: '1→4', ratio: 1.03, state: 'confirmed', unmeasured: '2,3' }],
    },
    {
      name: 'a failed build after the step: the next measured build decides',
      values: [M, 1.03 * M, null, 1.03 * M],
      want: [{ at: '0→1', ratio: 1.03, state: 'confirmed', unmeasured: '' }],
    },
    {
      name: 'a failed build after the step, then a return: a blip',
      values: [M, 1.03 * M, null, M],
      want: [],
    },
    {
      name: 'a blip, then a real step: the blip lies inside the blame range',
      values: [M, 1.2 * M, 1.03 * M, 1.03 * M],
      want: [{ at: '0→2', ratio: 1.03, state: 'confirmed', unmeasured: '1' }],
    },
    {
      name: 'a step and its revert are two changes',
      values: [M, 1.02 * M, 1.02 * M, M, M],
      want: [
        { at: '0→1', ratio: 1.02, state: 'confirmed', unmeasured: '' },
        { at: '2→3', ratio: 0.9804, state: 'confirmed', unmeasured: '' },
      ],
    },
    { name: 'one measured build', values: [null, M, null], want: [] },
    { name: 'nothing measured', values: [], want: [] },
  ]
  for (const row of table) assert.deepEqual(steps(row.values), row.want, row.name)
})

test('exactSteps(): the threshold is configurable', () => {
  assert.deepEqual(steps([M, M, 1.003 * M, 1.003 * M]), [])
  assert.equal(steps([M, M, 1.003 * M, 1.003 * M], 0.002).length, 1)
})

test('exactSteps(): counts of one build are one value, in history order whatever the input order', () => {
  const points: ExactPoint[] = [
    { id: 'c', build: 3, order: 3, value: 1.02 * M },
    { id: 'a1', build: 1, order: 1, value: M },
    { id: 'b', build: 2, order: 2, value: 1.02 * M },
    { id: 'a2', build: 1, order: 1, value: M },
  ]
  const found = exactSteps(points)
  assert.equal(found.length, 1)
  assert.equal(found[0]!.lastGoodId, 'a1')
  assert.equal(found[0]!.firstBadId, 'b')
})

const sha = (i: number) => `${i.toString(16).padStart(8, '0')}${'cd34'.repeat(8)}`
const day = (i: number) => new Date(Date.UTC(2025, 0, 1 + i, 3)).toISOString()
const series = {
  machine: 'box',
  runtime: 'cpython',
  config: 'default',
  branch: 'main',
  workload: 'nbody',
  workloadVersion: 'v1',
}

/** Run `i` of `run --measure instructions`: build `i`, compiled by `compiler`; the kernel changes at 3. */
function run(i: number, compiler = 'GCC 12.2.0'): RunRow {
  const spec = exampleRunSpec({
    machine: 'box',
    environment: exampleEnvironment(exampleFingerprint({ kernel: i < 3 ? '6.1.0' : '6.6.0' })),
    preset: 'instructions',
    startedAt: day(i),
  })
  const build = exampleBuild(sha(i), {
    config: 'default',
    commitDateUtc: day(i),
    interpreter: null,
    metadata: { python_compiler: compiler },
  })
  return {
    ...spec,
    id: i + 1,
    machineId: 1,
    build: { ...build, id: i + 1 },
    status: 'complete',
    finishedAt: day(i),
    resultCount: 1,
  }
}

function count(i: number, value: number | null): SeriesPoint {
  return {
    resultId: 100 + i,
    runId: i + 1,
    buildId: i + 1,
    commitSha: sha(i),
    commitDateUtc: day(i),
    runStartedAt: day(i),
    runStatus: 'complete',
    state: value === null ? 'failed' : 'measured',
    unit: 'instruction',
    summary: {
      nProcesses: value === null ? 0 : 1,
      nValues: value === null ? 0 : 1,
      mean: value,
      stdevProcessMeans: null,
      min: value,
      max: value,
      median: value,
    },
  }
}

const values = [M, M, M, null, 1.032 * M, 1.032 * M]

test('planExact(): a count step is one exact change of measure instructions, blamed on its builds', () => {
  const runs = new Map(values.map((_, i) => [i + 1, run(i)]))
  const plan = planExact({ series, counts: values.map((v, i) => count(i, v)), runs, known: [] })
  assert.equal(plan.judged, true)
  assert.equal(plan.changes.length, 1)
  const c = plan.changes[0]!
  assert.equal(c.measure, 'instructions')
  assert.equal(c.kind, 'commit', 'a kernel change does not move counts: still a commit')
  assert.equal(c.unit, 'instruction')
  assert.equal(c.lastGood.commitSha, sha(2))
  assert.equal(c.firstBad.commitSha, sha(4))
  assert.ok(Math.abs(c.ratio - 1.032) < 1e-12)
  assert.equal(c.ratioLow, c.ratio)
  assert.equal(c.ratioHigh, c.ratio)
  assert.equal(c.direction, 'regression')
  assert.equal(c.status, 'confirmed')
  assert.equal(c.details.method, 'exact')
  assert.deepEqual(c.details.unmeasuredResultIds, [103])
})

test('planExact(): a step across a compiler change is infrastructure', () => {
  const runs = new Map(values.map((_, i) => [i + 1, run(i, i < 4 ? 'GCC 12.2.0' : 'GCC 14.1.0')]))
  const plan = planExact({ series, counts: values.map((v, i) => count(i, v)), runs, known: [] })
  assert.equal(plan.changes[0]!.kind, 'infrastructure')
  assert.deepEqual(plan.changes[0]!.details.infrastructure, ['compiler: GCC 12.2.0 → GCC 14.1.0'])
})

test('planExact(): a provisional count change the next build undoes is withdrawn', () => {
  const flat = [M, M, M, M]
  const runs = new Map(flat.map((_, i) => [i + 1, run(i)]))
  const known = [
    {
      id: 1,
      alertId: 1,
      kind: 'commit' as const,
      measure: 'instructions' as const,
      series,
      lastGood: { buildId: 2, resultId: 101, commitSha: sha(1) },
      firstBad: { buildId: 3, resultId: 102, commitSha: sha(2) },
      unit: 'instruction',
      ratio: 1.05,
      ratioLow: 1.05,
      ratioHigh: 1.05,
      pValue: 0,
      direction: 'regression' as const,
      status: 'provisional' as const,
      details: {},
      createdAt: day(0),
      updatedAt: day(0),
    },
  ]
  const plan = planExact({ series, counts: flat.map((v, i) => count(i, v)), runs, known })
  assert.deepEqual(plan.changes, [])
  assert.deepEqual(plan.withdrawn, [{ series, measure: 'instructions', firstBadBuildId: 3 }])
})

test('planDetection(): a series with only counts is judged by the exact rule, not skipped', () => {
  const runs = new Map(values.map((_, i) => [i + 1, run(i)]))
  const plan = planDetection([
    { series, points: [], counts: values.map((v, i) => count(i, v)), runs, known: [] },
  ])
  assert.deepEqual(plan.skipped, [])
  assert.equal(plan.seriesScanned, 0)
  assert.equal(plan.countSeries, 1)
  assert.deepEqual(
    plan.changes.map((c) => [c.measure, c.firstBad.buildId]),
    [['instructions', 5]],
  )
})
