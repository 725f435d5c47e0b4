import assert from 'node:assert/strict'
import { test } from 'node:test'
import { alertMessageFrom } from './message.ts'
import { escapeMarkdown, renderEmail, renderMarkdown, renderSlack, renderText } from './render.ts'
import { TEST_LINKS, testAlert } from './testing.ts'

const message = alertMessageFrom(
  testAlert({ culpritCommit: 'cccccccccc3333333333', culpritNote: 'by bisection' }),
  TEST_LINKS,
)
const RANGE_URL =
  'https://github.com/python/cpython/compare/aaaaaaaaaa1111111111aaaaaaaaaa1111111111...bbbbbbbbbb2222222222bbbbbbbbbb2222222222'

test('renderText() names the alert, each magnitude with its interval, the blame, the culprit and the links', () => {
  const text = renderText(message)
  assert.match(text, /^Alert 42: cpython main slower, up to \+8\.3 %/)
  assert.match(
    text,
    /\n {2}regex_compile +default {2}bench-1 {2}1\.041× \[1\.029, 1\.053\] \+4\.1 % {2}regression\n/,
  )
  assert.match(
    text,
    /Culprit: cccccccccc3333333333 <https:\/\/github\.com\/python\/cpython\/commit\/cccccccccc3333333333> \(by bisection\)/,
  )
  assert.match(
    text,
    /Blame: after aaaaaaaaaa1111111111aaaaaaaaaa1111111111 <[^>]+> \(last good\), up to and including bbbb/,
  )
  assert.ok(text.includes(`Commits in the range: ${RANGE_URL}`))
  assert.match(
    text,
    /Comparison: https:\/\/perf\.example\.org\/compare\?base=build%3A7&candidate=build%3A9\n$/,
  )
})

test('renderText() puts stored text on one line and defuses @mentions', () => {
  const m = alertMessageFrom(
    testAlert({ runtime: 'cpy\nthon', culpritCommit: 'c1', culpritNote: 'ask @here\r\nnow' }),
    TEST_LINKS,
  )
  const text = renderText(m)
  assert.match(text, /^Alert 42: cpy thon main/)
  assert.match(text, /\(ask @\u200bhere now\)/)
  const bidi = alertMessageFrom(testAlert({ branch: 'main\u202Egnp.exe' }), TEST_LINKS)
  assert.match(renderText(bidi), /^Alert 42: cpython main gnp\.exe slower/)
})

test('renderMarkdown() escapes a hostile workload name so GitHub renders it as text', () => {
  const md = renderMarkdown(message)
  assert.ok(!md.includes('<img'), 'no raw HTML tag survives')
  assert.ok(md.includes('&lt;img src=x onerror=alert\\(1\\)&gt; @\u200bchannel \\*bold\\* \\| \\`x\\`'))
  // The table keeps five cells per row: the name's `|` is escaped.
  const row = md.split('\n').find((l) => l.startsWith('| &lt;img'))
  assert.equal(row?.split(/(?<!\\)\|/).length, 7)
})

test('renderMarkdown() links the culprit, the range, the alert page and the comparison', () => {
  const md = renderMarkdown(message)
  assert.ok(
    md.includes(
      'Culprit: [`cccccccccc`](https://github.com/python/cpython/commit/cccccccccc3333333333) (by bisection)',
    ),
  )
  assert.ok(md.includes(`[Commits in the range](${RANGE_URL})`))
  assert.ok(
    md.includes(
      '[Alert 42](https://perf.example.org/alerts/42) · [Comparison](https://perf.example.org/compare?base=build%3A7&candidate=build%3A9)',
    ),
  )
  assert.ok(
    md.includes('| regex\\_compile | default | bench-1 | 1.041× \\[1.029, 1.053\\] +4.1 % | regression |'),
  )
})

test('renderSlack() gives text and blocks, with Slack links and the three characters Slack requires escaped', () => {
  const payload = renderSlack(message) as {
    text: string
    blocks: { type: string; text?: { text: string } }[]
  }
  assert.deepEqual(
    payload.blocks.map((b) => b.type),
    ['header', 'section', 'section', 'context'],
  )
  assert.ok(!payload.text.includes('<img'))
  assert.ok(payload.text.includes('&lt;img src=x onerror=alert(1)&gt; @\u200bchannel'))
  assert.ok(payload.text.includes('<https://perf.example.org/alerts/42|Alert 42>'))
  assert.ok(payload.text.includes(`<${RANGE_URL}|Commits in the range>`))
  assert.ok(payload.text.includes('1.083× [1.071, 1.095] +8.3 %'))
  assert.ok((payload.blocks[0]?.text?.text.length ?? 0) <= 150)
})

test('renderEmail() escapes every value in the HTML part and keeps the text part readable', () => {
  const mail = renderEmail(message)
  assert.equal(mail.subject, message.title.replaceAll('@', '@\u200b'))
  assert.ok(!mail.html.includes('<img'))
  assert.ok(mail.html.includes('&lt;img src=x onerror=alert(1)&gt;'))
  assert.ok(
    mail.html.includes(
      '<a href="https://perf.example.org/compare?base=build%3A7&amp;candidate=build%3A9">Comparison</a>',
    ),
  )
  assert.equal(mail.text, renderText(message))
})

