// Write and read speed of the store. Prints figures; asserts nothing.
//   node --import tsx bench/store-write.ts [runs=100] [workloads=100]
// Runs against a temp SQLite file, and also against PostgreSQL (in a temp schema, dropped
// afterwards) when LANGPERF_BENCH_PG_URL is set.
// 1. insertRuns(): `runs` runs × `workloads` workloads × 20 processes × (1 warm-up + 4 values),
//    one transaction per run (the shape of a pyperformance run).
// 2. beginRun() + addResult() × workloads + finishRun(): the live path, 10 runs.
// 3. getSeriesPoints() on a 1,000-point series (1,000 runs of one workload on distinct builds).
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import type { RunWithResults } from '../src/model/index.ts'
import { exampleBuild, exampleResult, exampleRunSpec } from '../src/store/fixtures.ts'
import { openPostgresStore, openSqliteStore, type SeriesKey, type Store } from '../src/store/index.ts'

const RUNS = Number(process.argv[2] ?? 100)
const WORKLOADS = Number(process.argv[3] ?? 100)
const PROCESSES = 20
const VALUES = 4
const SERIES_POINTS = 1000
const LIVE_RUNS = 10

/** Run `i`: its own build (commit) and start time, `workloads` results with seeded values. */
function makeRun(i: number, workloads: readonly string[]): RunWithResults {
  const sha = i.toString(16).padStart(40, '0')
  const at = new Date(Date.UTC(2024, 0, 1) + i * 3_600_000).toISOString()
  return {
    run: exampleRunSpec({ build: exampleBuild(sha, { commitDateUtc: at }), startedAt: at }),
    status: 'complete',
    finishedAt: at,
    results: workloads.map((name, w) =>
      exampleResult(name, { processes: PROCESSES, valuesPerProcess: VALUES, seed: i * 1000 + w }),
    ),
  }
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits })
const names = Array.from({ length: WORKLOADS }, (_, w) => `workload_${w}`)

async function bench(label: string, store: Store, sizeNote: () => Promise<string>): Promise<void> {
  console.log(`== ${label}`)
  // 1. Batch inserts, one run per transaction; data is built outside the timed region.
  let insertMs = 0
  for (let i = 0; i < RUNS; i++) {
    const run = makeRun(i, names)
    const t0 = performance.now()
    await store.insertRuns([run])
    insertMs += performance.now() - t0
  }
  const results = RUNS * WORKLOADS
  const values = results * PROCESSES * VALUES
  const rows = RUNS + 2 * results // runs + results + result_samples
  const s = insertMs / 1000
  console.log(`insertRuns: ${RUNS} runs × ${WORKLOADS} workloads × ${PROCESSES} processes × ${VALUES} values`)
  console.log(`  ${fmt(s, 2)} s total, ${fmt(insertMs / RUNS, 1)} ms per run`)
  console.log(
    `  ${fmt(rows / s)} rows/s (runs + results + sample rows), ${fmt(results / s)} results/s, ${fmt(values / s)} values/s`,
  )
  console.log(`  ${await sizeNote()}`)

  // 2. The live path.
  let liveMs = 0
  for (let i = 0; i < LIVE_RUNS; i++) {
    const run = makeRun(RUNS + i, names)
    const t0 = performance.now()
    const { runId } = await store.beginRun(run.run)
    for (const r of run.results) await store.addResult(runId, r)
    await store.finishRun(runId, 'complete', run.run.startedAt)
    liveMs += performance.now() - t0
  }
  console.log(
    `beginRun + addResult × ${WORKLOADS} + finishRun: ${fmt(liveMs / LIVE_RUNS, 1)} ms per run, ${fmt((LIVE_RUNS * WORKLOADS) / (liveMs / 1000))} results/s`,
  )

  // 3. A 1,000-point series: one workload on 1,000 further builds, 100 runs per batch.
  for (let b = 0; b < SERIES_POINTS / 100; b++) {
    const first = RUNS + LIVE_RUNS + b * 100
    await store.insertRuns(Array.from({ length: 100 }, (_, j) => makeRun(first + j, ['series_target'])))
  }
  const key: SeriesKey = {
    machine: 'bench-1',
    runtime: 'cpython',
    config: 'pgo-lto',
    branch: 'main',
    workload: 'series_target',
    workloadVersion: 'v1hash000000',
  }
  for (const withProcessMeans of [false, true]) {
    const times: number[] = []
    let n = 0
    for (let k = 0; k < 21; k++) {
      const t0 = performance.now()
      n = (await store.getSeriesPoints(key, { withProcessMeans })).length
      times.push(performance.now() - t0)
    }
    times.sort((a, b) => a - b)
    console.log(
      `getSeriesPoints (${n} points${withProcessMeans ? ', with process means' : ''}): median ${fmt(times[10]!, 2)} ms, min ${fmt(times[0]!, 2)} ms over 21 calls`,
    )
  }
  const t0 = performance.now()
  const series = await store.listSeries()
  const total = results + LIVE_RUNS * WORKLOADS + SERIES_POINTS
  console.log(
    `listSeries (${series.length} series over ${fmt(total)} results): ${fmt(performance.now() - t0, 1)} ms`,
  )
  // The oldest run's page, then all its samples: median of 5 (the first call after a bulk load
  // can be far slower on PostgreSQL, whose planner statistics lag until autovacuum analyses).
  const pageTimes: number[] = []
  let count = 0
  for (let k = 0; k < 5; k++) {
    const t1 = performance.now()
    const oldest = (await store.listRuns({ limit: 1, offset: RUNS + LIVE_RUNS + SERIES_POINTS - 1 })).rows[0]!
    count = (await store.getResults(oldest.id, { withSamples: true })).length
    pageTimes.push(performance.now() - t1)
  }
  pageTimes.sort((a, b) => a - b)
  console.log(
    `listRuns page + getResults of one run with samples (${count} results): median ${fmt(pageTimes[2]!, 1)} ms, max ${fmt(pageTimes[4]!, 1)} ms over 5 calls`,
  )
}

const dir = mkdtempSync(join(tmpdir(), 'langperf-bench-'))
try {
  const path = join(dir, 'bench.db')
  const sqlite = await openSqliteStore(path)
  try {
    await bench(
      'SQLite (temp file, WAL)',
      sqlite,
      async () =>
        `file: ${fmt(fileSize(path) / 1e6, 1)} MB + WAL ${fmt(fileSize(`${path}-wal`) / 1e6, 1)} MB`,
    )
  } finally {
    await sqlite.close()
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}

const pgUrl = process.env.LANGPERF_BENCH_PG_URL
if (pgUrl !== undefined && pgUrl !== '') {
  const schema = `langperf_bench_${process.pid}`
  const store = await openPostgresStore(pgUrl, { schema })
  const client = new pg.Client({ connectionString: pgUrl })
  await client.connect()
  try {
    await bench('PostgreSQL', store, async () => {
      const { rows } = await client.query<{ bytes: string }>(
        `select sum(pg_total_relation_size(c.oid)) as bytes from pg_class c
           join pg_namespace n on n.oid = c.relnamespace where n.nspname = $1 and c.relkind = 'r'`,
        [schema],
      )
      return `schema size (tables, indexes, TOAST): ${fmt(Number(rows[0]?.bytes ?? 0) / 1e6, 1)} MB`
    })
  } finally {
    await store.close()
    await client.query(`drop schema if exists ${schema} cascade`)
    await client.end()
  }
}

function fileSize(file: string): number {
  try {
    return statSync(file).size
  } catch {
    return 0
  }
}
