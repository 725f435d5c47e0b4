import assert from 'node:assert/strict'
import { test } from 'node:test'
import { exampleRunWithResults, exampleWarmupRun, openSqliteStore } from '../store/index.ts'
import { MIN_WARMUP_ITERATIONS, warmupOfRun } from './warmup.ts'

test('warmupOfRun() classifies each workload of a warm-up run from its stored samples', async () => {
  const store = await openSqliteStore(':memory:')
  try {
    const [id] = await store.insertRuns([exampleWarmupRun()])
    const report = await warmupOfRun(store, id!)
    const byName = new Map(report.workloads.map((w) => [w.workload.name, w]))
    const warm = byName.get('jit_warm')!
    assert.equal(warm.state, 'classified')
    if (warm.state !== 'classified') return
    assert.equal(warm.class, 'warmup')
    assert.equal(warm.counts.warmup, 4)
    assert.ok(warm.steady.kind === 'steady' && warm.steady.iteration.kind === 'interval')
    if (warm.steady.kind !== 'steady' || warm.steady.iteration.kind !== 'interval') return
    assert.equal(warm.steady.iteration.estimate, 21)
    // 20 iterations of about 3 ms before the steady state: loops 1 × inner loops 1, in seconds.
    assert.ok(
      warm.steady.timeToSteady.kind === 'interval' &&
        Math.abs(warm.steady.timeToSteady.estimate - 0.06) < 0.003,
    )
    const steady = byName.get('steady')!
    assert.ok(steady.state === 'classified' && steady.class === 'flat')
    const late = byName.get('late')!
    assert.equal(late.state, 'classified')
    if (late.state !== 'classified') return
    assert.equal(late.class, 'bad-inconsistent')
    assert.deepEqual(late.steady, { kind: 'no-steady-state', processes: 1 })
    assert.equal(late.processes[3]!.class, 'no-steady-state')
    assert.equal(late.processes[3]!.steady, null)
  } finally {
    await store.close()
  }
})

test('warmupOfRun() says why a run of a few values per process cannot be classified', async () => {
  const store = await openSqliteStore(':memory:')
  try {
    const [id] = await store.insertRuns([exampleRunWithResults({}, { workloads: ['nbody'] })])
    const [w] = (await warmupOfRun(store, id!)).workloads
    assert.equal(w!.state, 'not-classified')
    if (w!.state !== 'not-classified') return
    assert.match(
      w!.reason,
      new RegExp(`Too few iterations per process to classify \\(3; at least ${MIN_WARMUP_ITERATIONS}\\)`),
    )
  } finally {
    await store.close()
  }
})
