import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import pg from 'pg'
import { createApiClient } from '../api/index.ts'
import { GIT_TEST_ENV } from '../build/index.ts'
import { NO_PG_REASON, schemaPool, TEST_PG_URL } from '../farm/index.ts'
import type { Store } from '../store/index.ts'
import { createTokens, type LangperfProcess, startFarmAgent, startFarmServer } from './farm-processes.ts'
import { cli, FAST_MAIN, makeToyRepo, pythonHookMain, TOY_SKIP, toyConfigToml } from './toy-runtime.ts'

// The farm's nightly end to end (issue 14), every party a process of its own but the nightly:
// PostgreSQL (the store and BullMQ's tables), one `langperf serve --farm`, and the agents of two
// machines, farm-a and farm-b, each with its own build cache. `langperf nightly --farm --wait`
// (in this process, as a systemd timer would run it on the server's host) plans the toy
// runtime's backfill once per machine and enqueues one build job per commit × machine; each agent
// clones the toy, builds each commit (`make`, the build room's cache) and measures it beside the
// newest older commit that builds (a reference pair, its reference run uploaded with it); the
// nightly waits for the jobs, then detects per machine. Both machines' results are stored
// exactly once; a second nightly enqueues nothing; a new commit is one new job per machine.
// A second test slows the toy at one commit: the farm nightly detects the step on farm-a and
// bisects it with jobs on farm-a (midpoints, then the culprit against its parent) until the alert
// names the slow commit as its culprit.

const url = TEST_PG_URL
const SKIP = url === undefined ? NO_PG_REASON : TOY_SKIP
const processes: LangperfProcess[] = []
const schemas = schemaPool('langperf_farm_nightly')
const farmSchemas: string[] = []
let store: Store | undefined
let root = ''
const cleanups: (() => Promise<void> | void)[] = []

after(async () => {
  for (const p of processes) p.kill('SIGKILL')
  await Promise.all(processes.map((p) => p.exited))
  await store?.close()
  for (const c of cleanups) await c()
  if (root !== '') rmSync(root, { recursive: true, force: true })
  if (url === undefined) return
  await schemas.dropAll(url)
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  for (const s of farmSchemas) await client.query(`drop schema if exists "${s}" cascade`)
  await client.end()
})

/** Sampling for a short test: 2 workloads, 2 processes × 2 values of at least 10 ms. */
const SAMPLING = [
  '-w',
  'nbody',
  '-w',
  'generators',
  '--fast',
  '--processes',
  '2',
  '--warmups',
  '0',
  '--values',
  '2',
  '--min-time',
  '0.01',
]

/** Commits a new version of the toy (its VERSION file) to `dir` at `date`; answers its sha. */
function commitTo(dir: string, subject: string, date: string): string {
  const env = { ...process.env, ...GIT_TEST_ENV, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date }
  writeFileSync(join(dir, 'VERSION'), `${subject}\n`)
  execFileSync('git', ['commit', '--quiet', '-am', subject], { cwd: dir, env })
  return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: dir, env, encoding: 'utf8' }).trim()
}

/** The nightly runs of `machine` (its history, not the references of its pairs) by commit sha: how many of each. */
async function runsByCommit(s: Store, machine: string): Promise<Map<string, number>> {
  const out = new Map<string, number>()
  for (const r of (await s.listRuns({ machine, limit: 1000 })).rows) {
    if (r.metadata.purpose !== 'nightly') continue
    const sha = r.build.commitSha ?? '?'
    out.set(sha, (out.get(sha) ?? 0) + 1)
  }
  return out
}

/** Writes the toy's langperf.toml in `dir` (with `extra` sections); answers its path. */
function writeFarmConfig(dir: string, extra = ''): string {
  const path = join(dir, 'langperf.toml')
  writeFileSync(
    path,
    `${toyConfigToml('toy')}
[suites]
default = ["quick"]

[build]
cache_dir = "server-cache"
jobs = 1
step_timeout = "2m"
${extra}`,
  )
  return path
}

