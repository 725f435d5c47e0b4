import {
  growPair,
  growthSummary,
  PAIR_ROUND_PURPOSE,
  type PairGrowth,
  type PairRoundMeans,
} from '../analysis/index.ts'
import type { ClaimedJob, LangperfRunDocumentInput } from '../api/index.ts'
import { type JsonObject, LangperfError } from '../lib/index.ts'
import { processMeans } from '../model/index.ts'

// The adaptive pair on the farm (docs/farm.md, "Pairs"): after a commit's first round beside its
// reference, the workloads whose interval cannot yet tell a change of the pair threshold from none
// are measured again on both builds, interleaved, doubling their processes, within the budget the
// job carries — the nightly's own loop (analysis/growPair), here on the agent that holds both
// builds. Each round is uploaded as two runs of purpose `pair-round`: the reference's names the
// server's id of the reference run (`extends_run_id`); the commit's, whose own run the server
// stores only when the job completes, names the pair by that same reference run
// (`extends_candidate_of`), which is how detection adds it to the commit's side
// (analysis/paired.ts, withRounds).

/** One round's two documents, reference first, as `measureInto` answers them. */
export type RoundDocuments = readonly [LangperfRunDocumentInput, LangperfRunDocumentInput]

/** What growing a pair needs from the agent: measuring a round, uploading a run. */
export interface PairRoundsContext {
  /**
   * Measures `job` (its workloads and processes those of the round) on the pair's two builds,
   * interleaved at the first round's loop counts, every run carrying `metadata` beside its own.
   */
  readonly measure: (
    job: ClaimedJob,
    metadata: (index: number) => JsonObject,
    frozenLoops: Readonly<Record<string, number>>,
  ) => Promise<RoundDocuments>
  /** Uploads a run (stored once per content) and answers its id on the server. */
  readonly upload: (document: LangperfRunDocumentInput) => Promise<number>
  readonly log: (line: string) => void
  readonly signal: AbortSignal
}

/** The first round of a pair, as measured and stored. */
export interface FirstRound {
  readonly reference: LangperfRunDocumentInput
  readonly candidate: LangperfRunDocumentInput
  /** The server's id of the reference's run. */
  readonly referenceRunId: number
  /** Rounds at most, the first included, and the practical threshold (the job's `pair`). */
  readonly budget: number
  readonly threshold: number
}

/** Per-workload process means of a document's measured results. */
export function documentMeans(document: LangperfRunDocumentInput): Map<string, number[]> {
  const out = new Map<string, number[]>()
  for (const r of document.results ?? []) {
    if (r.outcome?.state !== 'measured') continue
    const means = processMeans(r.processes ?? [])
    if (means.length > 0) out.set(r.workload.name, means)
  }
  return out
}

/** The loop counts of a document's measured results, by workload. */
function documentLoops(document: LangperfRunDocumentInput): Record<string, number> {
  const out: Record<string, number> = {}
  for (const r of document.results ?? []) {
    if (r.outcome?.state === 'measured' && typeof r.loops === 'number' && r.loops >= 1)
      out[r.workload.name] = r.loops
  }
  return out
}

/**
 * Grows the pair of `job` from its first round: while a workload is undecided and the budget
 * allows, measures the undecided ones again on both builds and uploads both runs of the round.
 * Returns what the pair did; a round that fails throws (the job fails and is tried again).
 */
export async function growFarmPair(
  job: ClaimedJob,
  first: FirstRound,
  context: PairRoundsContext,
): Promise<PairGrowth> {
  const start: PairRoundMeans = {
    reference: documentMeans(first.reference),
    candidate: documentMeans(first.candidate),
  }
  const firstCounts = [...start.candidate.values()].map((xs) => xs.length)
  const loops = { ...documentLoops(first.reference), ...documentLoops(first.candidate) }
  const growth = await growPair(
    async (workloads, processes, round) => {
      const [reference, candidate] = await context.measure(
        { ...job, measure: { ...job.measure, workloads: [...workloads], processes } },
        (index) => ({
          purpose: PAIR_ROUND_PURPOSE,
          pair_round: round,
          pair_budget: first.budget,
          ...(index === 0
            ? { extends_run_id: first.referenceRunId }
            : { extends_candidate_of: first.referenceRunId }),
        }),
        loops,
      )
      await context.upload(reference)
      await context.upload(candidate)
      return { reference: documentMeans(reference), candidate: documentMeans(candidate) }
    },
    start,
    {
      budget: first.budget,
      startProcesses: Math.max(2, ...firstCounts),
      threshold: first.threshold,
      log: context.log,
      signal: context.signal,
    },
  )
  if (growth.interrupted)
    throw new LangperfError('unavailable', `Cannot finish job ${job.id}: stopped while its pair grew`)
  context.log(`  pair: ${growthSummary(growth, first.budget)}`)
  return growth
}
