import assert from 'node:assert/strict'
import { test } from 'node:test'
import { type ApiClient, ApiError, createApiClient } from '../api/index.ts'
import { makeHandlers } from './handlers.ts'
import { injectFetch, inProcessApi } from './in-process.ts'
import { resolveLimits } from './limits.ts'
import { addNbodyAlert, setup } from './server-fixture.ts'

// The dashboard's in-process API client answers a public GET by calling its handler: what it
// answers, and how it refuses, must be exactly what the same call over HTTP gives.

async function both() {
  const f = await setup()
  const handlers = makeHandlers(f.store, {
    limits: resolveLimits({}),
    now: () => new Date('2024-11-01T00:00:00Z'),
    version: 'test',
    runtimes: [],
  })
  return {
    f,
    direct: inProcessApi(f.app, handlers),
    http: createApiClient('http://in-process', { fetch: injectFetch(f.app) }),
  }
}

async function refusal(call: () => Promise<unknown>): Promise<ApiError> {
  try {
    await call()
  } catch (error) {
    assert.ok(error instanceof ApiError, `expected an ApiError, got ${String(error)}`)
    return error
  }
  assert.fail('expected the call to be refused')
}

test('in-process API: public reads answer as over HTTP (queries with arrays, defaults and coercion)', async () => {
  const { f, direct, http } = await both()
  try {
    await addNbodyAlert(f)
    const series = {
      machine: 'bench-1',
      runtime: 'cpython',
      config: 'default',
      branch: 'main',
      workload: 'nbody',
    }
    const calls: [string, (api: ApiClient) => Promise<unknown>][] = [
      ['listRuns', (api) => api.listRuns({ query: { machine: 'bench-1', limit: 2 } })],
      ['getRun', (api) => api.getRun({ params: { id: f.runIds[1] ?? 0 } })],
      ['listSeries', (api) => api.listSeries({ query: { workload: 'nbody' } })],
      [
        'getSeriesPoints',
        (api) =>
          api.getSeriesPoints({
            query: { ...series, version: 'v1', interval: true, epochs: true, failed: true },
          }),
      ],
      ['listChanges', (api) => api.listChanges({ query: { ...series, version: 'v1' } })],
      ['listAlerts', (api) => api.listAlerts({ query: { status: ['confirmed', 'provisional'] } })],
      ['overview', (api) => api.overview()],
      ['getState', (api) => api.getState({ query: {} })],
      [
        'compare',
        (api) => api.compare({ query: { base: String(f.runIds[0]), candidate: String(f.runIds[1]) } }),
      ],
    ]
    // The direct path is taken: no request is emulated for a public read that succeeds.
    let injected = 0
    const inject = f.app.inject.bind(f.app)
    Object.assign(f.app, {
      inject: (...args: Parameters<typeof inject>) => {
        injected++
        return inject(...args)
      },
    })
    for (const [name, call] of calls) {
      const before = injected
      const a = await call(direct)
      assert.equal(injected, before, `${name} went through inject`)
      assert.deepEqual(a, await call(http), name)
      assert.notEqual(a, undefined, name)
    }
    // Frozen: a page cannot change an answer (the handler's memo may keep the same object).
    const first = await direct.getSeriesPoints({ query: { ...series, version: 'v1' } })
    assert.throws(() => {
      ;(first.points as unknown[]).length = 0
    }, TypeError)
    assert.throws(() => {
      ;(first.points[0]?.summary as { mean: number }).mean = 1
    }, TypeError)
    assert.ok((await direct.getSeriesPoints({ query: { ...series, version: 'v1' } })).points.length > 0)
  } finally {
    await f.app.close()
    await f.store.close()
  }
})

test('in-process API: refusals carry the HTTP status, code and sentence', async () => {
  const { f, direct, http } = await both()
  try {
    const cases: [string, (api: ApiClient) => Promise<unknown>][] = [
      ['unknown run', (api) => api.getRun({ params: { id: 999_999 } })],
      ['bad limit', (api) => api.listRuns({ query: { limit: -3 } })],
      [
        'unknown series',
        (api) =>
          api.getSeriesPoints({
            query: {
              machine: 'nowhere',
              runtime: 'cpython',
              config: 'default',
              workload: 'nbody',
              version: 'v1',
            },
          }),
      ],
    ]
    for (const [name, call] of cases) {
      const a = await refusal(() => call(direct))
      const b = await refusal(() => call(http))
      assert.deepEqual([a.statusCode, a.code, a.message], [b.statusCode, b.code, b.message], name)
      assert.ok(a.statusCode >= 400 && a.statusCode < 500, `${name}: ${a.statusCode}`)
    }
  } finally {
    await f.app.close()
    await f.store.close()
  }
})
