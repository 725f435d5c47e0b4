import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { after, test } from 'node:test'
import { createRng } from '../lib/index.ts'
import { buildServer } from '../server/index.ts'
import { openSqliteStore } from '../store/index.ts'
import { createWebRoutes } from '../web/index.ts'
import { main } from './main.ts'

// A fork's branch benchmarked beside main, as bench_runner's histories hold them: the fork's
// runs are an experiment, never an alert; each is compared with the run of its merge base.

const root = mkdtempSync(join(tmpdir(), 'langperf-experiments-'))
after(() => rmSync(root, { recursive: true, force: true }))

const rng = createRng(31)
const sha = (prefix: string, i: number) => `${prefix}${i.toString(16).padStart(3, '0')}`.padEnd(40, '0')

/**
 * A pyperf file: workloads a…h at 10 ms with ±0.2 % noise, workload `a` scaled by `aFactor`;
 * bench_runner's commit metadata.
 */
function write(name: string, meta: Record<string, string>, aFactor: number): string {
  const benchmarks = 'abcdefgh'.split('').map((w) => ({
    metadata: { name: w, python_version: '3.14.0a0+', loops: 1 },
    runs: Array.from({ length: 8 }, () => ({
      metadata: {},
      values: [0, 1, 2].map(() => 0.01 * (w === 'a' ? aFactor : 1) * (1 + 0.002 * (rng() - 0.5))),
    })),
  }))
  const path = join(root, 'files', name)
  writeFileSync(path, JSON.stringify({ version: '1.0', metadata: { hostname: 'box', ...meta }, benchmarks }))
  return path
}

/** Runs the CLI on `db`: its exit code and what it wrote. */
async function cli(db: string, ...args: string[]) {
  const chunks: Record<'out' | 'err', Buffer[]> = { out: [], err: [] }
  const sink = (k: 'out' | 'err') =>
    new Writable({
      write(chunk, _enc, cb) {
        chunks[k].push(Buffer.from(chunk))
        cb()
      },
    })
  const code = await main(['node', 'langperf', ...args, '--db', db], {
    out: sink('out'),
    err: sink('err'),
    isTty: false,
  })
  return { code, out: Buffer.concat(chunks.out).toString(), err: Buffer.concat(chunks.err).toString() }
}

