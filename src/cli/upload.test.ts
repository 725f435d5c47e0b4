import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { exampleRunDocument } from '../api/index.ts'
import { buildServer, hashTokenSecret, newTokenSecret } from '../server/index.ts'
import { openSqliteStore, type Store } from '../store/index.ts'
import { cli } from './toy-runtime.ts'

// `langperf upload FILE…` against a real server on a socket: a langperf-run document and a gzip
// pyperf file are stored; a file of neither format and a token of another machine are refused,
// each on its own, and the exit status says so; a file uploaded again is stored once.

const tmp = mkdtempSync(join(tmpdir(), 'langperf-upload-'))
const PYPERF = fileURLToPath(
  new URL('../../examples/pyperf/bm-20240525-3.14.0a0-e418fc3.json.gz', import.meta.url),
)

/** A server on an empty in-memory store with an admin token and an agent token for bench-2. */
async function setup() {
  const store = await openSqliteStore(':memory:')
  const secrets = { admin: newTokenSecret(), scoped: newTokenSecret() }
  for (const [name, secret] of Object.entries(secrets)) {
    const scopes = name === 'scoped' ? ['bench-2'] : []
    const role = name === 'admin' ? 'admin' : 'agent'
    await store.createToken({
      name,
      role,
      scopes,
      hash: hashTokenSecret(secret),
      createdAt: '2024-09-01T00:00:00Z',
    })
  }
  const app = await buildServer(store)
  return { store, app, secrets }
}

const runCount = async (store: Store) => (await store.listRuns({ limit: 1 })).total

test('upload stores langperf-run and pyperf files; a bad file or a foreign machine fails alone, status 1; a file sent again is stored once', async () => {
  const f = await setup()
  try {
    const base = await f.app.listen({ host: '127.0.0.1', port: 0 })
    const doc = join(tmp, 'run.json')
    writeFileSync(doc, JSON.stringify(exampleRunDocument({ machine: 'bench-2', commitSha: 'eeee5555' })))
    const before = await runCount(f.store)
    const ok = await cli(
      'upload',
      '--server',
      base,
      '--token',
      f.secrets.admin,
      doc,
      PYPERF,
      '--machine',
      'ci-1',
    )
    assert.equal(ok.code, 0, ok.err)
    assert.match(ok.out, /run\.json: stored as run \d+ \(langperf-run\)/)
    assert.match(ok.out, /e418fc3\.json\.gz: stored as run \d+ \(pyperf\)/)
    assert.equal(await runCount(f.store), before + 2)

    const junk = join(tmp, 'junk.json')
    writeFileSync(junk, '{"hello": 1}')
    const foreign = join(tmp, 'foreign.json')
    writeFileSync(foreign, JSON.stringify(exampleRunDocument({ machine: 'bench-9' })))
    const bad = await cli('upload', '--server', base, '--token', f.secrets.scoped, junk, foreign, doc)
    assert.equal(bad.code, 1)
    assert.match(bad.err, /junk\.json: not stored: .*expected a langperf-run document/)
    assert.match(bad.err, /foreign\.json: not stored: .*found machine "bench-9"/)
    // The same document again: the server knows its content and stores nothing, saying so.
    const firstId = /run\.json: stored as run (\d+)/.exec(ok.out)?.[1]
    assert.match(bad.out, new RegExp(`run\\.json: already stored as run ${firstId} \\(langperf-run\\)`))
    assert.match(bad.err, /2 of 3 files not stored/)
    assert.equal(await runCount(f.store), before + 2)
    // Re-indented, a file is the same content; with other overrides, another run.
    const pretty = join(tmp, 'run-pretty.json')
    writeFileSync(
      pretty,
      JSON.stringify(exampleRunDocument({ machine: 'bench-2', commitSha: 'eeee5555' }), null, 2),
    )
    const again = await cli(
      'upload',
      '--server',
      base,
      '--token',
      f.secrets.admin,
      pretty,
      PYPERF,
      '--machine',
      'ci-1',
      '--json',
    )
    assert.equal(again.code, 0, again.err)
    assert.deepEqual(
      JSON.parse(again.out).uploaded.map((u: { stored: boolean }) => u.stored),
      [false, false],
    )
    const other = await cli(
      'upload',
      '--server',
      base,
      '--token',
      f.secrets.admin,
      PYPERF,
      '--machine',
      'ci-2',
    )
    assert.match(other.out, /stored as run \d+ \(pyperf\)/)
    assert.equal(await runCount(f.store), before + 3)
  } finally {
    await f.app.close()
    await f.store.close()
  }
})
