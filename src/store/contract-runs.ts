import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { JsonObject } from '../lib/index.ts'
import type { RunWithResults, WorkloadResult } from '../model/index.ts'
import {
  failedResult,
  type OpenStore,
  registerPart,
  rejectsWith,
  richRun,
  skippedResult,
  type WithStore,
} from './contract-helpers.ts'
import { exampleBuild, exampleResult, exampleRunSpec, exampleRunWithResults } from './fixtures.ts'
import type { Store } from './roles.ts'

// Contract of writing and reading runs (part of storeContract): runs read back exactly as they
// were written, live or in a batch; results keep their order and summary; a finished run takes
// no more results; crashed runs are marked interrupted; run pages and the latest runs per group.

/** Registers the runs-and-results part of the Store contract (RunWriter, RunReader). */
export function runsContract(name: string, open: OpenStore): void {
  registerPart({ name, open, title: 'runs' }, [roundTrips, results, interruptedRuns, runListing, latestRuns])
}

/** A run reads back exactly as it was stored, live or in one batch. */
function roundTrips(withStore: WithStore): void {
  describe('round trips', () => {
    test('a run stored with insertRuns() reads back identical: every value, warm-up and metadata key', () =>
      withStore(async (store) => {
        const input = richRun()
        const [runId] = await store.insertRuns([input])
        assert.ok(runId !== undefined)
        assert.deepEqual(await store.getRunWithResults(runId), input)
      }))

    test('insertRuns() takes runs produced one at a time; an error from the source rolls the batch back', () =>
      withStore(async (store) => {
        const input = richRun()
        async function* two(failAfterFirst: boolean): AsyncGenerator<RunWithResults> {
          yield exampleRunWithResults({ startedAt: '2024-10-02T10:00:00Z' })
          if (failAfterFirst) throw new Error('the source failed')
          yield input
        }
        await assert.rejects(store.insertRuns(two(true)), /the source failed/)
        assert.equal((await store.listRuns()).total, 0, 'the run stored before the error rolled back')
        const ids = await store.insertRuns(two(false))
        assert.equal(ids.length, 2)
        assert.deepEqual(await store.getRunWithResults(ids[1]!), input)
      }))

    test('a run written live with beginRun(), addResult() and finishRun() reads back identical', () =>
      withStore(async (store) => {
        const input = richRun()
        const { runId } = await store.beginRun(input.run)
        const running = await store.getRun(runId)
        assert.equal(running?.status, 'running')
        assert.equal(running?.finishedAt, null)
        for (const r of input.results) await store.addResult(runId, r)
        assert.equal((await store.getRun(runId))?.resultCount, input.results.length)
        await store.finishRun(runId, 'complete', '2024-10-01T10:45:00.000Z')
        assert.deepEqual(await store.getRunWithResults(runId), input)
      }))

    test('getRun() returns the run with its machine, build, environment and ids', () =>
      withStore(async (store) => {
        const input = exampleRunWithResults({ groupId: 'g-1' })
        const [runId] = await store.insertRuns([input])
        const run = await store.getRun(runId!)
        assert.ok(run)
        assert.equal(run.id, runId)
        assert.equal(run.machine, 'bench-1')
        assert.equal(typeof run.machineId, 'number')
        assert.equal(typeof run.build.id, 'number')
        assert.equal(run.build.identity, input.run.build.identity)
        assert.deepEqual(run.environment, input.run.environment)
        assert.equal(run.groupId, 'g-1')
        assert.equal(run.resultCount, 3)
      }))

    test('getRun() and getRunWithResults() return undefined for an unknown id', () =>
      withStore(async (store) => {
        assert.equal(await store.getRun(12345), undefined)
        assert.equal(await store.getRunWithResults(12345), undefined)
      }))

    test('a run without an environment reads back with a null environment', () =>
      withStore(async (store) => {
        const input = exampleRunWithResults({ environment: null, source: 'pyperf-import' })
        const [runId] = await store.insertRuns([input])
        assert.deepEqual(await store.getRunWithResults(runId!), input)
        assert.equal((await store.getMachine('bench-1'))?.fingerprint, null)
      }))

    test('failed and skipped outcomes are stored and read back with reason, message and stderr tail', () =>
      withStore(async (store) => {
        const { runId } = await store.beginRun(exampleRunSpec())
        await store.addResult(runId, failedResult())
        await store.addResult(runId, skippedResult())
        const rows = await store.getResults(runId)
        assert.deepEqual(
          rows.map((r) => r.outcome),
          [failedResult().outcome, skippedResult().outcome],
        )
        assert.deepEqual(rows[1]?.summary, {
          nProcesses: 0,
          nValues: 0,
          mean: null,
          stdevProcessMeans: null,
          min: null,
          max: null,
          median: null,
        })
      }))
  })
}

