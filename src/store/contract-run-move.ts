import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { BuildSpec } from '../model/index.ts'
import type { ChangeInput } from './alert-types.ts'
import {
  exampleSeriesKey,
  type OpenStore,
  registerPart,
  rejectsWith,
  type WithStore,
} from './contract-helpers.ts'
import { exampleBuild, exampleCommitChange, exampleRunWithResults } from './fixtures.ts'
import type { Store } from './roles.ts'
import type { RunPlacement } from './types.ts'

// Contract of moving a stored run to another build and machine (part of storeContract): the run
// and its results stay whole, the series index follows them, the changes recorded on the old
// build in the series the run left are superseded (their alerts keep their triage), and a build
// left with nothing referring to it is deleted.

const SHA = (n: number) => `${String(n).padStart(4, '0')}${'cd'.repeat(18)}`
const AT = '2024-10-05T12:00:00.000Z'

/** The pgo-lto build of commit n (exampleBuild's config), or its `jit` build. */
function build(n: number, config = 'pgo-lto'): BuildSpec {
  return exampleBuild(SHA(n), {
    config,
    identity: `cpython:${config}:${SHA(n)}`,
    commitDateUtc: `2024-10-0${n}T08:30:00Z`,
  })
}

/** Where a run of commit n goes: its `jit` build on `machine`. */
function toJit(n: number, machine = 'bench-1'): RunPlacement {
  return {
    build: build(n, 'jit'),
    machine,
    environment: null,
    startedAt: `2024-10-0${n}T10:00:00.000Z`,
    at: AT,
    reason: 'its config reads jit now (from the directory name)',
  }
}

/**
 * Commits 1 and 2, each with one pgo-lto run; commit 2 also with a second run of its pgo-lto
 * build that really was a JIT build (the file that named its config only in its directory).
 */
async function seed(store: Store) {
  const ids: number[] = []
  for (const [n, seedValue] of [
    [1, 1],
    [2, 2],
    [2, 3],
  ] as const) {
    const [id] = await store.insertRuns([
      exampleRunWithResults(
        { build: build(n), startedAt: `2024-10-0${n}T10:0${seedValue}:00.000Z` },
        { workloads: ['nbody', 'richards'], result: { seed: seedValue } },
      ),
    ])
    ids.push(id!)
  }
  return { good: ids[0]!, genuine: ids[1]!, misplaced: ids[2]! }
}

/** A confirmed change of `workload` from run `good`'s build to run `bad`'s build. */
async function changeBetween(
  store: Store,
  workload: string,
  good: number,
  bad: number,
): Promise<ChangeInput> {
  const end = async (runId: number) => {
    const run = (await store.getRun(runId))!
    const result = (await store.getResults(runId)).find((r) => r.workload.name === workload)!
    return { buildId: run.build.id, resultId: result.id, commitSha: run.build.commitSha }
  }
  return exampleCommitChange(
    exampleSeriesKey(workload),
    { lastGood: await end(good), firstBad: await end(bad) },
    1.4,
  )
}

/** Points per series, as `config/workload`. */
async function seriesPoints(store: Store): Promise<Record<string, number>> {
  return Object.fromEntries((await store.listSeries()).map((s) => [`${s.config}/${s.workload}`, s.points]))
}

/** Registers the run-move part of the Store contract (RunWriter.moveRun). */
export function runMoveContract(name: string, open: OpenStore): void {
  registerPart({ name, open, title: 'moving a run' }, [moves])
}

