import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { type ApiClient, documentToRun, exampleRunDocument, LangperfRunDocumentSchema } from '../api/index.ts'
import { buildServer } from '../server/index.ts'
import {
  type ChangeInput,
  exampleBuild,
  exampleCountChange,
  exampleRunWithResults,
  exampleWarmupRun,
  openSqliteStore,
  type Store,
} from '../store/index.ts'
import { createWebRoutes, renderSite } from '../web/index.ts'

// The release comparisons, the matrix's default question and the machine page of imported runs,
// through the server on a small seeded store: cpython 3.12.0, 3.13.0 and a 3.14 dev build on
// "big-box" (the machine with the most runs), 3.13.0 only on "small-box", and pyperf-like
// metadata whose kernel and CPU configuration change between runs.

interface Seeded {
  readonly store: Store
  readonly app: FastifyInstance
  readonly api: ApiClient
}

function run(opts: {
  machine: string
  version: string
  day: number
  meanS: number
  config?: string
  metadata?: Record<string, string>
}) {
  const day = String(opts.day).padStart(2, '0')
  const doc = exampleRunDocument({
    machine: opts.machine,
    version: opts.version,
    config: opts.config ?? 'default',
    commitSha: `${(0xbeef00 + opts.day).toString(16)}${'0'.repeat(34)}`.slice(0, 40),
    startedAt: `2024-10-${day}T10:00:00Z`,
    meanS: opts.meanS,
    processes: 6,
    branch: null,
  })
  const withMeta = { ...doc, run: { ...doc.run, metadata: opts.metadata ?? {} } }
  return documentToRun(LangperfRunDocumentSchema.parse(withMeta))
}

const PYPERF_META = {
  cpu_model_name: 'Intel(R) Xeon(R) CPU E3-1220 v5',
  cpu_count: '4',
  hostname: 'speed-python',
  python_compiler: 'GCC 11.2',
}

async function seed(): Promise<Seeded> {
  const store = await openSqliteStore(':memory:')
  await store.insertRuns([
    run({
      machine: 'big-box',
      version: '3.12.0',
      day: 1,
      meanS: 0.02,
      metadata: { ...PYPERF_META, platform: 'Linux-5.15', cpu_config: 'isolated=2-3' },
    }),
    run({
      machine: 'big-box',
      version: '3.13.0',
      day: 2,
      meanS: 0.01,
      metadata: { ...PYPERF_META, platform: 'Linux-6.1', cpu_config: 'isolated=2-3' },
    }),
    run({
      machine: 'big-box',
      version: '3.13.0',
      day: 3,
      meanS: 0.01,
      metadata: { ...PYPERF_META, platform: 'Linux-6.1', cpu_config: 'isolated=1-3' },
    }),
    run({
      machine: 'big-box',
      version: '3.14.0a1+',
      day: 4,
      meanS: 0.01,
      metadata: { ...PYPERF_META, platform: 'Linux-6.1', cpu_config: 'isolated=1-3' },
    }),
    run({ machine: 'small-box', version: '3.13.0', day: 5, meanS: 0.01 }),
  ])
  let api: ApiClient | undefined
  const web = createWebRoutes()
  const app = await buildServer(store, {
    web: {
      register: async (a, context) => {
        api = context.api
        await web.register(a, context)
      },
    },
  })
  assert.ok(api)
  return { store, app, api }
}

async function get(app: FastifyInstance, url: string): Promise<{ status: number; body: string }> {
  const res = await app.inject({ method: 'GET', url })
  return { status: res.statusCode, body: res.body }
}

