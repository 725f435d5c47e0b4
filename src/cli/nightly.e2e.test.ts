import assert from 'node:assert/strict'
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { after, before, describe, test } from 'node:test'
import { initGitRepo } from '../build/index.ts'
import { parseConfig } from '../config/index.ts'
import { runNightly } from '../pipeline/index.ts'
import { buildServer } from '../server/index.ts'
import { openSqliteStore, type Store } from '../store/index.ts'
import { main } from './main.ts'
import type { Io } from './output.ts'

// The nightly end to end on a toy runtime: a git repository of a tiny interpreter — a C file
// that embeds CPython (Py_BytesMain) — built by `make` with a generic recipe. Thirty commits,
// mostly harmless; one breaks the build (fixed by the next); one installs a C profile hook
// that burns time on every call, so every workload gets much slower (tracing mode plus the
// hook: about 2.5× here). The nightly backfills every third commit, detects the change,
// bisects it to that commit, notifies a local webhook, and the portal's API shows the builds,
// the failed build and the alert with its culprit. Lives in cli/ (layer 6) because it drives
// the pipeline, the CLI and the server together.

/** A python3.X-config that can link an embedded interpreter, or null (the test is skipped). */
function findPythonConfig(): string | null {
  const candidates: string[] = []
  const pyenv = '/root/.pyenv/versions'
  try {
    for (const v of readdirSync(pyenv).sort((a, b) =>
      a.startsWith('3.11') ? -1 : b.startsWith('3.11') ? 1 : 0,
    )) {
      const minor = /^3\.(\d+)\./.exec(v)?.[1]
      if (minor !== undefined && Number(minor) >= 8)
        candidates.push(join(pyenv, v, 'bin', `python3.${minor}-config`))
    }
  } catch {
    // No pyenv here.
  }
  candidates.push('python3-config')
  for (const c of candidates) {
    const r = spawnSync(c, ['--ldflags', '--embed'], { encoding: 'utf8' })
    if (r.status === 0) return c
  }
  return null
}

const PYTHON_CONFIG = findPythonConfig()
/** Why the test cannot run here, or false. */
const SKIP =
  PYTHON_CONFIG === null
    ? 'no python3.X-config with --embed found'
    : spawnSync('make', ['--version']).status !== 0 || spawnSync('cc', ['--version']).status !== 0
      ? 'make and a C compiler (cc) are needed to build the toy runtime'
      : false
const TOTAL_COMMITS = 30
const BROKEN = 8 // breaks the build; commit 9 fixes it
const SLOW = 19 // installs the profile hook
const WORKLOADS = ['calls_closures', 'generators']

const FAST_MAIN = (version: string) => `/* toy ${version}: a tiny interpreter that embeds CPython. */
#include <Python.h>

int main(int argc, char **argv) { return Py_BytesMain(argc, argv); }
`

const SLOW_MAIN = (
  version: string,
) => `/* toy ${version}: a tiny interpreter that embeds CPython, now with a call hook. */
#include <Python.h>
#include <frameobject.h>

/* Burns a little time on every call: an accidental per-call cost. */
static int burn(PyObject *obj, PyFrameObject *frame, int what, PyObject *arg) {
  (void)obj; (void)frame; (void)arg;
  if (what == PyTrace_CALL || what == PyTrace_C_CALL) {
    volatile unsigned sink = 0;
    for (unsigned i = 0; i < 600; i++) sink += i;
  }
  return 0;
}

int main(int argc, char **argv) {
  PyStatus status;
  PyConfig config;
  PyConfig_InitPythonConfig(&config);
  status = PyConfig_SetBytesArgv(&config, argc, argv);
  if (PyStatus_Exception(status)) goto fail;
  status = Py_InitializeFromConfig(&config);
  if (PyStatus_Exception(status)) goto fail;
  PyConfig_Clear(&config);
  PyEval_SetProfile(burn, NULL);
  return Py_RunMain();
fail:
  PyConfig_Clear(&config);
  if (PyStatus_IsExit(status)) return status.exitcode;
  Py_ExitStatusException(status);
}
`

