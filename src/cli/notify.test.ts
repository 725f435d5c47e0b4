import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { after, test } from 'node:test'
import { parseConfig } from '../config/index.ts'
import { type AlertDetail, exampleAlertDetail, openSqliteStore } from '../store/index.ts'
import { messageForAlert } from './commands/notify.ts'
import { main } from './main.ts'

// `langperf notify test|send` in-process, against a webhook receiver on 127.0.0.1.

const tmp = mkdtempSync(join(tmpdir(), 'langperf-notify-cli-'))
const bodies: { path: string; body: string }[] = []
let status = 200
const server = createServer((req, res) => {
  let body = ''
  req.on('data', (c: Buffer) => {
    body += c.toString('utf8')
  })
  req.on('end', () => {
    bodies.push({ path: req.url ?? '', body })
    res.writeHead(status).end(status === 200 ? 'ok' : 'no_service')
  })
})
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
const hookBase = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
after(() => {
  server.closeAllConnections()
  server.close()
})

const config = join(tmp, 'langperf.toml')
writeFileSync(
  config,
  `[[runtimes]]\nname = "cpython"\nfamily = "cpython"\nremote = "https://github.com/python/cpython.git"\nbranches = ["main"]\n` +
    `[[notify]]\nkind = "webhook"\nname = "chat"\nurl_env = "TEST_HOOK_URL"\n` +
    `[[notify]]\nkind = "github"\nname = "gh"\nrepo = "o/r"\ntoken_env = "TEST_GH_TOKEN"\n`,
)

async function cli(
  env: NodeJS.ProcessEnv,
  ...args: string[]
): Promise<{ code: number; out: string; err: string }> {
  const text = { out: '', err: '' }
  const sink = (key: 'out' | 'err') =>
    new Writable({
      write(chunk, _enc, cb) {
        text[key] += String(chunk)
        cb()
      },
    })
  const code = await main(
    ['node', 'langperf', ...args],
    { out: sink('out'), err: sink('err'), isTty: false },
    env,
  )
  return { code, ...text }
}

test('notify test sends the sample alert to the named target and says it was delivered', async () => {
  bodies.length = 0
  const r = await cli(
    { TEST_HOOK_URL: `${hookBase}/hooks/secret` },
    'notify',
    'test',
    '--target',
    'chat',
    '--config',
    config,
  )
  assert.equal(r.code, 0, r.err)
  assert.equal(r.out, 'Delivered to "chat" (webhook) in 1 attempt: HTTP 200\n')
  assert.equal(bodies.length, 1)
  assert.equal(bodies[0]?.path, '/hooks/secret')
  const payload = JSON.parse(bodies[0]?.body ?? '') as { text: string }
  assert.match(payload.text, /^\[test\] Sample alert: cpython main slower, up to \+8\.3 % \(json_dumps\)/)
  assert.ok(payload.text.includes('<http://127.0.0.1:8080/alerts/0|Alert 0>'))
})

test('notify test exits with 3 and the reason when the target refuses, never printing the secret', async () => {
  status = 404
  try {
    const r = await cli(
      { TEST_HOOK_URL: `${hookBase}/hooks/s3cret` },
      'notify',
      'test',
      '--target',
      'chat',
      '--config',
      config,
      '--json',
    )
    assert.equal(r.code, 3)
    const [result] = JSON.parse(r.out) as { state: string; reason: string; retryable: boolean }[]
    assert.deepEqual(result, {
      target: 'chat',
      kind: 'webhook',
      state: 'failed',
      attempts: 1,
      reason: `POST ${hookBase}/… answered HTTP 404: "no_service"`,
      retryable: false,
    })
    assert.ok(!r.out.includes('s3cret') && !r.err.includes('s3cret'))
  } finally {
    status = 200
  }
})

test('notify test names the missing environment variable and the known targets', async () => {
  const missing = await cli({}, 'notify', 'test', '--target', 'gh', '--config', config)
  assert.equal(missing.code, 3)
  assert.match(
    missing.err,
    /Not delivered to "gh" \(github\): Cannot send to "gh": the environment variable "TEST_GH_TOKEN" is not set/,
  )
  const unknown = await cli({}, 'notify', 'test', '--target', 'team', '--config', config)
  assert.equal(unknown.code, 2)
  assert.equal(
    unknown.err,
    'langperf: Cannot find notification target "team": expected one of "chat", "gh"\n',
  )
  const noFile = await cli({}, 'notify', 'test', '--target', 'chat', '--config', join(tmp, 'nope.toml'))
  assert.equal(noFile.code, 2)
  assert.match(noFile.err, /Cannot read configuration ".*nope\.toml": no such file/)
})

test('notify send refuses an alert that is not stored', async () => {
  const empty = join(tmp, 'empty.db')
  await (await openSqliteStore(empty)).close()
  const r = await cli({}, 'notify', 'send', '7', '--config', config, '--db', empty)
  assert.equal(r.code, 2)
  assert.equal(r.err, 'langperf: Cannot find alert 7: expected an id that `langperf alerts` lists\n')
})

test('messageForAlert() takes a stored alert and links its commits on the runtime remote', () => {
  const sha = (c: string) => c.repeat(40)
  const alert: AlertDetail = exampleAlertDetail({
    id: 5,
    culpritCommit: sha('c'),
    culpritNote: 'bisected',
    createdAt: '2026-11-27T00:00:00.000Z',
    updatedAt: '2026-11-27T00:00:00.000Z',
    changeCount: 1,
    regressions: 1,
    largest: { workload: 'nbody', measure: 'time', ratio: 1.1, ratioLow: 1.05, ratioHigh: 1.15 },
    changes: [
      {
        id: 1,
        alertId: 5,
        kind: 'commit',
        measure: 'time',
        series: {
          machine: 'bench-1',
          runtime: 'cpython',
          config: 'default',
          branch: 'main',
          workload: 'nbody',
          workloadVersion: 'v1',
        },
        lastGood: { buildId: 1, resultId: 1, commitSha: sha('a') },
        firstBad: { buildId: 2, resultId: 2, commitSha: sha('b') },
        unit: 'second',
        ratio: 1.1,
        ratioLow: 1.05,
        ratioHigh: 1.15,
        pValue: 0.0001,
        direction: 'regression',
        status: 'confirmed',
        details: {},
        createdAt: '2026-11-27T00:00:00.000Z',
        updatedAt: '2026-11-27T00:00:00.000Z',
      },
    ],
  })
  const parsed = parseConfig(
    '[[runtimes]]\nname = "cpython"\nfamily = "cpython"\nremote = "git@github.com:python/cpython.git"\nbranches = ["main"]\n',
    'langperf.toml',
  )
  const m = messageForAlert(alert, parsed, 'https://perf.example.org')
  assert.equal(m.blame.culprit?.url, `https://github.com/python/cpython/commit/${sha('c')}`)
  assert.equal(m.blame.rangeUrl, `https://github.com/python/cpython/compare/${sha('a')}...${sha('b')}`)
  assert.equal(m.links.comparison, 'https://perf.example.org/compare?base=build%3A1&candidate=build%3A2')
  assert.equal(m.title, 'Alert 5: cpython main slower, up to +10 % (nbody)')
})
