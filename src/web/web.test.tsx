import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { renderToString } from 'preact-render-to-string'
import { LangperfError } from '../lib/index.ts'
import { loadAssets } from './assets.ts'
import { CompareTable, Sparkline } from './components.tsx'
import { type Alert, type Change, Memo, type PageContext } from './context.ts'
import { FlameGraph, flameRects, nodeAt } from './flame.tsx'
import { formatChange, formatSeconds, heatStep, logTicks, significant } from './format.ts'
import { Island, jsonForScript } from './html.tsx'
import type { CompareIslandProps, CompareRowData } from './islands.ts'
import {
  checkCommitUrl,
  commitHref,
  parseSeriesKey,
  type SeriesRef,
  seriesKey,
  serverLinks,
  serverPath,
  staticLinks,
  staticPath,
} from './links.ts'
import { compareMarkdown, escapeMarkdown } from './markdown.ts'
import { CommitRange } from './pages/alert-commits.tsx'
import { PairedEvidence, pairedOf, rangesOverlap } from './pages/alert-evidence.tsx'
import { stackLabel } from './pages/matrix-stacks.ts'
import { releaseLinks, TIMELINE_COLUMNS_FLAGS, timelineLinks, WARM_PAGES, warmPages } from './routes.tsx'

// The dashboard's pure parts: escaping of untrusted strings wherever they are shown, links in both
// forms, island data, number formatting, the Markdown export. Whole pages over a real database,
// the report and the browser tests are in src/cli/dashboard.test.ts (they need the server).

const HOSTILE = '<script>alert(1)</script>'
const IMG = '<img src=x onerror="alert(2)">'

function row(workload: string, ratio: number | null, extra: Partial<CompareRowData> = {}): CompareRowData {
  return {
    workload,
    unit: 'second',
    tags: [],
    baseMean: 0.01,
    candidateMean: ratio === null ? null : 0.01 * ratio,
    verdict:
      ratio === null ? 'insufficient' : ratio > 1.01 ? 'slower' : ratio < 0.99 ? 'faster' : 'no-difference',
    ratio,
    low: ratio === null ? null : ratio - 0.005,
    high: ratio === null ? null : ratio + 0.005,
    pValue: ratio === null ? null : 0.0001,
    nBase: 20,
    nCandidate: 20,
    reason: ratio === null ? 'Too few processes' : null,
    versionsDiffer: false,
    timelineHref: null,
    metrics: [],
    ...extra,
  }
}

