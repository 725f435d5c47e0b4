import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createRng } from '../lib/index.ts'
import type { RunSpec, WorkloadResult } from '../model/index.ts'
import { busyCpuWarning } from '../model/index.ts'
import { median } from '../stats/index.ts'
import {
  exampleBuild,
  exampleCommitChange,
  exampleEnvironment,
  exampleRunSpec,
  openSqliteStore,
  type RunRow,
  type Store,
} from '../store/index.ts'
import { DEFAULT_BETWEEN_RUN_SIGMA, learnAcrossRuns } from './between-runs.ts'
import { compareRuns } from './compare.ts'
import { alertRunCaveats, loadsDiffer, separateRunCaveats } from './run-caveats.ts'

// Runs of one build whose means move from run to run by a few percent while each run's own
// processes agree to 0.1 %: the situation of a shared machine, where a comparison of two
// separate runs with only the within-run interval calls differences that are not there.

const rng = createRng(20261206)

function result(
  name: string,
  meanS: number,
  options: { loops?: number; processes?: number } = {},
): WorkloadResult {
  return {
    workload: { name, version: 'v1' },
    unit: 'second',
    loops: options.loops ?? 4,
    innerLoops: 1,
    processes: Array.from({ length: options.processes ?? 10 }, () => ({
      warmups: [],
      values: [0, 1, 2].map(() => meanS * (1 + 0.001 * (rng() - 0.5))),
      metadata: {},
    })),
    outcome: { state: 'measured' },
    metadata: {},
  }
}

const BUILD_A = exampleBuild('a'.repeat(40))
const BUILD_B = exampleBuild('b'.repeat(40))

async function store(
  runs: readonly { spec?: Partial<RunSpec>; results: WorkloadResult[] }[],
): Promise<{ store: Store; ids: number[] }> {
  const s = await openSqliteStore(':memory:')
  const ids = await s.insertRuns(
    runs.map((r, i) => ({
      run: exampleRunSpec({ startedAt: `2024-10-0${i + 1}T10:00:00.000Z`, build: BUILD_A, ...r.spec }),
      status: 'complete' as const,
      finishedAt: null,
      results: r.results,
    })),
  )
  return { store: s, ids }
}

test('two runs measured together (one group) are compared on their own processes', async () => {
  const { store: s, ids } = await store([
    { spec: { groupId: 'g1' }, results: [result('nbody', 0.1)] },
    { spec: { groupId: 'g1', build: BUILD_B }, results: [result('nbody', 0.102)] },
  ])
  const report = await compareRuns(s, ids[0]!, ids[1]!)
  assert.equal(report.acrossRuns.interleaved, true)
  assert.equal(report.rows[0]?.betweenRuns, null)
  const c = report.rows[0]!.comparison
  assert.ok(c.kind === 'comparison' && c.verdict === 'slower', JSON.stringify(c))
  await s.close()
})

test('two separate runs without repeats use the stated default between-run noise, and say so', async () => {
  const { store: s, ids } = await store([
    { results: [result('nbody', 0.1), result('go', 0.2)] },
    { spec: { build: BUILD_B }, results: [result('nbody', 0.102), result('go', 0.22)] },
  ])
  const report = await compareRuns(s, ids[0]!, ids[1]!)
  assert.equal(report.acrossRuns.interleaved, false)
  assert.equal(report.acrossRuns.suite?.source, 'default')
  const byName = new Map(report.rows.map((r) => [r.workload, r]))
  const nbody = byName.get('nbody')!
  assert.equal(nbody.betweenRuns?.source, 'default')
  assert.equal(nbody.betweenRuns?.sigma, DEFAULT_BETWEEN_RUN_SIGMA)
  // 2 % between runs that the processes alone (0.1 % apart) would call: the interval now holds 1.
  assert.ok(nbody.comparison.kind === 'comparison')
  assert.equal(nbody.comparison.verdict, 'no-difference')
  assert.ok(nbody.comparison.low < 1 && nbody.comparison.high > 1.02)
  // A real 10 % difference is still called.
  const go = byName.get('go')!
  assert.ok(go.comparison.kind === 'comparison')
  assert.equal(go.comparison.verdict, 'slower')
  await s.close()
})

