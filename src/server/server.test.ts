import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { after, before, describe, test } from 'node:test'
import { gzipSync } from 'node:zlib'
import type { FastifyInstance, InjectOptions } from 'fastify'
import {
  documentToRun,
  type ExampleRunDocumentOptions,
  exampleRunDocument,
  LangperfRunDocumentSchema,
  ROUTE_NAMES,
  ROUTES,
} from '../api/index.ts'
import { openSqliteStore, type Store } from '../store/index.ts'
import { buildServer, hashTokenSecret, newTokenSecret } from './index.ts'

// Every route through Fastify's inject() on a real SQLite store: what a client sees (status,
// body, headers) and what the database holds afterwards.

const PYPERF_FILE = `${process.env.LANGPERF_SHARED_DATA ?? new URL('../../../shared/data', import.meta.url).pathname}/pyperf-json-pythonperf2/bm-20240414-3.13.0a6+-a74f117.json.gz`

/** A run stored directly, as a fixture. */
function run(options: ExampleRunDocumentOptions) {
  return documentToRun(LangperfRunDocumentSchema.parse(exampleRunDocument(options)))
}

interface Fixture {
  readonly store: Store
  readonly app: FastifyInstance
  readonly runIds: readonly number[]
  readonly secrets: {
    readonly agent: string
    readonly scoped: string
    readonly admin: string
    readonly revoked: string
  }
}

/** A store with four runs (three builds of cpython on bench-1, one pypy run on bench-2) and four tokens. */
async function setup(options: Parameters<typeof buildServer>[1] = {}): Promise<Fixture> {
  const store = await openSqliteStore(':memory:')
  const runIds = await store.insertRuns([
    run({ commitSha: 'aaaa1111', startedAt: '2024-10-01T10:00:00Z' }),
    run({ commitSha: 'bbbb2222', startedAt: '2024-10-02T10:00:00Z', meanS: { nbody: 0.012 } }),
    run({
      commitSha: 'cccc3333',
      startedAt: '2024-10-03T10:00:00Z',
      meanS: { nbody: 0.012, richards: 0.008 },
    }),
    run({ machine: 'bench-2', runtime: 'pypy', version: '3.10.14', config: 'jit', commitSha: 'dddd4444' }),
  ])
  const secrets = {
    agent: newTokenSecret(),
    scoped: newTokenSecret(),
    admin: newTokenSecret(),
    revoked: newTokenSecret(),
  }
  const at = '2024-09-01T00:00:00Z'
  await store.createToken({
    name: 'ci',
    role: 'agent',
    scopes: [],
    hash: hashTokenSecret(secrets.agent),
    createdAt: at,
  })
  await store.createToken({
    name: 'bench-2 agent',
    role: 'agent',
    scopes: ['bench-2'],
    hash: hashTokenSecret(secrets.scoped),
    createdAt: at,
  })
  await store.createToken({
    name: 'ops',
    role: 'admin',
    scopes: [],
    hash: hashTokenSecret(secrets.admin),
    createdAt: at,
  })
  const old = await store.createToken({
    name: 'old',
    role: 'admin',
    scopes: [],
    hash: hashTokenSecret(secrets.revoked),
    createdAt: at,
  })
  await store.revokeToken(old.id, at)
  const app = await buildServer(store, { now: () => new Date('2024-11-01T00:00:00Z'), ...options })
  return { store, app, runIds, secrets }
}

async function teardown(f: Fixture): Promise<void> {
  await f.app.close()
  await f.store.close()
}

/** Injects a request and parses the JSON answer. */
async function call(app: FastifyInstance, options: InjectOptions) {
  const response = await app.inject(options)
  let json: unknown
  try {
    json = response.json()
  } catch {
    json = undefined
  }
  return {
    status: response.statusCode,
    headers: response.headers,
    body: json as Record<string, unknown>,
    raw: response.body,
  }
}

