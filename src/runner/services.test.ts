import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
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

test('a langperf that exits without stopping its services takes them with it', { skip: NO_MEMCACHED }, () => {
  const services = new URL('./services.ts', import.meta.url).href
  const script = `const { startServices } = await import(${JSON.stringify(services)})
const [m] = await startServices(['memcached'], { timeoutMs: 10000 })
console.log(m.pid)
process.exit(130)`
  const out = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 30_000,
  })
  const pid = Number(out.stdout.trim())
  assert.ok(pid > 0, out.stderr)
  assert.equal(out.status, 130)
  assert.ok(
    !existsSync(`/proc/${pid}`) || readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z '),
    `memcached ${pid} outlived langperf`,
  )
})