/** Results: their summary, order and filters, and what addResult() and finishRun() refuse. */
function results(withStore: WithStore): void {
  describe('results', () => {
    test('getResultSummaries() reads the measured results of several runs, summaries only', () =>
      withStore(async (store) => {
        const [a, b] = await store.insertRuns([
          exampleRunWithResults({}, { workloads: ['nbody', 'richards', 'json_dumps'] }),
          exampleRunWithResults({ startedAt: '2024-10-02T10:00:00Z' }, { workloads: ['richards', 'nbody'] }),
        ])
        const { runId: c } = await store.beginRun(exampleRunSpec({ startedAt: '2024-10-03T10:00:00Z' }))
        await store.addResult(c, failedResult())
        const rows = await store.getResultSummaries([b!, a!, c], {
          workloads: ['nbody', 'richards', 'spectral_norm'],
        })
        // By run id, then as stored; the failed result is left out.
        assert.deepEqual(
          rows.map((r) => [r.runId, r.workload.name]),
          [
            [a, 'nbody'],
            [a, 'richards'],
            [b, 'richards'],
            [b, 'nbody'],
          ],
        )
        const full = (await store.getResults(a!)).find((r) => r.workload.name === 'nbody')
        assert.deepEqual(rows[0]?.summary, full?.summary)
        assert.equal(rows[0]?.unit, full?.unit)
        assert.equal((await store.getResultSummaries([a!, b!])).length, 5)
        assert.deepEqual(await store.getResultSummaries([]), [])
        assert.deepEqual(await store.getResultSummaries([a!], { workloads: [] }), [])
        await rejectsWith(store.getResultSummaries([0]), 'bad-input', /runId/)
        await rejectsWith(
          store.getResultSummaries(Array.from({ length: 1001 }, (_, i) => i + 1)),
          'bad-input',
          /at most 1000 runs/,
        )
      }))

    test('getResults() computes the summary from per-process means', () =>
      withStore(async (store) => {
        const { runId } = await store.beginRun(exampleRunSpec())
        const result: WorkloadResult = {
          ...exampleResult('exact'),
          processes: [
            { warmups: [[1, 100]], values: [1, 3], metadata: {} },
            { warmups: [], values: [2, 4], metadata: {} },
            { warmups: [[1, 9]], values: [], metadata: {} },
          ],
        }
        await store.addResult(runId, result)
        const [row] = await store.getResults(runId)
        // process means [2, 3]: mean 2.5, sample stdev sqrt(((2-2.5)² + (3-2.5)²) / 1) = sqrt(0.5);
        // values 1, 2, 3, 4: median (2 + 3) / 2; warm-ups and the empty process count for nothing.
        assert.deepEqual(row?.summary, {
          nProcesses: 2,
          nValues: 4,
          mean: 2.5,
          stdevProcessMeans: Math.sqrt(0.5),
          min: 1,
          max: 4,
          median: 2.5,
        })
        assert.deepEqual(row?.processMeans, [2, 3])
      }))

    test('getResults() keeps the order results were stored in, filters by name and leaves samples out unless asked', () =>
      withStore(async (store) => {
        const [runId] = await store.insertRuns([
          exampleRunWithResults({}, { workloads: ['zeta', 'alpha', 'mid'] }),
        ])
        const plain = await store.getResults(runId!)
        assert.deepEqual(
          plain.map((r) => r.workload.name),
          ['zeta', 'alpha', 'mid'],
        )
        assert.ok(plain.every((r) => !('processes' in r)))
        const some = await store.getResults(runId!, { workloads: ['zeta', 'alpha'], withSamples: true })
        assert.deepEqual(
          some.map((r) => r.workload.name),
          ['zeta', 'alpha'],
        )
        assert.ok(some.every((r) => r.processes.length === 3))
        assert.deepEqual(await store.getResults(runId!, { workloads: [] }), [])
        assert.deepEqual(await store.getResults(98765), [])
      }))

    test('addResult() refuses an unknown run, a finished run and a second result for the same workload', () =>
      withStore(async (store) => {
        await rejectsWith(store.addResult(4242, exampleResult('nbody')), 'not-found', /4242/)
        const { runId } = await store.beginRun(exampleRunSpec())
        await store.addResult(runId, exampleResult('nbody'))
        await rejectsWith(store.addResult(runId, exampleResult('nbody')), 'conflict', /nbody/)
        await store.addResult(runId, exampleResult('nbody', { version: 'v2hash000000' }))
        await store.finishRun(runId, 'complete', '2024-10-01T11:00:00Z')
        await rejectsWith(store.addResult(runId, exampleResult('richards')), 'conflict', /complete/)
        assert.equal((await store.getResults(runId)).length, 2)
      }))

    test('finishRun() refuses an unknown run and a run already finished', () =>
      withStore(async (store) => {
        await rejectsWith(store.finishRun(777, 'complete', '2024-10-01T11:00:00Z'), 'not-found', /777/)
        const { runId } = await store.beginRun(exampleRunSpec())
        await store.finishRun(runId, 'interrupted', '2024-10-01T11:00:00Z')
        await rejectsWith(
          store.finishRun(runId, 'complete', '2024-10-01T11:01:00Z'),
          'conflict',
          /interrupted/,
        )
        const run = await store.getRun(runId)
        assert.equal(run?.status, 'interrupted')
        assert.equal(run?.finishedAt, '2024-10-01T11:00:00Z')
      }))

    test('finishRun() merges what is known only at the end into the run metadata; refuses a non-object', () =>
      withStore(async (store) => {
        const spec = exampleRunSpec()
        const { runId } = await store.beginRun({
          ...spec,
          metadata: { ...spec.metadata, kept: 1, replaced: 'a' },
        })
        await rejectsWith(
          store.finishRun(runId, 'complete', '2024-10-01T11:00:00Z', [] as unknown as JsonObject),
          'bad-input',
          /metadata/,
        )
        await store.finishRun(runId, 'complete', '2024-10-01T11:00:00Z', {
          replaced: 'b',
          pinned_cpus_other_share: 0.25,
        })
        const run = await store.getRun(runId)
        assert.equal(run?.status, 'complete')
        assert.equal(run?.metadata.kept, 1)
        assert.equal(run?.metadata.replaced, 'b')
        assert.equal(run?.metadata.pinned_cpus_other_share, 0.25)
      }))
  })
}