describe('release, matrix and machine pages', () => {
  let s: Seeded
  before(async () => {
    s = await seed()
  })
  after(async () => {
    await s.app.close()
    await s.store.close()
  })

  test('/releases lists each pair of consecutive releases measured on a machine, linked from the overview', async () => {
    const overview = await get(s.app, '/')
    assert.match(overview.body, /href="\/releases"/)
    const index = await get(s.app, '/releases')
    assert.equal(index.status, 200)
    assert.match(index.body, /href="\/releases\/cpython\/3\.12\.0\/3\.13\.0"/)
    // A dev build is no release, and small-box measured only one release.
    assert.doesNotMatch(index.body, /3\.14\.0a1/)
    assert.doesNotMatch(index.body, /small-box/)
  })

  test('a release page shows the geometric mean per machine and config and the table by workload', async () => {
    const page = await get(s.app, '/releases/cpython/3.12.0/3.13.0')
    assert.equal(page.status, 200)
    assert.match(page.body, /cpython 3\.12\.0 → 3\.13\.0/)
    assert.match(page.body, /big-box/)
    // The newest complete run of 3.13.0 on big-box is the third run (day 3).
    const runs = await s.api.listRuns({ query: { machine: 'big-box', limit: 10 } })
    const newest313 = runs.items.find(
      (r) => r.build.version === '3.13.0' && r.startedAt.startsWith('2024-10-03'),
    )
    assert.ok(newest313)
    assert.match(page.body, new RegExp(`href="/runs/${newest313.id}"`))
    // Twice as fast: 0.5 and ▼ faster, in the geometric mean and for each workload.
    assert.match(page.body, /0\.500/)
    assert.match(page.body, /faster/)
    assert.match(page.body, /compare-table/)
    for (const w of ['nbody', 'richards', 'json_dumps']) assert.match(page.body, new RegExp(w))
    const missing = await get(s.app, '/releases/cpython/3.11.0/3.13.0')
    assert.equal(missing.status, 404)
  })

  test('a release page is made once per state of the runs, and again when a run arrives', async () => {
    const fresh = await seed()
    try {
      let compares = 0
      const compare = fresh.api.compare.bind(fresh.api)
      Object.assign(fresh.api, {
        compare: (...args: Parameters<typeof compare>) => {
          compares++
          return compare(...args)
        },
      })
      const url = '/releases/cpython/3.12.0/3.13.0'
      const first = await get(fresh.app, url)
      assert.ok(compares > 0, 'made')
      const made = compares
      const again = await get(fresh.app, url)
      assert.equal(compares, made, 'kept: no comparison asked again')
      assert.equal(again.body, first.body)
      // A faster 3.13.0 run arrives: the page is made again and shows it.
      await fresh.store.insertRuns([run({ machine: 'big-box', version: '3.13.0', day: 9, meanS: 0.0025 })])
      const after = await get(fresh.app, url)
      assert.ok(compares > made, 'made again')
      assert.notEqual(after.body, first.body)
      assert.match(after.body, /0\.125×/)
    } finally {
      await fresh.app.close()
      await fresh.store.close()
    }
  })

  test('the matrix defaults to the machine with the most runs against its oldest release, and says so', async () => {
    const page = await get(s.app, '/matrix')
    assert.equal(page.status, 200)
    assert.match(page.body, /Machine <strong>big-box<\/strong>/)
    assert.match(page.body, /baseline <strong>cpython 3\.12\.0/)
    assert.doesNotMatch(page.body, /<th[^>]*>[^<]*<div class="small muted">small-box/)
    const other = await get(s.app, '/matrix?machine=small-box')
    assert.match(other.body, /Machine <strong>small-box<\/strong>/)
    assert.match(other.body, /<form[^>]*action="\/matrix"/)
  })

  test('a machine without a fingerprint shows the imported metadata and when it changed', async () => {
    const page = await get(s.app, '/machines/big-box')
    assert.equal(page.status, 200)
    assert.match(page.body, /imported metadata/)
    assert.match(page.body, /Intel\(R\) Xeon\(R\) CPU E3-1220 v5/)
    assert.match(page.body, /speed-python/)
    assert.match(page.body, /GCC 11\.2/)
    assert.match(page.body, /Environment changes/)
    assert.match(page.body, /Linux-5\.15 → Linux-6\.1/)
    assert.match(page.body, /isolated=2-3 → isolated=1-3/)
  })

  test('the static report writes the releases index and every release page', async () => {
    const out = mkdtempSync(join(tmpdir(), 'langperf-pages-'))
    const report = await renderSite(s.api, out)
    assert.ok(report.pages.includes('releases.html'))
    const release = report.pages.find((p) => p.startsWith('releases/'))
    assert.ok(release, 'a release page is written')
    assert.match(readFileSync(join(out, release), 'utf8'), /3\.12\.0 → 3\.13\.0/)
  })
})

