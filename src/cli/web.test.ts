import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { discoverInterpreters, onPath, processesMentioning, processesNamed } from '../runner/index.ts'
import { cli } from './toy-runtime.ts'

// The web suite through the command line: django_feed under gunicorn with memcached, loaded by
// wrk, on CPython 3.11, 3.12 and 3.13 interleaved (Django 5.2 needs 3.10 or newer), compared
// with its requests/s and latencies, then nothing left running; and on CPython 3.9 and PyPy with
// Debian's Django 3.2 and gunicorn 20.1 (--system-packages), a series of its own.

/** The interpreters the test measures, in run order (the first is compare's base). */
const PYTHONS = ['python3.11', 'python3.12', 'python3.13'] as const

const scratch = await mkdtemp(join(tmpdir(), 'langperf-web-'))
after(() => rm(scratch, { recursive: true, force: true }))

async function why(): Promise<string | false> {
  if ((await onPath('wrk', process.env)) === null) return 'wrk is not installed (apt-get install -y wrk)'
  if ((await onPath('memcached', process.env)) === null)
    return 'memcached is not installed (apt-get install -y memcached)'
  const { interpreters } = await discoverInterpreters({ explicit: [...PYTHONS] })
  for (const p of PYTHONS)
    if (!interpreters.some((i) => i.info.version.startsWith(p.slice('python'.length))))
      return `${p} is not installed`
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

test('run --suite web measures django_feed on three interpreters; compare shows requests/s, p99 and CPU per request', async (t) => {
  // Asked here, not at the top level: a top-level await would let Node 20 run `after` first.
  const skip = await why()
  if (skip) return t.skip(skip)
  const memcachedBefore = processesNamed('memcached').length
  const db = join(scratch, 'web.db')
  const run = await cli(
    'run',
    '--suite',
    'web',
    ...PYTHONS.flatMap((p) => ['--python', p]),
    '--processes',
    '2',
    '--db',
    db,
    '--cache-dir',
    join(scratch, 'cache'),
    '--no-progress',
  )
  assert.equal(run.code, 0, run.err)
  // The plan says what a server workload's process is: load windows, not warm-ups and values.
  assert.match(
    run.err,
    /server workload django_feed: each process one value \(the server's CPU per request\) from 1 s warm-up \+ 4 s measured load \+ 2 × 4 s open loop \(70 %, 90 % of it\)/,
  )
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
  // One run per interpreter, measured together: compare of the first and the last shows the value
  // (CPU per request) and, under it, requests/s and latency p99, each with its interval.
  const compared = await cli('compare', '1', '3', '--db', db, '--json')
  assert.equal(compared.code, 0, compared.err)
  type Compared = { kind: string; ratio?: number; low?: number; high?: number }
  const report = JSON.parse(compared.out) as {
    rows: {
      workload: string
      unit: string
      comparison: Compared
      metrics: { name: string; unit: string; comparison: Compared }[]
    }[]
  }
  const row = report.rows.find((r) => r.workload === 'django_feed')
  assert.ok(row, compared.out)
  assert.equal(row.unit, 'second')
  const interval = (c: Compared) =>
    c.kind === 'comparison' &&
    c.low !== undefined &&
    c.high !== undefined &&
    c.low <= (c.ratio ?? 0) &&
    (c.ratio ?? 0) <= c.high
  assert.ok(interval(row.comparison), JSON.stringify(row.comparison))
  const byName = new Map(row.metrics.map((m) => [m.name, m]))
  for (const [name, unit] of [
    ['requests_per_s', 'request/s'],
    ['latency_p99_ms', 'ms'],
    ['latency_p99_ms@90%', 'ms'],
  ]) {
    const m = byName.get(name!)
    assert.ok(m && m.unit === unit && interval(m.comparison), `${name}: ${JSON.stringify(row.metrics)}`)
  }
  const text = await cli('compare', '1', '3', '--db', db)
  assert.match(text.out, /\n {2}Requests\/s \(saturation\) +[\d.]+ request\/s/)
  assert.match(text.out, /\n {2}Latency p99 \(saturation\) +[\d.]+ ms/)
  assert.deepEqual(processesMentioning('django_feed/workload.py'), [], 'no gunicorn left')
  assert.equal(processesNamed('memcached').length, memcachedBefore, 'no memcached left')
})

/** The pyenv CPython 3.9 and Debian's PyPy the Debian-packages test measures, when present. */
const PY39 = join(process.env.HOME ?? '/root', '.pyenv/versions/3.9.18/bin/python3.9')
const DIST_PACKAGES = '/usr/lib/python3/dist-packages'

test("run --suite web --system-packages measures django_feed on CPython 3.9 and PyPy with Debian's Django 3.2, a series apart", async (t) => {
  if ((await onPath('wrk', process.env)) === null || (await onPath('memcached', process.env)) === null)
    return t.skip('wrk or memcached is not installed (apt-get install -y wrk memcached)')
  if (!existsSync(join(DIST_PACKAGES, 'django')) || !existsSync(join(DIST_PACKAGES, 'gunicorn')))
    return t.skip(
      "Debian's python3-django and gunicorn are not installed (apt-get install -y python3-django gunicorn)",
    )
  if (!existsSync(PY39)) return t.skip(`CPython 3.9 is not installed at ${PY39}`)
  const pythons = [PY39, ...((await onPath('pypy3', process.env)) === null ? [] : ['pypy3'])]
  if (pythons.length === 1) t.diagnostic('pypy3 is not installed: CPython 3.9 only')
  const memcachedBefore = processesNamed('memcached').length
  const db = join(scratch, 'web-debian.db')
  const run = await cli(
    'run',
    '--suite',
    'web',
    ...pythons.flatMap((p) => ['--python', p]),
    '--system-packages',
    '--system-path',
    DIST_PACKAGES,
    '--processes',
    '2',
    '--db',
    db,
    '--no-progress',
  )
  assert.equal(run.code, 0, run.err)
  const listed = await cli('workloads', '--json')
  const pipVersion = (
    JSON.parse(listed.out) as { workloads: { manifest: { name: string }; version: string }[] }
  ).workloads.find((w) => w.manifest.name === 'django_feed')?.version
  const versions: string[] = []
  for (const [i] of pythons.entries()) {
    const shown = await cli('show', String(i + 1), '--db', db, '--json')
    assert.equal(shown.code, 0, shown.err)
    const [result] = (
      JSON.parse(shown.out) as {
        results: (WebResult & {
          workload: { version: string }
          metadata: { requirements?: { mode: string; installed: string[]; path: string[] } }
        })[]
      }
    ).results
    assert.equal(result?.outcome.state, 'measured', JSON.stringify(result?.outcome))
    const req = result?.metadata.requirements
    assert.equal(req?.mode, 'system')
    assert.deepEqual(req?.path, [DIST_PACKAGES])
    assert.ok(
      req?.installed.some((p) => /^Django==3\.2\./.test(p)),
      `Debian's Django 3.2 recorded: ${JSON.stringify(req)}`,
    )
    assert.ok(
      req?.installed.some((p) => /^gunicorn==20\./.test(p)),
      JSON.stringify(req),
    )
    for (const cpu of result?.metadata.http?.cpu_ms_per_request ?? []) assert.ok(cpu > 0)
    versions.push(result?.workload.version ?? '')
  }
  // Django 3.2 from Debian is not the pip-pinned Django 5.2: another version, so another series.
  assert.ok(pipVersion && !versions.includes(pipVersion), `${pipVersion} vs ${versions.join(', ')}`)
  if (pythons.length === 2) {
    // The same Debian stack on both: one version, so compare sets them side by side.
    assert.equal(versions[0], versions[1])
    const compared = await cli('compare', '1', '2', '--db', db, '--json')
    assert.equal(compared.code, 0, compared.err)
    const rows = (JSON.parse(compared.out) as { rows: { workload: string; metrics: { name: string }[] }[] })
      .rows
    const row = rows.find((r) => r.workload === 'django_feed')
    assert.ok(
      row?.metrics.some((m) => m.name === 'requests_per_s'),
      compared.out,
    )
  }
  assert.deepEqual(processesMentioning('django_feed/workload.py'), [], 'no gunicorn left')
  assert.equal(processesNamed('memcached').length, memcachedBefore, 'no memcached left')
})
