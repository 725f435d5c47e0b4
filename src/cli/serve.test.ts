import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { test } from 'node:test'
import { createApiClient, exampleRunDocument } from '../api/index.ts'
import { serveCommand } from './commands/serve.ts'
import { main } from './main.ts'
import type { Io } from './output.ts'

// `langperf token` and `langperf serve` end to end, in-process: a token made by the CLI writes
// through the server that the CLI started, and the server stops cleanly when told to.

const tmp = mkdtempSync(join(tmpdir(), 'langperf-serve-'))

function sink(): { stream: Writable; text: () => string } {
  let text = ''
  const stream = new Writable({
    write(chunk, _enc, cb) {
      text += String(chunk)
      cb()
    },
  })
  return { stream, text: () => text }
}

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = sink()
  const err = sink()
  const code = await main(['node', 'langperf', ...args], { out: out.stream, err: err.stream, isTty: false })
  return { code, out: out.text(), err: err.text() }
}

test('token create prints a secret once; list shows the token without it; revoke marks it', async () => {
  const db = join(tmp, 'tokens.db')
  const created = await cli(
    'token',
    'create',
    '--role',
    'agent',
    '--name',
    'ci',
    '--scope',
    'bench-1',
    '--db',
    db,
  )
  assert.equal(created.code, 0, created.err)
  const secret = created.out.trim()
  assert.match(secret, /^lp_[A-Za-z0-9_-]{43}$/)
  assert.match(created.err, /shown only now/)
  const listed = await cli('token', 'list', '--json', '--db', db)
  const tokens = JSON.parse(listed.out) as { id: number; scopes: string[]; revokedAt: string | null }[]
  assert.deepEqual(tokens[0]?.scopes, ['bench-1'])
  assert.ok(!listed.out.includes(secret))
  assert.equal((await cli('token', 'revoke', String(tokens[0]?.id), '--db', db)).code, 0)
  const after = JSON.parse((await cli('token', 'list', '--json', '--db', db)).out) as {
    revokedAt: string | null
  }[]
  assert.notEqual(after[0]?.revokedAt, null)
  const bad = await cli('token', 'create', '--role', 'root', '--name', 'x', '--db', db)
  assert.equal(bad.code, 2)
  assert.match(bad.err, /expected --role to be one of agent, admin, found "root"/)
  assert.equal((await cli('token', 'revoke', '99', '--db', db)).code, 2)
})

test('serve listens on 127.0.0.1, accepts a token made by the CLI, and stops when told', async () => {
  const db = join(tmp, 'serve.db')
  const secret = (await cli('token', 'create', '--role', 'agent', '--name', 'ci', '--db', db)).out.trim()
  const err = sink()
  const io: Io = { out: sink().stream, err: err.stream, isTty: false }
  let stop: (value: string) => void = () => {}
  const stopped = new Promise<string>((resolve) => {
    stop = resolve
  })
  const serving = serveCommand({ io, env: {} }, { db, port: 0, logLevel: 'silent' }, { stop: stopped })
  let url: string | undefined
  for (let i = 0; i < 200 && url === undefined; i++) {
    url = /serving (http:\/\/127\.0\.0\.1:\d+)/.exec(err.text())?.[1]
    if (url === undefined) await new Promise((r) => setTimeout(r, 25))
  }
  assert.ok(url, `the server reported its address: ${err.text()}`)
  const { runs } = await createApiClient(url, { token: secret }).ingestRun({ body: exampleRunDocument() })
  assert.equal(runs.length, 1)
  stop('SIGTERM')
  assert.equal(await serving, 0)
  assert.match(err.text(), /SIGTERM received, closing/)
  const shown = await cli('show', '--json', '--db', db)
  assert.equal(shown.code, 0)
})