/** Runs a crashed process left running. */
function interruptedRuns(withStore: WithStore): void {
  describe('interrupted runs', () => {
    test('markInterruptedRuns() marks running runs interrupted and keeps each stored result whole', () =>
      withStore(async (store) => {
        const { runId } = await store.beginRun(exampleRunSpec({ startedAt: '2024-10-01T10:00:00Z' }))
        await store.addResult(runId, exampleResult('nbody'))
        await store.addResult(runId, exampleResult('richards'))
        const [doneId] = await store.insertRuns([
          exampleRunWithResults({ startedAt: '2024-10-01T09:00:00Z' }),
        ])
        const { runId: laterId } = await store.beginRun(exampleRunSpec({ startedAt: '2024-10-03T10:00:00Z' }))

        assert.equal(await store.markInterruptedRuns({ startedBefore: '2024-10-02T00:00:00Z' }), 1)
        const run = await store.getRun(runId)
        assert.equal(run?.status, 'interrupted')
        assert.equal(run?.finishedAt, null)
        assert.equal((await store.getRun(doneId!))?.status, 'complete')
        assert.equal((await store.getRun(laterId))?.status, 'running')
        const results = await store.getResults(runId, { withSamples: true })
        assert.deepEqual(
          results.map((r) => [r.workload.name, r.processes.length, r.summary.nValues]),
          [
            ['nbody', 3, 9],
            ['richards', 3, 9],
          ],
        )
        assert.equal(await store.markInterruptedRuns(), 1)
        assert.equal(await store.markInterruptedRuns(), 0)
        await rejectsWith(store.addResult(runId, exampleResult('json_dumps')), 'conflict', /interrupted/)
      }))
  })
}