/** `langperf nightly --farm --wait --json` over the store of `schema`, with `args`. */
function farmNightly(configPath: string, schema: string, ...args: string[]) {
  return cli(
    'nightly',
    '--farm',
    '--config',
    configPath,
    '--db',
    url as string,
    '--pg-schema',
    schema,
    '--wait',
    '--wait-timeout',
    '600',
    '--json',
    ...args,
  )
}

test('a farm nightly spreads the toy runtime’s builds and runs over two machines’ agents and stores each result once', {
  skip: SKIP,
  timeout: 900_000,
}, async () => {
  const t0 = performance.now()
  root = mkdtempSync(join(tmpdir(), 'langperf-farm-nightly-'))
  const repo = makeToyRepo(root, {
    dir: 'toy',
    total: 6,
    broken: 3,
    slow: null,
    slowMain: FAST_MAIN,
    slowSubject: '',
  })
  const configPath = writeFarmConfig(root)
  const pgUrl = url as string
  const schema = schemas.next()
  farmSchemas.push(`${schema}_farm`)
  const made = await createTokens(pgUrl, schema, {
    a: ['agent', ['farm-a']],
    b: ['agent', ['farm-b']],
  })
  store = made.store
  const server = await startFarmServer(pgUrl, { schema, lockMs: 15_000 })
  processes.push(server)
  const agents = (['a', 'b'] as const).map((m) =>
    startFarmAgent(server.baseUrl, made.secrets[m] ?? '', `farm-${m}`, [
      '--cache-dir',
      join(root, `cache-${m}`),
    ]),
  )
  processes.push(...agents)
  await Promise.all(agents.map((a) => a.waitFor(/registered/)))

  // Bisection is the next test's: here the toy is not slowed, and a step that a loaded machine
  // fakes between two of its commits would be bisected, adding runs this test counts. Each pair
  // grows one round on its agent: a threshold of 0.1 % leaves every workload undecided after the
  // first (no interval of a few processes lies within ± 0.1 %), and a budget of 2 stops there.
  const nightly = (...extra: string[]) =>
    farmNightly(
      configPath,
      schema,
      ...SAMPLING,
      '--no-bisect',
      '--pair-budget',
      '2',
      '--pair-threshold',
      '0.001',
      ...extra,
    )

  // Every other commit of the last 5, the newest included: commits 1, 3 (its build breaks) and 5,
  // on each machine. The dry run shows that plan and enqueues nothing.
  const dry = await nightly('--backfill', '5', '--every', '2', '--dry-run')
  assert.equal(dry.code, 0, dry.err)
  const dryReport = JSON.parse(dry.out)
  assert.deepEqual(
    dryReport.planned.map((p: { machine: string; sha: string }) => [p.machine, repo.shas.indexOf(p.sha)]),
    [
      ['farm-a', 1],
      ['farm-a', 3],
      ['farm-a', 5],
      ['farm-b', 1],
      ['farm-b', 3],
      ['farm-b', 5],
    ],
  )
  assert.deepEqual(dryReport.jobs, [])
  const first = await nightly('--backfill', '5', '--every', '2')
  const firstS = (performance.now() - t0) / 1000
  assert.equal(first.code, 0, `${first.err}\n${agents.map((a) => a.lines.join('\n')).join('\n')}`)
  const report = JSON.parse(first.out)
  assert.deepEqual(report.machines, ['farm-a', 'farm-b'])
  const jobs = report.jobs as { machine: string; sha: string; added: boolean; state: string; jobId: string }[]
  const planned = [1, 3, 5].map((i) => repo.shas[i])
  for (const machine of ['farm-a', 'farm-b']) {
    const mine = jobs.filter((j) => j.machine === machine)
    assert.deepEqual(
      mine.map((j) => j.sha),
      planned,
    )
    assert.ok(mine.every((j) => j.added && j.state === 'completed'))
  }
  // Each machine's agent built and measured its own jobs: one run per commit, on that machine.
  for (const machine of ['farm-a', 'farm-b']) {
    const runs = await runsByCommit(store, machine)
    assert.deepEqual([...runs.entries()].sort(), planned.map((sha) => [sha, 1]).sort())
  }
  // Commit 5 was measured interleaved with commit 1 (3 does not build: passed over), whose run
  // of purpose reference it names; commit 1, the first of the history, was measured alone.
  const everything = (await store.listRuns({ limit: 1000 })).rows
  const listing = everything
    .map((r) => `${r.machine} ${r.suite} ${String(r.metadata.purpose)} ${r.build.commitSha}`)
    .join('\n')
  const rounds = everything.filter((r) => r.metadata.purpose === 'pair-round')
  assert.equal(everything.length - rounds.length, 8, listing)
  // The pair grew one round on each machine: a run of each build, naming what it extends.
  assert.equal(rounds.length, 4, listing)
  const all = everything.filter((r) => r.metadata.purpose === 'nightly')
  for (const machine of ['farm-a', 'farm-b']) {
    const five = all.find((r) => r.machine === machine && r.build.commitSha === repo.shas[5])
    const ref = everything.find((r) => r.id === five?.metadata.reference_run_id)
    assert.equal(ref?.metadata.purpose, 'reference')
    assert.equal(ref?.machine, machine)
    assert.equal(ref?.build.commitSha, repo.shas[1])
    assert.equal(ref?.metadata.reference_for, repo.shas[5])
    assert.equal(ref?.metadata.pair_group, five?.metadata.pair_group)
    assert.equal(five?.metadata.reference_commit, repo.shas[1])
    const one = all.find((r) => r.machine === machine && r.build.commitSha === repo.shas[1])
    assert.equal(one?.metadata.reference_run_id, undefined)
    assert.equal(five?.metadata.pair_budget, 2)
    const mine = rounds.filter((r) => r.machine === machine)
    assert.deepEqual(
      mine.map((r) => [r.build.commitSha, r.metadata.pair_round, r.metadata.pair_budget]).sort(),
      [
        [repo.shas[1], 2, 2],
        [repo.shas[5], 2, 2],
      ].sort(),
    )
    const side = (sha: string | undefined) => mine.find((r) => r.build.commitSha === sha)?.metadata
    assert.equal(side(repo.shas[1])?.extends_run_id, ref?.id)
    assert.equal(side(repo.shas[5])?.extends_candidate_of, ref?.id)
  }
  for (const r of all) {
    const broken = r.build.commitSha === repo.shas[3]
    assert.equal(r.metadata.build_status, broken ? 'failed' : 'ok')
    const results = await made.store.getResults(r.id)
    assert.deepEqual(
      results.map((x) => (x.outcome.state === 'failed' ? x.outcome.reason : x.outcome.state)),
      broken ? ['build-failed', 'build-failed'] : ['measured', 'measured'],
    )
    assert.equal(r.metadata.purpose, 'nightly')
    assert.equal(r.build.branch, 'main')
    assert.equal(r.build.identity, `toy:${r.build.commitSha}:default`)
    assert.equal(
      jobs.find((j) => j.machine === r.machine && j.sha === r.build.commitSha)?.jobId,
      r.metadata.farm_job,
    )
  }
  const detections = report.detections as { machine: string; state: string }[]
  assert.deepEqual(
    detections.map((d) => [d.machine, d.state]),
    [
      ['farm-a', 'done'],
      ['farm-b', 'done'],
    ],
  )
  const listed = (await createApiClient(server.baseUrl).listAgents()).items
  assert.deepEqual(
    listed.map((a) => [a.machine, a.jobsDone, a.jobsFailed, a.queue.waiting, a.queue.active]),
    [
      ['farm-a', 3, 0, 0, 0],
      ['farm-b', 3, 0, 0, 0],
    ],
  )
  assert.ok(listed.every((a) => a.lastResultAt !== null))

  // The same nightly again: everything planned is measured, nothing is enqueued or stored.
  const again = await nightly('--backfill', '5', '--every', '2')
  assert.equal(again.code, 0, again.err)
  assert.deepEqual(JSON.parse(again.out).jobs, [])
  assert.equal((await store.listRuns({ limit: 1000 })).total, 12)

  // A new commit on the branch: one build job per machine, one run each.
  const newSha = commitTo(repo.origin, 'Bump the version to 0.6', '2024-01-01T00:06:00Z')
  const third = await nightly()
  assert.equal(third.code, 0, third.err)
  const thirdJobs = JSON.parse(third.out).jobs as { machine: string; sha: string; added: boolean }[]
  assert.deepEqual(
    thirdJobs.map((j) => [j.machine, j.sha, j.added]),
    [
      ['farm-a', newSha, true],
      ['farm-b', newSha, true],
    ],
  )
  for (const machine of ['farm-a', 'farm-b']) {
    assert.equal((await runsByCommit(store, machine)).get(newSha), 1)
  }
  // Each new run beside commit 5 (and its pair's round), at the loop counts of 5's stored run on
  // that machine.
  assert.equal((await store.listRuns({ limit: 1000 })).total, 20)
  for (const machine of ['farm-a', 'farm-b']) {
    const runs = (await made.store.listRuns({ machine, limit: 1000 })).rows
    const fresh = runs.find((r) => r.build.commitSha === newSha && r.metadata.purpose === 'nightly')
    const ref = runs.find((r) => r.id === fresh?.metadata.reference_run_id)
    assert.equal(ref?.build.commitSha, repo.shas[5])
    const loops = async (id: number) =>
      (await made.store.getResults(id)).map((x) => [x.workload.name, x.loops])
    const five = runs.find((r) => r.build.commitSha === repo.shas[5] && r.metadata.purpose === 'nightly')
    assert.deepEqual(await loops(ref?.id ?? 0), await loops(five?.id ?? 0))
    assert.deepEqual(await loops(fresh?.id ?? 0), await loops(five?.id ?? 0))
  }
  const totalS = (performance.now() - t0) / 1000
  const nightlyS = (Date.parse(report.finishedAt) - Date.parse(report.startedAt)) / 1000
  for (const a of agents) a.kill('SIGTERM')
  assert.deepEqual(await Promise.all(agents.map((a) => a.exited)), [0, 0])
  server.kill('SIGTERM')
  assert.equal(await server.exited, 0)
  console.log(
    `# farm nightly: 3 commits × 2 machines built and measured in ${nightlyS.toFixed(1)} s (waiting ${(report.waited.ms / 1000).toFixed(1)} s for the jobs; ${firstS.toFixed(1)} s from the test's start, agents' start included); whole test ${totalS.toFixed(1)} s`,
  )
})
/** The commit that slows the toy (a Python call hook) in the bisection test, of 25. */
const SLOW = 13

