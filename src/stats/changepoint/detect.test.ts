import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createRng, LangperfError } from '../../lib/index.ts'
import { detectChanges } from './detect.ts'
import { gaussian, noisy } from './testing.ts'
import { followUpProvisional } from './track.ts'
import type { Detection, SeriesPoint } from './types.ts'

const steps = (n: number, at: number, ratio: number) =>
  Array.from({ length: n }, (_, i) => (i >= at ? ratio : 1))
const plain = (values: readonly (number | null)[]): SeriesPoint[] =>
  values.map((value, i) => ({ id: `c${i}`, order: i, epoch: 'e', value }))

test('detectChanges() finds a 5 % step with the right blame and an interval covering the true ratio', () => {
  const d = detectChanges(noisy(createRng(1), steps(80, 40, 1.05), 0.01))
  assert.equal(d.changes.length, 1)
  const [c] = d.changes
  assert.equal(c?.state, 'confirmed')
  assert.equal(c?.direction, 'regression')
  assert.equal(c?.lastGoodId, 'c39')
  assert.equal(c?.firstBadId, 'c40')
  assert.ok((c?.step.ratioLow ?? 2) <= 1.05 && 1.05 <= (c?.step.ratioHigh ?? 0), JSON.stringify(c?.step))
  assert.ok((c?.step.pValue ?? 1) <= 0.001)
  assert.equal(d.newest.kind, 'steady')
})

test('detectChanges() calls a drop an improvement, or a regression when higher is better', () => {
  const points = noisy(createRng(2), steps(60, 30, 0.9), 0.01)
  assert.equal(detectChanges(points).changes[0]?.direction, 'improvement')
  assert.equal(detectChanges(points, { lowerIsBetter: false }).changes[0]?.direction, 'regression')
})

test('detectChanges() finds several steps in a long series through its sliding windows', () => {
  const levels = Array.from({ length: 300 }, (_, i) => (i < 70 ? 1 : i < 160 ? 1.08 : i < 240 ? 1.02 : 1.2))
  const d = detectChanges(noisy(createRng(4), levels, 0.008))
  assert.deepEqual(
    d.changes.map((c) => c.firstBadId),
    ['c70', 'c160', 'c240'],
  )
})

test('detectChanges() finds nothing in pure noise', () => {
  const rng = createRng(5)
  let found = 0
  for (let s = 0; s < 20; s++) found += detectChanges(noisy(rng, steps(200, 200, 1), 0.01)).changes.length
  assert.equal(found, 0)
})

test('detectChanges() never blames a step at an epoch boundary on a commit', () => {
  // +20 % exactly where the kernel changed, and a real +6 % step later inside the new epoch.
  const levels = Array.from({ length: 70 }, (_, i) => (i < 30 ? 1 : i < 50 ? 1.2 : 1.2 * 1.06))
  const d = detectChanges(noisy(createRng(6), levels, 0.01, (i) => (i < 30 ? 'kernel=5' : 'kernel=6')))
  assert.deepEqual(
    d.changes.map((c) => c.firstBadId),
    ['c50'],
  )
  assert.equal(d.epochs.length, 1)
  const [boundary] = d.epochs
  assert.equal(boundary?.id, 'c30')
  assert.equal(boundary?.previousId, 'c29')
  assert.equal(boundary?.significant, true)
  assert.ok((boundary?.step?.ratioLow ?? 2) <= 1.2 && 1.2 <= (boundary?.step?.ratioHigh ?? 0))
})

test('detectChanges() reports a steady epoch boundary as not significant', () => {
  const d = detectChanges(noisy(createRng(7), steps(40, 40, 1), 0.01, (i) => (i < 20 ? 'a' : 'b')))
  assert.equal(d.epochs.length, 1)
  assert.equal(d.epochs[0]?.significant, false)
  assert.equal(d.changes.length, 0)
})

test('detectChanges() gives the newest build a provisional verdict that a later build confirms', () => {
  const history = noisy(createRng(8), steps(31, 30, 1.3), 0.005)
  const before = detectChanges(history)
  assert.equal(before.newest.kind, 'provisional')
  assert.deepEqual(
    before.changes.map((c) => [c.state, c.firstBadId, c.lastGoodId]),
    [['provisional', 'c30', 'c29']],
  )
  const after = detectChanges([...history, { id: 'c31', order: 31, epoch: 'e', value: 1.3 }])
  assert.deepEqual(
    followUpProvisional(before, after).map((f) => f.outcome),
    ['confirmed'],
  )
  assert.equal(after.changes[0]?.state, 'confirmed')
  assert.equal(after.newest.kind, 'steady')
})

