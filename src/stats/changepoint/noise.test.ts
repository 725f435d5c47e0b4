import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createRng } from '../../lib/index.ts'
import {
  buildToBuildNoise,
  estimateNoise,
  measuredSeries,
  median,
  pointVariances,
  successiveRunNoise,
} from './noise.ts'
import { prepareSeries } from './prepare.ts'
import { resolveOptions, type SeriesPoint } from './types.ts'

function gaussian(rng: () => number): number {
  return Math.sqrt(-2 * Math.log(rng() || 1e-300)) * Math.cos(2 * Math.PI * rng())
}

const noiseOf = (points: SeriesPoint[], options = {}) =>
  estimateNoise(measuredSeries(prepareSeries(points).points), resolveOptions(options))

test('estimateNoise() recovers the between-build σ of log-normal noise', () => {
  const rng = createRng(3)
  const points = Array.from({ length: 2000 }, (_, i) => ({
    id: `${i}`,
    order: i,
    epoch: 'e',
    value: Math.exp(0.02 * gaussian(rng)),
  }))
  const noise = noiseOf(points, { noiseWindow: 2000 })
  assert.ok(Math.abs(noise.buildSigmaLog - 0.02) < 0.002, `${noise.buildSigmaLog}`)
  assert.equal(noise.differences, 1999)
  assert.ok(Math.abs(noise.dof - 0.3675 * 1999) < 1e-9)
})

test('estimateNoise() ignores steps between epochs and a rare step inside one', () => {
  const values = [1, 1.01, 0.99, 1, 1.01, 0.99, 1.3, 1.31, 1.29, 1.3, 1.31, 1.29]
  const points = values.map((value, i) => ({ id: `${i}`, order: i, epoch: i < 6 ? 'a' : 'b', value }))
  const split = noiseOf(points)
  assert.equal(split.differences, 10)
  assert.ok(split.buildSigmaLog < 0.02)
  const joined = noiseOf(points.map((p) => ({ ...p, epoch: 'a' })))
  assert.equal(joined.differences, 11)
  assert.ok(joined.buildSigmaLog < 0.02, 'one step among eleven differences barely moves the median')
})

test('estimateNoise() uses only the most recent noiseWindow differences', () => {
  const values = [1, 1.1, 1, 1.1, 1, 1.1, 1, 1.001, 1, 1.001, 1]
  const points = values.map((value, i) => ({ id: `${i}`, order: i, epoch: 'e', value }))
  assert.ok(noiseOf(points, { noiseWindow: 4 }).buildSigmaLog < 0.002)
  assert.ok(noiseOf(points, { noiseWindow: 10 }).buildSigmaLog > 0.05)
})

test('estimateNoise() is zero for a constant series and falls back to the mean for quantised ones', () => {
  const constant = Array.from({ length: 10 }, (_, i) => ({ id: `${i}`, order: i, epoch: 'e', value: 5 }))
  assert.equal(noiseOf(constant).buildSigmaLog, 0)
  // Seven of nine differences are zero: the median is 0, the mean absolute difference is not.
  const quantised = [5, 5, 5, 5, 6, 6, 6, 6, 6, 6].map((value, i) => ({
    id: `${i}`,
    order: i,
    epoch: 'e',
    value,
  }))
  const noise = noiseOf(quantised)
  const meanAbs = Math.log(6 / 5) / 9
  assert.ok(Math.abs(noise.buildSigmaLog - (meanAbs * Math.sqrt(Math.PI / 2)) / Math.SQRT2) < 1e-12)
})

test('pointVariances() weighs a build with noisy processes less and merged builds more', () => {
  const points: SeriesPoint[] = [
    { id: 'a', order: 1, epoch: 'e', value: 1, processMeans: [1, 1.001, 0.999] },
    { id: 'b', order: 2, epoch: 'e', value: 1.01, processMeans: [0.9, 1.1, 1.03] },
    { id: 'c', order: 3, epoch: 'e', value: 0.99, stderr: 0.001 },
    { id: 'd', order: 3, epoch: 'e', value: 1.0, stderr: 0.001 },
    { id: 'e', order: 4, epoch: 'e', value: 1.02, stderr: 0.001 },
  ]
  const series = measuredSeries(prepareSeries(points).points)
  const v = pointVariances(series, estimateNoise(series, resolveOptions()))
  assert.ok((v[1] ?? 0) > (v[0] ?? 0))
  assert.ok((v[2] ?? 0) < (v[3] ?? 0), 'the two builds of commit 3 are averaged')
})

test('median() of odd and even lists', () => {
  assert.equal(median([3, 1, 2]), 2)
  assert.equal(median([4, 1, 3, 2]), 2.5)
})

test('buildToBuildNoise() is the median relative difference between consecutive builds', () => {
  // |Δ ln| = ln 1.02, ln 1.02, ln 1.10 (a step), ln 1.01: the median is between ln 1.01 and ln 1.02.
  const values = [1, 1.02, 1, 1.1, 1.1 * 1.01]
  const noise = buildToBuildNoise(values)
  assert.equal(noise?.differences, 4)
  const expected = Math.expm1((Math.log(1.02) + Math.log(1.02)) / 2)
  assert.ok(Math.abs((noise?.relative ?? 0) - expected) < 1e-12, `${noise?.relative}`)
  // A window keeps the newest differences; values that are not finite and positive are skipped.
  assert.equal(buildToBuildNoise([1, 2, 1, 1.01, Number.NaN, 1, 0], 2)?.relative.toFixed(6), '0.010000')
  assert.equal(buildToBuildNoise([1, 1.01]), undefined)
  assert.equal(buildToBuildNoise([]), undefined)
  // A constant series has no noise at all.
  assert.deepEqual(buildToBuildNoise([3, 3, 3]), { relative: 0, differences: 2 })
})

test('successiveRunNoise() recovers the run-to-run σ from successive differences, less the within-run part', () => {
  const rng = createRng(11)
  // 4000 runs of a line whose means wander by σ = 1.5 % from run to run, each read with a
  // within-run standard error of 0.5 %, and one real 20 % step among them.
  const tau = 0.015
  const se = 0.005
  const logs = Array.from(
    { length: 4000 },
    (_, i) => (i >= 2000 ? Math.log(1.2) : 0) + tau * gaussian(rng) + se * gaussian(rng),
  )
  const diffs = logs.slice(1).map((y, i) => ({ d: y - (logs[i] ?? 0), w: 2 * se * se }))
  const noise = successiveRunNoise(diffs)
  assert.ok(noise !== undefined)
  assert.ok(Math.abs(noise.sigma - tau) < 0.001, `${noise.sigma}`)
  assert.equal(noise.differences, 3999)
  assert.ok(Math.abs(noise.dof - 0.3675 * 3999) < 1e-9)
  // Runs as precise as they vary: nothing is left between runs.
  assert.equal(successiveRunNoise(diffs.map((x) => ({ ...x, w: 1 })))?.sigma, 0)
  // Too few differences, or unusable ones, say nothing.
  assert.equal(successiveRunNoise(diffs.slice(0, 7)), undefined)
  assert.equal(successiveRunNoise([...diffs.slice(0, 7), { d: Number.NaN, w: 0 }]), undefined)
  assert.ok(successiveRunNoise(diffs.slice(0, 3), 3) !== undefined)
})
