import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { gzipSync } from 'node:zlib'
import { differentialSummary, profileDifferential } from '../analysis/index.ts'
import type { NewProfile } from '../store/index.ts'
import { exampleBuild } from '../store/index.ts'
import { createWebRoutes, PAGE_CSP } from '../web/index.ts'
import { addNbodyAlert, call, type Fixture, setup, teardown } from './server-fixture.ts'

// The profiles' routes and pages: a profile with its top functions, flame graph and raw stacks;
// an alert whose culprit was profiled against its parent (one workload profiled, one not) with
// its differential recomputed from the stacks; the alert page's section and the profile page,
// every stored name escaped (a function name is whatever the profiled code called it).

const HOSTILE = '<script>alert(1)</script>'
const HARNESS = '<module> (/h/langperf_harness.py:1);_time_step (/h/langperf_harness.py:801)'
/** The parent: `work` does it all; a little start-up outside the timed values. */
const PARENT = [
  `${HARNESS};work (/w/nbody/workload.py:10) 90`,
  `${HARNESS};step (/w/nbody/workload.py:3) 10`,
  '<module> (/w/x.py:1) 25',
].join('\n')
/** The culprit: a new hook takes half of it, its name hostile. */
const CULPRIT = [
  `${HARNESS};work (/w/nbody/workload.py:10) 45`,
  `${HARNESS};work (/w/nbody/workload.py:10);${HOSTILE} (/w/hook.py:2) 50`,
  `${HARNESS};step (/w/nbody/workload.py:3) 5`,
].join('\n')

/** perf profiles (runner/perf-script.ts): Python frames without lines, C frames `symbol (object)` under them. */
const LIB = '/py/lib/libpython3.13.so.1.0'
const PERF_ROOT = `_start (/py/bin/python3.13);${HARNESS.replace(/:\d+\)/g, ')')};_PyEval_EvalFrameDefault (${LIB});work (/w/nbody/workload.py);_PyEval_EvalFrameDefault (${LIB})`
const PERF_A = [`${PERF_ROOT} 80`, `${PERF_ROOT};PyNumber_TrueDivide (${LIB});float_div (${LIB}) 20`].join(
  '\n',
)
/** B is another build (the culprit's prefix): its C frames still match A's by symbol and object kind. */
const PERF_B = PERF_A.replaceAll('/py/', '/py-b/').replace(' 80', ' 40').replace(' 20', ' 60')
const PERF_METADATA = {
  lines: 'none',
  profiler_command: 'perf record -e cpu-clock -F 250 -k 1 --call-graph dwarf,16384 --no-buildid-cache',
  python_options: '-X perf_jit',
  python_frames: 'jitdump (perf inject --jit): every Python frame',
}

function profile(sha: string, stacks: string | null, overrides: Partial<NewProfile> = {}): NewProfile {
  const samples =
    stacks === null ? 0 : stacks.split('\n').reduce((n, l) => n + Number(l.split(' ').at(-1)), 0)
  return {
    machine: 'bench-1',
    environment: null,
    build: exampleBuild(sha.repeat(40).slice(0, 40)),
    workload: { name: 'nbody', version: 'v1' },
    runId: null,
    groupId: 'culprit-1',
    tool: 'py-spy',
    toolVersion: '0.4.2',
    rateHz: 250,
    processes: 1,
    state: stacks === null ? 'unavailable' : 'profiled',
    message: stacks === null ? 'py-spy cannot read PyPy' : null,
    sampleCount: samples,
    stacksGzip: stacks === null ? null : gzipSync(stacks),
    metadata: { lines: 'definition' },
    createdAt: '2024-10-03T00:00:00.000Z',
    ...overrides,
  }
}

