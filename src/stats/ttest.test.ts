import assert from 'node:assert/strict'
import { test } from 'node:test'
import { LangperfError } from '../lib/index.ts'
import { meanTInterval, studentTTest, tIntervalFromMoments, welchTTest } from './ttest.ts'

const close = (actual: number, expected: number, tolerance: number, what: string): void => {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: expected ${expected}, found ${actual}`)
}

// Timings of two builds, used against scipy below.
const a = [20.1, 19.8, 20.4, 20.0, 19.9, 20.3]
const b = [19.5, 19.7, 19.2, 19.9, 19.4, 19.6, 19.8]

test('welchTTest() matches a hand computation on 1..3 vs 4..6', () => {
  // By hand: difference −3, variances 1 and 1, se = √(2/3), t = −3/√(2/3) = −3.6742…,
  // dof = (2/3)² / ((1/3)²/2 · 2) = 4.
  // scipy.stats.ttest_ind([1,2,3],[4,5,6],equal_var=False) → t=-3.6742346141747673, p=0.021311641128756713, df=4.0
  const r = welchTTest([1, 2, 3], [4, 5, 6])
  assert.equal(r.kind, 't-test')
  if (r.kind !== 't-test') return
  close(r.t, -3 / Math.sqrt(2 / 3), 1e-12, 't')
  close(r.dof, 4, 1e-12, 'dof')
  close(r.p, 0.021311641128756713, 1e-9, 'p')
})

test('welchTTest() matches scipy on unequal samples', () => {
  // scipy.stats.ttest_ind(a, b, equal_var=False) → t=3.7894916838593975, p=0.003084991268462993, df=10.820344020559558
  const r = welchTTest(a, b)
  assert.equal(r.kind, 't-test')
  if (r.kind !== 't-test') return
  close(r.t, 3.7894916838593975, 1e-12, 't')
  close(r.dof, 10.820344020559558, 1e-9, 'dof')
  close(r.p, 0.003084991268462993, 1e-9, 'p')
})

test('studentTTest() pools the variances as scipy does', () => {
  // scipy.stats.ttest_ind(a, b) → t=3.7769153040733627, p=0.003063419812789473, df=11.0
  const r = studentTTest(a, b)
  assert.equal(r.kind, 't-test')
  if (r.kind !== 't-test') return
  close(r.t, 3.7769153040733627, 1e-12, 't')
  assert.equal(r.dof, 11)
  close(r.p, 0.003063419812789473, 1e-9, 'p')
})

test('welchTTest() of two different constants is certain, of equal constants undefined', () => {
  // scipy.stats.ttest_ind([1,1,1],[2,2,2],equal_var=False) → t=-inf, p=0.0; equal constants → nan, nan
  const differ = welchTTest([1, 1, 1], [2, 2, 2])
  assert.equal(differ.kind, 't-test')
  if (differ.kind !== 't-test') return
  assert.equal(differ.t, Number.NEGATIVE_INFINITY)
  assert.equal(differ.p, 0)
  const same = welchTTest([1, 1, 1], [1, 1, 1])
  assert.equal(same.kind, 't-test')
  if (same.kind !== 't-test') return
  assert.ok(Number.isNaN(same.t) && Number.isNaN(same.p))
})

test('welchTTest() is insufficient with fewer than 2 values or a non-finite value', () => {
  assert.equal(welchTTest([1], [2, 3]).kind, 'insufficient')
  assert.equal(welchTTest([1, 2], []).kind, 'insufficient')
  const r = welchTTest([1, Number.NaN], [2, 3])
  assert.equal(r.kind, 'insufficient')
  if (r.kind === 'insufficient') assert.match(r.reason, /index 1 is not finite/)
})

test('meanTInterval() of 1..5 matches R t.test(1:5)', () => {
  // By hand: mean 3, s/√n = √(2.5/5), t(0.975, 4) = 2.776445; 3 ± 1.963243.
  // R: t.test(1:5)$conf.int → 1.036757 4.963243; scipy.stats.ttest_1samp([1,2,3,4,5], 0)
  // .confidence_interval() → (1.0367568385224428, 4.963243161477557). jstat's t quantile
  // agrees to about 1e-8.
  const r = meanTInterval([1, 2, 3, 4, 5])
  assert.equal(r.kind, 'interval')
  if (r.kind !== 'interval') return
  assert.equal(r.estimate, 3)
  close(r.low, 1.0367568385224428, 1e-7, 'low')
  close(r.high, 4.963243161477557, 1e-7, 'high')
  assert.equal(r.method, 't')
})

test('tIntervalFromMoments() gives meanTInterval() from the mean, standard deviation and size', () => {
  // The stored summary of a result keeps the mean and the n − 1 standard deviation of its
  // process means; the interval made from them is the one made from the means themselves.
  for (const sample of [
    [1, 2, 3, 4, 5],
    [0.0123, 0.0125, 0.0121, 0.0131],
    [7, 7],
  ]) {
    const n = sample.length
    const m = sample.reduce((a, b) => a + b, 0) / n
    const sd = Math.sqrt(sample.reduce((a, v) => a + (v - m) ** 2, 0) / (n - 1))
    const want = meanTInterval(sample, { confidence: 0.9 })
    const got = tIntervalFromMoments({ mean: m, stdev: sd, n }, { confidence: 0.9 })
    assert.equal(got.kind, 'interval')
    if (got.kind !== 'interval' || want.kind !== 'interval') continue
    close(got.low, want.low, 1e-12, `low of ${sample}`)
    close(got.high, want.high, 1e-12, `high of ${sample}`)
  }
  assert.equal(tIntervalFromMoments({ mean: 1, stdev: 0, n: 1 }).kind, 'insufficient')
  assert.equal(tIntervalFromMoments({ mean: Number.NaN, stdev: 1, n: 3 }).kind, 'insufficient')
})

test('meanTInterval() throws bad-input for a confidence outside (0, 1)', () => {
  assert.throws(
    () => meanTInterval([1, 2, 3], { confidence: 95 }),
    (e: unknown) => e instanceof LangperfError && e.code === 'bad-input',
  )
  assert.throws(() => meanTInterval([1, 2, 3], { confidence: 1 }), LangperfError)
})

test('meanTInterval() is insufficient for a single value', () => {
  assert.deepEqual(meanTInterval([4.2]), {
    kind: 'insufficient',
    reason: 'Need at least 2 sample values, found 1',
  })
})
