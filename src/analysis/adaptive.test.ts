import assert from 'node:assert/strict'
import { test } from 'node:test'
import { LangperfError } from '../lib/index.ts'
import { precisionRule } from './adaptive.ts'

const around = (level: number, spread: number, n: number) =>
  Array.from({ length: n }, (_, i) => level * (1 + (spread * (i % 2 === 0 ? 1 : -1) * ((i % 3) + 1)) / 3))

test('precisionRule() settles one side once the interval of its mean is within ± the precision', () => {
  const rule = precisionRule(0.01)
  assert.equal(rule.settled([{ index: 0, processMeans: around(0.1, 0.005, 6) }]), true)
  assert.equal(rule.settled([{ index: 0, processMeans: around(0.1, 0.05, 6) }]), false)
  // More processes of the same spread narrow the interval until it is settled.
  assert.equal(rule.settled([{ index: 0, processMeans: around(0.1, 0.02, 4) }]), false)
  assert.equal(rule.settled([{ index: 0, processMeans: around(0.1, 0.02, 40) }]), true)
  assert.equal(rule.settled([{ index: 0, processMeans: [0.1] }]), false, 'one process has no interval')
})

test('precisionRule() settles a ratio that is precise, or beyond doubt a change, and nothing in between', () => {
  const rule = precisionRule(0.01)
  const base = around(0.1, 0.03, 6)
  // A 40 % slower interpreter, measured with 3 % spread: no need for ± 1 % to know.
  assert.equal(
    rule.settled([
      { index: 0, processMeans: base },
      { index: 1, processMeans: around(0.14, 0.03, 6) },
    ]),
    true,
  )
  // 1 % apart with 3 % spread: neither precise nor settled.
  assert.equal(
    rule.settled([
      { index: 0, processMeans: base },
      { index: 1, processMeans: around(0.101, 0.03, 6) },
    ]),
    false,
  )
  // Every candidate must be settled.
  assert.equal(
    rule.settled([
      { index: 0, processMeans: base },
      { index: 1, processMeans: around(0.14, 0.03, 6) },
      { index: 2, processMeans: around(0.101, 0.03, 6) },
    ]),
    false,
  )
})

test('precisionRule() refuses a precision or bounds it cannot honour', () => {
  assert.throws(() => precisionRule(0), LangperfError)
  assert.throws(() => precisionRule(1.5), LangperfError)
  assert.throws(
    () => precisionRule(0.01, { minProcesses: 10, maxProcesses: 5 }),
    /maximum not below the minimum/,
  )
  const r = precisionRule(0.02, { minProcesses: 6 })
  assert.deepEqual([r.minProcesses, r.maxProcesses], [6, 40])
  assert.deepEqual(r.describe, { rule: 'precision', precision: 0.02, confidence: 0.95 })
  assert.equal(r.budgetMs, undefined, 'no time budget unless asked')
  for (const bad of [0, -5, Number.POSITIVE_INFINITY, Number.NaN])
    assert.throws(() => precisionRule(0.01, { maxTimeS: bad }), /expected a positive, finite time budget/)
})

test('precisionRule() carries a time budget to the runner in milliseconds', () => {
  assert.equal(precisionRule(0.01, { maxTimeS: 600 }).budgetMs, 600_000)
})