describe('the agents page and silent machines', () => {
  let s: Seeded
  before(async () => {
    s = await seed()
    // Two agents: big-box measuring, small-box idle and silent (an open alert), and an older cleared alert.
    await s.store.registerAgent({ machine: 'big-box', tokenId: 1, info: {}, at: '2024-10-06T00:00:00Z' })
    await s.store.registerAgent({ machine: 'small-box', tokenId: 2, info: {}, at: '2024-10-01T00:00:00Z' })
    await s.store.touchAgent('big-box', { state: 'building', at: '2024-10-06T01:00:00Z', finished: 'done' })
    const old = await s.store.raiseMachineAlert({
      machine: 'big-box',
      kind: 'silent',
      since: '2024-09-01T00:00:00Z',
      at: '2024-09-03T00:00:00Z',
      detail: { pendingJobs: 1 },
    })
    await s.store.clearMachineAlerts('big-box', { at: '2024-09-04T00:00:00Z', reason: `run 1 arrived` })
    assert.ok(old.raised)
    await s.store.raiseMachineAlert({
      machine: 'small-box',
      kind: 'silent',
      since: '2024-10-05T10:00:00Z',
      at: '2024-10-07T00:00:00Z',
      detail: { pendingJobs: 4, lastSeenAt: '2024-10-05T10:05:00Z' },
    })
  })
  after(async () => {
    await s.app.close()
    await s.store.close()
  })

  test('/agents lists each agent with its state, last seen, last result, queue and jobs, linked from the menu', async () => {
    const page = await get(s.app, '/agents')
    assert.equal(page.status, 200)
    assert.match(page.body, /<a href="\/agents" aria-current="page">Agents<\/a>/)
    const row = (machine: string) =>
      new RegExp(`<tr[^>]*data-agent="${machine}"[^>]*>([\\s\\S]*?)</tr>`).exec(page.body)?.[1] ?? ''
    assert.match(row('big-box'), /building/)
    assert.match(row('big-box'), /2024-10-06 01:00/)
    // Its newest run started on day 4.
    assert.match(row('big-box'), /2024-10-04 10:00/)
    assert.match(row('small-box'), /silent/)
    assert.match(row('small-box'), /idle/)
    assert.match(page.body, /no results since 2024-10-05 10:00 UTC \(38 h when raised\)/)
    assert.match(page.body, /run 1 arrived/)
    const machine = await get(s.app, '/machines/big-box')
    assert.match(machine.body, /href="\/agents"/)
  })

  test('the alerts page shows the open machine alerts above the alerts about commits', async () => {
    const page = await get(s.app, '/alerts')
    assert.match(page.body, /Silent machines \(1\)/)
    assert.match(page.body, /4 job\(s\) waiting; agent seen 2024-10-05 10:05/)
    assert.doesNotMatch(page.body, /run 1 arrived/)
  })

  test('the static report writes the agents page', async () => {
    const out = mkdtempSync(join(tmpdir(), 'langperf-pages-'))
    const report = await renderSite(s.api, out)
    assert.ok(report.pages.includes('agents.html'))
    assert.match(readFileSync(join(out, 'agents.html'), 'utf8'), /small-box/)
  })
})

