import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import { runAgent } from '../agent/index.ts'
import { type ClaimedJob, createApiClient, exampleRunDocument } from '../api/index.ts'
import { exampleFarmJob, FarmQueue, NO_PG_REASON, schemaPool, TEST_PG_URL } from '../farm/index.ts'
import { buildServer, hashTokenSecret, newTokenSecret } from '../server/index.ts'
import { openPostgresStore } from '../store/index.ts'

// The agent's loop against a real server and queue (PostgreSQL), with a job runner that answers
// at once: a job completed is stored; a job whose runner throws is reported failed and retried;
// a stop while a job runs releases it.

const url = TEST_PG_URL
if (url === undefined) {
  test('runAgent() on PostgreSQL', { skip: NO_PG_REASON })
} else {
  const schemas = schemaPool('langperf_agent')
  after(() => schemas.dropAll(url))

  async function setup() {
    const store = await openPostgresStore(url as string, { schema: schemas.next(), maxConnections: 4 })
    const farm = new FarmQueue({
      connectionString: url as string,
      schema: schemas.next(),
      backoffMs: 100,
      attempts: 2,
    })
    const app = await buildServer(store, { farm })
    const base = await app.listen({ host: '127.0.0.1', port: 0 })
    const secret = newTokenSecret()
    await store.createToken({
      name: 'a',
      role: 'agent',
      scopes: ['m1'],
      hash: hashTokenSecret(secret),
      createdAt: '2024-09-01T00:00:00Z',
    })
    const api = createApiClient(base, { token: secret })
    const close = async () => {
      await app.close()
      await farm.close()
      await store.close()
    }
    /** The options every agent of these tests shares: machine m1, log lines into `lines`. */
    const agent = (lines: string[]) => ({
      api,
      machine: 'm1',
      stop: new AbortController().signal,
      claimWaitS: 1,
      log: (l: string) => lines.push(l),
    })
    return { store, farm, api, agent, close }
  }

  const document = (job: ClaimedJob) =>
    exampleRunDocument({ machine: job.key.machine, commitSha: job.key.commit })

  describe('runAgent() on PostgreSQL', () => {
    test('completes its jobs, reports a failing one (retried after its backoff) and stops after maxJobs', async () => {
      const f = await setup()
      try {
        await f.farm.enqueue([exampleFarmJob('m1', 'ok'), exampleFarmJob('m1', 'flaky')])
        const seen: string[] = []
        const lines: string[] = []
        const report = await runAgent({
          ...f.agent(lines),
          claimWaitS: 2,
          maxJobs: 3,
          run: async (job) => {
            seen.push(`${job.key.commit}#${job.attempt}`)
            if (job.key.commit === 'flaky' && job.attempt === 1) throw new Error('interpreter crashed')
            return document(job)
          },
        })
        assert.deepEqual(report, { completed: 2, failed: 1, released: 0, lost: 0 })
        assert.deepEqual(seen, ['ok#1', 'flaky#1', 'flaky#2'])
        assert.ok(lines.some((l) => /failed: interpreter crashed/.test(l)))
        assert.equal((await f.store.listRuns()).total, 2)
        const [agent] = await f.store.listAgents()
        assert.deepEqual([agent?.jobsDone, agent?.jobsFailed], [2, 1])
      } finally {
        await f.close()
      }
    })

    test('an agent whose lease is lost (its next heartbeat answers 409) abandons the job and uploads nothing', async () => {
      const f = await setup()
      try {
        await f.farm.enqueue([exampleFarmJob('m1', 'taken')])
        const lines: string[] = []
        const report = await runAgent({
          ...f.agent(lines),
          maxJobs: 1,
          run: async (job, signal) => {
            // The job is put back behind the agent's back, as when its lease expired.
            await f.farm.fail('m1', job, { message: 'taken away', release: true })
            await new Promise((resolve) => signal.addEventListener('abort', resolve))
            return document(job)
          },
        })
        assert.deepEqual(report, { completed: 0, failed: 0, released: 0, lost: 1 })
        assert.ok(
          lines.some((l) => /abandoned: its lease was lost/.test(l)),
          lines.join('\n'),
        )
        assert.equal((await f.store.listRuns()).total, 0)
        assert.equal((await f.farm.depth('m1')).waiting, 1)
      } finally {
        await f.close()
      }
    })

    test('a stop while a job runs releases the job, which waits for the next claim', async () => {
      const f = await setup()
      try {
        await f.farm.enqueue([exampleFarmJob('m1', 'long')])
        const stop = new AbortController()
        const report = await runAgent({
          ...f.agent([]),
          stop: stop.signal,
          run: (_job, signal) =>
            new Promise((_resolve, reject) => {
              signal.addEventListener('abort', () => reject(new Error('aborted')))
              setTimeout(() => stop.abort(), 200)
            }),
        })
        assert.deepEqual(report, { completed: 0, failed: 0, released: 1, lost: 0 })
        assert.deepEqual(await f.farm.depth('m1'), { waiting: 1, active: 0, delayed: 0, failed: 0 })
        assert.equal((await f.store.listRuns()).total, 0)
      } finally {
        await f.close()
      }
    })
  })
}
