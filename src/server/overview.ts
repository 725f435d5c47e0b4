import { compareRuns } from '../analysis/index.ts'
import type { GeometricMeanRatio, Insufficient } from '../stats/index.ts'
import type { RunRow, Store } from '../store/index.ts'

// The overview: for each machine × runtime × config × branch, its latest run against the one
// before it (the geometric mean of per-workload ratios with its interval, from compareRuns) and
// how many workloads got slower, faster or stayed the same. Runs still `running` are left out:
// a half-measured run would compare a few workloads and look like news.

/** A run as the API lists it: the store's row, field by field (nothing else leaks out). */
export function toRunDto(r: RunRow) {
  return {
    id: r.id,
    machine: r.machine,
    machineId: r.machineId,
    build: {
      id: r.build.id,
      runtime: r.build.runtime,
      version: r.build.version,
      config: r.build.config,
      commitSha: r.build.commitSha,
      commitDateUtc: r.build.commitDateUtc,
      branch: r.build.branch,
      mergeBase: r.build.mergeBase,
      identity: r.build.identity,
      interpreter: r.build.interpreter,
      metadata: r.build.metadata,
    },
    suite: r.suite,
    preset: r.preset,
    harnessVersion: r.harnessVersion,
    source: r.source,
    status: r.status,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    groupId: r.groupId,
    resultCount: r.resultCount,
    environment: r.environment,
    metadata: r.metadata,
  }
}

/** The API's form of a geometric mean: its measurement interval, or why there is none. */
export function toGeometricMean(g: GeometricMeanRatio | Insufficient, workloads: number) {
  if (g.kind === 'insufficient') return { kind: 'insufficient' as const, reason: g.reason }
  return {
    kind: 'interval' as const,
    estimate: g.estimate,
    low: g.measurement.low,
    high: g.measurement.high,
    confidence: g.measurement.confidence,
    workloads,
  }
}

function brief(r: RunRow) {
  return {
    id: r.id,
    startedAt: r.startedAt,
    status: r.status,
    buildId: r.build.id,
    version: r.build.version,
    commitSha: r.build.commitSha,
    commitDateUtc: r.build.commitDateUtc,
    resultCount: r.resultCount,
  }
}

/** Filters of the overview. */
export interface OverviewQuery {
  readonly machine?: string
  readonly runtime?: string
}

/** The overview rows, ordered by machine, runtime, config and branch. */
export async function computeOverview(store: Store, query: OverviewQuery = {}) {
  const groups = await store.latestRunsByGroup({
    perGroup: 2,
    statuses: ['complete', 'interrupted'],
    ...query,
  })
  const rows = []
  for (const g of groups) {
    const [latest, previous] = g.runs
    if (latest === undefined) continue
    const results = { measured: 0, failed: 0, skipped: 0 }
    for (const r of await store.getResults(latest.id)) results[r.outcome.state] += 1
    let geometricMean: ReturnType<typeof toGeometricMean> = {
      kind: 'insufficient',
      reason: 'No previous run to compare with',
    }
    const changes = { slower: 0, faster: 0, same: 0 }
    if (previous !== undefined) {
      const report = await compareRuns(store, previous.id, latest.id)
      let compared = 0
      for (const row of report.rows) {
        const verdict = row.comparison.verdict
        if (verdict === 'slower') changes.slower += 1
        else if (verdict === 'faster') changes.faster += 1
        else if (verdict === 'no-difference') changes.same += 1
        if (row.comparison.kind === 'comparison') compared += 1
      }
      geometricMean = toGeometricMean(report.geometricMean, compared)
    }
    rows.push({
      machine: g.machine,
      runtime: g.runtime,
      config: g.config,
      branch: g.branch,
      latest: brief(latest),
      previous: previous === undefined ? null : brief(previous),
      geometricMean,
      results,
      changes,
    })
  }
  return { rows }
}
