import assert from 'node:assert/strict'
import { test } from 'node:test'
import { PAIR_ROUND_PURPOSE } from '../analysis/index.ts'
import { type ClaimedJob, exampleRunDocument, type LangperfRunDocumentInput } from '../api/index.ts'
import type { JsonObject } from '../lib/index.ts'
import { documentMeans, growFarmPair, type RoundDocuments } from './pair-rounds.ts'

// The agent grows a pair as the nightly does, with the world behind two callbacks: measuring a
// round on both builds and uploading a run. These fakes answer documents whose process means are
// set per workload, so which workloads each round measures, and what each run says it extends,
// are checked without building anything.

const job = {
  id: 'job-7',
  key: { suite: 'default' },
  measure: { workloads: [], preset: 'fast' },
} as unknown as ClaimedJob

/** A document whose workload `w` has the process means `means[w]` (one value per process). */
function documentOf(means: Readonly<Record<string, readonly number[]>>, loops = 4): LangperfRunDocumentInput {
  const d = exampleRunDocument({ workloads: Object.keys(means) })
  return {
    ...d,
    results: (d.results ?? []).map((r) => ({
      ...r,
      loops,
      outcome: { state: 'measured' as const },
      processes: (means[r.workload.name] ?? []).map((m) => ({ warmups: [], values: [m], metadata: {} })),
    })),
  }
}

/** n process means around `level`, spread ± `spread` (deterministic, alternating). */
const around = (level: number, n: number, spread: number, shift = 0) =>
  Array.from({ length: n }, (_, i) => level * (1 + (spread * ((((i + shift) * 7) % 5) - 2)) / 2))

test('the agent measures the undecided workloads again, doubling, and names what each round extends', async () => {
  // steady: the same on both builds, precisely: no change. noisy: 6 processes ± 30 %: undecided;
  // its later rounds are precise and 30 % slower on the commit.
  const first = {
    reference: documentOf({ steady: around(0.1, 6, 0.002), noisy: around(0.2, 6, 0.3) }),
    candidate: documentOf({ steady: around(0.1, 6, 0.002, 1), noisy: around(0.26, 6, 0.3, 2) }),
    referenceRunId: 77,
    budget: 3,
    threshold: 0.1,
  }
  const rounds: {
    workloads: readonly string[]
    processes: number | undefined
    meta: JsonObject[]
    loops: object
  }[] = []
  const uploaded: LangperfRunDocumentInput[] = []
  const growth = await growFarmPair(job, first, {
    measure: async (round, metadata, frozenLoops) => {
      const n = round.measure.processes ?? 0
      rounds.push({
        workloads: round.measure.workloads,
        processes: round.measure.processes,
        meta: [metadata(0), metadata(1)],
        loops: frozenLoops,
      })
      const side = (level: number, index: number, shift: number): LangperfRunDocumentInput => {
        const d = documentOf(
          Object.fromEntries(round.measure.workloads.map((w) => [w, around(level, n, 0.004, shift)])),
        )
        return { ...d, run: { ...d.run, metadata: metadata(index) } }
      }
      return [side(0.2, 0, 0), side(0.26, 1, 1)] satisfies RoundDocuments
    },
    upload: async (d) => {
      uploaded.push(d)
      return 100 + uploaded.length
    },
    log: () => {},
    signal: new AbortController().signal,
  })
  assert.deepEqual(
    rounds.map((r) => [r.workloads, r.processes]),
    [[['noisy'], 6]],
    'one more round of the undecided workload, as many processes as the first',
  )
  assert.deepEqual(rounds[0]?.loops, { steady: 4, noisy: 4 }, "at the first round's loop counts")
  assert.deepEqual(rounds[0]?.meta, [
    { purpose: PAIR_ROUND_PURPOSE, pair_round: 2, pair_budget: 3, extends_run_id: 77 },
    { purpose: PAIR_ROUND_PURPOSE, pair_round: 2, pair_budget: 3, extends_candidate_of: 77 },
  ])
  assert.equal(uploaded.length, 2, 'both runs of the round uploaded')
  assert.deepEqual(
    uploaded.map((d) => (d.run.metadata as JsonObject | undefined)?.purpose),
    [PAIR_ROUND_PURPOSE, PAIR_ROUND_PURPOSE],
  )
  assert.equal(growth.rounds, 2)
  assert.deepEqual(growth.states, { steady: 'no-change', noisy: 'change' })
  assert.deepEqual(growth.processes, { steady: 6, noisy: 12 })
})

test('a budget of one round measures nothing more, and a stopped agent gives the job up', async () => {
  const first = {
    reference: documentOf({ noisy: around(0.2, 6, 0.3) }),
    candidate: documentOf({ noisy: around(0.26, 6, 0.3, 2) }),
    referenceRunId: 5,
    budget: 1,
    threshold: 0.1,
  }
  let measured = 0
  const context = {
    measure: async (): Promise<RoundDocuments> => {
      measured++
      return [first.reference, first.candidate]
    },
    upload: async () => 1,
    log: () => {},
    signal: new AbortController().signal,
  }
  const one = await growFarmPair(job, first, context)
  assert.equal(measured, 0)
  assert.deepEqual(one.undecided, ['noisy'])
  const stop = new AbortController()
  stop.abort()
  await assert.rejects(
    () => growFarmPair(job, { ...first, budget: 3 }, { ...context, signal: stop.signal }),
    /stopped while its pair grew/,
  )
})

test('documentMeans() reads each measured workload as the mean of each process', () => {
  const d = documentOf({ a: [1, 2, 3] })
  assert.deepEqual([...documentMeans(d)], [['a', [1, 2, 3]]])
  const failed = { ...d, results: (d.results ?? []).map((r) => ({ ...r, outcome: { state: 'skipped' } })) }
  assert.deepEqual([...documentMeans(failed as LangperfRunDocumentInput)], [])
})