const MAKEFILE = `# The toy runtime: one C file linked against libpython (PYTHON_CONFIG names python3.X-config).
python3: main.c
\t$(CC) -O1 -o python3 main.c $$($(PYTHON_CONFIG) --cflags --embed) $$($(PYTHON_CONFIG) --ldflags --embed)
`

interface ToyRepo {
  readonly origin: string
  readonly shas: readonly string[]
}

/** A history of the toy runtime: how many commits, which breaks the build, which slows it and how. */
interface ToyHistory {
  readonly dir: string
  readonly total: number
  readonly broken: number | null
  readonly slow: number | null
  readonly slowMain: (version: string) => string
  readonly slowSubject: string
}

const HOOKED: ToyHistory = {
  dir: 'toy',
  total: TOTAL_COMMITS,
  broken: BROKEN,
  slow: SLOW,
  slowMain: SLOW_MAIN,
  slowSubject: 'Initialise with PyConfig and install a call hook',
}

/** Makes the toy runtime's history: commit i has author date 2024-01-01 00:i:00 UTC. */
function makeToyRepo(root: string, history: ToyHistory = HOOKED): ToyRepo {
  const origin = join(root, history.dir)
  const { commit } = initGitRepo(origin)
  const shas: string[] = []
  let slow = false
  for (let i = 0; i < history.total; i++) {
    const version = `0.${i}`
    let subject = `Bump the version to ${version}`
    if (i === history.slow) {
      slow = true
      subject = history.slowSubject
    }
    let main = slow ? history.slowMain(version) : FAST_MAIN(version)
    if (i === history.broken) {
      main = `${main}\nint broken( {\n`
      subject = 'Start a helper (does not compile)'
    }
    if (history.broken !== null && i === history.broken + 1) subject = 'Fix the build'
    const date = `2024-01-01T00:${String(i).padStart(2, '0')}:00Z`
    shas.push(commit({ 'main.c': main, Makefile: MAKEFILE, VERSION: `${version}\n` }, subject, { date }))
  }
  return { origin, shas }
}

function sink(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = []
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(Buffer.from(chunk))
      cb()
    },
  })
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') }
}

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = sink()
  const err = sink()
  const io: Io = { out: out.stream, err: err.stream, isTty: false }
  const code = await main(['node', 'langperf', ...args], io, process.env)
  return { code, out: out.text(), err: err.text() }
}

