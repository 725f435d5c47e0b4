import type { LangperfRunDocumentInput } from './ingest.ts'

// Example langperf-run documents for tests, docs and the dashboard's development data:
// deterministic values spread ± 2 % around a mean, every field a CI script would send.

/** Options of exampleRunDocument. */
export interface ExampleRunDocumentOptions {
  readonly machine?: string
  readonly runtime?: string
  readonly version?: string
  readonly config?: string
  readonly branch?: string | null
  readonly commitSha?: string
  /** ISO UTC; also the commit date. */
  readonly startedAt?: string
  readonly workloads?: readonly string[]
  /** Mean of each workload's values in seconds; the same for every workload when a number. */
  readonly meanS?: number | Readonly<Record<string, number>>
  readonly processes?: number
  readonly valuesPerProcess?: number
}

/** A valid langperf-run document (version 1) with deterministic values. */
export function exampleRunDocument(options: ExampleRunDocumentOptions = {}): LangperfRunDocumentInput {
  const startedAt = options.startedAt ?? '2024-10-01T10:00:00Z'
  const workloads = options.workloads ?? ['nbody', 'richards', 'json_dumps']
  const processes = options.processes ?? 4
  const values = options.valuesPerProcess ?? 3
  const meanOf = (w: string) =>
    typeof options.meanS === 'number' ? options.meanS : (options.meanS?.[w] ?? 0.01)
  return {
    format: 'langperf-run',
    version: 1,
    run: {
      machine: options.machine ?? 'bench-1',
      build: {
        runtime: options.runtime ?? 'cpython',
        version: options.version ?? '3.14.0a1+',
        config: options.config ?? 'default',
        commitSha: options.commitSha ?? 'a1b2c3d4',
        commitDateUtc: startedAt,
        branch: options.branch === undefined ? 'main' : options.branch,
      },
      suite: 'default',
      preset: 'fast',
      harnessVersion: '1',
      startedAt,
      metadata: { ci: 'example' },
    },
    status: 'complete',
    finishedAt: startedAt,
    results: workloads.map((name, w) => ({
      workload: { name, version: 'v1' },
      processes: Array.from({ length: processes }, (_, p) => ({
        warmups: [[1, meanOf(name) * 1.1] as [number, number]],
        values: Array.from(
          { length: values },
          (_, i) => meanOf(name) * (1 + 0.01 * (((i * 7 + p * 3 + w) % 5) - 2)),
        ),
        metadata: { process: p },
      })),
      metadata: { tags: ['micro'] },
    })),
  }
}
