import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import type { JsonObject } from '../lib/index.ts'
import type { RunWithResults } from '../model/index.ts'
import { buildServer } from '../server/index.ts'
import { exampleBuild, exampleRunWithResults, openSqliteStore, type Store } from '../store/index.ts'
import { createWebRoutes, renderSite } from '../web/index.ts'

// The matrix split by numeric stack: two runs of one build on "num-box", the first on NumPy
// 1.26.4's wheel (OpenBLAS), the second on Debian's numpy 1.24.2 with BLIS (--system-packages
// --blas blis), each with the metadata runner/suite records; np_matmul twice as slow on the
// second, np_fft and the stack-less nbody unchanged. PyPy measured nbody only.

const BUILD_311 = exampleBuild('a'.repeat(40), {
  version: '3.11.2',
  config: 'default',
  branch: null,
  identity: 'local:py311',
})
const PYPY = exampleBuild('b'.repeat(40), {
  runtime: 'pypy',
  version: '7.3.17',
  config: 'default',
  branch: null,
  identity: 'local:pypy',
})

const THREADS = { OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' }

/** What a pip (wheel) result of a numpy workload records. */
function wheelStack(numpy: string): JsonObject {
  const installed = [`numpy==${numpy}`, 'threadpoolctl==3.5.0']
  return {
    requirements: { requested: installed, installed, venv: '/cache/venvs/x', created: false },
    thread_env: THREADS,
    stack: {
      modules: { numpy, threadpoolctl: '3.5.0' },
      thread_env: THREADS,
      blas: {
        source: 'threadpoolctl',
        libraries: [
          { api: 'blas', implementation: 'openblas', version: '0.3.21', threads: 1, architecture: 'Haswell' },
        ],
      },
    },
  }
}

/** What a result on Debian's numpy under `--blas blis` records. */
const DEBIAN_BLIS: JsonObject = {
  requirements: {
    mode: 'system',
    requested: ['numpy==1.26.4', 'threadpoolctl==3.5.0'],
    installed: ['numpy==1.24.2', 'threadpoolctl==3.1.0'],
    python: '/usr/bin/python3',
  },
  thread_env: THREADS,
  stack: {
    modules: { numpy: '1.24.2', threadpoolctl: '3.1.0' },
    thread_env: THREADS,
    blas: {
      source: 'threadpoolctl',
      libraries: [{ api: 'blas', implementation: 'blis', version: '0.9.0', threads: 1, architecture: 'skx' }],
    },
    blis_arch: 'skx',
  },
  blas: { variant: 'blis', label: 'blis', ld_library_path: ['/usr/lib/x86_64-linux-gnu/blis-pthread'] },
}

const WHEEL_LABEL = 'numpy 1.26.4 · OpenBLAS 0.3.21 Haswell · 1 thread'
const DEBIAN_LABEL = 'system numpy 1.24.2 · BLIS 0.9.0 skx · 1 thread'

/** A complete run of `build` on num-box on `day`, of these workloads: [name, version, mean s, metadata]. */
function run(
  build: typeof BUILD_311,
  day: number,
  workloads: readonly (readonly [string, string, number, JsonObject | undefined])[],
): RunWithResults {
  const startedAt = `2024-11-0${day}T10:00:00.000Z`
  return {
    ...exampleRunWithResults({ machine: 'num-box', build, startedAt }),
    results: workloads.map(([name, version, meanS, metadata], i) => {
      const [r] = exampleRunWithResults(
        {},
        {
          workloads: [name],
          result: { version, meanS, seed: day * 10 + i, processes: 6, metadata: metadata ?? {} },
        },
      ).results
      return r!
    }),
  }
}

interface Seeded {
  readonly store: Store
  readonly app: FastifyInstance
  readonly ids: readonly number[]
}

async function seed(): Promise<Seeded> {
  const store = await openSqliteStore(':memory:')
  const ids = await store.insertRuns([
    run(BUILD_311, 1, [
      ['np_matmul', 'wheel0000001', 0.01, wheelStack('1.26.4')],
      ['np_fft', 'wheel0000002', 0.02, wheelStack('1.26.4')],
      ['nbody', 'plain0000000', 0.05, undefined],
    ]),
    run(BUILD_311, 2, [
      ['np_matmul', 'debianblis01', 0.02, DEBIAN_BLIS],
      ['np_fft', 'debianblis02', 0.02, DEBIAN_BLIS],
      ['nbody', 'plain0000000', 0.05, undefined],
    ]),
    run(PYPY, 3, [['nbody', 'plain0000000', 0.05, undefined]]),
  ])
  const web = createWebRoutes()
  const app = await buildServer(store, { web: { register: (a, context) => web.register(a, context) } })
  return { store, app, ids }
}

async function get(app: FastifyInstance, url: string): Promise<{ status: number; body: string }> {
  const res = await app.inject({ method: 'GET', url })
  return { status: res.statusCode, body: res.body }
}

/** The header cells of the page's matrix table (its columns), as text. */
function columns(html: string): string[] {
  const table = /<table class="data matrix[^"]*">([\s\S]*?)<\/thead>/.exec(html)?.[1] ?? ''
  const head = /<tr>([\s\S]*?)<\/tr>/.exec(table)?.[1] ?? ''
  return [...head.matchAll(/<th scope="col"[^>]*>([\s\S]*?)<\/th>/g)].slice(1).map((m) => text(m[1]!))
}

