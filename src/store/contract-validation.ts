import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { RunWithResults, WorkloadResult } from '../model/index.ts'
import {
  assertEmpty,
  failedOutcome,
  failedResult,
  type OpenStore,
  registerPart,
  rejectsWith,
  type WithStore,
} from './contract-helpers.ts'
import { exampleBuild, exampleResult, exampleRunSpec, exampleRunWithResults } from './fixtures.ts'

// Contract of what the store refuses (part of storeContract): invalid values are bad-input naming
// the field, and a batch with one bad run stores nothing at all.

/** Registers the input-validation and atomic-batch part of the Store contract. */
export function validationContract(name: string, open: OpenStore): void {
  registerPart({ name, open, title: 'validation' }, [validationAtTheEdge, atomicBatches])
}

/** Invalid results and run specs are refused with bad-input naming the field. */
function validationAtTheEdge(withStore: WithStore): void {
  describe('validation at the edge', () => {
    test('non-finite, negative and missing values are rejected with bad-input naming the field', () =>
      withStore(async (store) => {
        const { runId } = await store.beginRun(exampleRunSpec())
        const base = exampleResult('nbody')
        const withValues = (values: number[]): WorkloadResult => ({
          ...base,
          processes: [{ warmups: [], values, metadata: {} }],
        })
        await rejectsWith(store.addResult(runId, withValues([0.1, Number.NaN])), 'bad-input', /values\[1\]/)
        await rejectsWith(store.addResult(runId, withValues([-1])), 'bad-input', /values\[0\].*"-1"/)
        await rejectsWith(
          store.addResult(runId, withValues([Number.POSITIVE_INFINITY])),
          'bad-input',
          /values/,
        )
        await rejectsWith(store.addResult(runId, withValues([])), 'bad-input', /at least one value/)
        await rejectsWith(
          store.addResult(runId, {
            ...base,
            processes: [{ warmups: [[0, 1]], values: [1], metadata: {} }],
          }),
          'bad-input',
          /warmups\[0\]\[0\]/,
        )
        await rejectsWith(store.addResult(runId, { ...base, loops: 1.5 }), 'bad-input', /loops/)
        await rejectsWith(
          store.addResult(runId, { ...base, metadata: { load: Number.NaN } }),
          'bad-input',
          /metadata\.load/,
        )
        await rejectsWith(
          store.addResult(runId, { ...base, workload: { name: '', version: 'x' } }),
          'bad-input',
          /workload\.name/,
        )
        await rejectsWith(
          store.addResult(runId, {
            ...failedResult(),
            outcome: { ...failedOutcome(), stderrTail: 'bad\u0000byte' },
          }),
          'bad-input',
          /stderrTail contains a NUL/,
        )
        assert.deepEqual(await store.getResults(runId), [])
      }))

    test('run specs with empty names or timestamps that are not UTC are rejected', () =>
      withStore(async (store) => {
        await rejectsWith(store.beginRun(exampleRunSpec({ machine: '  ' })), 'bad-input', /machine/)
        await rejectsWith(
          store.beginRun(exampleRunSpec({ startedAt: '2024-10-01T12:00:00+02:00' })),
          'bad-input',
          /startedAt.*\+02:00/,
        )
        await rejectsWith(
          store.beginRun(
            exampleRunSpec({ build: exampleBuild('abc', { commitDateUtc: '2024-10-01 08:30' }) }),
          ),
          'bad-input',
          /commitDateUtc/,
        )
        await rejectsWith(
          store.beginRun(exampleRunSpec({ build: exampleBuild('abc', { identity: '' }) })),
          'bad-input',
          /identity/,
        )
        const { runId } = await store.beginRun(exampleRunSpec())
        await rejectsWith(store.finishRun(runId, 'complete', 'yesterday'), 'bad-input', /finishedAt/)
        assert.equal((await store.listRuns()).total, 1)
      }))
  })
}

/** insertRuns() stores a batch whole or not at all. */
function atomicBatches(withStore: WithStore): void {
  describe('atomic batches', () => {
    test('insertRuns() stores nothing when the second run of a batch has an invalid value', () =>
      withStore(async (store) => {
        const good = exampleRunWithResults()
        const bad = exampleRunWithResults(
          { machine: 'bench-2', build: exampleBuild('ffff000011112222') },
          { workloads: ['brand_new'] },
        )
        const broken: RunWithResults = {
          ...bad,
          results: [{ ...bad.results[0]!, processes: [{ warmups: [], values: [0.1, -0.2], metadata: {} }] }],
        }
        await rejectsWith(
          store.insertRuns([good, broken, exampleRunWithResults()]),
          'bad-input',
          /run 2 of 3/,
        )
        await assertEmpty(store)
      }))

    test('insertRuns() stores nothing when a run of the batch holds the same workload twice', () =>
      withStore(async (store) => {
        const dup = exampleRunWithResults({ machine: 'bench-3' }, { workloads: ['nbody', 'nbody'] })
        await rejectsWith(store.insertRuns([exampleRunWithResults(), dup]), 'conflict', /twice/)
        await assertEmpty(store)
      }))

    test('insertRuns() stores nothing when a build identity conflicts with an earlier run of the batch', () =>
      withStore(async (store) => {
        const first = exampleRunWithResults()
        const clash = exampleRunWithResults({ build: { ...exampleBuild(), config: 'debug' } })
        await rejectsWith(store.insertRuns([first, clash]), 'conflict', /identity/)
        await assertEmpty(store)
      }))

    test('insertRuns() returns one id per run in order, and an empty batch stores nothing', () =>
      withStore(async (store) => {
        assert.deepEqual(await store.insertRuns([]), [])
        const ids = await store.insertRuns([
          exampleRunWithResults({ startedAt: '2024-10-01T10:00:00Z' }),
          exampleRunWithResults({ startedAt: '2024-10-02T10:00:00Z' }),
        ])
        assert.equal(ids.length, 2)
        assert.equal((await store.getRun(ids[1]!))?.startedAt, '2024-10-02T10:00:00Z')
      }))
  })
}
