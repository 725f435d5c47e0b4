import assert from 'node:assert/strict'
import { resolve } from 'node:path'
import { test } from 'node:test'
import { displayLocation, storeLocation } from './context.ts'

test('storeLocation() passes a postgres URL through and resolves anything else as a SQLite path', () => {
  assert.equal(storeLocation({ db: 'postgres://u:p@db/lp' }, {}), 'postgres://u:p@db/lp')
  assert.equal(storeLocation({}, { LANGPERF_DB: 'postgresql://db/lp' }), 'postgresql://db/lp')
  assert.equal(storeLocation({ db: 'x.db' }, { LANGPERF_DB: 'postgres://db/lp' }), resolve('x.db'))
  assert.equal(storeLocation({}, {}), resolve('langperf.db'))
})

test('displayLocation() never prints a password', () => {
  assert.equal(displayLocation('postgres://langperf:s3cret@db:5432/lp'), 'postgres://langperf:***@db:5432/lp')
  assert.equal(displayLocation('postgres://db/lp'), 'postgres://db/lp')
  assert.equal(displayLocation('/tmp/a:b@c.db'), '/tmp/a:b@c.db')
})
