import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { onPath } from '../runner/index.ts'
import { exampleCountChange, openSqliteStore } from '../store/index.ts'
import {
  cli,
  makeToyRepo,
  pythonHookMain,
  TOY_BUILD_TOML,
  TOY_SKIP,
  type ToyHistory,
  type ToyRepo,
  toyConfigToml,
} from './toy-runtime.ts'

// `langperf bisect --measure instructions` end to end on the toy runtime (a tiny C program that
// embeds CPython; toy-runtime.ts): commit 3 of 6 installs a Python profile hook that runs on every
// call. The bisection counts each build's workload once under valgrind's callgrind and must name
// that commit, with one process per build and one round, and store its counts as runs of suite
// `bisect` in unit `instruction`. `bisect --alert` of an alert of count changes counts without
// being told.

const SLOW = 3
const HISTORY: ToyHistory = {
  dir: 'toy',
  total: 6,
  broken: null,
  slow: SLOW,
  slowMain: (version) => pythonHookMain(version, 10),
  slowSubject: 'Install a call hook',
}
const NO_VALGRIND =
  (await onPath('valgrind', process.env)) === null
    ? 'valgrind is not installed (apt-get install valgrind)'
    : false

describe('langperf bisect --measure instructions on the toy runtime', {
  skip: TOY_SKIP || NO_VALGRIND,
}, () => {
  let root = ''
  let repo: ToyRepo
  let configPath = ''

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'langperf-bisect-instr-'))
    repo = makeToyRepo(root, HISTORY)
    configPath = join(root, 'langperf.toml')
    writeFileSync(
      configPath,
      `${toyConfigToml('toy')}
[suites]
default = ["quick"]

${TOY_BUILD_TOML}
[bisect]
max_builds = 6
repeats = 3
`,
    )
  })

  after(() => rmSync(root, { recursive: true, force: true }))

  const bisectArgs = () => [
    'bisect',
    '--config',
    configPath,
    '--machine',
    'toy-bench',
    '--good',
    repo.shas[0]!,
    '--bad',
    repo.shas[HISTORY.total - 1]!,
    '-w',
    'calls_closures',
    '--measure',
    'instructions',
  ]

  test('names the slow commit from one count per build, stored in unit instruction', async () => {
    const r = await cli(...bisectArgs(), '--min-time', '0.01', '--json')
    assert.equal(r.code, 0, r.err)
    const result = JSON.parse(r.out)
    assert.equal(result.outcome.kind, 'culprit', r.err)
    assert.equal(result.outcome.culprit.sha, repo.shas[SLOW])
    assert.equal(result.outcome.parent, repo.shas[SLOW - 1])
    assert.match(result.outcome.note, /decided on instruction counts/)
    for (const step of result.outcome.steps) {
      assert.equal(step.processes, 1)
      assert.equal(step.rounds, 1)
      assert.ok(step.outcome === 'like-good' || step.outcome === 'like-bad', step.outcome)
    }
    // The culprit against its parent: the hook costs far more than the 0.5 % threshold.
    const [w] = result.outcome.confirmation.workloads
    assert.ok(w.estimate.ratio > 1.05, `ratio ${w.estimate.ratio}`)
    assert.equal(w.estimate.ratioLow, w.estimate.ratio)
    // Stored: runs of suite bisect, counts in instructions, one process each.
    const store = await openSqliteStore(join(root, 'langperf.db'))
    try {
      assert.ok(result.runIds.length >= 5, `${result.runIds.length} runs`)
      for (const id of result.runIds) {
        const run = await store.getRun(id)
        assert.equal(run?.suite, 'bisect')
        assert.equal(run?.metadata.measure, 'instructions')
        const results = await store.getResults(id)
        assert.ok(results.length > 0)
        for (const res of results) {
          assert.equal(res.unit, 'instruction')
          assert.equal(res.processMeans.length, 1)
        }
      }
    } finally {
      await store.close()
    }
  })

  test('bisect --alert of an alert of instruction-count changes counts without --measure, and says so', async () => {
    // An alert as detection's exact rule raises it from counts: commit 0 good, the last bad.
    const store = await openSqliteStore(join(root, 'langperf.db'))
    let alertId = 0
    try {
      const runs = (await store.listRuns({ suite: 'bisect', limit: 100 })).rows
      const end = async (sha: string) => {
        const run = runs.find((r) => r.build.commitSha === sha)
        assert.ok(run, `a run of ${sha}`)
        const [res] = await store.getResults(run.id)
        return { buildId: run.build.id, resultId: res!.id, commitSha: sha, run, workload: res!.workload }
      }
      const good = await end(repo.shas[0]!)
      const bad = await end(repo.shas[HISTORY.total - 1]!)
      const out = await store.applyDetection({
        changes: [
          exampleCountChange(
            {
              kind: 'commit',
              series: {
                machine: 'toy-bench',
                runtime: good.run.build.runtime,
                config: good.run.build.config,
                branch: good.run.build.branch,
                workload: good.workload.name,
                workloadVersion: good.workload.version,
              },
              lastGood: { buildId: good.buildId, resultId: good.resultId, commitSha: good.commitSha },
              firstBad: { buildId: bad.buildId, resultId: bad.resultId, commitSha: bad.commitSha },
              unit: 'instruction',
              ratio: 1.2,
              ratioLow: 1.2,
              ratioHigh: 1.2,
              pValue: 0,
              direction: 'regression',
              status: 'confirmed',
              details: {},
            },
            1.2,
          ),
        ],
        withdrawn: [],
        at: '2026-01-01T00:00:00.000Z',
      })
      alertId = out.newAlertIds[0]!
    } finally {
      await store.close()
    }
    // A shorter range than the alert's (one midpoint and the confirmation): the alert decides the measure.
    const args = bisectArgs().slice(0, -2)
    args[args.indexOf('--good') + 1] = repo.shas[SLOW - 2]!
    args[args.indexOf('--bad') + 1] = repo.shas[SLOW]!
    const r = await cli(...args, '--alert', String(alertId), '--min-time', '0.01')
    assert.equal(r.code, 0, r.err)
    assert.match(r.err, /instruction counts: bisecting by counts, one per build/)
    assert.match(r.out, /position f \(exact\)/)
    assert.doesNotMatch(r.out, /\[99 %\]|processes each/)
    assert.match(r.out, /Culprit: .*decided on instruction counts.*one count per build/)
    const after = await openSqliteStore(join(root, 'langperf.db'))
    try {
      assert.equal((await after.getAlert(alertId))?.culpritCommit, repo.shas[SLOW])
    } finally {
      await after.close()
    }
    const timing = await cli(...args, '--alert', String(alertId), '--processes', '4')
    assert.equal(timing.code, 2)
    assert.match(timing.err, /with --processes: its changes are instruction counts/)
  })

  test('refuses the options of timing, and refuses clearly without valgrind', async () => {
    const processes = await cli(...bisectArgs(), '--processes', '4')
    assert.equal(processes.code, 2)
    assert.match(processes.err, /Cannot use --processes with --measure instructions/)
    const repeats = await cli(...bisectArgs(), '--repeats', '2')
    assert.equal(repeats.code, 2)
    assert.match(repeats.err, /Cannot use --repeats with --measure instructions/)
    const path = process.env.PATH
    process.env.PATH = join(root, 'no-such-dir')
    try {
      const missing = await cli(...bisectArgs())
      assert.equal(missing.code, 3)
      assert.match(missing.err, /valgrind is not installed/)
    } finally {
      process.env.PATH = path
    }
  })
})
