import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createRng, LangperfError } from '../../lib/index.ts'
import type { ProcessClass } from '../../model/index.ts'
import { normalSample } from '../synthetic.ts'
import { classifyProcess } from './classify.ts'

// Hand-made series with known segments: each stretch is [iterations, mean, sd] of seeded normal
// noise; `spikes` put single slow iterations (a collection, a neighbour's burst) at given places.

type Stretch = readonly [iterations: number, mean: number, sd: number]

interface Case {
  readonly name: string
  readonly stretches: readonly Stretch[]
  readonly spikes?: readonly (readonly [index: number, factor: number])[]
  readonly class: ProcessClass
  /** The first steady iteration (from 1), ± tolerance; absent for no steady state. */
  readonly steady?: readonly [iteration: number, tolerance: number]
  /** How many change points PELT must find (before merging), when the case pins it. */
  readonly changepoints?: number
  /** How many segments remain after merging equivalent neighbours. */
  readonly segments?: number
}

const CASES: readonly Case[] = [
  { name: 'flat', stretches: [[300, 1, 0.03]], class: 'flat', steady: [1, 0], changepoints: 0, segments: 1 },
  {
    name: 'a clear warm-up: 30 iterations at 3× then steady',
    stretches: [
      [30, 3, 0.1],
      [270, 1, 0.03],
    ],
    class: 'warmup',
    steady: [31, 0],
    segments: 2,
  },
  {
    name: 'a warm-up in steps (4×, 2×, 1×)',
    stretches: [
      [10, 4, 0.2],
      [40, 2, 0.05],
      [250, 1, 0.03],
    ],
    class: 'warmup',
    steady: [51, 0],
    segments: 3,
  },
  {
    name: "a JIT's first iterations far slower, inside the first outlier window",
    stretches: [
      [1, 20, 0],
      [1, 10, 0],
      [1, 5, 0],
      [2, 3, 0.05],
      [295, 1, 0.02],
    ],
    class: 'warmup',
    steady: [6, 0],
  },
  {
    name: 'a slow-down: +30 % from iteration 151',
    stretches: [
      [150, 1, 0.03],
      [150, 1.3, 0.04],
    ],
    class: 'slowdown',
    steady: [151, 0],
    segments: 2,
  },
  {
    name: 'warm-up then slow-down: the last segment is slower than the fastest',
    stretches: [
      [20, 2, 0.1],
      [120, 1, 0.02],
      [160, 1.15, 0.02],
    ],
    class: 'slowdown',
    steady: [141, 0],
    segments: 3,
  },
  {
    name: 'no steady state: the last segment is 50 of 300 iterations (under 25 %)',
    stretches: [
      [250, 1, 0.03],
      [50, 1.5, 0.05],
    ],
    class: 'no-steady-state',
  },
  {
    name: 'a steady state of exactly 25 % is one',
    stretches: [
      [225, 2, 0.05],
      [75, 1, 0.03],
    ],
    class: 'warmup',
    steady: [226, 0],
  },
  {
    name: 'outliers (single and paired spikes) create no segment',
    stretches: [[300, 1, 0.02]],
    spikes: [
      [40, 4],
      [77, 6],
      [78, 5],
      [150, 3],
      [220, 8],
      [221, 8],
      [290, 4],
    ],
    class: 'flat',
    steady: [1, 0],
    changepoints: 0,
    segments: 1,
  },
  {
    name: 'spikes in the steady state do not move a warm-up',
    stretches: [
      [40, 2.5, 0.1],
      [260, 1, 0.03],
    ],
    spikes: [
      [60, 5],
      [120, 7],
      [121, 7],
      [299, 5],
    ],
    class: 'warmup',
    steady: [41, 0],
  },
  {
    name: 'a change of variance alone is merged away: flat',
    stretches: [
      [150, 1, 0.005],
      [150, 1, 0.05],
    ],
    class: 'flat',
    steady: [1, 0],
    changepoints: 1,
    segments: 1,
  },
  {
    name: 'a shift under 1 % is equivalent: flat',
    stretches: [
      [150, 1, 0.001],
      [150, 1.006, 0.001],
    ],
    class: 'flat',
    steady: [1, 0],
    changepoints: 1,
    segments: 1,
  },
  {
    name: 'a bump in the middle: the last segment is the fastest again, so warm-up (the paper’s rule)',
    stretches: [
      [100, 1, 0.02],
      [100, 1.4, 0.03],
      [100, 1, 0.02],
    ],
    class: 'warmup',
    steady: [201, 0],
    segments: 3,
  },
]

function series(c: Case, seed: number): number[] {
  const rng = createRng(seed)
  const values = c.stretches.flatMap(([n, mean, sd]) => normalSample(rng, n, { mean, sd }))
  for (const [i, factor] of c.spikes ?? []) values[i] = values[i]! * factor
  return values
}

for (const c of CASES) {
  test(`classifyProcess(): ${c.name}`, () => {
    // Five seeds each: the verdict must not hang on one draw of the noise.
    for (const seed of [1, 2, 3, 4, 5]) {
      const values = series(c, seed)
      const p = classifyProcess(values)
      const where = `seed ${seed}: ${p.class}, change points ${p.changepoints.join(' ')}, outliers ${p.outliers.join(' ')}`
      assert.equal(p.class, c.class, where)
      if (c.changepoints !== undefined) assert.equal(p.changepoints.length, c.changepoints, where)
      if (c.segments !== undefined) assert.equal(p.segments.length, c.segments, where)
      if (p.class === 'no-steady-state') {
        assert.equal('steady' in p, false)
        continue
      }
      const [iteration, tolerance] = c.steady!
      assert.ok(
        Math.abs(p.steady.iteration - iteration) <= tolerance,
        `${where}; steady ${p.steady.iteration}`,
      )
      const start = p.steady.iteration - 1
      const sum = values.slice(0, start).reduce((a, b) => a + b, 0)
      assert.ok(Math.abs(p.steady.before - sum) < 1e-9)
      for (const [i] of c.spikes ?? []) if (i >= 30) assert.ok(p.outliers.includes(i), `${where}; spike ${i}`)
    }
  })
}

test('classifyProcess() reports the steady mean without outliers and the time before it', () => {
  const values = [...Array(10).fill(3), ...Array(90).fill(1)]
  values[60] = 10
  const p = classifyProcess(values)
  assert.equal(p.class, 'warmup')
  assert.deepEqual(p.outliers, [60])
  assert.equal(p.steady.iteration, 11)
  assert.equal(p.steady.before, 30)
  assert.equal(p.steady.mean, 1)
})

test('classifyProcess() refuses series it cannot classify', () => {
  assert.throws(() => classifyProcess([1, 2, 3]), LangperfError)
  assert.throws(() => classifyProcess([1, 2, 0, 3, 4]), LangperfError)
  assert.throws(() => classifyProcess([1, 2, Number.NaN, 3, 4]), LangperfError)
})
