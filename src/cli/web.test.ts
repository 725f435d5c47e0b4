import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { discoverInterpreters, onPath, processesMentioning, processesNamed } from '../runner/index.ts'
import { cli } from './toy-runtime.ts'

// The web suite through the command line: django_feed under gunicorn with memcached, loaded by
// wrk, on CPython 3.11 (Django 5.2's wheels need 3.10 or newer), then nothing left running.

const scratch = await mkdtemp(join(tmpdir(), 'langperf-web-'))
after(() => rm(scratch, { recursive: true, force: true }))

async function why(): Promise<string | false> {
  if ((await onPath('wrk', process.env)) === null) return 'wrk is not installed (apt-get install -y wrk)'
  if ((await onPath('memcached', process.env)) === null)
    return 'memcached is not installed (apt-get install -y memcached)'
  const { interpreters } = await discoverInterpreters({ explicit: ['python3.11'] })
  if (!interpreters.some((i) => i.info.version.startsWith('3.11'))) return 'python3.11 is not installed'
  return false
}

interface WebResult {
  readonly workload: { readonly name: string }
  readonly outcome: { readonly state: string; readonly message?: string }
  readonly metadata: {
    readonly http?: {
      readonly requests_per_s: number[]
      readonly cpu_ms_per_request: number[]
      readonly primary: string
      readonly open_loop: { fraction: number; completed: number; latency_p99_ms: number }[][]
    }
    readonly services?: { readonly memcached?: { readonly version: string } }
  }
}

test('run --suite web measures django_feed: requests/s and CPU ms/request, no process left', async (t) => {
  // Asked here, not at the top level: a top-level await would let Node 20 run `after` first.
  const skip = await why()
  if (skip) return t.skip(skip)
  const memcachedBefore = processesNamed('memcached').length
  const db = join(scratch, 'web.db')
  const run = await cli(
    'run',
    '--suite',
    'web',
    '--python',
    'python3.11',
    '--processes',
    '2',
    '--db',
    db,
    '--cache-dir',
    join(scratch, 'cache'),
    '--no-progress',
  )
  assert.equal(run.code, 0, run.err)
  const shown = await cli('show', '1', '--db', db, '--json')
  assert.equal(shown.code, 0, shown.err)
  const [result] = (JSON.parse(shown.out) as { results: WebResult[] }).results
  assert.equal(result?.workload.name, 'django_feed')
  assert.equal(result?.outcome.state, 'measured', JSON.stringify(result?.outcome))
  const http = result?.metadata.http
  assert.equal(http?.primary, 'cpu_ms_per_request')
  assert.equal(http?.requests_per_s.length, 2)
  for (const rps of http?.requests_per_s ?? []) assert.ok(rps > 0, JSON.stringify(http))
  for (const cpu of http?.cpu_ms_per_request ?? []) assert.ok(cpu > 0, JSON.stringify(http))
  assert.match(result?.metadata.services?.memcached?.version ?? '', /^\d+\.\d+/)
  assert.equal(http?.open_loop.length, 2)
  for (const windows of http?.open_loop ?? []) {
    assert.deepEqual(
      windows.map((w) => w.fraction),
      [0.7, 0.9],
    )
    for (const w of windows) assert.ok(w.completed > 0 && w.latency_p99_ms > 0, JSON.stringify(w))
  }
  assert.deepEqual(processesMentioning('django_feed/workload.py'), [], 'no gunicorn left')
  assert.equal(processesNamed('memcached').length, memcachedBefore, 'no memcached left')
})
