import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { alertMessageFrom } from './message.ts'
import {
  closedPortUrl,
  type HttpReceiver,
  instantSleep,
  startHttpReceiver,
  TEST_LINKS,
  testAlert,
} from './testing.ts'
import { createWebhookTransport } from './webhook.ts'

const message = alertMessageFrom(testAlert(), TEST_LINKS)
/** Slack's URLs carry their secret in the path; it must never appear in a reason. */
const SECRET_PATH = '/services/T000/B000/s3cr3tT0k3n'
const receivers: HttpReceiver[] = []
after(async () => {
  await Promise.all(receivers.map((r) => r.close()))
})

async function receiver(...replies: Parameters<typeof startHttpReceiver>[0][]): Promise<HttpReceiver> {
  const r = await startHttpReceiver((req, i) =>
    (replies[Math.min(i, replies.length - 1)] as (typeof replies)[0])(req, i),
  )
  receivers.push(r)
  return r
}

test('the webhook transport POSTs Slack JSON naming the alert, the magnitudes, the range and the comparison', async () => {
  const r = await receiver(() => ({ status: 200, body: 'ok' }))
  const result = await createWebhookTransport({ name: 'chat', url: `${r.url}${SECRET_PATH}` }).send(message)
  assert.deepEqual(result, {
    target: 'chat',
    kind: 'webhook',
    state: 'delivered',
    attempts: 1,
    detail: 'HTTP 200',
    url: null,
  })
  assert.equal(r.requests.length, 1)
  const req = r.requests[0]
  assert.equal(req?.method, 'POST')
  assert.equal(req?.path, SECRET_PATH)
  assert.equal(req?.headers['content-type'], 'application/json; charset=utf-8')
  const body = JSON.parse(req?.body ?? '') as { text: string; blocks: unknown[] }
  assert.equal(body.blocks.length, 4)
  assert.match(body.text, /^Alert 42: cpython main slower/)
  assert.ok(body.text.includes('1.083× [1.071, 1.095] +8.3 %'))
  assert.ok(
    body.text.includes(
      '/compare/aaaaaaaaaa1111111111aaaaaaaaaa1111111111...bbbbbbbbbb2222222222bbbbbbbbbb2222222222|Commits in the range>',
    ),
  )
  assert.ok(
    body.text.includes('<https://perf.example.org/compare?base=build%3A7&candidate=build%3A9|Comparison>'),
  )
  // Every mrkdwn text arrives escaped; the header is plain_text, which Slack never parses.
  const mrkdwn = JSON.stringify(body.blocks.slice(1)) + body.text
  assert.ok(!mrkdwn.includes('<img'), 'the hostile workload name arrives escaped')
  assert.ok(mrkdwn.includes('&lt;img'))
})

test('the webhook transport retries a 500 with backoff and then delivers', async () => {
  const r = await receiver(
    () => ({ status: 500, body: 'oops' }),
    () => ({ status: 200, body: 'ok' }),
  )
  const clock = instantSleep()
  const result = await createWebhookTransport(
    { name: 'chat', url: r.url },
    { sleep: clock.sleep, backoffMs: 250 },
  ).send(message)
  assert.equal(result.state, 'delivered')
  assert.equal(result.attempts, 2)
  assert.equal(r.requests.length, 2)
  assert.deepEqual(clock.delaysMs, [250])
})

test('the webhook transport doubles its backoff and gives up after maxAttempts, saying it may be retried', async () => {
  const r = await receiver(() => ({ status: 503, body: 'maintenance' }))
  const clock = instantSleep()
  const result = await createWebhookTransport(
    { name: 'chat', url: `${r.url}${SECRET_PATH}` },
    { sleep: clock.sleep, backoffMs: 100, maxAttempts: 3 },
  ).send(message)
  assert.equal(result.state, 'failed')
  assert.equal(result.state === 'failed' && result.retryable, true)
  assert.equal(r.requests.length, 3)
  assert.deepEqual(clock.delaysMs, [100, 200])
  assert.equal(
    result.state === 'failed' ? result.reason : '',
    `POST ${r.url}/… answered HTTP 503: "maintenance" (after 3 attempts)`,
  )
})

test('the webhook transport honours Retry-After on a 429', async () => {
  const r = await receiver(
    () => ({ status: 429, headers: { 'retry-after': '7' }, body: 'rate_limited' }),
    () => ({ status: 200, body: 'ok' }),
  )
  const clock = instantSleep()
  const result = await createWebhookTransport({ name: 'chat', url: r.url }, { sleep: clock.sleep }).send(
    message,
  )
  assert.equal(result.state, 'delivered')
  assert.deepEqual(clock.delaysMs, [7000])
})

test('the webhook transport stops when Retry-After asks for longer than it waits', async () => {
  const r = await receiver(() => ({ status: 429, headers: { 'retry-after': '3600' } }))
  const clock = instantSleep()
  const result = await createWebhookTransport({ name: 'chat', url: r.url }, { sleep: clock.sleep }).send(
    message,
  )
  assert.equal(result.state, 'failed')
  assert.equal(r.requests.length, 1)
  assert.deepEqual(clock.delaysMs, [])
  assert.match(
    result.state === 'failed' ? result.reason : '',
    /asked to retry after 3600 s, longer than the 60 s/,
  )
  assert.equal(result.state === 'failed' && result.retryable, true)
})

test('the webhook transport does not retry a 404 and says it will not succeed later', async () => {
  const r = await receiver(() => ({ status: 404, body: 'no_service' }))
  const clock = instantSleep()
  const result = await createWebhookTransport(
    { name: 'chat', url: `${r.url}${SECRET_PATH}` },
    { sleep: clock.sleep },
  ).send(message)
  assert.equal(r.requests.length, 1)
  assert.deepEqual(result, {
    target: 'chat',
    kind: 'webhook',
    state: 'failed',
    attempts: 1,
    reason: `POST ${r.url}/… answered HTTP 404: "no_service"`,
    retryable: false,
  })
})

test('the webhook transport fails with a reason when the receiver is down, never naming the secret path', async () => {
  const url = `${await closedPortUrl()}${SECRET_PATH}`
  const clock = instantSleep()
  const result = await createWebhookTransport(
    { name: 'chat', url },
    { sleep: clock.sleep, maxAttempts: 2 },
  ).send(message)
  assert.equal(result.state, 'failed')
  const reason = result.state === 'failed' ? result.reason : ''
  assert.match(reason, /failed: connection refused \(nothing listens there\) \(after 2 attempts\)$/)
  assert.ok(!reason.includes('s3cr3tT0k3n'))
  assert.equal(result.state === 'failed' && result.retryable, true)
})

test('the webhook transport gives up on a receiver that never answers after its timeout', async () => {
  const r = await receiver(() => 'hang')
  const result = await createWebhookTransport(
    { name: 'chat', url: r.url },
    { timeoutMs: 200, maxAttempts: 1 },
  ).send(message)
  assert.equal(result.state, 'failed')
  assert.equal(
    result.state === 'failed' ? result.reason : '',
    `POST ${r.url}/… failed: no answer within 200 ms`,
  )
  assert.equal(result.state === 'failed' && result.retryable, true)
})

test('the webhook transport refuses a URL that is not http(s) without sending', async () => {
  const result = await createWebhookTransport({ name: 'chat', url: 'file:///etc/passwd' }).send(message)
  assert.equal(result.state, 'failed')
  assert.equal(result.attempts, 0)
  assert.equal(result.state === 'failed' && result.retryable, false)
})
