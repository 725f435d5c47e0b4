import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createRng } from '../lib/index.ts'
import { mean, variance } from './descriptive.ts'
import { studentTQuantile } from './distributions.ts'
import { bootstrapRatioInterval, fiellerRatioInterval, logRatioStderr, logTRatioInterval } from './ratio.ts'
import type { Interval, IntervalResult } from './result.ts'
import { logNormalSample } from './synthetic.ts'
import { satterthwaiteDof } from './ttest.ts'

const close = (actual: number, expected: number, tolerance: number, what: string): void => {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: expected ${expected}, found ${actual}`)
}

/** Narrows to an interval, failing the test otherwise. */
function interval(r: IntervalResult): Interval {
  assert.equal(r.kind, 'interval', r.kind === 'insufficient' ? r.reason : '')
  return r as Interval
}

// Per-process means (seconds) of a base build and a candidate about 3 % faster.
const base = [0.1023, 0.1011, 0.1032, 0.1019, 0.1027, 0.1015, 0.1021, 0.103]
const candidate = [0.0991, 0.0985, 0.1002, 0.0979, 0.0996, 0.0988, 0.0983, 0.0994, 0.099, 0.0998]

test('logTRatioInterval() is Welch on log values transformed back, as in scipy', () => {
  // r = scipy.stats.ttest_ind(numpy.log(candidate), numpy.log(base), equal_var=False);
  // numpy.exp(r.confidence_interval(0.95)) → (0.9620704441828964, 0.9760555611217478), df=15.216356685779461;
  // estimate exp(mean(log c) − mean(log b)) = 0.9690377738951078
  const r = interval(logTRatioInterval(base, candidate))
  close(r.estimate, 0.9690377738951078, 1e-13, 'estimate')
  close(r.low, 0.9620704441828964, 1e-9, 'low')
  close(r.high, 0.9760555611217478, 1e-9, 'high')
  const e = logRatioStderr(base, candidate)
  assert.equal(e.kind, 'log-ratio')
  if (e.kind === 'log-ratio') close(e.dof, 15.216356685779461, 1e-9, 'dof')
})

test('logTRatioInterval() of a ratio of constants is that exact ratio', () => {
  // By hand: every base process took 2, every candidate 1: the ratio is 0.5 with no uncertainty.
  const r = interval(logTRatioInterval([2, 2, 2], [1, 1]))
  assert.deepEqual([r.low, r.estimate, r.high], [0.5, 0.5, 0.5])
})

test('logTRatioInterval() swaps to the reciprocal interval when the builds swap', () => {
  const forward = interval(logTRatioInterval(base, candidate))
  const backward = interval(logTRatioInterval(candidate, base))
  close(backward.low, 1 / forward.high, 1e-12, 'low')
  close(backward.high, 1 / forward.low, 1e-12, 'high')
})

test('fiellerRatioInterval() matches the formula of R mratios::ttestratio', () => {
  // mratios::ttestratio(candidate, base, var.equal=FALSE, iterativeCI=FALSE) solves
  // tA ρ² + tB ρ + tC = 0 with tA = vb q²/nb − ȳb², tB = 2 ȳc ȳb, tC = vc q²/nc − ȳc², q the t
  // quantile at Satterthwaite df with the estimate plugged in. That formula, evaluated in
  // Python with scipy.stats.t.ppf → estimate 0.9690388848129128, df 15.21848051707691,
  // (0.9620764007167757, 0.9760568264267964).
  const r = interval(fiellerRatioInterval(base, candidate))
  close(r.estimate, 0.9690388848129128, 1e-13, 'estimate')
  close(r.low, 0.9620764007167757, 1e-9, 'low')
  close(r.high, 0.9760568264267964, 1e-9, 'high')
})

test("fiellerRatioInterval()'s ends satisfy Fieller's equation", () => {
  // By definition each end ρ solves |ȳc − ρ ȳb| = t · √(vc + ρ² vb).
  const r = interval(fiellerRatioInterval(base, candidate))
  const mb = mean(base)
  const mc = mean(candidate)
  const vb = variance(base) / base.length
  const vc = variance(candidate) / candidate.length
  const dof = satterthwaiteDof([
    { variance: vc, dof: candidate.length - 1 },
    { variance: r.estimate ** 2 * vb, dof: base.length - 1 },
  ])
  const t = studentTQuantile(0.975, dof)
  for (const rho of [r.low, r.high]) {
    close(Math.abs(mc - rho * mb), t * Math.sqrt(vc + rho * rho * vb), 1e-12, `end ${rho}`)
  }
})

test('fiellerRatioInterval() is insufficient when the base mean is indistinguishable from zero', () => {
  const r = fiellerRatioInterval([0.01, 5], [1, 1.1])
  assert.equal(r.kind, 'insufficient')
})

test('log-t and Fieller intervals agree to 0.01 % on timing-like data; the bootstrap to about 1 %', () => {
  const logT = interval(logTRatioInterval(base, candidate))
  const fieller = interval(fiellerRatioInterval(base, candidate))
  close(fieller.low, logT.low, 1e-4, 'low')
  close(fieller.high, logT.high, 1e-4, 'high')
  // The percentile bootstrap is narrower at these sizes (it uses z-like, not t, tails).
  const boot = interval(bootstrapRatioInterval(base, candidate, { rng: createRng(5) }))
  close(boot.low, logT.low, 0.01, 'bootstrap low')
  close(boot.high, logT.high, 0.01, 'bootstrap high')
  assert.ok(boot.high - boot.low < logT.high - logT.low)
})

test('log-t and Fieller intervals each cover a true ratio of 1.05 in at least 90 % of 200 seeded pairs', () => {
  // Log-normal process means with the same spread on both sides, so the ratio of geometric
  // means (log-t's target) equals the ratio of means (Fieller's).
  const rng = createRng(31)
  let logTCovered = 0
  let fiellerCovered = 0
  for (let i = 0; i < 200; i++) {
    const b = logNormalSample(rng, 10, { mean: 1, sdLog: 0.05 })
    const c = logNormalSample(rng, 10, { mean: 1.05, sdLog: 0.05 })
    const logT = interval(logTRatioInterval(b, c))
    const fieller = interval(fiellerRatioInterval(b, c))
    if (logT.low <= 1.05 && 1.05 <= logT.high) logTCovered++
    if (fieller.low <= 1.05 && 1.05 <= fieller.high) fiellerCovered++
  }
  assert.ok(logTCovered >= 180, `log-t covered ${logTCovered} of 200`)
  assert.ok(fiellerCovered >= 180, `Fieller covered ${fiellerCovered} of 200`)
})

test('ratio intervals are insufficient for fewer than 2 values or a non-positive value', () => {
  assert.equal(logTRatioInterval([1], [1, 2]).kind, 'insufficient')
  assert.equal(fiellerRatioInterval([1, 2], [0, 2]).kind, 'insufficient')
  const r = bootstrapRatioInterval([1, -2], [1, 2], { rng: createRng(1) })
  assert.equal(r.kind, 'insufficient')
  if (r.kind === 'insufficient') assert.match(r.reason, /base value at index 1 is not positive/)
})
