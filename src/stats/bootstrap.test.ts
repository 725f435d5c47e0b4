import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createRng, LangperfError } from '../lib/index.ts'
import { bcaLevels, bootstrapCi, jackknife } from './bootstrap.ts'
import { mean, median, sortSamples } from './descriptive.ts'
import type { Interval, IntervalResult } from './result.ts'
import { normalSample } from './synthetic.ts'

const close = (actual: number, expected: number, tolerance: number, what: string): void => {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: expected ${expected}, found ${actual}`)
}

/** Narrows to an interval, failing the test otherwise. */
function interval(r: IntervalResult): Interval {
  assert.equal(r.kind, 'interval', r.kind === 'insufficient' ? r.reason : '')
  return r as Interval
}

// A right-skewed sample, where BCa and percentile intervals differ.
const skewed = [1.2, 0.4, 3.1, 0.8, 0.3, 2.2, 0.9, 5.4, 0.6, 1.7]

test('bootstrapCi() returns the same interval for the same seed', () => {
  for (const method of ['percentile', 'bca'] as const) {
    const first = bootstrapCi(skewed, mean, { rng: createRng(7), method })
    const second = bootstrapCi(skewed, mean, { rng: createRng(7), method })
    assert.deepEqual(first, second)
    const other = interval(bootstrapCi(skewed, mean, { rng: createRng(8), method }))
    assert.notDeepEqual(interval(first), other)
  }
})

test('bcaLevels() has no correction for a symmetric sample centred on its estimate', () => {
  // By hand: 2 of 5 replicates below 3 and 1 equal gives share (2 + 3) / 10 = ½, so z₀ = 0;
  // the jackknife means 3.5, 3.25, 3, 2.75, 2.5 are symmetric, so a = 0; the levels stay α, 1 − α.
  const levels = bcaLevels(sortSamples([1, 2, 3, 4, 5]), 3, jackknife([1, 2, 3, 4, 5], mean), 0.025)
  assert.equal(levels.kind, 'levels')
  if (levels.kind !== 'levels') return
  close(levels.z0, 0, 1e-15, 'z0')
  close(levels.acceleration, 0, 1e-15, 'acceleration')
  close(levels.low, 0.025, 1e-12, 'low')
  close(levels.high, 0.975, 1e-12, 'high')
})

test('bcaLevels() matches scipy for given bootstrap replicates', () => {
  // scipy.stats._resampling._bca_interval((skewed,), mean, -1, 0.025, replicates, None, xp=numpy)
  // → alpha_1=0.015878968888311428, alpha_2=0.9561972979008039, a_hat=0.07614427832403618 (scipy 1.17.1)
  const replicates = [
    1.1, 1.3, 1.5, 1.6, 1.7, 1.8, 1.9, 2.0, 2.1, 2.2, 2.4, 2.6, 2.9, 3.3, 1.4, 1.65, 1.75, 1.66, 2.05, 1.2,
  ]
  const levels = bcaLevels(sortSamples(replicates), mean(skewed), jackknife(skewed, mean), 0.025)
  assert.equal(levels.kind, 'levels')
  if (levels.kind !== 'levels') return
  close(levels.acceleration, 0.07614427832403618, 1e-14, 'acceleration')
  close(levels.low, 0.015878968888311428, 1e-9, 'low level')
  close(levels.high, 0.9561972979008039, 1e-9, 'high level')
})

test('bootstrapCi() agrees with scipy.stats.bootstrap up to resampling noise', () => {
  // scipy.stats.bootstrap((skewed,), numpy.mean, n_resamples=400000, method='BCa',
  //   random_state=numpy.random.default_rng(0)) → (0.97, 3.00); method='percentile' → (0.85, 2.68)
  const bca = interval(bootstrapCi(skewed, mean, { rng: createRng(1), resamples: 20_000, method: 'bca' }))
  close(bca.low, 0.97, 0.05, 'BCa low')
  close(bca.high, 3.0, 0.08, 'BCa high')
  const pct = interval(
    bootstrapCi(skewed, mean, { rng: createRng(1), resamples: 20_000, method: 'percentile' }),
  )
  close(pct.low, 0.85, 0.05, 'percentile low')
  close(pct.high, 2.68, 0.08, 'percentile high')
})

test('bootstrapCi() gives a zero-width interval for a constant sample', () => {
  for (const method of ['percentile', 'bca'] as const) {
    const r = interval(bootstrapCi([2, 2, 2, 2], mean, { rng: createRng(1), method, resamples: 100 }))
    assert.deepEqual([r.low, r.estimate, r.high], [2, 2, 2])
  }
})

test('bootstrapCi() is insufficient for one value or a non-finite value', () => {
  assert.equal(bootstrapCi([1], mean, { rng: createRng(1) }).kind, 'insufficient')
  assert.equal(bootstrapCi([1, Number.NaN, 2], mean, { rng: createRng(1) }).kind, 'insufficient')
  const r = bootstrapCi([1, 2, 3], () => Number.NaN, { rng: createRng(1) })
  assert.equal(r.kind, 'insufficient')
})

test('bootstrapCi() throws bad-input for a bad confidence or resample count', () => {
  const isBadInput = (e: unknown) => e instanceof LangperfError && e.code === 'bad-input'
  assert.throws(() => bootstrapCi([1, 2, 3], mean, { rng: createRng(1), confidence: 0 }), isBadInput)
  assert.throws(() => bootstrapCi([1, 2, 3], mean, { rng: createRng(1), resamples: 0 }), isBadInput)
  assert.throws(() => bootstrapCi([1, 2, 3], mean, { rng: createRng(1), resamples: 2.5 }), isBadInput)
})

test('bootstrapCi() covers the true mean in at least 90 % of 200 seeded normal samples', () => {
  const trueMean = 10
  for (const method of ['percentile', 'bca'] as const) {
    const rng = createRng(2024)
    let covered = 0
    for (let replicate = 0; replicate < 200; replicate++) {
      const sample = normalSample(rng, 20, { mean: trueMean, sd: 1 })
      const r = interval(bootstrapCi(sample, mean, { rng, resamples: 1000, method }))
      if (r.low <= trueMean && trueMean <= r.high) covered++
    }
    assert.ok(covered >= 180, `${method}: covered ${covered} of 200`)
  }
})

test('bootstrapCi() narrows as the sample grows', () => {
  const rng = createRng(99)
  // Average over 20 samples per size: one sample's spread is itself noisy at n = 10.
  const widths = [10, 40, 160].map((n) => {
    let total = 0
    for (let i = 0; i < 20; i++) {
      const sample = normalSample(rng, n, { mean: 1, sd: 0.05 })
      const r = interval(bootstrapCi(sample, mean, { rng, resamples: 500 }))
      total += r.high - r.low
    }
    return total / 20
  })
  assert.ok(widths[0]! > widths[1]! && widths[1]! > widths[2]!, `widths ${widths.join(', ')}`)
  // Width scales as 1/√n: each fourfold n about halves it.
  close(widths[1]! / widths[0]!, 0.5, 0.1, 'ratio of widths 40/10')
  close(widths[2]! / widths[1]!, 0.5, 0.1, 'ratio of widths 160/40')
})

test('bootstrapCi() brackets the median of a sample', () => {
  const r = interval(
    bootstrapCi([3, 1, 4, 1, 5, 9, 2, 6], median, { rng: createRng(3), method: 'percentile' }),
  )
  assert.equal(r.estimate, 3.5)
  assert.ok(r.low <= 3.5 && r.high >= 3.5)
})
