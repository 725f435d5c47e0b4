import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { type ErrorCode, LangperfError } from '../lib/index.ts'
import type { ResultOutcome, RunWithResults, WorkloadResult } from '../model/index.ts'
import { alertsContract } from './contract-alerts.ts'
import { pipelineContract } from './contract-pipeline.ts'
import {
  exampleBuild,
  exampleEnvironment,
  exampleFingerprint,
  exampleResult,
  exampleRunSpec,
  exampleRunWithResults,
} from './fixtures.ts'
import type { Store } from './roles.ts'

// The definition of a correct Store: every implementation registers these tests with its own
// `open`, which must return a new, empty, migrated store each time (a fresh SQLite file, a fresh
// PostgreSQL schema). Tests use only the Store interface, never SQL, so they hold for any engine.

/** Registers the contract tests of the Store interface under `describe(name)`. */
export function storeContract(name: string, open: () => Promise<Store>): void {
  alertsContract(name, open)
  pipelineContract(name, open)
  /** Runs `fn` on a fresh store and always closes it. */
  async function withStore(fn: (store: Store) => Promise<void>): Promise<void> {
    const store = await open()
    try {
      await fn(store)
    } finally {
      await store.close()
    }
  }

  describe(`Store contract: ${name}`, () => {
    describe('round trips', () => {
      test('a run stored with insertRuns() reads back identical: every value, warm-up and metadata key', () =>
        withStore(async (store) => {
          const input = richRun()
          const [runId] = await store.insertRuns([input])
          assert.ok(runId !== undefined)
          assert.deepEqual(await store.getRunWithResults(runId), input)
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

    describe('results', () => {
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
    })

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
            results: [
              { ...bad.results[0]!, processes: [{ warmups: [], values: [0.1, -0.2], metadata: {} }] },
            ],
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

    describe('interrupted runs', () => {
      test('markInterruptedRuns() marks running runs interrupted and keeps each stored result whole', () =>
        withStore(async (store) => {
          const { runId } = await store.beginRun(exampleRunSpec({ startedAt: '2024-10-01T10:00:00Z' }))
          await store.addResult(runId, exampleResult('nbody'))
          await store.addResult(runId, exampleResult('richards'))
          const [doneId] = await store.insertRuns([
            exampleRunWithResults({ startedAt: '2024-10-01T09:00:00Z' }),
          ])
          const { runId: laterId } = await store.beginRun(
            exampleRunSpec({ startedAt: '2024-10-03T10:00:00Z' }),
          )

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

    describe('upserts', () => {
      test('runs of the same build identity share one build row', () =>
        withStore(async (store) => {
          const a = await store.beginRun(exampleRunSpec({ startedAt: '2024-10-01T10:00:00Z' }))
          const b = await store.beginRun(
            exampleRunSpec({ startedAt: '2024-10-02T10:00:00Z', machine: 'bench-2' }),
          )
          const [ra, rb] = [await store.getRun(a.runId), await store.getRun(b.runId)]
          assert.equal(ra?.build.id, rb?.build.id)
          assert.equal((await store.findBuilds()).length, 1)
        }))

      test('a build stored without commit facts gets them from a later run, never overwriting', () =>
        withStore(async (store) => {
          const bare = exampleBuild('0123abcd', {
            commitDateUtc: null,
            branch: null,
            commitSha: null,
            interpreter: null,
            identity: 'local:py313',
          })
          await store.beginRun(exampleRunSpec({ build: bare }))
          await store.beginRun(
            exampleRunSpec({
              build: { ...bare, commitSha: '0123abcd', commitDateUtc: '2024-09-30T00:00:00Z' },
            }),
          )
          await store.beginRun(exampleRunSpec({ build: { ...bare, commitDateUtc: '2030-01-01T00:00:00Z' } }))
          const [build] = await store.findBuilds({ identity: 'local:py313' })
          assert.equal(build?.commitSha, '0123abcd')
          assert.equal(build?.commitDateUtc, '2024-09-30T00:00:00Z')
          assert.equal(build?.branch, null)
        }))

      test('the same machine with a new fingerprint keeps a history of both', () =>
        withStore(async (store) => {
          const fpA = exampleFingerprint()
          const fpB = exampleFingerprint({ kernel: '6.1.0-21-amd64' })
          await store.beginRun(
            exampleRunSpec({ startedAt: '2024-10-01T10:00:00Z', environment: exampleEnvironment(fpA) }),
          )
          await store.beginRun(
            exampleRunSpec({ startedAt: '2024-10-05T10:00:00Z', environment: exampleEnvironment(fpB) }),
          )
          let machine = await store.getMachine('bench-1')
          assert.deepEqual(machine?.fingerprint, fpB)
          assert.deepEqual(
            machine?.fingerprints.map((f) => [f.fingerprint.kernel, f.firstSeenAt, f.lastSeenAt]),
            [
              ['6.1.0-18-amd64', '2024-10-01T10:00:00Z', '2024-10-01T10:00:00Z'],
              ['6.1.0-21-amd64', '2024-10-05T10:00:00Z', '2024-10-05T10:00:00Z'],
            ],
          )
          // An old run imported late widens the spans but does not change the current fingerprint;
          // the same facts in another key order are the same fingerprint.
          const fpAReordered = Object.fromEntries(Object.entries(fpA).reverse()) as typeof fpA
          await store.beginRun(
            exampleRunSpec({
              startedAt: '2024-09-01T10:00:00Z',
              environment: exampleEnvironment(fpAReordered),
            }),
          )
          machine = await store.getMachine('bench-1')
          assert.deepEqual(machine?.fingerprint, fpB)
          assert.equal(machine?.fingerprints.length, 2)
          assert.equal(machine?.firstSeenAt, '2024-09-01T10:00:00Z')
          assert.equal(machine?.lastSeenAt, '2024-10-05T10:00:00Z')
          assert.equal(machine?.fingerprints[0]?.firstSeenAt, '2024-09-01T10:00:00Z')
          assert.equal(await store.getMachine('nowhere'), undefined)
        }))

      test('listMachines() lists every machine once, by name', () =>
        withStore(async (store) => {
          for (const m of ['zed', 'alpha', 'zed', 'mid']) await store.beginRun(exampleRunSpec({ machine: m }))
          const machines = await store.listMachines()
          assert.deepEqual(
            machines.map((m) => m.name),
            ['alpha', 'mid', 'zed'],
          )
          assert.equal(machines[0]?.fingerprintHash?.length, 16)
        }))

      test('workload versions are upserted, and a manifest given later fills an empty one', () =>
        withStore(async (store) => {
          await store.insertRuns([exampleRunWithResults({}, { workloads: ['nbody'] })])
          const { runId } = await store.beginRun(exampleRunSpec())
          const manifest = { name: 'nbody', description: 'N-body', tags: ['numeric'] }
          await store.addResult(runId, exampleResult('nbody'), { manifest })
          await store.addResult(runId, exampleResult('nbody', { version: 'v2hash000000' }))
          assert.deepEqual(
            (await store.listWorkloads()).map((w) => [w.name, w.version, w.manifest]),
            [
              ['nbody', 'v1hash000000', manifest],
              ['nbody', 'v2hash000000', null],
            ],
          )
          assert.equal((await store.listWorkloads({ name: 'other' })).length, 0)
        }))
    })

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

      test('findBuilds() filters by runtime, version, config and commit prefix, newest commit first', () =>
        withStore(async (store) => {
          const builds = [
            exampleBuild('aaa111', { commitDateUtc: '2024-01-02T00:00:00Z' }),
            exampleBuild('aab222', {
              commitDateUtc: '2024-03-01T00:00:00Z',
              config: 'jit',
              identity: 'jit:aab222',
            }),
            exampleBuild('bbb333', { commitDateUtc: null, version: '3.13.0', identity: 'x:bbb333' }),
            exampleBuild('AAC444', { commitDateUtc: '2024-02-01T00:00:00Z' }),
          ]
          for (const build of builds) await store.beginRun(exampleRunSpec({ build }))
          const shas = async (q: Parameters<Store['findBuilds']>[0]) =>
            (await store.findBuilds(q)).map((b) => b.commitSha)
          assert.deepEqual(await shas({}), ['aab222', 'AAC444', 'aaa111', 'bbb333'])
          assert.deepEqual(await shas({ commitPrefix: 'aa' }), ['aab222', 'aaa111'])
          assert.deepEqual(await shas({ commitPrefix: 'aaa111' }), ['aaa111'])
          assert.deepEqual(await shas({ config: 'jit' }), ['aab222'])
          assert.deepEqual(await shas({ version: '3.13.0' }), ['bbb333'])
          assert.deepEqual(await shas({ runtime: 'pypy' }), [])
          assert.deepEqual(await shas({ limit: 1 }), ['aab222'])
          const [found] = await store.findBuilds({ identity: 'jit:aab222' })
          assert.deepEqual(found && { ...found, id: 0 }, { ...builds[1]!, id: 0 })
        }))
    })

    describe('series', () => {
      test('getSeriesPoints() leaves out the runs of excluded suites', () =>
        withStore(async (store) => {
          await store.insertRuns([
            exampleRunWithResults({}, { workloads: ['nbody'] }),
            exampleRunWithResults(
              { startedAt: '2024-10-02T10:00:00Z', suite: 'bisect' },
              { workloads: ['nbody'] },
            ),
          ])
          const key = {
            machine: 'bench-1',
            runtime: 'cpython',
            config: 'pgo-lto',
            branch: 'main',
            workload: 'nbody',
            workloadVersion: 'v1hash000000',
          }
          assert.equal((await store.getSeriesPoints(key)).length, 2)
          assert.equal((await store.getSeriesPoints(key, { excludeSuites: ['bisect'] })).length, 1)
        }))

      test('listSeries() lists each machine × runtime × config × branch × workload version with its measured points', () =>
        withStore(async (store) => {
          const local = exampleBuild('l1', { branch: null, identity: 'local:1' })
          await store.insertRuns([
            exampleRunWithResults({}, { workloads: ['nbody', 'richards'] }),
            exampleRunWithResults({ startedAt: '2024-10-02T10:00:00Z' }, { workloads: ['nbody'] }),
            exampleRunWithResults({ build: local }, { workloads: ['nbody'] }),
          ])
          const { runId } = await store.beginRun(exampleRunSpec())
          await store.addResult(runId, failedResult())
          const series = await store.listSeries()
          assert.deepEqual(
            series.map((s) => [s.branch, s.workload, s.points]),
            [
              [null, 'nbody', 1],
              ['main', 'nbody', 2],
              ['main', 'richards', 1],
              ['main', 'spectral_norm', 0],
            ],
          )
          assert.deepEqual(
            (await store.listSeries({ branch: null })).map((s) => s.workload),
            ['nbody'],
          )
          assert.deepEqual(
            (await store.listSeries({ workload: 'richards' })).map((s) => [s.machine, s.runtime, s.config]),
            [['bench-1', 'cpython', 'pgo-lto']],
          )
          assert.deepEqual(await store.listSeries({ machine: 'other' }), [])
        }))

      test('getSeriesPoints() orders by the commit date column (UTC), then by run start', () =>
        withStore(async (store) => {
          // Commit dates with offsets are converted by the caller; the store orders by what it
          // stores. As raw strings these would sort the other way round.
          const late = new Date('2024-05-01T23:30:00-05:00').toISOString() // 2024-05-02T04:30:00.000Z
          const early = new Date('2024-05-02T01:00:00+02:00').toISOString() // 2024-05-01T23:00:00.000Z
          const runs = [
            ['c-late', late, '2024-06-01T00:00:00Z'],
            ['c-early', early, '2024-06-03T00:00:00Z'],
            ['c-early', early, '2024-06-02T00:00:00Z'],
            ['c-none', null, '2024-05-15T00:00:00Z'],
            ['c-first', '2024-04-01T00:00:00Z', '2024-06-04T00:00:00Z'],
          ] as const
          for (const [sha, date, startedAt] of runs) {
            const build = exampleBuild(sha, { commitDateUtc: date })
            await store.insertRuns([exampleRunWithResults({ build, startedAt }, { workloads: ['nbody'] })])
          }
          const key = {
            machine: 'bench-1',
            runtime: 'cpython',
            config: 'pgo-lto',
            branch: 'main',
            workload: 'nbody',
            workloadVersion: 'v1hash000000',
          }
          const points = await store.getSeriesPoints(key)
          assert.deepEqual(
            points.map((p) => [p.commitSha, p.runStartedAt]),
            [
              ['c-first', '2024-06-04T00:00:00Z'],
              ['c-early', '2024-06-02T00:00:00Z'],
              ['c-early', '2024-06-03T00:00:00Z'],
              ['c-late', '2024-06-01T00:00:00Z'],
              ['c-none', '2024-05-15T00:00:00Z'],
            ],
          )
          assert.equal(points[1]?.commitDateUtc, '2024-05-01T23:00:00.000Z')
          assert.ok(points.every((p) => p.processMeans === undefined && p.summary.nValues === 9))
          assert.deepEqual(await store.getSeriesPoints({ ...key, branch: null }), [])
          assert.deepEqual(await store.getSeriesPoints({ ...key, workloadVersion: 'other' }), [])
        }))

      test('getSeriesPoints() returns process means on request and failed points when asked', () =>
        withStore(async (store) => {
          const [runId] = await store.insertRuns([
            exampleRunWithResults({}, { workloads: ['spectral_norm'] }),
          ])
          const { runId: liveId } = await store.beginRun(
            exampleRunSpec({ startedAt: '2024-10-02T00:00:00Z' }),
          )
          await store.addResult(liveId, failedResult())
          const key = {
            machine: 'bench-1',
            runtime: 'cpython',
            config: 'pgo-lto',
            branch: 'main',
            workload: 'spectral_norm',
            workloadVersion: 'v1hash000000',
          }
          const measured = await store.getSeriesPoints(key, { withProcessMeans: true })
          assert.equal(measured.length, 1)
          const [stored] = await store.getResults(runId!)
          assert.deepEqual(measured[0]?.processMeans, stored?.processMeans)
          assert.equal(measured[0]?.summary.mean, stored?.summary.mean)
          const all = await store.getSeriesPoints(key, { states: ['measured', 'failed'] })
          assert.deepEqual(
            all.map((p) => [p.state, p.runStatus, p.summary.mean === null]),
            [
              ['measured', 'complete', false],
              ['failed', 'running', true],
            ],
          )
          await rejectsWith(store.getSeriesPoints(key, { states: ['lost' as 'failed'] }), 'bad-input', /lost/)
        }))
    })

    describe('runtimes, build pages and latest runs', () => {
      test('listBuilds() pages builds newest commit first and counts every match', () =>
        withStore(async (store) => {
          for (const day of ['01', '03', '02']) {
            const build = exampleBuild(`sha${day}`, {
              commitDateUtc: `2024-01-${day}T00:00:00Z`,
              identity: `b:${day}`,
            })
            await store.beginRun(exampleRunSpec({ build }))
          }
          const first = await store.listBuilds({ limit: 2 })
          assert.equal(first.total, 3)
          assert.deepEqual(
            first.rows.map((b) => b.commitSha),
            ['sha03', 'sha02'],
          )
          const second = await store.listBuilds({ limit: 2, offset: 2 })
          assert.deepEqual(
            second.rows.map((b) => b.commitSha),
            ['sha01'],
          )
          assert.equal((await store.listBuilds({ commitPrefix: 'sha0', limit: 1 })).total, 3)
          await rejectsWith(store.listBuilds({ offset: -1 }), 'bad-input', /offset/)
        }))

      test('listRuntimes() lists each family with its configs, build and run counts', () =>
        withStore(async (store) => {
          const pypy = exampleBuild('p1', { runtime: 'pypy', config: 'default', identity: 'pypy:p1' })
          await store.insertRuns([
            exampleRunWithResults({ startedAt: '2024-10-01T10:00:00Z' }),
            exampleRunWithResults({ startedAt: '2024-10-02T10:00:00Z', machine: 'bench-2' }),
            exampleRunWithResults({ startedAt: '2024-10-03T10:00:00Z', build: pypy }),
          ])
          assert.deepEqual(await store.listRuntimes(), [
            {
              name: 'cpython',
              builds: 1,
              configs: [{ config: 'pgo-lto', builds: 1, runs: 2, lastRunAt: '2024-10-02T10:00:00Z' }],
            },
            {
              name: 'pypy',
              builds: 1,
              configs: [{ config: 'default', builds: 1, runs: 1, lastRunAt: '2024-10-03T10:00:00Z' }],
            },
          ])
        }))

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
          await rejectsWith(store.latestRunsByGroup({ perGroup: 0 }), 'bad-input', /perGroup/)
        }))
    })

    describe('API tokens', () => {
      const hashA = 'a'.repeat(64)
      const hashB = 'b'.repeat(64)

      test('createToken() stores a token and findTokenByHash() finds it with its hash; listTokens() never shows it', () =>
        withStore(async (store) => {
          const created = await store.createToken({
            name: 'ci on bench-1',
            role: 'agent',
            scopes: ['bench-1', 'bench-1'],
            hash: hashA,
            createdAt: '2024-10-01T10:00:00Z',
          })
          assert.deepEqual(created, {
            id: created.id,
            name: 'ci on bench-1',
            role: 'agent',
            scopes: ['bench-1'],
            createdAt: '2024-10-01T10:00:00Z',
            lastUsedAt: null,
            revokedAt: null,
          })
          assert.deepEqual(await store.findTokenByHash(hashA), { ...created, hash: hashA })
          assert.equal(await store.findTokenByHash(hashB), undefined)
          const listed = await store.listTokens()
          assert.deepEqual(listed, [created])
          assert.ok(!JSON.stringify(listed).includes(hashA))
        }))

      test('createToken() refuses a bad role, a hash that is not SHA-256 hex and a duplicate hash', () =>
        withStore(async (store) => {
          const ok = {
            name: 'x',
            role: 'admin' as const,
            scopes: [],
            hash: hashA,
            createdAt: '2024-10-01T10:00:00Z',
          }
          await rejectsWith(store.createToken({ ...ok, role: 'root' as 'admin' }), 'bad-input', /role/)
          await rejectsWith(store.createToken({ ...ok, hash: 'lp_secret' }), 'bad-input', /hash/)
          await rejectsWith(store.createToken({ ...ok, name: '' }), 'bad-input', /name/)
          await store.createToken(ok)
          await rejectsWith(store.createToken({ ...ok, name: 'y' }), 'conflict', /same secret/)
          assert.equal((await store.listTokens()).length, 1)
        }))

      test('revokeToken() sets revokedAt once, touchToken() records the last use, unknown ids are not-found', () =>
        withStore(async (store) => {
          const t = await store.createToken({
            name: 'ops',
            role: 'admin',
            scopes: [],
            hash: hashB,
            createdAt: '2024-10-01T10:00:00Z',
          })
          await store.touchToken(t.id, '2024-10-02T10:00:00Z')
          assert.equal((await store.findTokenByHash(hashB))?.lastUsedAt, '2024-10-02T10:00:00Z')
          const revoked = await store.revokeToken(t.id, '2024-10-03T10:00:00Z')
          assert.equal(revoked.revokedAt, '2024-10-03T10:00:00Z')
          const again = await store.revokeToken(t.id, '2024-10-04T10:00:00Z')
          assert.equal(again.revokedAt, '2024-10-03T10:00:00Z')
          assert.equal((await store.findTokenByHash(hashB))?.revokedAt, '2024-10-03T10:00:00Z')
          await rejectsWith(store.revokeToken(t.id + 100, '2024-10-03T10:00:00Z'), 'not-found', /no token/)
          await rejectsWith(store.revokeToken(t.id, 'yesterday'), 'bad-input', /revokedAt/)
        }))
    })

    describe('lifecycle', () => {
      test('a closed store refuses further use with unavailable', async () => {
        const store = await open()
        await store.close()
        await store.close()
        await rejectsWith(store.listRuns(), 'unavailable', /closed/)
        await rejectsWith(store.beginRun(exampleRunSpec()), 'unavailable', /closed/)
      })
    })
  })
}

/** Asserts that `promise` rejects with a LangperfError of `code` whose message matches `re`. */
async function rejectsWith(promise: Promise<unknown>, code: ErrorCode, re: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof LangperfError, `expected a LangperfError, got ${String(error)}`)
    assert.equal(error.code, code, error.message)
    assert.match(error.message, re)
    return true
  })
}

/** Asserts that the store holds nothing at all. */
async function assertEmpty(store: Store): Promise<void> {
  assert.equal((await store.listRuns()).total, 0)
  assert.deepEqual(await store.listMachines(), [])
  assert.deepEqual(await store.findBuilds(), [])
  assert.deepEqual(await store.listWorkloads(), [])
  assert.deepEqual(await store.listSeries(), [])
}

/** A failed result of `spectral_norm` that still carries the warm-ups measured before it failed. */
function failedResult(): WorkloadResult {
  return {
    ...exampleResult('spectral_norm', { processes: 1, valuesPerProcess: 0 }),
    outcome: failedOutcome(),
  }
}

function failedOutcome(): Extract<ResultOutcome, { state: 'failed' }> {
  return {
    state: 'failed',
    reason: 'crashed',
    message: 'Worker exited with code -11',
    stderrTail: 'Segmentation fault\n',
  }
}

function skippedResult(): WorkloadResult {
  return {
    ...exampleResult('zz_needs_numpy', { processes: 0 }),
    outcome: { state: 'skipped', message: 'Requires numpy' },
  }
}

/**
 * A run exercising every field: awkward floats (they must survive JSON exactly), unicode,
 * nested metadata, a failed and a skipped result, a group id.
 */
function richRun(): RunWithResults {
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
