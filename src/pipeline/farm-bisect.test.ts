import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import {
  documentToRun,
  exampleRunDocument,
  LangperfRunDocumentSchema,
  type NewFarmJob,
} from '../api/index.ts'
import { gitMissing, initGitRepo } from '../build/index.ts'
import { exampleCommitChange, openSqliteStore, type Store } from '../store/index.ts'
import { replayFarmBisection } from './farm-bisect.ts'
import { contextOf } from './nightly-context.ts'
import { toyRecipeConfig } from './testing.ts'
import { worldOf } from './world.ts'

// The farm's bisection against a queue whose jobs this test runs by hand (no agent): each replay
// of the search asks for one measurement, enqueued once as a build job of purpose `bisect` on the
// machine of the alert, and waits for it; the test stores what an agent would upload (the slow
// commit and those after it twice as slow), and the next replay goes one step further. A commit
// whose build failed in its job is set aside, and the culprit is recorded on the alert.

const root = mkdtempSync(join(tmpdir(), 'langperf-farm-bisect-'))
after(() => rmSync(root, { recursive: true, force: true }))

/** The commit that doubles nbody's time, and one whose build fails, of c0…c6. */
const SLOW = 5
const BROKEN = 3

/** A queue that keeps the jobs; the test completes them. */
function handQueue() {
  const jobs = new Map<string, NewFarmJob>()
  const states = new Map<string, string>()
  const idOf = (j: NewFarmJob) => Object.values(j.key).join('|')
  let enqueued = 0
  return {
    jobs,
    state: states,
    enqueued: () => enqueued,
    async enqueue(batch: readonly NewFarmJob[]) {
      return batch.map((j) => {
        const id = idOf(j)
        const added = !jobs.has(id)
        if (added) {
          jobs.set(id, j)
          states.set(id, 'waiting')
          enqueued++
        }
        return { id, added }
      })
    },
    async states(_machine: string, ids: readonly string[]) {
      return new Map(ids.map((id) => [id, states.get(id) ?? 'unknown']))
    },
  }
}

/** Stores a run of `commit` on m1 as an agent uploads it; nbody twice as slow from SLOW on. */
async function storeRun(
  store: Store,
  shas: readonly string[],
  commit: string,
  extra: { suite: string; processes: number; metadata: Record<string, string | number | boolean> },
): Promise<number> {
  const doc = exampleRunDocument({
    machine: 'm1',
    runtime: 'toy',
    commitSha: commit,
    workloads: ['nbody'],
    processes: extra.processes,
    meanS: shas.indexOf(commit) >= SLOW ? 0.02 : 0.01,
  })
  const parsed = LangperfRunDocumentSchema.parse({
    ...doc,
    run: { ...doc.run, suite: extra.suite, metadata: extra.metadata },
  })
  const [id] = await store.insertRuns([documentToRun(parsed)])
  return id as number
}

