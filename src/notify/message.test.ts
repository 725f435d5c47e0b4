import assert from 'node:assert/strict'
import { test } from 'node:test'
import { LangperfError } from '../lib/index.ts'
import { alertMessageFrom, formatMagnitude, repositoryLinks } from './message.ts'
import { renderText } from './render.ts'
import { sampleAlertMessage } from './sample.ts'
import { HOSTILE_WORKLOAD, TEST_LINKS, testAlert } from './testing.ts'

test('alertMessageFrom() lists the live changes largest first and leaves withdrawn ones out', () => {
  const m = alertMessageFrom(testAlert(), TEST_LINKS)
  assert.deepEqual(
    m.changes.map((c) => c.workload),
    [HOSTILE_WORKLOAD, 'regex_compile', 'nbody'],
  )
  assert.equal(m.changeCount, 3)
  assert.equal(m.title, `Alert 42: cpython main slower, up to +8.3 % (${HOSTILE_WORKLOAD})`)
  assert.equal(m.summary, '3 changes: 3 regressions, 0 improvements on bench-1 (default)')
})

test('alertMessageFrom() keeps at most maxChanges changes and counts the rest', () => {
  const m = alertMessageFrom(testAlert(), { ...TEST_LINKS, maxChanges: 1 })
  assert.equal(m.changes.length, 1)
  assert.equal(m.changeCount, 3)
})

test('alertMessageFrom() links the portal pages, the commits and the range', () => {
  const m = alertMessageFrom(testAlert(), TEST_LINKS)
  assert.equal(m.links.alert, 'https://perf.example.org/alerts/42')
  assert.equal(m.links.comparison, 'https://perf.example.org/compare?base=build%3A7&candidate=build%3A9')
  assert.equal(
    m.blame.lastGood.url,
    'https://github.com/python/cpython/commit/aaaaaaaaaa1111111111aaaaaaaaaa1111111111',
  )
  assert.equal(
    m.blame.rangeUrl,
    'https://github.com/python/cpython/compare/aaaaaaaaaa1111111111aaaaaaaaaa1111111111...bbbbbbbbbb2222222222bbbbbbbbbb2222222222',
  )
  assert.equal(m.blame.culprit, null)
})

test('alertMessageFrom() gives the culprit with its link once bisection found it', () => {
  const m = alertMessageFrom(
    testAlert({ culpritCommit: 'cccccccccc3333333333', culpritNote: 'bisected in 5 builds' }),
    TEST_LINKS,
  )
  assert.deepEqual(m.blame.culprit, {
    sha: 'cccccccccc3333333333',
    url: 'https://github.com/python/cpython/commit/cccccccccc3333333333',
  })
  assert.equal(m.blame.culpritNote, 'bisected in 5 builds')
})

test('alertMessageFrom() links no commit that is not a SHA and no commit without a pattern', () => {
  const local = alertMessageFrom(
    testAlert({ lastGoodCommit: '3.12.1', firstBadCommit: '3.13.0' }),
    TEST_LINKS,
  )
  assert.equal(local.blame.lastGood.url, null)
  assert.equal(local.blame.rangeUrl, null)
  const plain = alertMessageFrom(testAlert(), { portalUrl: 'http://127.0.0.1:8080' })
  assert.equal(plain.blame.firstBad.url, null)
  assert.equal(plain.links.alert, 'http://127.0.0.1:8080/alerts/42')
})

test('alertMessageFrom() says what changed for an infrastructure alert and blames no commit', () => {
  const alert = testAlert({ kind: 'infrastructure' })
  const withDetails = {
    ...alert,
    changes: alert.changes.map((c) => ({ ...c, details: { infrastructure: ['kernel 6.1 → 6.6'] } })),
  }
  const m = alertMessageFrom(withDetails, TEST_LINKS)
  assert.equal(m.kind, 'infrastructure')
  assert.deepEqual(m.infrastructure, ['kernel 6.1 → 6.6'])
  assert.match(m.title, /^Alert 42: infrastructure change: cpython main slower/)
  assert.match(m.summary, /not blamed on a commit$/)
})