const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` })

/** How many runs the store holds: the measure of "nothing was stored". */
async function runCount(store: Store): Promise<number> {
  return (await store.listRuns({ limit: 1 })).total
}

function assertError(
  r: { status: number; body: Record<string, unknown> },
  status: number,
  code: string,
  re: RegExp,
) {
  assert.equal(r.status, status, JSON.stringify(r.body))
  assert.equal(r.body.code, code)
  assert.equal(r.body.statusCode, status)
  assert.match(String(r.body.message), re)
  assert.doesNotMatch(String(r.body.message), /\.$/, 'messages have no trailing period')
}

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
    assert.equal(row?.previous?.commitSha, 'dddd4444')
    assert.equal(row?.geometricMean.kind, 'interval')
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

describe('writing with tokens', () => {
  let f: Fixture
  before(async () => {
    f = await setup({
      jsonBodyLimitBytes: 64 * 1024,
      pyperfBodyLimitBytes: 8 * 1024 * 1024,
      decompressedLimitBytes: 4 * 1024 * 1024,
    })
  })
  after(() => teardown(f))

  const doc = (options: ExampleRunDocumentOptions = {}) =>
    JSON.stringify(
      exampleRunDocument({ commitSha: 'eeee5555', startedAt: '2024-10-04T10:00:00Z', ...options }),
    )
  const post = (url: string, payload: string | Buffer, headers: Record<string, string> = {}) =>
    call(f.app, { method: 'POST', url, payload, headers: { 'content-type': 'application/json', ...headers } })

  test('a write without a valid token is refused with 401 and stores nothing', async () => {
    const before = await runCount(f.store)
    const cases: [Record<string, string>, RegExp][] = [
      [{}, /expected an Authorization header with a bearer token/],
      [
        { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` },
        /expected "Authorization: Bearer <token>"/,
      ],
      [bearer('lp_not-a-token'), /the bearer token is not valid/],
      [bearer(newTokenSecret()), /the bearer token is not valid/],
      [bearer(f.secrets.revoked), /was revoked at 2024-09-01T00:00:00Z/],
    ]
    for (const [headers, re] of cases) {
      const r = await post('/api/v1/runs', doc(), headers)
      assertError(r, 401, 'unauthorized', re)
      assert.equal(r.headers['www-authenticate'], 'Bearer realm="langperf"')
    }
    assertError(await post('/api/v1/runs', '{"not json'), 401, 'unauthorized', /Authorization header/)
    assertError(
      await post('/api/v1/runs/pyperf', '{"version": "1.0", "metadata": {}, "benchmarks": []}'),
      401,
      'unauthorized',
      /Authorization header/,
    )
    assert.equal(await runCount(f.store), before)
  })

  test('an agent token scoped to other machines is refused with 403 and stores nothing', async () => {
    const before = await runCount(f.store)
    assertError(
      await post('/api/v1/runs', doc({ machine: 'bench-1' }), bearer(f.secrets.scoped)),
      403,
      'forbidden',
      /token 2 may write for machine "bench-2", found machine "bench-1"/,
    )
    assert.equal(await runCount(f.store), before)
    assert.equal(
      (await f.store.listTokens())[1]?.lastUsedAt,
      null,
      'a refused request does not count as a use',
    )
  })

  test('POST /api/v1/runs stores a langperf-run document and records the token use', async () => {
    const before = await runCount(f.store)
    const r = await post(
      '/api/v1/runs',
      doc({ machine: 'bench-2', runtime: 'pypy', config: 'jit' }),
      bearer(f.secrets.scoped),
    )
    assert.equal(r.status, 201, JSON.stringify(r.body))
    const [stored] = r.body.runs as { id: number; machine: string; results: number }[]
    assert.equal(stored?.machine, 'bench-2')
    assert.equal(stored?.results, 3)
    assert.equal(await runCount(f.store), before + 1)
    const run = await f.store.getRun(stored?.id ?? 0)
    assert.equal(run?.source, 'api')
    assert.equal(run?.build.identity, 'pypy:eeee5555:jit')
    assert.equal((await f.store.listTokens())[1]?.lastUsedAt, '2024-11-01T00:00:00.000Z')
  })

  test('a gzip body is accepted with Content-Encoding gzip; other encodings are refused with 415', async () => {
    const before = await runCount(f.store)
    const gz = gzipSync(doc({ commitSha: 'ffff6666' }))
    const r = await post('/api/v1/runs', gz, { ...bearer(f.secrets.agent), 'content-encoding': 'gzip' })
    assert.equal(r.status, 201, JSON.stringify(r.body))
    assertError(
      await post('/api/v1/runs', doc(), { ...bearer(f.secrets.agent), 'content-encoding': 'br' }),
      415,
      'unsupported-media-type',
      /expected Content-Encoding gzip or identity, found "br"/,
    )
    assertError(
      await post('/api/v1/runs', gz.subarray(0, 40), {
        ...bearer(f.secrets.agent),
        'content-encoding': 'gzip',
      }),
      400,
      'bad-input',
      /expected complete gzip bytes, found damaged ones/,
    )
    assert.equal(await runCount(f.store), before + 1)
  })

  test('malformed, invalid, oversized and mistyped uploads get a 4xx naming the problem and store nothing', async () => {
    const before = await runCount(f.store)
    const auth = bearer(f.secrets.agent)
    assertError(
      await post('/api/v1/runs', '{"format": "langperf-run", ', auth),
      400,
      'bad-input',
      /expected a langperf-run JSON document, found invalid JSON/,
    )
    const bad = exampleRunDocument()
    const broken = { ...bad, results: [{ ...bad.results[0], processes: [{ values: [0.1, null] }] }] }
    assertError(
      await post('/api/v1/runs', JSON.stringify(broken), auth),
      400,
      'bad-input',
      /^Cannot ingest run: expected "results\[0\]\.processes\[0\]\.values\[1\]" to be a number, found null$/,
    )
    assertError(
      await post('/api/v1/runs', JSON.stringify({ ...bad, version: 7 }), auth),
      400,
      'bad-input',
      /expected "version" to be 1, found 7/,
    )
    const big = JSON.stringify({ ...bad, run: { ...bad.run, metadata: { padding: 'x'.repeat(100 * 1024) } } })
    assertError(
      await post('/api/v1/runs', big, auth),
      413,
      'too-large',
      /expected a body of at most 65536 bytes, found \d+ bytes/,
    )
    const bomb = gzipSync(Buffer.alloc(5 * 1024 * 1024, 32))
    assertError(
      await post('/api/v1/runs', bomb, { ...auth, 'content-encoding': 'gzip' }),
      413,
      'too-large',
      /expected at most 4194304 bytes once gunzipped/,
    )
    assertError(
      await post('/api/v1/runs', doc(), { ...auth, 'content-type': 'text/plain' }),
      415,
      'unsupported-media-type',
      /expected Content-Type application\/json, found "text\/plain"/,
    )
    assertError(
      await post('/api/v1/runs', '{"__proto__": {"polluted": true}}', auth),
      400,
      'bad-input',
      /^Cannot ingest run: expected JSON without "__proto__" keys, found one$/,
    )
    assert.equal(({} as Record<string, unknown>).polluted, undefined)
    assert.equal(await runCount(f.store), before)
  })

  test('POST /api/v1/runs/pyperf stores a real pyperf file, plain or gzip, with overrides', {
    skip: !existsSync(PYPERF_FILE) && `no shared data at ${PYPERF_FILE}`,
  }, async () => {
    const before = await runCount(f.store)
    const gz = readFileSync(PYPERF_FILE)
    const r = await post('/api/v1/runs/pyperf?machine=bench-1&config=pgo-lto&name=bm.json.gz', gz, {
      ...bearer(f.secrets.agent),
      'content-type': 'application/gzip',
    })
    assert.equal(r.status, 201, JSON.stringify(r.body))
    const [stored] = r.body.runs as { id: number; machine: string; config: string; results: number }[]
    assert.deepEqual([stored?.machine, stored?.config, stored?.results], ['bench-1', 'pgo-lto', 99])
    const plain = await post(
      '/api/v1/runs/pyperf?machine=bench-1&runtime=cpython2',
      gzipSync(gz).subarray(0, 0),
      {
        ...bearer(f.secrets.agent),
      },
    )
    assertError(plain, 400, 'bad-input', /expected a body, found an empty one/)
    assertError(
      await post(
        '/api/v1/runs/pyperf',
        JSON.stringify({ version: '0.9', benchmarks: [] }),
        bearer(f.secrets.agent),
      ),
      400,
      'bad-input',
      /expected pyperf format version 1.0, found "0.9"/,
    )
    assertError(
      await post('/api/v1/runs/pyperf', gz, {
        ...bearer(f.secrets.scoped),
        'content-type': 'application/gzip',
      }),
      403,
      'forbidden',
      /found machine "pythonperf2"/,
    )
    assert.equal(await runCount(f.store), before + 1)
  })

  test('strings from uploads come back as JSON data, never as markup', async () => {
    const hostile = exampleRunDocument({ commitSha: 'abab7777', startedAt: '2024-10-05T10:00:00Z' })
    const withScript = {
      ...hostile,
      run: { ...hostile.run, metadata: { note: '<script>alert(1)</script>' } },
    }
    const r = await post('/api/v1/runs', JSON.stringify(withScript), bearer(f.secrets.agent))
    assert.equal(r.status, 201)
    const id = (r.body.runs as { id: number }[])[0]?.id
    const read = await call(f.app, { method: 'GET', url: `/api/v1/runs/${id}` })
    assert.match(String(read.headers['content-type']), /^application\/json/)
    assert.equal(read.headers['content-security-policy'], "default-src 'none'; frame-ancestors 'none'")
    assert.equal((read.body.run as { metadata: { note: string } }).metadata.note, '<script>alert(1)</script>')
  })

  test('token routes need an admin token: 401 without one, 403 for an agent', async () => {
    assertError(
      await call(f.app, { method: 'GET', url: '/api/v1/tokens' }),
      401,
      'unauthorized',
      /list tokens/,
    )
    assertError(
      await call(f.app, { method: 'GET', url: '/api/v1/tokens', headers: bearer(f.secrets.agent) }),
      403,
      'forbidden',
      /expected a token with role admin, found token 1 with role agent/,
    )
    assertError(
      await call(f.app, { method: 'POST', url: '/api/v1/alerts/1/triage', payload: { triage: 'fixed' } }),
      401,
      'unauthorized',
      /triage alert/,
    )
    assertError(
      await call(f.app, {
        method: 'POST',
        url: '/api/v1/alerts/1/triage',
        payload: { triage: 'fixed' },
        headers: bearer(f.secrets.admin),
      }),
      404,
      'not-found',
      /no alert has id 1/,
    )
  })

  test('an admin creates a token whose secret works once shown, lists tokens without secrets, and revokes it', async () => {
    const created = await call(f.app, {
      method: 'POST',
      url: '/api/v1/tokens',
      payload: { name: 'new agent', role: 'agent', scopes: ['bench-3'] },
      headers: bearer(f.secrets.admin),
    })
    assert.equal(created.status, 201, JSON.stringify(created.body))
    const secret = String(created.body.secret)
    assert.match(secret, /^lp_[A-Za-z0-9_-]{43}$/)
    const token = created.body.token as { id: number; scopes: string[] }
    assert.deepEqual(token.scopes, ['bench-3'])
    const ok = await post('/api/v1/runs', doc({ machine: 'bench-3' }), bearer(secret))
    assert.equal(ok.status, 201)
    const listed = await call(f.app, {
      method: 'GET',
      url: '/api/v1/tokens',
      headers: bearer(f.secrets.admin),
    })
    assert.ok(!listed.raw.includes(secret) && !listed.raw.includes(hashTokenSecret(secret)))
    assert.ok(!listed.raw.includes('"hash"'))
    const revoked = await call(f.app, {
      method: 'DELETE',
      url: `/api/v1/tokens/${token.id}`,
      headers: bearer(f.secrets.admin),
    })
    assert.equal(revoked.body.revokedAt, '2024-11-01T00:00:00.000Z')
    assertError(
      await post('/api/v1/runs', doc({ machine: 'bench-3' }), bearer(secret)),
      401,
      'unauthorized',
      /revoked/,
    )
    assertError(
      await call(f.app, {
        method: 'POST',
        url: '/api/v1/tokens',
        payload: { name: 'x', role: 'root' },
        headers: bearer(f.secrets.admin),
      }),
      400,
      'bad-input',
      /expected "role" to be one of "agent", "admin", found "root"/,
    )
  })
})

