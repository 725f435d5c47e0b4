import assert from 'node:assert/strict'
import { test } from 'node:test'
import { durationText } from './commands/run.ts'

// The run plan's duration: the preset's estimate, or the --max-time budget when it is shorter.

test('durationText() says the estimate, or the budget when the budget ends the run first', () => {
  assert.equal(durationText(1800, undefined), 'about 30 min')
  assert.equal(durationText(1800, 3600), 'about 30 min')
  assert.equal(durationText(1800, 600), 'at most 10 min (--max-time; about 30 min without it)')
  assert.equal(durationText(20, undefined), 'about 1 min')
  assert.equal(durationText(400, 45), 'at most 45 s (--max-time; about 7 min without it)')
})
