import assert from 'node:assert/strict'
import { test } from 'node:test'
import { otherWork, parseProcStat, readCpuTicks, USER_HZ, workerCpuSeconds } from './cpu-share.ts'

const STAT = [
  'cpu  300 0 150 900 50 0 0 0 0 0',
  'cpu0 100 0 50 800 50 0 0 0 0 0',
  'cpu1 200 10 100 100 0 5 5 30 0 0',
  'intr 12345',
  '',
].join('\n')

test('parseProcStat() sums the busy and total ticks of the CPUs asked for', () => {
  // cpu1: busy = user 200 + nice 10 + system 100 + irq 5 + softirq 5 + steal 30; total adds idle.
  assert.deepEqual(parseProcStat(STAT, [1]), { busy: 350, total: 450 })
  assert.deepEqual(parseProcStat(STAT, [0, 1]), { busy: 500, total: 1450 })
  assert.equal(parseProcStat(STAT, [2]), null, 'a CPU the text lacks')
  assert.equal(parseProcStat('cpu1 a b c d\n', [1]), null, 'fields that are not numbers')
  assert.equal(parseProcStat('', [0]), null)
})

test('otherWork() is the CPUs busy time the workers did not spend, never below zero', () => {
  const before = { busy: 1000, total: 2000 }
  // 10 s of CPU time passed, 9 s busy, the workers used 6: 3 s (30 %) were someone else's.
  const after = { busy: 1000 + 9 * USER_HZ, total: 2000 + 10 * USER_HZ }
  const o = otherWork(before, after, 6)
  assert.ok(o !== null)
  assert.ok(Math.abs(o.seconds - 3) < 1e-9 && Math.abs(o.share - 0.3) < 1e-9, JSON.stringify(o))
  // Workers that report more than the counters saw (clock skew, children elsewhere): 0, not negative.
  assert.deepEqual(otherWork(before, after, 12), { seconds: 0, share: 0 })
  assert.equal(otherWork(before, before, 0), null, 'no time passed')
  assert.equal(otherWork(after, before, 0), null, 'counters went backwards')
})

test('workerCpuSeconds() adds what a process and its children reported, ignoring what is not a time', () => {
  assert.equal(workerCpuSeconds({ cpu_time_s: 1.5, children_cpu_time_s: 0.5 }), 2)
  assert.equal(workerCpuSeconds({ cpu_time_s: 1.5 }), 1.5)
  assert.equal(workerCpuSeconds({ cpu_time_s: 'x', children_cpu_time_s: -1 }), 0)
  assert.equal(workerCpuSeconds({}), 0)
})

test('readCpuTicks() reads this machine, or nothing where there is no /proc/stat', async () => {
  assert.equal(await readCpuTicks([]), null)
  const ticks = await readCpuTicks([0])
  if (ticks !== null) assert.ok(ticks.total >= ticks.busy && ticks.busy >= 0)
})