/** Pages of runs and their filters. */
function runListing(withStore: WithStore): void {
  describe('listing and filtering', () => {
    test('listRuns() pages newest first and counts every match', () =>
      withStore(async (store) => {
        const days = [3, 1, 7, 5, 2, 6, 4]
        await store.insertRuns(
          days.map((d) => exampleRunWithResults({ startedAt: `2024-10-0${d}T10:00:00Z` })),
        )
        const first = await store.listRuns({ limit: 3 })
        assert.equal(first.total, 7)
        assert.deepEqual(
          first.rows.map((r) => r.startedAt.slice(8, 10)),
          ['07', '06', '05'],
        )
        const last = await store.listRuns({ limit: 3, offset: 6 })
        assert.deepEqual(
          last.rows.map((r) => r.startedAt.slice(8, 10)),
          ['01'],
        )
        assert.equal(last.total, 7)
        await rejectsWith(store.listRuns({ limit: 0 }), 'bad-input', /limit/)
        await rejectsWith(store.listRuns({ offset: -1 }), 'bad-input', /offset/)
      }))

    test('listRuns() in stored order puts the run stored last first, whenever it ran', () =>
      withStore(async (store) => {
        const ids = await store.insertRuns(
          [3, 1, 7].map((d) => exampleRunWithResults({ startedAt: `2024-10-0${d}T10:00:00Z` })),
        )
        // Imported last, but measured long before the others.
        const [old] = await store.insertRuns([exampleRunWithResults({ startedAt: '2020-01-01T00:00:00Z' })])
        assert.deepEqual(
          (await store.listRuns({ order: 'stored' })).rows.map((r) => r.id),
          [old, ...[...ids].reverse()],
        )
        assert.equal((await store.listRuns({ order: 'started', limit: 1 })).rows[0]?.id, ids[2])
        await rejectsWith(
          store.listRuns({ order: 'sideways' as 'stored' }),
          'bad-input',
          /expected order "started" or "stored"/,
        )
      }))

    test('listRuns() filters by machine, runtime, config, branch, status, group, suite and build', () =>
      withStore(async (store) => {
        const pypy = exampleBuild('p1', {
          runtime: 'pypy',
          config: 'default',
          identity: 'pypy:p1',
          branch: null,
        })
        const [a, b, c] = await store.insertRuns([
          exampleRunWithResults({ machine: 'm1', groupId: 'g1' }),
          exampleRunWithResults({ machine: 'm2', build: pypy, suite: 'micro' }),
          { ...exampleRunWithResults({ machine: 'm1', groupId: 'g1' }), status: 'interrupted' },
        ])
        const ids = async (q: Parameters<Store['listRuns']>[0]) =>
          (await store.listRuns(q)).rows.map((r) => r.id).sort((x, y) => x - y)
        assert.deepEqual(await ids({ machine: 'm1' }), [a, c])
        assert.deepEqual(await ids({ runtime: 'pypy' }), [b])
        assert.deepEqual(await ids({ config: 'pgo-lto' }), [a, c])
        assert.deepEqual(await ids({ branch: 'main' }), [a, c])
        assert.deepEqual(await ids({ status: 'interrupted' }), [c])
        assert.deepEqual(await ids({ groupId: 'g1', status: 'complete' }), [a])
        assert.deepEqual(await ids({ suite: 'micro' }), [b])
        const pypyBuild = (await store.getRun(b!))?.build.id
        assert.deepEqual(await ids({ buildId: pypyBuild! }), [b])
        assert.deepEqual(await ids({ machine: 'none' }), [])
        assert.equal((await store.listRuns({ machine: 'm1', limit: 1 })).total, 2)
      }))

    test('listGroupRuns() reads every run of one group oldest first, as listRuns has them but the count', () =>
      withStore(async (store) => {
        const nobranch = exampleBuild('n1', { identity: 'cpython:pgo-lto:n1', branch: null })
        const [a, b, c, d] = await store.insertRuns([
          exampleRunWithResults({ machine: 'm1', startedAt: '2024-10-03T10:00:00Z' }),
          exampleRunWithResults({ machine: 'm1', startedAt: '2024-10-01T10:00:00Z' }),
          exampleRunWithResults({ machine: 'm2', startedAt: '2024-10-02T10:00:00Z' }),
          exampleRunWithResults({ machine: 'm1', build: nobranch, startedAt: '2024-10-02T10:00:00Z' }),
        ])
        const group = { machine: 'm1', runtime: 'cpython', config: 'pgo-lto' }
        const main = await store.listGroupRuns({ ...group, branch: 'main' })
        assert.deepEqual(
          main.map((r) => r.id),
          [b, a],
        )
        const { resultCount, ...listed } = (
          await store.listRuns({ machine: 'm1', branch: 'main' })
        ).rows.find((r) => r.id === a)!
        assert.equal(resultCount, 3)
        assert.deepEqual(
          main.find((r) => r.id === a),
          listed,
        )
        assert.deepEqual(
          (await store.listGroupRuns({ ...group, branch: null })).map((r) => r.id),
          [d],
        )
        assert.deepEqual(
          (await store.listGroupRuns({ ...group, machine: 'm2', branch: 'main' })).map((r) => r.id),
          [c],
        )
        assert.deepEqual(await store.listGroupRuns({ ...group, config: 'jit', branch: 'main' }), [])
        // The results each run holds, for telling a partial run from the group's full ones.
        assert.deepEqual(
          await store.countGroupResults({ ...group, branch: 'main' }),
          new Map([
            [a, 3],
            [b, 3],
          ]),
        )
        assert.deepEqual(await store.countGroupResults({ ...group, branch: null }), new Map([[d, 3]]))
        assert.deepEqual(
          await store.countGroupResults({ ...group, config: 'jit', branch: 'main' }),
          new Map(),
        )
        await rejectsWith(
          store.countGroupResults({ ...group, runtime: '', branch: 'main' }),
          'bad-input',
          /runtime/,
        )
        await rejectsWith(
          store.listGroupRuns({ ...group, machine: '', branch: 'main' }),
          'bad-input',
          /machine/,
        )
      }))
  })
}

