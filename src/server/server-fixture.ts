import assert from 'node:assert/strict'
import type { FastifyInstance, InjectOptions } from 'fastify'
import {
  documentToRun,
  type ExampleRunDocumentOptions,
  exampleRunDocument,
  LangperfRunDocumentSchema,
} from '../api/index.ts'
import { openSqliteStore, type Store } from '../store/index.ts'
import { buildServer, hashTokenSecret, newTokenSecret } from './index.ts'

// Test support for the server's tests (not used by the product): a server over a real SQLite
// store seeded with runs and tokens, requests through Fastify's inject(), error assertions.

/** A real bench_runner result file of the published history (tests skip without it). */
export const PYPERF_FILE = `${process.env.LANGPERF_SHARED_DATA ?? new URL('../../../shared/data', import.meta.url).pathname}/pyperf-json-pythonperf2/bm-20240414-3.13.0a6+-a74f117.json.gz`

/** A run stored directly, as a fixture. */
export function run(options: ExampleRunDocumentOptions) {
  return documentToRun(LangperfRunDocumentSchema.parse(exampleRunDocument(options)))
}

/** A server over a seeded store, with its runs and token secrets. */
export interface Fixture {
  readonly store: Store
  readonly app: FastifyInstance
  readonly runIds: readonly number[]
  readonly secrets: {
    readonly agent: string
    readonly scoped: string
    readonly admin: string
    readonly revoked: string
  }
}

/** A store with four runs (three builds of cpython on bench-1, one pypy run on bench-2) and four tokens. */
export async function setup(options: Parameters<typeof buildServer>[1] = {}): Promise<Fixture> {
  const store = await openSqliteStore(':memory:')
  const runIds = await store.insertRuns([
    run({ commitSha: 'aaaa1111', startedAt: '2024-10-01T10:00:00Z' }),
    run({ commitSha: 'bbbb2222', startedAt: '2024-10-02T10:00:00Z', meanS: { nbody: 0.012 } }),
    run({
      commitSha: 'cccc3333',
      startedAt: '2024-10-03T10:00:00Z',
      meanS: { nbody: 0.012, richards: 0.008 },
    }),
    run({ machine: 'bench-2', runtime: 'pypy', version: '3.10.14', config: 'jit', commitSha: 'dddd4444' }),
  ])
  const secrets = {
    agent: newTokenSecret(),
    scoped: newTokenSecret(),
    admin: newTokenSecret(),
    revoked: newTokenSecret(),
  }
  const at = '2024-09-01T00:00:00Z'
  await store.createToken({
    name: 'ci',
    role: 'agent',
    scopes: [],
    hash: hashTokenSecret(secrets.agent),
    createdAt: at,
  })
  await store.createToken({
    name: 'bench-2 agent',
    role: 'agent',
    scopes: ['bench-2'],
    hash: hashTokenSecret(secrets.scoped),
    createdAt: at,
  })
  await store.createToken({
    name: 'ops',
    role: 'admin',
    scopes: [],
    hash: hashTokenSecret(secrets.admin),
    createdAt: at,
  })
  const old = await store.createToken({
    name: 'old',
    role: 'admin',
    scopes: [],
    hash: hashTokenSecret(secrets.revoked),
    createdAt: at,
  })
  await store.revokeToken(old.id, at)
  const app = await buildServer(store, { now: () => new Date('2024-11-01T00:00:00Z'), ...options })
  return { store, app, runIds, secrets }
}

/**
 * Records a confirmed regression of nbody (cpython default main, bench-1) from the fixture's first
 * run to its second, with `details`; returns its alert's id.
 */
export async function addNbodyAlert(f: Fixture, details: Record<string, string> = {}): Promise<number> {
  const end = async (runId: number | undefined) => {
    const run = await f.store.getRun(runId ?? 0)
    const [result] = await f.store.getResults(runId ?? 0, { workloads: ['nbody'] })
    return { buildId: run?.build.id ?? 0, resultId: result?.id ?? 0, commitSha: run?.build.commitSha ?? null }
  }
  const outcome = await f.store.applyDetection({
    changes: [
      {
        kind: 'commit',
        series: {
          machine: 'bench-1',
          runtime: 'cpython',
          config: 'default',
          branch: 'main',
          workload: 'nbody',
          workloadVersion: 'v1',
        },
        lastGood: await end(f.runIds[0]),
        firstBad: await end(f.runIds[1]),
        unit: 'second',
        ratio: 1.2,
        ratioLow: 1.18,
        ratioHigh: 1.22,
        pValue: 1e-6,
        direction: 'regression',
        status: 'confirmed',
        details,
      },
    ],
    withdrawn: [],
    at: '2024-10-02T12:00:00.000Z',
  })
  return outcome.newAlertIds[0] ?? 0
}

/** Closes the server and its store. */
export async function teardown(f: Fixture): Promise<void> {
  await f.app.close()
  await f.store.close()
}

/** Injects a request and parses the JSON answer. */
export async function call(app: FastifyInstance, options: InjectOptions) {
  const response = await app.inject(options)
  let json: unknown
  try {
    json = response.json()
  } catch {
    json = undefined
  }
  return {
    status: response.statusCode,
    headers: response.headers,
    body: json as Record<string, unknown>,
    raw: response.body,
  }
}

/** The Authorization header of a bearer token. */
export const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` })

/** How many runs the store holds: the measure of "nothing was stored". */
export async function runCount(store: Store): Promise<number> {
  return (await store.listRuns({ limit: 1 })).total
}

/** Asserts an API error: its status, code and a message without a trailing period. */
export function assertError(
  r: { status: number; body: Record<string, unknown> },
  status: number,
  code: string,
  re: RegExp,
) {
  assert.equal(r.status, status, JSON.stringify(r.body))
  assert.equal(r.body.code, code)
  assert.equal(r.body.statusCode, status)
  assert.match(String(r.body.message), re)
  assert.doesNotMatch(String(r.body.message), /\.$/, 'messages have no trailing period')
}
