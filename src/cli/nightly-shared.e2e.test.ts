import assert from 'node:assert/strict'
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { openSqliteStore } from '../store/index.ts'
import { cli, embeddingMain, makeToyRepo, TOY_SKIP as SKIP, toyConfigToml } from './toy-runtime.ts'

// The nightly on a shared machine (issue 18: what users meet).
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

const FLOAT_MAIN = (version: string) =>
  embeddingMain(
    `/* toy ${version}: embeds CPython; float division checks its operands first. */
#include <Python.h>

static binaryfunc float_true_divide;

/* An accidental per-division cost, as a careless C-level change would add. */
static PyObject *checked_true_divide(PyObject *a, PyObject *b) {
  volatile unsigned sink = 0;
  for (unsigned i = 0; i < ${FLOAT_BURN}; i++) sink += i;
  return float_true_divide(a, b);
}
`,
    `  float_true_divide = PyFloat_Type.tp_as_number->nb_true_divide;
  PyFloat_Type.tp_as_number->nb_true_divide = checked_true_divide;`,
  )

/** A CPU-bound child process (bounded to 10 minutes), so the nightly shares the machine. */
function busyLoop(): ChildProcess {
  return spawn(process.execPath, ['-e', 'const end = Date.now() + 600000; while (Date.now() < end) {}'], {
    stdio: 'ignore',
  })
}

function floatConfig(root: string, remote: string): string {
  return `${toyConfigToml(remote)}
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
