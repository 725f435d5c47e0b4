// Loads the raw per-process values of the published CPython history in
// ../shared/data/cpython-pyperformance-pythonperf2 (main branch, default config: 39 runs) as
// langperf runs, with the metadata pyperf files carry (platform, cpu_config, suite version,
// benchmark_hash), so they go through the store and the detection use case like imported files.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { RunWithResults, WorkloadResult } from '../src/model/index.ts'
import { parseCsv } from './csv.ts'

/** Where the data set lives on these machines. */
export const PYTHONPERF_DIR = `${process.env.LANGPERF_SHARED_DATA ?? new URL('../../shared/data', import.meta.url).pathname}/cpython-pyperformance-pythonperf2/`

/** The runs of the data set that have raw values, oldest commit first. */
export function loadPythonperfRuns(dir = PYTHONPERF_DIR): RunWithResults[] {
  const runs = new Map(parseCsv(readFileSync(join(dir, 'runs.csv'), 'utf8')).map((r) => [r.run_id!, r]))
  const results = new Map<string, WorkloadResult[]>()
  for (const line of readFileSync(join(dir, 'raw_values.jsonl'), 'utf8').split('\n')) {
    if (!line.trim()) continue
    const row = JSON.parse(line) as {
      run_id: string
      benchmark: string
      unit: string
      loops: number
      inner_loops: number
      values: number[][]
    }
    const run = runs.get(row.run_id)
    if (!run) continue
    const list = results.get(row.run_id) ?? []
    list.push({
      workload: { name: row.benchmark, version: run.pyperformance_version! },
      unit: row.unit,
      loops: row.loops,
      innerLoops: row.inner_loops,
      processes: row.values.map((values) => ({ warmups: [], values, metadata: {} })),
      outcome: { state: 'measured' },
      metadata: {},
    })
    results.set(row.run_id, list)
  }
  const out: RunWithResults[] = []
  for (const [id, list] of results) {
    const r = runs.get(id)!
    out.push({
      run: {
        machine: r.machine!,
        environment: null,
        build: {
          runtime: 'cpython',
          version: r.python_version!,
          config: r.config!,
          commitSha: r.commit_sha || r.commit!,
          commitDateUtc: new Date(r.commit_date_utc!).toISOString(),
          branch: r.lineage!,
          mergeBase: r.merge_base || null,
          identity: `cpython:${r.commit_sha || r.commit}:${r.config}`,
          interpreter: null,
          metadata: {},
        },
        suite: 'pyperformance',
        preset: 'import',
        harnessVersion: `pyperf ${r.pyperf_version}`,
        source: 'pyperf-import',
        startedAt: new Date(`${r.bench_start!.replace(' ', 'T')}Z`).toISOString(),
        groupId: null,
        metadata: {
          platform: r.platform!,
          cpu_config: r.cpu_config!,
          performance_version: r.pyperformance_version!,
          benchmark_hash: r.benchmark_hash!,
          hostname: r.hostname!,
        },
      },
      status: 'complete',
      finishedAt: null,
      results: list,
    })
  }
  return out.sort((a, b) => a.run.build.commitDateUtc!.localeCompare(b.run.build.commitDateUtc!))
}

/** A documented event observed on this machine (ground_truth_observations.csv). */
export interface Observation {
  readonly eventId: string
  readonly config: string
  readonly benchmark: string
  readonly commitBefore: string
  readonly commitAfter: string
  readonly ratio: number
}

/** The ground-truth observations of one config. */
export function loadObservations(config: string, dir = PYTHONPERF_DIR): Observation[] {
  return parseCsv(readFileSync(join(dir, 'ground_truth_observations.csv'), 'utf8'))
    .filter((r) => r.config === config && r.lineage === 'main')
    .map((r) => ({
      eventId: r.event_id!,
      config: r.config!,
      benchmark: r.benchmark!,
      commitBefore: r.commit_before!,
      commitAfter: r.commit_after!,
      ratio: Number(r.ratio_after_over_before),
    }))
}
