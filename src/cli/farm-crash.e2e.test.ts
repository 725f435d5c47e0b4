import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { createApiClient, exampleRunDocument } from '../api/index.ts'
import { exampleFarmJob, NO_PG_REASON, schemaPool, TEST_PG_URL } from '../farm/index.ts'
import { STORE_DELAY_ENV } from '../server/index.ts'
import { openPostgresStore } from '../store/index.ts'
import {
  createTokens,
  type LangperfProcess,
  startFarmAgent,
  startFarmServer,
  startLangperf,
} from './farm-processes.ts'

// The server killed with SIGKILL in the middle of uploads, every party a process of its own:
// PostgreSQL, `langperf serve --farm`, an agent completing a job and four `langperf upload`
// processes sending five files each, one after the other. The server runs with the crash seam of
// server/test-hooks.ts (it waits before storing a result and again before answering), and is
// killed just after it stored the agent's result and before it answered: that result is stored
// and not acknowledged, and uploads are in flight on either side of their store. A new server on
// the same database and port takes over; the clients send again. Every upload a client saw
// acknowledged is stored, every result is stored exactly once, and the agent's second completion
// finds its result stored before.

const url = TEST_PG_URL
const processes: LangperfProcess[] = []
const schemas = schemaPool('langperf_farm_crash')
const tmp = mkdtempSync(join(tmpdir(), 'langperf-farm-crash-'))

after(async () => {
  for (const p of processes) p.kill('SIGKILL')
  await Promise.all(processes.map((p) => p.exited))
  if (url === undefined) return
  await schemas.dropAll(url)
})

const SKIP =
  url === undefined
    ? NO_PG_REASON
    : spawnSync('python3', ['--version']).status !== 0
      ? 'no python3 on PATH: the agent measures with it'
      : false

/** The seam's wait before and after a store: the window in which the kill lands. */
const DELAY_MS = 2500
const UPLOADERS = 4
const FILES_EACH = 5

