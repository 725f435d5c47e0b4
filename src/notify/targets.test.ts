import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { parseConfig } from '../config/index.ts'
import { alertMessageFrom } from './message.ts'
import { createTransport, failingTransport, notifyAll } from './targets.ts'
import { type HttpReceiver, startHttpReceiver, TEST_LINKS, testAlert } from './testing.ts'
import type { Transport } from './transport.ts'

const message = alertMessageFrom(testAlert(), TEST_LINKS)
const receivers: HttpReceiver[] = []
after(async () => {
  await Promise.all(receivers.map((r) => r.close()))
})

async function receiver() {
  const r = await startHttpReceiver((req) =>
    req.method === 'GET'
      ? { status: 200, body: '[]' }
      : { status: 201, body: JSON.stringify({ number: 1, html_url: 'https://github.com/o/r/issues/1' }) },
  )
  receivers.push(r)
  return r
}

function targets(hookUrl: string, apiUrl: string) {
  return parseConfig(
    `[[notify]]\nkind = "webhook"\nname = "chat"\nurl_env = "HOOK_URL"\n` +
      `[[notify]]\nkind = "github"\nname = "gh"\nrepo = "o/r"\ntoken_env = "GH_TOKEN"\napi_url = "${apiUrl}"\n` +
      `[[notify]]\nkind = "webhook"\nname = "direct"\nurl = "${hookUrl}/direct"\n` +
      `[[notify]]\nkind = "email"\nname = "mail"\nsmtp_host = "127.0.0.1"\nfrom = "a@example.org"\nto = ["b@example.org"]\nusername_env = "SMTP_USER"\npassword_env = "SMTP_PASSWORD"\n`,
    'langperf.toml',
  ).notify
}

test('createTransport() reads each secret from the environment variable the configuration names', async () => {
  const hook = await receiver()
  const api = await receiver()
  const env = { HOOK_URL: `${hook.url}/hooks/secret`, GH_TOKEN: 'ghp_fromenv' }
  const [chat, gh, direct] = targets(hook.url, api.url).map((t) => createTransport(t, env))
  assert.equal((await chat?.send(message))?.state, 'delivered')
  assert.equal((await direct?.send(message))?.state, 'delivered')
  assert.deepEqual(
    hook.requests.map((r) => r.path),
    ['/hooks/secret', '/direct'],
  )
  const sent = await gh?.send(message)
  assert.equal(sent?.state === 'delivered' ? sent.detail : '', 'created issue #1')
  assert.equal(api.requests[1]?.headers.authorization, 'Bearer ghp_fromenv')
})

test('createTransport() gives a transport that fails, naming the variable, when a secret is not set', async () => {
  const hook = await receiver()
  const results = await notifyAll(
    message,
    targets(hook.url, hook.url).map((t) => createTransport(t, { HOOK_URL: '  ' })),
  )
  assert.deepEqual(
    results.map((r) => (r.state === 'failed' ? r.reason : r.state)),
    [
      'Cannot send to "chat": the environment variable "HOOK_URL" is not set, expected it to hold the webhook URL',
      'Cannot send to "gh": the environment variable "GH_TOKEN" is not set, expected it to hold the GitHub token',
      'delivered',
      'Cannot send to "mail": the environment variable "SMTP_USER" is not set, expected it to hold the SMTP login',
    ],
  )
  assert.equal(hook.requests.length, 1, 'only the target with its URL in the file was reached')
})

test('notifyAll() returns one result per transport, in order, even when one throws', async () => {
  const broken: Transport = {
    name: 'broken',
    kind: 'webhook',
    send: () => Promise.reject(new Error('boom')),
  }
  const results = await notifyAll(message, [failingTransport('a', 'email', 'no'), broken])
  assert.deepEqual(
    results.map((r) => [r.target, r.state]),
    [
      ['a', 'failed'],
      ['broken', 'failed'],
    ],
  )
  assert.match(results[1]?.state === 'failed' ? results[1].reason : '', /unexpected error \(a bug\): boom/)
})
