import { Memo } from '../lib/index.ts'
import { DEFAULT_BETWEEN_RUN_SIGMA } from '../model/index.ts'
import type { ExtraLogVariance } from '../stats/index.ts'
import { mean, successiveRunNoise, variance } from '../stats/index.ts'
import type { ResultRow, RunReader, RunRow } from '../store/index.ts'
import { HISTORY_EXCLUDES, lineHistory } from './detect-series.ts'

// Comparing two builds measured in separate runs (docs/stats.md, "Comparing separate runs"):
// within one run the processes of both builds share the machine's state of the moment, but a
// build's mean moves from one run to the next by more than its own interval says (load, heat,
// layout, a noisy neighbour). That between-run noise is learned from repeated runs of the same
// builds on the same machine; else from the successive differences of the builds of their line
// (branch × config) on that machine, as detection learns its noise; else it is a stated
// conservative default.

export { DEFAULT_BETWEEN_RUN_SIGMA }

/** Fewest degrees of freedom (repeats beyond the first, summed over builds) to trust a learned σ. */
export const MIN_LEARNED_DOF = 2

/** Repeated runs read per build, newest first. */
export const MAX_REPEATS_PER_BUILD = 12

/** A line's newest builds whose successive differences teach the between-run noise. */
export const HISTORY_BUILDS = 30

/** Fewest successive differences of a line's builds to learn the between-run noise from. */
export const MIN_HISTORY_DIFFERENCES = 8

/** The between-run noise of one workload (or of the suite's geometric mean). */
export interface BetweenRunNoise {
  /**
   * `learned` from repeated runs of the compared builds on their machines; `history` from the
   * successive differences of their line's newest builds there (an upper bound: the commits
   * between builds are in it); or the stated `default`.
   */
  readonly source: 'learned' | 'history' | 'default'
  /** σ of a run's log mean beyond its within-run sampling error. */
  readonly sigma: number
  /** Degrees of freedom of sigma: repeats beyond the first summed over builds (Infinity for the default). */
  readonly dof: number
  /** Runs the estimate was learned from (0 for the default). */
  readonly runs: number
}

const DEFAULT_NOISE: BetweenRunNoise = {
  source: 'default',
  sigma: DEFAULT_BETWEEN_RUN_SIGMA,
  dof: Number.POSITIVE_INFINITY,
  runs: 0,
}

/** What a comparison of two runs adds for the runs being separate. */
export interface AcrossRuns {
  /** True when the two runs were measured together (one group, interleaved): nothing is added. */
  readonly interleaved: boolean
  /** Per compared workload name; empty when interleaved. */
  readonly workloads: ReadonlyMap<string, BetweenRunNoise>
  /** Of the geometric mean over the compared workloads; null when interleaved. */
  readonly suite: BetweenRunNoise | null
}

/** The variance a ratio of two separate runs gains: a σ² from each side. */
export function ratioExtraVariance(noise: BetweenRunNoise): ExtraLogVariance {
  return { variance: 2 * noise.sigma * noise.sigma, dof: noise.dof }
}

/** True when two runs were measured together, interleaved process by process. */
export function measuredTogether(base: RunRow, candidate: RunRow): boolean {
  return base.groupId !== null && base.groupId === candidate.groupId
}

/** One run's reading of one workload: the log geometric mean of its process means and its sampling variance. */
interface Reading {
  readonly logMean: number
  readonly within: number
}

function readingOf(result: ResultRow): Reading | null {
  const pm = result.processMeans.filter((v) => Number.isFinite(v) && v > 0)
  if (result.outcome.state !== 'measured' || pm.length < 2) return null
  const logs = pm.map(Math.log)
  return { logMean: mean(logs), within: variance(logs) / logs.length }
}

/** Pooled method-of-moments σ² over groups of repeated readings: Σ(SS − (k−1)·within) / Σ(k−1). */
function pooled(groups: readonly (readonly Reading[])[]): { sigma: number; dof: number; runs: number } {
  let numerator = 0
  let dof = 0
  let runs = 0
  for (const g of groups) {
    if (g.length < 2) continue
    const m = mean(g.map((r) => r.logMean))
    let ss = 0
    for (const r of g) ss += (r.logMean - m) ** 2
    numerator += ss - (g.length - 1) * mean(g.map((r) => r.within))
    dof += g.length - 1
    runs += g.length
  }
  return { sigma: dof > 0 ? Math.sqrt(Math.max(0, numerator / dof)) : 0, dof, runs }
}

/** Repeats when there are enough, else the line's history when it has enough builds, else the default. */
function decide(
  p: { sigma: number; dof: number; runs: number },
  history: BetweenRunNoise | undefined,
): BetweenRunNoise {
  if (p.dof >= MIN_LEARNED_DOF) return { source: 'learned', ...p }
  return history ?? DEFAULT_NOISE
}

