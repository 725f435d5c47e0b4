import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createRng } from '../lib/index.ts'
import type { RunWithResults, WorkloadResult } from '../model/index.ts'
import { openSqliteStore, type Store } from '../store/index.ts'
import { compareRuns, geometricMeanVerdict, slowdownsOver } from './compare.ts'
import { resolveRunSelector } from './select.ts'

// Synthetic runs with a known truth: workload "slow" is 10 % slower in the candidate, "same" is
// unchanged, "noisy" differs by 1 % under 20 % noise, "gone" exists only in the base.

function normal(rng: () => number): number {
  const u = Math.max(rng(), 1e-12)
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng())
}

// One seeded stream for all synthetic data, so every workload draws independent noise.
const rng = createRng(20241127)

function result(name: string, meanS: number, sd: number, version = 'v1'): WorkloadResult {
  return {
    workload: { name, version },
    unit: 'second',
    loops: 1,
    innerLoops: 1,
    processes: Array.from({ length: 20 }, () => ({
      warmups: [[1, meanS * 1.1] as const],
      values: [0, 1, 2].map(() => meanS * (1 + sd * normal(rng))),
      metadata: {},
    })),
    outcome: { state: 'measured' },
    metadata: {},
  }
}

function run(version: string, sha: string, results: WorkloadResult[]): RunWithResults {
  return {
    run: {
      machine: 'box',
      environment: null,
      build: {
        runtime: 'cpython',
        version,
        config: 'default',
        commitSha: sha,
        commitDateUtc: '2024-01-01T00:00:00.000Z',
        branch: 'main',
        mergeBase: null,
        identity: `cpython:${sha}:default`,
        interpreter: null,
        metadata: {},
      },
      suite: 'test',
      preset: 'default',
      harnessVersion: 'test',
      source: 'langperf',
      startedAt: `2024-01-0${sha === 'aaaa1111' ? 1 : 2}T00:00:00.000Z`,
      groupId: null,
      metadata: {},
    },
    status: 'complete',
    finishedAt: null,
    results,
  }
}

async function seeded(): Promise<{ store: Store; base: number; cand: number }> {
  const store = await openSqliteStore(':memory:')
  const [base, cand] = await store.insertRuns([
    run('3.12.0', 'aaaa1111', [
      result('slow', 0.1, 0.01),
      result('same', 0.2, 0.01),
      result('noisy', 0.3, 0.2),
      result('gone', 0.1, 0.01),
      result('changed', 0.1, 0.01, 'v1'),
    ]),
    run('3.13.0', 'bbbb2222', [
      result('slow', 0.11, 0.01),
      result('same', 0.2, 0.01),
      result('noisy', 0.303, 0.2),
      result('changed', 0.1, 0.01, 'v2'),
    ]),
  ])
  return { store, base: base!, cand: cand! }
}

test('compareRuns() finds the real slowdown, no change where there is none, and sorts slowest first', async () => {
  const { store, base, cand } = await seeded()
  const report = await compareRuns(store, base, cand)
  assert.deepEqual(
    report.rows.map((r) => r.workload),
    ['slow', 'noisy', 'same'].sort((a, b) => {
      const ratio = (n: string) => {
        const c = report.rows.find((r) => r.workload === n)!.comparison
        return c.kind === 'comparison' ? c.ratio : 0
      }
      return ratio(b) - ratio(a)
    }),
  )
  const slow = report.rows.find((r) => r.workload === 'slow')!.comparison
  assert.ok(slow.kind === 'comparison' && slow.verdict === 'slower')
  assert.ok(slow.kind === 'comparison' && slow.low < 1.1 && slow.high > 1.1, 'interval covers the true 10 %')
  assert.equal(report.rows.find((r) => r.workload === 'same')!.comparison.verdict, 'no-difference')
  assert.equal(report.rows.find((r) => r.workload === 'noisy')!.comparison.verdict, 'no-difference')
  const why = Object.fromEntries(report.uncompared.map((u) => [u.workload, u.why]))
  assert.match(why.gone!, /only in the base run/)
  assert.match(why.changed!, /versions differ/)
  assert.ok(report.geometricMean.kind === 'geometric-mean-ratio')
  // The two columns shown divide to the ratio shown, even for the noisy workload.
  for (const r of report.rows) {
    assert.ok(r.comparison.kind === 'comparison')
    assert.ok(Math.abs(r.candidateMean! / r.baseMean! - r.comparison.ratio) < 1e-9, r.workload)
  }
  await store.close()
})

test('slowdownsOver() flags only significant slowdowns at or above the threshold', async () => {
  const { store, base, cand } = await seeded()
  const report = await compareRuns(store, base, cand)
  assert.deepEqual(slowdownsOver(report, 5), ['slow'])
  assert.deepEqual(slowdownsOver(report, 20), [])
  await store.close()
})

