import assert from 'node:assert/strict'
import { test } from 'node:test'
import { formatInterval, formatTimeLeft, formatValue, significant } from './format.ts'

test('time left rounds to whole seconds before splitting, so a minute never shows 60 seconds', () => {
  assert.equal(formatTimeLeft(1739.6), '29m00s')
  assert.equal(formatTimeLeft(1739.4), '28m59s')
  assert.equal(formatTimeLeft(59.5), '1m00s')
  assert.equal(formatTimeLeft(42), '42s')
  assert.equal(formatTimeLeft(3599.7), '1h00m')
  assert.equal(formatTimeLeft(3 * 3600 + 5 * 60 + 9), '3h05m')
  assert.equal(formatTimeLeft(Number.NaN), '–')
  assert.equal(formatTimeLeft(-1), '–')
})

test('significant digits are counted after rounding, so 9.996 reads 10.0, not 10.00', () => {
  assert.equal(significant(9.996), '10.0')
  assert.equal(significant(0.09996), '0.100')
  assert.equal(significant(999.6), '1000')
  assert.equal(significant(1.234), '1.23')
  assert.equal(significant(-9.996), '-10.0')
  assert.equal(significant(0.0012345), '0.00123')
  assert.equal(significant(123456), '123456')
})

test('instruction counts keep every digit, and an exact comparison says so instead of an interval', () => {
  assert.equal(formatValue(146_074_728.81, 'instruction'), '146,074,729 instr')
  assert.equal(formatInterval(1.0123, 1.0123, true), 'exact')
  // A sampled interval that happens to collapse is still shown as an interval.
  assert.equal(formatInterval(1, 1), '[1.000, 1.000]')
  assert.equal(formatInterval(null, 1, true), '')
})
