import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { ROUTE_NAMES, ROUTES } from '../api/index.ts'
import { exampleBuild, exampleRunWithResults, exampleWarmupRun, openSqliteStore } from '../store/index.ts'
import { buildServer } from './server.ts'
import { assertError, call, type Fixture, run, setup, teardown } from './server-fixture.ts'

// Every route through Fastify's inject() on a real SQLite store: what a client sees (status,
// body, headers) and what the database holds afterwards.

describe('public read routes', () => {
  let f: Fixture
  before(async () => {
    f = await setup()
  })
  after(() => teardown(f))

  test('GET /api/v1/health answers ok with the store dialect', async () => {
    const r = await call(f.app, { method: 'GET', url: '/api/v1/health' })
    assert.equal(r.status, 200)
    assert.deepEqual(r.body, { status: 'ok', version: '0.1.0', dialect: 'sqlite' })
    assert.match(String(r.headers['server-timing']), /^app;dur=\d+\.\d\d$/)
    assert.equal(r.headers['x-content-type-options'], 'nosniff')
  })

  test('GET /api/v1/runtimes lists families with configs and counts', async () => {
    const r = await call(f.app, { method: 'GET', url: '/api/v1/runtimes' })
    assert.deepEqual(
      (r.body.items as { name: string; builds: number; configs: { config: string; runs: number }[] }[]).map(
        (x) => [x.name, x.builds, x.configs.map((c) => `${c.config}:${c.runs}`)],
      ),
      [
        ['cpython', 3, ['default:3']],
        ['pypy', 1, ['jit:1']],
      ],
    )
  })

  test('GET /api/v1/machines pages machines and /machines/:name gives one with its fingerprints', async () => {
    const page = await call(f.app, { method: 'GET', url: '/api/v1/machines?limit=1&offset=1' })
    assert.equal(page.status, 200)
    assert.deepEqual(
      (page.body.items as { name: string }[]).map((m) => m.name),
      ['bench-2'],
    )
    assert.equal(page.body.total, 2)
    assert.equal(page.body.limit, 1)
    assert.equal(page.body.offset, 1)
    const one = await call(f.app, { method: 'GET', url: '/api/v1/machines/bench-1' })
    assert.equal(one.body.name, 'bench-1')
    assert.deepEqual(one.body.fingerprints, [])
    assertError(
      await call(f.app, { method: 'GET', url: '/api/v1/machines/nope' }),
      404,
      'not-found',
      /machine "nope"/,
    )
  })

  test('GET /api/v1/workloads and /builds page what the store holds', async () => {
    const workloads = await call(f.app, { method: 'GET', url: '/api/v1/workloads?name=nbody' })
    assert.deepEqual(
      (workloads.body.items as { name: string; version: string }[]).map((w) => `${w.name}@${w.version}`),
      ['nbody@v1'],
    )
    const builds = await call(f.app, { method: 'GET', url: '/api/v1/builds?runtime=cpython&limit=2' })
    assert.equal(builds.body.total, 3)
    assert.deepEqual(
      (builds.body.items as { commitSha: string }[]).map((b) => b.commitSha),
      ['cccc3333', 'bbbb2222'],
    )
    const byCommit = await call(f.app, { method: 'GET', url: '/api/v1/builds?commit=aaaa' })
    assert.equal(byCommit.body.total, 1)
  })

  test('GET /api/v1/runs filters, pages newest first and counts every match', async () => {
    const r = await call(f.app, { method: 'GET', url: '/api/v1/runs?runtime=cpython&limit=2' })
    assert.equal(r.status, 200)
    assert.equal(r.body.total, 3)
    const items = r.body.items as {
      id: number
      startedAt: string
      build: { commitSha: string }
      resultCount: number
    }[]
    assert.deepEqual(
      items.map((x) => x.build.commitSha),
      ['cccc3333', 'bbbb2222'],
    )
    assert.equal(items[0]?.resultCount, 3)
    const second = await call(f.app, { method: 'GET', url: '/api/v1/runs?runtime=cpython&limit=2&offset=2' })
    assert.deepEqual(
      (second.body.items as { build: { commitSha: string } }[]).map((x) => x.build.commitSha),
      ['aaaa1111'],
    )
    const byMachine = await call(f.app, {
      method: 'GET',
      url: '/api/v1/runs?machine=bench-2&status=complete',
    })
    assert.equal(byMachine.body.total, 1)
  })

  test('listing parameters are checked: limit 1–1000, offset ≥ 0, no unknown parameter', async () => {
    assertError(
      await call(f.app, { method: 'GET', url: '/api/v1/runs?limit=5000' }),
      400,
      'bad-input',
      /^Cannot list runs: expected query parameter "limit" to be at most 1000, found 5000$/,
    )
    assertError(
      await call(f.app, { method: 'GET', url: '/api/v1/runs?limit=0' }),
      400,
      'bad-input',
      /"limit" to be at least 1, found 0/,
    )
    assertError(
      await call(f.app, { method: 'GET', url: '/api/v1/runs?offset=-3' }),
      400,
      'bad-input',
      /"offset" to be at least 0, found -3/,
    )
    assertError(
      await call(f.app, { method: 'GET', url: '/api/v1/runs?limit=ten' }),
      400,
      'bad-input',
      /"limit" to be a number, found "ten"/,
    )
    assertError(
      await call(f.app, { method: 'GET', url: '/api/v1/runs?machin=bench-1' }),
      400,
      'bad-input',
      /no other keys, found "machin"/,
    )
    assertError(
      await call(f.app, { method: 'GET', url: '/api/v1/runs?status=done' }),
      400,
      'bad-input',
      /"status" to be one of "running", "complete", "interrupted", found "done"/,
    )
  })

  test('GET /api/v1/runs/:id gives the run with results, and raw samples only with ?samples=1', async () => {
    const id = f.runIds[0]
    const plain = await call(f.app, { method: 'GET', url: `/api/v1/runs/${id}` })
    assert.equal(plain.status, 200)
    const results = plain.body.results as {
      workload: { name: string }
      processes?: unknown
      summary: { nProcesses: number }
    }[]
    assert.deepEqual(
      results.map((x) => x.workload.name),
      ['nbody', 'richards', 'json_dumps'],
    )
    assert.equal(results[0]?.processes, undefined)
    assert.equal(results[0]?.summary.nProcesses, 4)
    const withSamples = await call(f.app, { method: 'GET', url: `/api/v1/runs/${id}?samples=1` })
    const processes = (withSamples.body.results as { processes: { values: number[] }[] }[])[0]?.processes
    assert.equal(processes?.length, 4)
    assert.equal(processes?.[0]?.values.length, 3)
    assertError(await call(f.app, { method: 'GET', url: '/api/v1/runs/999' }), 404, 'not-found', /run 999/)
    assertError(
      await call(f.app, { method: 'GET', url: '/api/v1/runs/abc' }),
      400,
      'bad-input',
      /path parameter "id" to be a number, found "abc"/,
    )
    assertError(
      await call(f.app, { method: 'GET', url: `/api/v1/runs/${id}?samples=yes` }),
      400,
      'bad-input',
      /"samples" to be one of 1, 0, true, false, found "yes"/,
    )
  })

  test('GET /api/v1/series lists series with point counts, paginated', async () => {
    const r = await call(f.app, { method: 'GET', url: '/api/v1/series?machine=bench-1&limit=2' })
    assert.equal(r.body.total, 3)
    assert.deepEqual(r.body.items, [
      {
        machine: 'bench-1',
        runtime: 'cpython',
        config: 'default',
        branch: 'main',
        workload: 'json_dumps',
        workloadVersion: 'v1',
        points: 3,
      },
      {
        machine: 'bench-1',
        runtime: 'cpython',
        config: 'default',
        branch: 'main',
        workload: 'nbody',
        workloadVersion: 'v1',
        points: 3,
      },
    ])
  })

  test('GET /api/v1/series/summaries orders series by workload with their newest means, noise floor and tags', async () => {
    const r = await call(f.app, { method: 'GET', url: '/api/v1/series/summaries?machine=bench-1' })
    assert.equal(r.status, 200, JSON.stringify(r.body))
    type Summary = {
      workload: string
      tags: string[]
      unit: string
      values: number[]
      latest: { commitSha: string; mean: number }
      noise: { relative: number; differences: number } | null
      latestChange: unknown
    }
    const items = r.body.items as Summary[]
    assert.equal(r.body.total, 3)
    assert.deepEqual(
      items.map((x) => x.workload),
      ['json_dumps', 'nbody', 'richards'],
    )
    const nbody = items[1]!
    assert.deepEqual(nbody.tags, ['micro'])
    assert.equal(nbody.unit, 'second')
    assert.equal(nbody.values.length, 3)
    assert.equal(nbody.latest.commitSha, 'cccc3333')
    // nbody went 10 ms → 12 ms → 12 ms: the median |Δ ln| is ln(1.2) / 2, √1.2 − 1 ≈ 9.5 %.
    assert.ok(
      Math.abs((nbody.noise?.relative ?? 0) - (Math.sqrt(1.2) - 1)) < 1e-9,
      JSON.stringify(nbody.noise),
    )
    assert.equal(nbody.noise?.differences, 2)
    assert.equal(nbody.latestChange, null)
    const searched = await call(f.app, { method: 'GET', url: '/api/v1/series/summaries?q=BOD&spark=2' })
    assert.deepEqual(
      (searched.body.items as Summary[]).map((x) => [x.workload, x.values.length]),
      [
        ['nbody', 2],
        ['nbody', 1],
      ],
      'bench-1 (its newest 2 of 3 means), then bench-2',
    )
    const tagged = await call(f.app, { method: 'GET', url: '/api/v1/series/summaries?tag=micro' })
    assert.equal(tagged.body.total, 6, 'every workload of both machines')
    const untagged = await call(f.app, { method: 'GET', url: '/api/v1/series/summaries?tag=none' })
    assert.equal(untagged.body.total, 0)
    const bad = await call(f.app, { method: 'GET', url: '/api/v1/series/summaries?spark=1' })
    assertError(bad, 400, 'bad-input', /spark/)
    const long = await call(f.app, { method: 'GET', url: `/api/v1/series/summaries?q=${'x'.repeat(201)}` })
    assertError(long, 400, 'bad-input', /"q"/)
  })

  test('a series summary and points kept from an earlier request are made again once the series has a new result', async () => {
    const store = await openSqliteStore(':memory:')
    const app = await buildServer(store)
    try {
      const build = (sha: string, day: string) =>
        exampleBuild(sha, { commitDateUtc: `2024-10-${day}T08:00:00Z` })
      const url = '/api/v1/series/summaries?workload=nbody'
      await store.insertRuns([
        exampleRunWithResults({ build: build('aaaa1111', '01') }, { workloads: ['nbody'] }),
        exampleRunWithResults(
          { build: build('aaaa2222', '02'), startedAt: '2024-10-02T10:00:00Z' },
          { workloads: ['nbody'] },
        ),
      ])
      type Page = { items: { latest: { commitSha: string }; values: number[] }[] }
      const first = await call(app, { method: 'GET', url })
      assert.equal((first.body as Page).items[0]?.latest.commitSha, 'aaaa2222')
      assert.deepEqual(
        (await call(app, { method: 'GET', url })).body,
        first.body,
        'the same answer from the kept summary',
      )
      const pointsUrl =
        '/api/v1/series/points?machine=bench-1&runtime=cpython&config=pgo-lto&branch=main&workload=nbody&interval=1&epochs=1'
      const points = async () =>
        ((await call(app, { method: 'GET', url: pointsUrl })).body as { points: unknown[] }).points.length
      assert.equal(await points(), 2)
      assert.equal(await points(), 2, 'kept while the runs are unchanged')
      await store.insertRuns([
        exampleRunWithResults(
          { build: build('aaaa3333', '03'), startedAt: '2024-10-03T10:00:00Z' },
          { workloads: ['nbody'] },
        ),
      ])
      assert.equal(await points(), 3, 'a new run: the points are read again')
      const after = (await call(app, { method: 'GET', url })).body as Page
      assert.equal(after.items[0]?.latest.commitSha, 'aaaa3333')
      assert.equal(after.items[0]?.values.length, 3)
    } finally {
      await app.close()
      await store.close()
    }
  })

  test('GET /api/v1/series/points gives the points in commit order; raw=1 adds process means', async () => {
    const url =
      '/api/v1/series/points?machine=bench-1&runtime=cpython&config=default&branch=main&workload=nbody'
    const r = await call(f.app, { method: 'GET', url })
    assert.equal(r.status, 200)
    assert.deepEqual(r.body.series, {
      machine: 'bench-1',
      runtime: 'cpython',
      config: 'default',
      branch: 'main',
      workload: 'nbody',
      workloadVersion: 'v1',
    })
    const points = r.body.points as {
      commitSha: string
      summary: { mean: number }
      processMeans?: number[]
    }[]
    assert.deepEqual(
      points.map((p) => p.commitSha),
      ['aaaa1111', 'bbbb2222', 'cccc3333'],
    )
    assert.ok(Math.abs((points[1]?.summary.mean ?? 0) - 0.012) < 0.0005)
    assert.equal(points[0]?.processMeans, undefined)
    const raw = await call(f.app, { method: 'GET', url: `${url}&raw=1` })
    assert.equal((raw.body.points as { processMeans: number[] }[])[0]?.processMeans.length, 4)
    assertError(
      await call(f.app, { method: 'GET', url: url.replace('bench-1', 'bench-9') }),
      404,
      'not-found',
      /no series is "bench-9" × "cpython"/,
    )
    assertError(
      await call(f.app, { method: 'GET', url: '/api/v1/series/points?machine=bench-1' }),
      400,
      'bad-input',
      /query parameter "runtime" to be a string, found nothing/,
    )
  })

  test('GET /api/v1/series/points with interval=1 and epochs=1 gives each point its t interval and epoch key', async () => {
    const url =
      '/api/v1/series/points?machine=bench-1&runtime=cpython&config=default&branch=main&workload=nbody'
    const r = await call(f.app, { method: 'GET', url: `${url}&interval=1&epochs=1` })
    assert.equal(r.status, 200, JSON.stringify(r.body))
    const points = r.body.points as {
      summary: { mean: number }
      processMeans?: number[]
      interval: { low: number; high: number; confidence: number } | null
      epoch: string
    }[]
    const raw = (await call(f.app, { method: 'GET', url: `${url}&raw=1` })).body.points as {
      processMeans: number[]
    }[]
    for (const [i, p] of points.entries()) {
      // Student's t interval by hand: mean ± t(0.975, n − 1) · s/√n, t(0.975, 3) = 3.182446 (tables).
      const xs = raw[i]?.processMeans ?? []
      const m = xs.reduce((a, b) => a + b, 0) / xs.length
      const s = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1))
      assert.equal(xs.length, 4)
      assert.ok(Math.abs((p.interval?.high ?? 0) - (m + (3.182446 * s) / 2)) < 1e-9)
      assert.ok(Math.abs((p.interval?.low ?? 0) - (m - (3.182446 * s) / 2)) < 1e-9)
      assert.equal(p.interval?.confidence, 0.95)
      assert.equal(p.processMeans, undefined, 'process means only with raw=1')
      assert.match(p.epoch, /suiteVersion=/)
    }
    const plain = (await call(f.app, { method: 'GET', url })).body.points as Record<string, unknown>[]
    assert.equal('interval' in (plain[0] ?? {}), false)
    assert.equal('epoch' in (plain[0] ?? {}), false)
  })

  test('GET /api/v1/series/columns answers what series/points with interval=1&epochs=1 does, as columns', async () => {
    const q = 'machine=bench-1&runtime=cpython&config=default&branch=main&workload=nbody'
    const asPoints = await call(f.app, {
      method: 'GET',
      url: `/api/v1/series/points?${q}&interval=1&epochs=1&failed=1`,
    })
    const asColumns = await call(f.app, { method: 'GET', url: `/api/v1/series/columns?${q}&failed=1` })
    assert.equal(asColumns.status, 200, JSON.stringify(asColumns.body))
    const points = asPoints.body.points as {
      resultId: number
      runId: number
      buildId: number
      commitSha: string | null
      commitDateUtc: string | null
      runStartedAt: string
      state: string
      unit: string
      summary: { mean: number | null }
      interval: { low: number; high: number } | null
      epoch: string
    }[]
    assert.ok(points.length >= 2)
    const c = asColumns.body.columns as Record<string, unknown[]> & { state: string }
    assert.deepEqual(asColumns.body.series, asPoints.body.series)
    assert.deepEqual(asColumns.body.metrics, asPoints.body.metrics)
    assert.equal(asColumns.body.unit, points.find((p) => p.state === 'measured')?.unit)
    const same = [
      'resultId',
      'runId',
      'buildId',
      'commitSha',
      'commitDateUtc',
      'runStartedAt',
      'epoch',
    ] as const
    for (const field of same)
      assert.deepEqual(
        c[field],
        points.map((p) => p[field]),
        field,
      )
    assert.equal(c.state, points.map((p) => p.state[0]).join(''))
    const measuredMean = points.map((p) => (p.state === 'measured' ? p.summary.mean : null))
    assert.deepEqual(c.mean, measuredMean)
    assert.deepEqual(
      c.low,
      points.map((p) => p.interval?.low ?? null),
    )
    assert.deepEqual(
      c.high,
      points.map((p) => p.interval?.high ?? null),
    )
    // The same refusals as series/points: an unknown series is a 404, options it does not take a 400.
    const unknown = await call(f.app, {
      method: 'GET',
      url: `/api/v1/series/columns?${q.replace('nbody', 'nope')}`,
    })
    assert.equal(unknown.status, 404)
    const raw = await call(f.app, { method: 'GET', url: `/api/v1/series/columns?${q}&raw=1` })
    assert.equal(raw.status, 400)
  })

  test('GET /api/v1/compare compares two runs, by id, by build:ID or by commit prefix', async () => {
    const [a, b] = f.runIds
    const r = await call(f.app, { method: 'GET', url: `/api/v1/compare?base=${a}&candidate=${b}` })
    assert.equal(r.status, 200, JSON.stringify(r.body))
    const rows = r.body.rows as { workload: string; verdict: string; ratio: number }[]
    const nbody = rows.find((x) => x.workload === 'nbody')
    assert.equal(nbody?.verdict, 'slower')
    assert.ok(Math.abs((nbody?.ratio ?? 0) - 1.2) < 0.01)
    assert.equal(rows.find((x) => x.workload === 'richards')?.verdict, 'no-difference')
    assert.equal((r.body.geometricMean as { kind: string }).kind, 'interval')
    assert.deepEqual(r.body.counts, { slower: 1, faster: 0, same: 2 })
    // Two runs measured apart: the intervals include between-run noise, the stated default here.
    const across = r.body.acrossRuns as {
      interleaved: boolean
      suite: { source: string; dof: number | null }
    }
    assert.equal(across.interleaved, false)
    assert.deepEqual([across.suite.source, across.suite.dof], ['default', null])
    const betweenRuns = (rows as unknown as { betweenRuns: { source: string; sigma: number } }[]).map(
      (x) => x.betweenRuns,
    )
    assert.ok(
      betweenRuns.every((n) => n.source === 'default' && n.sigma === 0.02),
      JSON.stringify(betweenRuns),
    )
    assert.ok(Array.isArray(r.body.caveats))
    const baseRun = await f.store.getRun(a ?? 0)
    const byBuild = await call(f.app, {
      method: 'GET',
      url: `/api/v1/compare?base=build:${baseRun?.build.id}&candidate=bbbb`,
    })
    assert.equal((byBuild.body.candidate as { id: number }).id, b)
    assert.equal((byBuild.body.base as { id: number }).id, a)
    assertError(
      await call(f.app, { method: 'GET', url: `/api/v1/compare?base=${a}&candidate=777` }),
      404,
      'not-found',
      /run 777/,
    )
    assertError(
      await call(f.app, { method: 'GET', url: `/api/v1/compare?base=${a}&candidate=${b}&confidence=2` }),
      400,
      'bad-input',
      /"confidence" to be below 1, found 2/,
    )
  })

  test('GET /api/v1/compare calls a change only when significant and beyond minEffect (1 % unless given)', async () => {
    const [a, b] = f.runIds
    type Answer = {
      minEffect: number
      rows: { workload: string; verdict: string; low: number }[]
      geometricMean: { kind: string; verdict: string; low: number; estimate: number }
    }
    const byDefault = (await call(f.app, { method: 'GET', url: `/api/v1/compare?base=${a}&candidate=${b}` }))
      .body as unknown as Answer
    assert.equal(byDefault.minEffect, 0.01)
    // nbody 20 % slower, the others the same: the geometric mean is about 6 % slower and significant.
    assert.ok(byDefault.geometricMean.low > 1, JSON.stringify(byDefault.geometricMean))
    assert.equal(byDefault.geometricMean.verdict, 'slower')
    // A threshold above both: the same intervals now read "no difference", rows and geometric mean alike.
    const strict = (
      await call(f.app, { method: 'GET', url: `/api/v1/compare?base=${a}&candidate=${b}&minEffect=0.25` })
    ).body as unknown as Answer
    assert.equal(strict.minEffect, 0.25)
    const nbody = strict.rows.find((x) => x.workload === 'nbody')
    assert.ok(nbody !== undefined && nbody.low > 1, 'still significant')
    assert.equal(nbody.verdict, 'no-difference')
    assert.equal(strict.geometricMean.verdict, 'no-difference')
    const between = (
      await call(f.app, { method: 'GET', url: `/api/v1/compare?base=${a}&candidate=${b}&minEffect=0.1` })
    ).body as unknown as Answer
    assert.equal(between.rows.find((x) => x.workload === 'nbody')?.verdict, 'slower')
    assert.equal(between.geometricMean.verdict, 'no-difference', 'the geometric mean moved by less than 10 %')
    assertError(
      await call(f.app, { method: 'GET', url: `/api/v1/compare?base=${a}&candidate=${b}&minEffect=-1` }),
      400,
      'bad-input',
      /"minEffect"/,
    )
  })

  test('GET /api/v1/overview gives each machine × runtime × config × branch its latest run against the previous', async () => {
    const r = await call(f.app, { method: 'GET', url: '/api/v1/overview' })
    assert.equal(r.status, 200, JSON.stringify(r.body))
    const rows = r.body.rows as {
      machine: string
      runtime: string
      latest: { commitSha: string }
      previous: { commitSha: string } | null
      geometricMean: { kind: string; estimate?: number }
      results: { measured: number }
      changes: { slower: number; faster: number; same: number }
    }[]
    assert.deepEqual(
      rows.map((x) => [x.machine, x.runtime, x.latest.commitSha, x.previous?.commitSha ?? null]),
      [
        ['bench-1', 'cpython', 'cccc3333', 'bbbb2222'],
        ['bench-2', 'pypy', 'dddd4444', null],
      ],
    )
    assert.deepEqual(rows[0]?.changes, { slower: 0, faster: 1, same: 2 })
    assert.equal(rows[0]?.results.measured, 3)
    assert.equal(rows[0]?.geometricMean.kind, 'interval')
    assert.deepEqual(rows[1]?.geometricMean, {
      kind: 'insufficient',
      reason: 'No previous run to compare with',
    })
    const filtered = await call(f.app, { method: 'GET', url: '/api/v1/overview?runtime=pypy' })
    assert.equal((filtered.body.rows as unknown[]).length, 1)
  })

  test('the overview follows new runs at once, whoever stored them', async () => {
    const before = await call(f.app, { method: 'GET', url: '/api/v1/overview?machine=bench-2' })
    const again = await call(f.app, { method: 'GET', url: '/api/v1/overview?machine=bench-2' })
    assert.equal(again.body.state, before.body.state, 'the same runs, the same state')
    const state = await call(f.app, { method: 'GET', url: '/api/v1/state' })
    assert.deepEqual(state.body, { runs: before.body.state }, 'GET /state gives the same token')
    const [id] = await f.store.insertRuns([
      run({
        machine: 'bench-2',
        runtime: 'pypy',
        version: '3.10.14',
        config: 'jit',
        commitSha: 'dddd5555',
        startedAt: '2024-10-09T10:00:00Z',
      }),
    ])
    const r = await call(f.app, { method: 'GET', url: '/api/v1/overview?machine=bench-2' })
    const [row] = r.body.rows as {
      latest: { id: number }
      previous: { commitSha: string } | null
      geometricMean: { kind: string }
    }[]
    assert.equal(row?.latest.id, id)
    assert.notEqual(r.body.state, before.body.state, 'a new run, a new state')
    assert.equal((await call(f.app, { method: 'GET', url: '/api/v1/state' })).body.runs, r.body.state)
    assert.equal(row?.previous?.commitSha, 'dddd4444')
    assert.equal(row?.geometricMean.kind, 'interval')
  })

  test("the overview's latest runs are the history's: a bisection's run and a warm-up series are not", async () => {
    const pypy = { machine: 'bench-2', runtime: 'pypy', version: '3.10.14', config: 'jit' }
    const before = await call(f.app, { method: 'GET', url: '/api/v1/overview?machine=bench-2' })
    const [latestBefore] = before.body.rows as { latest: { id: number } }[]
    const as = (x: ReturnType<typeof run>, spec: { suite?: string; preset?: string }) => ({
      ...x,
      run: { ...x.run, ...spec },
    })
    await f.store.insertRuns([
      as(run({ ...pypy, commitSha: 'eeee6666', startedAt: '2024-10-10T10:00:00Z' }), { suite: 'bisect' }),
      as(run({ ...pypy, commitSha: 'eeee7777', startedAt: '2024-10-11T10:00:00Z' }), { preset: 'warmup' }),
    ])
    const r = await call(f.app, { method: 'GET', url: '/api/v1/overview?machine=bench-2' })
    const [row] = r.body.rows as { latest: { id: number } }[]
    assert.notEqual(r.body.state, before.body.state)
    assert.equal(row?.latest.id, latestBefore?.latest.id)
  })

  test('an unknown route answers 404 in the API error format', async () => {
    const r = await call(f.app, { method: 'GET', url: '/api/v1/nothing?x=<b>' })
    assertError(r, 404, 'not-found', /no such route/)
    assert.ok(!r.raw.includes('<b>'), 'the query string is not echoed')
  })

  test('GET /api/v1/openapi.json documents every route', async () => {
    const r = await call(f.app, { method: 'GET', url: '/api/v1/openapi.json' })
    assert.equal(r.status, 200)
    const paths = r.body.paths as Record<string, Record<string, { operationId: string }>>
    const ids = Object.values(paths).flatMap((p) => Object.values(p).map((o) => o.operationId))
    assert.deepEqual(ids.sort(), [...ROUTE_NAMES].sort())
    for (const name of ROUTE_NAMES) assert.ok(paths[ROUTES[name].path.replace(/:(\w+)/g, '{$1}')], name)
  })

  test('GET / answers a placeholder page until the dashboard is plugged in', async () => {
    const r = await call(f.app, { method: 'GET', url: '/' })
    assert.equal(r.status, 200)
    assert.match(String(r.headers['content-type']), /^text\/html/)
    assert.match(r.raw, /\/api\/v1\/openapi\.json/)
  })
})

