import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { createApiClient, type NewFarmJob } from '../api/index.ts'
import { initGitRepo } from '../build/index.ts'
import { exampleFarmJob, NO_PG_REASON, schemaPool, TEST_PG_URL } from '../farm/index.ts'
import { openPostgresStore, type Store } from '../store/index.ts'
import { createTokens, type LangperfProcess, startFarmAgent, startFarmServer } from './farm-processes.ts'

// The farm end to end, every party a process of its own: PostgreSQL (BullMQ's tables and the
// store), one `langperf serve --farm`, and agents of two machines. The agent of farm-a is killed
// with SIGKILL in the middle of its job: the job's lease expires, a new agent of farm-a runs it
// again, and its result is stored exactly once. The agent of farm-b finishes its own job and is
// refused at its next call once its token is revoked. A third test kills an agent with SIGKILL in
// the middle of a build job's build: its job runs again on the restarted agent, which builds the
// half-built commit again (its builder is dead) and stores the result once.

const url = TEST_PG_URL
const processes: LangperfProcess[] = []
const schemas = schemaPool('langperf_farm_e2e')
let store: Store | undefined
const farmSchemas: string[] = []

after(async () => {
  for (const p of processes) p.kill('SIGKILL')
  await Promise.all(processes.map((p) => p.exited))
  await store?.close()
  if (url === undefined) return
  await schemas.dropAll(url)
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  for (const s of farmSchemas) await client.query(`drop schema if exists "${s}" cascade`)
  await client.end()
})

/** A measure job of several seconds (20 processes): long enough to be interrupted. */
const SLOW = { processes: 20, values: 3, warmups: 1, minTimeS: 0.05 }

/** Why the end-to-end tests cannot run here, or false. */
const SKIP =
  url === undefined
    ? NO_PG_REASON
    : spawnSync('python3', ['--version']).status !== 0
      ? 'no python3 on PATH: the agents measure with it'
      : false

const E2E = { skip: SKIP, timeout: 240_000 } as const

/** A fresh store schema (its farm schema dropped at the end too) with tokens; the URL, schema and store. */
async function freshFarm(tokens: Parameters<typeof createTokens>[2]) {
  const pgUrl = url as string
  const schema = schemas.next()
  farmSchemas.push(`${schema}_farm`)
  return { pgUrl, schema, ...(await createTokens(pgUrl, schema, tokens)) }
}