test('detectChanges() withdraws a provisional verdict when the next build is back to normal', () => {
  const history = noisy(createRng(8), steps(31, 30, 1.3), 0.005)
  const before = detectChanges(history)
  const after = detectChanges([...history, { id: 'c31', order: 31, epoch: 'e', value: 1.0 }])
  assert.deepEqual(
    followUpProvisional(before, after).map((f) => f.outcome),
    ['withdrawn'],
  )
  assert.equal(after.changes.length, 0)
  assert.deepEqual(
    followUpProvisional(before, before).map((f) => f.outcome),
    ['pending'],
  )
})

test('detectChanges() does not raise a provisional alert for an ordinary outlier', () => {
  // 3.5 σ is a p ≈ 0.0005 event under normal noise, but common in real benchmark noise.
  const points = noisy(createRng(9), steps(30, 30, 1), 0.01)
  const d = detectChanges([...points, { id: 'c30', order: 30, epoch: 'e', value: Math.exp(0.035) }])
  assert.notEqual(d.newest.kind, 'provisional')
})

test('detectChanges() says not enough evidence when the newest build moved but the noise allows no call', () => {
  const points = noisy(createRng(10), steps(30, 30, 1), 0.02)
  const d = detectChanges([...points, { id: 'c30', order: 30, epoch: 'e', value: 1.06 }])
  assert.equal(d.newest.kind, 'not-enough-evidence')
  assert.equal(d.newest.kind === 'not-enough-evidence' ? d.newest.reason : '', 'inconclusive')
  assert.equal(d.changes.length, 0)
})

test('detectChanges() answers new-epoch when the newest build opens an epoch', () => {
  const points = noisy(createRng(11), steps(20, 20, 1), 0.01)
  const d = detectChanges([...points, { id: 'new', order: 20, epoch: 'kernel=6', value: 1.5 }])
  assert.equal(d.newest.kind, 'new-epoch')
  assert.equal(d.newest.kind === 'new-epoch' ? d.newest.boundary.id : '', 'new')
  assert.equal(d.changes.length, 0)
})

test('detectChanges() is deterministic and ignores the input order', () => {
  const points = noisy(createRng(12), steps(120, 70, 1.04), 0.01)
  const a = detectChanges(points)
  assert.deepEqual(detectChanges(points), a)
  assert.deepEqual(detectChanges([...points].reverse()), a)
})

// Bad input: every case has a defined answer, none throws, none invents a change.

test('detectChanges() of an empty series answers empty', () => {
  const d = detectChanges([])
  assert.deepEqual(d.newest, { kind: 'empty' })
  assert.deepEqual([d.changes, d.epochs, d.points, d.excluded], [[], [], [], []])
  assert.equal(d.noise.differences, 0)
})

test('detectChanges() of a single point has no baseline', () => {
  const d = detectChanges(plain([1]))
  assert.equal(d.newest.kind, 'not-enough-evidence')
  assert.equal(d.newest.kind === 'not-enough-evidence' ? d.newest.reason : '', 'no-baseline')
  assert.equal(d.changes.length, 0)
})

test('detectChanges() of two points cannot call even a doubling', () => {
  const d = detectChanges(plain([1, 2]))
  assert.equal(d.changes.length, 0)
  assert.equal(d.newest.kind, 'not-enough-evidence')
  assert.equal(d.newest.kind === 'not-enough-evidence' ? d.newest.reason : '', 'no-noise-estimate')
})

test('detectChanges() of constant values finds nothing, and a step in a constant metric exactly', () => {
  const constant = detectChanges(plain(Array.from({ length: 30 }, () => 7)))
  assert.equal(constant.changes.length, 0)
  assert.equal(constant.newest.kind, 'steady')
  // A deterministic metric (instruction counts): 5 → 6 is a change, with a zero-width interval.
  const d = detectChanges(plain(Array.from({ length: 30 }, (_, i) => (i < 15 ? 5 : 6))))
  assert.deepEqual(
    d.changes.map((c) => [c.firstBadId, c.state]),
    [['c15', 'confirmed']],
  )
  assert.ok(Math.abs((d.changes[0]?.step.ratio ?? 0) - 1.2) < 1e-9)
})