describe("a server workload's metrics on the timeline and compare pages", () => {
  test('the timeline offers requests/s and latency beside the value; compare shows them under the row', async () => {
    const store = await openSqliteStore(':memory:')
    const withHttp = (sha: string, day: number, rps: number[]) => {
      const r = exampleRunWithResults(
        {
          startedAt: `2024-10-0${day}T10:00:00Z`,
          build: exampleBuild(sha.padEnd(40, '0'), { commitDateUtc: `2024-10-0${day}T08:00:00Z` }),
        },
        { workloads: ['django_feed'], result: { processes: 3 } },
      )
      const [result] = r.results
      const http = { requests_per_s: rps, latency_p99_ms: rps.map((x) => 12_000 / x) }
      return { ...r, results: [{ ...result!, metadata: { http } }] }
    }
    const [a, b] = await store.insertRuns([
      withHttp('aaaa', 1, [400, 410, 405]),
      withHttp('bbbb', 2, [480, 490, 470]),
    ])
    const app = await buildServer(store, { web: createWebRoutes() })
    try {
      const url = '/timeline?machine=bench-1&runtime=cpython&config=pgo-lto&branch=main&workload=django_feed'
      const value = await get(app, url)
      assert.equal(value.status, 200, value.body.slice(0, 500))
      assert.match(value.body, /<nav class="metric-choice small"/)
      assert.match(value.body, /href="[^"]*metric=requests_per_s"[^>]*>Requests\/s \(saturation\)</)
      assert.match(value.body, /Each point is the mean of its process means/)
      const rps = await get(app, `${url}&metric=requests_per_s`)
      assert.equal(rps.status, 200, rps.body.slice(0, 500))
      assert.match(rps.body, /<strong aria-current="page">Requests\/s \(saturation\)<\/strong>/)
      assert.match(
        rps.body,
        /mean of its processes&#39; Requests\/s \(saturation\) \(request\/s\)|mean of its processes' Requests\/s \(saturation\) \(request\/s\)/,
      )
      assert.match(rps.body, /"unit":"request\/s"/)
      assert.equal((await get(app, `${url}&metric=latency_p50_ms`)).status, 404)
      assert.equal((await get(app, `${url}&metric=${encodeURIComponent('"><x')}`)).status, 400)
      const compare = await get(app, `/compare?base=${a}&candidate=${b}`)
      assert.equal(compare.status, 200)
      assert.equal(compare.body.match(/class="metric-row"/g)?.length, 2)
      assert.match(compare.body, /Requests\/s \(saturation\)/)
    } finally {
      await app.close()
      await store.close()
    }
  })
})

