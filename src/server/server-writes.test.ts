import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { after, before, describe, test } from 'node:test'
import { gzipSync } from 'node:zlib'
import { type ExampleRunDocumentOptions, exampleRunDocument } from '../api/index.ts'
import { type ChangeRow, exampleCountChange, openSqliteStore } from '../store/index.ts'
import { buildServer, hashTokenSecret, newTokenSecret } from './index.ts'
import {
  addNbodyAlert,
  assertError,
  bearer,
  call,
  type Fixture,
  PYPERF_FILE,
  run,
  runCount,
  setup,
  teardown,
} from './server-fixture.ts'

// The write routes (tokens, ingest), changes and alerts, and the dashboard hook, through
// Fastify's inject() on a real SQLite store: what a client sees and what the database holds.

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
  /** A small pyperf file of one benchmark, its top-level metadata holding `extra` as "x". */
  const pyperfDoc = (name: string, extra = '0') =>
    `{"version": "1.0", "metadata": {"hostname": "h", "python_version": "3.12.0", "x": ${extra}}, "benchmarks": [{"metadata": {"name": ${JSON.stringify(name)}}, "runs": [{"metadata": {}, "values": [0.5, 0.6]}, {"metadata": {}, "values": [0.5, 0.6]}]}]}`
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

  test('metadata nested thousands of levels deep gets a 400 naming the depth limit on both upload routes', async () => {
    const before = await runCount(f.store)
    const auth = bearer(f.secrets.agent)
    // 10,000 nested arrays: about 20 kB, under the body caps; a recursive validator would overflow its stack.
    const deep = `${'['.repeat(10_000)}1${']'.repeat(10_000)}`
    const run = JSON.stringify({
      ...exampleRunDocument(),
      run: { ...exampleRunDocument().run, metadata: { x: 0 } },
    })
    const message =
      /^Cannot ingest [a-z ]+: expected JSON nested at most 64 levels deep \(arrays and objects\), found deeper nesting at character \d+$/
    assertError(
      await post('/api/v1/runs', run.replace('{"x":0}', `{"x":${deep}}`), auth),
      400,
      'bad-input',
      message,
    )
    assertError(
      await post('/api/v1/runs/pyperf?machine=bench-1', pyperfDoc('nbody', `{"x":${deep}}`), auth),
      400,
      'bad-input',
      message,
    )
    // 64 levels are allowed, and brackets inside strings do not count.
    const ok = `{"x":${'['.repeat(58)}"${'['.repeat(200)}"${']'.repeat(58)}}`
    const stored = await post(
      '/api/v1/runs',
      run.replace('{"x":0}', ok).replace('a1b2c3d4', 'deadbeef'),
      auth,
    )
    assert.equal(stored.status, 201, JSON.stringify(stored.body))
    assert.equal(await runCount(f.store), before + 1)
  })

  test('one workload name rule for both upload routes: markup in a pyperf benchmark name is refused', async () => {
    const before = await runCount(f.store)
    const auth = bearer(f.secrets.agent)
    const name = '<img src=x onerror=alert(1)>'
    const langperf = exampleRunDocument()
    const named = {
      ...langperf,
      results: [{ ...langperf.results[0]!, workload: { name, version: 'v1' } }],
    }
    const rule =
      /to be a workload name of lower-case letters, digits, "_", "-" and "\.", 1–100 characters, found "<img src=x onerror=alert\(1\)>"$/
    const viaRun = await post('/api/v1/runs', JSON.stringify(named), auth)
    assertError(viaRun, 400, 'bad-input', rule)
    assert.match(String(viaRun.body.message), /^Cannot ingest run: expected "results\[0\]\.workload\.name"/)
    const viaPyperf = await post('/api/v1/runs/pyperf?machine=bench-1', pyperfDoc(name), auth)
    assertError(viaPyperf, 400, 'bad-input', rule)
    assert.match(String(viaPyperf.body.message), /expected "benchmarks\[0\]\.metadata\.name"/)
    assert.equal(await runCount(f.store), before)
    // A name the rule allows is stored through the pyperf route as through the other.
    const fine = await post('/api/v1/runs/pyperf?machine=bench-1', pyperfDoc('json_dumps-2.x'), auth)
    assert.equal(fine.status, 201, JSON.stringify(fine.body))
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
    alertId = await addNbodyAlert(f, { note: '<img src=x onerror=alert(1)>' })
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

  test('GET /api/v1/alerts/:id/commits says why it lists no commits without a configured mirror', async () => {
    const r = await call(f.app, { method: 'GET', url: `/api/v1/alerts/${alertId}/commits` })
    assert.equal(r.status, 200, JSON.stringify(r.body))
    assert.equal(r.body.listed, false)
    assert.match(String(r.body.reason), /not in the server's configuration/)
    assert.deepEqual(r.body.commits, [])
    assertError(
      await call(f.app, { method: 'GET', url: '/api/v1/alerts/999/commits' }),
      404,
      'not-found',
      /alert 999/,
    )
    assertError(
      await call(f.app, { method: 'GET', url: `/api/v1/alerts/${alertId}/commits?limit=5000` }),
      400,
      'bad-input',
      /limit/,
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

  test('an acknowledgement until a date hides the alert from the default list until then', async () => {
    const url = `/api/v1/alerts/${alertId}/triage`
    const admin = bearer(f.secrets.admin)
    const r = await call(f.app, {
      method: 'POST',
      url,
      payload: { triage: 'acknowledged', note: 'expected: new GC', until: '2024-12-01' },
      headers: admin,
    })
    assert.equal(r.status, 200, JSON.stringify(r.body))
    assert.equal(
      r.body.acknowledgedUntil,
      '2024-12-01T23:59:59.999Z',
      'a date means the end of that day, UTC',
    )
    const list = async (query: string) =>
      (await call(f.app, { method: 'GET', url: `/api/v1/alerts${query}` })).body as {
        total: number
        items: { acknowledgedUntil: string | null }[]
      }
    assert.equal((await list('')).total, 0, 'hidden by default while the acknowledgement holds')
    assert.equal((await list('?showAcknowledged=true')).total, 1)
    const named = await list('?triage=acknowledged')
    assert.equal(named.total, 1, 'asking for acknowledged alerts shows them')
    assert.equal(named.items[0]?.acknowledgedUntil, '2024-12-01T23:59:59.999Z')
    for (const [until, message] of [
      ['2024-10-01', /after now/],
      ['2026-01-01', /at most 366 days/],
      ['next week', /until/],
      ['2024-02-30', /real date|until/],
    ] as const) {
      assertError(
        await call(f.app, {
          method: 'POST',
          url,
          payload: { triage: 'acknowledged', until },
          headers: admin,
        }),
        400,
        'bad-input',
        message,
      )
    }
    assertError(
      await call(f.app, {
        method: 'POST',
        url,
        payload: { triage: 'fixed', until: '2024-12-01' },
        headers: admin,
      }),
      400,
      'bad-input',
      /only with acknowledged/,
    )
    const back = await call(f.app, { method: 'POST', url, payload: { triage: 'new' }, headers: admin })
    assert.equal(back.body.acknowledgedUntil, null, 'another triage clears the expiry')
    assert.equal((await list('')).total, 1)
  })

  test('GET /api/v1/alerts filters on kind, config, direction, size and the first bad commit date', async () => {
    const total = async (query: string) => {
      const r = await call(f.app, { method: 'GET', url: `/api/v1/alerts?${query}` })
      assert.equal(r.status, 200, JSON.stringify(r.body))
      return r.body.total as number
    }
    const [alert] = (await call(f.app, { method: 'GET', url: '/api/v1/alerts' })).body.items as {
      firstBadCommitDate: string | null
    }[]
    const day = alert?.firstBadCommitDate?.slice(0, 10)
    assert.ok(day, 'the first bad build has a commit date')
    assert.equal(await total('kind=commit&config=default&direction=regression'), 1)
    assert.equal(await total('kind=infrastructure'), 0)
    assert.equal(await total('config=other'), 0)
    assert.equal(await total('minChange=15'), 1, 'a 20 % change is at least 15 %')
    assert.equal(await total('minChange=25'), 0)
    assert.equal(await total(`from=${day}&to=${day}`), 1)
    assert.equal(await total('to=2000-01-01'), 0)
    assert.equal(await total('from=2999-01-01'), 0)
    assertError(
      await call(f.app, { method: 'GET', url: '/api/v1/alerts?minChange=-3' }),
      400,
      'bad-input',
      /minChange/,
    )
    assertError(
      await call(f.app, { method: 'GET', url: '/api/v1/alerts?from=yesterday' }),
      400,
      'bad-input',
      /from/,
    )
  })

  test('an instruction-count change says so in the API (measure), beside the time change of its build', async () => {
    const before = await call(f.app, { method: 'GET', url: `/api/v1/alerts/${alertId}` })
    const time = (before.body.changes as ChangeRow[])[0]!
    const applied = await f.store.applyDetection({
      changes: [exampleCountChange({ ...time, status: 'confirmed' }, 1.032)],
      withdrawn: [],
      at: '2024-10-03T12:00:00.000Z',
    })
    assert.equal(
      applied.newChangeIds.length,
      1,
      'beside the time change of the same build, not merged into it',
    )
    const one = await call(f.app, { method: 'GET', url: `/api/v1/alerts/${alertId}` })
    assert.equal(one.status, 200, JSON.stringify(one.body))
    assert.deepEqual(
      (one.body.changes as { measure: string; ratio: number }[]).map((c) => [c.measure, c.ratio]),
      [
        ['time', 1.2],
        ['instructions', 1.032],
      ],
    )
    const items = (await call(f.app, { method: 'GET', url: '/api/v1/alerts' })).body.items as {
      largest: { measure: string; ratio: number }
    }[]
    const largest = items[0]!.largest
    assert.deepEqual([largest.measure, largest.ratio], ['time', 1.2])
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
