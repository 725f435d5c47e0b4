import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createRng, LangperfError } from '../../lib/index.ts'
import { normalSample } from '../synthetic.ts'
import { markOutliers, outlierWindow } from './outliers.ts'

test('outlierWindow() is 10 % of the series (Barrett et al.: 200 of 2000), at least 10', () => {
  assert.equal(outlierWindow(2000), 200)
  assert.equal(outlierWindow(300), 30)
  assert.equal(outlierWindow(50), 10)
})

test('markOutliers() marks spikes beyond 3 inter-decile ranges of the rolling median', () => {
  const values = normalSample(createRng(5), 300, { mean: 1, sd: 0.02 })
  values[100] = 3
  values[200] = 0.5
  values[250] = 1.05 // within reach: 3 × (P90 − P10) ≈ 3 × 0.05
  assert.deepEqual(markOutliers(values), [100, 200])
})

test('markOutliers() never marks the slow iterations a series starts with, where a JIT warms up', () => {
  const values = normalSample(createRng(6), 300, { mean: 1, sd: 0.02 })
  values[0] = 20
  values[1] = 8
  values[2] = 5
  assert.deepEqual(markOutliers(values), [])
  // Once the series has been at its usual level, a spike is an outlier, even early on (judged
  // against a window that holds the warm-up, so it must stand farther out: 40 against a reach of
  // about 1 + 3 × 4).
  values[3] = 0.99
  values[4] = 40
  assert.deepEqual(markOutliers(values), [4])
})

test('markOutliers() leaves at most one window unchecked at the start', () => {
  const values = [...Array(40).fill(3), ...normalSample(createRng(8), 260, { mean: 1, sd: 0.02 })]
  values[35] = 30
  // The first 30 (the window) are exempt; 30 … 39 are judged, and 35 stands out even there.
  assert.deepEqual(markOutliers(values), [35])
})

test('markOutliers() keeps the iterations just after a clean step (centred window)', () => {
  const values = [...Array(150).fill(2), ...Array(150).fill(1)]
  assert.deepEqual(markOutliers(values), [])
})

test('markOutliers() marks nothing in a series shorter than two windows', () => {
  assert.deepEqual(markOutliers([1, 1, 9, 1, 1], { window: 3 }), [])
})

test('markOutliers() refuses a window below 3', () => {
  assert.throws(() => markOutliers([1, 2, 3], { window: 2 }), LangperfError)
})
