import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createRng, LangperfError, type Rng } from '../../lib/index.ts'
import { normalSample } from '../synthetic.ts'
import { MeanVarCost, peltMeanVar, segmentationCost, warmupPenalty } from './pelt.ts'

/** Optimal partitioning (Jackson et al. 2005): every last change point tried, nothing pruned. */
function optimalPartitioning(values: readonly number[], penalty: number, minSegment: number): number[] {
  const n = values.length
  const cost = new MeanVarCost(values)
  const best = [-penalty]
  const last = [0]
  for (let t = 1; t <= n; t++) {
    best[t] = Number.POSITIVE_INFINITY
    last[t] = 0
    for (let tau = 0; tau <= t - minSegment; tau++) {
      if (tau > 0 && tau < minSegment) continue
      const v = best[tau]! + cost.cost(tau, t) + penalty
      if (v < best[t]!) {
        best[t] = v
        last[t] = tau
      }
    }
  }
  const out: number[] = []
  for (let t = n; t > 0; t = last[t]!) if (last[t]! > 0) out.push(last[t]!)
  return out.reverse()
}

/** A series of normal stretches: [length, mean, sd] each. */
function stretches(rng: Rng, parts: readonly (readonly [number, number, number])[]): number[] {
  return parts.flatMap(([n, mean, sd]) => normalSample(rng, n, { mean, sd }))
}

test('MeanVarCost.cost() is m · (ln σ̂² + 1) on values scaled by their median', () => {
  // By hand: [1, 3] has median 2; scaled, [0.5, 1.5], σ̂² = 0.25 (divisor m), so 2 · (ln 0.25 + 1).
  const cost = new MeanVarCost([1, 3])
  assert.ok(Math.abs(cost.cost(0, 2) - 2 * (Math.log(0.25) + 1)) < 1e-12)
  // [2, 4, 6] (median 4): scaled [0.5, 1, 1.5], σ̂² = 1/6.
  assert.ok(Math.abs(new MeanVarCost([2, 4, 6]).cost(0, 3) - 3 * (Math.log(1 / 6) + 1)) < 1e-12)
})

test('MeanVarCost.cost() of equal values is finite: the variance is held at its floor', () => {
  const cost = new MeanVarCost([5, 5, 5, 5])
  assert.ok(Number.isFinite(cost.cost(0, 4)))
  assert.equal(cost.cost(0, 4), 4 * Math.log(1e-12))
})

test('peltMeanVar() finds the exact step of a noise-free series and none in a constant one', () => {
  const step = [...Array(10).fill(1), ...Array(10).fill(2)]
  assert.deepEqual(peltMeanVar(step, { penalty: warmupPenalty(20) }), [10])
  assert.deepEqual(peltMeanVar(Array(30).fill(3), { penalty: warmupPenalty(30) }), [])
  assert.deepEqual(peltMeanVar([1, 2, 3], { penalty: 1 }), [])
})

test('peltMeanVar() gives the same change points as optimal partitioning on 40 seeded series', () => {
  const rng = createRng(11)
  for (let k = 0; k < 40; k++) {
    const series = stretches(rng, [
      [5 + Math.floor(rng() * 30), 1 + rng(), 0.02 + 0.1 * rng()],
      [5 + Math.floor(rng() * 30), 1 + rng(), 0.02 + 0.1 * rng()],
      [5 + Math.floor(rng() * 30), 1 + rng(), 0.02 + 0.1 * rng()],
    ]).map(Math.abs)
    for (const minSegment of [2, 5]) {
      // A small penalty as well as Barrett et al.'s, so pruning is exercised with many segments.
      for (const penalty of [warmupPenalty(series.length), 3]) {
        const pelt = peltMeanVar(series, { penalty, minSegment })
        const exact = optimalPartitioning(series, penalty, minSegment)
        const a = segmentationCost(series, pelt, penalty)
        const b = segmentationCost(series, exact, penalty)
        assert.ok(Math.abs(a - b) < 1e-9, `series ${k}, min ${minSegment}, β ${penalty}: ${a} vs ${b}`)
        assert.deepEqual(pelt, exact, `series ${k}, min ${minSegment}, β ${penalty}`)
        for (let i = 1; i < pelt.length; i++) assert.ok(pelt[i]! - pelt[i - 1]! >= minSegment)
      }
    }
  }
})

test('peltMeanVar() finds a change in variance alone', () => {
  const rng = createRng(3)
  const series = stretches(rng, [
    [150, 1, 0.01],
    [150, 1, 0.1],
  ])
  const found = peltMeanVar(series, { penalty: warmupPenalty(series.length) })
  assert.equal(found.length, 1)
  assert.ok(Math.abs(found[0]! - 150) <= 5, `found ${found[0]}`)
})

test('peltMeanVar() refuses non-finite values and bad options', () => {
  assert.throws(() => peltMeanVar([1, Number.NaN, 2, 3], { penalty: 1 }), LangperfError)
  assert.throws(() => peltMeanVar([1, 2, 3, 4], { penalty: -1 }), LangperfError)
  assert.throws(() => peltMeanVar([1, 2, 3, 4], { penalty: 1, minSegment: 0 }), LangperfError)
})
