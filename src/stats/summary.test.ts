import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createRng, LangperfError } from '../lib/index.ts'
import type { Insufficient } from './result.ts'
import { type Summary, summarize } from './summary.ts'

const close = (actual: number, expected: number, tolerance: number, what: string): void => {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: expected ${expected}, found ${actual}`)
}

/** Narrows to a summary, failing the test otherwise. */
function summary(r: Summary | Insufficient): Summary {
  assert.equal(r.kind, 'summary', r.kind === 'insufficient' ? r.reason : '')
  return r as Summary
}

test('summarize() of 1..5 gives the centre, spread and a ±65 % t interval', () => {
  const r = summary(summarize([5, 3, 1, 4, 2], { rng: createRng(1) }))
  assert.deepEqual([r.n, r.mean, r.median, r.min, r.max], [5, 3, 3, 1, 5])
  close(r.stdev, Math.sqrt(2.5), 1e-15, 'stdev')
  // R: t.test(1:5)$conf.int → 1.036757 4.963243, so the half-width 1.963243 is 65.44 % of 3.
  close(r.relativeHalfWidth, 1.963243161477557 / 3, 1e-8, 'relative half-width')
  assert.equal(r.meanT.kind, 'interval')
  assert.equal(r.meanBootstrap.kind, 'interval')
  assert.equal(r.medianBootstrap.kind, 'interval')
  if (r.meanBootstrap.kind === 'interval') assert.equal(r.meanBootstrap.method, 'bca')
  if (r.medianBootstrap.kind === 'interval') assert.equal(r.medianBootstrap.method, 'percentile')
})

test('summarize() returns the same summary for the same seed', () => {
  const sample = [0.101, 0.099, 0.104, 0.1, 0.098, 0.103, 0.1, 0.102]
  assert.deepEqual(summarize(sample, { rng: createRng(5) }), summarize(sample, { rng: createRng(5) }))
})

test('summarize() of one process mean gives points and no intervals', () => {
  const r = summary(summarize([0.25], { rng: createRng(1) }))
  assert.deepEqual([r.n, r.mean, r.median, r.min, r.max, r.mad], [1, 0.25, 0.25, 0.25, 0.25, 0])
  assert.ok(Number.isNaN(r.stdev) && Number.isNaN(r.relativeHalfWidth))
  assert.equal(r.meanT.kind, 'insufficient')
  assert.equal(r.meanBootstrap.kind, 'insufficient')
  assert.equal(r.medianBootstrap.kind, 'insufficient')
})

test('summarize() is insufficient for no process means or a non-finite one', () => {
  assert.equal(summarize([], { rng: createRng(1) }).kind, 'insufficient')
  assert.deepEqual(summarize([1, Number.POSITIVE_INFINITY], { rng: createRng(1) }), {
    kind: 'insufficient',
    reason: 'The process mean value at index 1 is not finite (Infinity)',
  })
})

test('summarize() throws bad-input for a confidence outside (0, 1)', () => {
  assert.throws(
    () => summarize([1, 2, 3], { rng: createRng(1), confidence: -0.5 }),
    (e: unknown) => e instanceof LangperfError && e.code === 'bad-input',
  )
})