test('repeated runs of the compared build teach the between-run noise, and A/A of separate runs covers 1', async () => {
  // Six runs of one build whose means wander by about 4 % (run-to-run), each run precise.
  const levels = [1.0, 1.05, 0.97, 1.03, 0.95, 1.01]
  const { store: s, ids } = await store(levels.map((l) => ({ results: [result('nbody', 0.1 * l)] })))
  const across = await learnAcrossRuns(
    s,
    (await s.getRun(ids[0]!))!,
    (await s.getRun(ids[1]!))!,
    new Map([['nbody', { base: 'v1', candidate: 'v1' }]]),
  )
  const nbody = across.workloads.get('nbody')!
  assert.equal(nbody.source, 'learned')
  assert.equal(nbody.runs, 6)
  assert.equal(nbody.dof, 5)
  // The sample σ of the six log levels, less the (tiny) within-run part.
  const logs = levels.map(Math.log)
  const m = logs.reduce((a, b) => a + b, 0) / logs.length
  const sd = Math.sqrt(logs.reduce((a, x) => a + (x - m) ** 2, 0) / (logs.length - 1))
  assert.ok(Math.abs(nbody.sigma - sd) < 0.001, `${nbody.sigma} vs ${sd}`)
  // Every pair of these runs of one build is now "no difference".
  for (let i = 0; i + 1 < ids.length; i++) {
    const report = await compareRuns(s, ids[i]!, ids[i + 1]!)
    const c = report.rows[0]!.comparison
    assert.ok(c.kind === 'comparison' && c.low <= 1 && c.high >= 1, `${i}: ${JSON.stringify(c)}`)
    assert.equal(report.acrossRuns.suite?.source, 'learned')
  }
  await s.close()
})

/** A nightly line: one run per commit, `levels[i]` the i-th build's level for every workload. */
async function lineStore(levels: readonly number[], workloads: Record<string, number>) {
  const s = await openSqliteStore(':memory:')
  const day = (i: number) => new Date(Date.UTC(2024, 9, 1 + i, 10)).toISOString()
  const ids = await s.insertRuns(
    levels.map((l, i) => ({
      run: exampleRunSpec({
        startedAt: day(i),
        build: exampleBuild(i.toString(16).padStart(40, 'c'), { commitDateUtc: day(i) }),
      }),
      status: 'complete' as const,
      finishedAt: null,
      results: Object.entries(workloads).map(([name, mean]) => result(name, mean * l)),
    })),
  )
  return { store: s, ids }
}

test("a line's successive builds teach the between-run noise where the compared builds have no repeats", async () => {
  // Twelve nightly builds whose levels wander by about 0.5 % from run to run, each run precise to
  // 0.1 %: far less than the stated 2 %.
  const levels = [1.0, 1.004, 0.996, 1.006, 0.998, 1.002, 0.995, 1.005, 1.0, 0.997, 1.003, 1.001]
  const { store: s, ids } = await lineStore(levels, { nbody: 0.1, go: 0.2 })
  const last = ids.length - 1
  const report = await compareRuns(s, ids[last - 1]!, ids[last]!)
  const nbody = report.rows.find((r) => r.workload === 'nbody')!
  assert.equal(nbody.betweenRuns?.source, 'history')
  assert.equal(nbody.betweenRuns?.runs, 12)
  assert.equal(report.acrossRuns.suite?.source, 'history')
  // σ from the successive differences by their MAD, less the within part, halved.
  const logs = levels.map(Math.log)
  const d = logs.slice(1).map((y, i) => Math.abs(y - (logs[i] ?? 0)))
  const expected = (1.482602218505602 * median(d)) / Math.SQRT2
  assert.ok(
    Math.abs((nbody.betweenRuns?.sigma ?? 0) - expected) < 0.0005,
    `${nbody.betweenRuns?.sigma} vs ${expected}`,
  )
  assert.ok((nbody.betweenRuns?.sigma ?? 1) < DEFAULT_BETWEEN_RUN_SIGMA / 2)
  // A 5 % step at the newest build now reads "slower"; under the stated 2 % (± 5.5 % on a ratio)
  // it would not. (Twelve builds give the estimate 4 degrees of freedom: the interval is wide.)
  const stepped = await lineStore([...levels.slice(0, -1), 1.05], { nbody: 0.1, go: 0.2 })
  const n = stepped.ids.length - 1
  const after = await compareRuns(stepped.store, stepped.ids[n - 1]!, stepped.ids[n]!)
  assert.equal(after.geometricMeanVerdict, 'slower', JSON.stringify(after.geometricMean))
  const g = after.geometricMean
  assert.ok(g.kind === 'geometric-mean-ratio' && g.measurement.kind === 'interval')
  assert.ok(g.measurement.high / g.measurement.low < 1.08, JSON.stringify(g.measurement))
  await s.close()
  await stepped.store.close()
})