/** The cells of a workload's row, as text. */
function cells(html: string, workload: string): string[] {
  const row =
    new RegExp(`<tr><th scope="row" class="name">${workload}</th>([\\s\\S]*?)</tr>`).exec(html)?.[1] ?? ''
  return [...row.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((m) => text(m[1]!))
}

const text = (html: string) =>
  html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim()

describe('the matrix split by numeric stack', () => {
  const seeded = seed()
  after(() => seeded.then((s) => s.app.close().then(() => s.store.close())))

  test('by default one column per runtime and config (the newest stack only), with a link to the split', async () => {
    const s = await seeded
    const [first] = s.ids
    const page = await get(s.app, `/matrix?baseline=${first}`)
    assert.equal(page.status, 200)
    const cols = columns(page.body)
    assert.deepEqual(cols, ['cpython default num-box · 3.11.2', 'pypy default num-box · 7.3.17'])
    assert.doesNotMatch(page.body, /numpy 1\.26\.4|BLIS/, 'no stack is named')
    // np_matmul's cell is its latest run's (Debian's BLIS, twice as slow) against run 1's (the wheel).
    const matmul = cells(page.body, 'np_matmul')
    assert.equal(matmul.length, 2)
    assert.match(matmul[0]!, /^≠ \+\d+(\.\d)? % ▲ slower$/)
    assert.equal(matmul[1], '–')
    assert.match(page.body, new RegExp(`href="/matrix\\?baseline=${first}&amp;split=stack"`))
  })

  test('split=stack gives a column per stack with its label and its own results, against a stack as baseline', async () => {
    const s = await seeded
    const [first, second] = s.ids
    const page = await get(
      s.app,
      `/matrix?baseline=${first}&split=stack&stack=${encodeURIComponent(WHEEL_LABEL)}`,
    )
    assert.equal(page.status, 200)
    const cols = columns(page.body)
    // 3.11.2: no stack (nbody), Debian's BLIS (newest), the wheel; 3.12.0: no stack.
    assert.equal(cols.length, 4, cols.join(' | '))
    assert.match(cols[0]!, /^cpython default no stack num-box · 3\.11\.2 · run 2$/)
    assert.equal(cols[1], `cpython default ${DEBIAN_LABEL} num-box · 3.11.2 · run ${second}`)
    assert.equal(cols[2], `cpython default ${WHEEL_LABEL} (baseline) num-box · 3.11.2 · run ${first}`)
    assert.match(cols[3]!, /^pypy default no stack num-box · 7\.3\.17 · run 3$/)
    // np_matmul: – where there is no stack, twice as slow on BLIS against the wheel (another version: ≠), the baseline.
    const matmul = cells(page.body, 'np_matmul')
    assert.equal(matmul[0], '–')
    assert.match(matmul[1]!, /^≠ \+\d+(\.\d)? % ▲ slower$/)
    assert.equal(matmul[2], 'baseline')
    assert.equal(matmul[3], '–')
    const ratio = Number(/title="np_matmul: ([\d.]+)×/.exec(page.body)?.[1])
    assert.ok(ratio > 1.8 && ratio < 2.2, `np_matmul on BLIS ÷ the wheel: ${ratio}`)
    // np_fft the same on both; nbody only in the columns without a stack, against the baseline run's.
    assert.match(cells(page.body, 'np_fft')[1]!, /^≠ [^▲▼]* = same$/)
    const nbody = cells(page.body, 'nbody')
    assert.equal(nbody[1], '–')
    assert.equal(nbody[2], '–')
    assert.notEqual(nbody[0], '–')
    // Each column can be the baseline: the picker's links carry its run and stack.
    assert.match(
      page.body,
      new RegExp(`href="/matrix\\?baseline=${second}&amp;split=stack&amp;stack=system\\+numpy\\+1\\.24\\.2`),
    )
  })

  test('the baseline can be the other stack: the wheel is then about half as slow', async () => {
    const s = await seeded
    const [, second] = s.ids
    const page = await get(
      s.app,
      `/matrix?baseline=${second}&split=stack&stack=${encodeURIComponent(DEBIAN_LABEL)}`,
    )
    const cols = columns(page.body)
    assert.match(cols[1]!, /\(baseline\)/)
    const matmul = cells(page.body, 'np_matmul')
    assert.equal(matmul[1], 'baseline')
    assert.match(matmul[2]!, /^≠ −\d+(\.\d)? % ▼ faster$/)
  })

  test('a bad split is refused; labels from stored metadata are escaped', async () => {
    const s = await seeded
    assert.equal((await get(s.app, '/matrix?split=blas')).status, 400)
    const hostile = { ...wheelStack('<img src=x onerror=alert(1)>') }
    const [id] = await s.store.insertRuns([run(BUILD_311, 4, [['np_matmul', 'hostile00001', 0.01, hostile]])])
    const page = await get(s.app, `/matrix?baseline=${id}&split=stack`)
    assert.equal(page.status, 200)
    assert.doesNotMatch(page.body, /<img src=x/)
    assert.match(page.body, /numpy &lt;img src=x onerror=alert\(1\)> · OpenBLAS/)
  })

  test('the static report writes the split matrix, linked from the default one', async () => {
    const s = await seeded
    const out = mkdtempSync(join(tmpdir(), 'langperf-stacks-'))
    const web = createWebRoutes()
    let api: Parameters<typeof renderSite>[0] | undefined
    const app = await buildServer(s.store, {
      web: {
        register: async (a, context) => {
          api = context.api
          await web.register(a, context)
        },
      },
    })
    assert.ok(api)
    const report = await renderSite(api, out)
    await app.close()
    const split = report.pages.find((p) => p.startsWith('matrix/stacks-'))
    assert.ok(split, report.pages.filter((p) => p.startsWith('matrix')).join(', '))
    const html = readFileSync(join(out, split), 'utf8')
    assert.match(html, /Matrix by stack/)
    assert.match(html, /system numpy 1\.24\.2 · BLIS 0\.9\.0 skx · 1 thread/)
  })
})