describe('the nightly end to end on a toy runtime that embeds CPython', {
  skip: SKIP,
}, () => {
  let root = ''
  let repo: ToyRepo
  let configPath = ''
  let db = ''
  let server: Server
  const received: { path: string; body: Record<string, unknown> }[] = []
  /** Notifications the nightly that found the slowdown sent (the next one must send none). */
  let sentByFirstNightly = -1
  const t0 = performance.now()
  const machine = 'toy-bench'
  /**
   * Sampling for a short test: 3 processes × (1 warm-up + 2 values) of at least 10 ms; pairs do
   * not grow here (the 5× step needs no more, and growth is the subject of the scenario below and
   * of src/pipeline/nightly.test.ts): growing them doubled this scenario's time.
   */
  const sampling = [
    '--processes',
    '3',
    '--warmups',
    '1',
    '--values',
    '2',
    '--min-time',
    '0.01',
    '--pair-budget',
    '1',
  ]

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'langperf-e2e-'))
    repo = makeToyRepo(root)
    server = createServer((req, res) => {
      let body = ''
      req.on('data', (c) => {
        body += c
      })
      req.on('end', () => {
        received.push({ path: req.url ?? '', body: JSON.parse(body) as Record<string, unknown> })
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}')
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as { port: number }).port
    configPath = join(root, 'langperf.toml')
    db = join(root, 'langperf.db')
    writeFileSync(
      configPath,
      `[store]
location = "langperf.db"

[[runtimes]]
name = "toy"
family = "generic"
remote = "toy"
branches = ["main"]

[runtimes.configs.default]
build = ["make"]
install = ["mkdir -p \\"$PREFIX/bin\\"", "cp python3 \\"$PREFIX/bin/python3\\""]
executable = "bin/python3"
env = { PYTHON_CONFIG = "${PYTHON_CONFIG}" }

[suites]
default = ["quick"]

[schedule]
backfill_every = 3

[[notify]]
kind = "webhook"
name = "hook"
url = "http://127.0.0.1:${port}/hook"

[build]
cache_dir = "cache"
jobs = 1
step_timeout = "2m"

[bisect]
max_builds = 6
repeats = 3
`,
    )
  })

  after(async () => {
    await new Promise((resolve) => server.close(resolve))
    rmSync(root, { recursive: true, force: true })
    // The figure the brief asks for: how long the whole scenario takes on this machine.
    process.stderr.write(`nightly end to end: ${((performance.now() - t0) / 1000).toFixed(1)} s\n`)
  })

  test('a nightly interrupted half-way stores what finished and leaves the rest to the next one', async () => {
    const store = await openSqliteStore(db)
    const controller = new AbortController()
    let results = 0
    // Abort once the second commit's pair (measured interleaved with the first) has stored its
    // first workload on both builds: its run keeps that one workload.
    const watched = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop === 'addResult') {
          return async (...args: Parameters<Store['addResult']>) => {
            const r = await target.addResult(...args)
            // Commit 2 has no reference: measured beside itself, two results per workload.
            if (++results === 2 * WORKLOADS.length + 2) controller.abort()
            return r
          }
        }
        const v = Reflect.get(target, prop, receiver)
        return typeof v === 'function' ? v.bind(target) : v
      },
    }) as Store
    try {
      const config = parseConfig(readFileSync(configPath, 'utf8'), configPath)
      const report = await runNightly(
        config,
        { store: watched, signal: controller.signal, log: () => {} },
        {
          machine,
          backfill: TOTAL_COMMITS,
          workloads: WORKLOADS,
          sampling: { processes: 3, warmups: 1, values: 2, minTimeS: 0.01 },
          pairBudget: 1,
          portalUrl: 'http://portal.test',
        },
      )
      assert.equal(report.interrupted, true)
      assert.equal(report.planned.length, 10, 'every third of 30 commits, the newest included')
      // Each planned commit is measured beside the one planned before it (a chain).
      assert.deepEqual(
        report.planned
          .slice(0, 3)
          .map((p) => [repo.shas.indexOf(p.sha), p.reference && repo.shas.indexOf(p.reference)]),
        [
          [2, null],
          [5, 2],
          [8, 5],
        ],
      )
      assert.deepEqual(
        report.commits.map((c) => c.measure),
        ['measured'],
      )
      const steps = await store.listPipelineSteps({ kind: 'measure' })
      assert.deepEqual(
        steps.rows.map((s) => [
          repo.shas.indexOf(s.key.split(':').at(-1)!),
          s.status,
          s.detail.error ?? null,
        ]),
        [
          [2, 'done', null],
          [5, 'failed', 'interrupted'],
        ],
      )
      assert.equal(received.length, 0, 'nothing detected, nothing sent')
    } finally {
      await store.close()
    }
  })

  test('the next nightly resumes, records the failed build, detects the slowdown, bisects it to its commit and notifies', async () => {
    const r = await cli(
      'nightly',
      '--config',
      configPath,
      '--backfill',
      String(TOTAL_COMMITS),
      '--machine',
      machine,
      '-w',
      WORKLOADS[0]!,
      '-w',
      WORKLOADS[1]!,
      ...sampling,
      '--bisect-processes',
      '4',
      '--portal-url',
      'http://portal.test',
      '--json',
    )
    assert.equal(r.code, 0, r.err)
    const report = JSON.parse(r.out)
    // Commits 5, 8 … 29: commit 2 was measured before the interruption, 5 was half-way.
    const measuredIdx = (report.commits as { sha: string; measure: string }[]).map((c) => [
      repo.shas.indexOf(c.sha),
      c.measure,
    ])
    assert.deepEqual(measuredIdx.slice(0, 2), [
      [5, 'measured'],
      [BROKEN, 'build-failed'],
    ])
    assert.equal(measuredIdx.length, 9)
    assert.ok(measuredIdx.slice(2).every(([, m]) => m === 'measured'))
    // Each measured beside the newest commit measured before it with a working build: 11 passes
    // over the failed build of 8.
    const references = (report.commits as { sha: string; reference: string | null }[]).map((c) => [
      repo.shas.indexOf(c.sha),
      c.reference === null ? null : repo.shas.indexOf(c.reference),
    ])
    assert.deepEqual(references.slice(0, 4), [
      [5, 2],
      [BROKEN, null],
      [11, 5],
      [14, 11],
    ])
    assert.deepEqual(report.errors, [])
    // The interrupted commit (5) was finished without measuring its stored workload again.
    const store = await openSqliteStore(db)
    try {
      const step5 = await store.getPipelineStep(`measure:${machine}:toy:default:${repo.shas[5]}`)
      assert.equal(step5?.status, 'done')
      assert.equal(step5?.attempts, 2)
      const runs5 = (step5!.detail.runIds as number[]).map(Number)
      assert.equal(runs5.length, 2)
      const results5 = (await Promise.all(runs5.map((id) => store.getResults(id)))).flat()
      assert.deepEqual(results5.map((x) => x.workload.name).sort(), [...WORKLOADS].sort())
      assert.equal((await store.getRun(runs5[0]!))?.status, 'interrupted')
      // Its reference (commit 2) was measured beside it in both attempts, each run marked.
      assert.equal(step5?.detail.reference, repo.shas[2])
      const refs5 = (step5!.detail.referenceRunIds as number[]).map(Number)
      assert.equal(refs5.length, 2)
      const ref5 = await store.getRun(refs5[1]!)
      assert.equal(ref5?.metadata.purpose, 'reference')
      assert.equal(ref5?.build.commitSha, repo.shas[2])
      assert.equal((await store.getRun(runs5[1]!))?.metadata.reference_run_id, refs5[1])

      // Detection: a commit alert whose blame range holds the slow commit. (On this shared VM a
      // noisy night has once added a second, unreproducible alert elsewhere; false alerts are the
      // business of the clean history of the shared-machine scenario below.)
      const alerts = (await store.listAlerts({ kind: 'commit' })).rows
      const holds = (a: { lastGoodCommit: string; firstBadCommit: string }) =>
        repo.shas.indexOf(a.lastGoodCommit) < SLOW && SLOW <= repo.shas.indexOf(a.firstBadCommit)
      const alert = alerts.find(holds)!
      assert.ok(alert, JSON.stringify(alerts))
      assert.equal(alerts.filter(holds).length, 1, JSON.stringify(alerts))
      assert.equal(alert.direction, 'regression')
      assert.equal(alert.status, 'confirmed')
      // The first bad build was measured interleaved with the last good one: the pair shows the
      // step (on 3 processes a side a 99 % interval can be too wide to say more than
      // "inconclusive", never that the step is not there).
      const detail = await store.getAlert(alert.id)
      const verdicts = (detail?.changes ?? []).map(
        (c) => (c.details.paired as { verdict?: string } | undefined)?.verdict,
      )
      assert.ok(verdicts.includes('confirms'), JSON.stringify(detail?.changes.map((c) => c.details.paired)))
      assert.ok(
        verdicts.every((v) => v === 'confirms' || v === 'inconclusive'),
        verdicts.join(', '),
      )
      // Bisection named exactly the slow commit and recorded it with its ratios.
      assert.equal(alert.culpritCommit, repo.shas[SLOW])
      assert.match(alert.culpritNote ?? '', /against its parent .*calls_closures \d+\.\d{3}× \[/)
      assert.deepEqual(
        report.bisections
          .filter((b: { alertId: number }) => b.alertId === alert.id)
          .map((b: { alertId: number; state: string; culprit: string }) => [b.alertId, b.state, b.culprit]),
        [[alert.id, 'culprit', repo.shas[SLOW]]],
      )
      // Notifications: the new alert, then its culprit, each once, at the webhook.
      const events = report.notifications.map(
        (n: { event: string; state: string }) => `${n.event}:${n.state}`,
      )
      assert.ok(events.includes('new:delivered') && events.includes('culprit:delivered'), events.join(', '))
      assert.ok(
        events.every((e: string) => e.endsWith(':delivered')),
        events.join(', '),
      )
      assert.equal(received.length, events.length)
      assert.ok(received.every((x) => x.path === '/hook'))
      assert.ok(received.some((x) => JSON.stringify(x.body).includes(`${alert.id}`)))
      assert.ok(received.some((x) => JSON.stringify(x.body).includes(repo.shas[SLOW]!.slice(0, 7))))
      sentByFirstNightly = received.length
    } finally {
      await store.close()
    }
  })

  test('the portal shows the builds, the failed build as failed points and the alert with its culprit', async () => {
    const store = await openSqliteStore(db)
    try {
      const app = await buildServer(store)
      const get = async (url: string) => {
        const res = await app.inject({ method: 'GET', url })
        assert.equal(res.statusCode, 200, `${url}: ${res.body}`)
        return res.json()
      }
      const series = await get(`/api/v1/series?machine=${machine}&runtime=toy`)
      assert.deepEqual(
        series.items.map((s: { workload: string }) => s.workload).sort(),
        [...WORKLOADS].sort(),
      )
      const points = await get(
        `/api/v1/series/points?machine=${machine}&runtime=toy&config=default&branch=main&workload=calls_closures&failed=1`,
      )
      // Every point of the series, bisection measurements included (their runs say purpose "bisect").
      const all = points.points as { commitSha: string; state: string; runId: number }[]
      const failed = all.filter((p) => p.state === 'failed')
      assert.deepEqual(
        failed.map((p) => repo.shas.indexOf(p.commitSha)),
        [BROKEN],
      )
      const run = await get(`/api/v1/runs/${failed[0]!.runId}`)
      assert.equal(run.run.metadata.build_status, 'failed')
      assert.match(JSON.stringify(run), /build-failed/)
      const builds = await get('/api/v1/builds?runtime=toy&limit=100')
      assert.ok(builds.items.length >= 10)
      const alerts = await get('/api/v1/alerts?runtime=toy')
      const id = alerts.items.find(
        (a: { kind: string; culpritCommit: string | null }) =>
          a.kind === 'commit' && a.culpritCommit === repo.shas[SLOW],
      ).id
      const alert = await get(`/api/v1/alerts/${id}`)
      assert.equal(alert.culpritCommit, repo.shas[SLOW])
      assert.ok(
        alert.changes.some((c: { series: { workload: string } }) => WORKLOADS.includes(c.series.workload)),
      )
      await app.close()
    } finally {
      await store.close()
    }
  })

  test('a second nightly finds everything done and sends nothing again', async () => {
    const r = await cli(
      'nightly',
      '--config',
      configPath,
      '--backfill',
      String(TOTAL_COMMITS),
      '--machine',
      machine,
      '-w',
      WORKLOADS[0]!,
      '-w',
      WORKLOADS[1]!,
      ...sampling,
      '--json',
    )
    assert.equal(r.code, 0, r.err)
    const report = JSON.parse(r.out)
    assert.equal(report.commits.length, 0)
    assert.equal(report.detections[0].state, 'done-before')
    assert.ok(report.notifications.every((n: { state: string }) => n.state === 'done-before'))
    assert.ok(report.bisections.every((b: { state: string }) => b.state === 'done-before'))
    assert.equal(received.length, sentByFirstNightly, 'nothing sent again')
  })

  test('a nightly started while another holds the lock exits with status 75 and names the holder', async () => {
    const lock = join(root, 'cache', 'nightly.lock')
    writeFileSync(
      lock,
      JSON.stringify({ pid: process.pid, host: hostname(), startedAt: '2024-01-02T02:00:00.000Z' }),
    )
    try {
      const r = await cli('nightly', '--config', configPath, '--machine', machine)
      assert.equal(r.code, 75)
      assert.match(r.err, new RegExp(`another nightly \\(pid ${process.pid} on`))
    } finally {
      rmSync(lock, { force: true })
    }
  })

  test('langperf bisect by hand names the same commit, with cached builds', async () => {
    const r = await cli(
      'bisect',
      '--config',
      configPath,
      '--machine',
      machine,
      '--good',
      repo.shas[SLOW - 1]!,
      '--bad',
      repo.shas[SLOW + 1]!,
      '-w',
      'calls_closures',
      '--processes',
      '4',
      '--warmups',
      '1',
      '--values',
      '2',
      '--min-time',
      '0.01',
      '--json',
    )
    assert.equal(r.code, 0, r.err)
    const result = JSON.parse(r.out)
    assert.equal(result.outcome.kind, 'culprit')
    assert.equal(result.outcome.culprit.sha, repo.shas[SLOW])
    assert.equal(result.outcome.steps.length, 1)
    assert.match(r.err, /bisect [0-9a-f]{12}\.\.[0-9a-f]{12}: 2 commits in the range/)
    const missing = await cli(
      'bisect',
      '--config',
      configPath,
      '--bad',
      repo.shas[23]!,
      '-w',
      'calls_closures',
    )
    assert.equal(missing.code, 2)
    assert.match(missing.err, /expected both --good and --bad/)
  })

  test('langperf nightly --dry-run prints the plan and builds nothing', async () => {
    const r = await cli(
      'nightly',
      '--config',
      configPath,
      '--machine',
      'another-bench',
      '--dry-run',
      '--json',
    )
    assert.equal(r.code, 0, r.err)
    const report = JSON.parse(r.out)
    assert.equal(report.dryRun, true)
    assert.deepEqual(
      report.planned.map((p: { sha: string }) => p.sha),
      [repo.shas[TOTAL_COMMITS - 1]],
      'a machine without history starts at the head',
    )
    assert.equal(report.commits.length, 0)
  })
})

