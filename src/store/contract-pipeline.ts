import assert from 'node:assert/strict'
import { test } from 'node:test'
import { LangperfError } from '../lib/index.ts'
import { type OpenStore, registerPart, type WithStore } from './contract-helpers.ts'
import { PIPELINE_STEP_KINDS } from './pipeline-types.ts'

// Contract of the nightly pipeline's step journal (part of storeContract): a done step is never
// restarted, a failed or abandoned running one is (attempts counted), a running one that is not
// stale is busy, of concurrent claims exactly one starts a step, and the filters of listPipelineSteps.

const T = (minute: number) => `2024-10-01T02:${String(minute).padStart(2, '0')}:00.000Z`

/** Registers the pipeline-journal part of the Store contract (PipelineJournal). */
export function pipelineContract(name: string, open: OpenStore): void {
  registerPart({ name, open, title: 'pipeline steps' }, [claimsAndRestarts, concurrencyErrorsAndListing])
}

/** A step's life: started, done, restarted after a crash or a failure, busy while fresh. */
function claimsAndRestarts(withStore: WithStore): void {
  test('a new step starts as running, attempt 1, and ends done with its detail', () =>
    withStore(async (store) => {
      const claim = await store.startPipelineStep({
        kind: 'measure',
        key: 'measure:cpython:default:abc:bench-1',
        at: T(0),
        detail: { commit: 'abc' },
      })
      assert.equal(claim.outcome, 'started')
      assert.equal(claim.step.status, 'running')
      assert.equal(claim.step.attempts, 1)
      assert.equal(claim.step.finishedAt, null)
      assert.deepEqual(claim.step.detail, { commit: 'abc' })
      const done = await store.finishPipelineStep('measure:cpython:default:abc:bench-1', {
        status: 'done',
        at: T(5),
        detail: { runIds: [1, 2] },
      })
      assert.equal(done.status, 'done')
      assert.equal(done.startedAt, T(0))
      assert.equal(done.finishedAt, T(5))
      assert.deepEqual(done.detail, { runIds: [1, 2] })
      assert.deepEqual(await store.getPipelineStep('measure:cpython:default:abc:bench-1'), done)
    }))

  test('every kind of step can be journalled, the culprit profiling included', () =>
    withStore(async (store) => {
      for (const kind of PIPELINE_STEP_KINDS) {
        const claim = await store.startPipelineStep({ kind, key: `${kind}:bench-1:1`, at: T(1) })
        assert.equal(claim.step.kind, kind)
      }
      assert.equal((await store.listPipelineSteps({ kind: 'profile' })).rows.length, 1)
    }))

  test('a done step is returned unchanged as done, never restarted', () =>
    withStore(async (store) => {
      await store.startPipelineStep({ kind: 'build', key: 'build:x', at: T(0) })
      const done = await store.finishPipelineStep('build:x', {
        status: 'done',
        at: T(1),
        detail: { ok: true },
      })
      const again = await store.startPipelineStep({ kind: 'build', key: 'build:x', at: T(9), detail: {} })
      assert.equal(again.outcome, 'done')
      assert.deepEqual(again.step, done)
    }))

  test('a step left running (a crash) or failed is restarted with its attempts counted', () =>
    withStore(async (store) => {
      await store.startPipelineStep({ kind: 'measure', key: 'measure:y', at: T(0), detail: { a: 1 } })
      const redo = await store.startPipelineStep({ kind: 'measure', key: 'measure:y', at: T(3) })
      assert.equal(redo.outcome, 'started')
      assert.equal(redo.step.attempts, 2)
      assert.equal(redo.step.startedAt, T(3))
      assert.deepEqual(redo.step.detail, { a: 1 }, 'detail is kept when none is given')
      await store.finishPipelineStep('measure:y', { status: 'failed', at: T(4), detail: { error: 'x' } })
      const retry = await store.startPipelineStep({
        kind: 'measure',
        key: 'measure:y',
        at: T(6),
        detail: {},
      })
      assert.equal(retry.outcome, 'started')
      assert.equal(retry.step.attempts, 3)
      assert.equal(retry.step.status, 'running')
      assert.equal(retry.step.finishedAt, null)
      assert.deepEqual(retry.step.detail, {})
    }))

  test('a running step started after staleBefore is busy and left as it is', () =>
    withStore(async (store) => {
      const first = await store.startPipelineStep({
        kind: 'bisect',
        key: 'bisect:7',
        at: T(2),
        detail: { a: 1 },
      })
      const busy = await store.startPipelineStep({
        kind: 'bisect',
        key: 'bisect:7',
        at: T(3),
        staleBefore: T(1),
        detail: { b: 2 },
      })
      assert.equal(busy.outcome, 'busy')
      assert.deepEqual(busy.step, first.step)
      const stale = await store.startPipelineStep({
        kind: 'bisect',
        key: 'bisect:7',
        at: T(4),
        staleBefore: T(3),
      })
      assert.equal(stale.outcome, 'started')
      assert.equal(stale.step.attempts, 2)
    }))
}

