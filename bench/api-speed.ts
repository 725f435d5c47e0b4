// Speed of the HTTP API on a portal-sized database. Prints figures; asserts nothing.
//   node --import tsx bench/api-speed.ts [--days N] [--workloads N] [--rebuild] [--repeat N]
// Builds once (cached in .cache/api-speed/, see bench/portal-store.ts) a SQLite database of daily
// runs: N days (default 1,825 = 5 years) × 3 machines × 6 runtime configs × 100 workloads, each
// result 5 processes × 3 values. Then, through Fastify's
// inject() (no socket):
//   1. the series endpoint on one series of about 1,825 points (one per day): p50/p95 of the
//      request and of the server's own time (Server-Timing);
//   2. the overview (18 machine × runtime × config rows, each latest run against the previous
//      with compareRuns over 100 workloads): p50/p95 of the server's time;
//   3. for context: the run list, one run with results, a comparison, the series list.
// Targets (issue 4): series p95 under 50 ms, overview p95 under 150 ms.
import { buildServer } from '../src/server/index.ts'
import { openSqliteStore } from '../src/store/index.ts'
import {
  arg,
  CONFIG_COUNT,
  fmt,
  MACHINES,
  PROCESSES,
  percentile,
  portalDatabase,
  VALUES,
  workloadNames,
} from './portal-store.ts'

const DAYS = arg('days', 1825)
const WORKLOADS = arg('workloads', 100)
const REPEAT = arg('repeat', 40)
const REBUILD = process.argv.includes('--rebuild')
const names = workloadNames(WORKLOADS)

async function main(): Promise<void> {
  console.log(
    `== API speed: ${DAYS} days × ${MACHINES.length} machines × ${CONFIG_COUNT} configs × ${WORKLOADS} workloads (${PROCESSES} processes × ${VALUES} values)`,
  )
  const dbFile = await portalDatabase({ days: DAYS, workloads: WORKLOADS, rebuild: REBUILD })
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