// --- issue 18: what users meet ------------------------------------------------------------------
//
// A real regression is small and local: one C-level change makes float-heavy code about 20 %
// slower and leaves the rest alone. Here the toy's commit 8 wraps float division
// (PyFloat_Type's nb_true_divide, which CPython 3.11's specialising interpreter does not inline)
// in a function that burns a little time first: nbody (a division per pair of bodies per step)
// gets about 15–25 % slower on this machine, generators (no float division) not at all. The
// nightly runs as a new user runs it — `--backfill 13 --every 3 --fast`, bisection on — while a
// CPU-bound process runs beside it on this 2-core machine, as on a shared box. It must raise the
// alert on nbody, none on generators, and bisect it to commit 8; the same history without the
// change must raise nothing.

const FLOAT_COMMITS = 13
const FLOAT_SLOW = 8
/** Iterations burnt per float division: about +20 % on nbody (BURN 150: +15–19 %, 200: +24–30 % here). */
const FLOAT_BURN = 160
const FLOAT_WORKLOADS = ['nbody', 'generators']

const FLOAT_MAIN = (
  version: string,
) => `/* toy ${version}: embeds CPython; float division checks its operands first. */
#include <Python.h>

static binaryfunc float_true_divide;

/* An accidental per-division cost, as a careless C-level change would add. */
static PyObject *checked_true_divide(PyObject *a, PyObject *b) {
  volatile unsigned sink = 0;
  for (unsigned i = 0; i < ${FLOAT_BURN}; i++) sink += i;
  return float_true_divide(a, b);
}

int main(int argc, char **argv) {
  PyStatus status;
  PyConfig config;
  PyConfig_InitPythonConfig(&config);
  status = PyConfig_SetBytesArgv(&config, argc, argv);
  if (PyStatus_Exception(status)) goto fail;
  status = Py_InitializeFromConfig(&config);
  if (PyStatus_Exception(status)) goto fail;
  PyConfig_Clear(&config);
  float_true_divide = PyFloat_Type.tp_as_number->nb_true_divide;
  PyFloat_Type.tp_as_number->nb_true_divide = checked_true_divide;
  return Py_RunMain();
fail:
  PyConfig_Clear(&config);
  if (PyStatus_IsExit(status)) return status.exitcode;
  Py_ExitStatusException(status);
}
`