/** Concurrent claims, refused input and the filters of listPipelineSteps(). */
function concurrencyErrorsAndListing(withStore: WithStore): void {
  test('of concurrent claims of one new step exactly one starts it', () =>
    withStore(async (store) => {
      const claims = await Promise.all(
        Array.from({ length: 6 }, () =>
          store.startPipelineStep({
            kind: 'notify',
            key: 'notify:1:hook:new',
            at: T(1),
            staleBefore: T(0),
          }),
        ),
      )
      assert.equal(claims.filter((c) => c.outcome === 'started').length, 1)
      assert.equal(claims.filter((c) => c.outcome === 'busy').length, 5)
      const page = await store.listPipelineSteps({ keyPrefix: 'notify:1:' })
      assert.equal(page.total, 1)
      assert.equal(page.rows[0]!.attempts, 1)
    }))

  test('finishing an unknown step is not-found, finishing a finished one a conflict', () =>
    withStore(async (store) => {
      await assert.rejects(
        store.finishPipelineStep('nope', { status: 'done', at: T(0) }),
        (e: unknown) => e instanceof LangperfError && e.code === 'not-found',
      )
      await store.startPipelineStep({ kind: 'detect', key: 'detect:z', at: T(0) })
      await store.finishPipelineStep('detect:z', { status: 'done', at: T(1) })
      await assert.rejects(
        store.finishPipelineStep('detect:z', { status: 'failed', at: T(2) }),
        (e: unknown) => e instanceof LangperfError && e.code === 'conflict',
      )
    }))

  test('bad input is refused with bad-input and stores nothing', () =>
    withStore(async (store) => {
      const bad = (e: unknown) => e instanceof LangperfError && e.code === 'bad-input'
      await assert.rejects(store.startPipelineStep({ kind: 'deploy' as 'build', key: 'k', at: T(0) }), bad)
      await assert.rejects(store.startPipelineStep({ kind: 'build', key: '', at: T(0) }), bad)
      await assert.rejects(store.startPipelineStep({ kind: 'build', key: 'k', at: '2024-10-01 02:00' }), bad)
      await assert.rejects(
        store.startPipelineStep({ kind: 'build', key: 'k', at: T(0), detail: { x: Number.NaN } }),
        bad,
      )
      await assert.rejects(store.listPipelineSteps({ limit: 0 }), bad)
      assert.equal((await store.listPipelineSteps()).total, 0)
    }))

  test('listPipelineSteps() filters by kind, status and key prefix (case-sensitive, no wildcards), oldest first', () =>
    withStore(async (store) => {
      const keys = ['build:a_1', 'build:A%1', 'measure:a_1', 'build:ab1']
      for (const [i, key] of keys.entries()) {
        await store.startPipelineStep({
          kind: key.startsWith('build') ? 'build' : 'measure',
          key,
          at: T(10 - i),
        })
      }
      await store.finishPipelineStep('build:ab1', { status: 'done', at: T(11) })
      const builds = await store.listPipelineSteps({ kind: 'build' })
      assert.deepEqual(
        builds.rows.map((r) => r.key),
        ['build:ab1', 'build:A%1', 'build:a_1'],
      )
      assert.equal(builds.total, 3)
      assert.deepEqual(
        (await store.listPipelineSteps({ keyPrefix: 'build:a_' })).rows.map((r) => r.key),
        ['build:a_1'],
      )
      assert.deepEqual(
        (await store.listPipelineSteps({ status: ['running'], kind: 'build' })).rows.map((r) => r.key),
        ['build:A%1', 'build:a_1'],
      )
      const page = await store.listPipelineSteps({ limit: 1, offset: 1 })
      assert.equal(page.total, 4)
      assert.equal(page.rows.length, 1)
    }))
}
