// The farm's figures (issue 14): prints them, asserts nothing about speed.
//   LANGPERF_TEST_PG_URL=postgres://… node --import tsx bench/farm.ts [--uploads 100] [--jobs 200] [--deaths 3] [--lock-ms 5000]
// 1. Concurrent uploads: `--uploads` distinct langperf-run documents (30 workloads × 20 processes
//    × 5 values each) POSTed at once to /api/v1/runs of a server on a socket, over PostgreSQL and
//    over an SQLite file for comparison: how many were stored, p50/p95 latency and the wall time.
// 2. Dispatch: `--jobs` jobs over 4 machines, drained by one client loop per machine over HTTP
//    (claim, then complete with a one-workload document): jobs dispatched and stored per second.
// 3. Death to rerun: a job is claimed and its holder stops renewing it (an agent that died); a
//    second client claiming on the same machine gets it after the lease (--lock-ms) expires: the
//    time from the last sign of life to the job running again, `--deaths` times.
// Everything runs in fresh PostgreSQL schemas (dropped at the end) and a temporary directory.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { createApiClient, exampleRunDocument } from '../src/api/index.ts'
import { exampleFarmJob, FarmQueue, schemaPool } from '../src/farm/index.ts'
import { buildServer, hashTokenSecret, newTokenSecret } from '../src/server/index.ts'
import { openPostgresStore, openSqliteStore, type Store } from '../src/store/index.ts'
import { arg, percentile } from './shared.ts'

const url = process.env.LANGPERF_TEST_PG_URL
if (url === undefined || url === '') {
  console.error('bench/farm.ts needs PostgreSQL: set LANGPERF_TEST_PG_URL (see .ci/run)')
  process.exit(2)
}
const UPLOADS = arg('uploads', 100)
const JOBS = arg('jobs', 200)
const DEATHS = arg('deaths', 3)
const LOCK_MS = arg('lock-ms', 5000)
const schemas = schemaPool('langperf_bench_farm')

/** A server on a socket over `store` (and `farm`), with an admin token; its base URL. */
async function serve(store: Store, farm?: FarmQueue) {
  const secret = newTokenSecret()
  await store.createToken({
    name: 'bench',
    role: 'admin',
    scopes: [],
    hash: hashTokenSecret(secret),
    createdAt: new Date().toISOString(),
  })
  const app = await buildServer(store, farm === undefined ? {} : { farm })
  const base = await app.listen({ host: '127.0.0.1', port: 0 })
  return { app, api: createApiClient(base, { token: secret }) }
}

const ms = (x: number) => `${x.toFixed(0)} ms`

async function concurrentUploads(label: string, store: Store): Promise<void> {
  const { app, api } = await serve(store)
  try {
    const workloads = Array.from({ length: 30 }, (_, i) => `w${i}`)
    const docs = Array.from({ length: UPLOADS }, (_, i) =>
      exampleRunDocument({
        machine: 'bench-up',
        commitSha: `c${i.toString(16).padStart(7, '0')}`,
        workloads,
        processes: 20,
        valuesPerProcess: 5,
      }),
    )
    const t0 = performance.now()
    const latencies = await Promise.all(
      docs.map(async (body) => {
        const s = performance.now()
        await api.ingestRun({ body })
        return performance.now() - s
      }),
    )
    const wall = performance.now() - t0
    const sorted = latencies.sort((a, b) => a - b)
    const stored = (await store.listRuns({ limit: 1 })).total
    console.log(
      `uploads  ${label.padEnd(10)} ${stored}/${UPLOADS} stored; latency p50 ${ms(percentile(sorted, 0.5))}, p95 ${ms(percentile(sorted, 0.95))}; all in ${ms(wall)}`,
    )
  } finally {
    await app.close()
    await store.close()
  }
}

