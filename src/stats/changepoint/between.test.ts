import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createRng } from '../../lib/index.ts'
import { stepBetween } from './between.ts'
import { detectChanges } from './detect.ts'
import { noisy } from './testing.ts'

test('stepBetween() reads a flat history as no step, with an interval the size of its noise', () => {
  const d = detectChanges(noisy(createRng(7), Array(40).fill(1), 0.01))
  const s = stepBetween(d, 19, 20)
  assert.ok(s !== null)
  // confirmWindow (12) builds a side.
  assert.equal(s.pointsBefore, 12)
  assert.equal(s.pointsAfter, 12)
  assert.ok(s.ratioLow < 1 && s.ratioHigh > 1, JSON.stringify(s))
  assert.ok(s.ratioHigh / s.ratioLow < 1.04, JSON.stringify(s))
})

test('stepBetween() measures a step between two builds, however few builds follow', () => {
  const levels = Array.from({ length: 30 }, (_, i) => (i >= 25 ? 1.2 : 1))
  const d = detectChanges(noisy(createRng(8), levels, 0.01))
  const s = stepBetween(d, 24, 25)
  assert.ok(s !== null)
  assert.equal(s.pointsAfter, 5)
  assert.ok(s.ratioLow > 1.15 && s.ratioHigh < 1.25, JSON.stringify(s))
})

test('stepBetween() stops each side at a confirmed change and never crosses an epoch', () => {
  const levels = Array.from({ length: 60 }, (_, i) => (i >= 10 && i < 30 ? 1.1 : 1))
  const d = detectChanges(noisy(createRng(9), levels, 0.005))
  assert.deepEqual(
    d.changes.map((c) => c.firstBadId),
    ['c10', 'c30'],
  )
  // Between builds 19 and 20 (both at 1.1): the sides start at c10 and end before c30.
  const s = stepBetween(d, 19, 20)
  assert.ok(s !== null)
  assert.equal(s.pointsBefore, 10)
  assert.equal(s.pointsAfter, 10)
  assert.ok(Math.abs(s.ratio - 1) < 0.01, JSON.stringify(s))
  const epochs = detectChanges(noisy(createRng(9), Array(40).fill(1), 0.005, (i) => (i < 20 ? 'a' : 'b')))
  assert.equal(stepBetween(epochs, 19, 20), null)
  assert.equal(stepBetween(epochs, 20, 19), null)
})
