import assert from 'node:assert/strict'
import { test } from 'node:test'
import { LangperfError } from '../lib/index.ts'
import { geometricMean, mad, mean, median, quantile, sortSamples, stdev, variance } from './descriptive.ts'

test('mean() of 1..4 is 2.5', () => {
  assert.equal(mean([1, 2, 3, 4]), 2.5)
})

test('mean() keeps large, close values exact', () => {
  // Instruction counts of the size callgrind gives for nbody on CPython 3.11 (≈ 2.5e8; docs/stats.md,
  // "Noise on the project's machines") that differ by a few units.
  assert.equal(mean([250_433_097, 250_433_098, 250_433_099]), 250_433_098)
  assert.equal(mean([0.1, 0.1, 0.1]), 0.1)
})

test('variance() and stdev() use the n − 1 divisor', () => {
  // By hand: mean 5, squared deviations sum to 32, 32 / 7.
  // numpy.var([2,4,4,4,5,5,7,9], ddof=1) → 4.571428571428571; numpy.std(…, ddof=1) → 2.138089935299395
  assert.equal(variance([2, 4, 4, 4, 5, 5, 7, 9]), 32 / 7)
  assert.ok(Math.abs(stdev([2, 4, 4, 4, 5, 5, 7, 9]) - 2.138089935299395) < 1e-15)
  assert.equal(variance([1e9 + 1, 1e9 + 2, 1e9 + 3]), 1)
})

test('quantile() interpolates linearly between order statistics (type 7)', () => {
  // By hand: h = (4 − 1) · 0.25 = 0.75, so 1 + 0.75 · (2 − 1).
  assert.equal(quantile(sortSamples([4, 3, 2, 1]), 0.25), 1.75)
  assert.equal(quantile(sortSamples([4, 3, 2, 1]), 0), 1)
  assert.equal(quantile(sortSamples([4, 3, 2, 1]), 1), 4)
  // numpy.quantile([3,1,4,1,5,9,2,6,5,3], [0.1, 0.33, 0.5, 0.9]) → [1.0, 2.97, 3.5, 6.3]
  // (R: quantile(c(3,1,4,1,5,9,2,6,5,3), c(0.1, 0.33, 0.5, 0.9)) gives the same, type 7 being its default)
  const sorted = sortSamples([3, 1, 4, 1, 5, 9, 2, 6, 5, 3])
  assert.equal(quantile(sorted, 0.1), 1)
  assert.ok(Math.abs(quantile(sorted, 0.33) - 2.97) < 1e-12)
  assert.equal(quantile(sorted, 0.5), 3.5)
  assert.ok(Math.abs(quantile(sorted, 0.9) - 6.3) < 1e-12)
})

test('quantile() throws bad-input for a probability outside [0, 1]', () => {
  assert.throws(
    () => quantile(sortSamples([1, 2]), 1.5),
    (e: unknown) => e instanceof LangperfError && e.code === 'bad-input' && e.message.includes('"1.5"'),
  )
  assert.throws(() => quantile(sortSamples([1, 2]), Number.NaN), LangperfError)
})

test('sortSamples() copies, sorts numerically and leaves the input alone', () => {
  const input = [10, 9, 100, 1]
  assert.deepEqual([...sortSamples(input)], [1, 9, 10, 100])
  assert.deepEqual(input, [10, 9, 100, 1])
})

test('median() averages the two middle values of an even sample', () => {
  assert.equal(median([5, 1, 3]), 3)
  assert.equal(median([4, 1, 3, 2]), 2.5)
})

test('geometricMean() is the n-th root of the product', () => {
  // By hand: (1·2·4·8)^(1/4) = 64^(1/4) = 2√2. scipy.stats.gmean([1,2,4,8]) → 2.82842712474619
  assert.ok(Math.abs(geometricMean([1, 2, 4, 8]) - 2 * Math.SQRT2) < 1e-14)
  // scipy.stats.gmean([1.1, 0.9, 1.05]) → 1.012997012504073
  assert.ok(Math.abs(geometricMean([1.1, 0.9, 1.05]) - 1.012997012504073) < 1e-14)
  assert.equal(geometricMean([0, 2]), 0)
  assert.ok(Number.isNaN(geometricMean([-1, 2])))
})

test('mad() is the median absolute deviation scaled by 1.4826', () => {
  // By hand: median 3, deviations 2,1,0,1,97 with median 1. R: mad(c(1,2,3,4,100)) → 1.4826
  assert.equal(mad([1, 2, 3, 4, 100]), 1.4826)
  // scipy.stats.median_abs_deviation([2,4,4,4,5,5,7,9]) → 0.5 (unscaled)
  assert.equal(mad([2, 4, 4, 4, 5, 5, 7, 9]), 0.5 * 1.4826)
  assert.equal(mad([7]), 0)
})

test('descriptive statistics answer NaN for empty, too short or non-finite input', () => {
  for (const f of [mean, median, variance, stdev, geometricMean, mad]) {
    assert.ok(Number.isNaN(f([])), `${f.name}([])`)
    assert.ok(Number.isNaN(f([1, Number.NaN, 3])), `${f.name} with NaN`)
    assert.ok(Number.isNaN(f([1, Number.POSITIVE_INFINITY, 3])), `${f.name} with Infinity`)
  }
  assert.ok(Number.isNaN(variance([1])))
  assert.ok(Number.isNaN(stdev([1])))
  assert.equal(mean([1]), 1)
  assert.ok(Number.isNaN(quantile(sortSamples([]), 0.5)))
  assert.ok(Number.isNaN(quantile(sortSamples([1, Number.NaN]), 0)))
  assert.ok(Number.isNaN(quantile(sortSamples([Number.NEGATIVE_INFINITY, 1]), 1)))
})
