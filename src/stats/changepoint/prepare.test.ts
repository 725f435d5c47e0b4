import assert from 'node:assert/strict'
import { test } from 'node:test'
import { prepareSeries } from './prepare.ts'
import type { PreparedMeasured, SeriesPoint } from './types.ts'

const p = (
  id: string,
  order: number,
  value: number | null,
  extra: Partial<SeriesPoint> = {},
): SeriesPoint => ({
  id,
  order,
  epoch: 'e',
  value,
  ...extra,
})

test('prepareSeries() sorts by order, never by input position', () => {
  const { points } = prepareSeries([p('c', 3, 1), p('a', 1, 1), p('b', 2, 1)])
  assert.deepEqual(
    points.map((x) => x.id),
    ['a', 'b', 'c'],
  )
  assert.deepEqual(
    points.map((x) => x.index),
    [0, 1, 2],
  )
})

test('prepareSeries() merges builds of one commit into their geometric mean', () => {
  const { points } = prepareSeries([
    p('x1', 5, 1, { stderr: 0.01 }),
    p('y', 6, 3),
    p('x2', 5, 4, { stderr: 0.02 }),
  ])
  assert.equal(points.length, 2)
  const merged = points[0] as PreparedMeasured
  assert.equal(merged.state, 'measured')
  assert.deepEqual(merged.ids, ['x1', 'x2'])
  assert.equal(merged.id, 'x1')
  assert.equal(merged.builds, 2)
  assert.ok(Math.abs(merged.value - 2) < 1e-12)
  // ln-scale errors 0.01/1 and 0.02/4 = 0.005 → √(0.01² + 0.005²) / 2
  assert.ok(Math.abs((merged.logStderr ?? 0) - Math.sqrt(0.01 ** 2 + 0.005 ** 2) / 2) < 1e-12)
})

test('prepareSeries() keeps a commit re-run on new infrastructure as the start of that epoch', () => {
  const { points } = prepareSeries([
    { id: 'old-1', order: 1, epoch: 'old', value: 1 },
    { id: 'new-2', order: 2, epoch: 'new', value: 1 },
    { id: 'rerun-1', order: 1, epoch: 'new', value: 1 },
    { id: 'new-3', order: 3, epoch: 'new', value: 1 },
  ])
  assert.deepEqual(
    points.map((x) => x.id),
    ['old-1', 'rerun-1', 'new-2', 'new-3'],
  )
})

test('prepareSeries() lists failed and unusable builds and keeps their commits as unmeasured', () => {
  const { points, excluded } = prepareSeries([
    p('ok', 1, 1),
    p('failed', 2, null),
    p('nan', 3, Number.NaN),
    p('zero', 4, 0),
    p('negative', 5, -1),
    p('infinite', 6, Number.POSITIVE_INFINITY),
    p('no-order', Number.NaN, 1),
  ])
  assert.deepEqual(excluded, [
    { id: 'failed', reason: 'failed' },
    { id: 'nan', reason: 'not-finite' },
    { id: 'zero', reason: 'non-positive' },
    { id: 'negative', reason: 'non-positive' },
    { id: 'infinite', reason: 'not-finite' },
    { id: 'no-order', reason: 'bad-order' },
  ])
  assert.deepEqual(
    points.map((x) => [x.id, x.state]),
    [
      ['ok', 'measured'],
      ['failed', 'unmeasured'],
      ['nan', 'unmeasured'],
      ['zero', 'unmeasured'],
      ['negative', 'unmeasured'],
      ['infinite', 'unmeasured'],
    ],
  )
})

test('prepareSeries() uses the good build of a commit whose re-run failed', () => {
  const { points } = prepareSeries([p('bad', 1, null), p('good', 1, 2)])
  assert.equal(points.length, 1)
  assert.equal(points[0]?.state, 'measured')
  assert.equal((points[0] as PreparedMeasured).builds, 1)
  assert.deepEqual(points[0]?.ids, ['bad', 'good'])
})

test('prepareSeries() takes the error from process means before stderr', () => {
  const { points } = prepareSeries([
    p('pm', 1, 1, { processMeans: [1, 1.1, Number.NaN, 0.9], stderr: 0.5 }),
    p('se', 2, 2, { stderr: 0.02 }),
    p('none', 3, 2, { processMeans: [1] }),
  ])
  const logs = [1, 1.1, 0.9].map(Math.log)
  const mean = logs.reduce((a, b) => a + b) / 3
  const sd = Math.sqrt(logs.reduce((a, l) => a + (l - mean) ** 2, 0) / 2)
  assert.ok(Math.abs(((points[0] as PreparedMeasured).logStderr ?? 0) - sd / Math.sqrt(3)) < 1e-12)
  assert.ok(Math.abs(((points[1] as PreparedMeasured).logStderr ?? 0) - 0.01) < 1e-12)
  assert.equal((points[2] as PreparedMeasured).logStderr, null)
})