test('alertMessageFrom() marks a provisional alert in its title', () => {
  assert.match(alertMessageFrom(testAlert({ status: 'provisional' }), TEST_LINKS).title, / \[provisional\]$/)
})

test('alertMessageFrom() refuses a portal URL that is not http(s) and patterns without placeholders', () => {
  const refused = (options: Parameters<typeof alertMessageFrom>[1], pattern: RegExp) =>
    assert.throws(
      () => alertMessageFrom(testAlert(), options),
      (e: unknown) => e instanceof LangperfError && e.code === 'bad-input' && pattern.test(e.message),
    )
  refused(
    { portalUrl: 'javascript:alert(1)' },
    /^Cannot use the portal URL "javascript:alert\(1\)": expected/,
  )
  refused({ portalUrl: 'x', commitUrl: null }, /expected an http\(s\) URL/)
  refused(
    { portalUrl: 'https://p', commitUrl: 'https://g/commit/' },
    /Cannot use the commit URL pattern "https:\/\/g\/commit\/": expected "\{sha\}" in it/,
  )
  refused({ portalUrl: 'https://p', rangeUrl: 'https://g/{from}' }, /expected "\{from\}" and "\{to\}"/)
  refused({ portalUrl: 'https://p', maxChanges: 0 }, /expected a positive integer/)
})

test('formatMagnitude() gives the ratio, its 95 % interval and the percent change', () => {
  assert.equal(
    formatMagnitude({ ratio: 1.083, ratioLow: 1.071, ratioHigh: 1.095 }),
    '1.083× [1.071, 1.095] +8.3 %',
  )
  assert.equal(
    formatMagnitude({ ratio: 0.97, ratioLow: 0.96, ratioHigh: 0.98 }),
    '0.970× [0.960, 0.980] −3.0 %',
  )
})

test('an instruction-count change reads as an exact count change, without an interval', () => {
  assert.equal(
    formatMagnitude({ measure: 'instructions', ratio: 1.032, ratioLow: 1.032, ratioHigh: 1.032 }),
    'instruction count +3.2 % (exact)',
  )
  const base = testAlert()
  const counted = {
    ...base.changes[0]!,
    measure: 'instructions' as const,
    ratio: 1.12,
    ratioLow: 1.12,
    ratioHigh: 1.12,
    details: { method: 'exact' },
  }
  const m = alertMessageFrom({ ...base, changes: [...base.changes, counted] }, TEST_LINKS)
  assert.equal(m.changes[0]!.measure, 'instructions')
  assert.equal(m.title, 'Alert 42: cpython main slower, up to instruction count +12 % (nbody)')
  const text = renderText(m)
  assert.match(text, /nbody.*instruction count \+12 % \(exact\)/)
  assert.match(text, /1\.083× \[1\.071, 1\.095\] \+8\.3 %/, 'time changes keep their interval')
})

test('repositoryLinks() knows GitHub remotes in https and scp form and nothing else', () => {
  assert.deepEqual(repositoryLinks('https://github.com/python/cpython.git'), {
    commitUrl: 'https://github.com/python/cpython/commit/{sha}',
    rangeUrl: 'https://github.com/python/cpython/compare/{from}...{to}',
  })
  assert.equal(
    repositoryLinks('git@github.com:pypy/pypy')?.commitUrl,
    'https://github.com/pypy/pypy/commit/{sha}',
  )
  assert.equal(repositoryLinks('https://gitlab.com/a/b.git'), null)
  assert.equal(repositoryLinks('/srv/git/cpython'), null)
})

test('sampleAlertMessage() is marked as a test and uses alert id 0, which no stored alert has', () => {
  const m = sampleAlertMessage('http://127.0.0.1:8080')
  assert.equal(m.alertId, 0)
  assert.match(m.title, /^\[test\] Sample alert: cpython main slower, up to \+8\.3 % \(json_dumps\)/)
  assert.equal(m.links.alert, 'http://127.0.0.1:8080/alerts/0')
})