/**
 * The newest HISTORY_BUILDS builds of `run`'s line (machine × runtime × config × branch), a run
 * each (its newest), oldest first in history order (first-parent position when every build has
 * one, else commit date): the points detection reads, without a nightly's pair-only runs,
 * bisection's runs, warm-up or instruction-count series. Empty for a build without a branch or
 * commit date (an interpreter found on the machine: no line).
 */
async function lineBuilds(store: RunReader, run: RunRow): Promise<RunRow[]> {
  const b = run.build
  if (b.branch === null || b.commitDateUtc === null) return []
  const page = await store.listRuns({
    machine: run.machine,
    runtime: b.runtime,
    config: b.config,
    branch: b.branch,
    status: 'complete',
    limit: HISTORY_BUILDS * 3,
  })
  const history = lineHistory(
    page.rows.filter(
      (r) =>
        r.build.branch === b.branch &&
        !(HISTORY_EXCLUDES.excludeSuites as readonly string[]).includes(r.suite) &&
        !(HISTORY_EXCLUDES.excludePresets as readonly string[]).includes(r.preset),
    ),
  )
  // A build's newest run: the first of its runs in that order.
  const seen = new Set<number>()
  const builds = history.filter((r) => !seen.has(r.build.id) && seen.add(r.build.id))
  return builds.slice(0, HISTORY_BUILDS).reverse()
}

/** One successive difference of a line's builds: the log difference and its within-run variance. */
interface Difference {
  readonly d: number
  readonly w: number
}

/** A line's successive differences per workload and of the suite's mean, with the runs read. */
interface LineDifferences {
  readonly workloads: ReadonlyMap<string, readonly Difference[]>
  readonly suite: readonly Difference[]
  readonly runs: number
}

/** Lines' differences kept per store, each for the runs' state it was read at (the overview and compare repeat them). */
const lineMemos = new WeakMap<object, Memo>()

/** Lines kept per store: the overview's rows and a compare page's neighbours, not every line. */
const MAX_KEPT_LINES = 256

/**
 * The successive differences of `run`'s line (lineBuilds) for the workloads of `names` at the
 * versions of `side`, and of their suite mean where at least half of `names` were measured on
 * both builds; kept until the runs change (`runsState`, lib's Memo).
 */
async function lineDifferences(
  store: RunReader,
  run: RunRow,
  side: 'base' | 'candidate',
  names: readonly string[],
  workloads: ReadonlyMap<string, { readonly base: string; readonly candidate: string }>,
): Promise<LineDifferences> {
  const b = run.build
  const key = JSON.stringify([
    run.machine,
    b.runtime,
    b.config,
    b.branch,
    names.map((n) => [n, workloads.get(n)?.[side] ?? null]),
  ])
  const memo = lineMemos.get(store) ?? new Memo(MAX_KEPT_LINES)
  lineMemos.set(store, memo)
  return memo.current(key, await store.runsState(), async () => {
    const diffs = new Map<string, Difference[]>(names.map((n) => [n, []]))
    const suite: Difference[] = []
    const builds = await lineBuilds(store, run)
    if (builds.length < 2) return { workloads: diffs, suite, runs: 0 }
    // One lean read of the builds' summaries: the log of a result's mean and its squared
    // relative standard error stand for the log mean of its process means and its variance.
    const byRun = new Map<number, Map<string, Reading>>(builds.map((r) => [r.id, new Map()]))
    for (const x of await store.getResultSummaries(
      builds.map((r) => r.id),
      { workloads: names },
    )) {
      const { mean: m, stdevProcessMeans: sd, nProcesses: k } = x.summary
      if (x.workload.version !== workloads.get(x.workload.name)?.[side] || m === null || !(m > 0)) continue
      const within = sd === null || k < 2 ? 0 : (sd / m) ** 2 / k
      byRun.get(x.runId)?.set(x.workload.name, { logMean: Math.log(m), within })
    }
    const readings = builds.map((r) => byRun.get(r.id) ?? new Map<string, Reading>())
    for (let i = 1; i < readings.length; i++) {
      const [before, after] = [readings[i - 1]!, readings[i]!]
      const common: Difference[] = []
      for (const [name, a] of after) {
        const p = before.get(name)
        if (p === undefined) continue
        const x = { d: a.logMean - p.logMean, w: a.within + p.within }
        diffs.get(name)?.push(x)
        common.push(x)
      }
      if (common.length > 0 && 2 * common.length >= names.length) {
        const k = common.length
        suite.push({ d: mean(common.map((x) => x.d)), w: common.reduce((t, x) => t + x.w, 0) / (k * k) })
      }
    }
    return { workloads: diffs, suite, runs: builds.length }
  })
}

/**
 * The between-run noise of each workload and of their geometric mean read from the successive
 * differences of the line's builds (stats' successiveRunNoise) on each side's machine, pooled over
 * the sides (one σ² per difference); the suite's difference between two builds is the mean of the
 * workloads' over those both measured, when they are at least half of `names`.
 */
