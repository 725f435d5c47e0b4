import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import BetterSqlite3 from 'better-sqlite3'
import { LangperfError } from '../../lib/index.ts'
import { storeContract } from '../contract.ts'
import { exampleSeriesKey, failedResult } from '../contract-helpers.ts'
import { exampleResult, exampleRunSpec, exampleRunWithResults } from '../fixtures.ts'
import { migrations } from '../migrations/index.ts'
import { openStore } from '../open.ts'
import { openSqliteStore } from './index.ts'

const dir = mkdtempSync(join(tmpdir(), 'langperf-store-'))
after(() => rmSync(dir, { recursive: true, force: true }))
let files = 0
/** A path for a new database file in the test's temporary directory. */
const newPath = () => join(dir, `store-${++files}.db`)

/** What migrations 0012 and 0013 did, undone: 0012's covering index back to 0001's index it replaced, 0013's index dropped. */
const UNDO_0012 =
  'drop index results_series_idx; create index results_workload_run_idx on results (workload_id, run_id); drop index runs_machine_build_idx;'

storeContract('SQLite file', () => openSqliteStore(newPath()))
storeContract('SQLite :memory:', () => openSqliteStore(':memory:'))

describe('openSqliteStore()', () => {
  test('opens a file in WAL mode with foreign keys on and the schema migrated', async () => {
    const path = newPath()
    const store = await openSqliteStore(path)
    assert.equal(store.dialect, 'sqlite')
    await store.close()
    const raw = new BetterSqlite3(path, { readonly: true })
    try {
      assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal')
      const names = raw.prepare('select name from kysely_migration order by name').pluck().all()
      assert.deepEqual(names, Object.keys(migrations('sqlite')).sort())
      const tables = raw
        .prepare("select name from sqlite_master where type = 'table' order by name")
        .pluck()
        .all()
      for (const t of [
        'builds',
        'machine_fingerprints',
        'machines',
        'result_samples',
        'results',
        'runs',
        'runtimes',
        'workloads',
      ]) {
        assert.ok(tables.includes(t), `table ${t} exists`)
      }
      // A series' points are read from the covering index alone (0012), not one row at a time.
      const plan = raw
        .prepare(
          `explain query plan select r.id, r.state, r.unit, r.n_processes, r.n_values, r.mean,
           r.stdev_process_means, r.min, r.max, r.median from results r
           where r.workload_id = 1 and r.run_id in (select id from runs where machine_id = 1)
           and r.state in ('measured', 'failed')`,
        )
        .all() as { detail: string }[]
      assert.ok(
        plan.some((p) => /COVERING INDEX results_series_idx/.test(p.detail)),
        JSON.stringify(plan),
      )
      // A group's runs on a machine are found by build (0013), not by reading each of the machine's runs.
      const runsPlan = raw
        .prepare('explain query plan select id from runs where machine_id = 1 and build_id in (1, 2, 3)')
        .all() as { detail: string }[]
      assert.ok(
        runsPlan.some((p) => /COVERING INDEX runs_machine_build_idx/.test(p.detail)),
        JSON.stringify(runsPlan),
      )
    } finally {
      raw.close()
    }
  })

  test('openStore() opens SQLite for a file path or ":memory:"', async () => {
    for (const location of [newPath(), ':memory:']) {
      const store = await openStore(location)
      assert.equal(store.dialect, 'sqlite')
      await store.close()
    }
  })

  test('a page cache given in MB is set on the connection and primed with what a series visit reads', async () => {
    const path = newPath()
    const writer = await openSqliteStore(path)
    await writer.insertRuns([exampleRunWithResults({}, { workloads: ['nbody', 'go'] })])
    assert.deepEqual(await writer.primeReads(), {
      primed: false,
      note: 'not primed: the store was opened with the default page cache',
    })
    await writer.close()
    const server = await openStore(path, { cacheMb: 64 })
    const primed = await server.primeReads()
    assert.equal(primed.primed, true)
    assert.match(
      primed.note,
      /^runs, builds and the series index \(about 0 MB, 2 workloads\) read into the page cache in [\d.]+ s$/,
    )
    // The series it primed reads the same afterwards.
    assert.equal((await server.getSeriesPoints(exampleSeriesKey('nbody'))).length, 1)
    await server.close()
    const raw = new BetterSqlite3(path)
    try {
      // The pragma is per connection: a plain open keeps the driver's default.
      const fresh = new BetterSqlite3(':memory:')
      assert.equal(raw.pragma('cache_size', { simple: true }), fresh.pragma('cache_size', { simple: true }))
      assert.notEqual(raw.pragma('cache_size', { simple: true }), -64 * 1024)
      fresh.close()
    } finally {
      raw.close()
    }
    for (const bad of [0, 1, 1.5, 70_000, Number.NaN]) {
      await assert.rejects(openSqliteStore(path, { cacheMb: bad }), (e: unknown) => {
        assert.ok(e instanceof LangperfError && e.code === 'bad-input')
        assert.match(e.message, /expected a whole number from 2 to 65536/)
        return true
      })
    }
  })

  test('reopening a file keeps its data and applies no migration twice', async () => {
    const path = newPath()
    const first = await openSqliteStore(path)
    const [runId] = await first.insertRuns([exampleRunWithResults()])
    await first.close()
    const second = await openSqliteStore(path)
    try {
      assert.equal((await second.getRun(runId!))?.resultCount, 3)
    } finally {
      await second.close()
    }
  })

  test('migration 0008 fills the series index from the results already stored', async () => {
    const path = newPath()
    const first = await openSqliteStore(path)
    await first.insertRuns([
      exampleRunWithResults(),
      exampleRunWithResults({ startedAt: '2024-10-02T10:00:00Z' }, { workloads: ['nbody'] }),
      exampleRunWithResults(
        { build: { ...exampleRunSpec().build, branch: null, identity: 'local:1' } },
        { workloads: ['nbody'] },
      ),
    ])
    const { runId } = await first.beginRun(exampleRunSpec({ startedAt: '2024-10-03T10:00:00Z' }))
    await first.addResult(runId, failedResult())
    const kept = await first.listSeries()
    await first.close()
    // As a store made before 0008 would be: every migration from 0008 on undone (Kysely applies
    // migrations in name order only, so the later ones go too; a new one with tables adds them here).
    const raw = new BetterSqlite3(path)
    raw.exec(
      `drop table series; drop table generations; drop table farm_results; drop table farm_agents;
       drop table alert_profiles; drop table machine_alerts; ${UNDO_0012}
       delete from kysely_migration where name >= '0008'`,
    )
    raw.close()
    const second = await openSqliteStore(path)
    try {
      assert.deepEqual(await second.listSeries(), kept)
      assert.ok(kept.some((s) => s.branch === null) && kept.some((s) => s.points === 0))
    } finally {
      await second.close()
    }
  })

  test('migration 0010 keeps the journal of a store made before it and lets it hold profile steps', async () => {
    const path = newPath()
    const first = await openSqliteStore(path)
    await first.startPipelineStep({ kind: 'bisect', key: 'bisect:bench-1:7', at: '2024-10-01T02:00:00.000Z' })
    await first.finishPipelineStep('bisect:bench-1:7', {
      status: 'done',
      at: '2024-10-01T02:30:00.000Z',
      detail: { culprit: 'abc' },
    })
    const kept = await first.listPipelineSteps()
    await first.close()
    // As a store made before 0010: its table of profile pairs gone (and 0011's machine alerts: Kysely
    // applies migrations in name order), its journal with 0004's check.
    const raw = new BetterSqlite3(path)
    raw.exec(
      `drop table alert_profiles; drop table machine_alerts; ${UNDO_0012}
       delete from kysely_migration where name >= '0010';
       create table steps_0004 (id integer primary key autoincrement, kind text not null, key text not null,
         status text not null, detail text not null, attempts integer not null, started_at text not null,
         finished_at text, constraint pipeline_steps_key_unique unique (key),
         constraint pipeline_steps_kind_check check (kind in ('build', 'measure', 'detect', 'notify', 'bisect')));
       insert into steps_0004 select * from pipeline_steps; drop table pipeline_steps;
       alter table steps_0004 rename to pipeline_steps;
       create index pipeline_steps_started_idx on pipeline_steps (started_at, id)`,
    )
    assert.throws(() =>
      raw
        .prepare(
          "insert into pipeline_steps (kind, key, status, detail, attempts, started_at) values ('profile', 'p', 'done', '{}', 1, 'x')",
        )
        .run(),
    )
    raw.close()
    const second = await openSqliteStore(path)
    try {
      assert.deepEqual(await second.listPipelineSteps(), kept)
      const claim = await second.startPipelineStep({
        kind: 'profile',
        key: 'profile:bench-1:7:abc',
        at: '2024-10-01T02:31:00.000Z',
      })
      assert.equal(claim.outcome, 'started')
      assert.ok(claim.step.id > kept.rows[0]!.id, 'ids are not reused')
    } finally {
      await second.close()
    }
  })

  test('migration 0014 keeps the changes of a store made before it as time changes beside new count changes', async () => {
    const path = newPath()
    const first = await openSqliteStore(path)
    const [runId] = await first.insertRuns([exampleRunWithResults()])
    const [result] = await first.getResults(runId!)
    const build = (await first.getRun(runId!))!.build.id
    const end = { buildId: build, resultId: result!.id, commitSha: null }
    const change = {
      kind: 'commit' as const,
      series: exampleSeriesKey(result!.workload.name),
      lastGood: end,
      firstBad: end,
      unit: 'second',
      ratio: 1.1,
      ratioLow: 1.05,
      ratioHigh: 1.15,
      pValue: 0.001,
      direction: 'regression' as const,
      status: 'confirmed' as const,
      details: {},
    }
    await first.applyDetection({ changes: [change], withdrawn: [], at: '2024-10-02T12:00:00.000Z' })
    await first.close()
    // As a store made before 0014: changes with 0003's columns and key.
    const raw = new BetterSqlite3(path)
    raw.exec(
      `create table changes_0003 as select id, alert_id, machine, runtime, config, branch, workload,
         workload_version, kind, last_good_build_id, first_bad_build_id, last_good_result_id,
         first_bad_result_id, ratio, ratio_low, ratio_high, p_value, direction, status, unit, details,
         created_at, updated_at from changes;
       drop table changes; alter table changes_0003 rename to changes;
       delete from kysely_migration where name >= '0014'`,
    )
    raw.close()
    const second = await openSqliteStore(path)
    try {
      const before = (await second.listChanges()).rows
      assert.deepEqual(
        before.map((c) => [c.measure, c.ratio]),
        [['time', 1.1]],
      )
      const out = await second.applyDetection({
        changes: [
          {
            ...change,
            measure: 'instructions',
            unit: 'instruction',
            ratio: 1.02,
            ratioLow: 1.02,
            ratioHigh: 1.02,
          },
        ],
        withdrawn: [],
        at: '2024-10-03T12:00:00.000Z',
      })
      assert.equal(out.newChangeIds.length, 1)
      assert.ok(out.newChangeIds[0]! > before[0]!.id, 'ids are not reused')
      assert.deepEqual(
        (await second.listChanges()).rows.map((c) => c.measure),
        ['time', 'instructions'],
      )
    } finally {
      await second.close()
    }
  })

  test('a read-only store reads and refuses every write with unavailable', async () => {
    const path = newPath()
    const writer = await openSqliteStore(path)
    const [runId] = await writer.insertRuns([exampleRunWithResults()])
    await writer.close()
    const reader = await openSqliteStore(path, { readonly: true })
    try {
      assert.equal((await reader.listRuns()).total, 1)
      assert.equal((await reader.getResults(runId!, { withSamples: true })).length, 3)
      await assert.rejects(reader.beginRun(exampleRunSpec()), isCode('unavailable', /read-only/))
      await assert.rejects(reader.insertRuns([]), isCode('unavailable', /read-only/))
      await assert.rejects(reader.markInterruptedRuns(), isCode('unavailable', /read-only/))
      // The series summaries are a cache its readers fill: on a read-only store it is not kept,
      // and the read that made one (the workloads index) does not fail.
      const [series] = await reader.listSeries()
      assert.ok(series)
      const [cached] = await reader.readSeriesSummaries([series])
      assert.ok(cached)
      assert.equal(await reader.writeSeriesSummary(series, cached.revision, { made: true }), false)
      assert.equal((await reader.readSeriesSummaries([series]))[0]?.summary ?? null, null)
    } finally {
      await reader.close()
    }
  })

  test('the runs state a reader keeps changes with what another connection or the reader itself commits', async () => {
    const path = newPath()
    const writer = await openSqliteStore(path)
    const reader = await openSqliteStore(path)
    try {
      const [first] = await writer.insertRuns([exampleRunWithResults({ startedAt: '2024-10-01T10:00:00Z' })])
      const s1 = await reader.runsState()
      assert.equal(await reader.runsState(), s1)
      // Another connection: a run added, then a result added to a running run, then a run finished.
      const { runId } = await writer.beginRun(exampleRunSpec({ startedAt: '2024-10-02T10:00:00Z' }))
      const s2 = await reader.runsState()
      assert.notEqual(s2, s1)
      await writer.addResult(runId, exampleResult('nbody'))
      const s3 = await reader.runsState()
      assert.notEqual(s3, s2)
      await writer.finishRun(runId, 'complete', '2024-10-02T11:00:00Z')
      const s4 = await reader.runsState()
      assert.notEqual(s4, s3)
      // Its own commits (it has no data_version change for them).
      await reader.insertRuns([exampleRunWithResults({ startedAt: '2024-10-03T10:00:00Z' })])
      assert.notEqual(await reader.runsState(), s4)
      assert.ok(first)
    } finally {
      await writer.close()
      await reader.close()
    }
  })

  test('a read-only open fails on a missing file, an unmigrated file and ":memory:"', async () => {
    await assert.rejects(
      openSqliteStore(join(dir, 'missing.db'), { readonly: true }),
      isCode('unavailable', /missing\.db/),
    )
    const bare = newPath()
    new BetterSqlite3(bare).close()
    await assert.rejects(
      openSqliteStore(bare, { readonly: true }),
      isCode('unavailable', /0001_initial.*pending/),
    )
    await assert.rejects(openSqliteStore(':memory:', { readonly: true }), isCode('bad-input', /:memory:/))
    await assert.rejects(openSqliteStore(''), isCode('bad-input', /file path/))
  })

  test('two processes writing to one file queue for the lock and lose no run', async () => {
    const path = newPath()
    // Create and migrate first, so the writers do not also race to migrate.
    await (await openSqliteStore(path)).close()
    await Promise.all([runWriter(path, ['batch', '20', 'a']), runWriter(path, ['batch', '20', 'b'])])
    const store = await openSqliteStore(path)
    try {
      assert.equal((await store.listRuns({ machine: 'writer-a' })).total, 20)
      assert.equal((await store.listRuns({ machine: 'writer-b' })).total, 20)
    } finally {
      await store.close()
    }
  })

  test('a process killed while writing results leaves each stored result whole with its samples', async () => {
    const path = newPath()
    // The child begins a run, adds results forever and reports each; it is killed mid-stream.
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, path, 'endless'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let reported = 0
    await new Promise<void>((resolve, reject) => {
      child.on('error', reject)
      child.on('exit', (code, signal) => {
        if (signal === 'SIGKILL') resolve()
        else reject(new Error(`crash writer exited with code ${code} before it was killed`))
      })
      child.stdout.setEncoding('utf8')
      child.stdout.on('data', (chunk: string) => {
        reported += chunk.split('\n').filter((l) => l.startsWith('result ')).length
        if (reported >= 5) child.kill('SIGKILL')
      })
    })
    const store = await openSqliteStore(path)
    try {
      const { rows } = await store.listRuns()
      assert.equal(rows.length, 1)
      const runId = rows[0]!.id
      assert.equal(rows[0]!.status, 'running')
      assert.equal(await store.markInterruptedRuns(), 1)
      assert.equal((await store.getRun(runId))?.status, 'interrupted')
      // getResults with samples throws 'internal' if any result lacks its samples row.
      const results = await store.getResults(runId, { withSamples: true })
      assert.ok(results.length >= reported, `${results.length} results stored, ${reported} reported`)
      for (const r of results) {
        assert.deepEqual(
          r.processes,
          exampleResult(r.workload.name, { processes: 20, valuesPerProcess: 4 }).processes,
        )
      }
    } finally {
      await store.close()
    }
  })
})

const WRITER = fileURLToPath(new URL('./writer.fixture.ts', import.meta.url))

/** Runs writer.fixture.ts to completion; rejects unless it exits with 0. */
function runWriter(path: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, path, ...args], { stdio: 'inherit' })
    child.on('error', reject)
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`writer ${args.join(' ')} exited with ${code}`)),
    )
  })
}

/** An assert.rejects validator for a LangperfError with `code` and a message matching `re`. */
function isCode(code: LangperfError['code'], re: RegExp): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof LangperfError, `expected a LangperfError, got ${String(error)}`)
    assert.equal(error.code, code, error.message)
    assert.match(error.message, re)
    return true
  }
}