test('compareRuns() with a minimum effect does not call changes below it', async () => {
  const { store, base, cand } = await seeded()
  const report = await compareRuns(store, base, cand, { minEffect: 0.2 })
  assert.equal(report.rows.find((r) => r.workload === 'slow')!.comparison.verdict, 'no-difference')
  await store.close()
})

test('geometricMeanVerdict() calls a change only when the interval excludes 1 and it reaches minEffect', () => {
  const g = (estimate: number, low: number, high: number) => ({
    kind: 'geometric-mean-ratio' as const,
    estimate,
    measurement: {
      kind: 'interval' as const,
      estimate,
      low,
      high,
      confidence: 0.95,
      method: 'log-t' as const,
    },
    acrossWorkloads: { kind: 'insufficient' as const, reason: 'one workload' },
    ratios: [estimate],
  })
  // 0.5 % slower and certain: a change at minEffect 0, none at the default 1 %.
  assert.equal(geometricMeanVerdict(g(1.005, 1.003, 1.007), 0), 'slower')
  assert.equal(geometricMeanVerdict(g(1.005, 1.003, 1.007), 0.01), 'no-difference')
  assert.equal(geometricMeanVerdict(g(0.95, 0.93, 0.97), 0.01), 'faster')
  // 5 % slower but not certain: no change whatever the threshold.
  assert.equal(geometricMeanVerdict(g(1.05, 0.99, 1.11), 0), 'no-difference')
  assert.equal(geometricMeanVerdict({ kind: 'insufficient', reason: 'none' }, 0.01), 'insufficient')
})

test('compareRuns() uses a 1 % minimum effect by default, and the geometric mean follows the same rule', async () => {
  const { store, base, cand } = await seeded()
  const byDefault = await compareRuns(store, base, cand)
  assert.equal(byDefault.minEffect, 0.01)
  const g = byDefault.geometricMean
  assert.ok(g.kind === 'geometric-mean-ratio')
  assert.equal(byDefault.geometricMeanVerdict, geometricMeanVerdict(g, 0.01))
  const strict = await compareRuns(store, base, cand, { minEffect: 0.5 })
  assert.equal(strict.geometricMeanVerdict, 'no-difference')
  assert.deepEqual(slowdownsOver(strict, 0), [], 'the gate trips only on what the verdict calls slower')
  await store.close()
})

test('resolveRunSelector() reads ids, latest, versions and commit prefixes, and explains misses', async () => {
  const { store, base, cand } = await seeded()
  assert.equal(await resolveRunSelector(store, String(base)), base)
  assert.equal(await resolveRunSelector(store, 'latest'), cand)
  assert.equal(await resolveRunSelector(store, '3.12.0'), base)
  assert.equal(await resolveRunSelector(store, 'cpython-3.13.0'), cand)
  assert.equal(await resolveRunSelector(store, 'bbbb'), cand)
  await assert.rejects(resolveRunSelector(store, '3.1'), /matches 2 builds/)
  await assert.rejects(resolveRunSelector(store, '999'), /Cannot find run 999/)
  await assert.rejects(resolveRunSelector(store, 'nope'), /Cannot find a run for "nope"/)
  await store.close()
})

test('resolveRunSelector() passes over runs interrupted before any result, and says so when only those exist', async () => {
  const { store, cand } = await seeded()
  // A later run of 3.13.0 that stored nothing (interrupted): `latest` and the build skip it.
  const empty = { ...run('3.13.0', 'bbbb2222', []), status: 'interrupted' as const }
  const [interrupted] = await store.insertRuns([
    { ...empty, run: { ...empty.run, startedAt: '2024-01-03T00:00:00.000Z' } },
  ])
  assert.equal(await resolveRunSelector(store, 'latest'), cand)
  assert.equal(await resolveRunSelector(store, '3.13.0'), cand)
  // A run id is taken as given.
  assert.equal(await resolveRunSelector(store, String(interrupted)), interrupted)
  // A build whose only run is empty is refused with the reason.
  const [, lone] = await store.insertRuns([
    { ...run('3.14.0', 'cccc3333', [result('slow', 0.1, 0.01)]) },
    { ...run('3.15.0', 'dddd4444', []), status: 'interrupted' as const },
  ])
  await assert.rejects(
    resolveRunSelector(store, '3.15.0'),
    new RegExp(
      `Cannot use a run of "3.15.0": its 1 run\\(s\\) hold no result \\(interrupted before a workload finished: run ${lone}, status interrupted\\)`,
    ),
  )
  await store.close()
})

test('latest is the run stored last: an import of runs measured long ago, not the local run before it', async () => {
  const { store } = await seeded()
  const imported = run('3.10.0', 'eeee5555', [result('slow', 0.1, 0.01)])
  const [id] = await store.insertRuns([
    { ...imported, run: { ...imported.run, startedAt: '2019-05-01T00:00:00.000Z' } },
  ])
  assert.equal(await resolveRunSelector(store, 'latest'), id)
  await store.close()
})

