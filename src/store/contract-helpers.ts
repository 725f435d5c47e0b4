import assert from 'node:assert/strict'
import { describe } from 'node:test'
import { type ErrorCode, LangperfError } from '../lib/index.ts'
import type { ResultOutcome, RunWithResults, WorkloadResult } from '../model/index.ts'
import { exampleResult, exampleRunWithResults } from './fixtures.ts'
import type { Store } from './roles.ts'
import type { SeriesKey } from './types.ts'

// What the parts of the Store contract share: how a test gets a fresh store, how it expects an
// error, and the results and runs several parts store.

/** Opens a new, empty, migrated store: a fresh SQLite file, a fresh PostgreSQL schema. */
export type OpenStore = () => Promise<Store>

/** A group of contract tests, registered with an implementation's `withStore`. */
export type ContractGroup = (withStore: WithStore) => void

/** Which implementation a part of the contract runs against, and under what title. */
export interface ContractPart {
  /** The implementation's name, e.g. `SQLite file`. */
  readonly name: string
  readonly open: OpenStore
  /** The part, e.g. `runs`: tests are listed under `Store contract: <name>: <title>`. */
  readonly title: string
}

/** Registers `groups` under one describe for the part, every test on a fresh store from `part.open`. */
export function registerPart(part: ContractPart, groups: readonly ContractGroup[]): void {
  const withStore = withStoreOf(part.open)
  describe(`Store contract: ${part.name}: ${part.title}`, () => {
    for (const group of groups) group(withStore)
  })
}

/** The series of `workload` (version `v1hash000000`) in the runs of exampleRunWithResults(). */
export function exampleSeriesKey(workload: string): SeriesKey {
  return {
    machine: 'bench-1',
    runtime: 'cpython',
    config: 'pgo-lto',
    branch: 'main',
    workload,
    workloadVersion: 'v1hash000000',
  }
}

/** Runs a test body on a fresh store and always closes it. */
export type WithStore = (fn: (store: Store) => Promise<void>) => Promise<void>

/** The `withStore` of an implementation: each call opens a fresh store with `open` and closes it after `fn`. */
function withStoreOf(open: OpenStore): WithStore {
  return async (fn) => {
    const store = await open()
    try {
      await fn(store)
    } finally {
      await store.close()
    }
  }
}

/** Asserts that `promise` rejects with a LangperfError of `code` whose message matches `re`. */
export async function rejectsWith(promise: Promise<unknown>, code: ErrorCode, re: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof LangperfError, `expected a LangperfError, got ${String(error)}`)
    assert.equal(error.code, code, error.message)
    assert.match(error.message, re)
    return true
  })
}

/** Asserts that the store holds nothing at all. */
export async function assertEmpty(store: Store): Promise<void> {
  assert.equal((await store.listRuns()).total, 0)
  assert.deepEqual(await store.listMachines(), [])
  assert.deepEqual(await store.findBuilds(), [])
  assert.deepEqual(await store.listWorkloads(), [])
  assert.deepEqual(await store.listSeries(), [])
}

/** A failed result of `spectral_norm` that still carries the warm-ups measured before it failed. */
export function failedResult(): WorkloadResult {
  return {
    ...exampleResult('spectral_norm', { processes: 1, valuesPerProcess: 0 }),
    outcome: failedOutcome(),
  }
}

/** The outcome of failedResult(): a worker that crashed. */
export function failedOutcome(): Extract<ResultOutcome, { state: 'failed' }> {
  return {
    state: 'failed',
    reason: 'crashed',
    message: 'Worker exited with code -11',
    stderrTail: 'Segmentation fault\n',
  }
}

/** A skipped result of a workload that needs a module the interpreter lacks. */
export function skippedResult(): WorkloadResult {
  return {
    ...exampleResult('zz_needs_numpy', { processes: 0 }),
    outcome: { state: 'skipped', message: 'Requires numpy' },
  }
}

/**
 * A run exercising every field: awkward floats (they must survive JSON exactly), unicode,
 * nested metadata, a failed and a skipped result, a group id.
 */
export function richRun(): RunWithResults {
  const base = exampleRunWithResults({
    groupId: 'group-ü-1',
    metadata: { pyperf: { version: '2.10' }, ratio: 1 / 3 },
  })
  const awkward: WorkloadResult = {
    ...exampleResult('awkward_floats'),
    unit: 'second',
    loops: 2 ** 40,
    innerLoops: 7,
    processes: [
      {
        warmups: [
          [1, 0.1 + 0.2],
          [2 ** 20, 5e-324],
        ],
        values: [0, 1e-9, 1.7976931348623157e308, 123456.789e-7, 2 ** -1074 * 3],
        metadata: {
          date: '2024-10-01T10:00:00.123456',
          cmd: ['python', '-c', 'print("é ✓")'],
          nothing: null,
        },
      },
      { warmups: [], values: [Math.PI], metadata: {} },
    ],
    metadata: { deep: { deeper: { deepest: [1, [2, [3, { four: true }]]] } }, empty: {}, emptyList: [] },
  }
  return { ...base, results: [...base.results, awkward, failedResult(), skippedResult()] }
}