test('a line of fewer than nine builds keeps the stated default, and repeats of the compared builds come first', async () => {
  const { store: s, ids } = await lineStore([1.0, 1.004, 0.996, 1.006, 0.998, 1.002, 0.995, 1.005], {
    nbody: 0.1,
  })
  const report = await compareRuns(s, ids[6]!, ids[7]!)
  assert.equal(report.rows[0]?.betweenRuns?.source, 'default')
  assert.equal(report.acrossRuns.suite?.source, 'default')
  await s.close()
  // Repeats of both compared builds (three runs each) and a long line: the repeats are read.
  const levels = [1.0, 1.004, 0.996, 1.006, 0.998, 1.002, 0.995, 1.005, 1.0, 0.997, 1.003, 1.001]
  const line = await lineStore(levels, { nbody: 0.1 })
  const [a, b] = [line.ids.length - 2, line.ids.length - 1]
  const runA = (await line.store.getRun(line.ids[a]!))!
  const runB = (await line.store.getRun(line.ids[b]!))!
  for (const [i, run] of [runA, runB, runA, runB].entries()) {
    await line.store.insertRuns([
      {
        run: exampleRunSpec({
          startedAt: new Date(Date.UTC(2024, 11, 1 + i, 10)).toISOString(),
          build: exampleBuild(run.build.commitSha!, { commitDateUtc: run.build.commitDateUtc }),
        }),
        status: 'complete',
        finishedAt: null,
        results: [result('nbody', 0.1 * (i % 2 ? 1.02 : 0.98))],
      },
    ])
  }
  const repeated = await compareRuns(line.store, line.ids[a]!, line.ids[b]!)
  assert.equal(repeated.rows[0]?.betweenRuns?.source, 'learned')
  assert.equal(repeated.rows[0]?.betweenRuns?.runs, 6)
  await line.store.close()
})

test("the line's history read for a comparison is read again once the line has more builds", async () => {
  const { store: s, ids } = await lineStore([1.0, 1.004, 0.996, 1.006, 0.998, 1.002, 0.995, 1.005], {
    nbody: 0.1,
  })
  const first = await compareRuns(s, ids[6]!, ids[7]!)
  assert.equal(first.rows[0]?.betweenRuns?.source, 'default')
  // The same comparison again answers the same (the line's differences are kept)…
  assert.deepEqual((await compareRuns(s, ids[6]!, ids[7]!)).rows[0]?.betweenRuns, first.rows[0]?.betweenRuns)
  // …until the nightly stores four more builds of the line: nine differences now teach the noise.
  const day = (i: number) => new Date(Date.UTC(2024, 9, 1 + i, 10)).toISOString()
  for (const [i, level] of [1.0, 0.997, 1.003, 1.001].entries())
    await s.insertRuns([
      {
        run: exampleRunSpec({
          startedAt: day(8 + i),
          build: exampleBuild((8 + i).toString(16).padStart(40, 'c'), { commitDateUtc: day(8 + i) }),
        }),
        status: 'complete',
        finishedAt: null,
        results: [result('nbody', 0.1 * level)],
      },
    ])
  const later = await compareRuns(s, ids[6]!, ids[7]!)
  assert.equal(later.rows[0]?.betweenRuns?.source, 'history')
  assert.equal(later.rows[0]?.betweenRuns?.runs, 12)
  await s.close()
})

test('separate runs with different loop counts or a loaded machine carry caveats naming the facts', async () => {
  const loaded = exampleEnvironment()
  const busy = { ...loaded, tuning: { ...loaded.tuning, loadAverage1m: 9.5 } }
  const { store: s, ids } = await store([
    { results: [result('nbody', 0.1, { loops: 2 }), result('go', 0.2)] },
    {
      spec: { build: BUILD_B, environment: busy },
      results: [result('nbody', 0.1, { loops: 4 }), result('go', 0.2)],
    },
  ])
  const report = await compareRuns(s, ids[0]!, ids[1]!)
  const loops = report.caveats.find((c) => c.field === 'loops')
  assert.deepEqual([loops?.base, loops?.candidate], ['nbody 2', 'nbody 4'])
  const load = report.caveats.find((c) => c.field === 'load')
  assert.equal(load?.candidate, '9.50')
  assert.match(load?.note ?? '', /on \d+ CPUs/)
  await s.close()
})

