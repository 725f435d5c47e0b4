import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { test } from 'node:test'
import { onPath } from './discovery.ts'
import { freePort, startServices, stopServices } from './services.ts'

// The services langperf starts for server workloads: a real memcached on loopback.

const NO_MEMCACHED =
  (await onPath('memcached', process.env)) !== null
    ? false
    : 'memcached is not installed (apt-get install -y memcached)'

test('freePort() gives a port langperf may bind on 127.0.0.1', async () => {
  const port = await freePort()
  assert.ok(Number.isInteger(port) && port > 0 && port < 65536, String(port))
})

test('memcached starts on a free loopback port, reports its version, and is gone once stopped', {
  skip: NO_MEMCACHED,
}, async () => {
  const [memcached] = await startServices(['memcached'], { timeoutMs: 10_000 })
  assert.ok(memcached)
  try {
    assert.equal(memcached.address, `127.0.0.1:${memcached.port}`)
    assert.match(memcached.version, /^\d+\.\d+\.\d+/)
    assert.ok(existsSync(`/proc/${memcached.pid}`), 'memcached runs')
  } finally {
    await stopServices([memcached])
  }
  assert.ok(!existsSync(`/proc/${memcached.pid}`), `memcached ${memcached.pid} is left running`)
})

test('two services of one kind run side by side on ports of their own', { skip: NO_MEMCACHED }, async () => {
  const a = await startServices(['memcached'], { timeoutMs: 10_000 })
  const b = await startServices(['memcached'], { timeoutMs: 10_000 })
  await stopServices([...a, ...b])
  assert.notEqual(a[0]?.port, b[0]?.port)
  for (const s of [...a, ...b]) assert.ok(!existsSync(`/proc/${s.pid}`))
})
