import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { acquireLock, NightlyLockedError } from './lock.ts'

const dir = mkdtempSync(join(tmpdir(), 'langperf-lock-'))
after(() => rmSync(dir, { recursive: true, force: true }))
let n = 0
const newPath = () => join(dir, `sub-${++n}`, 'nightly.lock')

test('acquireLock() writes pid, host and start time, and release() removes the file', async () => {
  const path = newPath()
  const lock = await acquireLock(path, {
    pid: 4242,
    host: 'bench-1',
    now: () => new Date('2024-10-01T02:00:00Z'),
  })
  assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), {
    pid: 4242,
    host: 'bench-1',
    startedAt: '2024-10-01T02:00:00.000Z',
  })
  assert.equal(lock.tookOverFrom, null)
  await lock.release()
  assert.throws(() => readFileSync(path), /ENOENT/)
})

test('a second nightly on the same host is refused while the first one lives, naming its owner', async () => {
  const path = newPath()
  const first = await acquireLock(path, { pid: 100, host: 'bench-1', isAlive: () => true })
  await assert.rejects(
    acquireLock(path, { pid: 200, host: 'bench-1', isAlive: () => true }),
    (e: unknown) => {
      assert.ok(e instanceof NightlyLockedError)
      assert.equal(e.code, 'conflict')
      assert.equal(e.holder?.pid, 100)
      assert.match(e.message, /another nightly \(pid 100 on "bench-1"/)
      return true
    },
  )
  await first.release()
  const second = await acquireLock(path, { pid: 200, host: 'bench-1' })
  await second.release()
})

test('of two nightlies racing for a free lock exactly one wins', async () => {
  const path = newPath()
  const results = await Promise.allSettled(
    [1, 2, 3, 4].map((pid) => acquireLock(path, { pid, host: 'h', isAlive: () => true })),
  )
  assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1)
  assert.ok(results.every((r) => r.status === 'fulfilled' || r.reason instanceof NightlyLockedError))
})

test('a lock left by a dead process on this host is taken over with a log line', async () => {
  const path = newPath()
  await acquireLock(path, { pid: 100, host: 'bench-1' })
  const lines: string[] = []
  const lock = await acquireLock(path, {
    pid: 200,
    host: 'bench-1',
    isAlive: (pid) => pid !== 100,
    log: (l) => lines.push(l),
  })
  assert.equal(lock.tookOverFrom?.pid, 100)
  assert.equal(lines.length, 1)
  assert.match(lines[0]!, /stale nightly lock .*pid 100 .* no longer running/)
  assert.equal(JSON.parse(readFileSync(path, 'utf8')).pid, 200)
})

test('a lock held from another host is never taken over, nor an unreadable one', async () => {
  const path = newPath()
  await acquireLock(path, { pid: 100, host: 'other-host' })
  await assert.rejects(
    acquireLock(path, { pid: 200, host: 'bench-1', isAlive: () => false }),
    NightlyLockedError,
  )
  const garbled = newPath()
  await acquireLock(garbled, { pid: 1, host: 'h' })
  writeFileSync(garbled, '{"pid":')
  await assert.rejects(
    acquireLock(garbled, { pid: 2, host: 'h', isAlive: () => false }),
    /owner is unreadable/,
  )
})

test('release() leaves a lock that another process has taken over since', async () => {
  const path = newPath()
  const mine = await acquireLock(path, { pid: 100, host: 'h' })
  const theirs = await acquireLock(path, { pid: 200, host: 'h', isAlive: (pid) => pid !== 100 })
  await mine.release()
  assert.equal(JSON.parse(readFileSync(path, 'utf8')).pid, 200)
  await theirs.release()
})
