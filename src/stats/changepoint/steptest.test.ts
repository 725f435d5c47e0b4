import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { MeasuredSeries } from './noise.ts'
import { kurtosisDof, stepTest } from './steptest.ts'
import { resolveOptions } from './types.ts'

function context(y: readonly number[], variance: number, noiseDof: number, tailDof: number) {
  const series: MeasuredSeries = {
    y: Float64Array.from(y),
    pointIndex: Int32Array.from(y.map((_, i) => i)),
    builds: Int32Array.from(y.map(() => 1)),
    logStderr: Float64Array.from(y.map(() => Number.NaN)),
    blocks: [{ start: 0, end: y.length, epoch: 'e' }],
  }
  return {
    series,
    variances: Float64Array.from(y.map(() => variance)),
    noise: {
      buildSigmaLog: Math.sqrt(variance),
      withinSigmaLog: 0,
      extraSigmaLog: Math.sqrt(variance),
      differences: 0,
      dof: noiseDof,
      floorLog: 0.01,
    },
    options: resolveOptions({ tailDof }),
  }
}

test("stepTest() without a noise prior and with light tails is Student's pooled t-test", () => {
  // scipy.stats.ttest_ind([1, 2, 3, 4], [3, 4, 5, 6, 7]) → t = -2.545875386086578, p = 0.03833372883603092
  const ctx = context([1, 2, 3, 4, 3, 4, 5, 6, 7], 100, 0, 1e9)
  const step = stepTest(ctx, { start: 0, end: 4 }, { start: 4, end: 9 })
  assert.ok(Math.abs(step.logRatio - 2.5) < 1e-12)
  assert.ok(Math.abs(step.logRatio / step.logStderr - 2.545875386086578) < 1e-9)
  assert.ok(Math.abs(step.pValue - 0.03833372883603092) < 1e-9)
  assert.ok(Math.abs(step.dof - 7) < 1e-6)
  // 95 % interval: Δ ± t(0.975, 7) · SE, t(0.975, 7) = 2.364624251592785 (scipy.stats.t.ppf)
  const half = 2.364624251592785 * step.logStderr
  assert.ok(Math.abs(Math.log(step.ratioHigh) - (2.5 + half)) < 1e-6)
  assert.ok(Math.abs(Math.log(step.ratioLow) - (2.5 - half)) < 1e-6)
})

test('stepTest() pools the noise prior with the segments, as a moderated t-test', () => {
  // Prior variance 1 with 10 dof, segments with no spread at all: φ = (10 + 0) / (10 + 2) = 5/6.
  const ctx = context([0, 0, 1, 1], 1, 10, 1e9)
  const step = stepTest(ctx, { start: 0, end: 2 }, { start: 2, end: 4 })
  assert.ok(Math.abs(step.logStderr - Math.sqrt((5 / 6) * (1 / 2 + 1 / 2))) < 1e-12)
  assert.ok(Math.abs(step.dof - 12) < 1e-6)
})

test('stepTest() does not let one gross outlier hide a step next to it', () => {
  const clean = [0, 0.01, -0.01, 0, 0.005, -0.005, 0, 0.01, 0.05, 0.06, 0.05]
  const spoiled = [0, 0.01, 0.5, 0, 0.005, -0.005, 0, 0.01, 0.05, 0.06, 0.05]
  const p = (y: number[]) =>
    stepTest(context(y, 0.01 ** 2, 10, 5), { start: 0, end: 8 }, { start: 8, end: 11 }).pValue
  assert.ok(p(clean) < 1e-3)
  assert.ok(p(spoiled) < 1e-3, `p = ${p(spoiled)}`)
})

test('kurtosisDof() gives about ν for one build against many and grows with both sides', () => {
  // `builds` unmerged builds of weight 1: W = Σ w = builds, Σ w² = builds.
  const side = (builds: number) => ({ fourth: builds, weight: builds })
  const one = kurtosisDof(5, side(1), side(1000))
  assert.ok(Math.abs(one - 5) < 0.05, `${one}`)
  // Twelve equal builds on each side: d = 4 + 24 (ν − 4).
  assert.ok(Math.abs(kurtosisDof(5, side(12), side(12)) - 28) < 1e-9)
  assert.ok(kurtosisDof(5, side(3), side(12)) > kurtosisDof(5, side(1), side(12)))
})

test('stepTest() answers p = 1 when there is no variance estimate at all', () => {
  const step = stepTest(context([1, 2], 1, 0, 5), { start: 0, end: 1 }, { start: 1, end: 2 })
  assert.equal(step.pValue, 1)
  assert.equal(step.ratioHigh, Number.POSITIVE_INFINITY)
})
