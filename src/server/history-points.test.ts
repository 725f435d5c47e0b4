import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { BuildSpec } from '../model/index.ts'
import { exampleBuild, exampleRunWithResults, openSqliteStore } from '../store/index.ts'
import { createWebRoutes } from '../web/index.ts'
import { buildServer } from './server.ts'
import { call } from './server-fixture.ts'

// A series' history as the timeline and the workloads index show it is the one detection reads:
// a nightly's reference run (the older build measured again beside the new one) and its pair
// rounds are read as pairs, not as more points of the history; their runs stay listed.

const build = (sha: string, date: string): BuildSpec =>
  exampleBuild(sha, { identity: sha, commitDateUtc: date })

test("the timeline, its overlay picker and the workloads index leave out a nightly's reference run and pair rounds", async () => {
  const store = await openSqliteStore(':memory:')
  const app = await buildServer(store, { web: createWebRoutes() })
  try {
    const day = (d: number) => `2024-10-0${d}T10:00:00Z`
    const c1 = build('c1c1c1c1', '2024-09-01T00:00:00Z')
    const c2 = build('c2c2c2c2', '2024-09-02T00:00:00Z')
    const c3 = build('c3c3c3c3', '2024-09-03T00:00:00Z')
    const ids = await store.insertRuns([
      exampleRunWithResults({ startedAt: day(1), build: c1 }, { workloads: ['nbody'] }),
      exampleRunWithResults({ startedAt: day(2), build: c2 }, { workloads: ['nbody'] }),
      exampleRunWithResults({ startedAt: day(3), build: c3 }, { workloads: ['nbody'] }),
      exampleRunWithResults(
        { startedAt: day(4), build: c2, metadata: { purpose: 'reference' } },
        { workloads: ['nbody'] },
      ),
      exampleRunWithResults(
        { startedAt: day(5), build: c3, metadata: { purpose: 'pair-round' } },
        { workloads: ['nbody'] },
      ),
    ])
    const series = 'machine=bench-1&runtime=cpython&config=pgo-lto&branch=main&workload=nbody'
    const points = await call(app, { method: 'GET', url: `/api/v1/series/points?${series}` })
    assert.equal(points.status, 200)
    assert.deepEqual(
      (points.body.points as { runId: number; commitSha: string }[]).map((p) => [p.commitSha, p.runId]),
      [
        ['c1c1c1c1', ids[0]],
        ['c2c2c2c2', ids[1]],
        ['c3c3c3c3', ids[2]],
      ],
    )
    const index = await call(app, { method: 'GET', url: '/api/v1/series/summaries?workload=nbody&spark=10' })
    assert.equal(index.status, 200)
    const item = (
      index.body.items as { values: number[]; points: number; latest: { runId: number } | null }[]
    )[0]
    assert.equal(item?.values.length, 3)
    // The index's "builds" count is of the same points, not of the 5 runs measured.
    assert.equal(item?.points, 3)
    assert.equal(item?.latest?.runId, ids[2])
    // The pair's runs are still runs of the machine.
    const runs = await call(app, { method: 'GET', url: '/api/v1/runs?machine=bench-1' })
    assert.equal(runs.body.total, 5)
    // The timeline of the same workload in another build config offers this series as an
    // overlay, counted by its history's builds too (3, not 5).
    const plain = (sha: string, date: string) =>
      exampleBuild(sha, { config: 'default', identity: `d-${sha}`, commitDateUtc: date })
    await store.insertRuns([
      exampleRunWithResults(
        { startedAt: day(6), build: plain('c1c1c1c1', '2024-09-01T00:00:00Z') },
        { workloads: ['nbody'] },
      ),
      exampleRunWithResults(
        { startedAt: day(7), build: plain('c2c2c2c2', '2024-09-02T00:00:00Z') },
        { workloads: ['nbody'] },
      ),
    ])
    const page = await app.inject({
      method: 'GET',
      url: '/timeline?machine=bench-1&runtime=cpython&config=default&branch=main&workload=nbody',
    })
    assert.equal(page.statusCode, 200)
    assert.match(page.body, /pgo-lto\s*<span class="muted" title="builds in its history">\s*\(3\)\s*<\/span>/)
  } finally {
    await app.close()
    await store.close()
  }
})
