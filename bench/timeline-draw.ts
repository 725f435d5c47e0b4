// The first draw of a 10,000-point timeline in Chromium (target: under 150 ms).
//
//   node --import tsx bench/timeline-draw.ts [--points 10000] [--loads 7]
//
// Builds (once, in .cache/timeline-draw/) a database with one series of N builds (one workload,
// 6 processes × 3 values each, a 10 % step in the middle, a failed build every 500 and a new
// epoch every 2,500), serves the dashboard on an ephemeral port, loads the timeline page in
// Debian's Chromium several times and prints the medians measured in the page with
// performance.now(): from before `new uPlot()` to the end of its first draw, and to the next
// animation frame (the first paint). Also prints the page's size and server time.
import { existsSync, mkdirSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import type { RunWithResults } from '../src/model/index.ts'
import { buildServer } from '../src/server/index.ts'
import { openSqliteStore } from '../src/store/index.ts'
import { createWebRoutes } from '../src/web/index.ts'

const args = process.argv.slice(2)
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(name)
  return i >= 0 ? Number(args[i + 1]) : fallback
}
const POINTS = arg('--points', 10_000)
const LOADS = arg('--loads', 7)
const CHROMIUM = '/usr/bin/chromium'

if (!existsSync(CHROMIUM)) {
  console.error(`${CHROMIUM} is absent: apt-get install -y chromium`)
  process.exit(3)
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

/** One build of the series: commit i, a day apart, nbody around 10 ms (11 ms after the step). */
function run(i: number): RunWithResults {
  const day = new Date(Date.UTC(1997, 0, 1) + i * 86_400_000).toISOString()
  const level = i >= POINTS / 2 ? 0.011 : 0.01
  const noise = (k: number) => 1 + 0.01 * Math.sin(i * 12.9898 + k * 78.233)
  const failed = i > 0 && i % 500 === 0
  return {
    run: {
      machine: 'bench-draw',
      environment: null,
      build: {
        runtime: 'cpython',
        version: '3.14.0a1+',
        config: 'default',
        commitSha: i.toString(16).padStart(12, '0'),
        commitDateUtc: day,
        branch: 'main',
        mergeBase: null,
        identity: `cpython:${i.toString(16).padStart(12, '0')}:default`,
        interpreter: null,
        metadata: {},
      },
      suite: 'draw',
      preset: 'fast',
      harnessVersion: '1',
      source: 'api',
      startedAt: day,
      groupId: null,
      // A new epoch (kernel) every 2,500 builds.
      metadata: { platform: `Linux-6.${Math.floor(i / 2500)}` },
    },
    status: 'complete',
    finishedAt: day,
    results: [
      {
        workload: { name: 'nbody', version: 'v1' },
        unit: 'second',
        loops: 1,
        innerLoops: 1,
        processes: failed
          ? []
          : Array.from({ length: 6 }, (_, p) => ({
              warmups: [],
              values: [0, 1, 2].map((v) => level * noise(p * 3 + v)),
              metadata: {},
            })),
        outcome: failed
          ? { state: 'failed', reason: 'crashed', message: 'Worker exited with code -11', stderrTail: '' }
          : { state: 'measured' },
        metadata: {},
      },
    ],
  }
}

const dir = join(process.cwd(), '.cache', 'timeline-draw')
mkdirSync(dir, { recursive: true })
const path = join(dir, `series-${POINTS}.db`)
const fresh = !existsSync(path)
const store = await openSqliteStore(path)
if (fresh) {
  const t0 = performance.now()
  for (let i = 0; i < POINTS; i += 1000) {
    await store.insertRuns(Array.from({ length: Math.min(1000, POINTS - i) }, (_, k) => run(i + k)))
  }
  console.error(`built ${POINTS} builds in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${path}`)
}
const app = await buildServer(store, { web: createWebRoutes() })
await app.listen({ host: '127.0.0.1', port: 0 })
const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/timeline?machine=bench-draw&runtime=cpython&config=default&branch=main&workload=nbody&version=v1`
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
})
try {
  const served = await app.inject({ method: 'GET', url: url.slice(url.indexOf('/timeline')) })
  const draws: number[] = []
  const paints: number[] = []
  const loads: number[] = []
  let points = 0
  for (let i = 0; i < LOADS + 1; i++) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    const t0 = performance.now()
    await page.goto(url)
    await page.waitForSelector('html[data-timeline-ready="1"]', { timeout: 60_000 })
    const loadMs = performance.now() - t0
    const t = await page.evaluate(
      () =>
        (window as unknown as { langperfTimeline: { points: number; drawMs: number; paintMs: number } })
          .langperfTimeline,
    )
    await page.close()
    if (i === 0) continue // the first load warms Chromium's caches
    points = t.points
    draws.push(t.drawMs)
    paints.push(t.paintMs)
    loads.push(loadMs)
  }
  console.log(`timeline of ${points} points in Chromium, median of ${LOADS} loads:`)
  console.log(
    `  first draw (new uPlot → end of draw)   ${median(draws).toFixed(1)} ms  (min ${Math.min(...draws).toFixed(1)}, max ${Math.max(...draws).toFixed(1)})`,
  )
  console.log(`  first paint (→ next animation frame)   ${median(paints).toFixed(1)} ms  (target < 150 ms)`)
  console.log(`  page load to chart drawn (wall)        ${median(loads).toFixed(0)} ms`)
  console.log(
    `  page: ${(served.body.length / 1e6).toFixed(2)} MB of HTML with its data, server ${served.headers['server-timing']}`,
  )
} finally {
  await browser.close()
  await app.close()
  await store.close()
}
