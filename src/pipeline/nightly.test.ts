import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { initGitRepo } from '../build/index.ts'
import { parseConfig } from '../config/index.ts'
import type { JsonObject } from '../lib/index.ts'
import {
  exampleEnvironment,
  exampleFingerprint,
  openSqliteStore,
  type RunRow,
  type Store,
} from '../store/index.ts'
import { runNightly } from './nightly.ts'
import { pairProcessesOf } from './nightly-bisect.ts'

// The nightly's reference pairs on a runtime whose "build" installs a one-line shell script that
// runs this machine's Python: every commit is the same interpreter, so the test is about the
// pipeline, not about timings. Each new commit must be measured interleaved with the newest
// commit measured before it (two interpreters in one measure step, both runs stored and marked),
// and a measure step interrupted half-way must resume the pair without redoing what finished.

/** The real interpreter behind this machine's python3 (pyenv's shim is a shell script). */
function realPython(): string | null {
  try {
    return execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim()
  } catch {
    return null
  }
}

const PYTHON = realPython()
const SKIP = PYTHON === null ? 'no python3 on PATH' : false
const WORKLOADS = ['generators', 'calls_closures']
const SAMPLING = { processes: 2, warmups: 0, values: 1, minTimeS: 0.005 }
const MACHINE = 'pair-bench'

const ENV = exampleEnvironment(exampleFingerprint({ hostname: MACHINE }))

/** A repository of `n` commits, each a script `python3` that execs the real interpreter. */
function makeRepo(root: string, n: number): string[] {
  const { commit } = initGitRepo(join(root, 'origin'))
  const shas: string[] = []
  for (let i = 0; i < n; i++) {
    const script = `#!/bin/sh\n# version 0.${i}\nexec ${PYTHON} "$@"\n`
    shas.push(
      commit({ python3: script }, `Version 0.${i}`, {
        date: `2024-01-01T00:${String(i).padStart(2, '0')}:00Z`,
      }),
    )
  }
  return shas
}

function configText(root: string): string {
  return `[[runtimes]]
name = "toy"
family = "generic"
remote = "${join(root, 'origin')}"
branches = ["main"]

[runtimes.configs.default]
build = []
install = ["mkdir -p \\"$PREFIX/bin\\"", "cp python3 \\"$PREFIX/bin/python3\\"", "chmod +x \\"$PREFIX/bin/python3\\""]
executable = "bin/python3"

[suites]
default = ["quick"]

[build]
cache_dir = "${join(root, 'cache')}"
jobs = 1

[bisect]
enabled = false
`
}

async function runsOf(store: Store, ids: readonly number[]): Promise<RunRow[]> {
  return Promise.all(ids.map(async (id) => (await store.getRun(id)) as RunRow))
}

/**
 * The done measure step of `sha` measured it in one interleaved run with `referenceSha`: two
 * runs of one group, the commit's naming the reference's, the reference's marked as such, and
 * both at the same loop count for every workload.
 */
async function checkPair(store: Store, sha: string, referenceSha: string): Promise<void> {
  const step = await store.getPipelineStep(`measure:${MACHINE}:toy:default:${sha}`)
  assert.equal(step?.status, 'done')
  assert.equal(step?.detail.reference, referenceSha)
  const ids = step!.detail.runIds as number[]
  const refIds = step!.detail.referenceRunIds as number[]
  const run = (await store.getRun(ids.at(-1)!))!
  const ref = (await store.getRun(refIds.at(-1)!))!
  assert.equal(run.build.commitSha, sha)
  assert.equal(ref.build.commitSha, referenceSha)
  assert.equal(run.metadata.purpose, 'nightly')
  assert.equal(ref.metadata.purpose, 'reference')
  assert.equal(run.metadata.reference_run_id, ref.id)
  assert.equal(run.metadata.reference_commit, referenceSha)
  assert.equal(ref.metadata.reference_for, sha)
  assert.ok(run.groupId !== null && run.groupId === ref.groupId)
  assert.equal(run.metadata.pair_group, run.groupId)
  assert.equal(ref.metadata.pair_group, run.groupId)
  for (const r of [run, ref]) {
    assert.equal(r.metadata.interleaved, true)
    assert.equal(r.metadata.interpreters_in_group, 2)
    assert.equal(r.metadata.pipeline_step, `measure:${MACHINE}:toy:default:${sha}`)
  }
  assert.notEqual(run.metadata.build_key, ref.metadata.build_key, "each run names its own build's artifact")
  const loops = async (r: RunRow) =>
    Object.fromEntries((await store.getResults(r.id)).map((x) => [x.workload.name, x.loops]))
  assert.deepEqual(await loops(run), await loops(ref), 'both builds of a pair run at the same loop counts')
}

