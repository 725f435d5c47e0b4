import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { onPath } from '../runner/index.ts'
import { openSqliteStore } from '../store/index.ts'
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
// `bisect` in unit `instruction`.

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