test('a farm bisection enqueues each measurement once on the alert’s machine, sets a broken commit aside and records the culprit', {
  skip: gitMissing(),
}, async () => {
  const origin = join(root, 'origin')
  const { commit } = initGitRepo(origin)
  const shas = Array.from({ length: 7 }, (_, i) => commit({ VERSION: `0.${i}\n` }, `Version 0.${i}`))
  const config = toyRecipeConfig(
    origin,
    root,
    `
[bisect]
max_builds = 6
repeats = 3
`,
  )
  const store = await openSqliteStore(':memory:')
  try {
    // The nightly's runs of the ends, and the alert between them.
    const ends = []
    for (const sha of [shas[0], shas[6]] as string[]) {
      const id = await storeRun(store, shas, sha, {
        suite: 'default',
        processes: 4,
        metadata: { purpose: 'nightly' },
      })
      const run = await store.getRun(id)
      const [result] = await store.getResults(id)
      ends.push({
        buildId: run?.build.id ?? 0,
        resultId: result?.id ?? 0,
        commitSha: sha,
        version: result?.workload.version ?? '',
      })
    }
    const { newAlertIds } = await store.applyDetection({
      changes: [
        exampleCommitChange(
          {
            machine: 'm1',
            runtime: 'toy',
            config: 'default',
            branch: 'main',
            workload: 'nbody',
            workloadVersion: ends[0]?.version ?? '',
          },
          {
            lastGood: {
              buildId: ends[0]?.buildId ?? 0,
              resultId: ends[0]?.resultId ?? 0,
              commitSha: shas[0] as string,
            },
            firstBad: {
              buildId: ends[1]?.buildId ?? 0,
              resultId: ends[1]?.resultId ?? 0,
              commitSha: shas[6] as string,
            },
          },
          2,
        ),
      ],
      withdrawn: [],
      at: '2024-10-02T12:00:00.000Z',
    })
    const alertId = newAlertIds[0] as number
    const farm = handQueue()
    const world = worldOf(config, { store, log: () => {} }, 'm1')
    const context = contextOf({ world, deps: { store }, options: {}, staleBefore: new Date().toISOString() })
    const runtime = config.runtimes[0]!
    const measure = { workloads: [], preset: 'fast' as const, timeoutS: 600 }
    const measured: string[][] = []
    for (let replay = 1; ; replay++) {
      assert.ok(replay < 30, 'the bisection ends')
      const before = farm.enqueued()
      const outcome = await replayFarmBisection(context, farm, { alertId, runtime, measure })
      if (outcome.kind === 'finished') break
      // Each replay asks for one new measurement, and waits for it.
      assert.equal(farm.enqueued(), before + 1)
      const job = farm.jobs.get(outcome.jobId)
      assert.ok(job?.build?.bisect)
      assert.deepEqual(
        [job.key.machine, job.key.purpose, job.build.bisect.alertId],
        ['m1', 'bisect', alertId],
      )
      assert.deepEqual(
        await replayFarmBisection(context, farm, { alertId, runtime, measure }),
        outcome,
        'still waiting',
      )
      const commits = job.build.bisect.commits.map((c) => c.commit)
      measured.push(commits.map((c) => String(shas.indexOf(c))))
      const metadata = (main: boolean) => ({
        purpose: 'bisect',
        alert_id: alertId,
        farm_job: outcome.jobId,
        farm_attempt: 1,
        bisect_main: main,
      })
      const broken = commits.find((c) => shas.indexOf(c) === BROKEN)
      if (broken !== undefined) {
        await storeRun(store, shas, broken, {
          suite: 'bisect',
          processes: 1,
          metadata: { ...metadata(true), farm_build_failed: true, build_status: 'failed' },
        })
      } else {
        for (const c of commits) {
          await storeRun(store, shas, c, {
            suite: 'bisect',
            processes: job.measure.processes ?? 1,
            metadata: metadata(c === job.key.commit),
          })
        }
      }
      farm.state.set(outcome.jobId, 'completed')
    }
    const alert = await store.getAlert(alertId)
    assert.equal(alert?.culpritCommit, shas[SLOW], alert?.culpritNote ?? '')
    assert.match(alert?.culpritNote ?? '', /against its parent/)
    assert.deepEqual(
      context.report.bisections.map((b) => [b.alertId, b.state, b.culprit]),
      [[alertId, 'culprit', shas[SLOW]]],
    )
    // The broken commit was asked for once, then set aside; the last job is the culprit beside its parent.
    assert.equal(measured.filter((m) => m.includes(String(BROKEN))).length, 1, JSON.stringify(measured))
    assert.deepEqual(measured.at(-1), [String(SLOW - 1), String(SLOW)])
    // Done: a later replay enqueues nothing and says so.
    const total = farm.enqueued()
    assert.deepEqual(await replayFarmBisection(context, farm, { alertId, runtime, measure }), {
      kind: 'finished',
    })
    assert.equal(farm.enqueued(), total)
    assert.equal((await store.getPipelineStep(`farm-bisect:m1:${alertId}`))?.status, 'done')
  } finally {
    await store.close()
  }
})