describe("a server workload's metrics", () => {
  test('GET /api/v1/series/points lists the metrics of a server workload and draws one with metric=', async () => {
    const store = await openSqliteStore(':memory:')
    const withHttp = (sha: string, day: string, rps: number[], p99: number[]) => {
      const r = exampleRunWithResults(
        {
          startedAt: `2024-10-0${day}T10:00:00Z`,
          build: exampleBuild(sha, { commitDateUtc: `2024-10-0${day}T08:00:00Z` }),
        },
        { workloads: ['django_feed'], result: { processes: 3 } },
      )
      const [result] = r.results
      return {
        ...r,
        results: [{ ...result!, metadata: { http: { requests_per_s: rps, latency_p99_ms: p99 } } }],
      }
    }
    await store.insertRuns([
      withHttp('aaaa1111', '1', [400, 410, 405], [30, 31, 32]),
      withHttp('bbbb2222', '2', [480, 490, 470], [40, 41, 39]),
    ])
    const app = await buildServer(store)
    try {
      const url =
        '/api/v1/series/points?machine=bench-1&runtime=cpython&config=pgo-lto&branch=main&workload=django_feed'
      const plain = await call(app, { method: 'GET', url })
      assert.equal(plain.status, 200, JSON.stringify(plain.body))
      assert.equal(plain.body.metric, null)
      assert.deepEqual(
        (plain.body.metrics as { name: string; unit: string; lowerIsBetter: boolean }[]).map((m) => [
          m.name,
          m.unit,
          m.lowerIsBetter,
        ]),
        [
          ['requests_per_s', 'request/s', false],
          ['latency_p99_ms', 'ms', true],
        ],
      )
      const rps = await call(app, { method: 'GET', url: `${url}&metric=requests_per_s&interval=1&raw=1` })
      assert.equal(rps.status, 200, JSON.stringify(rps.body))
      assert.equal((rps.body.metric as { label: string }).label, 'Requests/s (saturation)')
      const points = rps.body.points as {
        unit: string
        summary: { mean: number; nProcesses: number }
        interval: { low: number; high: number }
        processMeans: number[]
      }[]
      assert.deepEqual(
        points.map((p) => [p.unit, p.summary.mean, p.summary.nProcesses, p.processMeans]),
        [
          ['request/s', 405, 3, [400, 410, 405]],
          ['request/s', 480, 3, [480, 490, 470]],
        ],
      )
      // The t interval over the three processes: 480 ± t(0.975, 2) · 10/√3, t = 4.302653.
      assert.ok(Math.abs(points[1]!.interval.high - (480 + (4.302653 * 10) / Math.sqrt(3))) < 1e-4)
      assertError(
        await call(app, { method: 'GET', url: `${url}&metric=latency_p50_ms` }),
        404,
        'not-found',
        /records no metric "latency_p50_ms"; it records requests_per_s, latency_p99_ms/,
      )
      assertError(
        await call(app, { method: 'GET', url: `${url}&metric=${encodeURIComponent('<x>')}` }),
        400,
        'bad-input',
        /metric/,
      )
    } finally {
      await app.close()
      await store.close()
    }
  })
})

