import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { WorkloadResult } from '../model/index.ts'
import type { ResultRow } from '../store/index.ts'
import { renderResultsTable } from './commands/show.ts'

/** A stored result of `processes` processes of 3 values around `meanS`. */
function stored(name: string, processes: number, metadata: WorkloadResult['metadata']): ResultRow {
  const values = [0.99, 1, 1.01]
  return {
    id: 1,
    runId: 1,
    workloadId: 1,
    workload: { name, version: 'v1' },
    unit: 'second',
    loops: 1,
    innerLoops: 1,
    outcome: { state: 'measured' },
    metadata,
    processMeans: Array.from({ length: processes }, (_, i) => 0.01 * (1 + i / 1000)),
    summary: {
      nProcesses: processes,
      nValues: processes * values.length,
      mean: 0.01,
      stdevProcessMeans: 0.00001,
      min: 0.0099,
      max: 0.0101,
      median: 0.01,
    },
  }
}

test('show marks a result an interrupted run kept as incomplete, with how many processes of how many', () => {
  const text = renderResultsTable([
    stored('nbody', 20, {}),
    stored('generators', 7, { incomplete: { reason: 'interrupted', processes: 7, planned: 20 } }),
  ])
  const lines = text.split('\n')
  assert.match(lines.find((l) => l.startsWith('nbody'))!, /^nbody\s+measured\s/)
  assert.match(
    lines.find((l) => l.startsWith('generators'))!,
    /^generators\s+incomplete\s.*interrupted: 7 of 20 processes$/,
  )
})
