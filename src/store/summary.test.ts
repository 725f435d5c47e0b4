import assert from 'node:assert/strict'
import { test } from 'node:test'
import { summarizeProcesses } from './summary.ts'

const p = (values: number[]) => ({ warmups: [[1, 99]] as const, values, metadata: {} })

test('summarizeProcesses() matches Python statistics on per-process means and on all values', () => {
  // python3: means = [mean(x) for x in ([.011, .012, .013], [.0105, .0125], [.02])]
  //   → [0.012, 0.0115, 0.02]; mean(means) = 0.0145; stdev(means) = 0.004769696007084728;
  //   median(all values) = 0.01225
  const { summary, processMeans } = summarizeProcesses([
    p([0.011, 0.012, 0.013]),
    p([0.0105, 0.0125]),
    p([0.02]),
  ])
  assert.equal(summary.nProcesses, 3)
  assert.equal(summary.nValues, 6)
  assert.ok(Math.abs(summary.mean! - 0.0145) < 1e-15)
  assert.ok(Math.abs(summary.stdevProcessMeans! - 0.004769696007084728) < 1e-15)
  assert.equal(summary.median, 0.01225)
  assert.equal(summary.min, 0.0105)
  assert.equal(summary.max, 0.02)
  assert.equal(processMeans.length, 3)
})

test('summarizeProcesses() takes the middle value of an odd count and skips processes without values', () => {
  const { summary, processMeans } = summarizeProcesses([p([5, 1]), p([]), p([3])])
  assert.deepEqual(processMeans, [3, 3])
  assert.equal(summary.nProcesses, 2)
  assert.equal(summary.median, 3)
  assert.equal(summary.stdevProcessMeans, 0)
})

test('summarizeProcesses() leaves the spread null for one process and every number null without values', () => {
  assert.equal(summarizeProcesses([p([1, 2])]).summary.stdevProcessMeans, null)
  assert.deepEqual(summarizeProcesses([p([])]).summary, {
    nProcesses: 0,
    nValues: 0,
    mean: null,
    stdevProcessMeans: null,
    min: null,
    max: null,
    median: null,
  })
})
