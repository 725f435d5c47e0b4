import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createRng, type Rng } from '../lib/index.ts'
import { mean, variance } from '../stats/index.ts'
import {
  classifyPosition,
  compareEnds,
  judgeCulprit,
  judgeMidpoint,
  midpointPosition,
  poolPositions,
} from './verdict.ts'

/** n process means around `level` with relative noise `sd` (Box–Muller on a seeded RNG). */
function processMeans(rng: Rng, level: number, n: number, sd = 0.01): number[] {
  return Array.from({ length: n }, () => {
    const z = Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng())
    return level * Math.exp(sd * z)
  })
}

test('midpointPosition() gives f = 0 for a midpoint equal to the good end and 1 for one equal to the bad end', () => {
  const rng = createRng(1)
  const good = processMeans(rng, 1, 10)
  const bad = processMeans(rng, 1.5, 10)
  assert.equal(midpointPosition(good, good, bad)!.f, 0)
  assert.equal(midpointPosition(good, bad, bad)!.f, 1)
})

test('midpointPosition() matches the delta method computed by numerical derivatives', () => {
  const rng = createRng(7)
  const good = processMeans(rng, 1, 8, 0.03)
  const mid = processMeans(rng, 1.2, 12, 0.05)
  const bad = processMeans(rng, 1.45, 10, 0.02)
  const p = midpointPosition(good, mid, bad)!
  // Reference: f(ℓg, ℓm, ℓb) differentiated numerically, Var f = Σ (∂f/∂ℓx)² · var(log x)/n.
  const moments = [good, mid, bad].map((xs) => {
    const logs = xs.map(Math.log)
    return { m: mean(logs), v: variance(logs) / logs.length }
  })
  const f = (g: number, m: number, b: number) => (m - g) / (b - g)
  const at = moments.map((x) => x.m) as [number, number, number]
  const h = 1e-6
  let varF = 0
  for (let i = 0; i < 3; i++) {
    const up = [...at] as [number, number, number]
    const down = [...at] as [number, number, number]
    up[i] = (up[i] as number) + h
    down[i] = (down[i] as number) - h
    const d = (f(...up) - f(...down)) / (2 * h)
    varF += d * d * moments[i]!.v
  }
  assert.ok(Math.abs(p.f - f(...at)) < 1e-12)
  assert.ok(Math.abs(p.stderr - Math.sqrt(varF)) / Math.sqrt(varF) < 1e-6)
  assert.ok(p.low < p.f && p.f < p.high)
})

test('midpointPosition() has an interval that covers the true position about as often as it claims', () => {
  // 400 seeded trials of a midpoint truly at f = 0.3 with 20 processes a side: a 99 % interval
  // should miss about 4 times; the delta method is first-order, so allow up to 3 %.
  const rng = createRng(2024)
  let misses = 0
  const trials = 400
  for (let i = 0; i < trials; i++) {
    const good = processMeans(rng, 1, 20, 0.02)
    const mid = processMeans(rng, Math.exp(0.3 * Math.log(1.3)), 20, 0.02)
    const bad = processMeans(rng, 1.3, 20, 0.02)
    const p = midpointPosition(good, mid, bad)!
    if (p.low > 0.3 || p.high < 0.3) misses++
  }
  assert.ok(misses / trials < 0.03, `missed ${misses} of ${trials}`)
})

test('midpointPosition() answers null when a side has fewer than 2 values or the ends are equal', () => {
  assert.equal(midpointPosition([1], [1, 1.1], [2, 2.1]), null)
  assert.equal(midpointPosition([1, 1], [1, 1.1], [1, 1]), null)
  assert.equal(midpointPosition([1, 1.1], [1, -1], [2, 2.1]), null)
})

test('classifyPosition() needs the whole interval on one side of one half', () => {
  assert.equal(classifyPosition({ f: 0.1, stderr: 0.1, dof: 10, low: -0.1, high: 0.3 }), 'like-good')
  assert.equal(classifyPosition({ f: 0.9, stderr: 0.1, dof: 10, low: 0.7, high: 1.1 }), 'like-bad')
  assert.equal(classifyPosition({ f: 0.4, stderr: 0.1, dof: 10, low: 0.2, high: 0.6 }), 'undecided')
})

test('compareEnds() says the ends differ only when the interval of their ratio excludes 1', () => {
  const rng = createRng(3)
  const good = processMeans(rng, 1, 10)
  assert.equal(compareEnds(good, processMeans(rng, 1.3, 10))!.differ, true)
  const same = compareEnds(good, processMeans(rng, 1, 10))!
  assert.equal(same.differ, false)
  assert.ok(same.ratioLow < 1 && same.ratioHigh > 1)
  assert.equal(compareEnds([1], [2, 2]), null)
})

