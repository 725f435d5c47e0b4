import type { BuildCatalog, RunReader, RunRow } from '../store/index.ts'
import { BISECT_PURPOSE } from './detect-series.ts'

// Loop counts frozen across runs. pyperf-style calibration picks a power of two per workload; a
// value of 2 loops and one of 4 amortise the loop's own overhead differently, so a mean moves
// when the count does, and a calibration that lands near a boundary flips between runs. Once a
// build has been measured on a machine, its counts are reused by later runs of it (as the Faster
// CPython team freezes loops per benchmark along the history).

/** Newest runs read for their loop counts. */
const RUNS_READ = 10

/** Which stored runs' counts to reuse. */
export interface StoredLoopsQuery {
  /** The build's identity (`local:…` for a local interpreter, the nightly's for a built commit). */
  readonly identity: string
  readonly machine: string
  /** Only runs calibrated to the same minimum value duration. */
  readonly minTimeS: number
  /** When given, a workload's count is reused only from a result of this version. */
  readonly versions?: ReadonlyMap<string, string>
}

/**
 * The loop count of each workload in the newest stored runs of a build on a machine measured
 * with the same minimum value duration (newest first, bisection runs left out; a resumed
 * measurement spreads a build's workloads over several runs); undefined when there is none.
 */
export async function storedLoopCounts(
  store: BuildCatalog & RunReader,
  query: StoredLoopsQuery,
): Promise<Readonly<Record<string, number>> | undefined> {
  const byVersion = await storedLoopsByVersion(store, query)
  if (byVersion === undefined) return undefined
  const loops: Record<string, number> = {}
  for (const [name, versions] of byVersion) {
    const wanted = query.versions?.get(name)
    // Without versions, the newest result's count (the first version met).
    const count = query.versions
      ? wanted === undefined
        ? undefined
        : versions.get(wanted)
      : [...versions.values()][0]
    if (count !== undefined) loops[name] = count
  }
  return Object.keys(loops).length > 0 ? loops : undefined
}

/**
 * Stored loop counts by workload name, then by workload version (the newest result's count of
 * each), from the same runs as `storedLoopCounts`; the versions of a name in the order first met,
 * newest first. A workload whose version carries its stack (docs/decisions/0004: system packages,
 * BLAS kernel variables) finds its count under the version of the stack it runs on, which the
 * suite knows only once it has probed that stack (runner/suite's `frozenLoopsByInterpreter`).
 */
export async function storedLoopsByVersion(
  store: BuildCatalog & RunReader,
  query: Omit<StoredLoopsQuery, 'versions'>,
): Promise<StoredLoops | undefined> {
  const runs = await storedRunsOfBuild(store, query, RUNS_READ)
  const loops = new Map<string, Map<string, number>>()
  for (const run of runs) {
    for (const r of await store.getResults(run.id)) {
      if (r.outcome.state !== 'measured' || !Number.isInteger(r.loops) || r.loops < 1) continue
      const versions = loops.get(r.workload.name) ?? new Map<string, number>()
      loops.set(r.workload.name, versions)
      if (!versions.has(r.workload.version)) versions.set(r.workload.version, r.loops)
    }
  }
  return loops.size > 0 ? loops : undefined
}

/** Loop counts by workload name, then by workload version. */
export type StoredLoops = ReadonlyMap<string, ReadonlyMap<string, number>>

/**
 * The newest finished runs (at most `limit`) of build `query.identity` on `query.machine`
 * measured with the same minimum value duration, bisection runs and runs of `excludePresets`
 * left out; none when the build is unknown.
 */
export async function storedRunsOfBuild(
  store: BuildCatalog & RunReader,
  query: Pick<StoredLoopsQuery, 'identity' | 'machine' | 'minTimeS'>,
  limit: number,
  excludePresets: readonly string[] = [],
): Promise<RunRow[]> {
  const [build] = await store.findBuilds({ identity: query.identity, limit: 1 })
  if (build === undefined) return []
  const page = await store.listRuns({ buildId: build.id, machine: query.machine, limit: 1000 })
  return page.rows
    .filter(
      (r) =>
        r.status !== 'running' &&
        r.metadata.purpose !== BISECT_PURPOSE &&
        !excludePresets.includes(r.preset) &&
        r.metadata.min_time_s === query.minTimeS,
    )
    .sort((a, b) => b.id - a.id)
    .slice(0, limit)
}
