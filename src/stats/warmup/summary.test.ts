import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createRng } from '../../lib/index.ts'
import type { ProcessClass, WorkloadClass } from '../../model/index.ts'
import { normalSample } from '../synthetic.ts'
import { classifyProcess } from './classify.ts'
import { summarizeWarmup, workloadClass } from './summary.ts'

const WORKLOAD_CASES: readonly (readonly [readonly ProcessClass[], WorkloadClass | undefined])[] = [
  [['flat', 'flat', 'flat'], 'flat'],
  [['warmup', 'warmup'], 'warmup'],
  [['slowdown'], 'slowdown'],
  [['no-steady-state', 'no-steady-state'], 'no-steady-state'],
  [['flat', 'warmup', 'warmup'], 'good-inconsistent'],
  [['warmup', 'slowdown'], 'bad-inconsistent'],
  [['flat', 'no-steady-state'], 'bad-inconsistent'],
  [['flat', 'warmup', 'slowdown', 'no-steady-state'], 'bad-inconsistent'],
  [[], undefined],
]

test('workloadClass(): all alike → that class; flat and warm-up → good inconsistent; else bad', () => {
  for (const [classes, expected] of WORKLOAD_CASES)
    assert.equal(workloadClass(classes), expected, classes.join(' '))
})

/** A warm-up of `warm` iterations at 3× then 270 steady at `steady`. */
function warmup(seed: number, warm: number, steady = 1): number[] {
  const rng = createRng(seed)
  return [
    ...normalSample(rng, warm, { mean: 3 * steady, sd: 0.1 * steady }),
    ...normalSample(rng, 300 - warm, { mean: steady, sd: 0.03 * steady }),
  ]
}

test('summarizeWarmup() gives the median steady iteration, the time before it and the steady mean', () => {
  const processes = [20, 25, 30, 35, 40].map((warm, i) => classifyProcess(warmup(i + 1, warm)))
  const s = summarizeWarmup(processes, { rng: createRng(1) })
  assert.equal(s.kind, 'warmup')
  if (s.kind !== 'warmup') return
  assert.equal(s.class, 'warmup')
  assert.deepEqual(s.counts, { flat: 0, warmup: 5, slowdown: 0, 'no-steady-state': 0 })
  assert.equal(s.steady.kind, 'steady')
  if (s.steady.kind !== 'steady') return
  assert.equal(s.steady.iteration.kind, 'interval')
  if (s.steady.iteration.kind !== 'interval') return
  assert.equal(s.steady.iteration.estimate, 31)
  assert.ok(s.steady.iteration.low >= 21 && s.steady.iteration.high <= 41)
  assert.ok(s.steady.before.kind === 'interval' && Math.abs(s.steady.before.estimate - 90) < 3)
  assert.ok(s.steady.mean.kind === 'interval')
  if (s.steady.mean.kind !== 'interval') return
  assert.ok(s.steady.mean.low < 1 && s.steady.mean.high > 1 && Math.abs(s.steady.mean.estimate - 1) < 0.01)
})

test('summarizeWarmup() gives the same intervals for the same seed', () => {
  const processes = [20, 30, 40].map((warm, i) => classifyProcess(warmup(i + 1, warm)))
  assert.deepEqual(
    summarizeWarmup(processes, { rng: createRng(9) }),
    summarizeWarmup(processes, { rng: createRng(9) }),
  )
})

test('summarizeWarmup(): a process without a steady state makes it a status, never a number', () => {
  const rng = createRng(4)
  const never = classifyProcess([
    ...normalSample(rng, 250, { mean: 1, sd: 0.03 }),
    ...normalSample(rng, 50, { mean: 1.5, sd: 0.05 }),
  ])
  assert.equal(never.class, 'no-steady-state')
  const s = summarizeWarmup([classifyProcess(warmup(1, 30)), never], { rng: createRng(1) })
  assert.equal(s.kind, 'warmup')
  if (s.kind !== 'warmup') return
  assert.equal(s.class, 'bad-inconsistent')
  assert.deepEqual(s.steady, { kind: 'no-steady-state', processes: 1 })
})

test('summarizeWarmup() is insufficient without processes, its intervals with one', () => {
  assert.equal(summarizeWarmup([], { rng: createRng(1) }).kind, 'insufficient')
  const one = summarizeWarmup([classifyProcess(warmup(1, 30))], { rng: createRng(1) })
  assert.ok(one.kind === 'warmup' && one.steady.kind === 'steady' && one.steady.mean.kind === 'insufficient')
})
