import type { WorkloadResult } from '../model/index.ts'
import { INSTRUCTIONS_PRESET, WARMUP_PRESET } from '../runner/index.ts'
import {
  type Allocation,
  type AllocationBounds,
  DEFAULT_ALLOCATION_BOUNDS,
  median,
  optimalValuesPerProcess,
  relativeMachineTime,
  type SamplingCosts,
  type VarianceComponents,
  varianceComponents,
} from '../stats/index.ts'
import type { BuildCatalog, RunReader } from '../store/index.ts'
import { type StoredLoopsQuery, storedRunsOfBuild } from './loops.ts'

// What a measured result says about how it should have been sampled (issue 13, docs/stats.md
// "Values per process"): its within- and between-process variance, what a process costs besides
// its values (start, imports, warm-ups) and what a value costs (from each process's recorded wall
// time and its values), the values per process that reach the same interval for the least machine time,
// and the machine time that allocation needs against the one measured.

/** A result's sampling judged from its own samples. */
export interface SamplingAdvice {
  readonly components: VarianceComponents
  readonly costs: SamplingCosts
  readonly allocation: Allocation
  /** Mean values per process the result was measured with. */
  readonly measuredValues: number
  /** Machine time of `allocation` for the same interval, as a fraction of the measured allocation's. */
  readonly timeRatio: number
}

/**
 * The sampling advice of a measured result, or null with the reason it cannot be given: fewer
 * than two processes of two values, no recorded wall time per process (`worker_wall_ms`, written
 * by `langperf run`; imported results lack it), or no positive value time.
 */
export function samplingAdvice(
  result: Pick<WorkloadResult, 'processes' | 'loops' | 'innerLoops' | 'outcome'>,
  bounds: AllocationBounds = DEFAULT_ALLOCATION_BOUNDS,
): SamplingAdvice | { readonly reason: string } {
  if (result.outcome.state !== 'measured') return { reason: 'not measured' }
  const components = varianceComponents(result.processes.map((p) => p.values))
  if (components === null) return { reason: 'fewer than two processes of two values' }
  const perValue = result.loops * Math.max(1, result.innerLoops)
  const valueTimes: number[] = []
  const overheads: number[] = []
  for (const p of result.processes) {
    const wallMs = p.metadata.worker_wall_ms
    if (typeof wallMs !== 'number' || !(wallMs > 0) || p.values.length === 0) continue
    // Everything but the values is paid once per process, its warm-ups included.
    const values = p.values.reduce((a, v) => a + v * perValue, 0)
    valueTimes.push(values / p.values.length)
    overheads.push(Math.max(0, wallMs / 1000 - values))
  }
  if (valueTimes.length === 0) return { reason: 'no wall time recorded per process (worker_wall_ms)' }
  const costs = { processS: median(overheads), valueS: median(valueTimes) }
  if (!(costs.valueS > 0)) return { reason: 'no positive value time' }
  const allocation = optimalValuesPerProcess(components, costs, bounds)
  const measuredValues = components.valuesPerProcess
  return {
    components,
    costs,
    allocation,
    measuredValues,
    timeRatio:
      relativeMachineTime(components, costs, allocation.values) /
      relativeMachineTime(components, costs, measuredValues),
  }
}

/** Newest runs read for their samples by storedSamplingAdvice. */
const ADVICE_RUNS_READ = 5

/**
 * Each workload's sampling advice from the newest stored result of build `identity` on `machine`
 * that gives one (same workload version when `versions` is given, same minimum value duration,
 * bisection runs and instruction counts left out): what `langperf run --values auto` allocates.
 */
export async function storedSamplingAdvice(
  store: BuildCatalog & RunReader,
  query: StoredLoopsQuery,
  bounds: AllocationBounds = DEFAULT_ALLOCATION_BOUNDS,
): Promise<ReadonlyMap<string, SamplingAdvice>> {
  const out = new Map<string, SamplingAdvice>()
  const runs = await storedRunsOfBuild(store, query, ADVICE_RUNS_READ, [INSTRUCTIONS_PRESET, WARMUP_PRESET])
  for (const run of runs) {
    for (const r of await store.getResults(run.id, { withSamples: true })) {
      if (out.has(r.workload.name)) continue
      if (query.versions && query.versions.get(r.workload.name) !== r.workload.version) continue
      const advice = samplingAdvice(r, bounds)
      if (!('reason' in advice)) out.set(r.workload.name, advice)
    }
  }
  return out
}