test('poolPositions() weights each estimate by its inverse variance', () => {
  const pooled = poolPositions([
    { f: 0, stderr: 0.1, dof: 20, low: 0, high: 0 },
    { f: 1, stderr: 0.2, dof: 10, low: 0, high: 0 },
  ])!
  // Weights 100 and 25: (0·100 + 1·25) / 125 = 0.2; stderr = 1/√125.
  assert.ok(Math.abs(pooled.f - 0.2) < 1e-12)
  assert.ok(Math.abs(pooled.stderr - 1 / Math.sqrt(125)) < 1e-12)
  assert.equal(pooled.dof, 10)
  assert.equal(poolPositions([]), null)
})

test('judgeMidpoint() pools the workloads whose ends differ and ignores the others', () => {
  const rng = createRng(11)
  const triple = (workload: string, badLevel: number, midLevel: number) => ({
    workload,
    good: processMeans(rng, 1, 10),
    mid: processMeans(rng, midLevel, 10),
    bad: processMeans(rng, badLevel, 10),
  })
  const likeBad = judgeMidpoint([triple('calls', 1.6, 1.6), triple('flat', 1, 1.01)])
  assert.equal(likeBad.verdict, 'like-bad')
  assert.equal(likeBad.split, false)
  assert.equal(likeBad.workloads.find((w) => w.workload === 'flat')!.position, null)
  assert.equal(judgeMidpoint([triple('calls', 1.6, 1), triple('gen', 1.3, 1)]).verdict, 'like-good')
  assert.equal(judgeMidpoint([triple('flat', 1, 1), triple('flat2', 1, 1.2)]).verdict, 'ends-same')
})

test('judgeMidpoint() lets the primary workload decide when workloads are clearly on opposite sides', () => {
  const rng = createRng(12)
  const a = {
    workload: 'a',
    good: processMeans(rng, 1, 10),
    mid: processMeans(rng, 1, 10),
    bad: processMeans(rng, 1.5, 10),
  }
  const b = {
    workload: 'b',
    good: processMeans(rng, 1, 10),
    mid: processMeans(rng, 1.5, 10),
    bad: processMeans(rng, 1.5, 10),
  }
  const v = judgeMidpoint([a, b], { primary: 'b' })
  assert.equal(v.split, true)
  assert.equal(v.verdict, 'like-bad')
  assert.equal(judgeMidpoint([a, b], { primary: 'a' }).verdict, 'like-good')
})

test('judgeCulprit() confirms a change in the direction the ends moved and rejects the opposite one', () => {
  const rng = createRng(5)
  const parent = processMeans(rng, 1, 10)
  const slower = processMeans(rng, 1.4, 10)
  assert.equal(judgeCulprit([{ workload: 'w', parent, child: slower, expectedSign: 1 }]).verdict, 'confirmed')
  assert.equal(
    judgeCulprit([{ workload: 'w', parent, child: slower, expectedSign: -1 }]).verdict,
    'contradicted',
  )
  const same = judgeCulprit([{ workload: 'w', parent, child: processMeans(rng, 1, 10), expectedSign: 1 }])
  assert.equal(same.verdict, 'undecided')
  assert.ok(same.pooled!.low < 0 && same.pooled!.high > 0)
  assert.equal(
    judgeCulprit([{ workload: 'w', parent: [1], child: [2], expectedSign: 1 }]).verdict,
    'undecided',
  )
})

test('compareEnds() with interleaved rounds is a t interval of the round-by-round log ratios', () => {
  // Log ratios 0.1, 0.2, 0.3: mean 0.2, sd 0.1, n 3 (scipy.stats.ttest_1samp([0.1, 0.2, 0.3], 0) → t = 3.4641).
  const e = compareEnds([1, 1, 1], [Math.exp(0.1), Math.exp(0.2), Math.exp(0.3)], { interleaved: true })!
  assert.ok(Math.abs(e.logRatio - 0.2) < 1e-12)
  assert.ok(Math.abs(e.stderr - 0.1 / Math.sqrt(3)) < 1e-12)
  assert.equal(e.dof, 2)
})

test('judgeMidpoint() and judgeCulprit() with interleaved rounds see through load that hits every build of a round alike', () => {
  // Each round's load (±30 %) multiplies good, midpoint and bad alike; the bad end is 20 % slower
  // and the midpoint is like the good end; 2 % noise of their own.
  const r = createRng(18)
  const z = () => Math.sqrt(-2 * Math.log(Math.max(r(), 1e-12))) * Math.cos(2 * Math.PI * r())
  const load = Array.from({ length: 12 }, () => Math.exp(0.3 * z()))
  const side = (level: number) => load.map((l) => level * l * Math.exp(0.02 * z()))
  const triple = { workload: 'nbody', good: side(1), mid: side(1), bad: side(1.2) }
  assert.equal(judgeMidpoint([triple]).verdict, 'ends-same', 'as independent samples the load hides the step')
  const v = judgeMidpoint([triple], { interleaved: true })
  assert.equal(v.verdict, 'like-good')
  const c = judgeCulprit([{ workload: 'nbody', parent: triple.mid, child: triple.bad, expectedSign: 1 }], {
    interleaved: true,
  })
  assert.equal(c.verdict, 'confirmed')
})
