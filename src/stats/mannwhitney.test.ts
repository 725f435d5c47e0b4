import assert from 'node:assert/strict'
import { test } from 'node:test'
import { exactUDistribution, type MannWhitneyResult, mannWhitneyU, midRanks } from './mannwhitney.ts'
import type { Insufficient } from './result.ts'

const close = (actual: number, expected: number, tolerance: number, what: string): void => {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: expected ${expected}, found ${actual}`)
}

/** Narrows a result to a test outcome, failing the test otherwise. */
function tested(r: MannWhitneyResult | Insufficient): MannWhitneyResult {
  assert.equal(r.kind, 'mann-whitney', r.kind === 'insufficient' ? r.reason : '')
  return r as MannWhitneyResult
}

test('exactUDistribution() of 2 vs 2 matches the enumeration of the 6 arrangements', () => {
  // By hand: U over the C(4,2) = 6 arrangements takes 0,1,2,2,3,4, so P(U ≤ u) = 1/6, 2/6, 4/6, 5/6, 1.
  const d = exactUDistribution(2, 2)
  const expected = [1 / 6, 2 / 6, 4 / 6, 5 / 6, 1]
  for (const [u, p] of expected.entries()) close(d.cdf(u), p, 1e-15, `cdf(${u})`)
  close(d.survival(3), 2 / 6, 1e-15, 'survival(3)')
  assert.equal(d.cdf(-1), 0)
})

test('exactUDistribution() sums to one and is symmetric for unequal sizes', () => {
  const d = exactUDistribution(3, 7)
  assert.equal(d.cdf(21), 1)
  for (let u = 0; u <= 21; u++) close(d.cdf(u), d.survival(21 - u), 1e-14, `symmetry at ${u}`)
})

test('midRanks() averages the ranks of ties and reports their sizes', () => {
  assert.deepEqual(midRanks([30, 10, 20, 20]), { ranks: [4, 1, 2.5, 2.5], tieSizes: [2] })
})

test('mannWhitneyU() of 1..3 vs 4..6 is exact with p = 2/20', () => {
  // By hand: U = 0 is the most extreme of C(6,3) = 20 arrangements, doubled for two sides.
  // scipy.stats.mannwhitneyu([1,2,3],[4,5,6]) → U=0.0, p=0.1
  const r = tested(mannWhitneyU([1, 2, 3], [4, 5, 6]))
  assert.equal(r.u, 0)
  close(r.p, 0.1, 1e-15, 'p')
  assert.equal(r.method, 'exact')
})

test('mannWhitneyU() uses the normal approximation with tie correction when values tie', () => {
  // scipy.stats.mannwhitneyu([1,2,2,3,4],[2,3,3,5,6,7]) → U=6.0, p=0.11390314458853068
  const r = tested(mannWhitneyU([1, 2, 2, 3, 4], [2, 3, 3, 5, 6, 7]))
  assert.equal(r.u, 6)
  assert.equal(r.method, 'asymptotic')
  close(r.p, 0.11390314458853068, 1e-12, 'p')
  // scipy.stats.mannwhitneyu(…, use_continuity=False) → p=0.09415344937876413
  close(
    tested(mannWhitneyU([1, 2, 2, 3, 4], [2, 3, 3, 5, 6, 7], { continuity: false })).p,
    0.09415344937876413,
    1e-12,
    'p',
  )
})

test('mannWhitneyU() answers each alternative as scipy does', () => {
  const a = [20.1, 19.8, 20.4, 20.0, 19.9, 20.3]
  const b = [19.5, 19.7, 19.2, 19.9, 19.4, 19.6, 19.8]
  // scipy.stats.mannwhitneyu(a, b) → U=40.0, p=0.008045656584816823 (ties: asymptotic);
  // alternative='less' → p=0.9973921345444281; alternative='greater' → p=0.004022828292408412
  close(tested(mannWhitneyU(a, b)).p, 0.008045656584816823, 1e-12, 'two-sided')
  close(tested(mannWhitneyU(a, b, { alternative: 'less' })).p, 0.9973921345444281, 1e-12, 'less')
  close(tested(mannWhitneyU(a, b, { alternative: 'greater' })).p, 0.004022828292408412, 1e-12, 'greater')
})

// Rounded draws of numpy.random.default_rng(1): normal(10, 1, 12), normal(11, 1, 15), normal(10, 1, 5),
// normal(10.5, 1, 40), in that order.
const x12 = [10.346, 10.822, 10.33, 8.697, 10.905, 10.446, 9.463, 10.581, 10.365, 10.294, 10.028, 10.547]
const y15 = [
  10.264, 10.837, 10.518, 11.599, 11.04, 10.708, 10.218, 10.743, 11.008, 10.724, 12.294, 12.007, 8.289, 9.111,
  10.825,
]
const x5 = [9.578, 10.214, 10.217, 12.118, 8.888]
const y40 = [
  10.122, 12.543, 11.147, 11.163, 9.986, 8.852, 10.667, 10.609, 9.273, 9.817, 10.428, 9.555, 10.402, 10.595,
  10.536, 9.994, 11.094, 11.391, 10.821, 9.682, 11.232, 9.999, 11.379, 9.428, 11.414, 10.48, 9.251, 10.186,
  10.554, 10.773, 9.518, 9.393, 10.7, 10.033, 10.736, 11.26, 8.851, 10.754, 11.725, 10.202,
]

test('mannWhitneyU() picks the normal approximation when both samples exceed 8 values', () => {
  // scipy.stats.mannwhitneyu(x12, y15) → U=53.0, p=0.07490957015830448;
  // method='exact' → p=0.07458953304962189; alternative='less' → p=0.03745478507915224
  const auto = tested(mannWhitneyU(x12, y15))
  assert.equal(auto.u, 53)
  assert.equal(auto.method, 'asymptotic')
  close(auto.p, 0.07490957015830448, 1e-12, 'auto')
  close(tested(mannWhitneyU(x12, y15, { method: 'exact' })).p, 0.07458953304962189, 1e-12, 'exact')
  close(tested(mannWhitneyU(x12, y15, { alternative: 'less' })).p, 0.03745478507915224, 1e-12, 'less')
})

test('mannWhitneyU() stays exact when only one sample is small', () => {
  // scipy.stats.mannwhitneyu(x5, y40) → U=83.0, p=0.5622450908894472; alternative='greater' → p=0.7306923869601124
  const r = tested(mannWhitneyU(x5, y40))
  assert.equal(r.u, 83)
  assert.equal(r.method, 'exact')
  close(r.p, 0.5622450908894472, 1e-12, 'two-sided')
  close(tested(mannWhitneyU(x5, y40, { alternative: 'greater' })).p, 0.7306923869601124, 1e-12, 'greater')
})

test('mannWhitneyU() computes far tails of large exact distributions accurately', () => {
  const x = Array.from({ length: 50 }, (_, i) => i + 0.5)
  const y = Array.from({ length: 50 }, (_, i) => i + 20.25)
  // scipy.stats.mannwhitneyu(x, y, method='exact') → U=465.0, p=1.447938962240489e-08;
  // method='asymptotic' → p=6.366071075125588e-08
  const exact = tested(mannWhitneyU(x, y, { method: 'exact' }))
  assert.equal(exact.u, 465)
  close(exact.p / 1.447938962240489e-8, 1, 1e-9, 'exact p relative')
  close(
    tested(mannWhitneyU(x, y, { method: 'asymptotic' })).p / 6.366071075125588e-8,
    1,
    1e-6,
    'normal p relative',
  )
})

test('mannWhitneyU() gives p = 1 for one value each', () => {
  // scipy.stats.mannwhitneyu([1],[2]) → U=0.0, p=1.0
  const r = tested(mannWhitneyU([1], [2]))
  assert.equal(r.u, 0)
  assert.equal(r.p, 1)
})

test('mannWhitneyU() is insufficient for an empty or non-finite sample', () => {
  assert.equal(mannWhitneyU([], [1, 2]).kind, 'insufficient')
  assert.equal(mannWhitneyU([1, Number.POSITIVE_INFINITY], [1, 2]).kind, 'insufficient')
})
