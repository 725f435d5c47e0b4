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

test('markOutliers() never marks the first window, where a JIT warms up', () => {
  const values = normalSample(createRng(6), 300, { mean: 1, sd: 0.02 })
  values[0] = 20
  values[5] = 8
  values[29] = 5
  assert.deepEqual(markOutliers(values), [])
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