describe('changes and alerts', () => {
  let f: Fixture
  let alertId: number
  before(async () => {
    f = await setup()
    const series = {
      machine: 'bench-1',
      runtime: 'cpython',
      config: 'default',
      branch: 'main',
      workload: 'nbody',
      workloadVersion: 'v1',
    }
    const end = async (runId: number | undefined) => {
      const run = await f.store.getRun(runId ?? 0)
      const [result] = await f.store.getResults(runId ?? 0, { workloads: ['nbody'] })
      return {
        buildId: run?.build.id ?? 0,
        resultId: result?.id ?? 0,
        commitSha: run?.build.commitSha ?? null,
      }
    }
    const outcome = await f.store.applyDetection({
      changes: [
        {
          kind: 'commit',
          series,
          lastGood: await end(f.runIds[0]),
          firstBad: await end(f.runIds[1]),
          unit: 'second',
          ratio: 1.2,
          ratioLow: 1.18,
          ratioHigh: 1.22,
          pValue: 1e-6,
          direction: 'regression',
          status: 'confirmed',
          details: { note: '<img src=x onerror=alert(1)>' },
        },
      ],
      withdrawn: [],
      at: '2024-10-02T12:00:00.000Z',
    })
    alertId = outcome.newAlertIds[0] ?? 0
  })
  after(() => teardown(f))

  test('GET /api/v1/alerts lists alerts with filters; /alerts/:id gives one with its changes', async () => {
    const list = await call(f.app, { method: 'GET', url: '/api/v1/alerts?triage=new&status=confirmed' })
    assert.equal(list.status, 200, JSON.stringify(list.body))
    assert.equal(list.body.total, 1)
    const [alert] = list.body.items as { id: number; firstBadCommit: string; direction: string }[]
    assert.equal(alert?.firstBadCommit, 'bbbb2222')
    assert.equal(alert?.direction, 'regression')
    assert.equal((alert as { kind?: string } | undefined)?.kind, 'commit')
    const none = await call(f.app, { method: 'GET', url: '/api/v1/alerts?triage=fixed' })
    assert.equal(none.body.total, 0)
    const one = await call(f.app, { method: 'GET', url: `/api/v1/alerts/${alertId}` })
    const changes = one.body.changes as { ratio: number; details: { note: string } }[]
    assert.equal(changes[0]?.ratio, 1.2)
    assert.equal((changes[0] as { kind?: string } | undefined)?.kind, 'commit')
    assert.equal(changes[0]?.details.note, '<img src=x onerror=alert(1)>')
    assertError(
      await call(f.app, { method: 'GET', url: '/api/v1/alerts/999' }),
      404,
      'not-found',
      /alert 999/,
    )
    assertError(
      await call(f.app, { method: 'GET', url: '/api/v1/alerts?triage=maybe' }),
      400,
      'bad-input',
      /query parameter "triage"/,
    )
  })

  test('GET /api/v1/changes lists the changes of an alert or of a whole series, never half a series', async () => {
    const byAlert = await call(f.app, { method: 'GET', url: `/api/v1/changes?alert=${alertId}` })
    assert.equal(byAlert.body.total, 1)
    const bySeries = await call(f.app, {
      method: 'GET',
      url: '/api/v1/changes?machine=bench-1&runtime=cpython&config=default&branch=main&workload=nbody&version=v1',
    })
    assert.equal(bySeries.body.total, 1)
    const other = await call(f.app, {
      method: 'GET',
      url: '/api/v1/changes?machine=bench-1&runtime=cpython&config=default&branch=main&workload=richards&version=v1',
    })
    assert.equal(other.body.total, 0)
    assertError(
      await call(f.app, { method: 'GET', url: '/api/v1/changes?machine=bench-1' }),
      400,
      'bad-input',
      /expected all of machine, runtime, config, workload and version/,
    )
  })

  test('triage needs an admin token and records the state, note and link', async () => {
    const url = `/api/v1/alerts/${alertId}/triage`
    const payload = {
      triage: 'acknowledged',
      note: 'Bisecting',
      link: 'https://github.com/python/cpython/issues/1',
    }
    const before = (await f.store.getAlert(alertId))?.triage
    assertError(
      await call(f.app, { method: 'POST', url, payload, headers: bearer(f.secrets.agent) }),
      403,
      'forbidden',
      /role admin/,
    )
    assert.equal((await f.store.getAlert(alertId))?.triage, before)
    const r = await call(f.app, { method: 'POST', url, payload, headers: bearer(f.secrets.admin) })
    assert.equal(r.status, 200, JSON.stringify(r.body))
    assert.equal(r.body.triage, 'acknowledged')
    assert.equal(r.body.triageNote, 'Bisecting')
    assert.equal(r.body.triagedAt, '2024-11-01T00:00:00.000Z')
    assertError(
      await call(f.app, {
        method: 'POST',
        url,
        payload: { triage: 'fixed', link: 'javascript:alert(1)' },
        headers: bearer(f.secrets.admin),
      }),
      400,
      'bad-input',
      /link/,
    )
    assertError(
      await call(f.app, {
        method: 'POST',
        url,
        payload: { triage: 'done' },
        headers: bearer(f.secrets.admin),
      }),
      400,
      'bad-input',
      /expected "triage" to be one of "new", "acknowledged", "invalid", "fixed", "wont-fix", found "done"/,
    )
  })
})

describe('the dashboard hook', () => {
  test('web routes are registered at / and read data through the in-process API client', async () => {
    const store = await openSqliteStore(':memory:')
    await store.insertRuns([run({})])
    const app = await buildServer(store, {
      web: {
        register(app, { api }) {
          app.get('/', async (_request, reply) => {
            const runs = await api.listRuns({ query: { limit: 5 } })
            return reply.type('text/plain').send(`runs: ${runs.total}`)
          })
        },
      },
    })
    try {
      const r = await app.inject({ method: 'GET', url: '/' })
      assert.equal(r.body, 'runs: 1')
    } finally {
      await app.close()
      await store.close()
    }
  })
})
