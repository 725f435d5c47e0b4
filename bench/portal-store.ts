// The portal-sized SQLite database of the speed benches (bench/api-speed.ts, bench/page-speed.ts):
// N days (default 1,825 = 5 years) × 3 machines × 6 runtime configs (cpython default, pgo-lto,
// jit, freethreading; pypy default, jit) × 100 workloads, each result 5 processes × 3 values with
// a warm-up, stored through store.insertRuns() in batches of 10 days and cached in
// .cache/api-speed/. With `releases`, cpython default and jit are also measured at four final
// releases (3.11.0 … 3.14.0, one a year, on their X.Y branches) on every machine, in a file of
// its own.
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRng } from '../src/lib/index.ts'
import type { ProcessSamples, RunWithResults, WorkloadResult } from '../src/model/index.ts'
import { openSqliteStore } from '../src/store/index.ts'

export { arg, percentile } from './shared.ts'

/** What to build. */
export interface PortalOptions {
  readonly days: number
  readonly workloads: number
  readonly rebuild: boolean
  /** Also measure cpython default and jit at four releases (a separate file). */
  readonly releases?: boolean
}

export const MACHINES = ['bench-amd', 'bench-intel', 'bench-arm'] as const
/** The runtime configs every machine measures (each a group of series on branch main). */
export const CONFIGS = [
  { runtime: 'cpython', config: 'default' },
  { runtime: 'cpython', config: 'pgo-lto' },
  { runtime: 'cpython', config: 'jit' },
  { runtime: 'cpython', config: 'freethreading' },
  { runtime: 'pypy', config: 'default' },
  { runtime: 'pypy', config: 'jit' },
] as const
export const CONFIG_COUNT = CONFIGS.length
export const PROCESSES = 5
export const VALUES = 3
const BATCH_DAYS = 10
const START_MS = Date.UTC(2020, 0, 1, 2)
const DAY_MS = 86_400_000
/** The releases of `releases: true`: version, its day. */
const RELEASES = [
  ['3.11.0', 300],
  ['3.12.0', 665],
  ['3.13.0', 1030],
  ['3.14.0', 1395],
] as const

export const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits })

/** The names of the workloads. */
export function workloadNames(count: number): string[] {
  return Array.from({ length: count }, (_, w) => `workload_${String(w).padStart(3, '0')}`)
}

/** One run of `runtime config` on `machine` at day `d`. */
function oneRun(
  d: number,
  m: number,
  c: number,
  names: readonly string[],
  build: { readonly version: string; readonly branch: string; readonly sha: string },
): RunWithResults {
  const { runtime, config } = CONFIGS[c]!
  const machine = MACHINES[m]!
  const at = new Date(START_MS + d * DAY_MS).toISOString()
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
  return {
    run: {
      machine,
      environment: null,
      build: {
        runtime,
        version: build.version,
        config,
        commitSha: build.sha,
        commitDateUtc: at,
        branch: build.branch,
        mergeBase: null,
        identity: `${runtime}:${config}:${build.sha}`,
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
  }
}

/**
 * The runs of day `d`: every config built at that day's commit, measured on every machine, and
 * (with `releases`) the release of that day. Each series drifts slowly and now and then steps (a
 * real-looking history for change detection).
 */
function dayRuns(d: number, names: readonly string[], releases: boolean): RunWithResults[] {
  const sha = (d + 1).toString(16).padStart(40, 'a')
  const runs: RunWithResults[] = []
  for (let m = 0; m < MACHINES.length; m++) {
    for (let c = 0; c < CONFIGS.length; c++) {
      const version = CONFIGS[c]!.runtime === 'pypy' ? '3.10.14' : '3.14.0a1+'
      runs.push(oneRun(d, m, c, names, { version, branch: 'main', sha }))
    }
  }
  const release = releases ? RELEASES.find(([, day]) => day === d) : undefined
  if (release !== undefined) {
    const [version] = release
    const relSha = (d + 1).toString(16).padStart(40, 'b')
    for (let m = 0; m < MACHINES.length; m++) {
      for (const c of [0, 2]) {
        runs.push(
          oneRun(d, m, c, names, { version, branch: version.split('.').slice(0, 2).join('.'), sha: relSha }),
        )
      }
    }
  }
  return runs
}

/** The database file of `options`, built unless cached (a `.complete` file beside it). */
export async function portalDatabase(options: PortalOptions): Promise<string> {
  const { days, workloads, rebuild } = options
  const root = fileURLToPath(new URL('..', import.meta.url))
  const cacheDir = join(root, '.cache', 'api-speed')
  const dbFile = join(cacheDir, `portal-${days}d-${workloads}w${options.releases ? '-releases' : ''}.db`)
  const doneFile = `${dbFile}.complete`
  if (!rebuild && existsSync(doneFile)) {
    console.log(`database: ${dbFile} (cached; --rebuild to make it again)`)
    return dbFile
  }
  const names = workloadNames(workloads)
  mkdirSync(cacheDir, { recursive: true })
  for (const f of [dbFile, `${dbFile}-wal`, `${dbFile}-shm`, doneFile]) rmSync(f, { force: true })
  const store = await openSqliteStore(dbFile)
  const t0 = performance.now()
  let results = 0
  let runs = 0
  try {
    for (let d = 0; d < days; d += BATCH_DAYS) {
      const batch: RunWithResults[] = []
      for (let k = d; k < Math.min(days, d + BATCH_DAYS); k++)
        batch.push(...dayRuns(k, names, options.releases ?? false))
      await store.insertRuns(batch)
      runs += batch.length
      results += batch.length * workloads
      if ((d / BATCH_DAYS) % 20 === 0 || d + BATCH_DAYS >= days) {
        const s = (performance.now() - t0) / 1000
        process.stderr.write(
          `  day ${Math.min(days, d + BATCH_DAYS)}/${days}: ${fmt(results)} results in ${fmt(s, 1)} s (${fmt(results / s)} results/s)\n`,
        )
      }
    }
  } finally {
    await store.close()
  }
  const s = (performance.now() - t0) / 1000
  console.log(
    `generated: ${fmt(runs)} runs, ${fmt(results)} results, ${fmt(results * PROCESSES * VALUES)} values in ${fmt(s, 1)} s (${fmt(results / s)} results/s); file ${fmt(statSync(dbFile).size / 1e6)} MB`,
  )
  await writeFile(doneFile, new Date().toISOString())
  return dbFile
}
