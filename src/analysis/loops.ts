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
  const runs = await storedRunsOfBuild(store, query, RUNS_READ)
  const loops: Record<string, number> = {}
  for (const run of runs) {
    for (const r of await store.getResults(run.id)) {
      const wanted = query.versions?.get(r.workload.name)
      if (query.versions && wanted !== r.workload.version) continue
      if (r.outcome.state === 'measured' && Number.isInteger(r.loops) && r.loops >= 1)
        loops[r.workload.name] ??= r.loops
    }
  }
  return Object.keys(loops).length > 0 ? loops : undefined
}

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
