import assert from 'node:assert/strict'
import { test } from 'node:test'
import { machineAlertMessageFrom } from './machine-message.ts'
import { renderEmail, renderMarkdown, renderSlack, renderText } from './render.ts'

// The message about a silent machine and its renderings: what happened in one line, what the
// check saw, links to the machine and the agents; nothing of a commit range.

const alert = {
  id: 7,
  machine: 'bench-1',
  kind: 'silent',
  since: '2024-10-01T02:00:00Z',
  raisedAt: '2024-10-02T18:00:00Z',
  detail: { lastResultAt: '2024-10-01T02:00:00Z', pendingJobs: 3, lastSeenAt: '2024-10-01T02:05:00Z' },
} as const

test('machineAlertMessageFrom() says since when, how long, what waits and when the agent was seen', () => {
  const m = machineAlertMessageFrom(alert, { portalUrl: 'https://perf.example.org/' })
  assert.equal(m.title, 'Machine bench-1: no results since 2024-10-01 02:00 UTC (40 h)')
  assert.equal(
    m.summary,
    'Its last result arrived 2024-10-01 02:00 UTC; 3 jobs wait in its queue; its agent was last seen 2024-10-01 02:05 UTC',
  )
  assert.deepEqual(m.links, {
    machine: 'https://perf.example.org/machines/bench-1',
    agents: 'https://perf.example.org/agents',
  })
  const never = machineAlertMessageFrom(
    { ...alert, detail: { lastResultAt: null, pendingJobs: 0 } },
    { portalUrl: 'http://127.0.0.1:8080' },
  )
  assert.equal(
    never.summary,
    'It has sent no result since its agent registered, 2024-10-01 02:00 UTC; no job waits in its queue',
  )
  assert.throws(() => machineAlertMessageFrom(alert, { portalUrl: 'ftp://x' }), /expected an http\(s\) URL/)
})

test('every renderer lays out a machine alert: title, summary and links, no blame or changes', () => {
  const m = machineAlertMessageFrom(alert, { portalUrl: 'https://perf.example.org' })
  const text = renderText(m)
  assert.match(text, /^Machine bench-1: no results since/)
  assert.match(text, /Machine: https:\/\/perf\.example\.org\/machines\/bench-1/)
  assert.doesNotMatch(text, /Blame|Largest changes/)
  assert.match(renderMarkdown(m), /\[Machine bench-1\]\(https:\/\/perf\.example\.org\/machines\/bench-1\)/)
  const slack = renderSlack(m) as { text: string; blocks: unknown[] }
  assert.match(slack.text, /<https:\/\/perf\.example\.org\/agents\|Agents>/)
  assert.equal(slack.blocks.length, 3)
  const mail = renderEmail(m)
  assert.equal(mail.subject, m.title)
  assert.match(mail.html, /<a href="https:\/\/perf\.example\.org\/agents">Agents<\/a>/)
})
