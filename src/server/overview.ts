import {
  compareRuns,
  HISTORY_EXCLUDES,
  lineHistory,
  mergeBaseRun,
  referenceRunIdOf,
} from '../analysis/index.ts'
import { Memo } from '../lib/index.ts'
import { isExperiment } from '../model/index.ts'
import type { GeometricMeanRatio, Insufficient, Verdict } from '../stats/index.ts'
import type { BuildCatalog, RunReader, RunRow } from '../store/index.ts'

// The overview: for each machine × runtime × config × branch, its head against the build before
// it (the geometric mean of per-workload ratios with its interval, from compareRuns) and how many
// workloads got slower, faster or stayed the same. The head is the newest build in the line's
// history order, as detection reads it, not the run started last: an older commit run again later
// (a baseline re-run, a nightly's reference or pair round) is not the line's news. Runs still
// `running` are left out: a half-measured run would compare a few workloads and look like news. A
// fork's branch is an experiment: its head is compared with the run of its merge base instead (the
// build before it on the fork may sit on another base after a rebase).

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
export function toGeometricMean(g: GeometricMeanRatio | Insufficient, workloads: number, verdict: Verdict) {
  if (g.kind === 'insufficient' || verdict === 'insufficient')
    return { kind: 'insufficient' as const, reason: g.kind === 'insufficient' ? g.reason : 'Not enough data' }
  return {
    kind: 'interval' as const,
    estimate: g.estimate,
    low: g.measurement.low,
    high: g.measurement.high,
    confidence: g.measurement.confidence,
    workloads,
    verdict,
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

/** What the overview computes per pair of runs, kept because finished runs never change. */
interface PairSummary {
  readonly geometricMean: ReturnType<typeof toGeometricMean>
  readonly changes: { readonly slower: number; readonly faster: number; readonly same: number }
}

/**
 * Memory of the overview's comparisons. The store refuses results for a finished run, so a
 * finished run's result counts never change, nor do the processes two finished runs compare.
 * What can still move is the between-run noise of two separate runs, read from their line's
 * newest builds (analysis/between-runs.ts): a pair is kept as first compared. A new build of the
 * line makes a new head, so a new pair; only a run added to an older build of the line (a
 * backfill) leaves a kept pair on the line's earlier history. A request then costs only finding
 * the latest runs. Bounded: the oldest entries go first.
 */
export class OverviewMemo {
  readonly #memo: Memo
  constructor(maxEntries = 4096) {
    this.#memo = new Memo(maxEntries)
  }
  /** The summary of the pair, computed by `make` when not yet known. */
  pair(baseId: number, candidateId: number, make: () => Promise<PairSummary>): Promise<PairSummary> {
    return this.#memo.get(`pair:${baseId}:${candidateId}`, make)
  }
  /** A run's result counts by state, computed by `make` when not yet known. */
  counts(
    runId: number,
    make: () => Promise<{ measured: number; failed: number; skipped: number }>,
  ): Promise<{ measured: number; failed: number; skipped: number }> {
    return this.#memo.get(`counts:${runId}`, make)
  }
}

/** Runs of a line read to find its head and the build before it (a nightly stores several per build). */
const LINE_RUNS_READ = 24

/** Runs of a line the overview lists as its recent history (the page's sparkline), newest first. */
export const RECENT_RUNS = 12

/**
 * The run the overview shows for a line and the one it is compared with (lineHistory): a line of
 * commits, its head (the newest build's latest run) against the latest run of the build before
 * it; a line without commits, its latest run against the run before it.
 */
export function lineHeadAndPrevious(runs: readonly RunRow[]): {
  latest: RunRow | undefined
  before: RunRow | undefined
} {
  return headOf(lineHistory(runs))
}

/** lineHeadAndPrevious of a line's history (lineHistory's order). */
function headOf(ordered: readonly RunRow[]): { latest: RunRow | undefined; before: RunRow | undefined } {
  const latest = ordered[0]
  if (latest?.build.commitDateUtc === null) return { latest, before: ordered[1] }
  const before = ordered.find((r) => r.build.id !== latest?.build.id)
  return { latest, before }
}

/**
 * The run the head is compared with on a line of history: the reference run it was measured
 * beside (a nightly's pair, `metadata.reference_run_id`) when that is a run of the build before
 * it, so the comparison is of processes measured together; else the latest run of that build.
 */
async function pairedOrBefore(
  store: RunReader,
  runs: readonly RunRow[],
  latest: RunRow,
  before: RunRow | undefined,
): Promise<RunRow | undefined> {
  const id = referenceRunIdOf(latest)
  if (id === null || before === undefined) return before
  const reference = runs.find((r) => r.id === id) ?? (await store.getRun(id))
  return reference !== undefined && reference.build.id === before.build.id && reference.status === 'complete'
    ? reference
    : before
}

/** Filters of the overview. */
export interface OverviewQuery {
  readonly machine?: string
  readonly runtime?: string
}

/**
 * The overview rows, ordered by machine, runtime, config and branch. Pass the same `memo` to
 * successive calls (the server keeps one) so that unchanged pairs are not compared again.
 */
export async function computeOverview(
  store: RunReader & BuildCatalog,
  query: OverviewQuery = {},
  memo: OverviewMemo = new OverviewMemo(),
) {
  const state = await store.runsState()
  // The history's runs: a bisection's runs and warm-up iteration series are not "the latest".
  const groups = await store.latestRunsByGroup({
    perGroup: LINE_RUNS_READ,
    order: 'commit',
    statuses: ['complete', 'interrupted'],
    ...HISTORY_EXCLUDES,
    ...query,
  })
  const rows = []
  for (const g of groups) {
    const history = lineHistory(g.runs)
    const { latest, before } = headOf(history)
    if (latest === undefined) continue
    const experiment = isExperiment(latest.build.branch, latest.build.metadata.lineage_rule)
    const base = experiment ? await mergeBaseRun(store, latest.id) : null
    const previous =
      base === null
        ? await pairedOrBefore(store, g.runs, latest, before)
        : 'run' in base
          ? base.run
          : undefined
    // Only finished runs reach here (statuses above), so both memos are safe.
    const results = await memo.counts(latest.id, async () => {
      const counts = { measured: 0, failed: 0, skipped: 0 }
      for (const r of await store.getResults(latest.id)) counts[r.outcome.state] += 1
      return counts
    })
    const { geometricMean, changes } =
      previous === undefined
        ? {
            geometricMean: {
              kind: 'insufficient' as const,
              reason: base !== null && 'reason' in base ? base.reason : 'No previous run to compare with',
            },
            changes: { slower: 0, faster: 0, same: 0 },
          }
        : await memo.pair(previous.id, latest.id, async () => {
            const report = await compareRuns(store, previous.id, latest.id)
            const changes = { slower: 0, faster: 0, same: 0 }
            let compared = 0
            for (const row of report.rows) {
              const verdict = row.comparison.verdict
              if (verdict === 'slower') changes.slower += 1
              else if (verdict === 'faster') changes.faster += 1
              else if (verdict === 'no-difference') changes.same += 1
              if (row.comparison.kind === 'comparison') compared += 1
            }
            return {
              geometricMean: toGeometricMean(report.geometricMean, compared, report.geometricMeanVerdict),
              changes,
            }
          })
    rows.push({
      machine: g.machine,
      runtime: g.runtime,
      config: g.config,
      branch: g.branch,
      against: experiment ? ('merge base' as const) : ('previous run' as const),
      latest: brief(latest),
      previous: previous === undefined ? null : brief(previous),
      recent: history.slice(0, RECENT_RUNS).map((r) => r.id),
      geometricMean,
      results,
      changes,
    })
  }
  return { rows, state }
}
