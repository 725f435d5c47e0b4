import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import { pino } from 'pino'
import { exampleRunDocument } from '../api/index.ts'
import {
  exampleFarmJob,
  FarmQueue,
  jobKeyText,
  NO_PG_REASON,
  schemaPool,
  TEST_PG_URL,
} from '../farm/index.ts'
import type { Transport } from '../notify/index.ts'
import { openPostgresStore, type Store } from '../store/index.ts'
import { buildServer, hashTokenSecret, newTokenSecret, startSilenceWatch } from './index.ts'
import { assertError, bearer, call, run, runCount, setup, teardown } from './server-fixture.ts'

// The farm's routes: an agent acts only for its own machine and only on jobs it holds; every
// refusal is a clear 4xx that changes nothing; a job's result is stored once.

describe('farm routes without a farm', () => {
  test('the agent routes answer 501 on a server without a farm, storing nothing', async () => {
    const f = await setup()
    try {
      const r = await call(f.app, {
        method: 'POST',
        url: '/api/v1/agent/register',
        headers: bearer(f.secrets.scoped),
        payload: { machine: 'bench-2' },
      })
      assertError(r, 501, 'not-implemented', /runs no farm.*--farm/)
      assert.deepEqual(await f.store.listAgents(), [])
      const agents = await call(f.app, { method: 'GET', url: '/api/v1/farm/agents' })
      assert.deepEqual(agents.body, { items: [] })
    } finally {
      await teardown(f)
    }
  })
})

test('the access log masks a job lease sent in a query string', async () => {
  const lines: string[] = []
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) })
  const f = await setup({ logger })
  try {
    const lease = 'S'.repeat(32)
    await call(f.app, {
      method: 'POST',
      url: `/api/v1/agent/jobs/${'a'.repeat(32)}/complete?machine=bench-2&lease=${lease}`,
      headers: { ...bearer(f.secrets.scoped), 'content-type': 'application/json' },
      payload: '{}',
    })
    const access = lines.filter((l) => l.includes('/complete'))
    assert.equal(access.length, 1)
    assert.match(access[0] ?? '', /lease=…/)
    assert.equal(lines.join('\n').includes(lease), false)
  } finally {
    await teardown(f)
  }
})

