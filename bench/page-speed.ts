// Server time of every dashboard page on the portal-sized database of bench/api-speed.ts (with
// cpython default and jit also measured at four releases, see bench/portal-store.ts). Prints
// figures; asserts nothing.
//   node --import tsx bench/page-speed.ts [--days N] [--workloads N] [--rebuild] [--repeat N]
// For each page: cold, the first request on a freshly started server (a new store and server,
// nothing remembered), then warm, p50/p95 of the server's own time (Server-Timing) over --repeat
// requests (default 10) after one more; between them, the first request on a fresh server that
// has run the warm-up `langperf serve` runs at start (its page cache primed, the dashboard's main
// pages made once).
// Then, on one server after its warm-up, the first visit of a timeline of every machine × config
// (each a workload no one has drawn yet): the "first request included" figure of the many
// timelines a warm-up cannot draw.
import { DEFAULT_SERVE_CACHE_MB } from '../src/cli/options.ts'
import { buildServer } from '../src/server/index.ts'
import { openSqliteStore } from '../src/store/index.ts'
import { createWebRoutes, warmPages } from '../src/web/index.ts'
import { arg, CONFIGS, fmt, MACHINES, percentile, portalDatabase, workloadNames } from './portal-store.ts'

const DAYS = arg('days', 1825)
const WORKLOADS = arg('workloads', 100)
const REPEAT = arg('repeat', 10)
const REBUILD = process.argv.includes('--rebuild')
const ONLY = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined

async function start(dbFile: string) {
  // As `langperf serve` opens it: its page cache, primed before the warm-up (store/prime.ts).
  const store = await openSqliteStore(dbFile, { cacheMb: DEFAULT_SERVE_CACHE_MB })
  const app = await buildServer(store, { web: createWebRoutes() })
  return { store, app }
}

function serverMs(headers: Record<string, unknown>): number {
  return Number(/dur=([\d.]+)/.exec(String(headers['server-timing']))?.[1])
}

async function main(): Promise<void> {
  console.log(
    `== page speed: ${DAYS} days × ${MACHINES.length} machines × 6 configs × ${WORKLOADS} workloads, with releases`,
  )
  const dbFile = await portalDatabase({ days: DAYS, workloads: WORKLOADS, rebuild: REBUILD, releases: true })
  const probe = await openSqliteStore(dbFile)
  const latest = (
    await probe.listRuns({ limit: 2, machine: MACHINES[0], runtime: 'cpython', config: 'default' })
  ).rows
  await probe.close()
  // A series the warm-up at start does not draw (it draws the first timeline the workloads index
  // links: the first machine's first workload): another machine, a workload from the middle.
  const w0 = workloadNames(WORKLOADS)[Math.floor(WORKLOADS / 2)]
  const m0 = MACHINES[1] ?? MACHINES[0]
  const pages: [string, string][] = [
    ['overview', '/'],
    ['workloads', '/workloads'],
    [
      'timeline',
      `/timeline?machine=${m0}&runtime=cpython&config=default&branch=main&workload=${w0}&version=v1`,
    ],
    ['compare', `/compare?base=${latest[1]?.id}&candidate=${latest[0]?.id}`],
    ['matrix', '/matrix'],
    ['matrix-stacks', '/matrix?split=stack'],
    ['machine', `/machines/${MACHINES[0]}`],
    ['alerts', '/alerts'],
    ['releases', '/releases'],
    ['release', '/releases/cpython/3.12.0/3.13.0'],
  ]
  for (const [name, url] of pages) {
    if (ONLY !== undefined && name !== ONLY) continue
    const { store, app } = await start(dbFile)
    try {
      const first = await app.inject({ method: 'GET', url })
      if (first.statusCode !== 200)
        throw new Error(`${url} answered ${first.statusCode}: ${first.body.slice(0, 300)}`)
      const cold = serverMs(first.headers)
      await app.inject({ method: 'GET', url })
      const warm: number[] = []
      for (let i = 0; i < REPEAT; i++) warm.push(serverMs((await app.inject({ method: 'GET', url })).headers))
      warm.sort((a, b) => a - b)
      console.log(
        `${name.padEnd(9)} cold ${fmt(cold, 1).padStart(9)} ms; after warm-up ${(await afterWarmUp(dbFile, url)).padStart(9)} ms; warm p50 ${fmt(percentile(warm, 0.5), 1).padStart(9)} ms, p95 ${fmt(percentile(warm, 0.95), 1).padStart(9)} ms; ${fmt(first.rawPayload.length / 1024)} KiB (n=${REPEAT})  ${url}`,
      )
    } finally {
      await app.close()
      await store.close()
    }
  }
  if (ONLY === undefined || ONLY === 'first-timelines') await firstTimelines(dbFile)
}

/** First visits of one timeline per machine × config on a warmed server, each of another workload. */
async function firstTimelines(dbFile: string): Promise<void> {
  const { store, app } = await start(dbFile)
  try {
    console.log(`  ${(await store.primeReads()).note}`)
    await warmPages(app)
    const names = workloadNames(WORKLOADS)
    const times: number[] = []
    let i = 0
    for (const m of MACHINES) {
      for (const { runtime, config } of CONFIGS) {
        const w = names[(7 + 13 * i++) % names.length]
        const url = `/timeline?machine=${m}&runtime=${runtime}&config=${config}&branch=main&workload=${w}&version=v1`
        const res = await app.inject({ method: 'GET', url })
        if (res.statusCode !== 200)
          throw new Error(`${url} answered ${res.statusCode}: ${res.body.slice(0, 300)}`)
        times.push(serverMs(res.headers))
      }
    }
    times.sort((a, b) => a - b)
    console.log(
      `timelines first visit after warm-up, ${times.length} series (every machine × config): p50 ${fmt(percentile(times, 0.5), 1)} ms, p95 ${fmt(percentile(times, 0.95), 1)} ms, max ${fmt(times.at(-1) ?? Number.NaN, 1)} ms`,
    )
  } finally {
    await app.close()
    await store.close()
  }
}

/**
 * The first request's server time on a freshly started server that has run the warm-up `serve`
 * runs at start (web/warmPages), as a visitor arriving after it finds it.
 */
async function afterWarmUp(dbFile: string, url: string): Promise<string> {
  const { store, app } = await start(dbFile)
  try {
    await store.primeReads()
    await warmPages(app)
    return fmt(serverMs((await app.inject({ method: 'GET', url })).headers), 1)
  } finally {
    await app.close()
    await store.close()
  }
}

await main()