function moves(withStore: WithStore): void {
  test('moveRun() puts the run in the build it names, whole, and its results in that build’s series', () =>
    withStore(async (store) => {
      const { good, genuine, misplaced } = await seed(store)
      const before = await store.getRunWithResults(misplaced)
      assert.deepEqual(await seriesPoints(store), { 'pgo-lto/nbody': 3, 'pgo-lto/richards': 3 })
      const moved = await store.moveRun(misplaced, toJit(2))
      const jit = await store.findBuilds({ identity: build(2, 'jit').identity })
      assert.equal(jit.length, 1)
      assert.equal(moved.toBuildId, jit[0]!.id)
      assert.equal(moved.fromBuildId, (await store.getRun(genuine))!.build.id)
      assert.equal(moved.removedBuild, false, 'the genuine run still holds the old build')
      const after = await store.getRunWithResults(misplaced)
      assert.deepEqual(after?.results, before?.results)
      assert.equal(after?.run.build.identity, build(2, 'jit').identity)
      assert.equal(after?.run.build.config, 'jit')
      assert.deepEqual(await seriesPoints(store), {
        'pgo-lto/nbody': 2,
        'pgo-lto/richards': 2,
        'jit/nbody': 1,
        'jit/richards': 1,
      })
      assert.deepEqual(
        (await store.listRuns({ config: 'pgo-lto', limit: 10 })).rows.map((r) => r.id).sort(),
        [good, genuine].sort(),
      )
    }))

  test('moveRun() supersedes the changes of the series it leaves and joins; re-found, they come back with their triage', () =>
    withStore(async (store) => {
      const { good, genuine, misplaced } = await seed(store)
      // Another machine's series of the same workload: untouched by the move.
      const elsewhere: number[] = []
      for (const n of [1, 2]) {
        const [id] = await store.insertRuns([
          exampleRunWithResults(
            { machine: 'bench-2', build: build(n), startedAt: `2024-10-0${n}T11:00:00.000Z` },
            { workloads: ['nbody'] },
          ),
        ])
        elsewhere.push(id!)
      }
      const left = await changeBetween(store, 'nbody', good, genuine)
      const other = {
        ...(await changeBetween(store, 'nbody', elsewhere[0]!, elsewhere[1]!)),
        series: { ...exampleSeriesKey('nbody'), machine: 'bench-2' },
      }
      const out = await store.applyDetection({
        changes: [left, other],
        withdrawn: [],
        at: '2024-10-03T12:00:00.000Z',
      })
      const [leftId, otherId] = out.newChangeIds
      const alertId = (await store.listChanges({ series: left.series })).rows[0]!.alertId
      await store.triageAlert(alertId, {
        triage: 'acknowledged',
        note: 'looking',
        at: '2024-10-04T09:00:00.000Z',
      })
      const moved = await store.moveRun(misplaced, toJit(2))
      assert.deepEqual(moved.supersededChangeIds, [leftId])
      const alert = await store.getAlert(alertId)
      assert.equal(alert?.triage, 'acknowledged')
      assert.equal(alert?.triageNote, 'looking')
      const c = alert!.changes.find((x) => x.id === leftId)
      assert.equal(c?.status, 'withdrawn')
      assert.equal(c?.details.superseded, 'its config reads jit now (from the directory name)')
      const kept = (await store.listChanges({ series: other.series })).rows
      assert.deepEqual(
        kept.map((x) => [x.id, x.status]),
        [[otherId, 'confirmed']],
      )
      // Detection finds the step again: the same change, in the same alert, its triage kept.
      const refound = await store.applyDetection({
        changes: [left],
        withdrawn: [],
        at: '2024-10-06T12:00:00.000Z',
      })
      assert.deepEqual(refound.newChangeIds, [])
      assert.deepEqual(refound.newAlertIds, [])
      const back = await store.getAlert(alertId)
      assert.equal(back?.changes.find((x) => x.id === leftId)?.status, 'confirmed')
      assert.equal(back?.triage, 'acknowledged')
      // Moving it again changes nothing: it is where it belongs, nothing more is superseded.
      const again = await store.moveRun(misplaced, toJit(2))
      assert.equal(again.fromBuildId, again.toBuildId)
      assert.deepEqual(again.supersededChangeIds, [])
    }))

  test('moveRun() deletes an old build nothing refers to, moves the run to another machine, refuses bad input', () =>
    withStore(async (store) => {
      const { good } = await seed(store)
      const oldBuild = (await store.getRun(good))!.build
      const moved = await store.moveRun(good, toJit(1, 'bench-1-32bit'))
      assert.equal(moved.removedBuild, true)
      assert.equal(moved.fromMachine, 'bench-1')
      assert.equal(moved.toMachine, 'bench-1-32bit')
      assert.deepEqual(await store.findBuilds({ identity: oldBuild.identity }), [])
      assert.equal((await store.getRun(good))?.machine, 'bench-1-32bit')
      assert.deepEqual(
        (await store.listSeries({ machine: 'bench-1-32bit' })).map((s) => [s.config, s.workload, s.points]),
        [
          ['jit', 'nbody', 1],
          ['jit', 'richards', 1],
        ],
      )
      await rejectsWith(store.moveRun(good + 100, toJit(1)), 'not-found', /no run/)
      await rejectsWith(store.moveRun(good, { ...toJit(1), machine: '' }), 'bad-input', /machine/)
      await rejectsWith(store.moveRun(good, { ...toJit(1), at: 'yesterday' }), 'bad-input', /at/)
      assert.equal((await store.getRun(good))?.machine, 'bench-1-32bit')
    }))
}