const url = TEST_PG_URL
if (url === undefined) {
  test('farm routes on PostgreSQL', { skip: NO_PG_REASON })
} else {
  const schemas = schemaPool('langperf_farm_srv')
  after(() => schemas.dropAll(url))

  /** A PostgreSQL store and farm behind a server, with tokens for m1, m2, an unbound agent and an admin. */
  async function farmSetup(options: { lockDurationMs?: number } = {}) {
    const names = { store: schemas.next(), farm: schemas.next() }
    const store: Store = await openPostgresStore(url as string, { schema: names.store, maxConnections: 4 })
    const farm = new FarmQueue({ connectionString: url as string, schema: names.farm, ...options })
    const app = await buildServer(store, { farm })
    const secrets = {
      m1: newTokenSecret(),
      m2: newTokenSecret(),
      unbound: newTokenSecret(),
      admin: newTokenSecret(),
    }
    const at = '2024-09-01T00:00:00Z'
    const scopes = { m1: ['m1'], m2: ['m2'], unbound: [], admin: [] }
    for (const [name, secret] of Object.entries(secrets)) {
      await store.createToken({
        name,
        role: name === 'admin' ? 'admin' : 'agent',
        scopes: scopes[name as keyof typeof scopes],
        hash: hashTokenSecret(secret),
        createdAt: at,
      })
    }
    const post = (path: string, secret: string, payload: unknown) =>
      call(app, {
        method: 'POST',
        url: path,
        headers: bearer(secret),
        payload: payload as Record<string, unknown>,
      })
    const complete = (
      id: string,
      machine: string,
      lease: string,
      secret: string,
      doc = exampleRunDocument({ machine }),
    ) =>
      call(app, {
        method: 'POST',
        url: `/api/v1/agent/jobs/${id}/complete?machine=${machine}&lease=${lease}`,
        headers: { ...bearer(secret), 'content-type': 'application/json' },
        payload: JSON.stringify(doc),
      })
    const close = async () => {
      await app.close()
      await farm.close()
      await store.close()
    }
    return { store, farm, app, names, secrets, post, complete, close }
  }

  describe('farm routes on PostgreSQL', () => {
    test('two servers over one database share the queue: a job claimed on one is renewed and completed on the other', async () => {
      const f = await farmSetup()
      const store2 = await openPostgresStore(url as string, { schema: f.names.store, maxConnections: 4 })
      const farm2 = new FarmQueue({ connectionString: url as string, schema: f.names.farm })
      const app2 = await buildServer(store2, { farm: farm2 })
      try {
        const spec = exampleFarmJob('m1')
        await f.post('/api/v1/farm/jobs', f.secrets.admin, { jobs: [spec] })
        const again = await call(app2, {
          method: 'POST',
          url: '/api/v1/farm/jobs',
          headers: bearer(f.secrets.admin),
          payload: { jobs: [spec] },
        })
        assert.equal((again.body.jobs as { added: boolean }[])[0]?.added, false)
        await f.post('/api/v1/agent/register', f.secrets.m1, { machine: 'm1' })
        const job = (await f.post('/api/v1/agent/claim', f.secrets.m1, { machine: 'm1', waitS: 0 })).body
          .job as { id: string; lease: string }
        const beat = await call(app2, {
          method: 'POST',
          url: `/api/v1/agent/jobs/${job.id}/heartbeat`,
          headers: bearer(f.secrets.m1),
          payload: { machine: 'm1', lease: job.lease },
        })
        assert.equal(beat.status, 200, beat.raw)
        const done = await call(app2, {
          method: 'POST',
          url: `/api/v1/agent/jobs/${job.id}/complete?machine=m1&lease=${job.lease}`,
          headers: { ...bearer(f.secrets.m1), 'content-type': 'application/json' },
          payload: JSON.stringify(exampleRunDocument({ machine: 'm1' })),
        })
        assert.equal(done.status, 200, done.raw)
        assertError(await f.complete(job.id, 'm1', job.lease, f.secrets.m1), 409, 'conflict', /completed/)
        assert.equal(await runCount(f.store), 1)
      } finally {
        await app2.close()
        await farm2.close()
        await store2.close()
        await f.close()
      }
    })

    test('an agent token acts only for the machines its scopes name', async () => {
      const f = await farmSetup()
      try {
        assertError(
          await f.post('/api/v1/agent/register', f.secrets.m2, { machine: 'm1' }),
          403,
          'forbidden',
          /acts for machine "m2", found machine "m1"/,
        )
        assertError(
          await f.post('/api/v1/agent/register', f.secrets.unbound, { machine: 'm1' }),
          403,
          'forbidden',
          /bound to no machine/,
        )
        assert.deepEqual(await f.store.listAgents(), [])
        const ok = await f.post('/api/v1/agent/register', f.secrets.m1, {
          machine: 'm1',
          info: { hostname: 'h' },
        })
        assert.equal(ok.status, 200, ok.raw)
        assert.equal(ok.body.machine, 'm1')
        assert.deepEqual(
          (await f.store.listAgents()).map((a) => [a.machine, a.state]),
          [['m1', 'idle']],
        )
      } finally {
        await f.close()
      }
    })

    test('claiming another machine’s jobs is refused and leaves them waiting', async () => {
      const f = await farmSetup()
      try {
        await f.farm.enqueue([exampleFarmJob('m1')])
        await f.post('/api/v1/agent/register', f.secrets.m2, { machine: 'm2' })
        assertError(
          await f.post('/api/v1/agent/claim', f.secrets.m2, { machine: 'm1', waitS: 0 }),
          403,
          'forbidden',
          /found machine "m1"/,
        )
        const own = await f.post('/api/v1/agent/claim', f.secrets.m2, { machine: 'm2', waitS: 0 })
        assert.deepEqual(own.body, { job: null })
        assert.equal((await f.farm.depth('m1')).waiting, 1)
      } finally {
        await f.close()
      }
    })

    test('heartbeats, completions and failures of a job not held are 4xx and store nothing; a second completion is 409', async () => {
      const f = await farmSetup()
      try {
        const [enq] = (await f.post('/api/v1/farm/jobs', f.secrets.admin, { jobs: [exampleFarmJob('m1')] }))
          .body.jobs as { id: string; added: boolean }[]
        assert.equal(enq?.added, true)
        await f.post('/api/v1/agent/register', f.secrets.m1, { machine: 'm1' })
        await f.post('/api/v1/agent/register', f.secrets.m2, { machine: 'm2' })
        const claim = await f.post('/api/v1/agent/claim', f.secrets.m1, { machine: 'm1', waitS: 0 })
        const job = claim.body.job as { id: string; lease: string; attempt: number }
        assert.equal(job.id, enq?.id)
        assert.equal(job.attempt, 1)
        const wrongLease = 'w'.repeat(32)
        const hb = (machine: string, lease: string, secret: string) =>
          f.post(`/api/v1/agent/jobs/${job.id}/heartbeat`, secret, { machine, lease })
        assertError(await hb('m1', wrongLease, f.secrets.m1), 409, 'conflict', /not held with this lease/)
        assertError(await hb('m2', job.lease, f.secrets.m2), 404, 'not-found', /machine "m2" has no job/)
        assertError(await hb('m1', job.lease, f.secrets.m2), 403, 'forbidden', /found machine "m1"/)
        assertError(await f.complete(job.id, 'm1', wrongLease, f.secrets.m1), 409, 'conflict', /not held/)
        assertError(await f.complete(job.id, 'm2', job.lease, f.secrets.m2), 404, 'not-found', /has no job/)
        assertError(
          await f.complete(job.id, 'm1', job.lease, f.secrets.m1, exampleRunDocument({ machine: 'm2' })),
          400,
          'bad-input',
          /measured on machine "m2", expected "m1"/,
        )
        assertError(
          await f.post(`/api/v1/agent/jobs/${job.id}/fail`, f.secrets.m1, {
            machine: 'm1',
            lease: wrongLease,
            message: 'x',
          }),
          409,
          'conflict',
          /not held/,
        )
        assert.equal(await runCount(f.store), 0)
        assert.equal((await hb('m1', job.lease, f.secrets.m1)).status, 200)
        const done = await f.complete(job.id, 'm1', job.lease, f.secrets.m1)
        assert.equal(done.status, 200, done.raw)
        assert.equal(done.body.stored, true)
        assertError(await f.complete(job.id, 'm1', job.lease, f.secrets.m1), 409, 'conflict', /completed/)
        assert.equal(await runCount(f.store), 1)
        const again = await f.post('/api/v1/farm/jobs', f.secrets.admin, { jobs: [exampleFarmJob('m1')] })
        assert.deepEqual(again.body.jobs, [{ id: job.id, added: false }])
        const agents = await call(f.app, { method: 'GET', url: '/api/v1/farm/agents' })
        const m1 = (agents.body.items as { machine: string; jobsDone: number; queue: unknown }[]).find(
          (a) => a.machine === 'm1',
        )
        assert.equal(m1?.jobsDone, 1)
        assert.deepEqual(m1?.queue, { waiting: 0, active: 0, delayed: 0, failed: 0 })
      } finally {
        await f.close()
      }
    })

    test('a job completed again after its result was stored (a crash before the acknowledgement) stores nothing more', async () => {
      const f = await farmSetup()
      try {
        const spec = exampleFarmJob('m1')
        await f.farm.enqueue([spec])
        const first = await f.store.insertRunOnce(
          jobKeyText(spec.key),
          run({ machine: 'm1' }),
          '2024-10-01T00:00:00Z',
        )
        await f.post('/api/v1/agent/register', f.secrets.m1, { machine: 'm1' })
        const job = (await f.post('/api/v1/agent/claim', f.secrets.m1, { machine: 'm1', waitS: 0 })).body
          .job as { id: string; lease: string }
        const done = await f.complete(job.id, 'm1', job.lease, f.secrets.m1)
        assert.deepEqual(done.body, { runId: first.runId, stored: false })
        assert.equal(await runCount(f.store), 1)
      } finally {
        await f.close()
      }
    })

    test('a build job is handed with its build; the agent shows building, then measuring; its result clears the silent alert', async () => {
      const f = await farmSetup()
      try {
        const spec = {
          key: { ...exampleFarmJob('m1').key, runtime: 'toy', commit: 'a'.repeat(40) },
          measure: { workloads: ['nbody'], preset: 'fast' },
          build: {
            remote: 'https://example.org/toy.git',
            branch: 'main',
            commitDateUtc: '2024-01-01T00:00:00Z',
            firstParentPosition: 3,
            recipe: {
              kind: 'generic',
              fetch: [],
              build: ['make'],
              install: [],
              env: {},
              executable: 'bin/toy',
            },
          },
        }
        assertError(
          await f.post('/api/v1/farm/jobs', f.secrets.admin, {
            jobs: [{ key: spec.key, measure: { workloads: ['nbody'] } }],
          }),
          400,
          'bad-input',
          /names the interpreter to measure/,
        )
        const added = await f.post('/api/v1/farm/jobs', f.secrets.admin, { jobs: [spec] })
        assert.equal(added.status, 200, added.raw)
        await f.post('/api/v1/agent/register', f.secrets.m1, { machine: 'm1' })
        await f.store.raiseMachineAlert({
          machine: 'm1',
          kind: 'silent',
          since: '2024-09-01T00:00:00Z',
          at: '2024-09-03T00:00:00Z',
          detail: {},
        })
        const job = (await f.post('/api/v1/agent/claim', f.secrets.m1, { machine: 'm1', waitS: 0 })).body
          .job as { id: string; lease: string; build: { recipe: unknown; firstParentPosition: number } }
        assert.deepEqual(job.build.recipe, spec.build.recipe)
        assert.equal(job.build.firstParentPosition, 3)
        const state = async () => (await f.store.listAgents())[0]?.state
        assert.equal(await state(), 'building')
        const beat = await f.post(`/api/v1/agent/jobs/${job.id}/heartbeat`, f.secrets.m1, {
          machine: 'm1',
          lease: job.lease,
          phase: 'measuring',
        })
        assert.equal(beat.status, 200, beat.raw)
        assert.equal(await state(), 'measuring')
        const done = await f.complete(job.id, 'm1', job.lease, f.secrets.m1)
        assert.equal(done.status, 200, done.raw)
        const alerts = await call(f.app, { method: 'GET', url: '/api/v1/machine-alerts' })
        assert.deepEqual(
          (alerts.body.items as { machine: string; clearedBy: string | null }[]).map((a) => [
            a.machine,
            a.clearedBy,
          ]),
          [['m1', `run ${done.body.runId} arrived`]],
        )
        const open = await call(f.app, { method: 'GET', url: '/api/v1/machine-alerts?open=true' })
        assert.deepEqual(open.body.items, [])
      } finally {
        await f.close()
      }
    })

    test('the silence watch raises "no results since …" for a machine with work, sends it once, and a result clears it', async () => {
      const f = await farmSetup()
      const sent: string[] = []
      const transport: Transport = {
        name: 'hook',
        kind: 'webhook',
        async send(message) {
          sent.push(message.title)
          return {
            state: 'delivered',
            target: 'hook',
            kind: 'webhook',
            attempts: 1,
            detail: 'HTTP 200',
            url: null,
          }
        },
      }
      const lines: string[] = []
      try {
        const twoDaysAgo = new Date(Date.now() - 48 * 3_600_000).toISOString()
        await f.store.registerAgent({ machine: 'm1', tokenId: 1, info: {}, at: twoDaysAgo })
        await f.store.registerAgent({ machine: 'm2', tokenId: 2, info: {}, at: twoDaysAgo })
        await f.store.touchAgent('m2', { state: 'idle', at: new Date().toISOString() })
        await f.farm.enqueue([exampleFarmJob('m1')])
        const watch = () =>
          startSilenceWatch({
            store: f.store,
            farm: f.farm,
            silentAfterMs: 36 * 3_600_000,
            transports: [transport],
            portalUrl: 'http://portal.test',
            log: (line) => lines.push(line),
          })
        await watch().stop()
        await watch().stop()
        // m1 had a job waiting; m2 had nothing to do and its agent polls: only m1 is silent.
        assert.equal(sent.length, 1)
        assert.match(sent[0] ?? '', /^Machine m1: no results since .* \(48 h\)$/)
        assert.ok(
          lines.some((l) => /machine alert \d+ → hook: delivered/.test(l)),
          lines.join('\n'),
        )
        const listed = await call(f.app, { method: 'GET', url: '/api/v1/machine-alerts?open=true' })
        assert.deepEqual(
          (listed.body.items as { machine: string; detail: { pendingJobs: number } }[]).map((a) => [
            a.machine,
            a.detail.pendingJobs,
          ]),
          [['m1', 1]],
        )
        // A result of m1 arrives through the server: the alert is cleared at once.
        const up = await call(f.app, {
          method: 'POST',
          url: '/api/v1/runs',
          headers: { ...bearer(f.secrets.m1), 'content-type': 'application/json' },
          payload: JSON.stringify(exampleRunDocument({ machine: 'm1' })),
        })
        assert.equal(up.status, 201, up.raw)
        assert.deepEqual(
          (await call(f.app, { method: 'GET', url: '/api/v1/machine-alerts?open=true' })).body,
          {
            items: [],
          },
        )
      } finally {
        await f.close()
      }
    })

    test('a failed job counts against its agent; a released one puts the job back at once', async () => {
      const f = await farmSetup()
      try {
        await f.farm.enqueue([exampleFarmJob('m1')])
        await f.post('/api/v1/agent/register', f.secrets.m1, { machine: 'm1' })
        const claimJob = async () =>
          (await f.post('/api/v1/agent/claim', f.secrets.m1, { machine: 'm1', waitS: 0 })).body.job as {
            id: string
            lease: string
          }
        const a = await claimJob()
        const released = await f.post(`/api/v1/agent/jobs/${a.id}/fail`, f.secrets.m1, {
          machine: 'm1',
          lease: a.lease,
          message: 'SIGTERM',
          release: true,
        })
        assert.deepEqual(released.body, { state: 'waiting' })
        const b = await claimJob()
        const failed = await f.post(`/api/v1/agent/jobs/${b.id}/fail`, f.secrets.m1, {
          machine: 'm1',
          lease: b.lease,
          message: 'boom',
        })
        assert.deepEqual(failed.body, { state: 'delayed' })
        const [agent] = await f.store.listAgents()
        assert.equal(agent?.jobsFailed, 1)
      } finally {
        await f.close()
      }
    })
  })
}
