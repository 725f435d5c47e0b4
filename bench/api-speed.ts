// Speed of the HTTP API on a portal-sized database. Prints figures; asserts nothing.
//   node --import tsx bench/api-speed.ts [--days N] [--workloads N] [--rebuild] [--repeat N]
// Builds once (cached in .cache/api-speed/) a SQLite database of daily runs: N days (default
// 1,825 = 5 years) × 3 machines × 6 runtime configs (cpython default, pgo-lto, jit,
// freethreading; pypy default, jit) × 100 workloads, each result 5 processes × 3 values with a
// warm-up, stored through store.insertRuns() in batches of 10 days. Then, through Fastify's
// inject() (no socket):
//   1. the series endpoint on one series of about 1,825 points (one per day): p50/p95 of the
//      request and of the server's own time (Server-Timing);
//   2. the overview (18 machine × runtime × config rows, each latest run against the previous
//      with compareRuns over 100 workloads): p50/p95 of the server's time;
//   3. for context: the run list, one run with results, a comparison, the series list.
// Targets (issue 4): series p95 under 50 ms, overview p95 under 150 ms.
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRng } from '../src/lib/index.ts'
import type { ProcessSamples, RunWithResults, WorkloadResult } from '../src/model/index.ts'
import { buildServer } from '../src/server/index.ts'
import { openSqliteStore } from '../src/store/index.ts'
import { arg, percentile } from './shared.ts'

const DAYS = arg('days', 1825)
const WORKLOADS = arg('workloads', 100)
const REPEAT = arg('repeat', 40)
const REBUILD = process.argv.includes('--rebuild')
const MACHINES = ['bench-amd', 'bench-intel', 'bench-arm'] as const
const CONFIGS = [
  { runtime: 'cpython', config: 'default' },
  { runtime: 'cpython', config: 'pgo-lto' },
  { runtime: 'cpython', config: 'jit' },
  { runtime: 'cpython', config: 'freethreading' },
  { runtime: 'pypy', config: 'default' },
  { runtime: 'pypy', config: 'jit' },
] as const
const PROCESSES = 5
const VALUES = 3
const BATCH_DAYS = 10
const START_MS = Date.UTC(2020, 0, 1, 2)
const DAY_MS = 86_400_000

const root = fileURLToPath(new URL('..', import.meta.url))
const cacheDir = join(root, '.cache', 'api-speed')
const dbFile = join(cacheDir, `portal-${DAYS}d-${WORKLOADS}w.db`)
const doneFile = `${dbFile}.complete`

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits })
const names = Array.from({ length: WORKLOADS }, (_, w) => `workload_${String(w).padStart(3, '0')}`)

/**
 * The runs of day `d`: every config built at that day's commit, measured on every machine.
 * Each series drifts slowly and now and then steps (a real-looking history for change detection).
 */
function dayRuns(d: number): RunWithResults[] {
  const at = new Date(START_MS + d * DAY_MS).toISOString()
  const sha = (d + 1).toString(16).padStart(40, 'a')
  const runs: RunWithResults[] = []
  for (const [m, machine] of MACHINES.entries()) {
    for (const [c, { runtime, config }] of CONFIGS.entries()) {
      const rng = createRng(d * 1000 + m * 10 + c)
      const results: WorkloadResult[] = names.map((name, w) => {
        const base = 0.001 * (1 + (w % 17)) * (runtime === 'pypy' ? 0.4 : 1) * (1 + 0.15 * m)
        const step = Math.floor(d / 365) % 2 === 1 && w % 10 === 0 ? 1.08 : 1
        const mean = base * step * (1 + 0.02 * Math.sin(d / 50 + w))
        const processes: ProcessSamples[] = []
        for (let p = 0; p < PROCESSES; p++) {
          const pm = mean * (1 + 0.01 * (rng() - 0.5))
          const values: number[] = []
          for (let v = 0; v < VALUES; v++) values.push(pm * (1 + 0.004 * (rng() - 0.5)))
          processes.push({ warmups: [[1, pm * 1.2]], values, metadata: {} })
        }
        return {
          workload: { name, version: 'v1' },
          unit: 'second',
          loops: 16,
          innerLoops: 1,
          processes,
          outcome: { state: 'measured' },
          metadata: {},
        }
      })
      runs.push({
        run: {
          machine,
          environment: null,
          build: {
            runtime,
            version: runtime === 'pypy' ? '3.10.14' : '3.14.0a1+',
            config,
            commitSha: sha,
            commitDateUtc: at,
            branch: 'main',
            mergeBase: null,
            identity: `${runtime}:${config}:${sha}`,
            interpreter: null,
            metadata: {},
          },
          suite: 'default',
          preset: 'default',
          harnessVersion: '1',
          source: 'langperf',
          startedAt: at,
          groupId: `day-${d}-${machine}`,
          metadata: {},
        },
        status: 'complete',
        finishedAt: at,
        results,
      })
    }
  }
  return runs
}

