import assert from 'node:assert/strict'
import { test } from 'node:test'
import { cronProblem, parseDurationMs, parseSizeBytes } from './values.ts'

test('cronProblem() accepts standard five-field expressions and names the bad field', () => {
  assert.equal(cronProblem('*/15 0-6,22 * * 0'), null)
  assert.equal(cronProblem('0 3 1 1 7'), null)
  assert.match(cronProblem('61 2 * * *') ?? '', /minute values in 0–59, found "61"/)
  assert.match(cronProblem('0 2 * *') ?? '', /5 fields/)
  assert.match(cronProblem('0 5-2 * * *') ?? '', /increasing range in the hour field/)
  assert.match(cronProblem('0 2 * JAN *') ?? '', /month field, found "JAN"/)
})

test('parseDurationMs() and parseSizeBytes() read units and refuse anything else', () => {
  assert.equal(parseDurationMs('90s'), 90_000)
  assert.equal(parseDurationMs('1h30m'), 5_400_000)
  assert.equal(parseDurationMs('2h'), 7_200_000)
  assert.equal(parseDurationMs('2 hours'), undefined)
  assert.equal(parseDurationMs(''), undefined)
  assert.equal(parseSizeBytes('500 MB'), 500e6)
  assert.equal(parseSizeBytes('1.5GiB'), 1.5 * 2 ** 30)
  assert.equal(parseSizeBytes(1024), 1024)
  assert.equal(parseSizeBytes('10 parsecs'), undefined)
  assert.equal(parseSizeBytes(-1), undefined)
})
