import {
  growPair,
  growthSummary,
  PAIR_ROUND_PURPOSE,
  type PairGrowth,
  type PairMeasure,
} from '../analysis/index.ts'
import type { JsonObject } from '../lib/index.ts'
import type { BuildSpec, WorkloadDefinition } from '../model/index.ts'
import type { Interpreter } from '../runner/index.ts'
import { Interrupted, type NightlyContext } from './nightly-context.ts'
import type { CommitJob, ReferencePrepared } from './nightly-reference.ts'
import { buildMetadata, measureBuilds, pickWorkloads, presetOf, type World } from './world.ts'

// The rounds of an adaptive pair (pair.ts) after a new commit's first measurement beside its
// reference: the undecided workloads measured again on both builds, their processes doubling.

/** The first round of a pair, as measured, and what its later rounds measure again. */
export interface PairFirstRound {
  readonly reference: ReferencePrepared
  readonly interpreter: Interpreter
  readonly spec: BuildSpec
  readonly workloads: readonly WorkloadDefinition[]
  readonly outcome: Awaited<ReturnType<typeof measureBuilds>>
  readonly metadata: JsonObject
}

/**
 * Grows the pair just measured (pair.ts): the workloads whose interval cannot yet tell a change of
 * the practical threshold from none are measured again on both builds, interleaved, doubling
 * their processes, within `[nightly] pair_budget` rounds. Each round stores one run per build of
 * purpose `pair-round` naming the run it extends; detection adds their processes to the pair.
 * Returns the step journal's account: rounds, processes, states, and where the budget ran out.
 */
export async function growReferencePair(
  context: NightlyContext,
  job: CommitJob,
  first: PairFirstRound,
): Promise<JsonObject> {
  const { world, options } = context
  const sampling = options.sampling ?? {}
  const budget = options.pairBudget ?? world.config.nightly.pairBudget
  const threshold = options.pairThreshold ?? world.config.nightly.pairThreshold
  const { outcome } = first
  // The first round's processes per build, as measured (the preset's, plain or JIT).
  const firstCounts = [...(outcome.means.get(1)?.values() ?? [])].map((xs) => xs.length)
  const startProcesses =
    firstCounts.length > 0 ? Math.max(2, ...firstCounts) : presetOf(sampling).plain.processes
  const roundRunIds: number[] = []
  const growth = await growPair(
    roundMeasure(context, { job, first, budget, roundRunIds }),
    { reference: outcome.means.get(0) ?? new Map(), candidate: outcome.means.get(1) ?? new Map() },
    {
      budget,
      startProcesses,
      threshold,
      log: world.log,
      ...(world.signal ? { signal: world.signal } : {}),
    },
  )
  if (growth.interrupted) throw new Interrupted('interrupted')
  logGrowth(world, growth, budget)
  return {
    rounds: growth.rounds,
    budget,
    threshold,
    states: { ...growth.states },
    processes: { ...growth.processes },
    undecided: [...growth.undecided],
    budgetExhausted: growth.budgetExhausted,
    addedProcesses: growth.addedProcesses,
    roundRunIds,
  }
}

/**
 * How one later round of the pair is measured: both builds at the first round's loop counts, one
 * run each of purpose `pair-round` naming the run it extends; their ids go to `roundRunIds`.
 */
function roundMeasure(
  context: NightlyContext,
  pair: {
    readonly job: CommitJob
    readonly first: PairFirstRound
    readonly budget: number
    readonly roundRunIds: number[]
  },
): PairMeasure {
  const { world, options } = context
  const { job, first, budget, roundRunIds } = pair
  const { reference, outcome } = first
  const sampling = options.sampling ?? {}
  const [referenceRunId, candidateRunId] = outcome.runIds
  const loops = { ...(reference.frozenLoops ?? {}), ...outcome.loops }
  return async (names, processes, round) => {
    const o = await measureBuilds(world, {
      interpreters: [reference.interpreter, first.interpreter],
      builds: [reference.spec, first.spec],
      workloads: pickWorkloads(first.workloads, names),
      preset: presetOf(sampling, processes),
      suite: job.suite,
      timeoutMs: sampling.timeoutMs ?? 600_000,
      metadata: first.metadata,
      runMetadata: (index, group) => ({
        ...(index === 0 ? buildMetadata(reference.artifact) : {}),
        purpose: PAIR_ROUND_PURPOSE,
        pair_round: round,
        pair_budget: budget,
        pair_group: group.groupId,
        extends_run_id: (index === 0 ? referenceRunId : candidateRunId) ?? null,
      }),
      frozenLoops: loops,
    })
    roundRunIds.push(...o.runIds)
    for (const f of o.failures) world.log(`  failed: ${f}`)
    if (o.status === 'interrupted') throw new Interrupted('interrupted')
    return { reference: o.means.get(0) ?? new Map(), candidate: o.means.get(1) ?? new Map() }
  }
}

/** Logs how each workload of the pair ended, and whether the budget ran out. */
function logGrowth(world: World, growth: PairGrowth, budget: number): void {
  world.log(`  pair: ${growthSummary(growth, budget)}`)
}