async function learnFromHistory(
  store: RunReader,
  sides: readonly { readonly run: RunRow; readonly side: 'base' | 'candidate' }[],
  names: readonly string[],
  workloads: ReadonlyMap<string, { readonly base: string; readonly candidate: string }>,
): Promise<{ workloads: Map<string, BetweenRunNoise>; suite: BetweenRunNoise | undefined }> {
  const diffs = new Map<string, Difference[]>(names.map((n) => [n, []]))
  const suiteDiffs: Difference[] = []
  let runs = 0
  const lines = new Set<string>()
  for (const { run, side } of sides) {
    const b = run.build
    const line = JSON.stringify([run.machine, b.runtime, b.config, b.branch])
    if (lines.has(line)) continue
    lines.add(line)
    const read = await lineDifferences(store, run, side, names, workloads)
    runs += read.runs
    for (const [name, xs] of read.workloads) diffs.get(name)?.push(...xs)
    suiteDiffs.push(...read.suite)
  }
  const of = (xs: readonly Difference[]): BetweenRunNoise | undefined => {
    const n = successiveRunNoise(xs, MIN_HISTORY_DIFFERENCES)
    return n === undefined ? undefined : { source: 'history', sigma: n.sigma, dof: n.dof, runs }
  }
  const out = new Map<string, BetweenRunNoise>()
  for (const [name, xs] of diffs) {
    const n = of(xs)
    if (n !== undefined) out.set(name, n)
  }
  return { workloads: out, suite: of(suiteDiffs) }
}

/**
 * The between-run noise of each compared workload and of their geometric mean, learned from the
 * complete runs of each side's build on that side's machine (the compared runs among them, at
 * most MAX_REPEATS_PER_BUILD each); where fewer than MIN_LEARNED_DOF repeats exist, from the
 * successive differences of the newest HISTORY_BUILDS builds of each side's line there (at least
 * MIN_HISTORY_DIFFERENCES); else the default. `workloads` maps each compared workload name to its
 * version on each side.
 */
export async function learnAcrossRuns(
  store: RunReader,
  base: RunRow,
  candidate: RunRow,
  workloads: ReadonlyMap<string, { readonly base: string; readonly candidate: string }>,
): Promise<AcrossRuns> {
  if (measuredTogether(base, candidate)) return { interleaved: true, workloads: new Map(), suite: null }
  const names = [...workloads.keys()]
  const sides =
    base.build.id === candidate.build.id && base.machine === candidate.machine
      ? [{ run: base, side: 'base' as const }]
      : [
          { run: base, side: 'base' as const },
          { run: candidate, side: 'candidate' as const },
        ]
  // One group of repeated readings per build and workload, and per build for the suite.
  const groups = new Map<string, Reading[][]>(names.map((n) => [n, []]))
  const suiteGroups: Reading[][] = []
  for (const { run, side } of sides) {
    const repeats = await store.listRuns({
      machine: run.machine,
      buildId: run.build.id,
      status: 'complete',
      limit: MAX_REPEATS_PER_BUILD,
    })
    if (repeats.rows.length < 2) continue
    const byRun = await Promise.all(repeats.rows.map((r) => store.getResults(r.id, { workloads: names })))
    const ofBuild = new Map<string, Reading[]>(names.map((n) => [n, []]))
    const suiteReadings: Reading[] = []
    for (const results of byRun) {
      const readings = new Map<string, Reading>()
      for (const r of results) {
        const versions = workloads.get(r.workload.name)
        if (!versions || r.workload.version !== versions[side]) continue
        const reading = readingOf(r)
        if (reading) readings.set(r.workload.name, reading)
      }
      for (const [name, reading] of readings) ofBuild.get(name)?.push(reading)
      // The suite's reading: only from runs that measured every compared workload.
      if (names.length > 0 && readings.size === names.length) {
        const all = [...readings.values()]
        suiteReadings.push({
          logMean: mean(all.map((x) => x.logMean)),
          within: all.reduce((sum, x) => sum + x.within, 0) / (all.length * all.length),
        })
      }
    }
    for (const [name, readings] of ofBuild) groups.get(name)?.push(readings)
    suiteGroups.push(suiteReadings)
  }
  const repeats = new Map(names.map((n) => [n, pooled(groups.get(n) ?? [])]))
  const suiteRepeats = pooled(suiteGroups)
  const short =
    suiteRepeats.dof < MIN_LEARNED_DOF || [...repeats.values()].some((p) => p.dof < MIN_LEARNED_DOF)
  const history = short ? await learnFromHistory(store, sides, names, workloads) : undefined
  const out = new Map<string, BetweenRunNoise>()
  for (const name of names) out.set(name, decide(repeats.get(name)!, history?.workloads.get(name)))
  return { interleaved: false, workloads: out, suite: decide(suiteRepeats, history?.suite) }
}
