import assert from 'node:assert/strict'
import { test } from 'node:test'
import { openSqliteStore, type Store } from '../store/index.ts'
import { type Journal, runStep } from './steps.ts'

/** A journal over a fresh in-memory store, which the test closes at its end. */
async function journal(): Promise<Journal & { readonly store: Store }> {
  let minute = 0
  return {
    store: await openSqliteStore(':memory:'),
    now: () => new Date(Date.UTC(2024, 9, 1, 2, minute++)),
    staleBefore: '2024-10-01T02:00:00.000Z',
    maxAttempts: 2,
  }
}

test('runStep() runs a new step once and skips it, with its detail, when it is done', async () => {
  const j = await journal()
  let calls = 0
  const first = await runStep(j, { kind: 'build', key: 'build:a' }, async () => ({ n: ++calls }))
  assert.deepEqual(first, { state: 'done', detail: { n: 1 }, attempts: 1 })
  const second = await runStep(j, { kind: 'build', key: 'build:a' }, async () => ({ n: ++calls }))
  assert.deepEqual(second, { state: 'done-before', detail: { n: 1 } })
  assert.equal(calls, 1)
  await j.store.close()
})

test('runStep() records a thrown error as a failed step, retries it, and gives up after maxAttempts', async () => {
  const j = await journal()
  const boom = async (): Promise<Record<string, never>> => {
    throw new Error('make: *** [python3] Error 1')
  }
  assert.deepEqual(await runStep(j, { kind: 'build', key: 'build:b' }, boom), {
    state: 'failed',
    error: 'make: *** [python3] Error 1',
    attempts: 1,
  })
  assert.equal((await j.store.getPipelineStep('build:b'))?.detail.error, 'make: *** [python3] Error 1')
  assert.equal((await runStep(j, { kind: 'build', key: 'build:b' }, boom)).state, 'failed')
  let ran = false
  const third = await runStep(j, { kind: 'build', key: 'build:b' }, async () => {
    ran = true
    return {}
  })
  assert.equal(third.state, 'gave-up')
  assert.equal(ran, false)
  await j.store.close()
})

test('runStep() redoes a step left running by a dead nightly and hands it what that attempt recorded', async () => {
  const j = await journal()
  await j.store.startPipelineStep({
    kind: 'measure',
    key: 'measure:c',
    at: '2024-10-01T01:00:00.000Z',
    detail: { x: 1 },
  })
  let seen: unknown
  const out = await runStep(j, { kind: 'measure', key: 'measure:c' }, async (previous) => {
    seen = previous
    return { ok: true }
  })
  assert.equal(out.state, 'done')
  assert.equal((seen as { status: string; attempts: number }).status, 'running')
  assert.equal((seen as { attempts: number }).attempts, 1)
  assert.equal((await j.store.getPipelineStep('measure:c'))?.attempts, 2)
  await j.store.close()
})

test('runStep() leaves a step that another live worker started after this nightly began', async () => {
  const j = await journal()
  await j.store.startPipelineStep({
    kind: 'notify',
    key: 'notify:1:hook:new',
    at: '2024-10-01T02:30:00.000Z',
  })
  let ran = false
  const out = await runStep(j, { kind: 'notify', key: 'notify:1:hook:new' }, async () => {
    ran = true
    return {}
  })
  assert.deepEqual(out, { state: 'busy' })
  assert.equal(ran, false)
  await j.store.close()
})