describe('the run page of a warm-up series', () => {
  test('shows each workload’s warm-up class and one iteration plot per process, with no inline style', async () => {
    const store = await openSqliteStore(':memory:')
    const [id] = await store.insertRuns([exampleWarmupRun()])
    const app = await buildServer(store, { web: createWebRoutes() })
    try {
      const page = await get(app, `/runs/${id}`)
      assert.equal(page.status, 200)
      assert.match(page.body, /<h2>Warm-up<\/h2>/)
      assert.match(
        page.body,
        /href="#warmup-jit_warm">jit_warm<\/a><\/th><td><strong>warm-up<\/strong><\/td><td>4 warm-up<\/td>/,
      )
      assert.match(
        page.body,
        /<strong>bad inconsistent<\/strong><\/td><td>3 flat, 1 no steady state<\/td><td colspan="3">no steady state \(1 of 4 processes never settled\)/,
      )
      // 3 workloads × 4 processes, each an SVG with its class and a line through its 120 iterations.
      assert.equal(page.body.match(/<figure class="small-multiple" data-process=/g)?.length, 12)
      assert.equal(page.body.match(/data-class="no-steady-state"/g)?.length, 1)
      assert.match(page.body, /aria-label="Process 1: warm-up, steady from iteration 21; 120 iterations/)
      assert.doesNotMatch(page.body, /style=/)
      assert.doesNotMatch(page.body, /<script(?![^>]*src=)[^>]*>[^<]/)
    } finally {
      await app.close()
      await store.close()
    }
  })
})

test('the run page shows each result’s peak memory, – where it was not measured', async () => {
  const store = await openSqliteStore(':memory:')
  const r = exampleRunWithResults({}, { workloads: ['nbody', 'richards'] })
  const [nbody, richards] = r.results
  const [id] = await store.insertRuns([
    { ...r, results: [{ ...nbody!, metadata: { peak_rss_bytes: 12_345_678 } }, richards!] },
  ])
  const app = await buildServer(store, { web: createWebRoutes() })
  try {
    const page = await get(app, `/runs/${id}`)
    assert.equal(page.status, 200)
    assert.match(page.body, /peak memory<\/th>/)
    assert.match(page.body, />nbody<\/a><\/th>.*?<td class="num">12\.3 MB<\/td><\/tr>/s)
    assert.match(page.body, />richards<\/a><\/th>(?:(?!<\/tr>).)*<td class="num">–<\/td><\/tr>/s)
  } finally {
    await app.close()
    await store.close()
  }
})

test('the run page warns when other work took the CPU its workers were pinned to, and not otherwise', async () => {
  const store = await openSqliteStore(':memory:')
  const r = exampleRunWithResults()
  const at = (share: number) => ({
    ...r,
    run: { ...r.run, metadata: { ...r.run.metadata, cpu_list: '1', pinned_cpus_other_share: share } },
  })
  const [busy, idle] = await store.insertRuns([at(0.4), at(0.02)])
  const app = await buildServer(store, { web: createWebRoutes() })
  try {
    const page = await get(app, `/runs/${busy}`)
    assert.equal(page.status, 200)
    assert.match(
      page.body,
      /<strong>Busy CPU:<\/strong> other work took 40 % of CPU 1, where the workers were pinned/,
    )
    assert.match(page.body, /up to ×1\.7 slow/)
    assert.doesNotMatch((await get(app, `/runs/${idle}`)).body, /Busy CPU/)
  } finally {
    await app.close()
    await store.close()
  }
})

describe('an alert with an instruction-count change', () => {
  test('its page and the alerts list say "instruction count +3.2 % (exact)", time changes keep their interval', async () => {
    const s = await seed()
    try {
      const [good, bad] = (await s.store.listRuns({ machine: 'big-box', order: 'stored' })).rows
        .filter((r) => r.build.version !== '3.12.0')
        .slice(-2)
        .reverse()
      assert.ok(good && bad)
      const end = async (runId: number) => {
        const [r] = await s.store.getResults(runId)
        const run = (await s.store.getRun(runId))!
        return {
          buildId: run.build.id,
          resultId: r!.id,
          commitSha: run.build.commitSha,
          workload: r!.workload,
        }
      }
      const g = await end(good.id)
      const b = await end(bad.id)
      const time: ChangeInput = {
        kind: 'commit',
        series: {
          machine: 'big-box',
          runtime: good.build.runtime,
          config: 'default',
          branch: null,
          workload: g.workload.name,
          workloadVersion: g.workload.version,
        },
        lastGood: { buildId: g.buildId, resultId: g.resultId, commitSha: g.commitSha },
        firstBad: { buildId: b.buildId, resultId: b.resultId, commitSha: b.commitSha },
        direction: 'regression',
        status: 'confirmed',
        unit: 'second',
        ratio: 1.2,
        ratioLow: 1.18,
        ratioHigh: 1.22,
        pValue: 1e-6,
        details: {},
      }
      const out = await s.store.applyDetection({
        changes: [time, exampleCountChange(time, 1.032)],
        withdrawn: [],
        at: '2024-11-01T00:00:00.000Z',
      })
      const page = await get(s.app, `/alerts/${out.newAlertIds[0]}`)
      assert.equal(page.status, 200)
      assert.match(page.body, /instruction count \+3\.2 % \(exact\)/)
      assert.match(page.body, /\[1\.180, 1\.220\]/, 'the time change keeps its interval')
      const list = await get(s.app, '/alerts')
      assert.match(list.body, /1\.200× \(\+20 %\)/, 'the largest change, a time change, as before')
    } finally {
      await s.app.close()
      await s.store.close()
    }
  })
})
