import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createRng } from '../lib/index.ts'
import {
  type GeometricMeanRatio,
  geometricMeanRatio,
  geometricMeanRatioBootstrap,
  geometricMeanRatioFromEstimates,
  type WorkloadPair,
} from './geomean.ts'
import { logTRatioInterval } from './ratio.ts'
import type { Insufficient, Interval, IntervalResult } from './result.ts'
import { logNormalSample } from './synthetic.ts'

const close = (actual: number, expected: number, tolerance: number, what: string): void => {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: expected ${expected}, found ${actual}`)
}

/** Narrows to an interval, failing the test otherwise. */
function interval(r: IntervalResult): Interval {
  assert.equal(r.kind, 'interval', r.kind === 'insufficient' ? r.reason : '')
  return r as Interval
}

/** Narrows to a geometric mean, failing the test otherwise. */
function geomean(r: GeometricMeanRatio | Insufficient): GeometricMeanRatio {
  assert.equal(r.kind, 'geometric-mean-ratio', r.kind === 'insufficient' ? r.reason : '')
  return r as GeometricMeanRatio
}

// Three workloads' per-process means on two builds.
const suite: WorkloadPair[] = [
  {
    base: [0.1023, 0.1011, 0.1032, 0.1019, 0.1027, 0.1015, 0.1021, 0.103],
    candidate: [0.0991, 0.0985, 0.1002, 0.0979, 0.0996, 0.0988, 0.0983, 0.0994, 0.099, 0.0998],
  },
  { base: [2.01, 1.98, 2.03, 2.0, 1.99], candidate: [2.1, 2.12, 2.07, 2.09] },
  { base: [0.51, 0.52, 0.5, 0.515], candidate: [0.49, 0.5, 0.495, 0.505, 0.498] },
]

test('geometricMeanRatio() of ratios 2 and ½ measured without noise is exactly 1', () => {
  // By hand: √(2 · ½) = 1, and constant process means carry no uncertainty.
  const r = geomean(
    geometricMeanRatio([
      { base: [1, 1], candidate: [2, 2] },
      { base: [4, 4, 4], candidate: [2, 2] },
    ]),
  )
  assert.equal(r.estimate, 1)
  assert.deepEqual(r.ratios, [2, 0.5])
  assert.deepEqual([r.measurement.low, r.measurement.high], [1, 1])
})

test('geometricMeanRatio() matches scipy for the estimate and the across-workloads interval', () => {
  // d = [mean(log c) − mean(log b) for each workload]; scipy.stats.gmean(numpy.exp(d)) → 0.9956585590605657;
  // ratios → [0.96903777, 1.04645336, 0.97335376];
  // numpy.exp(scipy.stats.ttest_1samp(d, 0).confidence_interval(0.95)) → (0.894457480585843, 1.1083097718421075)
  const r = geomean(geometricMeanRatio(suite))
  close(r.estimate, 0.9956585590605657, 1e-13, 'estimate')
  close(r.ratios[1]!, 1.04645336, 1e-8, 'second ratio')
  const across = interval(r.acrossWorkloads)
  close(across.low, 0.894457480585843, 1e-8, 'across low')
  close(across.high, 1.1083097718421075, 1e-8, 'across high')
  // The measurement interval is much narrower: each workload is measured to about 1 %,
  // while the workloads themselves disagree by ±4 %.
  assert.ok(r.measurement.high - r.measurement.low < (across.high - across.low) / 5)
  assert.ok(r.measurement.low < r.estimate && r.estimate < r.measurement.high)
})

test("geometricMeanRatio() of one workload is compareTwo's log-t interval", () => {
  const r = geomean(geometricMeanRatio([suite[0]!]))
  const single = interval(logTRatioInterval(suite[0]!.base, suite[0]!.candidate))
  close(r.measurement.low, single.low, 1e-15, 'low')
  close(r.measurement.high, single.high, 1e-15, 'high')
  assert.equal(r.acrossWorkloads.kind, 'insufficient')
})

test('geometricMeanRatioFromEstimates() combines independent standard errors by the delta method', () => {
  // By hand: two log ratios 0.1 and 0.3 with se 0.03 and 0.04: mean 0.2, se = √(0.03² + 0.04²) / 2 = 0.025.
  // With huge dof the t quantile is the normal's 1.959964, so the interval is exp(0.2 ± 0.0489991).
  const r = geomean(
    geometricMeanRatioFromEstimates([
      { kind: 'log-ratio', logRatio: 0.1, stderr: 0.03, dof: 1e9 },
      { kind: 'log-ratio', logRatio: 0.3, stderr: 0.04, dof: 1e9 },
    ]),
  )
  close(r.estimate, Math.exp(0.2), 1e-15, 'estimate')
  close(r.measurement.low, Math.exp(0.2 - 1.959963984540054 * 0.025), 1e-7, 'low')
  close(r.measurement.high, Math.exp(0.2 + 1.959963984540054 * 0.025), 1e-7, 'high')
})

test('geometricMeanRatioFromEstimates() refuses an estimate it cannot use', () => {
  const r = geometricMeanRatioFromEstimates([
    { kind: 'log-ratio', logRatio: 0.1, stderr: 0.03, dof: 9 },
    { kind: 'log-ratio', logRatio: 0.2, stderr: Number.NaN, dof: 9 },
  ])
  assert.equal(r.kind, 'insufficient')
  if (r.kind === 'insufficient') assert.match(r.reason, /^Workload 1: /)
})

test('geometricMeanRatio() names the workload that lacks data', () => {
  const r = geometricMeanRatio([suite[0]!, { base: [1], candidate: [1, 2] }])
  assert.deepEqual(r, { kind: 'insufficient', reason: 'Workload 1: Need at least 2 base values, found 1' })
  assert.equal(geometricMeanRatio([]).kind, 'insufficient')
})

test('geometricMeanRatioBootstrap() is seeded and close to the delta-method interval', () => {
  const first = interval(geometricMeanRatioBootstrap(suite, { rng: createRng(11) }))
  assert.deepEqual(first, geometricMeanRatioBootstrap(suite, { rng: createRng(11) }))
  const delta = geomean(geometricMeanRatio(suite)).measurement
  close(first.estimate, delta.estimate, 1e-15, 'estimate')
  // Same question, different assumptions: the ends agree to a fraction of a percent.
  close(first.low, delta.low, 0.004, 'low')
  close(first.high, delta.high, 0.004, 'high')
})

test('geometricMeanRatioBootstrap() narrows with more processes per workload', () => {
  const rng = createRng(12)
  const width = (processes: number): number => {
    const pairs = [1, 2, 3].map((scale) => ({
      base: logNormalSample(rng, processes, { mean: scale, sdLog: 0.05 }),
      candidate: logNormalSample(rng, processes, { mean: scale * 1.02, sdLog: 0.05 }),
    }))
    const r = interval(geometricMeanRatioBootstrap(pairs, { rng, resamples: 1000 }))
    return r.high - r.low
  }
  assert.ok(width(40) < width(5))
})

test('geometricMeanRatioBootstrap() is insufficient for a workload with one process', () => {
  const r = geometricMeanRatioBootstrap([suite[0]!, { base: [1, 2], candidate: [3] }], { rng: createRng(1) })
  assert.equal(r.kind, 'insufficient')
})
