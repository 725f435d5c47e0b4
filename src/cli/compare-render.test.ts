import assert from 'node:assert/strict'
import { test } from 'node:test'
import { compareRuns } from '../analysis/index.ts'
import type { RunWithResults, WorkloadResult } from '../model/index.ts'
import { openSqliteStore } from '../store/index.ts'
import { renderCompare } from './commands/compare.ts'

// `langperf compare`'s text: a server workload's requests/s and latencies under its row, read as
// better or worse.

test('renderCompare() shows a server workload metrics under its row, better and worse', async () => {
  const store = await openSqliteStore(':memory:')
  const server = (cpuS: number[], rps: number[], p99: number[]): WorkloadResult => ({
    workload: { name: 'django_feed', version: 'v1' },
    unit: 'second',
    loops: 1,
    innerLoops: 1,
    processes: cpuS.map((v) => ({ warmups: [], values: [v], metadata: {} })),
    outcome: { state: 'measured' },
    metadata: { http: { primary: 'cpu_ms_per_request', requests_per_s: rps, latency_p99_ms: p99 } },
  })
  const run = (sha: string, day: string, result: WorkloadResult): RunWithResults => ({
    run: {
      machine: 'box',
      environment: null,
      build: {
        runtime: 'cpython',
        version: '3.13.0',
        config: 'default',
        commitSha: sha,
        commitDateUtc: `2024-10-${day}T00:00:00.000Z`,
        branch: 'main',
        mergeBase: null,
        identity: `cpython:${sha}`,
        interpreter: null,
        metadata: {},
      },
      suite: 'web',
      preset: 'default',
      harnessVersion: 'test',
      source: 'langperf',
      startedAt: `2024-10-${day}T10:00:00.000Z`,
      groupId: null,
      metadata: {},
    },
    status: 'complete',
    finishedAt: null,
    results: [result],
  })
  const [b, c] = await store.insertRuns([
    run('aaaa1111', '01', server([0.0021, 0.002, 0.0022], [400, 404, 398], [30, 31, 30.5])),
    run('bbbb2222', '02', server([0.0017, 0.0018, 0.0017], [480, 484, 478], [39, 40, 39.5])),
  ])
  const text = renderCompare(await compareRuns(store, b!, c!, { confidence: 0.95 }))
  assert.match(
    text,
    /\n {2}Requests\/s \(saturation\) +401 request\/s +481 request\/s +1\.200× .* \+20 % +better/,
  )
  assert.match(text, /\n {2}Latency p99 \(saturation\) +30\.5 ms +39\.5 ms +1\.295× .* worse/)
  await store.close()
})