test("a fork's runs are compared with their merge base, never detected as a history", async () => {
  mkdirSync(join(root, 'files'))
  /** `count` builds of one line: commits `letter`1…, on `fork`/`branch`, merge base and `a` scale by build. */
  const line = (
    letter: string,
    count: number,
    where: { fork: string; branch: string; day: (i: number) => number; hour: number },
    mergeBase: (i: number) => string,
    aFactor: (i: number) => number,
  ) =>
    Array.from({ length: count }, (_, k) => {
      const i = k + 1
      return write(
        `bm-${where.fork}-${where.branch}-${i}.json`,
        {
          commit_id: sha(letter, i).slice(0, 7),
          commit_branch: where.branch,
          commit_fork: where.fork,
          commit_date: `2024-05-${String(where.day(i)).padStart(2, '0')}T${where.hour}:00:00+00:00`,
          commit_merge_base: mergeBase(i),
        },
        aFactor(i),
      )
    })
  const files = [
    // Main: 12 daily builds, each recording its parent as merge base (as bench_runner does on main).
    ...line(
      'a',
      12,
      { fork: 'python', branch: 'main', day: (i) => i, hour: 12 },
      (i) => sha('a', i - 1),
      () => 1,
    ),
    // The fork's branch, branched from main's 6th build: `a` 20 % faster, then (its 4th run, a
    // rebase onto a slower main, say) 30 % slower than that: a step detection would raise on main.
    ...line(
      'f',
      6,
      { fork: 'someone', branch: 'faster-calls', day: (i) => 6 + i, hour: 18 },
      () => sha('a', 6),
      (i) => (i < 4 ? 0.8 : 1.04),
    ),
    // Another fork's trunk, benchmarked nightly: a history like main's, its 30 % step detected.
    ...line(
      'c',
      12,
      { fork: 'team', branch: 'main', day: (i) => i, hour: 20 },
      (i) => sha('a', i),
      (i) => (i < 8 ? 1 : 1.3),
    ),
  ]
  const db = join(root, 'exp.db')
  const imported = await cli(db, 'import', 'pyperf', ...files)
  assert.equal(imported.code, 0, imported.err)
  assert.match(imported.err, /lineage fork: 18 file\(s\)/)
  const detected = await cli(db, 'detect', '--json')
  assert.equal(detected.code, 0, detected.err)
  const report = JSON.parse(detected.out)
  const forkSkips = report.skipped.filter(
    (s: { series: { branch: string } }) => s.series.branch === 'someone/faster-calls',
  )
  assert.equal(forkSkips.length, 8, 'every workload series of the fork is skipped')
  assert.match(
    forkSkips[0].reason,
    /a fork's branch, an experiment: each of its runs is compared with its merge base/,
  )
  const raised = report.newAlerts.flatMap(
    (a: { changes: { series: { branch: string; workload: string } }[] }) =>
      a.changes.map((c) => `${c.series.branch}/${c.series.workload}`),
  )
  assert.deepEqual(
    raised,
    ['team/main/a'],
    "only the fork's trunk, a history: main is steady, the experiment is none",
  )
  // `base:RUN` names the run of the fork run's merge base: main's 6th build, on the same machine.
  const store = await openSqliteStore(db)
  let forkRun: number
  let baseRun: number
  try {
    const fork = (await store.listRuns({ branch: 'someone/faster-calls', order: 'stored', limit: 10 })).rows
    forkRun = fork.at(-1)!.id
    baseRun = (await store.listRuns({ order: 'stored', limit: 100 })).rows.find(
      (r) => r.build.commitSha === sha('a', 6).slice(0, 7),
    )!.id
  } finally {
    await store.close()
  }
  const compared = await cli(db, 'compare', `base:${forkRun}`, String(forkRun), '--json')
  assert.equal(compared.code, 0, compared.err)
  const c = JSON.parse(compared.out)
  assert.equal(c.base.id, baseRun)
  assert.equal(c.candidate.id, forkRun)
  const a = c.rows.find((r: { workload: string }) => r.workload === 'a')
  assert.equal(a.comparison.verdict, 'faster')
  assert.ok(
    Math.abs(a.comparison.ratio - 0.8) < 0.01,
    `a ran 0.8× its merge base's time, found ${a.comparison.ratio}`,
  )
  // Main's first build records a merge base nobody measured: the selector says so.
  const missing = await cli(db, 'compare', `base:${baseRun - 5}`, String(baseRun - 5))
  assert.equal(missing.code, 2)
  assert.match(
    missing.err,
    /Cannot find a run for "base:\d+": its merge base a000000000 has no cpython default run with results on box/,
  )
  // The run page links the comparison, and the compare page answers it.
  const web = await openSqliteStore(db)
  const app = await buildServer(web, { web: createWebRoutes() })
  try {
    const page = await app.inject({ method: 'GET', url: `/runs/${forkRun}` })
    assert.equal(page.statusCode, 200)
    assert.match(page.body, new RegExp(`href="/compare\\?base=${baseRun}&amp;candidate=${forkRun}"`))
    // A build whose merge base was not measured says so, and links nothing.
    const first = (await app.inject({ method: 'GET', url: `/runs/${baseRun - 5}` })).body
    assert.doesNotMatch(first, /Compare with its merge base/)
    assert.match(
      first,
      /\(not compared: its merge base a000000000 has no cpython default run with results on box\)/,
    )
    assert.match(
      page.body,
      /Compare with its merge base a006000000<\/a> \(a fork’s experiment: this is its verdict\)/,
    )
    // The overview lists the fork's line apart, against its merge base, not against its run before.
    const overview = await app.inject({ method: 'GET', url: '/api/v1/overview' })
    const rows = JSON.parse(overview.body).rows as {
      branch: string
      against: string
      previous: { id: number }
    }[]
    const forkRow = rows.find((r) => r.branch === 'someone/faster-calls')
    assert.equal(forkRow?.against, 'merge base')
    assert.equal(forkRow?.previous.id, baseRun)
    assert.equal(rows.find((r) => r.branch === 'main')?.against, 'previous run')
    const home = (await app.inject({ method: 'GET', url: '/' })).body
    const [upstreamPart, experimentsPart] = home.split('<h2>Experiments</h2>')
    assert.ok(experimentsPart, 'an Experiments section')
    assert.doesNotMatch(upstreamPart ?? '', /someone\/faster-calls/)
    assert.match(experimentsPart, /someone\/faster-calls <span class="muted">·<\/span> default/)
    assert.match(experimentsPart, new RegExp(`href="/compare\\?base=${baseRun}&amp;candidate=\\d+"`))
    const comparison = await app.inject({
      method: 'GET',
      url: `/compare?base=base:${forkRun}&candidate=${forkRun}`,
    })
    assert.equal(comparison.statusCode, 200)
    assert.match(comparison.body, new RegExp(`href="/runs/${baseRun}">run ${baseRun}</a>`))
  } finally {
    await app.close()
    await web.close()
  }
})
