import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createRng } from '../lib/index.ts'
import { growPair, type PairMeasure, type PairRoundMeans } from './pair-growth.ts'

// The adaptive pair's loop with synthetic builds: log-normal process means around each build's
// level, seeded, as a noisy shared machine gives them.

function synthetic(
  levels: { reference: Record<string, number>; candidate: Record<string, number> },
  spread: number,
  seed: number,
) {
  const rng = createRng(seed)
  const normal = () => Math.sqrt(-2 * Math.log(Math.max(rng(), 1e-12))) * Math.cos(2 * Math.PI * rng())
  const draw = (level: number, n: number) =>
    Array.from({ length: n }, () => level * Math.exp(spread * normal()))
  const calls: { workloads: readonly string[]; processes: number; round: number }[] = []
  const round = (workloads: readonly string[], n: number): PairRoundMeans => ({
    reference: new Map(workloads.map((w) => [w, draw(levels.reference[w]!, n)])),
    candidate: new Map(workloads.map((w) => [w, draw(levels.candidate[w]!, n)])),
  })
  const measure: PairMeasure = async (workloads, processes, r) => {
    calls.push({ workloads, processes, round: r })
    return round(workloads, processes)
  }
  return { calls, measure, first: (n: number) => round(Object.keys(levels.reference), n) }
}

const STEP = { reference: { nbody: 0.01, generators: 0.02 }, candidate: { nbody: 0.012, generators: 0.02 } }

test('growPair() measures only undecided workloads again, doubling their processes, until decided', async () => {
  // 6 % process spread: 6 processes cannot rule out 10 %, 24 can.
  let grew = 0
  for (let seed = 1; seed <= 20; seed++) {
    const s = synthetic(STEP, 0.06, seed)
    const g = await growPair(s.measure, s.first(6), { budget: 3, startProcesses: 6, threshold: 0.1 })
    assert.equal(g.states.nbody, 'change', `seed ${seed}`)
    assert.notEqual(g.states.generators, 'change', `seed ${seed}`)
    // Processes: 6, then 6 more, then 12 more; only workloads undecided before the round.
    assert.deepEqual(
      s.calls.map((c) => c.processes),
      [6, 12].slice(0, s.calls.length),
    )
    for (const [i, c] of s.calls.entries()) assert.equal(c.round, i + 2)
    assert.equal(g.rounds, 1 + s.calls.length)
    assert.equal(g.budgetExhausted, g.undecided.length > 0)
    assert.equal(
      g.addedProcesses,
      s.calls.reduce((sum, c) => sum + 2 * c.processes * c.workloads.length, 0),
    )
    if (s.calls.length > 0) grew++
  }
  assert.ok(grew > 0, 'six processes a side left some pair undecided')
})

test('growPair() says which workloads the budget left undecided', async () => {
  // 25 % spread: even 24 processes cannot rule out 10 %.
  const s = synthetic({ reference: { a: 1 }, candidate: { a: 1 } }, 0.25, 3)
  const g = await growPair(s.measure, s.first(6), { budget: 3, startProcesses: 6, threshold: 0.1 })
  assert.equal(g.rounds, 3)
  assert.deepEqual(g.undecided, ['a'])
  assert.equal(g.budgetExhausted, true)
  assert.equal(g.processes.a, 24)
})

test('growPair() with a budget of one round measures nothing more', async () => {
  const s = synthetic({ reference: { a: 1 }, candidate: { a: 1 } }, 0.25, 4)
  const g = await growPair(s.measure, s.first(6), { budget: 1, startProcesses: 6 })
  assert.equal(s.calls.length, 0)
  assert.equal(g.rounds, 1)
  assert.equal(g.addedProcesses, 0)
  assert.deepEqual(g.undecided, ['a'])
})

test('growPair() stops between rounds when interrupted, and rejects a budget below one', async () => {
  const s = synthetic({ reference: { a: 1 }, candidate: { a: 1 } }, 0.25, 6) // seed 5 draws one of the 1 % of equal pairs a 99 % interval calls different
  const controller = new AbortController()
  controller.abort()
  const g = await growPair(s.measure, s.first(6), {
    budget: 3,
    startProcesses: 6,
    threshold: 0.01,
    signal: controller.signal,
  })
  assert.equal(g.interrupted, true)
  assert.equal(s.calls.length, 0)
  await assert.rejects(
    growPair(s.measure, s.first(6), { budget: 0, startProcesses: 6 }),
    /budget "0": expected an integer ≥ 1/,
  )
})
