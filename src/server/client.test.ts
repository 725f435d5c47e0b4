import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { gzipSync } from 'node:zlib'
import type { FastifyInstance } from 'fastify'
import { type ApiClient, ApiError, createApiClient, exampleRunDocument } from '../api/index.ts'
import { openSqliteStore, type Store } from '../store/index.ts'
import { buildServer, hashTokenSecret, newTokenSecret } from './index.ts'

// The typed client of api/ against a server listening on an ephemeral port: real HTTP, real
// fetch, the same answers a CI script or the dashboard gets.

describe('createApiClient() against a listening server', () => {
  let store: Store
  let app: FastifyInstance
  let baseUrl: string
  let agent: ApiClient
  let anonymous: ApiClient
  const secret = newTokenSecret()

  before(async () => {
    store = await openSqliteStore(':memory:')
    await store.createToken({
      name: 'ci',
      role: 'agent',
      scopes: [],
      hash: hashTokenSecret(secret),
      createdAt: '2024-01-01T00:00:00Z',
    })
    app = await buildServer(store)
    await app.listen({ host: '127.0.0.1', port: 0 })
    baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/`
    agent = createApiClient(baseUrl, { token: secret })
    anonymous = createApiClient(baseUrl)
  })
  after(async () => {
    await app.close()
    await store.close()
  })

  test('ingests a run with a token and reads it back through the typed methods', async () => {
    const { runs } = await agent.ingestRun({ body: exampleRunDocument({ commitSha: 'c0ffee' }) })
    const id = runs[0]?.id ?? 0
    assert.equal(runs[0]?.results, 3)
    const page = await anonymous.listRuns({ query: { machine: 'bench-1', limit: 10 } })
    assert.equal(page.total, 1)
    assert.equal(page.items[0]?.build.commitSha, 'c0ffee')
    const detail = await anonymous.getRun({ params: { id }, query: { samples: true } })
    assert.equal(detail.results.length, 3)
    assert.equal(detail.results[0]?.processes?.length, 4)
    const points = await anonymous.getSeriesPoints({
      query: { machine: 'bench-1', runtime: 'cpython', config: 'default', branch: 'main', workload: 'nbody' },
    })
    assert.equal(points.points.length, 1)
    assert.equal((await anonymous.health()).status, 'ok')
  })

  test('sends pyperf bytes gzip with Content-Encoding', async () => {
    const doc = {
      version: '1.0',
      metadata: { hostname: 'bench-1', python_version: '3.12.1', commit_id: 'abcdef1' },
      benchmarks: [
        { metadata: { name: 'nbody', unit: 'second' }, runs: [{ metadata: {}, values: [0.1, 0.11] }] },
      ],
    }
    const { runs } = await agent.ingestPyperf({
      body: gzipSync(JSON.stringify(doc)),
      gzip: true,
      query: { config: 'jit' },
    })
    assert.equal(runs[0]?.config, 'jit')
    assert.equal(runs[0]?.version, '3.12.1')
  })

  test('an error answer becomes an ApiError with status, code and message', async () => {
    await assert.rejects(
      anonymous.ingestRun({ body: exampleRunDocument() }),
      (error: unknown) =>
        error instanceof ApiError &&
        error.statusCode === 401 &&
        error.code === 'unauthorized' &&
        /bearer token/.test(error.message),
    )
    await assert.rejects(
      anonymous.listRuns({ query: { limit: 0 } }),
      (error: unknown) =>
        error instanceof ApiError && error.statusCode === 400 && /"limit"/.test(error.message),
    )
  })
})
