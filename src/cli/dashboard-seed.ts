import assert from 'node:assert/strict'
import { existsSync, readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance } from 'fastify'
import { detectAndRecord, importPyperfFiles } from '../analysis/index.ts'
import {
  type ApiClient,
  documentToRun,
  exampleRunDocument,
  type LangperfRunDocumentInput,
  LangperfRunDocumentSchema,
} from '../api/index.ts'
import { buildServer, hashTokenSecret, newTokenSecret } from '../server/index.ts'
import { openSqliteStore, type Store } from '../store/index.ts'
import { createWebRoutes } from '../web/index.ts'

// The seeded database of dashboard.test.ts: the real pyperf files of CPython's history in
// shared/data (when present), a synthetic series with a 25 % step so detection records an alert,
// hostile names, and the pages to visit.

export const repo = fileURLToPath(new URL('../../', import.meta.url))
export const PYPERF_DIR = resolve(
  process.env.LANGPERF_SHARED_DATA ?? resolve(repo, '../shared/data'),
  'pyperf-json-pythonperf2',
)
export const COMMIT_URL = 'https://github.com/python/cpython/commit/{sha}'

export const HOSTILE = '<script>alert(1)</script>'
export const IMG = '<img src=x onerror="window.__xss=1">'

export interface Seeded {
  readonly store: Store
  readonly app: FastifyInstance
  readonly api: ApiClient
  readonly adminSecret: string
  readonly runIds: readonly number[]
  readonly alertId: number
}

/** A result's metadata on a pip numpy of `version` with OpenBLAS. */
export function numpyStack(version: string) {
  const blas = { api: 'blas', implementation: 'openblas', version: '0.3.21', threads: 1 }
  return {
    requirements: { requested: [`numpy==${version}`], installed: [`numpy==${version}`] },
    stack: { modules: { numpy: version }, blas: { source: 'threadpoolctl', libraries: [blas] } },
  }
}

/** The synthetic runs: 12 builds of cpython jit on ci-box, nbody 25 % slower from the 7th. */
export function syntheticRuns(): LangperfRunDocumentInput[] {
  const docs: LangperfRunDocumentInput[] = []
  for (let i = 0; i < 12; i++) {
    const day = String(i + 1).padStart(2, '0')
    // Between-build noise of ±0.3 %, as a real series has.
    const noise = 1 + 0.003 * Math.sin(i * 1.7)
    const doc = exampleRunDocument({
      machine: 'ci-box',
      config: 'jit',
      version: '3.14.0a1+',
      commitSha: `${(0xabc000 + i).toString(16)}${'0'.repeat(34)}`.slice(0, 40),
      startedAt: `2024-10-${day}T10:00:00Z`,
      workloads: ['nbody', 'richards', 'hostile'],
      meanS: { nbody: (i >= 6 ? 0.0125 : 0.01) * noise, richards: 0.02 * noise, hostile: 0.005 * noise },
      processes: 6,
    })
    const run = {
      ...doc.run,
      build: { ...doc.run.build, metadata: { commit_message: `Fix ${HOSTILE} & ${IMG}` } },
      metadata: { note: IMG, [HOSTILE]: 'key' },
    }
    // The last two runs measured richards on two numeric stacks (what runner/suite records), the
    // second's numpy version hostile: the matrix split by stack names them.
    const stacked = doc.results.map((r) =>
      i >= 10 && r.workload.name === 'richards'
        ? { ...r, metadata: numpyStack(i === 10 ? '1.26.4' : IMG) }
        : r,
    )
    const results =
      i === 11
        ? [
            ...stacked,
            {
              workload: { name: 'crasher', version: 'v1' },
              processes: [],
              outcome: {
                state: 'failed' as const,
                reason: 'crashed' as const,
                message: `Worker died: ${IMG}`,
              },
            },
          ]
        : stacked
    docs.push({ ...doc, run, results })
  }
  return docs
}

export async function seed(): Promise<Seeded> {
  const store = await openSqliteStore(':memory:')
  if (existsSync(PYPERF_DIR)) {
    const files = readdirSync(PYPERF_DIR)
      .filter((f) => f.endsWith('.json.gz'))
      .map((f) => join(PYPERF_DIR, f))
    // The importer places each build on its line (main, 3.13, …) and reads the config from the name.
    await importPyperfFiles(store, files, { overrides: { machine: 'pythonperf2' } })
  }
  // The API refuses markup in workload names; older imports and other stores may hold anything, so
  // the store gets one directly and the pages must still show it as text.
  const runs = syntheticRuns()
    .map((d) => documentToRun(LangperfRunDocumentSchema.parse(d)))
    .map((r) => ({
      ...r,
      results: r.results.map((x) =>
        x.workload.name === 'hostile' ? { ...x, workload: { ...x.workload, name: HOSTILE } } : x,
      ),
    }))
  const runIds = await store.insertRuns(runs)
  await detectAndRecord(store, { now: () => new Date('2024-11-01T00:00:00Z') })
  const adminSecret = newTokenSecret()
  await store.createToken({
    name: 'admin',
    role: 'admin',
    scopes: [],
    hash: hashTokenSecret(adminSecret),
    createdAt: '2024-01-01T00:00:00Z',
  })
  let api: ApiClient | undefined
  const web = createWebRoutes({ commitUrl: COMMIT_URL })
  const app = await buildServer(store, {
    web: {
      register: async (a, context) => {
        api = context.api
        await web.register(a, context)
      },
    },
  })
  const alerts = await store.listAlerts({ limit: 100 })
  const alert = alerts.rows.find((a) => a.machines.includes('ci-box') && a.kind === 'commit')
  assert.ok(alert, `detection records the synthetic 25 % step as an alert (${alerts.total} alerts)`)
  assert.ok(api)
  return { store, app, api, adminSecret, runIds, alertId: alert.id }
}

export const TIMELINE_HOSTILE = `/timeline?machine=ci-box&runtime=cpython&config=jit&branch=main&workload=${encodeURIComponent(HOSTILE)}`
export const TIMELINE_NBODY =
  '/timeline?machine=ci-box&runtime=cpython&config=jit&branch=main&workload=nbody&version=v1'

/** Every page of the seeded dashboard, by a name for its screenshot. */
export function pages(s: Seeded): [string, string][] {
  const first = s.runIds[0]!
  const last = s.runIds[s.runIds.length - 1]!
  return [
    ['overview', '/'],
    ['workloads', '/workloads'],
    ['alerts', '/alerts'],
    ['alert', `/alerts/${s.alertId}`],
    ['run', `/runs/${last}`],
    ['machine', '/machines/ci-box'],
    ['matrix', '/matrix'],
    ['matrix-stacks', '/matrix?split=stack&machine=ci-box'],
    ['compare', `/compare?base=${first}&candidate=${last}`],
    ['compare-previous', `/compare?candidate=${last}`],
    ['compare-picker', '/compare'],
    ['timeline', TIMELINE_NBODY],
    ['timeline-hostile', TIMELINE_HOSTILE],
    ...(existsSync(PYPERF_DIR)
      ? ([
          [
            'timeline-real',
            '/timeline?machine=pythonperf2&runtime=cpython&config=default&branch=main&workload=nbody',
          ],
          ['machine-real', '/machines/pythonperf2'],
          // Two consecutive releases of the files (3.10.4 and 3.10.10) on the same machine and config.
          ['releases', '/releases'],
          ['release', '/releases/cpython/3.10.4/3.10.10'],
        ] as [string, string][])
      : []),
  ]
}