test(
  'a job whose agent is killed mid-measurement runs again on a new agent of its machine and is stored once',
  E2E,
  async () => {
    const made = await freshFarm({ admin: ['admin', []], a: ['agent', ['farm-a']], b: ['agent', ['farm-b']] })
    const { pgUrl, schema, secrets } = made
    store = made.store
    const server = await startFarmServer(pgUrl, { schema, lockMs: 3000 })
    processes.push(server)
    const admin = createApiClient(server.baseUrl, { token: secrets.admin ?? '' })
    // The job of farm-a lasts several seconds (20 processes); farm-b's is short.
    const slow = exampleFarmJob('farm-a', 'e2e-slow', SLOW)
    const quick = exampleFarmJob('farm-b', 'e2e-quick', {
      processes: 2,
      values: 2,
      warmups: 0,
      minTimeS: 0.01,
    })
    const [slowJob, quickJob] = (await admin.enqueueJobs({ body: { jobs: [slow, quick] } })).jobs
    assert.ok(slowJob?.added && quickJob?.added)

    const agentA = startFarmAgent(server.baseUrl, secrets.a ?? '', 'farm-a')
    const agentB = startFarmAgent(server.baseUrl, secrets.b ?? '', 'farm-b')
    processes.push(agentA, agentB)
    await agentA.waitFor(new RegExp(`job ${slowJob.id} .*attempt 1`))
    await sleep(1500)
    agentA.kill('SIGKILL')
    assert.equal(await agentA.exited, 'SIGKILL')
    const killedAt = Date.now()
    assert.equal(
      agentA.lines.some((l) => /completed/.test(l)),
      false,
      'killed before it completed',
    )

    await agentB.waitFor(new RegExp(`job ${quickJob?.id} completed, run \\d+$`))
    const agentA2 = startFarmAgent(server.baseUrl, secrets.a ?? '', 'farm-a')
    processes.push(agentA2)
    await agentA2.waitFor(new RegExp(`job ${slowJob.id} .*attempt [2-9]`), 60_000)
    const rerunAfterMs = Date.now() - killedAt
    await agentA2.waitFor(new RegExp(`job ${slowJob.id} completed, run \\d+$`), 120_000)

    // Exactly one run per job, each on its machine; the rerun says which attempt stored it.
    const runs = (await store.listRuns({ limit: 10 })).rows
    assert.deepEqual(runs.map((r) => r.machine).sort(), ['farm-a', 'farm-b'])
    const runA = runs.find((r) => r.machine === 'farm-a')
    assert.equal(runA?.metadata.farm_job, slowJob.id)
    assert.ok(Number(runA?.metadata.farm_attempt) >= 2)
    const agents = await admin.listAgents()
    assert.deepEqual(
      agents.items.map((a) => [a.machine, a.jobsDone, a.queue.active, a.queue.waiting]),
      [
        ['farm-a', 1, 0, 0],
        ['farm-b', 1, 0, 0],
      ],
    )
    // Enqueued again, the same keys are not added.
    const again = await admin.enqueueJobs({ body: { jobs: [slow, quick] } })
    assert.deepEqual(
      again.jobs.map((j) => j.added),
      [false, false],
    )

    // farm-b's token revoked: its next claim is refused, and the agent stops with the reason.
    const tokenB = (await store.listTokens()).find((t) => t.name === 'b')
    await store.revokeToken(tokenB?.id ?? 0, new Date().toISOString())
    assert.notEqual(await agentB.exited, 0)
    assert.ok(
      agentB.lines.some((l) => /revoked/.test(l)),
      agentB.lines.join('\n'),
    )

    // SIGTERM mid-job: the agent releases its job (back to waiting at once) and exits 0.
    const later = exampleFarmJob('farm-a', 'e2e-sigterm', SLOW)
    const [laterJob] = (await admin.enqueueJobs({ body: { jobs: [later] } })).jobs
    await agentA2.waitFor(new RegExp(`job ${laterJob?.id} .*attempt 1`))
    await sleep(1000)
    agentA2.kill('SIGTERM')
    assert.equal(await agentA2.exited, 0)
    assert.ok(
      agentA2.lines.some((l) => l.includes(`job ${laterJob?.id} released`)),
      agentA2.lines.join('\n'),
    )
    const afterTerm = (await admin.listAgents()).items.find((a) => a.machine === 'farm-a')
    assert.equal(afterTerm?.state, 'stopped')
    assert.deepEqual(afterTerm?.queue, { waiting: 1, active: 0, delayed: 0, failed: 0 })
    server.kill('SIGTERM')
    assert.equal(await server.exited, 0)
    assert.ok(rerunAfterMs > 0)
    console.log(`# farm-a's job ran again ${rerunAfterMs} ms after its agent was killed (lease 3000 ms)`)
  },
)

test(
  'a server killed with SIGKILL while an agent measures, and restarted, loses nothing and stores the result once',
  E2E,
  async () => {
    const made = await freshFarm({ admin: ['admin', []], c: ['agent', ['farm-c']] })
    const { pgUrl, schema, secrets } = made
    await made.store.close()
    const lockMs = 10_000
    const first = await startFarmServer(pgUrl, { schema, lockMs })
    processes.push(first)
    const port = Number(new URL(first.baseUrl).port)
    const admin = createApiClient(first.baseUrl, { token: secrets.admin ?? '' })
    const job = exampleFarmJob('farm-c', 'e2e-restart', SLOW)
    const [enqueued] = (await admin.enqueueJobs({ body: { jobs: [job] } })).jobs
    const agent = startFarmAgent(first.baseUrl, secrets.c ?? '', 'farm-c')
    processes.push(agent)
    await agent.waitFor(new RegExp(`job ${enqueued?.id} .*attempt 1`))
    await sleep(1000)
    first.kill('SIGKILL')
    assert.equal(await first.exited, 'SIGKILL')
    await sleep(1500)
    const second = await startFarmServer(pgUrl, { schema, lockMs, port })
    processes.push(second)
    await agent.waitFor(new RegExp(`job ${enqueued?.id} completed, run \\d+`), 120_000)

    const readBack = await openPostgresStore(pgUrl, { schema, maxConnections: 2 })
    try {
      const runs = (await readBack.listRuns({ limit: 10 })).rows
      assert.equal(runs.length, 1)
      assert.equal(runs[0]?.metadata.farm_job, enqueued?.id)
    } finally {
      await readBack.close()
    }
    const depth = (await createApiClient(second.baseUrl).listAgents()).items[0]?.queue
    assert.deepEqual(depth, { waiting: 0, active: 0, delayed: 0, failed: 0 })
    agent.kill('SIGTERM')
    assert.equal(await agent.exited, 0)
    second.kill('SIGTERM')
    assert.equal(await second.exited, 0)
  },
)