/** A CPU-bound child process (bounded to 10 minutes), so the nightly shares the machine. */
function busyLoop(): ChildProcess {
  return spawn(process.execPath, ['-e', 'const end = Date.now() + 600000; while (Date.now() < end) {}'], {
    stdio: 'ignore',
  })
}

function floatConfig(root: string, remote: string): string {
  return `[store]
location = "langperf.db"

[[runtimes]]
name = "toy"
family = "generic"
remote = "${remote}"
branches = ["main"]

[runtimes.configs.default]
build = ["make"]
install = ["mkdir -p \\"$PREFIX/bin\\"", "cp python3 \\"$PREFIX/bin/python3\\""]
executable = "bin/python3"
env = { PYTHON_CONFIG = "${PYTHON_CONFIG}" }

[build]
cache_dir = "${join(root, 'cache')}"
jobs = 1
step_timeout = "2m"
`
}

describe('the nightly on a shared machine catches a 20 % step on one workload', { skip: SKIP }, () => {
  let root = ''
  const t0 = performance.now()
  /** As a new user runs it (the fast preset: 6 processes × (1 + 3) values of at least 100 ms). */
  const nightly = (dir: string) =>
    cli(
      'nightly',
      '--config',
      join(root, dir, 'langperf.toml'),
      '--machine',
      'shared-box',
      '--backfill',
      String(FLOAT_COMMITS),
      '--every',
      '3',
      '--fast',
      // The default budget (3 rounds: 6 → 24 processes) ran out before deciding a +14 % step on
      // nbody when other jobs loaded this 2-core machine to 4–9 besides the busy loop; 4 rounds
      // (48 processes) is what the pair needs here to decide.
      '--pair-budget',
      '4',
      '-w',
      FLOAT_WORKLOADS[0]!,
      '-w',
      FLOAT_WORKLOADS[1]!,
      '--bisect-processes',
      '6',
      '--json',
    )

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'langperf-e2e-float-'))
    for (const [dir, slow] of [
      ['regressed', FLOAT_SLOW],
      ['clean', null],
    ] as const) {
      mkdirSync(join(root, dir))
      makeToyRepo(join(root, dir), {
        dir: 'toy',
        total: FLOAT_COMMITS,
        broken: null,
        slow,
        slowMain: FLOAT_MAIN,
        slowSubject: 'Check the operands of float division',
      })
      writeFileSync(join(root, dir, 'langperf.toml'), floatConfig(join(root, dir), join(root, dir, 'toy')))
    }
  })

  after(() => {
    rmSync(root, { recursive: true, force: true })
    process.stderr.write(`nightly on a shared machine: ${((performance.now() - t0) / 1000).toFixed(1)} s\n`)
  })

  /** What the adaptive pairs added: rounds and processes per commit, for the figures. */
  const pairFigures = (report: {
    commits: { sha: string; pair?: { rounds: number; addedProcesses: number; budgetExhausted: boolean } }[]
  }) =>
    report.commits
      .map(
        (c) =>
          `${c.sha.slice(0, 7)}: ${c.pair ? `${c.pair.rounds} round(s), +${c.pair.addedProcesses} processes${c.pair.budgetExhausted ? ', budget ran out' : ''}` : 'no pair'}`,
      )
      .join('; ')

  // On this machine shared with other jobs (load 3–6 besides the busy loop) the toy's step comes
  // out between +8 % and +33 % from run to run and process means spread 10–45 %. What it took
  // (issue 18): a pair that grows until it decides (4 rounds here), judged process by process with
  // Bonferroni-corrected looks, raising the change by itself; a bisection that starts from the
  // processes the pair needed and may double up to [bisect] repeats = 5 rounds. Before the last two,
  // the bisection stayed undecided at its first midpoint after 24 processes in 3 runs of 4. With
  // them: the nbody alert alone (1.155× [1.029, 1.295], raised by its pair), bisected to commit 8
  // (1.189× [1.090, 1.296] against its parent, 2 builds), in 680 s at load 4–5.
  test('with a CPU-bound process beside it, the nightly raises an alert on the one workload that slowed and bisects it to its commit', async () => {
    const shas = execFileSync('git', ['rev-list', '--reverse', 'main'], {
      cwd: join(root, 'regressed', 'toy'),
      encoding: 'utf8',
    })
      .trim()
      .split('\n')
    const busy = busyLoop()
    let r: Awaited<ReturnType<typeof cli>>
    const started = performance.now()
    try {
      r = await nightly('regressed')
    } finally {
      busy.kill('SIGKILL')
    }
    process.stderr.write(`  regressed nightly: ${((performance.now() - started) / 1000).toFixed(1)} s\n`)
    // The bisection's progress, for the figures (and to see where an undecided one stopped).
    for (const line of r.err
      .split('\n')
      .filter((l) => /bisect|round \d|confirming|: like-|undecided/.test(l)))
      process.stderr.write(`  ${line.trim()}\n`)
    assert.equal(r.code, 0, r.err)
    const report = JSON.parse(r.out)
    process.stderr.write(`  pairs: ${pairFigures(report)}\n`)
    assert.deepEqual(report.errors, [])
    assert.deepEqual(
      report.commits.map((c: { sha: string }) => shas.indexOf(c.sha)),
      [0, 3, 6, 9, 12],
    )
    assert.equal(report.commits[0].besideItself, true, 'the first build is measured beside itself')
    const store = await openSqliteStore(join(root, 'regressed', 'langperf.db'))
    try {
      const alerts = (await store.listAlerts({ kind: 'commit' })).rows
      const details = await Promise.all(alerts.map((a) => store.getAlert(a.id)))
      const changes = details.flatMap((a) => a?.changes ?? []).filter((c) => c.status !== 'withdrawn')
      // The step on nbody, in the range (6, 9]; nothing on generators.
      const nbody = changes.filter((c) => c.series.workload === 'nbody' && c.direction === 'regression')
      assert.ok(nbody.length >= 1, JSON.stringify(details))
      assert.deepEqual(
        changes.filter((c) => c.series.workload !== 'nbody'),
        [],
        'no change on the workload that did not slow',
      )
      const alert = details.find((a) => a?.changes.some((c) => nbody.includes(c)))!
      assert.deepEqual([shas.indexOf(alert.lastGoodCommit), shas.indexOf(alert.firstBadCommit)], [6, 9])
      process.stderr.write(
        `  alert ${alert.id}: ${alert.status}, nbody ${nbody.map((c) => `${c.ratio.toFixed(3)}× [${c.ratioLow.toFixed(3)}, ${c.ratioHigh.toFixed(3)}] ${c.details.raisedBy === 'pair' ? 'raised by its pair' : 'by the history'}`).join(', ')}\n`,
      )
      // Bisection named commit 8 and confirmed it against its parent.
      assert.equal(alert.culpritCommit, shas[FLOAT_SLOW], alert.culpritNote ?? '')
      assert.match(alert.culpritNote ?? '', /against its parent .*nbody \d+\.\d{3}× \[/)
    } finally {
      await store.close()
    }
  })

  test('the same history without the step raises nothing, with the same process beside it', async () => {
    const busy = busyLoop()
    let r: Awaited<ReturnType<typeof cli>>
    const started = performance.now()
    try {
      r = await nightly('clean')
    } finally {
      busy.kill('SIGKILL')
    }
    process.stderr.write(`  clean nightly: ${((performance.now() - started) / 1000).toFixed(1)} s\n`)
    assert.equal(r.code, 0, r.err)
    const report = JSON.parse(r.out)
    process.stderr.write(`  pairs: ${pairFigures(report)}\n`)
    assert.deepEqual(report.errors, [])
    assert.equal(report.commits.length, 5)
    assert.deepEqual(report.detections[0].newAlertIds, [])
    assert.equal(report.detections[0].raisedByPair, 0)
    assert.deepEqual(report.bisections, [])
  })
})