describe('warm-up of a run', () => {
  let f: Fixture
  before(async () => {
    f = await setup()
  })
  after(() => teardown(f))

  test('GET /api/v1/runs/:id/warmup classifies each workload, or says why it cannot', async () => {
    const [id] = await f.store.insertRuns([exampleWarmupRun()])
    const r = await call(f.app, { method: 'GET', url: `/api/v1/runs/${id}/warmup` })
    assert.equal(r.status, 200)
    assert.equal(r.body.runId, id)
    const workloads = r.body.workloads as {
      workload: { name: string }
      class: string
      counts: Record<string, number>
      steady: { kind: string; iteration?: { estimate: number } }
      processes: { class: string; steady: unknown }[]
    }[]
    assert.deepEqual(
      workloads.map((w) => [w.workload.name, w.class]),
      [
        ['jit_warm', 'warmup'],
        ['steady', 'flat'],
        ['late', 'bad-inconsistent'],
      ],
    )
    assert.equal(workloads[0]?.steady.iteration?.estimate, 21)
    assert.deepEqual(workloads[2]?.steady, { kind: 'no-steady-state', processes: 1 })
    assert.equal(workloads[2]?.processes[3]?.steady, null)
    const few = await call(f.app, { method: 'GET', url: `/api/v1/runs/${f.runIds[0]}/warmup` })
    assert.equal((few.body.workloads as { state: string }[])[0]?.state, 'not-classified')
    assertError(
      await call(f.app, { method: 'GET', url: '/api/v1/runs/999/warmup' }),
      404,
      'not-found',
      /run 999/,
    )
  })
})