test('an ambiguous selector names every build it matches, up to a dozen, and how many more', async () => {
  const store = await openSqliteStore(':memory:')
  await store.insertRuns(
    Array.from({ length: 14 }, (_, i) =>
      run(`3.12.${i}`, `${(0xa000 + i).toString(16)}0000`, [result('w', 0.1, 0.01)]),
    ),
  )
  const err = await resolveRunSelector(store, '3.12').then(
    () => assert.fail('expected an error'),
    (e: Error) => e.message,
  )
  assert.match(err, /matches 14 builds \(/)
  assert.match(err, / and 2 more\); give a run id/)
  assert.equal(err.match(/cpython-3\.12\.\d+ default/g)?.length, 12)
  await store.close()
})

test('compareRuns() compares a server workload requests/s and latencies as it compares its value', async () => {
  // The candidate serves 20 % more requests/s with the same p99: requests/s reads "faster"
  // (better: higher is better), p99 no difference; in-process workloads carry no metrics.
  const server = (rps: number, p99: number): WorkloadResult => {
    const r = result('django_feed', 0.002, 0.01)
    const jitter = () => 1 + 0.01 * normal(rng)
    return {
      ...r,
      metadata: {
        http: {
          primary: 'cpu_ms_per_request',
          requests_per_s: r.processes.map(() => rps * jitter()),
          latency_p99_ms: r.processes.map(() => p99 * jitter()),
        },
      },
    }
  }
  const store = await openSqliteStore(':memory:')
  const [base, cand] = await store.insertRuns([
    run('3.12.0', 'aaaa1111', [server(400, 30), result('same', 0.2, 0.01)]),
    run('3.13.0', 'bbbb2222', [server(480, 30), result('same', 0.2, 0.01)]),
  ])
  const report = await compareRuns(store, base!, cand!)
  const row = report.rows.find((r) => r.workload === 'django_feed')!
  const byName = Object.fromEntries(row.metrics.map((m) => [m.name, m]))
  const rps = byName.requests_per_s!
  assert.equal(rps.lowerIsBetter, false)
  assert.ok(rps.comparison.kind === 'comparison')
  assert.equal(rps.comparison.verdict, 'faster', 'more requests/s is better')
  assert.ok(rps.comparison.low < 1.2 && rps.comparison.high > 1.2, 'the interval covers the true +20 %')
  assert.equal(byName.latency_p99_ms!.comparison.verdict, 'no-difference')
  assert.deepEqual(report.rows.find((r) => r.workload === 'same')!.metrics, [])
  await store.close()
})

/** An instruction count (`run --measure instructions`): one process, one value per loop. */
function counted(name: string, perLoop: number): WorkloadResult {
  return {
    workload: { name, version: 'v1' },
    unit: 'instruction',
    loops: 4,
    innerLoops: 1,
    processes: [{ warmups: [], values: [perLoop], metadata: { instructions_method: 'region' } }],
    outcome: { state: 'measured' },
    metadata: {},
  }
}

test('compareRuns() compares instruction counts exactly: the ratio, no interval, a change from 0.5 %', async () => {
  const store = await openSqliteStore(':memory:')
  const [base, cand] = await store.insertRuns([
    run('3.12.0', 'aaaa1111', [
      counted('more', 1_000_000),
      counted('same', 500_000),
      counted('tiny', 2_000_000),
      counted('fewer', 800_000),
    ]),
    run('3.12.1', 'bbbb2222', [
      counted('more', 1_012_345),
      counted('same', 500_000),
      counted('tiny', 2_006_000),
      counted('fewer', 760_000),
    ]),
  ])
  const report = await compareRuns(store, base!, cand!)
  const row = (n: string) => report.rows.find((r) => r.workload === n)!.comparison
  const more = row('more')
  assert.equal(more.kind, 'comparison')
  if (more.kind !== 'comparison') return
  assert.equal(more.ratio, 1.012345)
  assert.equal(more.low, more.ratio)
  assert.equal(more.high, more.ratio)
  assert.equal(more.method, 'exact')
  assert.equal(more.welch, null, 'no t-test is invented for a deterministic count')
  assert.equal(more.verdict, 'slower')
  assert.equal(row('fewer').verdict, 'faster')
  assert.equal(row('same').verdict, 'no-difference')
  // 0.3 % more instructions: below the 0.5 % a count change is called from, unless asked.
  assert.equal(row('tiny').verdict, 'no-difference')
  const strict = await compareRuns(store, base!, cand!, { minEffect: 0 })
  assert.equal(strict.rows.find((r) => r.workload === 'tiny')!.comparison.verdict, 'slower')
  assert.equal(report.rows[0]!.unit, 'instruction')
  assert.equal(report.geometricMean.kind, 'insufficient')
  assert.deepEqual(slowdownsOver(report, 1), ['more'])
  await store.close()
})
