import assert from 'node:assert/strict'
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { pathToFileURL } from 'node:url'
import { documentToRun, LangperfRunDocumentSchema } from '../api/index.ts'
import { buildServer } from '../server/index.ts'
import { exampleRunWithResults, openSqliteStore } from '../store/index.ts'
import { createWebRoutes, PAGE_CSP, renderSite } from '../web/index.ts'
import { COMMIT_URL, HOSTILE, pages, repo, type Seeded, seed, syntheticRuns } from './dashboard-seed.ts'
import { main } from './main.ts'

// The dashboard end to end, on a seeded SQLite database: the real pyperf files of CPython's
// history in shared/data (8 runs), a synthetic series with a 25 % step so detection records an
// alert, and hostile names (markup in a workload name, a commit message, metadata, a failure
// message). Every page is rendered through the server (status, CSP, escaping), the static report
// is written and its links checked, and Debian's Chromium (driven by playwright-core) loads every
// page, goes overview → timeline → comparison, triages an alert and saves screenshots under
// test-artifacts/dashboard/.

const CHROMIUM = '/usr/bin/chromium'
const SHOTS = join(repo, 'test-artifacts', 'dashboard')

describe('dashboard pages on a seeded database', () => {
  let s: Seeded
  before(async () => {
    s = await seed()
  })
  after(async () => {
    await s.app.close()
    await s.store.close()
  })

  test('every page answers 200 with a strict CSP and shows hostile strings only as text', async () => {
    for (const [name, url] of pages(s)) {
      const r = await s.app.inject({ method: 'GET', url })
      assert.equal(r.statusCode, 200, `${name} ${url}: ${r.body.slice(0, 500)}`)
      assert.equal(r.headers['content-security-policy'], PAGE_CSP)
      assert.match(String(r.headers['content-type']), /^text\/html/)
      const html = r.body
      assert.doesNotMatch(
        html,
        /<script>alert|<img src=x|onerror="window/,
        `${name}: markup from data is escaped`,
      )
      // The only script elements: island data (JSON) and the bundle; no inline code.
      for (const tag of html.match(/<script[^>]*>/g) ?? []) {
        assert.match(
          tag,
          /^<script (type="application\/json" id="[\w-]+"|src="\/assets\/islands\.js\?v=[0-9a-f]+" defer)>$/,
        )
      }
      assert.doesNotMatch(html, /<[^>]*\son[a-z]+=/i, `${name}: no inline event handlers`)
    }
    const run = await s.app.inject({ method: 'GET', url: `/runs/${s.runIds[s.runIds.length - 1]}` })
    assert.match(run.body, /Fix &lt;script>alert\(1\)&lt;\/script> &amp; &lt;img|Fix &lt;script&gt;alert/)
    assert.match(run.body, /Worker died: &lt;img/)
    assert.match(run.body, /✗ failed/)
    const compare = await s.app.inject({
      method: 'GET',
      url: `/compare?base=${s.runIds[0]}&candidate=${s.runIds[1]}`,
    })
    assert.match(
      compare.body,
      /"workload":"\\u003cscript\\u003ealert\(1\)\\u003c\/script\\u003e"/,
      'island JSON escapes <',
    )
  })

  test('the overview, compare and alert pages carry the numbers and links they promise', async () => {
    const overview = (await s.app.inject({ method: 'GET', url: '/' })).body
    assert.match(overview, /ci-box/)
    assert.match(overview, /<svg class="spark"/)
    assert.match(overview, /href="https:\/\/github\.com\/python\/cpython\/commit\/abc00b0{34}"/)
    const alert = (await s.app.inject({ method: 'GET', url: `/alerts/${s.alertId}` })).body
    assert.match(alert, /nbody/)
    assert.match(alert, /href="\/compare\?base=\d+&amp;candidate=\d+">across the change/)
    const last = s.runIds[s.runIds.length - 1]!
    const compare = (
      await s.app.inject({ method: 'GET', url: `/compare?base=${s.runIds[0]}&candidate=${last}` })
    ).body
    assert.match(compare, /Geometric mean/)
    assert.match(
      compare,
      /\| nbody \| 10\.0 ms \| 12\.\d ms \| 1\.2\d\d× \|/,
      'the Markdown export is on the page',
    )
    assert.match(compare, /▲<\/span> slower/)
    const tagged = (
      await s.app.inject({ method: 'GET', url: `/compare?base=${s.runIds[0]}&candidate=${last}&tag=micro` })
    ).body
    assert.match(tagged, /of workloads tagged micro/)
  })

  test('the workloads index groups every series by workload with its noise floor and latest change', async () => {
    const home = (await s.app.inject({ method: 'GET', url: '/workloads' })).body
    assert.match(home, /<a href="\/workloads" aria-current="page">Workloads<\/a>/, 'in the menu')
    assert.match(home, /Series 1–200 of \d+ \(\d+ workloads on this page\)/, 'a page of the seeded series')
    // nbody's series are past the first page (the index is ordered by workload): searched for.
    const index = (await s.app.inject({ method: 'GET', url: '/workloads?q=nbody' })).body
    assert.match(index, /<th scope="rowgroup" colspan="6">nbody <span class="muted small">v v1<\/span>/)
    // The ci-box nbody series: linked to its timeline, its ±0.3 % noise and the 25 % step detected.
    const row = index.match(
      /<tr><th scope="row" class="name"><a href="(\/timeline\?[^"]*workload=nbody[^"]*)">cpython · jit · main · ci-box<\/a>[\s\S]*?<\/tr>/,
    )
    assert.ok(row, 'a row for nbody on ci-box')
    assert.match(
      row[1]!,
      /machine=ci-box&amp;runtime=cpython&amp;config=jit&amp;branch=main&amp;workload=nbody&amp;version=v1/,
    )
    assert.match(row[0], /<td class="num" title="from 11 differences">± 0\.\d %<\/td>/)
    assert.match(row[0], /href="\/alerts\/\d+"><span aria-hidden="true">▲<\/span> regression \+25 %/)
    assert.match(row[0], /<svg class="spark"/)
    const searched = (await s.app.inject({ method: 'GET', url: '/workloads?q=NBOD' })).body
    assert.match(searched, /value="NBOD"/)
    assert.doesNotMatch(searched, /richards/)
    assert.match(searched, /\d+ series of \d+ workloads? matching “NBOD”/)
    // The tag filter keeps the workloads with that tag (the synthetic runs tag theirs "micro").
    const tagged = (await s.app.inject({ method: 'GET', url: '/workloads?tag=micro' })).body
    assert.match(
      tagged,
      /<option value="micro" selected="">micro<\/option>|<option value="micro" selected>micro<\/option>/,
    )
    assert.match(tagged, /cpython · jit · main · ci-box/)
    assert.doesNotMatch(tagged, /v pyperformance/)
    const hostile = (
      await s.app.inject({ method: 'GET', url: `/workloads?q=${encodeURIComponent(HOSTILE)}` })
    ).body
    assert.doesNotMatch(hostile, /<script>alert/)
    const tooLong = await s.app.inject({ method: 'GET', url: `/workloads?q=${'x'.repeat(101)}` })
    assert.equal(tooLong.statusCode, 400)
    assert.match(
      tooLong.body,
      /query parameter &quot;q&quot; is longer than 100 characters|query parameter "q" is longer/,
    )
    // A timeline without a whole series is the index, searching for the workload when named.
    const bare = await s.app.inject({ method: 'GET', url: '/timeline' })
    assert.equal(bare.statusCode, 302)
    assert.equal(bare.headers.location, '/workloads')
    const named = await s.app.inject({ method: 'GET', url: '/timeline?workload=nbody&machine=ci-box' })
    assert.equal(named.headers.location, '/workloads?q=nbody')
  })

  test('a server pages the workloads index by 200 series, keeping the search', async () => {
    const store = await openSqliteStore(':memory:')
    const app = await buildServer(store, { web: createWebRoutes() })
    try {
      const names = Array.from({ length: 205 }, (_, i) => `w${String(i).padStart(3, '0')}`)
      await store.insertRuns([exampleRunWithResults({}, { workloads: names })])
      const first = (await app.inject({ method: 'GET', url: '/workloads' })).body
      assert.match(first, /Series 1–200 of 205 \(200 workloads on this page\)/)
      assert.match(first, /w199/)
      assert.doesNotMatch(first, /w200/)
      assert.match(first, /<a href="\/workloads\?offset=200">next 5 →<\/a>/)
      const second = (await app.inject({ method: 'GET', url: '/workloads?offset=200' })).body
      assert.match(second, /Series 201–205 of 205/)
      assert.match(second, /w204/)
      assert.doesNotMatch(second, /w199/)
      assert.match(second, /<a href="\/workloads">← previous 200<\/a>/)
      const searched = (await app.inject({ method: 'GET', url: '/workloads?q=w20' })).body
      assert.match(searched, /5 series of 5 workloads matching “w20”/)
      assert.doesNotMatch(searched, /class="pager"/)
      const bad = await app.inject({ method: 'GET', url: '/workloads?offset=-1' })
      assert.equal(bad.statusCode, 400)
    } finally {
      await app.close()
      await store.close()
    }
  })

  test("a machine page shows its farm agent's state, jobs and queue; a machine without one shows none", async () => {
    const store = await openSqliteStore(':memory:')
    const app = await buildServer(store, { web: createWebRoutes() })
    try {
      await store.insertRuns([
        exampleRunWithResults({}, { workloads: ['nbody'] }),
        exampleRunWithResults({ machine: 'bench-2' }, { workloads: ['nbody'] }),
      ])
      await store.registerAgent({ machine: 'bench-1', tokenId: 1, info: {}, at: '2024-10-01T10:00:00Z' })
      await store.touchAgent('bench-1', { state: 'measuring', at: '2024-10-01T11:00:00Z' })
      const page = (await app.inject({ method: 'GET', url: '/machines/bench-1' })).body
      assert.match(page, /<h2>Farm agent<\/h2>/)
      assert.match(page, /measuring/)
      assert.match(page, /0 waiting, 0 running, 0 delayed, 0 failed/)
      const other = (await app.inject({ method: 'GET', url: '/machines/bench-2' })).body
      assert.doesNotMatch(other, /Farm agent/)
    } finally {
      await app.close()
      await store.close()
    }
  })

  test('/compare alone picks the two newest builds of one runtime on one machine; the threshold decides the verdict', async () => {
    const picker = (await s.app.inject({ method: 'GET', url: '/compare' })).body
    assert.match(picker, /<a href="\/compare" aria-current="page">Compare<\/a>/, 'in the menu')
    const base = picker.match(/<input name="base" value="(\d+)"/)?.[1]
    const candidate = picker.match(/<input name="candidate" value="(\d+)"/)?.[1]
    assert.ok(base !== undefined && candidate !== undefined, 'both fields filled in with run ids')
    const [b, c] = await Promise.all([s.store.getRun(Number(base)), s.store.getRun(Number(candidate))])
    assert.ok(b && c)
    assert.equal(b.machine, c.machine)
    assert.equal(b.build.runtime, c.build.runtime)
    assert.equal(b.build.config, c.build.config)
    assert.notEqual(b.build.id, c.build.id)
    assert.equal(
      c.id,
      (await s.store.listRuns({ status: 'complete', limit: 1 })).rows[0]?.id,
      'the newest run',
    )
    assert.match(picker, /name="threshold" type="number"[^>]* value="1"/)
    assert.match(picker, /<datalist id="compare-suggestions"><option value="latest"/)
    assert.match(picker, /<form class="picker" method="get" action="\/compare">/)
    const prefilled = (await s.app.inject({ method: 'GET', url: '/compare?base=3.12.0&threshold=5' })).body
    assert.match(prefilled, /<input name="base" value="3\.12\.0"/)
    assert.match(prefilled, /value="5"/)
    // nbody is 25 % slower from first to last: slower at the default 1 %, "=" at a 30 % threshold.
    const first = s.runIds[0]
    const last = s.runIds[s.runIds.length - 1]
    const strict = (
      await s.app.inject({ method: 'GET', url: `/compare?base=${first}&candidate=${last}&threshold=30` })
    ).body
    assert.match(
      strict,
      /\| nbody \| 10\.0 ms \| 12\.\d ms \| 1\.2\d\d× \| \[[\d.]+, [\d.]+\] \| \+2\d % \| = same \|/,
    )
    assert.match(strict, /changes under 30 % are not called/)
    assert.match(strict, /moved by at least <!-- -->30 %|moved by at least 30 %/)
    assert.match(
      strict,
      /<input type="hidden" name="threshold" value="30"\/>|name="threshold"[^>]*value="30"/,
    )
  })

  test('an alert page draws the moved series around the blame range, says the bisection and lists similar alerts', async () => {
    const get = async () => (await s.app.inject({ method: 'GET', url: `/alerts/${s.alertId}` })).body
    const page = await get()
    assert.match(page, /<h2>Commits in the range<\/h2>/)
    assert.match(
      page,
      /Commits not listed: Runtime (&quot;|")cpython(&quot;|") is not in the server's configuration/,
    )
    assert.match(page, /<h2>The moved series<\/h2>/)
    assert.match(page, /<figure class="small-multiple" data-workload="nbody">/)
    assert.match(
      page,
      /<svg class="sm-chart"[^>]*aria-label="nbody on ci-box · jit: \+25 %; \d+ builds, the blame range shaded"/,
    )
    assert.match(page, /<rect class="blame-band" x="[\d.]+" y="0" width="[\d.]+"/)
    assert.match(page, /<h2>Paired runs<\/h2>/)
    assert.match(page, /<h2>Similar alerts \(\d+\)<\/h2>/)
    // Only ci-box measures the jit config here: the section says so.
    assert.match(
      page,
      /<h2>On other machines<\/h2>\s*<p class="small muted">No other machine measures these workloads/,
    )
    assert.match(page, /not bisected/)
    const before = await s.store.getAlert(s.alertId)
    try {
      await s.store.setAlertCulprit(s.alertId, {
        commit: 'abc0060000000000000000000000000000000000',
        note: `confirmed against its parent ${HOSTILE}`,
        at: '2024-11-02T00:00:00.000Z',
      })
      const bisected = await get()
      assert.match(
        bisected,
        /culprit <a class="sha" href="https:\/\/github\.com\/python\/cpython\/commit\/abc006/,
      )
      assert.match(
        bisected,
        /confirmed against its parent &lt;script>|confirmed against its parent &lt;script&gt;/,
      )
      assert.doesNotMatch(bisected, /<script>alert/)
    } finally {
      await s.store.setAlertCulprit(s.alertId, {
        commit: before?.culpritCommit ?? null,
        note: before?.culpritNote ?? '',
        at: '2024-11-02T00:00:00.000Z',
      })
    }
  })

  test('the alerts list filters with a GET form and shows the first bad build’s commit date', async () => {
    const get = async (url: string) => {
      const r = await s.app.inject({ method: 'GET', url })
      assert.equal(r.statusCode, 200, r.body.slice(0, 500))
      return r.body
    }
    const all = await get('/alerts')
    assert.match(all, /<form class="picker alert-filters" method="get" action="\/alerts">/)
    assert.match(all, /committed 2024-10-07/, 'the 7th build is the first at the new level')
    const rowOf = (html: string) => new RegExp(`data-alert="${s.alertId}"`).test(html)
    assert.ok(rowOf(all))
    const kept = await get('/alerts?machine=ci-box&config=jit&kind=commit&direction=regression&minChange=20')
    assert.ok(rowOf(kept), 'a 25 % step passes a 20 % minimum')
    assert.match(kept, /<h2>Matching \(\d+\)<\/h2>/)
    assert.match(kept, /<option value="commit" selected/)
    assert.match(kept, /name="minChange" type="number"[^>]* value="20"/)
    assert.ok(!rowOf(await get('/alerts?machine=ci-box&minChange=30')), 'not a 30 % minimum')
    assert.ok(!rowOf(await get('/alerts?to=2024-10-06')), 'committed after the range')
    assert.ok(rowOf(await get('/alerts?from=2024-10-07&to=2024-10-07')))
    assert.ok(!rowOf(await get('/alerts?triage=fixed')))
    const bad = await s.app.inject({ method: 'GET', url: '/alerts?minChange=lots' })
    assert.equal(bad.statusCode, 400)
    assert.match(bad.body, /query parameter (&quot;|")minChange(&quot;|") expected a percentage/)
    assert.equal((await s.app.inject({ method: 'GET', url: '/alerts?kind=other' })).statusCode, 400)
  })

  test('an alert acknowledged until a later date leaves the list until then, and shows again once expired', async () => {
    const get = async (url: string) => (await s.app.inject({ method: 'GET', url })).body
    const row = (html: string) => new RegExp(`data-alert="${s.alertId}"[\\s\\S]*?</tr>`).exec(html)?.[0]
    const now = new Date()
    const until = new Date(now.getTime() + 30 * 86_400_000).toISOString()
    try {
      await s.store.triageAlert(s.alertId, {
        triage: 'acknowledged',
        note: 'new GC',
        until,
        at: now.toISOString(),
      })
      const list = await get('/alerts')
      assert.equal(row(list), undefined, 'hidden while the acknowledgement holds')
      assert.match(
        list,
        /1 alert is acknowledged until a later date and not listed \(<a href="\/alerts\?acknowledged=on">show<\/a>\)/,
      )
      const shown = row(await get('/alerts?acknowledged=on'))
      assert.ok(shown)
      assert.match(shown, new RegExp(`known, expected until ${until.slice(0, 10)}`))
      assert.match(await get(`/alerts/${s.alertId}`), /known, expected until/)
      // Acknowledged in January until February: the expiry has passed, so it is listed again.
      await s.store.triageAlert(s.alertId, {
        triage: 'acknowledged',
        until: '2024-02-01T00:00:00.000Z',
        at: '2024-01-01T00:00:00.000Z',
      })
      const expired = row(await get('/alerts'))
      assert.ok(expired, 'listed again after the expiry')
      assert.match(expired, /acknowledgement expired 2024-02-01/)
    } finally {
      await s.store.triageAlert(s.alertId, { triage: 'new', note: null, at: now.toISOString() })
    }
  })

  test('a missing run answers a 404 page and a malformed parameter a 400 page, both in the layout', async () => {
    const missing = await s.app.inject({ method: 'GET', url: '/runs/99999' })
    assert.equal(missing.statusCode, 404)
    assert.match(missing.body, /<h1>Not found<\/h1>[\s\S]*no run has that id/)
    const bad = await s.app.inject({ method: 'GET', url: '/runs/abc' })
    assert.equal(bad.statusCode, 400)
    assert.match(bad.body, /expected a positive integer id/)
    const badThreshold = await s.app.inject({
      method: 'GET',
      url: '/compare?base=1&candidate=2&threshold=abc',
    })
    assert.equal(badThreshold.statusCode, 400)
    assert.match(
      badThreshold.body,
      /query parameter (&quot;|")threshold(&quot;|") expected a percentage from 0 to 100/,
    )
    const asset = await s.app.inject({ method: 'GET', url: '/assets/islands.js' })
    assert.equal(asset.statusCode, 200)
    assert.match(String(asset.headers['content-type']), /^text\/javascript/)
  })

  test('the static report writes every page with relative links that all resolve', async () => {
    const out = mkdtempSync(join(tmpdir(), 'langperf-report-'))
    const report = await renderSite(s.api, out, {
      commitUrl: COMMIT_URL,
      now: () => new Date('2024-11-02T00:00:00Z'),
    })
    assert.equal(report.skipped, 0)
    for (const p of [
      'index.html',
      'alerts.html',
      'matrix.html',
      `runs/${s.runIds[0]}.html`,
      `alerts/${s.alertId}.html`,
    ]) {
      assert.ok(report.pages.includes(p), `writes ${p}`)
    }
    assert.ok(report.pages.some((p) => p.startsWith('timeline/')))
    assert.ok(report.pages.some((p) => p.startsWith('compare/')))
    assert.ok(existsSync(join(out, 'assets', 'islands.js')))
    assert.ok(existsSync(join(out, 'data', 'overview.json')))
    let checked = 0
    for (const page of report.pages) {
      const html = readFileSync(join(out, page), 'utf8')
      assert.doesNotMatch(html, /<script>alert|<img src=x/)
      for (const m of html.matchAll(/(?:href|src)="([^"]*)"/g)) {
        const href = m[1]!.replace(/&amp;/g, '&')
        if (/^(https:\/\/github\.com\/|data:|#)/.test(href)) continue
        assert.doesNotMatch(href, /^\/|^[a-z]+:/, `${page}: ${href} is relative`)
        const target = resolve(dirname(join(out, page)), href.split('#')[0]!)
        assert.ok(existsSync(target), `${page} links to ${relative(out, target)}, which was written`)
        checked++
      }
    }
    assert.ok(checked > 100, `${checked} links checked`)
    assert.match(readFileSync(join(out, 'index.html'), 'utf8'), /static report generated 2024-11-02 00:00/)
  })
})

test('langperf report writes the site from a database and refuses a commit URL that is not http(s)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'langperf-report-cli-'))
  const db = join(dir, 'perf.db')
  const store = await openSqliteStore(db)
  await store.insertRuns(
    syntheticRuns()
      .slice(0, 3)
      .map((d) => documentToRun(LangperfRunDocumentSchema.parse(d))),
  )
  await store.close()
  let out = ''
  let err = ''
  const io = {
    out: {
      write: (t: string) => {
        out += t
        return true
      },
    },
    err: {
      write: (t: string) => {
        err += t
        return true
      },
    },
    isTty: false,
  } as unknown as Parameters<typeof main>[1]
  const site = join(dir, 'site')
  const code = await main(['node', 'langperf', 'report', '--out', site, '--db', db], io, {})
  assert.equal(code, 0, err)
  assert.equal(out.trim(), join(site, 'index.html'))
  assert.match(err, /wrote \d+ pages and 6 data files/)
  assert.ok(existsSync(join(site, 'runs', '1.html')))
  const bad = await main(
    ['node', 'langperf', 'report', '--out', site, '--db', db, '--commit-url', 'javascript:x/{sha}'],
    io,
    {},
  )
  assert.equal(bad, 2)
  assert.match(
    err,
    /expected --commit-url \(or \$LANGPERF_COMMIT_URL\) to be an http\(s\) URL containing \{sha\}/,
  )
})

