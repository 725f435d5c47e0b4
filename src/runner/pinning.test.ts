import assert from 'node:assert/strict'
import { test } from 'node:test'
import { allowedCpus, autoPinning, pinnedPlan } from './pinning.ts'

test('auto placement: isolated CPUs first, else the highest-numbered CPU, else none', () => {
  assert.deepEqual(autoPinning('2-3', [0, 1, 2, 3], true), {
    cpuList: '2-3',
    source: 'isolated',
    note: 'workers pinned to the isolated CPUs 2-3',
  })
  const one = autoPinning('', [3, 0, 2, 1, 3], true)
  assert.equal(one.cpuList, '3', 'the highest-numbered CPU, whatever the order given')
  assert.equal(one.source, 'one-cpu')
  assert.match(one.note, /every worker on CPU 3, the same each run/)
  // A container limited to CPUs 4 and 6 pins to 6, never to a CPU it may not use.
  assert.equal(autoPinning('', [4, 6], true).cpuList, '6')
  assert.deepEqual(autoPinning('', [0], true), {
    source: 'none',
    note: 'workers not pinned: this process may use one CPU',
  })
  assert.equal(autoPinning('', [], true).source, 'none')
  assert.deepEqual(autoPinning('2-3', [0, 1, 2, 3], false), {
    source: 'none',
    note: 'workers not pinned: `taskset` (util-linux) is not installed',
  })
  // An isolated list the kernel should never give is not passed to taskset.
  assert.equal(autoPinning('0;rm', [0, 1], true).cpuList, '1')
})

test('the CPUs this process may use are read from /proc, at least one', async () => {
  const cpus = await allowedCpus()
  assert.ok(cpus.length >= 1)
  for (const c of cpus) assert.ok(Number.isInteger(c) && c >= 0)
})

test('a placement becomes the plan fields that place and record the workers', () => {
  assert.deepEqual(pinnedPlan(autoPinning('', [0, 1], true)), { cpuList: '1', cpuPinning: 'one-cpu' })
  assert.deepEqual(pinnedPlan(autoPinning('', [0], true)), { cpuPinning: 'none' })
})
