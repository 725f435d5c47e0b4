// Write and read speed of the SQLite store. Prints figures; asserts nothing.
//   node --import tsx bench/store-write.ts [runs=100] [workloads=100]
// 1. insertRuns(): `runs` runs × `workloads` workloads × 20 processes × (1 warm-up + 4 values),
//    one transaction per run, into a temp file (the shape of a pyperformance run).
// 2. beginRun() + addResult() × workloads + finishRun(): the live path, 10 runs.
// 3. getSeriesPoints() on a 1,000-point series (1,000 runs of one workload on distinct builds).
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { RunWithResults } from '../src/model/index.ts'
import { exampleBuild, exampleResult, exampleRunSpec } from '../src/store/fixtures.ts'
import { openSqliteStore, type SeriesKey } from '../src/store/index.ts'

const RUNS = Number(process.argv[2] ?? 100)
const WORKLOADS = Number(process.argv[3] ?? 100)
const PROCESSES = 20
const VALUES = 4
const SERIES_POINTS = 1000

const dir = mkdtempSync(join(tmpdir(), 'langperf-bench-'))
const path = join(dir, 'bench.db')

/** Run `i`: its own build (commit) and start time, `WORKLOADS` results with seeded values. */
function makeRun(i: number, workloads: number): RunWithResults {
  const sha = i.toString(16).padStart(40, '0')
  const day = new Date(Date.UTC(2024, 0, 1) + i * 3_600_000).toISOString()
  return {
    run: exampleRunSpec({ build: exampleBuild(sha, { commitDateUtc: day }), startedAt: day }),
    status: 'complete',
    finishedAt: day,
    results: Array.from({ length: workloads }, (_, w) =>
      exampleResult(`workload_${w}`, { processes: PROCESSES, valuesPerProcess: VALUES, seed: i * 1000 + w }),
    ),
  }
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits })

try {
  const store = await openSqliteStore(path)

  // 1. Batch inserts.
  let insertMs = 0
  for (let i = 0; i < RUNS; i++) {
    const run = makeRun(i, WORKLOADS) // built outside the timed region
    const t0 = performance.now()
    await store.insertRuns([run])
    insertMs += performance.now() - t0
  }
  const results = RUNS * WORKLOADS
  const values = results * PROCESSES * VALUES
  const rows = RUNS + 2 * results // runs + results + result_samples (machines, builds: one per run at most)
  const s = insertMs / 1000
  console.log(`insertRuns: ${RUNS} runs × ${WORKLOADS} workloads × ${PROCESSES} processes × ${VALUES} values`)
  console.log(`  ${fmt(s, 2)} s total, ${fmt(insertMs / RUNS, 1)} ms per run`)
  console.log(
    `  ${fmt(rows / s)} rows/s (runs + results + sample rows), ${fmt(results / s)} results/s, ${fmt(values / s)} values/s`,
  )
  console.log(`  file: ${fmt(statSync(path).size / 1e6, 1)} MB (+ WAL ${fmt(walSize(path) / 1e6, 1)} MB)`)

  // 2. The live path.
  const LIVE = 10
  let liveMs = 0
  for (let i = 0; i < LIVE; i++) {
    const run = makeRun(RUNS + i, WORKLOADS)
    const t0 = performance.now()
    const { runId } = await store.beginRun(run.run)
    for (const r of run.results) await store.addResult(runId, r)
    await store.finishRun(runId, 'complete', run.run.startedAt)
    liveMs += performance.now() - t0
  }
  console.log(
    `beginRun + addResult × ${WORKLOADS} + finishRun: ${fmt(liveMs / LIVE, 1)} ms per run, ${fmt((LIVE * WORKLOADS) / (liveMs / 1000))} results/s`,
  )

  // 3. A 1,000-point series: one workload on 1,000 further builds, 100 runs per batch.
  for (let b = 0; b < SERIES_POINTS / 100; b++) {
    const batch = Array.from({ length: 100 }, (_, j) => makeRun(RUNS + LIVE + b * 100 + j, 0))
    for (const r of batch) {
      ;(r as { results: unknown }).results = [
        exampleResult('series_target', {
          processes: PROCESSES,
          valuesPerProcess: VALUES,
          seed: r.run.startedAt.length + b,
        }),
      ]
    }
    await store.insertRuns(batch)
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
  console.log(
    `listSeries (${series.length} series over ${fmt(results + LIVE * WORKLOADS + SERIES_POINTS)} results): ${fmt(performance.now() - t0, 1)} ms`,
  )
  const t1 = performance.now()
  const withSamples = await store.getResults(1, { withSamples: true })
  console.log(
    `getResults of one run with samples (${withSamples.length} results): ${fmt(performance.now() - t1, 1)} ms`,
  )
  await store.close()
} finally {
  rmSync(dir, { recursive: true, force: true })
}

function walSize(db: string): number {
  try {
    return statSync(`${db}-wal`).size
  } catch {
    return 0
  }
}