test('escapeMarkdown() escapes emphasis, links, code, tables and HTML', () => {
  assert.equal(escapeMarkdown('a_b*[c](d)`e`|<f>&'), 'a\\_b\\*\\[c\\]\\(d\\)\\`e\\`\\|&lt;f&gt;&amp;')
})

test('every rendering says where the time went at the culprit, or why it could not be profiled', () => {
  const summary = {
    samplesA: 500,
    samplesB: 500,
    confidence: 0.95,
    timedOnly: true,
    rows: [
      {
        name: 'float_add',
        file: '/src/Objects/floatobject.py',
        line: 12,
        selfA: 10,
        selfB: 100,
        selfPercentA: 2,
        selfPercentB: 20,
        deltaPoints: 18,
        low: 14.2,
        high: 21.8,
        significant: true,
      },
    ],
  }
  const m = alertMessageFrom(
    testAlert({
      culpritCommit: 'cccccccccc3333333333',
      culpritNote: 'by bisection',
      profiles: [
        {
          workload: 'nbody',
          machine: 'bench-1',
          culpritCommit: 'cccccccccc3333333333',
          state: 'profiled',
          message: null,
          summary,
        },
        {
          workload: 'pypy_thing',
          machine: 'bench-1',
          culpritCommit: 'cccccccccc3333333333',
          state: 'unavailable',
          message: 'py-spy is not installed',
          summary: null,
        },
        // Profiled at an earlier culprit: not this message's.
        {
          ...{
            workload: 'old',
            machine: 'bench-1',
            culpritCommit: 'dddd',
            state: 'failed',
            message: 'x',
            summary: null,
          },
        },
      ],
    }),
    TEST_LINKS,
  )
  assert.deepEqual(
    m.profiles.map((p) => p.workload),
    ['nbody', 'pypy_thing'],
  )
  const line =
    'Profile against its parent, nbody (bench-1): +18.0 points self time in float_add (Objects/floatobject.py:12): 2.0 % → 20.0 % [+14.2, +21.8]'
  assert.ok(renderText(m).includes(line), renderText(m))
  assert.ok(renderText(m).includes('pypy_thing (bench-1): not profiled: py-spy is not installed'))
  assert.ok(renderMarkdown(m).includes('float\\_add'), 'escaped for Markdown')
  assert.ok(JSON.stringify(renderSlack(m)).includes('float_add (Objects/floatobject.py:12)'))
  assert.ok(renderEmail(m).html.includes('float_add (Objects/floatobject.py:12): 2.0 % → 20.0 %'))
  // Before a culprit there is nothing to say.
  assert.deepEqual(alertMessageFrom(testAlert(), TEST_LINKS).profiles, [])
})

test('every rendering carries the caveats on the evidence, escaped for its medium', () => {
  const m = alertMessageFrom(testAlert(), {
    ...TEST_LINKS,
    caveats: ["the first bad build's run 5 on bench-1: other work took 51 % of CPU 1 <b>*busy*</b>"],
  })
  assert.deepEqual(m.caveats.length, 1)
  assert.match(
    renderText(m),
    /\nCaveat: the first bad build's run 5 on bench-1: other work took 51 % of CPU 1/,
  )
  assert.ok(
    renderMarkdown(m).includes(
      "Caveat: the first bad build's run 5 on bench-1: other work took 51 % of CPU 1 &lt;b&gt;\\*busy\\*&lt;/b&gt;",
    ),
  )
  const email = renderEmail(m)
  assert.ok(email.html.includes('Caveat: the first bad build&#39;s run 5'))
  assert.ok(!email.html.includes('<b>*busy*</b>'))
  assert.match(JSON.stringify(renderSlack(m)), /Caveat: the first bad build's run 5 on bench-1/)
  assert.deepEqual(alertMessageFrom(testAlert(), TEST_LINKS).caveats, [], 'none unless given')
})

test('every rendering carries what the other machines saw, escaped for its medium', () => {
  const line = 'nbody · jit, 1.200× on bench-1: moved on mac 1.190× [1.170, 1.210]; not moved on <win*>'
  const m = alertMessageFrom(testAlert(), { ...TEST_LINKS, elsewhere: [line] })
  assert.match(renderText(m), /\nOn other machines: nbody · jit, 1\.200× on bench-1: moved on mac 1\.190×/)
  assert.ok(
    renderMarkdown(m).includes('On other machines: nbody · jit') && !renderMarkdown(m).includes('<win*>'),
  )
  assert.ok(renderEmail(m).html.includes('not moved on &lt;win*&gt;'))
  assert.match(JSON.stringify(renderSlack(m)), /On other machines: nbody · jit/)
  assert.deepEqual(alertMessageFrom(testAlert(), TEST_LINKS).elsewhere, [], 'none unless given')
})