test(
  'a build job whose agent is killed mid-build runs again, is built again over the dead build, and is stored once',
  E2E,
  async () => {
    const made = await freshFarm({ admin: ['admin', []], e: ['agent', ['farm-e']] })
    const { pgUrl, schema, secrets } = made
    const dir = mkdtempSync(join(tmpdir(), 'langperf-farm-kill-build-'))
    try {
      // A runtime whose build takes seconds (`sleep`) and installs a wrapper of the python3 on PATH.
      const origin = join(dir, 'wrap')
      const sha = initGitRepo(origin).commit(
        { 'python3.sh': '#!/bin/sh\nexec python3 "$@"\n' },
        'A python3 that takes a while to build',
      )
      const job: NewFarmJob = {
        key: {
          runtime: 'wrap',
          commit: sha,
          config: 'default',
          machine: 'farm-e',
          suite: 'default',
          purpose: 'measure',
        },
        measure: {
          workloads: ['nbody'],
          preset: 'fast',
          processes: 2,
          values: 2,
          warmups: 0,
          minTimeS: 0.01,
          timeoutS: 600,
        },
        build: {
          remote: origin,
          branch: 'main',
          commitDateUtc: '2024-01-01T00:01:00Z',
          subject: '',
          recipe: {
            kind: 'generic',
            fetch: [],
            build: ['sleep 8'],
            install: [
              'mkdir -p "$PREFIX/bin"',
              'cp python3.sh "$PREFIX/bin/python3"',
              'chmod +x "$PREFIX/bin/python3"',
            ],
            env: {},
            executable: 'bin/python3',
          },
          references: [],
        },
      }
      const server = await startFarmServer(pgUrl, { schema, lockMs: 3000 })
      processes.push(server)
      const admin = createApiClient(server.baseUrl, { token: secrets.admin ?? '' })
      const [enqueued] = (await admin.enqueueJobs({ body: { jobs: [job] } })).jobs
      const cache = ['--cache-dir', join(dir, 'cache')]
      const first = startFarmAgent(server.baseUrl, secrets.e ?? '', 'farm-e', cache)
      processes.push(first)
      await first.waitFor(new RegExp(`job ${enqueued?.id} .*attempt 1`))
      await first.waitFor(new RegExp(`building wrap default ${sha.slice(0, 12)}`), 60_000)
      await sleep(1500)
      first.kill('SIGKILL')
      assert.equal(await first.exited, 'SIGKILL')
      assert.equal(
        first.lines.some((l) => /build ok|completed/.test(l)),
        false,
        'killed before its build ended',
      )
      // The machine's agent restarted (the service's Restart=always), on the same cache.
      const second = startFarmAgent(server.baseUrl, secrets.e ?? '', 'farm-e', cache)
      processes.push(second)
      await second.waitFor(new RegExp(`job ${enqueued?.id} .*attempt [2-9]`), 60_000)
      await second.waitFor(new RegExp(`building wrap default ${sha.slice(0, 12)}`), 60_000)
      await second.waitFor(new RegExp(`job ${enqueued?.id} completed, run \\d+$`), 120_000)

      const runs = (await made.store.listRuns({ limit: 10 })).rows
      assert.equal(runs.length, 1)
      assert.equal(runs[0]?.metadata.farm_job, enqueued?.id)
      assert.ok(Number(runs[0]?.metadata.farm_attempt) >= 2)
      assert.equal(runs[0]?.metadata.build_status, 'ok')
      const results = await made.store.getResults(runs[0]?.id ?? 0)
      assert.deepEqual(
        results.map((r) => r.outcome.state),
        ['measured'],
      )
      const agent = (await admin.listAgents()).items[0]
      assert.deepEqual(
        [agent?.machine, agent?.jobsDone, agent?.jobsFailed, agent?.queue],
        ['farm-e', 1, 0, { waiting: 0, active: 0, delayed: 0, failed: 0 }],
      )
      second.kill('SIGTERM')
      assert.equal(await second.exited, 0)
      server.kill('SIGTERM')
      assert.equal(await server.exited, 0)
    } finally {
      await made.store.close()
      rmSync(dir, { recursive: true, force: true })
    }
  },
)