test('a farm nightly bisects the alert it raised with jobs on the machine that saw it, and records the culprit', {
  skip: SKIP,
  timeout: 900_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'langperf-farm-bisect-'))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  // Commits 0–24; the nightly measures every third from the newest: 0, 3, … 24. The step is
  // between 12 and 15, and the bisection finds 13 among 13, 14 and 15. The hook slows calls and
  // generator resumptions: calls_closures and generators are measured.
  const repo = makeToyRepo(dir, {
    dir: 'toy',
    total: 25,
    broken: null,
    slow: SLOW,
    slowMain: (version) => pythonHookMain(version, 10),
    slowSubject: 'Initialise with PyConfig and install a call hook',
  })
  const configPath = writeFarmConfig(
    dir,
    `
[bisect]
max_builds = 6
repeats = 3
`,
  )
  const pgUrl = url as string
  const schema = schemas.next()
  farmSchemas.push(`${schema}_farm`)
  const made = await createTokens(pgUrl, schema, { a: ['agent', ['farm-a']] })
  const mine = made.store
  cleanups.push(() => mine.close())
  const server = await startFarmServer(pgUrl, { schema, lockMs: 15_000 })
  processes.push(server)
  const agent = startFarmAgent(server.baseUrl, made.secrets.a ?? '', 'farm-a', [
    '--cache-dir',
    join(dir, 'cache-a'),
  ])
  processes.push(agent)
  await agent.waitFor(/registered/)
  const nightly = () =>
    farmNightly(
      configPath,
      schema,
      '--backfill',
      '25',
      '--every',
      '3',
      ...SAMPLING.map((x) => (x === 'nbody' ? 'calls_closures' : x)),
      '--bisect-processes',
      '4',
    )
  const t0 = performance.now()
  const first = await nightly()
  const seconds = (performance.now() - t0) / 1000
  assert.equal(first.code, 0, `${first.err}\n${agent.lines.join('\n')}`)
  const report = JSON.parse(first.out)
  // The alert of the step, blamed on (12, 15], bisected to commit 13 on farm-a. With this test's
  // few processes a loaded machine can also fake a step elsewhere: such an alert may be raised,
  // but its bisection must not name a culprit (it cannot reproduce the change).
  const alerts = (await mine.listAlerts({ limit: 10 })).rows.filter((a) => a.kind === 'commit')
  const alert = alerts.find(
    (a) =>
      repo.shas.indexOf(a.lastGoodCommit) === SLOW - 1 && repo.shas.indexOf(a.firstBadCommit) === SLOW + 2,
  )
  assert.ok(
    alert !== undefined,
    `${alerts.map((a) => `${repo.shas.indexOf(a.lastGoodCommit)}..${repo.shas.indexOf(a.firstBadCommit)}`).join(', ')}\n${first.err}`,
  )
  assert.equal(alert.culpritCommit, repo.shas[SLOW], `${alert.culpritNote}\n${first.err}`)
  assert.match(alert.culpritNote ?? '', /against its parent/)
  const bisections = report.bisections as {
    machine: string
    alertId: number
    state: string
    culprit: string
  }[]
  assert.deepEqual(
    bisections.filter((b) => b.alertId === alert.id).map((b) => [b.machine, b.state, b.culprit]),
    [['farm-a', 'culprit', repo.shas[SLOW]]],
  )
  for (const other of alerts.filter((a) => a.id !== alert.id)) {
    assert.equal(other.culpritCommit, null, `a faked step blamed on a culprit: ${other.culpritNote}`)
    assert.ok(bisections.every((b) => b.alertId !== other.id || b.state !== 'culprit'))
  }
  // The bisection's measurements were farm jobs on farm-a: runs of suite bisect naming the alert
  // and their job, each commit of a job stored once.
  const bisectRuns = (await mine.listRuns({ suite: 'bisect', limit: 1000 })).rows
  assert.ok(bisectRuns.length >= 4, `midpoints and the confirmation: ${bisectRuns.length} runs`)
  const seen = new Set<string>()
  for (const r of bisectRuns) {
    assert.equal(r.machine, 'farm-a')
    assert.ok(
      alerts.some((a) => a.id === r.metadata.alert_id),
      `run ${r.id} names an alert`,
    )
    assert.equal(r.metadata.purpose, 'bisect')
    const id = `${String(r.metadata.farm_job)} ${r.build.commitSha}`
    assert.ok(!seen.has(id), `stored once: ${id}`)
    seen.add(id)
  }
  assert.ok(
    bisectRuns.some(
      (r) => r.build.commitSha === repo.shas[SLOW - 1] && r.metadata.bisect_phase === 'confirm',
    ),
  )
  const listed = (await createApiClient(server.baseUrl).listAgents()).items
  assert.deepEqual(
    listed.map((a) => [a.machine, a.jobsFailed, a.queue.waiting, a.queue.active]),
    [['farm-a', 0, 0, 0]],
  )

  // The next nightly: nothing new to measure, the bisection done before, no job enqueued.
  const total = (await mine.listRuns({ limit: 1000 })).total
  const again = await nightly()
  assert.equal(again.code, 0, again.err)
  const againReport = JSON.parse(again.out)
  assert.deepEqual(againReport.jobs, [])
  assert.equal((await mine.listRuns({ limit: 1000 })).total, total)
  assert.equal((await mine.getAlert(alert.id))?.culpritCommit, repo.shas[SLOW])
  agent.kill('SIGTERM')
  assert.equal(await agent.exited, 0)
  server.kill('SIGTERM')
  assert.equal(await server.exited, 0)
  console.log(
    `# farm bisection: 9 commits measured, the step detected and bisected to its commit with ${seen.size} runs of ${new Set(bisectRuns.map((r) => r.metadata.farm_job)).size} jobs on farm-a in ${seconds.toFixed(1)} s`,
  )
})
