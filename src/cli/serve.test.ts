import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { test } from 'node:test'
import { createApiClient, exampleRunDocument } from '../api/index.ts'
import { mirrorDirName } from '../build/index.ts'
import { parseConfig } from '../config/index.ts'
import { runtimeSources, serveCommand } from './commands/serve.ts'
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
  // In the background at start: the page cache (--cache-mb, 512 by default) primed, then the
  // dashboard's pages warmed, each said on stderr.
  for (let i = 0; i < 200 && !/warmed \d+ of \d+ dashboard pages/.test(err.text()); i++)
    await new Promise((r) => setTimeout(r, 25))
  assert.match(
    err.text(),
    /langperf: runs, builds and the series index \(about 0 MB, \d+ workloads\) read into the page cache/,
  )
  assert.match(err.text(), /warmed \d+ of \d+ dashboard pages/)
  stop('SIGTERM')
  assert.equal(await serving, 0)
  assert.match(err.text(), /SIGTERM received, closing/)
  const shown = await cli('show', '--json', '--db', db)
  assert.equal(shown.code, 0)
})

/** Starts `serve` on a free port with `options`; returns its URL, its stderr and how to stop it. */
async function served(options: { logFormat?: string }) {
  const db = join(tmp, `log-${options.logFormat ?? 'default'}.db`)
  const err = sink()
  const io: Io = { out: sink().stream, err: err.stream, isTty: false }
  let stop: (value: string) => void = () => {}
  const stopped = new Promise<string>((resolve) => {
    stop = resolve
  })
  const serving = serveCommand({ io, env: {} }, { db, port: 0, ...options }, { stop: stopped })
  let url: string | undefined
  for (let i = 0; i < 200 && url === undefined; i++) {
    url = /serving (http:\/\/127\.0\.0\.1:\d+)/.exec(err.text())?.[1]
    if (url === undefined) await new Promise((r) => setTimeout(r, 25))
  }
  assert.ok(url, err.text())
  const close = async () => {
    stop('SIGTERM')
    return await serving
  }
  return { url, err, close }
}

test('serve logs one readable line per request by default', async () => {
  const s = await served({})
  assert.equal((await fetch(`${s.url}/api/v1/runs`)).status, 200)
  assert.equal((await fetch(`${s.url}/api/v1/runs/999`)).status, 404)
  assert.equal(await s.close(), 0)
  const lines = s.err
    .text()
    .split('\n')
    .filter((l) => l.includes('/api/v1/runs'))
  assert.equal(lines.length, 2, s.err.text())
  assert.match(lines[0]!, /^\d\d:\d\d:\d\d GET \/api\/v1\/runs 200 \d+\.\d ms$/)
  assert.match(lines[1]!, /^\d\d:\d\d:\d\d GET \/api\/v1\/runs\/999 404 \d+\.\d ms$/)
})

test('serve --log-format json writes one JSON record per request, and refuses an unknown format', async () => {
  const s = await served({ logFormat: 'json' })
  assert.equal((await fetch(`${s.url}/api/v1/runs`)).status, 200)
  assert.equal(await s.close(), 0)
  const records = s.err
    .text()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { url?: string; statusCode?: number; msg: string })
  const access = records.filter((r) => r.url === '/api/v1/runs')
  assert.equal(access.length, 1)
  assert.equal(access[0]!.statusCode, 200)
  assert.match(access[0]!.msg, /^GET \/api\/v1\/runs 200 /)
  await assert.rejects(
    serveCommand(
      { io: { out: sink().stream, err: sink().stream, isTty: false }, env: {} },
      { logFormat: 'xml' },
    ),
    /expected --log-format to be one of text, json, found "xml"/,
  )
})

test('serve --config finds each runtime’s mirror under the cache directory and its link templates', async () => {
  const dir = mkdtempSync(join(tmp, 'config-'))
  const remote = 'https://github.com/python/cpython.git'
  const text = `[build]\ncache_dir = "cache"\n[[runtimes]]\nname = "cpython"\nfamily = "cpython"\nremote = "${remote}"\nbranches = ["main"]\ncommit_url = "https://github.com/python/cpython/commit/{sha}"\n[[runtimes]]\nname = "pypy"\nfamily = "cpython"\nremote = "https://github.com/pypy/pypy.git"\nbranches = ["main"]\n`
  const config = parseConfig(text, join(dir, 'langperf.toml'))
  const mirror = join(dir, 'cache', 'mirrors', mirrorDirName(remote))
  mkdirSync(mirror, { recursive: true })
  const [cpython, pypy] = runtimeSources(config)
  assert.equal(cpython?.gitDir, mirror)
  assert.equal(cpython?.commitUrl, 'https://github.com/python/cpython/commit/{sha}')
  assert.equal(pypy?.gitDir, null, 'no mirror cloned yet')
  assert.equal(pypy?.commitUrl, undefined)
})
