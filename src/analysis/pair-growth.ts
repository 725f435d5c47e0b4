import { LangperfError, quote } from '../lib/index.ts'
import { DEFAULT_PAIR_THRESHOLD, type PairState, pairLookConfidence, pairState } from './paired.ts'
import { doublingRound, doublingTotal } from './rounds.ts'

// The nightly's adaptive pair (docs/nightly.md, "Reference pairs"). A new commit C is measured
// interleaved with its reference R; per workload the pair is a change, no change, or undecided at
// the practical threshold (analysis/paired.ts, pairState). An undecided workload — an interval
// too wide to rule out a change of the size that matters, as a pair of 6 processes on a noisy
// minute is (1.209× [0.975, 1.499]) — is measured again on both builds, interleaved, doubling its
// processes as bisection does (rounds.ts), until every workload is decided or the budget of rounds
// runs out; the answer says which workloads the budget left undecided.
//
// The world (interpreters, the store) sits behind PairMeasure, so the loop is tested with seeded
// synthetic builds (pair-growth.test.ts) and run for real by the nightly (pipeline/
// nightly-pair-rounds.ts) and by the farm's agent (agent/pair-rounds.ts).

/** Per-process means of one round: reference's and candidate's, by workload (a failed workload is absent). */
export interface PairRoundMeans {
  readonly reference: ReadonlyMap<string, readonly number[]>
  readonly candidate: ReadonlyMap<string, readonly number[]>
}

/**
 * Measures `workloads` on both builds of the pair, interleaved, `processes` processes each: the
 * i-th process mean of one side ran next to the i-th of the other.
 */
export type PairMeasure = (
  workloads: readonly string[],
  processes: number,
  round: number,
) => Promise<PairRoundMeans>

/** Knobs of an adaptive pair. */
export interface PairGrowthOptions {
  /** Rounds at most, the first included (`[nightly] pair_budget`; 1 = never grow). */
  readonly budget: number
  /** Processes each build had in the first round. */
  readonly startProcesses: number
  /** Practical threshold, |ratio − 1| (default DEFAULT_PAIR_THRESHOLD). */
  readonly threshold?: number
  readonly lowerIsBetter?: boolean
  /** The i-th processes of the two builds ran next to each other in every round (default true: PairMeasure's contract). */
  readonly interleaved?: boolean
  readonly log?: (line: string) => void
  /** Stops between rounds. */
  readonly signal?: AbortSignal
}

/** What the adaptive pair did. */
export interface PairGrowth {
  /** Rounds measured, the first included. */
  readonly rounds: number
  /** Each workload's state after the last round it was measured in. */
  readonly states: Readonly<Record<string, PairState>>
  /** Processes each build of the pair had per workload at the end. */
  readonly processes: Readonly<Record<string, number>>
  /** Workloads still undecided when the budget ran out (empty when it did not). */
  readonly undecided: readonly string[]
  readonly budgetExhausted: boolean
  /** Processes measured beyond the first round, summed over workloads and both builds. */
  readonly addedProcesses: number
  readonly interrupted: boolean
}

/** Default budget: three rounds, i.e. up to four times the first round's processes (bisection's `[bisect] repeats`). */
export const DEFAULT_PAIR_BUDGET = 3

/**
 * Grows a pair from its first round's means: while some workload is undecided and rounds are
 * left, measures those workloads again on both builds, doubling their processes.
 */
export async function growPair(
  measure: PairMeasure,
  first: PairRoundMeans,
  options: PairGrowthOptions,
): Promise<PairGrowth> {
  const { budget, startProcesses } = options
  for (const [label, v, min] of [
    ['budget', budget, 1],
    ['startProcesses', startProcesses, 2],
  ] as const) {
    if (!Number.isInteger(v) || v < min) {
      throw new LangperfError(
        'bad-input',
        `Cannot grow a pair with ${label} ${quote(v)}: expected an integer ≥ ${min}`,
      )
    }
  }
  const threshold = options.threshold ?? DEFAULT_PAIR_THRESHOLD
  const reference = new Map<string, number[]>()
  const candidate = new Map<string, number[]>()
  const add = (got: PairRoundMeans) => {
    for (const [w, xs] of got.reference) reference.set(w, [...(reference.get(w) ?? []), ...xs])
    for (const [w, xs] of got.candidate) candidate.set(w, [...(candidate.get(w) ?? []), ...xs])
  }
  add(first)
  const workloads = [...new Set([...first.reference.keys()].filter((w) => first.candidate.has(w)))]
  const states: Record<string, PairState> = {}
  const processes: Record<string, number> = {}
  const judge = (w: string) => {
    states[w] = pairState(reference.get(w) ?? [], candidate.get(w) ?? [], {
      lowerIsBetter: options.lowerIsBetter ?? true,
      threshold,
      interleaved: options.interleaved ?? true,
      // Up to `budget` looks at the same pair: each at α/budget (pairLookConfidence).
      confidence: pairLookConfidence(budget),
    }).state
    processes[w] = Math.min(reference.get(w)?.length ?? 0, candidate.get(w)?.length ?? 0)
  }
  for (const w of workloads) judge(w)
  let rounds = 1
  let addedProcesses = 0
  let interrupted = false
  let measured = startProcesses
  for (;;) {
    const undecided = workloads.filter((w) => states[w] === 'undecided')
    if (undecided.length === 0 || rounds >= budget) break
    if (options.signal?.aborted) {
      interrupted = true
      break
    }
    rounds++
    const more = doublingRound(rounds, startProcesses, measured)
    options.log?.(
      `  pair undecided for ${undecided.join(', ')}: round ${rounds} of ${budget}, ${more} more processes each`,
    )
    add(await measure(undecided, more, rounds))
    measured += more
    addedProcesses += 2 * more * undecided.length
    for (const w of undecided) judge(w)
  }
  const undecided = workloads.filter((w) => states[w] === 'undecided')
  return {
    rounds,
    states,
    processes,
    undecided: interrupted ? [] : undecided,
    budgetExhausted: !interrupted && undecided.length > 0,
    addedProcesses,
    interrupted,
  }
}

/**
 * How each workload of a grown pair ended, and whether the budget ran out, for a log line (the
 * nightly's and the farm agent's): "nbody change (12 processes), go no-change (6 processes)".
 */
export function growthSummary(growth: PairGrowth, budget: number): string {
  const decided = Object.entries(growth.states)
    .map(([w, s]) => `${w} ${s} (${growth.processes[w]} processes)`)
    .join(', ')
  return `${decided}${growth.budgetExhausted ? `; budget of ${budget} rounds ran out with ${growth.undecided.join(', ')} undecided` : ''}`
}

/** Processes per build a budget of `rounds` allows, from `start` (for messages and docs). */
export function pairBudgetProcesses(rounds: number, start: number): number {
  return doublingTotal(rounds, start)
}
