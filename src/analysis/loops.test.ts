import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { WorkloadResult } from '../model/index.ts'
import {
  type BlasChoice,
  discoverInterpreters,
  measureSystemMatmul,
  resolveBlas,
  SYSTEM_PYTHON,
  systemNumpySkip,
} from '../runner/index.ts'
import { exampleBuild, exampleRunSpec, exampleRunWithResults, openSqliteStore } from '../store/index.ts'
import { type StoredLoops, storedLoopCounts, storedLoopsByVersion } from './loops.ts'
import { buildFromInterpreter } from './measure.ts'

// Stored loop counts by workload version: a workload whose version carries its stack (system
// packages, BLAS kernel variables; docs/decisions/0004) reuses the count of the same stack.

/** The minimum value duration of measureSystemMatmul. */
const MIN_TIME_S = 0.01

function withLoops(name: string, version: string, loops: number): WorkloadResult {
  const [result] = exampleRunWithResults({}, { workloads: [name], result: { version } }).results
  return { ...result!, loops }
}

test('storedLoopsByVersion() keeps the newest count of each workload version; storedLoopCounts() picks by version', async () => {
  const store = await openSqliteStore(':memory:')
  const spec = (day: string) =>
    exampleRunSpec({ startedAt: `2024-10-0${day}T10:00:00.000Z`, metadata: { min_time_s: MIN_TIME_S } })
  // Oldest first: stack A at 8 loops, then stack B at 2, then stack A again at 16 (the newest of A).
  for (const [day, version, loops] of [
    ['1', 'stackA000000', 8],
    ['2', 'stackB000000', 2],
    ['3', 'stackA000000', 16],
  ] as const) {
    await store.insertRuns([
      {
        run: spec(day),
        status: 'complete',
        finishedAt: `2024-10-0${day}T10:30:00.000Z`,
        results: [withLoops('np_matmul', version, loops), withLoops('nbody', 'plain0000000', 4)],
      },
    ])
  }
  const query = { identity: exampleBuild().identity, machine: 'bench-1', minTimeS: MIN_TIME_S }
  const byVersion = await storedLoopsByVersion(store, query)
  assert.ok(byVersion)
  assert.deepEqual(
    [...(byVersion.get('np_matmul') ?? [])],
    [
      ['stackA000000', 16],
      ['stackB000000', 2],
    ],
  )
  assert.deepEqual([...(byVersion.get('nbody') ?? [])], [['plain0000000', 4]])
  assert.deepEqual(
    await storedLoopCounts(store, { ...query, versions: new Map([['np_matmul', 'stackB000000']]) }),
    { np_matmul: 2 },
  )
  assert.deepEqual(await storedLoopCounts(store, query), { np_matmul: 16, nbody: 4 }, 'newest of any version')
  assert.equal(await storedLoopsByVersion(store, { ...query, minTimeS: 0.1 }), undefined)
  await store.close()
})

// The suite's side: Debian's python3-numpy on two BLAS variants (.ci/run installs them).
function skip(): string | false {
  const why = systemNumpySkip()
  if (why) return why
  for (const v of ['reference', 'openblas'] as const) {
    try {
      resolveBlas(v)
    } catch (error) {
      return (error as Error).message
    }
  }
  return false
}

test('a system-packages workload reuses the loops stored under its stack, and calibrates on another stack', {
  skip: skip(),
}, async () => {
  const { interpreters } = await discoverInterpreters({ explicit: [SYSTEM_PYTHON] })
  const store = await openSqliteStore(':memory:')
  const measure = async (blas: BlasChoice, stored: StoredLoops | undefined): Promise<WorkloadResult> => {
    const r = await measureSystemMatmul(blas, stored ? { frozenLoopsByInterpreter: [stored] } : {})
    assert.equal(r.outcome.state, 'measured', JSON.stringify(r.outcome))
    return r
  }
  const build = buildFromInterpreter(interpreters[0]!)
  const query = { identity: build.identity, machine: 'bench-1', minTimeS: MIN_TIME_S }
  const reference = resolveBlas('reference')
  const first = await measure(reference, undefined)
  assert.ok(!('frozen_loops' in (first.metadata.calibration as object)), 'the first run calibrates')
  // Stored as a run of that build would store it; a count no calibration would pick, to see it reused.
  const stored = { ...first, loops: first.loops * 2 + 1 }
  await store.insertRuns([
    {
      run: exampleRunSpec({ build, metadata: { min_time_s: MIN_TIME_S } }),
      status: 'complete',
      finishedAt: '2024-10-01T10:30:00.000Z',
      results: [stored],
    },
  ])
  const loops = await storedLoopsByVersion(store, query)
  const again = await measure(reference, loops)
  assert.equal(again.workload.version, first.workload.version, 'the same stack, the same version')
  assert.equal(again.loops, stored.loops)
  assert.deepEqual(again.metadata.calibration, { frozen_loops: stored.loops })
  const other = await measure(resolveBlas('openblas'), loops)
  assert.notEqual(other.workload.version, first.workload.version)
  assert.ok(!('frozen_loops' in (other.metadata.calibration as object)), 'another stack calibrates')
  await store.close()
})
