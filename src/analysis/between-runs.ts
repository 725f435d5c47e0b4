import type { ExtraLogVariance } from '../stats/index.ts'
import { mean, variance } from '../stats/index.ts'
import type { ResultRow, RunReader, RunRow } from '../store/index.ts'

// Comparing two builds measured in separate runs (docs/stats.md, "Comparing separate runs"):
// within one run the processes of both builds share the machine's state of the moment, but a
// build's mean moves from one run to the next by more than its own interval says (load, heat,
// layout, a noisy neighbour). That between-run noise is learned from repeated runs of the same
// builds on the same machine, or taken from a stated conservative default until they exist.

/**
 * Between-run σ of a build's mean (log scale ≈ relative) assumed until repeated runs of the
 * compared builds teach it: twice the median relative difference of consecutive nightly runs of
 * neighbouring CPython commits on a tuned machine (0.8–1.05 %, so σ ≈ 1 %), for machines that
 * are not tuned.
 */
export const DEFAULT_BETWEEN_RUN_SIGMA = 0.02

/** Fewest degrees of freedom (repeats beyond the first, summed over builds) to trust a learned σ. */
export const MIN_LEARNED_DOF = 2

/** Repeated runs read per build, newest first. */
export const MAX_REPEATS_PER_BUILD = 12

/** The between-run noise of one workload (or of the suite's geometric mean). */
export interface BetweenRunNoise {
  /** `learned` from repeated runs of the compared builds on their machines, or the stated `default`. */
  readonly source: 'learned' | 'default'
  /** σ of a run's log mean beyond its within-run sampling error. */
  readonly sigma: number
  /** Degrees of freedom of sigma: repeats beyond the first summed over builds (Infinity for the default). */
  readonly dof: number
  /** Runs the estimate was learned from (0 for the default). */
  readonly runs: number
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

function decide(p: { sigma: number; dof: number; runs: number }): BetweenRunNoise {
  return p.dof >= MIN_LEARNED_DOF
    ? { source: 'learned', ...p }
    : { source: 'default', sigma: DEFAULT_BETWEEN_RUN_SIGMA, dof: Number.POSITIVE_INFINITY, runs: 0 }
}

/**
 * The between-run noise of each compared workload and of their geometric mean, learned from the
 * complete runs of each side's build on that side's machine (the compared runs among them, at
 * most MAX_REPEATS_PER_BUILD each), or the default where fewer than MIN_LEARNED_DOF repeats
 * exist. `workloads` maps each compared workload name to its version on each side.
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
  const out = new Map<string, BetweenRunNoise>()
  for (const name of names) out.set(name, decide(pooled(groups.get(name) ?? [])))
  return { interleaved: false, workloads: out, suite: decide(pooled(suiteGroups)) }
}