describe('escaping untrusted strings', () => {
  test('jsonForScript() leaves no <, > or & in the text and JSON.parse reads the value back', () => {
    const value = { name: `${HOSTILE}</script><!--`, amp: 'a&b', line: 'x\u2028y\u2029z' }
    const text = jsonForScript(value)
    assert.doesNotMatch(text, /[<>&\u2028\u2029]/)
    assert.deepEqual(JSON.parse(text), value)
  })

  test('an island embeds hostile data as inert JSON and its fallback as escaped text', () => {
    const html = renderToString(
      <Island
        name="matrix"
        id="m"
        data={{ options: [{ value: HOSTILE, label: IMG, href: '/matrix' }], selected: HOSTILE }}
      >
        <p>{HOSTILE}</p>
      </Island>,
    )
    assert.doesNotMatch(html, /<script>alert/)
    assert.doesNotMatch(html, /<img/)
    assert.match(html, /&lt;script>alert\(1\)&lt;\/script>|&lt;script&gt;alert\(1\)&lt;\/script&gt;/)
    assert.match(html, /<script type="application\/json" id="m-data">\{"options"/)
    assert.equal(html.match(/<\/script>/g)?.length, 1, 'only the JSON element itself closes a script')
  })

  test('the compare table shows hostile workload names and tags as text', () => {
    const html = renderToString(
      <CompareTable
        rows={[row(HOSTILE, 1.2, { tags: [IMG], timelineHref: '/timeline?w=%3Cx%3E' }), row(IMG, null)]}
        confidence={0.95}
      />,
    )
    assert.doesNotMatch(html, /<script>|<img/)
    assert.match(html, /&lt;script/)
    assert.match(html, /&lt;img/)
    assert.match(html, /▲ <\/span> slower|<span aria-hidden="true">▲<\/span> slower/)
  })

  test('a server workload shows its metrics under its row, better and worse by their direction', () => {
    const metric = (
      name: string,
      label: string,
      ratio: number,
      verdict: 'faster' | 'slower',
      lower: boolean,
    ) => ({
      name,
      label,
      unit: lower ? 'ms' : 'request/s',
      lowerIsBetter: lower,
      baseMean: 100,
      candidateMean: 100 * ratio,
      verdict,
      ratio,
      low: ratio - 0.02,
      high: ratio + 0.02,
      pValue: 0.0001,
      nBase: 6,
      nCandidate: 6,
      reason: null,
    })
    const r = row('django_feed', 0.9, {
      metrics: [
        metric('requests_per_s', `Requests/s ${HOSTILE}`, 1.2, 'faster', false),
        metric('latency_p99_ms@90%', 'Latency p99 at 90 % of saturation', 1.3, 'slower', true),
      ],
    })
    const html = renderToString(<CompareTable rows={[r]} confidence={0.95} />)
    assert.equal(html.match(/class="metric-row"/g)?.length, 2)
    assert.match(html, /120 request\/s/)
    assert.match(html, /▼<\/span> better/)
    assert.match(html, /▲<\/span> worse/)
    assert.doesNotMatch(html, /<script>/)
    // Higher requests/s is shaded as an improvement, a higher latency as a regression.
    assert.match(html, /class="num heat-m4">\+20 %/)
    assert.match(html, /class="num heat-p4">\+30 %/)
    const md = compareMarkdown({
      rows: [r],
      geometricMean: { kind: 'insufficient', reason: 'one workload' },
      counts: { slower: 0, faster: 1, same: 0 },
      confidence: 0.95,
      minEffect: 0.01,
      baseLabel: 'a',
      candidateLabel: 'b',
      serverTags: [],
      permalink: 'https://perf.example/compare?base=1&candidate=2',
      clientTags: false,
      separateRuns: null,
    })
    assert.ok(
      md.includes(
        '| ↳ Requests/s &lt;script\\>alert\\(1\\)&lt;/script\\> | 100 request/s | 120 request/s | 1.200× |',
      ),
      md,
    )
    assert.match(md, /\| ↳ Latency p99 at 90 % of saturation \| .* \| ▲ worse \|/)
  })

  test('the Markdown export escapes names so they cannot open links, images or HTML', () => {
    assert.equal(escapeMarkdown('[x](javascript:y)'), '\\[x\\]\\(javascript:y\\)')
    assert.equal(escapeMarkdown('a|b'), 'a\\|b')
    const props: CompareIslandProps = {
      rows: [row(`${IMG} ![i](http://e/x.png)`, 1.1), row('nbody', 0.9)],
      geometricMean: {
        kind: 'interval',
        estimate: 0.995,
        low: 0.99,
        high: 1.0,
        confidence: 0.95,
        workloads: 2,
        verdict: 'no-difference',
      },
      counts: { slower: 1, faster: 1, same: 0 },
      confidence: 0.95,
      minEffect: 0.01,
      baseLabel: 'cpython 3.12.0 on bench-1',
      candidateLabel: `cpython ${HOSTILE}`,
      serverTags: [],
      permalink: 'https://perf.example/compare?base=1&candidate=2',
      clientTags: false,
      separateRuns: null,
    }
    const md = compareMarkdown(props)
    assert.doesNotMatch(md, /<img|<script|!\[i\]\(/)
    assert.match(md, /\| workload \| base \| candidate \| ratio \| interval \| change \| verdict \| p \|/)
    assert.match(md, /\| 1\.100× \| \[1\.095, 1\.105\] \| \+10 % \| ▲ slower \| < 0\.001 \|/)
    assert.match(md, /Geometric mean of 2 workloads: \*\*0\.995×\*\* \[0\.990, 1\.000\] \(−0\.5 %\) = same/)
    assert.match(md, /without significant difference = \(changes under 1 % are not called\)/)
    assert.match(md, /\[Full comparison\]\(https:\/\/perf\.example\/compare\?base=1&candidate=2\)/)
    assert.doesNotMatch(md, /measured separately/)
    // Runs measured separately: the export says what the intervals include.
    const apart = compareMarkdown({
      ...props,
      separateRuns: 'The two runs were measured separately, ± 2.0 % per run.',
    })
    assert.match(apart, /\n_The two runs were measured separately, ± 2\.0 % per run\._\n/)
  })
})

describe('links', () => {
  const s: SeriesRef = {
    machine: 'bench/1',
    runtime: 'cpython',
    config: 'pgo,lto',
    branch: null,
    workload: HOSTILE,
    workloadVersion: '1.0',
  }

  test('a series key survives commas, slashes and markup in names', () => {
    assert.deepEqual(parseSeriesKey(seriesKey(s)), s)
    assert.equal(parseSeriesKey('a,b'), undefined)
    assert.equal(parseSeriesKey('%E0%A4%A,b,c,d,e,f'), undefined, 'malformed escapes are refused')
  })

  test('server paths carry the query; static paths are safe relative file names', () => {
    assert.equal(
      serverPath({ page: 'compare', base: '1', candidate: '2', tags: ['a b'] }),
      '/compare?base=1&candidate=2&tag=a+b',
    )
    assert.equal(serverPath({ page: 'machine', name: 'a/b' }), '/machines/a%2Fb')
    assert.equal(staticPath({ page: 'compare', base: '1', candidate: '2' }), 'compare/1--2.html')
    for (const ref of [
      { page: 'machine', name: '../../etc/passwd' },
      { page: 'timeline', series: s, also: [] },
      { page: 'compare', base: '../x', candidate: HOSTILE },
      { page: 'matrix', baseline: '..', machine: null },
    ] as const) {
      const path = staticPath(ref)
      assert.match(path, /^[a-z]+\/[A-Za-z0-9._-]+\.html$|^[a-z]+\.html$/, path)
      assert.doesNotMatch(path, /\.\.\//)
    }
  })

  test('static links are relative to the page and record every page they point to', () => {
    const recorded: string[] = []
    const links = staticLinks('runs/4.html', { record: (r) => recorded.push(staticPath(r)) })
    assert.equal(links.page({ page: 'overview' }), '../index.html')
    assert.equal(links.asset('islands.js'), '../assets/islands.js')
    assert.equal(links.compareTemplate, '../compare/{base}--{candidate}.html')
    assert.deepEqual(recorded, ['index.html'])
    assert.equal(staticLinks('index.html').page({ page: 'run', id: 3 }), 'runs/3.html')
  })

  test('commit links are made only from hex SHAs and a checked http(s) pattern', () => {
    const pattern = 'https://github.com/python/cpython/commit/{sha}'
    assert.equal(commitHref(pattern, 'A1B2C3D4'), 'https://github.com/python/cpython/commit/a1b2c3d4')
    assert.equal(commitHref(pattern, 'javascript:alert(1)'), undefined)
    assert.equal(commitHref(pattern, 'abc'), undefined, 'too short to be a SHA')
    assert.equal(commitHref(undefined, 'a1b2c3d4'), undefined)
    assert.throws(
      () => checkCommitUrl('javascript:alert(1)//{sha}'),
      /expected an http\(s\) URL containing \{sha\}/,
    )
    assert.throws(() => checkCommitUrl('https://example.org/commit/'), /containing \{sha\}/)
    assert.equal(
      serverLinks({ commitUrl: pattern }).commit('deadbeef'),
      'https://github.com/python/cpython/commit/deadbeef',
    )
    assert.equal(serverLinks().commit('deadbeef'), undefined)
  })
})

describe('formatting', () => {
  test('durations, changes and significant digits read as people write them', () => {
    assert.equal(formatSeconds(0.0123), '12.3 ms')
    assert.equal(formatSeconds(4.2e-7), '420 ns')
    assert.equal(formatSeconds(2.5), '2.50 s')
    assert.equal(formatChange(1.042), '+4.2 %')
    assert.equal(formatChange(0.8), '−20 %')
    assert.equal(significant(123456), '123456')
    assert.equal(significant(0.000012345), '0.0000123')
  })

  test('log-scale ticks spread evenly in ratio between the ends, at three significant digits', () => {
    assert.deepEqual(logTicks(0.01, 0.0125), [0.01, 0.0106, 0.0112, 0.0118, 0.0125])
    const ticks = logTicks(1, 16)
    assert.deepEqual(ticks, [1, 2, 4, 8, 16])
    assert.deepEqual(logTicks(2, 2), [2])
    assert.deepEqual(logTicks(0, 1), [])
  })

  test('heat steps grow with the size of the change and point the right way', () => {
    assert.equal(heatStep(1), 0)
    assert.equal(heatStep(1.03), 2)
    assert.equal(heatStep(1 / 1.03), -2)
    assert.equal(heatStep(1.5), 4)
    assert.equal(heatStep(1.5, false), -4, 'for rates, higher is better')
    assert.equal(heatStep(null), 0)
  })

  test('a sparkline says in words what it shows and draws nothing for fewer than two values', () => {
    const html = renderToString(<Sparkline values={[1, null, 1.1, 1.05]} label={`last runs ${HOSTILE}`} />)
    assert.match(html, /<polyline points="[\d., ]+"/)
    assert.match(html, /aria-label="last runs &lt;script/)
    assert.doesNotMatch(renderToString(<Sparkline values={[1]} label="x" />), /<svg/)
  })
})

describe('assets', () => {
  test('missing assets stop the dashboard with the command that builds them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'langperf-assets-'))
    assert.throws(
      () => loadAssets(dir),
      (e: unknown) =>
        e instanceof LangperfError &&
        e.code === 'unavailable' &&
        /islands\.js, islands\.css/.test(e.message) &&
        /npm run build:web/.test(e.message),
    )
    writeFileSync(join(dir, 'islands.js'), 'x')
    writeFileSync(join(dir, 'islands.css'), 'y')
    const assets = loadAssets(dir)
    assert.equal(assets.files.get('islands.js')?.contentType, 'text/javascript; charset=utf-8')
    assert.match(assets.version, /^[0-9a-f]{12}$/)
  })
})

describe('alert evidence', () => {
  const change = (details: Record<string, unknown>): Change =>
    ({
      id: 1,
      series: {
        machine: 'm1',
        runtime: 'cpython',
        config: 'jit',
        branch: null,
        workload: HOSTILE,
        workloadVersion: 'v1',
      },
      ratio: 1.2,
      status: 'confirmed',
      details,
    }) as unknown as Change
  const paired = {
    ratio: 1.21,
    low: 1.18,
    high: 1.24,
    confidence: 0.99,
    referenceRunId: 7,
    runId: 8,
    processes: [6, 12],
    verdict: 'raises',
  }

  test('the paired runs say ratio, interval, processes and verdict, with markup from data as text', () => {
    assert.equal(pairedOf(change({})), null)
    assert.equal(pairedOf(change({ paired: { ratio: 'x' } })), null)
    assert.deepEqual(pairedOf(change({ paired }))?.processes, [6, 12])
    const ctx = { links: serverLinks() } as unknown as PageContext
    const html = renderToString(<PairedEvidence ctx={ctx} changes={[change({ paired }), change({})]} />)
    assert.match(html, /1\.210×/)
    assert.match(html, /6 \+ 12/)
    assert.match(html, />raises</)
    assert.match(html, /href="\/runs\/7">run 7<\/a>, <a href="\/runs\/8">run 8/)
    assert.doesNotMatch(html, /<script>alert/)
    assert.match(renderToString(<PairedEvidence ctx={ctx} changes={[change({})]} />), /No paired runs/)
  })

  test('blame ranges overlap by the commit dates of their ends, or by the same commits without dates', () => {
    const alert = (lg: string | null, fb: string | null, commits = ['a1', 'b2']): Alert =>
      ({
        lastGoodCommitDate: lg,
        firstBadCommitDate: fb,
        lastGoodCommit: commits[0],
        firstBadCommit: commits[1],
      }) as unknown as Alert
    const a = alert('2024-10-01T00:00:00Z', '2024-10-05T00:00:00Z')
    assert.ok(rangesOverlap(a, alert('2024-10-04T00:00:00Z', '2024-10-09T00:00:00Z')))
    assert.ok(rangesOverlap(a, alert('2024-09-01T00:00:00Z', '2024-10-02T00:00:00Z')))
    assert.ok(
      !rangesOverlap(a, alert('2024-10-05T00:00:00Z', '2024-10-09T00:00:00Z')),
      'touching ends: (lg, fb]',
    )
    assert.ok(rangesOverlap(alert(null, null), alert(null, null)))
    assert.ok(!rangesOverlap(alert(null, null), alert(null, null, ['a1', 'c3'])))
  })
})

describe('commits of a blame range', () => {
  const ctx = { links: serverLinks() } as unknown as PageContext
  const good = 'a'.repeat(40)
  const bad = 'b'.repeat(40)
  const base = {
    runtime: 'cpython',
    lastGoodCommit: good,
    firstBadCommit: bad,
    lastGoodUrl: `https://forge.example/c/${good}`,
    firstBadUrl: `https://forge.example/c/${bad}`,
    compareUrl: `https://forge.example/compare/${good}...${bad}`,
  }

  test('lists date, linked sha, author and subject as text, and counts what it left out', () => {
    const html = renderToString(
      <CommitRange
        ctx={ctx}
        range={{
          ...base,
          listed: true,
          reason: null,
          total: 250,
          commits: [
            {
              sha: bad,
              authorDateUtc: '2024-10-02T08:30:00Z',
              author: IMG,
              subject: HOSTILE,
              url: 'javascript:alert(1)',
            },
          ],
        }}
      />,
    )
    assert.doesNotMatch(html, /<script>alert|<img src=x|href="javascript/)
    assert.match(html, /&lt;script>alert\(1\)&lt;\/script>|&lt;script&gt;/)
    assert.match(html, /2024-10-02 08:30/)
    assert.match(
      html,
      /250 commits in \(last good, first bad\], newest first; the newest 1 are listed, 249 more are not/,
    )
    assert.match(
      html,
      new RegExp(`href="https://forge.example/compare/${good}...${bad}"[^>]*>compare the range`),
    )
  })

  test('without a mirror says why and shows the two ends, linked', () => {
    const html = renderToString(
      <CommitRange
        ctx={ctx}
        range={{ ...base, listed: false, reason: 'No local mirror yet', total: null, commits: [] }}
      />,
    )
    assert.match(html, /Commits not listed: No local mirror yet\./)
    assert.match(html, new RegExp(`href="https://forge.example/c/${bad}"`))
  })
})

describe('memory across requests', () => {
  test('a value kept for a state is given while the state holds and made again when it changes', async () => {
    const memo = new Memo()
    let made = 0
    const make = async () => ++made
    assert.equal(await memo.current('rows', 'state-1', make), 1)
    assert.equal(await memo.current('rows', 'state-1', make), 1, 'kept')
    assert.equal(await memo.current('rows', 'state-2', make), 2, 'made again at a new state')
    assert.equal(await memo.current('other', 'state-2', make), 3, 'one value per key')
    assert.equal(await memo.current('rows', 'state-2', make), 2)
  })
})

describe('warm-up at start', () => {
  test('warmPages makes the main pages, a timeline, the release comparisons, then one series per other group', async () => {
    const visited: string[] = []
    const workloads =
      '<a href="/workloads?tag=x">tag</a><a href="/timeline?machine=m&amp;workload=nbody">nbody</a><a href="/timeline?machine=m&amp;workload=go">go</a>' +
      '<a href="/timeline?machine=n&amp;config=jit&amp;workload=go">n go</a><a href="/timeline?machine=n&amp;config=jit&amp;workload=nbody">n nbody</a>'
    const releases =
      '<a href="/releases/cpython/3.12.0/3.13.0">3.12.0 → 3.13.0</a> <a href="/releases/cpython/3.12.0/3.13.0">again</a>' +
      '<a href="/releases/pypy/7.3.15/7.3.16">pypy</a> <a href="/releases">all</a> <a href="/runs/3">run</a>'
    const app = {
      inject: async ({ url }: { method: 'GET'; url: string }) => {
        visited.push(url)
        if (url === '/matrix') return { statusCode: 500, body: 'broken' }
        const body = url === '/releases' ? releases : url === '/workloads' ? workloads : '<p>page</p>'
        return { statusCode: 200, body }
      },
    }
    const w = await warmPages(app)
    assert.deepEqual(visited, [
      ...WARM_PAGES,
      '/timeline?machine=m&workload=nbody',
      '/releases/cpython/3.12.0/3.13.0',
      '/releases/pypy/7.3.15/7.3.16',
      `/api/v1/series/columns?machine=n&config=jit&workload=go&${TIMELINE_COLUMNS_FLAGS}`,
    ])
    assert.equal(w.pages, WARM_PAGES.length + 4)
    assert.equal(w.ok, WARM_PAGES.length + 3, 'the failing matrix is not counted')
  })

  test('timelineLinks reads the timelines a page links, each once, with their ampersands', () => {
    assert.deepEqual(
      timelineLinks(
        '<a href="/timeline?a=1&amp;b=2">x</a><a href="/timeline?a=1&amp;b=2">y</a><a href="/timeline">no</a>',
      ),
      ['/timeline?a=1&b=2'],
    )
  })

  test('releaseLinks takes only release comparison pages, each once, at most as the index lists them', () => {
    assert.deepEqual(releaseLinks('<a href="/releases/a%2Fb/1/2">x</a><a href="/releases/x/1">no</a>'), [
      '/releases/a%2Fb/1/2',
    ])
    assert.deepEqual(releaseLinks('<a href="/releases/r/1/2?x=1">query</a>'), [])
  })
})

describe('the flame graph', () => {
  const leaf = (name: string, total: number) => ({
    name,
    file: 'w.py',
    line: 1,
    total,
    self: total,
    children: [],
  })
  const tree = {
    name: 'all',
    file: '',
    line: null,
    total: 100,
    self: 0,
    children: [
      {
        name: 'main',
        file: 'w.py',
        line: 1,
        total: 100,
        self: 10,
        children: [leaf('hot', 60), leaf(HOSTILE, 29.99), leaf('tiny', 0.01)],
      },
    ],
  }

  test('flameRects() lays frames out by their share, leaving out the narrowest, and zooms on a frame', () => {
    const all = flameRects(tree)
    assert.equal(all.depth, 3)
    assert.deepEqual(
      all.rects.map((r) => [r.node.name, r.path.join('.'), Math.round(r.x * 100), Math.round(r.width * 100)]),
      [
        ['all', '', 0, 100],
        ['main', '0', 0, 100],
        ['hot', '0.0', 0, 60],
        [HOSTILE, '0.1', 60, 30],
      ],
    )
    // Zoomed on `hot`: its callers full width above it (ancestors), it spans the width.
    const zoomed = flameRects(tree, [0, 0])
    assert.deepEqual(
      zoomed.rects.map((r) => [r.node.name, r.ancestor, r.width]),
      [
        ['all', true, 1],
        ['main', true, 1],
        ['hot', false, 1],
      ],
    )
    assert.equal(nodeAt(tree, [0, 1])?.name, HOSTILE)
    assert.equal(
      flameRects(tree, [5]).rects[0]?.path.length,
      0,
      'a path leading nowhere shows the whole tree',
    )
  })

  test('FlameGraph renders SVG with escaped tooltips and no inline style', () => {
    const html = renderToString(<FlameGraph root={tree} label="Flame graph" />)
    assert.match(html, /^<svg class="flame"/)
    assert.ok(!html.includes(HOSTILE))
    assert.ok(html.includes('<title>&lt;script>'))
    assert.ok(!html.includes('style='))
    assert.ok(html.includes('hot (w.py:1)\n60 samples (60.0 %), 60 in its own code (60.0 %)'))
  })

  test('a profile page has its links in both forms', () => {
    assert.equal(serverPath({ page: 'profile', id: 7 }), '/profiles/7')
    assert.equal(staticPath({ page: 'profile', id: 7 }), 'profiles/7.html')
  })
})

test("stackLabel() names a result's numeric stack from what the suite recorded, and nothing without one", () => {
  assert.equal(stackLabel({ tags: ['micro'] }), null)
  assert.equal(stackLabel(null), null)
  const threads = { OPENBLAS_NUM_THREADS: '1' }
  // A wheel: threadpoolctl's report of its bundled OpenBLAS.
  assert.equal(
    stackLabel({
      requirements: { requested: ['numpy==2.0.2'], installed: ['numpy==2.0.2'] },
      thread_env: threads,
      stack: {
        modules: { numpy: '2.0.2' },
        blas: {
          libraries: [
            { api: 'openmp', implementation: 'openmp', threads: 2 },
            { api: 'blas', implementation: 'openblas', version: '0.3.27', threads: 1 },
          ],
        },
      },
    }),
    'numpy 2.0.2 · OpenBLAS 0.3.27 · 1 thread',
  )
  // Debian's numpy under --blas reference: threadpoolctl does not know it, the choice names it.
  assert.equal(
    stackLabel({
      requirements: { mode: 'system', installed: ['numpy==1.24.2'] },
      stack: { modules: { numpy: '1.24.2' }, blas: { libraries: [] }, thread_env: { BLIS_ARCH_TYPE: '3' } },
      blas: { variant: 'reference', label: 'reference' },
    }),
    'system numpy 1.24.2 · reference BLAS · BLIS_ARCH_TYPE=3',
  )
  // No numpy: the modules with their versions; a skipped result's requirements alone.
  assert.equal(
    stackLabel({ stack: { modules: { django: '4.2.1', pylibmc: null } } }),
    'django 4.2.1, pylibmc ?',
  )
  assert.equal(stackLabel({ requirements: { requested: ['numpy==1.26.4'] } }), 'packages')
  assert.ok((stackLabel({ stack: { modules: { numpy: 'x'.repeat(500) } } }) ?? '').length <= 120)
})