test('loadsDiffer() flags a load above the CPU count or a very different one', () => {
  assert.equal(loadsDiffer({ load: 0.3, cpus: 2 }, { load: 0.5, cpus: 2 }), false)
  assert.equal(loadsDiffer({ load: 0.3, cpus: 2 }, { load: 2.5, cpus: 2 }), true)
  assert.equal(loadsDiffer({ load: 0.3, cpus: 8 }, { load: 5, cpus: 8 }), true)
  assert.equal(loadsDiffer({ load: 3, cpus: 8 }, { load: 5, cpus: 8 }), false)
  assert.equal(loadsDiffer({ load: 30, cpus: null }, { load: 0, cpus: null }), false)
})

test('a run whose pinned CPU other work took says so, and a comparison with it carries the caveat', () => {
  assert.equal(busyCpuWarning({ cpu_list: '1', pinned_cpus_other_share: 0.05 }), null, 'below 10 %')
  assert.equal(busyCpuWarning({ cpu_list: '1' }), null, 'not measured (unpinned, or no /proc/stat)')
  const warning = busyCpuWarning({ cpu_list: '1', pinned_cpus_other_share: 0.5, pinned_cpus_other_s: 12.6 })
  assert.match(
    warning ?? '',
    /other work took 50 % of CPU 1, where the workers were pinned, during this run \(12\.6 CPU s\): a value measured while it ran may be up to ×2\.0 slow/,
  )
  assert.match(busyCpuWarning({ cpu_list: '1', pinned_cpus_other_share: 0.97 }) ?? '', /many times slow/)
  const run = (id: number, share?: number) =>
    ({
      id,
      groupId: null,
      environment: null,
      metadata: share === undefined ? {} : { pinned_cpus_other_share: share },
    }) as unknown as RunRow
  const caveats = separateRunCaveats(run(1, 0.02), run(2, 0.4), [])
  assert.deepEqual(
    caveats.map((c) => [c.field, c.base, c.candidate]),
    [['pinned CPU busy', '2 %', '40 %']],
  )
  assert.deepEqual(separateRunCaveats(run(1, 0.02), run(2), []), [])
})

test("an alert's caveats name each run at either end of its blame measured on a busy pinned CPU", async () => {
  const store = await openSqliteStore(':memory:')
  try {
    const sha = (n: number) => `${n}`.padStart(4, '0') + 'ef'.repeat(18)
    const ends: { buildId: number; resultId: number; commitSha: string }[] = []
    for (const [n, share] of [
      [1, 0.02],
      [2, 0.51],
    ] as const) {
      const [runId] = await store.insertRuns([
        {
          run: exampleRunSpec({
            build: exampleBuild(sha(n), { identity: `cpython:pgo-lto:${sha(n)}` }),
            startedAt: `2024-10-0${n}T10:00:00.000Z`,
            metadata: { cpu_list: '1', pinned_cpus_other_share: share },
          }),
          status: 'complete',
          finishedAt: `2024-10-0${n}T10:30:00.000Z`,
          results: [result('w', 0.01)],
        },
      ])
      const run = (await store.getRun(runId!))!
      const [r] = await store.getResults(runId!)
      ends.push({ buildId: run.build.id, resultId: r!.id, commitSha: sha(n) })
    }
    const out = await store.applyDetection({
      changes: [
        exampleCommitChange(
          {
            machine: 'bench-1',
            runtime: 'cpython',
            config: 'pgo-lto',
            branch: 'main',
            workload: 'w',
            workloadVersion: 'v1',
          },
          { lastGood: ends[0]!, firstBad: ends[1]! },
          1.9,
        ),
      ],
      withdrawn: [],
      at: '2024-10-03T00:00:00.000Z',
    })
    const alert = (await store.getAlert(out.newAlertIds[0]!))!
    const caveats = await alertRunCaveats(store, alert)
    assert.equal(caveats.length, 1, 'the quiet last good run says nothing')
    assert.match(
      caveats[0]!,
      /^the first bad build's run 2 on bench-1: other work took 51 % of CPU 1, where its workers were pinned, so its values may be up to ×2\.0 slow/,
    )
  } finally {
    await store.close()
  }
})