describe('profiles and an alert’s culprit profile through the API and the pages', () => {
  let f: Fixture
  let alertId = 0
  let parentId = 0
  let culpritId = 0
  let unavailableId = 0
  const perfIds: number[] = []

  before(async () => {
    f = await setup({ web: createWebRoutes() })
    alertId = await addNbodyAlert(f)
    parentId = (await f.store.addProfile(profile('a', PARENT))).profileId
    culpritId = (await f.store.addProfile(profile('b', CULPRIT))).profileId
    unavailableId = (
      await f.store.addProfile(profile('b', null, { workload: { name: 'richards', version: 'v1' } }))
    ).profileId
    for (const [sha, stacks] of [
      ['c', PERF_A],
      ['d', PERF_B],
    ] as const) {
      const perf = { tool: 'perf', toolVersion: '6.1.187', metadata: PERF_METADATA, groupId: 'perf-1' }
      perfIds.push((await f.store.addProfile(profile(sha, stacks, perf))).profileId)
    }
    const a = await f.store.getProfile(parentId)
    const b = await f.store.getProfile(culpritId)
    const d = profileDifferential(a!, b!)!
    const base = {
      machine: 'bench-1',
      parentCommit: 'a'.repeat(40),
      culpritCommit: 'b'.repeat(40),
      createdAt: '2024-10-03T00:00:01.000Z',
    }
    await f.store.setAlertProfile(alertId, {
      ...base,
      workload: 'nbody',
      parentProfileId: parentId,
      culpritProfileId: culpritId,
      state: 'profiled',
      message: null,
      summary: differentialSummary(d.diff, { timedOnly: d.timedOnly }),
    })
    await f.store.setAlertProfile(alertId, {
      ...base,
      workload: 'richards',
      parentProfileId: null,
      culpritProfileId: unavailableId,
      state: 'unavailable',
      message: `py-spy cannot read PyPy ${HOSTILE}`,
      summary: null,
    })
  })
  after(() => teardown(f))

  test('GET /api/v1/profiles/:id gives the top functions of the timed values, or of every sample with whole=1', async () => {
    const r = await call(f.app, { method: 'GET', url: `/api/v1/profiles/${culpritId}?top=2` })
    assert.equal(r.status, 200, r.raw)
    const view = r.body.view as {
      timedOnly: boolean
      samples: number
      processSamples: number
      functionCount: number
      functions: { name: string; self: number; total: number; selfPercent: number }[]
    }
    assert.equal(view.timedOnly, true)
    assert.equal(view.samples, 100)
    assert.deepEqual(
      view.functions.map((x) => [x.name, x.self, x.total]),
      [
        [HOSTILE, 50, 50],
        ['work', 45, 95],
      ],
    )
    assert.equal(view.functionCount, 5)
    const parent = await call(f.app, { method: 'GET', url: `/api/v1/profiles/${parentId}?whole=1` })
    assert.equal((parent.body.view as { samples: number; timedOnly: boolean }).samples, 125)
    const none = await call(f.app, { method: 'GET', url: `/api/v1/profiles/${unavailableId}` })
    assert.equal(none.body.view, null)
    assert.equal(none.body.message, 'py-spy cannot read PyPy')
    const missing = await call(f.app, { method: 'GET', url: '/api/v1/profiles/999' })
    assert.equal(missing.status, 404)
    assert.match(String(missing.body.message), /Cannot get profile 999: no profile has that id/)
    const list = await call(f.app, { method: 'GET', url: '/api/v1/profiles?workload=nbody' })
    assert.equal(list.body.total, 4)
    const group = await call(f.app, { method: 'GET', url: '/api/v1/profiles?group=culprit-1&workload=nbody' })
    assert.equal(group.body.total, 2)
  })

  test('GET /api/v1/profiles/:id/stacks answers the collapsed stacks as text, /flame the tree', async () => {
    const r = await f.app.inject({ method: 'GET', url: `/api/v1/profiles/${culpritId}/stacks` })
    assert.equal(r.statusCode, 200)
    assert.match(String(r.headers['content-type']), /^text\/plain/)
    assert.equal(r.body, CULPRIT)
    const flame = await call(f.app, { method: 'GET', url: `/api/v1/profiles/${culpritId}/flame` })
    assert.equal(flame.status, 200)
    const root = flame.body.root as { total: number; children: { name: string; total: number }[] }
    assert.equal(root.total, 100)
    assert.deepEqual(
      root.children.map((c) => [c.name, c.total]),
      [['<module>', 100]],
    )
    const none = await call(f.app, { method: 'GET', url: `/api/v1/profiles/${unavailableId}/stacks` })
    assert.equal(none.status, 404)
    assert.match(String(none.body.message), /it has no stacks \(unavailable: py-spy cannot read PyPy\)/)
  })

  test('GET /api/v1/alerts/:id/profiles gives each pair with its differential and headline; the alert lists the pairs', async () => {
    const r = await call(f.app, { method: 'GET', url: `/api/v1/alerts/${alertId}/profiles?top=3` })
    assert.equal(r.status, 200, r.raw)
    const [nbody, richards] = r.body.items as {
      workload: string
      state: string
      headline: string | null
      message: string | null
      differential: {
        rows: { name: string; deltaPoints: number; significant: boolean }[]
        functionCount: number
      } | null
    }[]
    assert.equal(nbody?.workload, 'nbody')
    assert.equal(nbody?.differential?.rows[0]?.name, HOSTILE)
    assert.equal(nbody?.differential?.rows[0]?.deltaPoints, 50)
    assert.equal(nbody?.differential?.rows.length, 3)
    assert.equal(nbody?.differential?.functionCount, 5)
    assert.match(nbody?.headline ?? '', /^\+50\.0 points self time in <script>/)
    assert.equal(richards?.differential, null)
    assert.equal(richards?.headline, null)
    const alert = await call(f.app, { method: 'GET', url: `/api/v1/alerts/${alertId}` })
    assert.deepEqual(
      (alert.body.profiles as { workload: string; state: string }[]).map((p) => [p.workload, p.state]),
      [
        ['nbody', 'profiled'],
        ['richards', 'unavailable'],
      ],
    )
  })

  test('the OpenAPI document has the profile routes, the stacks as text/plain', async () => {
    const doc = await call(f.app, { method: 'GET', url: '/api/v1/openapi.json' })
    const paths = doc.body.paths as Record<
      string,
      Record<string, { responses: Record<string, { content: object }> }>
    >
    for (const p of [
      '/api/v1/profiles',
      '/api/v1/profiles/{id}',
      '/api/v1/profiles/{id}/flame',
      '/api/v1/alerts/{id}/profiles',
    ])
      assert.ok(paths[p]?.get, p)
    assert.deepEqual(
      Object.keys(paths['/api/v1/profiles/{id}/stacks']?.get?.responses['200']?.content ?? {}),
      ['text/plain'],
    )
  })

  test('the alert page shows the differential and links both profiles, every name escaped', async () => {
    const r = await f.app.inject({ method: 'GET', url: `/alerts/${alertId}` })
    assert.equal(r.statusCode, 200)
    assert.ok(r.body.includes('Profile at the culprit'))
    assert.ok(!r.body.includes(HOSTILE), 'no raw tag')
    assert.ok(r.body.includes('&lt;script'))
    assert.ok(
      r.body.includes(`href="/profiles/${culpritId}"`) && r.body.includes(`href="/profiles/${parentId}"`),
    )
    assert.match(r.body, /\+50\.0<\/td>/)
    assert.match(r.body, /Not profiled: py-spy cannot read PyPy &lt;script/)
  })

  test('the profile page has the top functions and a flame graph under the page CSP', async () => {
    const r = await f.app.inject({ method: 'GET', url: `/profiles/${culpritId}` })
    assert.equal(r.statusCode, 200)
    assert.equal(r.headers['content-security-policy'], PAGE_CSP)
    assert.ok(r.body.includes('Top functions') && r.body.includes('Flame graph'))
    assert.ok(r.body.includes('data-island="flame"'))
    assert.match(r.body, /<svg class="flame"/)
    assert.ok(!r.body.includes(HOSTILE))
    assert.ok(!/style="/.test(r.body), 'no inline style: the CSP would refuse it')
    assert.ok(r.body.includes(`href="/api/v1/profiles/${culpritId}/stacks"`))
    const none = await f.app.inject({ method: 'GET', url: `/profiles/${unavailableId}` })
    assert.equal(none.statusCode, 200)
    assert.match(none.body, /Not profiled: py-spy cannot read PyPy/)
    assert.equal((await f.app.inject({ method: 'GET', url: '/profiles/999' })).statusCode, 404)
  })

  test('a perf profile page says how perf ran, names the C functions and draws them apart from Python frames', async () => {
    const [a, b] = perfIds
    const r = await f.app.inject({ method: 'GET', url: `/profiles/${b}` })
    assert.equal(r.statusCode, 200)
    assert.match(r.body, /perf 6\.1\.187 at 250 Hz/)
    assert.ok(r.body.includes(PERF_METADATA.profiler_command), 'the options row')
    assert.ok(r.body.includes('-X perf_jit: jitdump (perf inject --jit): every Python frame'))
    assert.ok(r.body.includes('perf samples C frames too'))
    assert.ok(!r.body.includes('Python frames only'))
    // The top functions: float_div by its object, 60 % self.
    assert.match(
      r.body,
      /float_div<\/th><td[^>]*>lib\/libpython3\.13\.so\.1\.0<\/td><td class="num">60\.0 %<\/td>/,
    )
    const fills = new Map(
      [...r.body.matchAll(/<title>(\S+)[^<]*<\/title><rect[^>]*fill="rgb\((\d+),(\d+),(\d+)\)"/g)].map(
        (m) => [m[1], [Number(m[2]), Number(m[3]), Number(m[4])]],
      ),
    )
    const [cr, , cb] = fills.get('float_div') ?? []
    assert.ok(
      cr !== undefined && cb !== undefined && cb > cr,
      `C frame blue-green: ${fills.get('float_div')}`,
    )
    const [wr, , wb] = fills.get('work') ?? []
    assert.ok(
      wr !== undefined && wb !== undefined && wr > 200 && wb < 60,
      `Python frame warm: ${fills.get('work')}`,
    )
    // The differential of two perf profiles: float_div's self share went 20 % → 60 %, drawn red.
    const d = await f.app.inject({ method: 'GET', url: `/profiles/${b}/against/${a}` })
    assert.equal(d.statusCode, 200)
    const div = /<title>float_div [^<]*<\/title><rect[^>]*fill="([^"]+)"/.exec(d.body)
    assert.match(div?.[0] ?? '', /self A 20\.0 % → B 60\.0 % \(\+40\.0 points\)/)
    assert.equal(div?.[1], 'rgb(250,60,60)')
  })

  test("the differential flame graph colours the culprit's new frame red and the frames it shrank blue", async () => {
    const alert = await f.app.inject({ method: 'GET', url: `/alerts/${alertId}` })
    const href = `/profiles/${culpritId}/against/${parentId}`
    assert.ok(alert.body.includes(`href="${href}"`), 'the alert page links it')
    const r = await f.app.inject({ method: 'GET', url: href })
    assert.equal(r.statusCode, 200)
    assert.equal(r.headers['content-security-policy'], PAGE_CSP)
    assert.ok(r.body.includes('Differential flame graph') && r.body.includes('data-island="flame"'))
    assert.ok(!r.body.includes(HOSTILE))
    // Each frame: <title>name … self A x → B y (±z points) …</title><rect … fill=…>.
    const frames = [...r.body.matchAll(/<title>([^<]*)<\/title><rect[^>]*fill="([^"]+)"/g)].map((m) => ({
      title: m[1] ?? '',
      fill: m[2] ?? '',
    }))
    const hook = frames.find((x) => x.title.startsWith('&lt;script'))
    assert.ok(hook, JSON.stringify(frames.map((x) => x.title.slice(0, 30))))
    // The hook is half of the culprit's samples and none of the parent's: the largest change, darkest red.
    assert.match(hook.title, /self A 0\.0 % → B 50\.0 % \(\+50\.0 points\)/)
    assert.equal(hook.fill, 'rgb(250,60,60)')
    const work = frames.find((x) => x.title.startsWith('work '))
    assert.match(work?.title ?? '', /self A 90\.0 % → B 45\.0 % \(−45\.0 points\)/)
    assert.match(work?.fill ?? '', /^rgb\((\d+),\1,250\)$/, 'blue')
    const none = await f.app.inject({ method: 'GET', url: `/profiles/${unavailableId}/against/${parentId}` })
    assert.equal(none.statusCode, 200)
    assert.match(none.body, /was not profiled: py-spy cannot read PyPy/)
    assert.equal(
      (await f.app.inject({ method: 'GET', url: `/profiles/${culpritId}/against/x` })).statusCode,
      400,
    )
    assert.equal(
      (await f.app.inject({ method: 'GET', url: `/profiles/999/against/${parentId}` })).statusCode,
      404,
    )
  })
})