describe('the nightly measures each new commit interleaved with its reference', { skip: SKIP }, () => {
  let root = ''
  let shas: string[] = []

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'langperf-pairs-'))
    shas = makeRepo(root, 4)
  })
  after(() => rmSync(root, { recursive: true, force: true }))

  test('a backfill pairs each commit with the one before it, marks both runs and resumes a pair cut short', async () => {
    const config = parseConfig(configText(root), join(root, 'langperf.toml'))
    const store = await openSqliteStore(':memory:')
    try {
      // The plan names each commit's reference: a chain over the selection.
      const plan = await runNightly(
        config,
        { store, readEnvironment: async () => ENV },
        { machine: MACHINE, backfill: 4, dryRun: true, workloads: WORKLOADS, sampling: SAMPLING },
      )
      assert.deepEqual(
        plan.planned.map((p) => [
          shas.indexOf(p.sha),
          p.reference === null ? null : shas.indexOf(p.reference),
        ]),
        [
          [0, null],
          [1, 0],
          [2, 1],
          [3, 2],
        ],
      )
      const none = await runNightly(
        config,
        { store, readEnvironment: async () => ENV },
        { machine: MACHINE, backfill: 4, dryRun: true, reference: 'none' },
      )
      assert.deepEqual(
        none.planned.map((p) => p.reference),
        [null, null, null, null],
      )

      // First nightly: commits 0 and 1, then interrupted once the pair of commit 2 has stored
      // its first workload on both builds.
      const controller = new AbortController()
      let results = 0
      const watched = new Proxy(store, {
        get(target, prop, receiver) {
          if (prop === 'addResult') {
            return async (...args: Parameters<Store['addResult']>) => {
              const r = await target.addResult(...args)
              // 4 for commit 0 beside itself, 4 for the pair 0/1, then 2 for the first workload of 1/2.
              if (++results === 4 + 4 + 2) controller.abort()
              return r
            }
          }
          const v = Reflect.get(target, prop, receiver)
          return typeof v === 'function' ? v.bind(target) : v
        },
      }) as Store
      const first = await runNightly(
        config,
        { store: watched, signal: controller.signal, readEnvironment: async () => ENV },
        { machine: MACHINE, backfill: 4, workloads: WORKLOADS, sampling: SAMPLING, pairBudget: 1 },
      )
      assert.equal(first.interrupted, true)
      assert.deepEqual(
        first.commits.map((c) => [shas.indexOf(c.sha), c.measure, c.reference && shas.indexOf(c.reference)]),
        [
          [0, 'measured', null],
          [1, 'measured', 0],
        ],
      )
      // The first build has no reference: it is measured twice, interleaved with itself.
      const alone = first.commits[0]!
      assert.equal(alone.referenceRunIds.length, 0)
      assert.equal(alone.besideItself, true)
      assert.match(alone.referenceSkipped ?? '', /no earlier commit of main × default/)
      const [aloneRun] = await runsOf(store, alone.runIds)
      assert.match(String(aloneRun!.metadata.reference_skipped), /no earlier commit/)
      assert.equal(aloneRun!.metadata.interleaved, true)
      assert.equal(aloneRun!.metadata.beside_itself, true)
      const twin = (await store.listRuns({ groupId: aloneRun!.groupId! })).rows.find(
        (r) => r.id !== aloneRun!.id,
      )
      assert.equal(twin?.build.commitSha, shas[0])
      assert.equal(twin?.metadata.purpose, 'reference')
      assert.equal(twin?.metadata.reference_for, shas[0])
      await checkPair(store, shas[1]!, shas[0]!)
      const cut = await store.getPipelineStep(`measure:${MACHINE}:toy:default:${shas[2]}`)
      assert.equal(cut?.status, 'failed')
      assert.equal(cut?.detail.error, 'interrupted')
      assert.equal(cut?.detail.reference_commit, shas[1])

      // The next nightly resumes commit 2: only the second workload, in a new pair with commit 1.
      const second = await runNightly(
        config,
        { store, readEnvironment: async () => ENV },
        { machine: MACHINE, backfill: 4, workloads: WORKLOADS, sampling: SAMPLING, pairBudget: 1 },
      )
      assert.equal(second.interrupted, false)
      assert.deepEqual(second.errors, [])
      assert.deepEqual(
        second.commits.map((c) => [shas.indexOf(c.sha), c.measure, c.reference && shas.indexOf(c.reference)]),
        [
          [2, 'measured', 1],
          [3, 'measured', 2],
        ],
      )
      const resumed = await store.getPipelineStep(`measure:${MACHINE}:toy:default:${shas[2]}`)
      assert.equal(resumed?.status, 'done')
      assert.equal(resumed?.attempts, 2)
      const own = await runsOf(store, resumed!.detail.runIds as number[])
      const theirs = await runsOf(store, resumed!.detail.referenceRunIds as number[])
      assert.deepEqual(
        own.map((r) => r.status),
        ['interrupted', 'complete'],
      )
      assert.deepEqual(
        theirs.map((r) => r.status),
        ['interrupted', 'complete'],
      )
      const names = async (r: RunRow) => (await store.getResults(r.id)).map((x) => x.workload.name)
      assert.deepEqual(await names(own[0]!), [WORKLOADS[0]])
      assert.deepEqual(await names(own[1]!), [WORKLOADS[1]], 'the stored workload is not measured again')
      assert.deepEqual(await names(theirs[1]!), [WORKLOADS[1]])
      assert.equal(own[1]!.metadata.reference_run_id, theirs[1]!.id)
      assert.deepEqual(own[1]!.metadata.resumes_runs, [own[0]!.id])
      assert.deepEqual(theirs[1]!.metadata.resumes_runs, [theirs[0]!.id])
      await checkPair(store, shas[3]!, shas[2]!)
      // Each build now has two observations but the newest: its own run and its reference run
      // (the first, three: it was also measured beside itself).
      const counts = await Promise.all(
        shas.map(async (sha) => {
          const [b] = await store.findBuilds({ identity: `toy:${sha}:default` })
          return (await store.listRuns({ buildId: b!.id, status: 'complete' })).total
        }),
      )
      assert.deepEqual(counts, [3, 2, 2, 1])
      assert.equal(second.detections[0]?.state, 'done')
    } finally {
      await store.close()
    }
  })

  test('a pair too imprecise to decide grows, doubling its processes, and says when its budget ran out', async () => {
    const config = parseConfig(configText(root), join(root, 'langperf.toml'))
    const store = await openSqliteStore(':memory:')
    try {
      // Two processes a side cannot rule out a change of 0.1 % (on a quiet machine they could rule
      // out 1 %, and the pair decided at once): every round is needed.
      const report = await runNightly(
        config,
        { store, readEnvironment: async () => ENV },
        {
          machine: MACHINE,
          backfill: 2,
          workloads: ['generators'],
          sampling: SAMPLING,
          pairBudget: 3,
          pairThreshold: 0.001,
        },
      )
      assert.deepEqual(report.errors, [])
      const c = report.commits[1]!
      assert.equal(c.reference, shas[shas.length - 2])
      assert.equal(c.pair?.rounds, 3)
      assert.equal(c.pair?.budget, 3)
      // 2 + 4 more processes on each of the two builds.
      assert.equal(c.pair?.addedProcesses, 2 * (2 + 4))
      assert.deepEqual(c.pair?.undecided, c.pair?.budgetExhausted ? ['generators'] : [])
      const step = await store.getPipelineStep(`measure:${MACHINE}:toy:default:${c.sha}`)
      const pair = step!.detail.pair as { roundRunIds: number[]; states: Record<string, string> }
      assert.equal(pair.roundRunIds.length, 4, 'two rounds, one run per build each')
      const [own] = c.runIds
      const [theirs] = c.referenceRunIds
      const rounds = await runsOf(store, pair.roundRunIds)
      assert.deepEqual(
        rounds.map((r) => [
          r.metadata.purpose,
          r.metadata.pair_round,
          r.metadata.extends_run_id,
          r.build.commitSha,
        ]),
        [
          ['pair-round', 2, theirs, shas[shas.length - 2]],
          ['pair-round', 2, own, c.sha],
          ['pair-round', 3, theirs, shas[shas.length - 2]],
          ['pair-round', 3, own, c.sha],
        ],
      )
      const processes = async (r: RunRow) => (await store.getResults(r.id))[0]!.processMeans.length
      assert.deepEqual(await Promise.all(rounds.map(processes)), [2, 2, 4, 4])
      const loops = async (r: RunRow) => (await store.getResults(r.id))[0]!.loops
      const all = await runsOf(store, [own!, theirs!, ...pair.roundRunIds])
      assert.equal(new Set(await Promise.all(all.map(loops))).size, 1, 'every round at the same loop count')
    } finally {
      await store.close()
    }
  })
})

test("a bisection starts from what the alert's interleaved pair needed: the most processes over its changes", () => {
  const change = (details: JsonObject) => ({ details })
  assert.equal(pairProcessesOf({ changes: [] }), 0)
  assert.equal(pairProcessesOf({ changes: [change({}), change({ paired: null })] }), 0)
  assert.equal(
    pairProcessesOf({
      changes: [
        change({ paired: { processes: [30, 30] } }),
        change({ raisedBy: 'pair', paired: { processes: [90, 88] } }),
        change({ paired: { processes: 'garbage' } }),
      ],
    }),
    90,
  )
})