test('detectChanges() leaves out zeros, negatives and NaN without inventing a change', () => {
  const values: (number | null)[] = noisy(createRng(13), steps(40, 40, 1), 0.01).map((p) => p.value)
  values[10] = 0
  values[20] = Number.NaN
  values[30] = -1
  const d = detectChanges(plain(values))
  assert.equal(d.changes.length, 0)
  assert.deepEqual(
    d.excluded.map((e) => [e.id, e.reason]),
    [
      ['c10', 'non-positive'],
      ['c20', 'not-finite'],
      ['c30', 'non-positive'],
    ],
  )
})

test('detectChanges() skips failed builds and names them as suspects in a blame range', () => {
  const values: (number | null)[] = noisy(createRng(14), steps(60, 30, 1.1), 0.01).map((p) => p.value)
  values[30] = null
  values[31] = null
  values[45] = null
  const d = detectChanges(plain(values))
  assert.deepEqual(
    d.changes.map((c) => [c.lastGoodId, c.firstBadId, c.unmeasuredIds]),
    [['c29', 'c32', ['c30', 'c31']]],
  )
})

test('detectChanges() answers failed when the newest build failed, keeping the history', () => {
  const d = detectChanges([
    ...noisy(createRng(15), steps(30, 10, 1.1), 0.01),
    { id: 'x', order: 99, epoch: 'e', value: null },
  ])
  assert.deepEqual(d.newest, { kind: 'failed', id: 'x', reason: 'failed' })
  assert.deepEqual(
    d.changes.map((c) => c.firstBadId),
    ['c10'],
  )
  assert.deepEqual(detectChanges(plain([null, null])).newest, { kind: 'failed', id: 'c1', reason: 'failed' })
})

test('detectChanges() blames the same commits whatever the gaps in order', () => {
  const points = noisy(createRng(16), steps(60, 25, 1.07), 0.01)
  const gappy = points.map((p, i) => ({ ...p, order: i * 10 + (i % 3) }))
  const ids = (d: Detection) => d.changes.map((c) => [c.lastGoodId, c.firstBadId])
  assert.deepEqual(ids(detectChanges(gappy)), ids(detectChanges(points)))
})

test('detectChanges() merges several builds of one commit before looking for changes', () => {
  const rng = createRng(17)
  const once = noisy(rng, steps(40, 20, 1.05), 0.01)
  const twice = once.flatMap((p) => [
    p,
    { ...p, id: `${p.id}-rerun`, value: (p.value ?? 1) * Math.exp(0.01 * gaussian(rng)) },
  ])
  const d = detectChanges(twice)
  assert.equal(d.points.length, 40)
  assert.deepEqual(d.points[0]?.ids, ['c0', 'c0-rerun'])
  assert.deepEqual(
    d.changes.map((c) => c.firstBadId),
    ['c20'],
  )
})

test('detectChanges() survives every bad case at once', () => {
  const points: SeriesPoint[] = [
    { id: 'a', order: Number.NaN, epoch: 'e', value: 1 },
    { id: 'b', order: 1, epoch: 'e', value: null },
    { id: 'c', order: 1, epoch: 'e', value: 0 },
    { id: 'd', order: 2, epoch: 'f', value: Number.POSITIVE_INFINITY },
    { id: 'e', order: 3, epoch: 'f', value: 1, stderr: Number.NaN, processMeans: [Number.NaN, -1] },
    { id: 'f', order: 3, epoch: 'g', value: 1e308, stderr: -1 },
  ]
  const d = detectChanges(points)
  assert.equal(d.changes.length, 0)
  assert.equal(d.points.length, 4)
})

test('detectChanges() rejects options no detector could honour', () => {
  const isBadInput = (e: unknown) => e instanceof LangperfError && e.code === 'bad-input'
  assert.throws(() => detectChanges([], { window: 1 }), isBadInput)
  assert.throws(() => detectChanges([], { maxPValue: 1.5 }), isBadInput)
  assert.throws(() => detectChanges([], { tailDof: 3 }), isBadInput)
  assert.throws(() => detectChanges([], { minMagnitude: -0.1 }), isBadInput)
})