async function buildDatabase(): Promise<void> {
  if (!REBUILD && existsSync(doneFile)) {
    console.log(`database: ${dbFile} (cached; --rebuild to make it again)`)
    return
  }
  mkdirSync(cacheDir, { recursive: true })
  for (const f of [dbFile, `${dbFile}-wal`, `${dbFile}-shm`, doneFile]) rmSync(f, { force: true })
  const store = await openSqliteStore(dbFile)
  const t0 = performance.now()
  let results = 0
  try {
    for (let d = 0; d < DAYS; d += BATCH_DAYS) {
      const batch: RunWithResults[] = []
      for (let k = d; k < Math.min(DAYS, d + BATCH_DAYS); k++) batch.push(...dayRuns(k))
      await store.insertRuns(batch)
      results += batch.length * WORKLOADS
      if ((d / BATCH_DAYS) % 20 === 0 || d + BATCH_DAYS >= DAYS) {
        const s = (performance.now() - t0) / 1000
        process.stderr.write(
          `  day ${Math.min(DAYS, d + BATCH_DAYS)}/${DAYS}: ${fmt(results)} results in ${fmt(s, 1)} s (${fmt(results / s)} results/s)\n`,
        )
      }
    }
  } finally {
    await store.close()
  }
  const s = (performance.now() - t0) / 1000
  const runs = DAYS * MACHINES.length * CONFIGS.length
  console.log(
    `generated: ${fmt(runs)} runs, ${fmt(runs * WORKLOADS)} results, ${fmt(runs * WORKLOADS * PROCESSES * VALUES)} values in ${fmt(s, 1)} s (${fmt((runs * WORKLOADS) / s)} results/s); file ${fmt(statSync(dbFile).size / 1e6)} MB`,
  )
  await import('node:fs/promises').then((fs) => fs.writeFile(doneFile, new Date().toISOString()))
}

async function main(): Promise<void> {
  console.log(
    `== API speed: ${DAYS} days × ${MACHINES.length} machines × ${CONFIGS.length} configs × ${WORKLOADS} workloads (${PROCESSES} processes × ${VALUES} values)`,
  )
  await buildDatabase()
  const store = await openSqliteStore(dbFile)
  const app = await buildServer(store)
  try {
    /** Times `url` REPEAT times after 3 warm-up calls; prints p50/p95 of wall and server time. */
    async function measure(label: string, url: string, repeat = REPEAT): Promise<{ p95ServerMs: number }> {
      for (let i = 0; i < 3; i++) {
        const r = await app.inject({ method: 'GET', url })
        if (r.statusCode !== 200) throw new Error(`${url} answered ${r.statusCode}: ${r.body.slice(0, 300)}`)
      }
      const wall: number[] = []
      const server: number[] = []
      let bytes = 0
      for (let i = 0; i < repeat; i++) {
        const t0 = performance.now()
        const r = await app.inject({ method: 'GET', url })
        wall.push(performance.now() - t0)
        server.push(Number(/dur=([\d.]+)/.exec(String(r.headers['server-timing']))?.[1]))
        bytes = r.rawPayload.length
      }
      wall.sort((a, b) => a - b)
      server.sort((a, b) => a - b)
      const p95ServerMs = percentile(server, 0.95)
      console.log(
        `${label}: server p50 ${fmt(percentile(server, 0.5), 1)} ms, p95 ${fmt(p95ServerMs, 1)} ms; request p95 ${fmt(percentile(wall, 0.95), 1)} ms; ${fmt(bytes / 1024)} KiB (n=${repeat})`,
      )
      return { p95ServerMs }
    }

    const seriesUrl = `/api/v1/series/points?machine=${MACHINES[0]}&runtime=cpython&config=default&branch=main&workload=${names[0]}&version=v1`
    const probe = await app.inject({ method: 'GET', url: seriesUrl })
    const points = (probe.json() as { points: unknown[] }).points.length
    const series = await measure(`series points (${fmt(points)} points)`, seriesUrl)
    await measure(`series points with raw=1 (${fmt(points)} points)`, `${seriesUrl}&raw=1`, 20)
    // The overview keeps comparisons of finished runs (they never change): its first request on
    // a fresh server and store computes all 18, the following ones only find the latest runs.
    const cold: number[] = []
    for (let i = 0; i < 5; i++) {
      const freshStore = await openSqliteStore(dbFile)
      const freshApp = await buildServer(freshStore)
      const r = await freshApp.inject({ method: 'GET', url: '/api/v1/overview' })
      cold.push(Number(/dur=([\d.]+)/.exec(String(r.headers['server-timing']))?.[1]))
      await freshApp.close()
      await freshStore.close()
    }
    cold.sort((a, b) => a - b)
    console.log(
      `overview, first request on a fresh server (18 comparisons): server p50 ${fmt(percentile(cold, 0.5), 1)} ms, max ${fmt(cold.at(-1) ?? 0, 1)} ms (n=5)`,
    )
    const overview = await measure('overview, later requests (18 groups)', '/api/v1/overview', 20)
    await measure('run list (50 newest)', '/api/v1/runs?limit=50')
    const latest = (await store.listRuns({ limit: 2, machine: MACHINES[0] })).rows
    await measure('one run with 100 results', `/api/v1/runs/${latest[0]?.id}`)
    await measure(
      'compare two runs (100 workloads)',
      `/api/v1/compare?base=${latest[1]?.id}&candidate=${latest[0]?.id}`,
    )
    await measure(
      'series list of one machine × config',
      `/api/v1/series?machine=${MACHINES[0]}&runtime=cpython&config=default&limit=100`,
      5,
    )
    console.log(
      `targets: series p95 ${fmt(series.p95ServerMs, 1)} ms (target < 50 ms) ${series.p95ServerMs < 50 ? 'met' : 'MISSED'}; overview p95 ${fmt(overview.p95ServerMs, 1)} ms, first request ${fmt(cold.at(-1) ?? 0, 1)} ms (target < 150 ms) ${overview.p95ServerMs < 150 ? 'met' : 'MISSED'}`,
    )
  } finally {
    await app.close()
    await store.close()
  }
}

await main()
