import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  exampleSeriesKey,
  failedResult,
  type OpenStore,
  registerPart,
  rejectsWith,
  type WithStore,
} from './contract-helpers.ts'
import { exampleBuild, exampleRunSpec, exampleRunWithResults } from './fixtures.ts'

// Contract of series (part of storeContract): which series exist with their measured points, and
// the points of one series in commit-date order, with process means and other states on request.

/** Registers the series part of the Store contract (SeriesReader). */
export function seriesContract(name: string, open: OpenStore): void {
  registerPart({ name, open, title: 'series' }, [series])
}

/** Listing series and reading their points. */
function series(withStore: WithStore): void {
  describe('series', () => {
    seriesListing(withStore)
    seriesIndex(withStore)
    seriesPoints(withStore)
  })
}

/** listSeries() and the suites getSeriesPoints() leaves out. */
function seriesListing(withStore: WithStore): void {
  test('getSeriesPoints() leaves out the runs of excluded suites and presets', () =>
    withStore(async (store) => {
      await store.insertRuns([
        exampleRunWithResults({}, { workloads: ['nbody'] }),
        exampleRunWithResults(
          { startedAt: '2024-10-02T10:00:00Z', suite: 'bisect' },
          { workloads: ['nbody'] },
        ),
        exampleRunWithResults(
          { startedAt: '2024-10-03T10:00:00Z', preset: 'warmup' },
          { workloads: ['nbody'] },
        ),
      ])
      const key = exampleSeriesKey('nbody')
      assert.equal((await store.getSeriesPoints(key)).length, 3)
      assert.equal((await store.getSeriesPoints(key, { excludeSuites: ['bisect'] })).length, 2)
      assert.equal((await store.getSeriesPoints(key, { excludePresets: ['warmup'] })).length, 2)
      const history = await store.getSeriesPoints(key, {
        excludeSuites: ['bisect'],
        excludePresets: ['warmup'],
      })
      assert.deepEqual(
        history.map((p) => p.runStartedAt.slice(0, 10)),
        ['2024-10-01'],
      )
    }))

  test('getSeriesPoints() leaves out the runs whose metadata.purpose is excluded, and keeps runs without one', () =>
    withStore(async (store) => {
      await store.insertRuns([
        exampleRunWithResults({}, { workloads: ['nbody'] }),
        exampleRunWithResults(
          { startedAt: '2024-10-02T10:00:00Z', metadata: { purpose: 'reference', reference_of: 'x' } },
          { workloads: ['nbody'] },
        ),
        exampleRunWithResults(
          { startedAt: '2024-10-03T10:00:00Z', metadata: { purpose: 'pair-round' } },
          { workloads: ['nbody'] },
        ),
        exampleRunWithResults(
          { startedAt: '2024-10-04T10:00:00Z', metadata: { purpose: 'nightly', note: 'purpose: reference' } },
          { workloads: ['nbody'] },
        ),
      ])
      const key = exampleSeriesKey('nbody')
      assert.equal((await store.getSeriesPoints(key)).length, 4)
      const history = await store.getSeriesPoints(key, { excludePurposes: ['reference', 'pair-round'] })
      assert.deepEqual(
        history.map((p) => p.runStartedAt.slice(0, 10)),
        ['2024-10-01', '2024-10-04'],
      )
      assert.equal((await store.getSeriesPoints(key, { excludePurposes: ['nightly'] })).length, 3)
      await rejectsWith(store.getSeriesPoints(key, { excludePurposes: [''] }), 'bad-input', /excludePurposes/)
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
}

/** The series index follows every write that adds results or moves a build; its cached summaries. */
function seriesIndex(withStore: WithStore): void {
  test('listSeries() follows results added live and in batches, and builds moved to another branch', () =>
    withStore(async (store) => {
      const listed = async () =>
        (await store.listSeries()).map((s) => `${s.branch}/${s.workload}:${s.points}`)
      const [r1] = await store.insertRuns([
        exampleRunWithResults({ build: exampleBuild('aaaa111') }, { workloads: ['nbody', 'richards'] }),
        exampleRunWithResults({ build: exampleBuild('aaaa222') }, { workloads: ['nbody'] }),
      ])
      const { runId } = await store.beginRun(
        exampleRunSpec({ build: exampleBuild('aaaa222'), startedAt: '2024-10-03T00:00:00Z' }),
      )
      await store.addResult(runId, failedResult())
      assert.deepEqual(await listed(), ['main/nbody:2', 'main/richards:1', 'main/spectral_norm:0'])
      // a1 moves to a feature branch: its two results leave main, a2's stay.
      const a1 = (await store.getRun(r1!))!.build
      await store.setBuildLineage(a1.id, { branch: 'feature', metadata: {} })
      assert.deepEqual(await listed(), [
        'feature/nbody:1',
        'feature/richards:1',
        'main/nbody:1',
        'main/spectral_norm:0',
      ])
      await store.setBuildLineage(a1.id, { branch: 'main', metadata: {} })
      assert.deepEqual(await listed(), ['main/nbody:2', 'main/richards:1', 'main/spectral_norm:0'])
      // A build stored without a branch gets one from a later run of the same identity.
      const loose = exampleBuild('bbbb111', { branch: null, identity: 'loose:b1' })
      await store.insertRuns([exampleRunWithResults({ build: loose }, { workloads: ['nbody'] })])
      assert.deepEqual(await listed(), [
        'null/nbody:1',
        'main/nbody:2',
        'main/richards:1',
        'main/spectral_norm:0',
      ])
      await store.insertRuns([
        exampleRunWithResults(
          { build: { ...loose, branch: 'main' }, startedAt: '2024-10-04T00:00:00Z' },
          { workloads: ['nbody'] },
        ),
      ])
      assert.deepEqual(await listed(), ['main/nbody:4', 'main/richards:1', 'main/spectral_norm:0'])
    }))

  test('a cached summary is returned while its series has not changed, and refused once it has', () =>
    withStore(async (store) => {
      await store.insertRuns([exampleRunWithResults({}, { workloads: ['nbody'] })])
      const key = exampleSeriesKey('nbody')
      const missing = { ...key, workload: 'absent' }
      const [first, none] = await store.readSeriesSummaries([key, missing])
      assert.equal(none, undefined)
      assert.equal(first?.summary, null)
      assert.equal(await store.writeSeriesSummary(key, first!.revision, { means: [1, 2] }), true)
      assert.deepEqual(await store.readSeriesSummaries([key]), [
        { revision: first!.revision, summary: { means: [1, 2] } },
      ])
      await store.insertRuns([
        exampleRunWithResults(
          { build: exampleBuild('cccc222'), startedAt: '2024-10-05T00:00:00Z' },
          { workloads: ['nbody'] },
        ),
      ])
      const [after] = await store.readSeriesSummaries([key])
      assert.ok(after!.revision > first!.revision)
      assert.equal(after?.summary, null, 'a summary of an older revision is not current')
      assert.equal(await store.writeSeriesSummary(key, first!.revision, { means: [1] }), false)
      assert.equal(await store.writeSeriesSummary(missing, 1, {}), false)
    }))
}

/** The order of getSeriesPoints(), its process means and its states. */
function seriesPoints(withStore: WithStore): void {
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
      const key = exampleSeriesKey('nbody')
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
      const [runId] = await store.insertRuns([exampleRunWithResults({}, { workloads: ['spectral_norm'] })])
      const { runId: liveId } = await store.beginRun(exampleRunSpec({ startedAt: '2024-10-02T00:00:00Z' }))
      await store.addResult(liveId, failedResult())
      const key = exampleSeriesKey('spectral_norm')
      const measured = await store.getSeriesPoints(key, { withProcessMeans: true })
      assert.equal(measured.length, 1)
      const [stored] = await store.getResults(runId!)
      assert.deepEqual(measured[0]?.processMeans, stored?.processMeans)
      assert.equal(measured[0]?.summary.mean, stored?.summary.mean)
      assert.equal(measured[0]?.metadata, undefined, 'metadata only when asked for')
      const withMetadata = await store.getSeriesPoints(key, { withMetadata: true })
      assert.deepEqual(withMetadata[0]?.metadata, stored?.metadata)
      assert.equal(withMetadata[0]?.processMeans, undefined)
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
}
