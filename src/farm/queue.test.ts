import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { LangperfError } from '../lib/index.ts'
import { jobIdOf, jobKeyText } from './job-key.ts'
import { FarmQueue, type FarmQueueOptions } from './queue.ts'
import { exampleFarmJob, NO_PG_REASON, schemaPool, TEST_PG_URL } from './testing.ts'

// The farm's queue on the real engine: BullMQ's PostgreSQL backend in a fresh schema per test.

const url = TEST_PG_URL

function rejectsCode(promise: Promise<unknown>, code: string, re: RegExp): Promise<void> {
  return assert.rejects(
    promise,
    (e: unknown) => e instanceof LangperfError && e.code === code && re.test(e.message),
  )
}

describe('jobKeyText() and jobIdOf()', () => {
  test('a key part holding the separator cannot forge another key', () => {
    const a = exampleFarmJob('m1', 'a|b').key
    const b = { ...exampleFarmJob('m1', 'a').key, config: 'b|default' }
    assert.notEqual(jobKeyText(a), jobKeyText(b))
    assert.match(jobIdOf(a), /^[0-9a-f]{32}$/)
    assert.equal(jobIdOf(a), jobIdOf({ ...a }))
  })
})

if (url === undefined) {
  test('FarmQueue on PostgreSQL', { skip: NO_PG_REASON })
} else {
  const schemas = schemaPool('langperf_farmq')
  after(() => schemas.dropAll(url))
  const open = (options: Partial<FarmQueueOptions> = {}) =>
    new FarmQueue({ connectionString: url, schema: schemas.next(), ...options })

  describe('FarmQueue on PostgreSQL', () => {
    test('runs on BullMQ’s PostgreSQL backend, not Redis', async () => {
      const q = open()
      try {
        assert.equal(await q.backendName('m1'), 'PostgresQueueBackend')
      } finally {
        await q.close()
      }
    })

    test('a key enqueued twice is added once, even after its job completed', async () => {
      const q = open()
      try {
        const job = exampleFarmJob('m1')
        assert.deepEqual(await q.enqueue([job, job]), [
          { id: jobIdOf(job.key), added: true },
          { id: jobIdOf(job.key), added: false },
        ])
        const claimed = await q.claim('m1', 0)
        assert.ok(claimed)
        await q.complete('m1', claimed, async () => ({ runId: 1 }))
        assert.deepEqual(await q.enqueue([job]), [{ id: jobIdOf(job.key), added: false }])
        assert.equal(await q.claim('m1', 0), null)
      } finally {
        await q.close()
      }
    })

    test('a machine is handed only its own jobs; a claim waits for one and else answers null', async () => {
      const q = open()
      try {
        await q.enqueue([exampleFarmJob('m1')])
        assert.equal(await q.claim('m2', 300), null)
        const claimed = await q.claim('m1', 0)
        assert.equal(claimed?.key.machine, 'm1')
        assert.equal(claimed?.attempt, 1)
        await rejectsCode(
          q.heartbeat('m2', claimed?.id ?? '', claimed?.lease ?? ''),
          'not-found',
          /has no job/,
        )
      } finally {
        await q.close()
      }
    })

    test('heartbeat, completion and failure need the lease of a held job; a second completion is a conflict', async () => {
      const q = open()
      try {
        await q.enqueue([exampleFarmJob('m1')])
        const claimed = await q.claim('m1', 0)
        assert.ok(claimed)
        const wrong = { id: claimed.id, lease: 'x'.repeat(32) }
        await rejectsCode(q.heartbeat('m1', claimed.id, wrong.lease), 'conflict', /not held/)
        let stored = 0
        await rejectsCode(
          q.complete('m1', wrong, async () => ({ n: ++stored })),
          'conflict',
          /not held/,
        )
        await rejectsCode(q.fail('m1', wrong, { message: 'x', release: false }), 'conflict', /not held/)
        assert.equal(stored, 0)
        assert.match((await q.heartbeat('m1', claimed.id, claimed.lease)).lockedUntil, /Z$/)
        assert.deepEqual(await q.complete('m1', claimed, async () => ({ n: ++stored })), { n: 1 })
        await rejectsCode(
          q.complete('m1', claimed, async () => ({ n: ++stored })),
          'conflict',
          /completed/,
        )
        assert.equal(stored, 1)
      } finally {
        await q.close()
      }
    })

    test('a failed job is retried after its backoff until its attempts are spent; a released one at once', async () => {
      const q = open({ attempts: 2, backoffMs: 200 })
      try {
        await q.enqueue([exampleFarmJob('m1')])
        const first = await q.claim('m1', 0)
        assert.ok(first)
        assert.deepEqual(await q.fail('m1', first, { message: 'stopping', release: true }), {
          state: 'waiting',
        })
        const again = await q.claim('m1', 0)
        assert.ok(again)
        assert.deepEqual(await q.fail('m1', again, { message: 'boom', release: false }), { state: 'delayed' })
        const retried = await q.claim('m1', 5000)
        assert.ok(retried)
        assert.deepEqual(await q.fail('m1', retried, { message: 'boom', release: false }), {
          state: 'failed',
        })
        assert.equal(await q.claim('m1', 500), null)
        assert.equal((await q.depth('m1')).failed, 1)
      } finally {
        await q.close()
      }
    })

    test('unfinishedKeys() lists the keys that will run or failed for good; states() tells each job', async () => {
      const q = open({ attempts: 1 })
      try {
        const [a, b, c] = ['c1', 'c2', 'c3'].map((commit) => exampleFarmJob('m1', commit))
        const ids = (await q.enqueue([a!, b!, c!])).map((x) => x.id)
        const first = await q.claim('m1', 0)
        assert.ok(first)
        await q.complete('m1', first, async () => ({ runId: 1 }))
        const second = await q.claim('m1', 0)
        assert.ok(second)
        await q.fail('m1', second, { message: 'boom', release: false })
        assert.deepEqual((await q.unfinishedKeys('m1')).map((k) => k.commit).sort(), ['c2', 'c3'])
        assert.deepEqual(
          [...(await q.states('m1', [...ids, 'f'.repeat(32)])).values()],
          ['completed', 'failed', 'waiting', 'unknown'],
        )
      } finally {
        await q.close()
      }
    })

    test('retryFailed() enqueues a job that failed for good again, with the next try and attempt numbers, up to its tries', async () => {
      const q = open({ attempts: 2, backoffMs: 50 })
      try {
        const job = exampleFarmJob('m1', 'c-retry')
        const [{ id } = { id: '' }] = await q.enqueue([job])
        const failFor = async (expectAttempts: number[], key = job.key) => {
          for (const n of expectAttempts) {
            const claimed = await q.claim('m1', 5000)
            assert.equal(claimed?.attempt, n)
            assert.deepEqual(claimed?.key, key)
            await q.fail('m1', claimed!, { message: 'remote unreachable', release: false })
          }
        }
        // Nothing failed yet: nothing to retry, and a pending job is not retried.
        assert.deepEqual(await q.retryFailed('m1', 3), [])
        await failFor([1, 2])
        assert.deepEqual(
          (await q.unfinishedKeys('m1')).map((k) => k.commit),
          ['c-retry'],
        )
        // The next nightly: a new job of the same key, try 2, its attempts counted on from 2.
        const retried = await q.retryFailed('m1', 3)
        assert.deepEqual(
          retried.map((r) => [r.id, r.key.commit, r.nightlyTry]),
          [[`${id}-t2`, 'c-retry', 2]],
        )
        assert.deepEqual(await q.retryFailed('m1', 3), [], 'a pending try is not retried again')
        await failFor([3, 4])
        assert.deepEqual(
          (await q.retryFailed('m1', 3)).map((r) => r.nightlyTry),
          [3],
        )
        // The third try completes: nothing is retried any more, and its key is not enqueued again.
        const third = await q.claim('m1', 5000)
        assert.equal(third?.attempt, 5)
        await q.complete('m1', third!, async () => ({ runId: 7 }))
        assert.deepEqual(await q.retryFailed('m1', 3), [])
        assert.deepEqual(await q.enqueue([job]), [{ id, added: false }])
        assert.deepEqual(await q.unfinishedKeys('m1'), [])
        // A key that failed its three tries stays failed.
        const other = exampleFarmJob('m1', 'c-gap')
        await q.enqueue([other])
        for (let t = 1; t <= 3; t++) {
          await failFor([2 * t - 1, 2 * t], other.key)
          const again = await q.retryFailed('m1', 3)
          assert.equal(again.length, t < 3 ? 1 : 0)
        }
        assert.deepEqual((await q.unfinishedKeys('m1')).map((k) => k.commit).sort(), ['c-gap'])
        assert.equal((await q.depth('m1')).failed, 5)
      } finally {
        await q.close()
      }
    })

    test('a job whose lease expires (its agent died) is handed out again with a new lease', async () => {
      const q = open({ lockDurationMs: 1000, stalledIntervalMs: 500 })
      try {
        await q.enqueue([exampleFarmJob('m1')])
        const first = await q.claim('m1', 0)
        assert.ok(first)
        await sleep(1200)
        const second = await q.claim('m1', 10_000)
        assert.ok(second)
        assert.equal(second.id, first.id)
        assert.notEqual(second.lease, first.lease)
        await rejectsCode(q.heartbeat('m1', first.id, first.lease), 'conflict', /not held/)
      } finally {
        await q.close()
      }
    })
  })
}