async function dispatchRate(): Promise<void> {
  const store = await openPostgresStore(url as string, { schema: schemas.next(), maxConnections: 8 })
  const farm = new FarmQueue({ connectionString: url as string, schema: schemas.next() })
  const { app, api } = await serve(store, farm)
  try {
    const machines = ['d1', 'd2', 'd3', 'd4']
    const jobs = Array.from({ length: JOBS }, (_, i) =>
      exampleFarmJob(machines[i % machines.length] ?? 'd1', `c${i}`),
    )
    for (const m of machines) await api.agentRegister({ body: { machine: m } })
    const e0 = performance.now()
    await api.enqueueJobs({ body: { jobs } })
    const enqueueMs = performance.now() - e0
    const t0 = performance.now()
    await Promise.all(
      machines.map(async (machine) => {
        for (;;) {
          const { job } = await api.agentClaim({ body: { machine, waitS: 0 } })
          if (job === null) return
          const body = exampleRunDocument({
            machine,
            commitSha: job.key.commit,
            workloads: ['nbody'],
            processes: 2,
            valuesPerProcess: 2,
          })
          await api.agentComplete({ params: { id: job.id }, query: { machine, lease: job.lease }, body })
        }
      }),
    )
    const s = (performance.now() - t0) / 1000
    const stored = (await store.listRuns({ limit: 1 })).total
    console.log(
      `dispatch ${JOBS} jobs enqueued in ${ms(enqueueMs)} (${(JOBS / (enqueueMs / 1000)).toFixed(0)}/s); claimed and completed with their uploads by 4 machines in ${s.toFixed(1)} s: ${(JOBS / s).toFixed(1)} jobs/s, ${stored} runs stored`,
    )
  } finally {
    await app.close()
    await farm.close()
    await store.close()
  }
}

async function deathToRerun(): Promise<void> {
  const store = await openPostgresStore(url as string, { schema: schemas.next(), maxConnections: 4 })
  const farm = new FarmQueue({
    connectionString: url as string,
    schema: schemas.next(),
    lockDurationMs: LOCK_MS,
  })
  const { app, api } = await serve(store, farm)
  try {
    await api.agentRegister({ body: { machine: 'dead' } })
    const times: number[] = []
    for (let i = 0; i < DEATHS; i++) {
      await api.enqueueJobs({ body: { jobs: [exampleFarmJob('dead', `death-${i}`)] } })
      const first = (await api.agentClaim({ body: { machine: 'dead', waitS: 0 } })).job
      if (first === null) throw new Error('no job to claim')
      await api.agentHeartbeat({ params: { id: first.id }, body: { machine: 'dead', lease: first.lease } })
      const lastSign = performance.now()
      for (;;) {
        const { job } = await api.agentClaim({ body: { machine: 'dead', waitS: 1 } })
        if (job !== null) {
          times.push(performance.now() - lastSign)
          await api.agentFail({
            params: { id: job.id },
            body: { machine: 'dead', lease: job.lease, message: 'bench', release: false },
          })
          break
        }
      }
      await sleep(100)
    }
    const sorted = times.sort((a, b) => a - b)
    console.log(
      `death    lease ${ms(LOCK_MS)}: job running again ${sorted.map(ms).join(', ')} after its agent's last heartbeat (median ${ms(percentile(sorted, 0.5))}; lease + up to half a lease for the stalled-job check + claim polling)`,
    )
  } finally {
    await app.close()
    await farm.close()
    await store.close()
  }
}

const dir = mkdtempSync(join(tmpdir(), 'langperf-bench-farm-'))
try {
  await concurrentUploads(
    'PostgreSQL',
    await openPostgresStore(url, { schema: schemas.next(), maxConnections: 10 }),
  )
  await concurrentUploads('SQLite', await openSqliteStore(join(dir, 'bench.db')))
  await dispatchRate()
  await deathToRerun()
} finally {
  await schemas.dropAll(url)
  rmSync(dir, { recursive: true, force: true })
}
