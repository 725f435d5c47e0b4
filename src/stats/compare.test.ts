import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createRng, LangperfError } from '../lib/index.ts'
import { type Comparison, type ComparisonResult, compareTwo, verdictOf } from './compare.ts'
import { logNormalSample } from './synthetic.ts'

const close = (actual: number, expected: number, tolerance: number, what: string): void => {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: expected ${expected}, found ${actual}`)
}

/** Narrows to a comparison that reached a verdict, failing the test otherwise. */
function compared(r: ComparisonResult): Comparison {
  assert.equal(r.kind, 'comparison', r.kind === 'insufficient' ? r.reason : '')
  return r as Comparison
}

// Per-process means (seconds) of a base build and a candidate about 3 % faster.
const base = [0.1023, 0.1011, 0.1032, 0.1019, 0.1027, 0.1015, 0.1021, 0.103]
const candidate = [0.0991, 0.0985, 0.1002, 0.0979, 0.0996, 0.0988, 0.0983, 0.0994, 0.099, 0.0998]

test('compareTwo() calls a 3 % faster candidate faster, with scipy-checked figures', () => {
  const r = compared(compareTwo(base, candidate))
  assert.equal(r.verdict, 'faster')
  assert.equal(r.method, 'log-t')
  // numpy.exp(scipy.stats.ttest_ind(log(candidate), log(base), equal_var=False)
  //   .confidence_interval(0.95)) → (0.9620704441828964, 0.9760555611217478); p=1.176108451201378e-07
  close(r.low, 0.9620704441828964, 1e-9, 'low')
  close(r.high, 0.9760555611217478, 1e-9, 'high')
  close(r.welch?.p ?? Number.NaN, 1.176108451201378e-7, 1e-12, 'Welch p')
  // scipy.stats.mannwhitneyu(candidate, base) → U=0.0, p=4.570592805886923e-05 (exact: 2 / C(18, 8))
  assert.equal(r.mannWhitney?.u, 0)
  close(r.mannWhitney?.p ?? Number.NaN, 2 / 43_758, 1e-15, 'Mann-Whitney p')
  // By hand: sums 0.9906 / 10 and 0.8178 / 8.
  close(r.ratioOfMeans, 0.09906 / 0.102225, 1e-12, 'ratio of means')
  assert.deepEqual([r.nBase, r.nCandidate], [8, 10])
})

test('compareTwo() reads "faster" in the sense of the unit', () => {
  // By hand: constant process means, base 2 and candidate 1, give the certain ratio 0.5.
  const time = compared(compareTwo([2, 2, 2], [1, 1, 1]))
  assert.deepEqual([time.low, time.ratio, time.high, time.verdict], [0.5, 0.5, 0.5, 'faster'])
  const throughput = compared(compareTwo([2, 2, 2], [1, 1, 1], { lowerIsBetter: false }))
  assert.equal(throughput.verdict, 'slower')
  assert.equal(compared(compareTwo(candidate, base)).verdict, 'slower')
})

test('compareTwo() ignores a significant change smaller than minEffect', () => {
  assert.equal(compared(compareTwo(base, candidate, { minEffect: 0.05 })).verdict, 'no-difference')
  assert.equal(compared(compareTwo(base, candidate, { minEffect: 0.02 })).verdict, 'faster')
})

test('compareTwo() finds no difference when the interval contains 1', () => {
  const r = compared(compareTwo(base, [...base].reverse()))
  assert.equal(r.verdict, 'no-difference')
  assert.ok(r.low < 1 && r.high > 1)
})

test('compareTwo() is insufficient with fewer than 2 process means on a side', () => {
  const r = compareTwo([0.1], candidate)
  assert.equal(r.verdict, 'insufficient')
  assert.equal(r.kind, 'insufficient')
  if (r.kind === 'insufficient') {
    assert.equal(r.reason, 'Need at least 2 base values, found 1')
    assert.deepEqual([r.nBase, r.nCandidate], [1, 10])
  }
  assert.equal(compareTwo(base, [0.1, Number.NaN]).verdict, 'insufficient')
  assert.equal(compareTwo(base, [0.1, 0]).verdict, 'insufficient')
})

test('compareTwo() throws bad-input for a bad confidence or minimum effect', () => {
  const isBadInput = (e: unknown) => e instanceof LangperfError && e.code === 'bad-input'
  assert.throws(() => compareTwo(base, candidate, { confidence: 1.2 }), isBadInput)
  assert.throws(() => compareTwo(base, candidate, { minEffect: -0.01 }), isBadInput)
})

test("compareTwo()'s Fieller and bootstrap methods reach the default's verdict here", () => {
  const fieller = compared(compareTwo(base, candidate, { method: 'fieller' }))
  assert.equal(fieller.verdict, 'faster')
  close(fieller.ratio, fieller.ratioOfMeans, 0, 'Fieller estimates the ratio of means')
  const boot = compared(compareTwo(base, candidate, { method: 'bootstrap', rng: createRng(4) }))
  assert.equal(boot.verdict, 'faster')
  assert.deepEqual(boot, compared(compareTwo(base, candidate, { method: 'bootstrap', rng: createRng(4) })))
})

test('compareTwo() calls a change in at most 10 % of 200 seeded comparisons of equal builds', () => {
  // At 95 % confidence about 5 % of null comparisons are called by chance.
  const rng = createRng(8)
  let called = 0
  for (let i = 0; i < 200; i++) {
    const b = logNormalSample(rng, 20, { mean: 0.1, sdLog: 0.05 })
    const c = logNormalSample(rng, 20, { mean: 0.1, sdLog: 0.05 })
    if (compared(compareTwo(b, c)).verdict !== 'no-difference') called++
  }
  assert.ok(called <= 20, `called ${called} of 200`)
})

test('verdictOf() needs the interval to exclude 1 and the effect to reach minEffect', () => {
  const rule = { lowerIsBetter: true, minEffect: 0.01 }
  assert.equal(verdictOf(0.97, 0.99, 0.98, rule), 'faster')
  assert.equal(verdictOf(1.01, 1.03, 1.02, rule), 'slower')
  assert.equal(verdictOf(0.99, 1.01, 1.0, rule), 'no-difference')
  assert.equal(verdictOf(0.994, 0.996, 0.995, rule), 'no-difference')
  assert.equal(verdictOf(1.0, 1.02, 1.01, rule), 'no-difference')
})