test('a server killed with SIGKILL mid-upload and restarted loses no acknowledged result and stores each once', {
  skip: SKIP,
  timeout: 240_000,
}, async () => {
  const pgUrl = url as string
  const schema = schemas.next()
  const made = await createTokens(pgUrl, schema, { admin: ['admin', []], d: ['agent', ['farm-d']] })
  await made.store.close()
  const { secrets } = made
  const lockMs = 20_000
  const first = await startFarmServer(pgUrl, { schema, lockMs, env: { [STORE_DELAY_ENV]: String(DELAY_MS) } })
  processes.push(first)
  const port = Number(new URL(first.baseUrl).port)
  const admin = createApiClient(first.baseUrl, { token: secrets.admin ?? '' })
  const job = exampleFarmJob('farm-d', 'e2e-crash', { processes: 2, values: 2, warmups: 0, minTimeS: 0.01 })
  const [enqueued] = (await admin.enqueueJobs({ body: { jobs: [job] } })).jobs
  // Each file a distinct run (its commit names it); each uploader sends its files in turn.
  const shaOf = (u: number, f: number) => `c0ffee${u}${f}`
  const uploaders: { files: string[]; p: LangperfProcess }[] = []
  for (let u = 0; u < UPLOADERS; u++) {
    const files: string[] = []
    for (let f = 0; f < FILES_EACH; f++) {
      const file = join(tmp, `run-${u}-${f}.json`)
      writeFileSync(file, JSON.stringify(exampleRunDocument({ machine: 'ci-crash', commitSha: shaOf(u, f) })))
      files.push(file)
    }
    const p = startLangperf(['upload', '--server', first.baseUrl, '--tries', '10', ...files], {
      LANGPERF_TOKEN: secrets.admin ?? '',
    })
    processes.push(p)
    uploaders.push({ files, p })
    await sleep(DELAY_MS / UPLOADERS)
  }

  // The agent starts once an upload was acknowledged: the kill comes after some acknowledgements.
  const acks = () => uploaders.reduce((n, u) => n + u.p.out.filter((l) => /stored as run/.test(l)).length, 0)
  while (acks() === 0) await sleep(100)
  const agent = startFarmAgent(first.baseUrl, secrets.d ?? '', 'farm-d')
  processes.push(agent)
  await agent.waitFor(new RegExp(`job ${enqueued?.id} .*attempt 1`))

  // Killed once the agent's result is stored and before its answer (the seam's second wait).
  const storedJob = await first.waitFor(
    new RegExp(`test hook: job ${enqueued?.id} stored as run (\\d+)`),
    120_000,
  )
  first.kill('SIGKILL')
  assert.equal(await first.exited, 'SIGKILL')
  const ackedBeforeKill = acks()
  assert.ok(ackedBeforeKill >= 1)
  const storedUploads = first.lines.filter((l) => /test hook: upload .* stored as run/.test(l)).length
  await sleep(1000)
  const second = await startFarmServer(pgUrl, { schema, lockMs, port })
  processes.push(second)

  // Every client ends acknowledged: the uploaders exit 0, the agent completes its job.
  for (const u of uploaders) assert.equal(await u.p.exited, 0, [...u.p.out, ...u.p.lines].join('\n'))
  const done = await agent.waitFor(new RegExp(`job ${enqueued?.id} completed, run (\\d+)(.*)$`), 60_000)
  assert.equal(done[1], storedJob[1], 'the completion answers the run stored before the kill')
  assert.equal(done[2], ' (stored before)', 'the result stored before the kill is not stored again')

  const acked = new Map<string, number>()
  for (const u of uploaders) {
    for (const line of u.p.out) {
      const m = /^(\S+): (?:already )?stored as run (\d+)/.exec(line)
      if (m !== null) acked.set(m[1] ?? '', Number(m[2]))
    }
  }
  assert.equal(acked.size, UPLOADERS * FILES_EACH, 'every file acknowledged')

  const readBack = await openPostgresStore(pgUrl, { schema, maxConnections: 2 })
  try {
    const runs = (await readBack.listRuns({ limit: 100 })).rows
    assert.equal(runs.length, UPLOADERS * FILES_EACH + 1, 'one run per file and one for the job')
    for (let u = 0; u < UPLOADERS; u++) {
      for (let f = 0; f < FILES_EACH; f++) {
        const stored = runs.filter((r) => r.build.commitSha === shaOf(u, f))
        assert.equal(stored.length, 1, `file ${u}-${f} stored once`)
        assert.equal(
          acked.get(uploaders[u]?.files[f] ?? ''),
          stored[0]?.id,
          `file ${u}-${f}: the run acknowledged`,
        )
      }
    }
    const jobRuns = runs.filter((r) => r.machine === 'farm-d')
    assert.deepEqual(
      jobRuns.map((r) => [r.id, r.metadata.farm_job]),
      [[Number(storedJob[1]), enqueued?.id]],
    )
  } finally {
    await readBack.close()
  }
  const depth = (await createApiClient(second.baseUrl).listAgents()).items[0]?.queue
  assert.deepEqual(depth, { waiting: 0, active: 0, delayed: 0, failed: 0 })
  const resent = uploaders.reduce(
    (n, u) => n + u.p.lines.filter((l) => /failed .*sending again/.test(l)).length,
    0,
  )
  const storedBefore = uploaders.reduce(
    (n, u) => n + u.p.out.filter((l) => /already stored/.test(l)).length,
    0,
  )
  console.log(
    `# at the kill: ${ackedBeforeKill} uploads acknowledged, ${storedUploads} stored; after: ${resent} sends retried, ${storedBefore} answered "already stored"`,
  )
  agent.kill('SIGTERM')
  assert.equal(await agent.exited, 0)
  second.kill('SIGTERM')
  assert.equal(await second.exited, 0)
})
