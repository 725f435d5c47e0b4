import assert from 'node:assert/strict'
import { test } from 'node:test'
import { LangperfError } from '../../lib/index.ts'
import { assignEpochs, epochKey, orderFromCommitDate } from './epochs.ts'

test('epochKey() lists the chosen fields in order, with "?" for a missing one', () => {
  assert.equal(
    epochKey({ kernel: '5.15.0-105', cpuConfig: 'performance', extra: 'x' }, [
      'kernel',
      'cpuConfig',
      'compiler',
    ]),
    'kernel=5.15.0-105;cpuConfig=performance;compiler=?',
  )
})

test('epochKey() escapes separators so two different records never share a key', () => {
  const a = epochKey({ x: 'a;y=b', y: '' }, ['x', 'y'])
  const b = epochKey({ x: 'a', y: 'b;y=' }, ['x', 'y'])
  assert.notEqual(a, b)
})

test('epochKey() uses the default fields: workload, suite and harness versions, kernel, CPU, compiler', () => {
  assert.equal(
    epochKey({ workloadVersion: 'h1', kernel: 'k' }),
    'workloadVersion=h1;suiteVersion=?;harnessVersion=?;kernel=k;cpuConfig=?;compiler=?',
  )
})

test('assignEpochs() adds the key and keeps the other fields', () => {
  const out = assignEpochs([{ id: 'r1', meta: { kernel: 'k1' } }], ['kernel'])
  assert.deepEqual(out, [{ id: 'r1', meta: { kernel: 'k1' }, epoch: 'kernel=k1' }])
})

test('orderFromCommitDate() orders by UTC instant, not by the raw string', () => {
  // pyperf's commit_date keeps the committer's offset: the later string is the earlier commit.
  const a = orderFromCommitDate('2024-04-25T13:51:31+02:00')
  const b = orderFromCommitDate('2024-04-25T12:00:00Z')
  assert.equal(a, Date.UTC(2024, 3, 25, 11, 51, 31))
  assert.ok(a < b)
  assert.equal(orderFromCommitDate('2024-04-25 11:51:31-0700'), Date.UTC(2024, 3, 25, 18, 51, 31))
})

test('orderFromCommitDate() rejects a date without a zone', () => {
  assert.throws(
    () => orderFromCommitDate('2024-04-25T11:51:31'),
    (e: unknown) =>
      e instanceof LangperfError && e.code === 'bad-input' && e.message.includes('"2024-04-25T11:51:31"'),
  )
  assert.throws(() => orderFromCommitDate('yesterday'), LangperfError)
})