/** The latest runs of every machine × runtime × config × branch. */
function latestRuns(withStore: WithStore): void {
  describe('latest runs', () => {
    test('latestRunsByGroup() gives each machine × runtime × config × branch its newest runs', () =>
      withStore(async (store) => {
        const jit = (sha: string) => exampleBuild(sha, { config: 'jit', identity: `jit:${sha}` })
        const ids = await store.insertRuns([
          exampleRunWithResults({
            startedAt: '2024-10-01T10:00:00Z',
            build: exampleBuild('c1', { identity: 'c1' }),
          }),
          exampleRunWithResults({
            startedAt: '2024-10-02T10:00:00Z',
            build: exampleBuild('c2', { identity: 'c2' }),
          }),
          exampleRunWithResults({
            startedAt: '2024-10-03T10:00:00Z',
            build: exampleBuild('c3', { identity: 'c3' }),
          }),
          exampleRunWithResults({ startedAt: '2024-10-02T10:00:00Z', build: jit('j1') }),
          exampleRunWithResults({
            startedAt: '2024-10-02T10:00:00Z',
            build: jit('j1'),
            machine: 'bench-2',
          }),
          {
            ...exampleRunWithResults({ startedAt: '2024-10-04T10:00:00Z', build: jit('j2') }),
            status: 'interrupted',
          },
        ])
        const groups = await store.latestRunsByGroup()
        assert.deepEqual(
          groups.map((g) => [g.machine, g.runtime, g.config, g.branch, g.runs.map((r) => r.id)]),
          [
            ['bench-1', 'cpython', 'jit', 'main', [ids[5], ids[3]]],
            ['bench-1', 'cpython', 'pgo-lto', 'main', [ids[2], ids[1]]],
            ['bench-2', 'cpython', 'jit', 'main', [ids[4]]],
          ],
        )
        const complete = await store.latestRunsByGroup({
          perGroup: 1,
          statuses: ['complete'],
          machine: 'bench-1',
        })
        assert.deepEqual(
          complete.map((g) => [g.config, g.runs.map((r) => r.id)]),
          [
            ['jit', [ids[3]]],
            ['pgo-lto', [ids[2]]],
          ],
        )
        assert.equal(complete[0]?.runs[0]?.resultCount, 3)
        assert.deepEqual(await store.latestRunsByGroup({ runtime: 'none' }), [])
        // A run of a new group shows at once (the group list is kept only while runs are unchanged).
        const [later] = await store.insertRuns([
          exampleRunWithResults({
            startedAt: '2024-10-05T10:00:00Z',
            build: jit('j3'),
            machine: 'bench-3',
          }),
        ])
        const again = await store.latestRunsByGroup({ machine: 'bench-3' })
        assert.deepEqual(
          again.map((g) => g.runs.map((r) => r.id)),
          [[later]],
        )
        // A bisection's run and a warm-up series are left out when asked: the runs before them
        // are the latest; a group with nothing else left is left out.
        const [bisect, warmup] = await store.insertRuns([
          exampleRunWithResults({ startedAt: '2024-10-06T10:00:00Z', build: jit('j4'), suite: 'bisect' }),
          exampleRunWithResults({ startedAt: '2024-10-07T10:00:00Z', build: jit('j5'), preset: 'warmup' }),
          exampleRunWithResults({
            startedAt: '2024-10-07T10:00:00Z',
            build: jit('j5'),
            machine: 'bench-4',
            preset: 'warmup',
          }),
        ])
        const jitOf = async (q: Parameters<Store['latestRunsByGroup']>[0]) =>
          (await store.latestRunsByGroup(q)).map((g) => [g.machine, g.config, g.runs.map((r) => r.id)])
        assert.deepEqual((await jitOf({ machine: 'bench-1' }))[0], ['bench-1', 'jit', [warmup, bisect]])
        assert.deepEqual(
          await jitOf({ excludeSuites: ['bisect'], excludePresets: ['warmup'], runtime: 'cpython' }),
          [
            ['bench-1', 'jit', [ids[5], ids[3]]],
            ['bench-1', 'pgo-lto', [ids[2], ids[1]]],
            ['bench-2', 'jit', [ids[4]]],
            ['bench-3', 'jit', [later]],
          ],
        )
        await rejectsWith(store.latestRunsByGroup({ excludeSuites: [''] }), 'bad-input', /excludeSuites/)
        await rejectsWith(store.latestRunsByGroup({ perGroup: 0 }), 'bad-input', /perGroup/)
      }))

    test("latestRunsByGroup() in commit order puts a line's head first, however late older commits ran", () =>
      withStore(async (store) => {
        const at = (sha: string, date: string | null) =>
          exampleBuild(sha, { identity: sha, commitDateUtc: date })
        const ids = await store.insertRuns([
          exampleRunWithResults({
            startedAt: '2024-10-01T10:00:00Z',
            build: at('aaaa0001', '2024-09-01T00:00:00Z'),
          }),
          exampleRunWithResults({
            startedAt: '2024-10-02T10:00:00Z',
            build: at('aaaa0002', '2024-09-02T00:00:00Z'),
          }),
          // The older commit run again later (a baseline re-run): newest by start, not the head.
          exampleRunWithResults({
            startedAt: '2024-10-03T10:00:00Z',
            build: at('aaaa0001', '2024-09-01T00:00:00Z'),
          }),
          // A build without a commit date comes after every dated one.
          exampleRunWithResults({ startedAt: '2024-10-04T10:00:00Z', build: at('aaaa0003', null) }),
        ])
        const ofOrder = async (order?: 'started' | 'commit') =>
          (await store.latestRunsByGroup({ perGroup: 10, ...(order ? { order } : {}) }))[0]?.runs.map(
            (r) => r.id,
          )
        assert.deepEqual(await ofOrder(), [ids[3], ids[2], ids[1], ids[0]], 'newest start first by default')
        assert.deepEqual(await ofOrder('started'), [ids[3], ids[2], ids[1], ids[0]])
        assert.deepEqual(await ofOrder('commit'), [ids[1], ids[2], ids[0], ids[3]])
        await rejectsWith(
          store.latestRunsByGroup({ order: 'random' as 'commit' }),
          'bad-input',
          /expected order started or commit/,
        )
      }))

    test('latestRunsByGroup() answers anew once a run finished, got a result or its build moved', () =>
      withStore(async (store) => {
        const finished = { statuses: ['complete', 'interrupted'] as const }
        const { runId } = await store.beginRun(exampleRunSpec({ build: exampleBuild('dddd1111') }))
        assert.deepEqual(await store.latestRunsByGroup(finished), [])
        assert.equal((await store.latestRunsByGroup())[0]?.runs[0]?.resultCount, 0)
        await store.addResult(runId, exampleResult('nbody'))
        assert.equal((await store.latestRunsByGroup())[0]?.runs[0]?.resultCount, 1, 'a result added')
        await store.finishRun(runId, 'complete', '2024-10-01T11:00:00Z')
        assert.deepEqual(
          (await store.latestRunsByGroup(finished)).map((g) => [g.branch, g.runs.map((r) => r.id)]),
          [['main', [runId]]],
          'the run finished',
        )
        const build = (await store.getRun(runId))!.build
        await store.setBuildLineage(build.id, { branch: 'feature', metadata: {} })
        assert.deepEqual(
          (await store.latestRunsByGroup(finished)).map((g) => [g.branch, g.runs.map((r) => r.id)]),
          [['feature', [runId]]],
          'its build moved to another branch',
        )
      }))
  })
}