const noChromium = existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} is absent (Debian's chromium: apt-get install -y chromium)`

describe('dashboard in Chromium', { skip: noChromium }, () => {
  let s: Seeded
  let base: string
  // playwright-core is imported only when Chromium is there to drive.
  let browser: import('playwright-core').Browser
  before(async () => {
    const { chromium } = await import('playwright-core')
    s = await seed()
    await s.app.listen({ host: '127.0.0.1', port: 0 })
    base = `http://127.0.0.1:${(s.app.server.address() as AddressInfo).port}`
    // playwright gives each launch a fresh user-data-dir. Debian's Chromium as root in a container:
    // no sandbox, no GPU, and none of the background network services it would start.
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    })
    mkdirSync(SHOTS, { recursive: true })
  })
  after(async () => {
    await browser?.close()
    await s?.app.close()
    await s?.store.close()
  })

  async function open(url: string, options: { dark?: boolean } = {}) {
    const page = await browser.newPage({
      viewport: { width: 1280, height: 900 },
      colorScheme: options.dark ? 'dark' : 'light',
    })
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text())
    })
    await page.goto(url)
    await page.waitForSelector('html[data-islands="ready"]', { timeout: 10_000 })
    return { page, errors }
  }

  test('every page loads without script errors, mounts its islands and is saved as a screenshot', async () => {
    for (const [name, url] of pages(s)) {
      const { page, errors } = await open(base + url)
      if (url.startsWith('/timeline')) {
        await page
          .waitForSelector('html[data-timeline-ready="1"]', { timeout: 10_000 })
          .catch((e: unknown) =>
            assert.fail(`${name}: the chart was not drawn (${String(e)}; ${errors.join('; ')})`),
          )
      }
      assert.deepEqual(errors, [], `${name}: no errors in the console`)
      assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined)
      const unmounted = await page.locator('[data-island]:not([data-mounted])').count()
      assert.equal(unmounted, 0, `${name}: every island mounted`)
      // Every numeric cell, header or body, is right-aligned with tabular figures.
      const misaligned = await page.$$eval('table td.num, table th.num', (cells) =>
        cells
          .filter((c) => {
            const style = getComputedStyle(c)
            return style.textAlign !== 'right' || !style.fontVariantNumeric.includes('tabular-nums')
          })
          .map((c) => `${c.tagName} ${c.textContent?.trim().slice(0, 30)}`),
      )
      assert.deepEqual(misaligned, [], `${name}: numbers right-aligned`)
      await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true })
      // On a 390 px phone the page itself never scrolls sideways; wide tables scroll in their box.
      await page.setViewportSize({ width: 390, height: 844 })
      // Charts redraw from a ResizeObserver: measure after two frames, as a user would see it.
      await page.evaluate(
        () => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => done(null)))),
      )
      const overflow = await page.evaluate(() => {
        const width = document.documentElement.clientWidth
        const wide = [...document.querySelectorAll('main *')]
          .filter(
            (e) =>
              e.getBoundingClientRect().right > width + 1 &&
              e.closest('.table-wrap, .timeline-plot') === null,
          )
          .map((e) => `${e.tagName.toLowerCase()}.${e.className}`)
        return { scroll: document.documentElement.scrollWidth, width, wide: [...new Set(wide)].slice(0, 5) }
      })
      assert.ok(overflow.scroll <= overflow.width, `${name} at 390 px: ${JSON.stringify(overflow)}`)
      await page.close()
    }
    const { page } = await open(
      `${base}/compare?base=${s.runIds[0]}&candidate=${s.runIds[s.runIds.length - 1]}`,
      { dark: true },
    )
    await page.screenshot({ path: join(SHOTS, 'compare-dark.png') })
    await page.close()
  })

  test('goes from the overview to a timeline and, from a point of it, to the comparison across it', async () => {
    const { page, errors } = await open(`${base}/`)
    // Overview → the latest run of ci-box → its nbody timeline.
    await page.locator('section.machine-block', { hasText: 'ci-box' }).locator('td a').first().click()
    await page.waitForSelector('h1:has-text("Run")')
    await page
      .locator('table.data a', { hasText: /^nbody$/ })
      .first()
      .click()
    await page.waitForSelector('html[data-timeline-ready="1"]')
    // biome-ignore lint/performance/useDomNodeTextContent: Playwright's rendered text, not the DOM property
    assert.match(await page.locator('h1').innerText(), /nbody/)
    const timing = await page.evaluate(
      () => (window as unknown as { langperfTimeline?: { points: number } }).langperfTimeline,
    )
    assert.equal(timing?.points, 12)
    // The log scale redraws the chart and keeps it; unticked, it is linear again.
    await page.locator('.timeline-buttons input[type="checkbox"]').check()
    await page.waitForSelector('html[data-timeline-scale="log"]')
    await page.screenshot({ path: join(SHOTS, 'flow-timeline-log.png') })
    await page.locator('.timeline-buttons input[type="checkbox"]').uncheck()
    await page.waitForSelector('html[data-timeline-scale="linear"]')
    // Hover a point late in the series: the tooltip shows commit, date and value ± interval.
    const box = (await page.locator('.u-over').boundingBox())!
    await page.mouse.move(box.x + box.width * 0.75, box.y + box.height / 2)
    const tooltip = page.locator('.timeline-tooltip')
    await tooltip.waitFor()
    assert.match(
      // biome-ignore lint/performance/useDomNodeTextContent: Playwright's rendered text, not the DOM property
      await tooltip.innerText(),
      /\d+\.\d+ ms ± [\d.]+ [µm]s\ncommit abc00\w+ · run \d+ · compare with previous/,
    )
    await page.screenshot({ path: join(SHOTS, 'flow-timeline-hover.png') })
    // Click pins the tooltip; its link opens the comparison with the build before.
    await page.mouse.click(box.x + box.width * 0.75, box.y + box.height / 2)
    await page.locator('.timeline-tooltip.locked a', { hasText: 'compare with previous' }).click()
    await page.waitForSelector('html[data-islands="ready"]')
    assert.match(page.url(), /\/compare\?base=\d+&candidate=\d+$/)
    // biome-ignore lint/performance/useDomNodeTextContent: Playwright's rendered text, not the DOM property
    assert.match(await page.locator('p.headline').innerText(), /Geometric mean/)
    // The island filters rows as you type.
    await page.locator('.compare-island input[type="search"]').fill('nbo')
    assert.equal(await page.locator('.compare-island tbody tr').count(), 1)
    await page.screenshot({ path: join(SHOTS, 'flow-compare.png'), fullPage: true })
    assert.deepEqual(errors, [])
    await page.close()
  })

  test('the workloads index filters its rows as you type, and Enter searches on the server', async () => {
    const { page, errors } = await open(`${base}/workloads`)
    const groups = page.locator('tbody[data-workload]')
    const all = await groups.count()
    // The live filter sees the rows of this page (the first 200 series): search for one of them.
    const onPage = await groups.evaluateAll((els) =>
      els.map((e) => (e as HTMLElement).dataset.workload ?? ''),
    )
    const target = onPage.find((n) => /^[a-z][a-z0-9_]{3,}$/.test(n))
    assert.ok(target !== undefined, onPage.join(', '))
    const needle = target.slice(0, 4)
    await page.locator('.island-workloads input[type="search"]').fill(needle.toUpperCase())
    const visible = page.locator('tbody[data-workload]:not([hidden])')
    const names = await visible.evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.workload))
    assert.ok(names.length >= 1 && names.length < all, `${names.length} of ${all}`)
    assert.ok(
      names.every((n) => n?.includes(needle)),
      names.join(', '),
    )
    assert.match(
      // biome-ignore lint/performance/useDomNodeTextContent: Playwright's rendered text, not the DOM property
      await page.locator('.island-workloads [aria-live]').innerText(),
      new RegExp(`^${names.length} of ${all} workloads shown`),
    )
    // Enter searches every series on the server: at least those, all matching.
    await page.locator('.island-workloads input[type="search"]').press('Enter')
    await page.waitForURL(new RegExp(`/workloads\\?q=${needle.toUpperCase()}`))
    const found = await page
      .locator('tbody[data-workload]')
      .evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.workload ?? ''))
    assert.ok(found.length >= names.length, `${found.length} found, ${names.length} on the first page`)
    assert.ok(
      found.every((n) => n.includes(needle)),
      found.join(', '),
    )
    assert.deepEqual(errors, [])
    await page.close()
  })

  test('an admin triages an alert with their token and the row shows the new state', async () => {
    const { page, errors } = await open(`${base}/alerts/${s.alertId}`)
    const island = page.locator('.island-triage').first()
    await island.locator('button', { hasText: 'triage' }).click()
    await island.locator('input[type="password"]').fill(s.adminSecret)
    await island.locator('button', { hasText: 'Use token' }).click()
    await island.locator('select').selectOption('acknowledged')
    // Acknowledged offers an expiry: known and expected until that day.
    const until = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10)
    await island.locator('input[type="date"]').fill(until)
    await island.locator('input[aria-label="Note"]').fill(`bisecting ${HOSTILE}`)
    await island.locator('button', { hasText: 'Save' }).click()
    await island.locator('[data-triage="acknowledged"]').waitFor()
    const shown = new RegExp(`acknowledged until ${until} — bisecting <script>alert\\(1\\)</script>`)
    // biome-ignore lint/performance/useDomNodeTextContent: Playwright's rendered text, not the DOM property
    assert.match(await island.innerText(), shown)
    const stored = await s.store.getAlert(s.alertId)
    assert.equal(stored?.triage, 'acknowledged')
    assert.equal(stored?.triageNote, `bisecting ${HOSTILE}`)
    assert.equal(stored?.acknowledgedUntil, `${until}T23:59:59.999Z`)
    // The alert's page draws its moved series with the blame range shaded.
    assert.ok((await page.locator('.small-multiple svg .blame-band').count()) >= 1)
    await page.screenshot({ path: join(SHOTS, 'triage.png'), fullPage: true })
    // A wrong token is refused with the API's sentence, and forgotten.
    await page.evaluate(() => sessionStorage.setItem('langperf-admin-token', 'lp_wrong'))
    await page.reload()
    await page.waitForSelector('html[data-islands="ready"]')
    const again = page.locator('.island-triage').first()
    await again.locator('button', { hasText: 'triage' }).click()
    await again.locator('button', { hasText: 'Save' }).click()
    await again.locator('.triage-message').waitFor()
    // biome-ignore lint/performance/useDomNodeTextContent: Playwright's rendered text, not the DOM property
    assert.match(await again.locator('.triage-message').innerText(), /bearer token is not valid/)
    assert.equal(await page.evaluate(() => sessionStorage.getItem('langperf-admin-token')), null)
    assert.ok(
      errors.every((e) => /401/.test(e)),
      errors.join('\n'),
    )
    await page.close()
    // Back to new, so the alert stays in the default lists the report crawls.
    await s.store.triageAlert(s.alertId, { triage: 'new', at: new Date().toISOString() })
  })

  test('the static report works from file:// with its islands and the timeline chart', async () => {
    const out = mkdtempSync(join(tmpdir(), 'langperf-report-'))
    const report = await renderSite(s.api, out, { commitUrl: COMMIT_URL })
    const timeline = report.pages.find((p) => p.startsWith('timeline/nbody-cpython-jit-ci-box'))
    assert.ok(timeline, report.pages.filter((p) => p.startsWith('timeline/')).join(', '))
    const { page, errors } = await open(pathToFileURL(join(out, timeline)).href)
    await page.waitForSelector('html[data-timeline-ready="1"]')
    await page.screenshot({ path: join(SHOTS, 'report-timeline.png') })
    await page.goto(pathToFileURL(join(out, 'index.html')).href)
    await page.waitForSelector('html[data-islands="ready"]')
    await page.screenshot({ path: join(SHOTS, 'report-overview.png'), fullPage: true })
    assert.deepEqual(errors, [])
    await page.close()
  })
})
