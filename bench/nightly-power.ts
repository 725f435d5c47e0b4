// How often the nightly flags a single-workload step, and how often it raises a false alert, on
// noise resampled from real runs — through the product's own path: runs stored in a real SQLite
// store as the nightly stores them (a chain of interleaved pairs, pair rounds included), the
// adaptive pair's loop (pipeline/pair.ts, growPair) and the detection use case (detectAndRecord:
// the change-point detector, the pair rule and pairRaisedChanges). Nothing here re-implements a
// decision.
//
//   node --import tsx bench/nightly-power.ts [--data DIR] [--trials 200] [--seed 1]
//        [--processes 6] [--history 10] [--scales 1,8] [--after 1]
//
// DIR (or $LANGPERF_SHARED_DATA/cpython-pyperformance-pythonperf2, default
// ../shared/data/cpython-pyperformance-pythonperf2) holds raw_values.jsonl: per benchmark and
// run, the values of each worker process. From it, per benchmark:
//   - within-pair noise: each process mean's log residual from its run's mean log;
//   - between-build noise: half-differences (÷√2, random sign) of consecutive runs' mean logs —
//     real steps included, so it is pessimistic.
// A trial picks two benchmarks at random, one stepped and one not. Night i measures build i with
// build i − 1 interleaved (the first build beside itself, as the nightly does); both runs of a
// night share its between-build draw (interleaving cancels the night's drift, which is what pairs
// are for), and every process mean gets its own within-pair draw, multiplied by `scale` (1: the
// quiet dedicated machine the data come from; 8: about the 10 % process spread of a shared 2-core
// VM, docs/stats.md, "Noise on the project's machines"). `history` nights at the old level, then the step at build `history`, then one
// more night. "Flagged within one night": after the night of the step, a commit alert (provisional
// or confirmed) on the stepped workload whose blame range holds the step; "within two": the same
// after the next night; "at the end": the same after `after` nights from the step on (a true step
// neither withdrawn nor retracted by the passes since). False alerts: A/A trials (no step), every
// commit change recorded over the whole history, per 1,000 workload-builds judged; "open" counts those still provisional or
// confirmed after `after` nights past the step, detection run after each (as the nightly does),
// so a change a later pass withdrew (the pair-raised one the builds since contradict) is out.
//
// What it leaves out: the draws of the two builds of a pair are independent, so it has none of the
// load a shared machine puts on neighbouring processes alike, which the process-by-process
// comparison cancels (docs/nightly.md, "Adaptive pairs"); on such a machine the pairs do better
// than printed here for the same process spread.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import {
  detectAndRecord,
  growPair,
  PAIR_ROUND_PURPOSE,
  type PairRoundMeans,
  REFERENCE_PURPOSE,
} from '../src/analysis/index.ts'
import { createRng, type Rng } from '../src/lib/index.ts'
import type { RunWithResults, WorkloadResult } from '../src/model/index.ts'
import { exampleEnvironment, exampleFingerprint, openSqliteStore, type Store } from '../src/store/index.ts'

const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    trials: { type: 'string', default: '200' },
    seed: { type: 'string', default: '1' },
    processes: { type: 'string', default: '6' },
    history: { type: 'string', default: '10' },
    scales: { type: 'string', default: '1,8' },
    budget: { type: 'string', default: '3' },
    after: { type: 'string', default: '1' },
  },
})

function positiveInt(name: string, text: string | undefined): number {
  const v = Number(text)
  if (!Number.isInteger(v) || v < 1)
    throw new Error(`Cannot run: expected a positive integer for --${name}, found "${text}"`)
  return v
}
const TRIALS = positiveInt('trials', values.trials)
const PROCESSES = Math.max(2, positiveInt('processes', values.processes))
const HISTORY = Math.max(4, positiveInt('history', values.history))
const BUDGET = positiveInt('budget', values.budget)
const AFTER = positiveInt('after', values.after)
const SEED = positiveInt('seed', values.seed)
const SCALES = (values.scales ?? '1').split(',').map((s) => {
  const v = Number(s)
  if (!(v > 0 && Number.isFinite(v)))
    throw new Error(`Cannot run: expected positive numbers for --scales, found "${s}"`)
  return v
})
const DATA =
  values.data ??
  join(
    process.env.LANGPERF_SHARED_DATA ?? new URL('../../shared/data', import.meta.url).pathname,
    'cpython-pyperformance-pythonperf2',
  )

/** Per benchmark: log residuals of process means within a run, and half-differences of consecutive runs. */
interface Noise {
  readonly within: readonly number[]
  readonly between: readonly number[]
}

function loadNoise(dir: string): Map<string, Noise> {
  const byBench = new Map<string, { run: string; logs: number[] }[]>()
  for (const line of readFileSync(join(dir, 'raw_values.jsonl'), 'utf8').split('\n')) {
    if (!line.trim()) continue
    const row = JSON.parse(line) as { run_id?: unknown; benchmark?: unknown; values?: unknown }
    if (typeof row.run_id !== 'string' || typeof row.benchmark !== 'string' || !Array.isArray(row.values))
      continue
    const logs: number[] = []
    for (const p of row.values) {
      if (
        !Array.isArray(p) ||
        p.length === 0 ||
        !p.every((x) => typeof x === 'number' && x > 0 && Number.isFinite(x))
      )
        continue
      logs.push(Math.log(p.reduce((a: number, b: number) => a + b, 0) / p.length))
    }
    if (logs.length < 2) continue
    const list = byBench.get(row.benchmark) ?? []
    list.push({ run: row.run_id, logs })
    byBench.set(row.benchmark, list)
  }
  const out = new Map<string, Noise>()
  for (const [bench, runs] of byBench) {
    if (runs.length < 5) continue
    runs.sort((a, b) => a.run.localeCompare(b.run)) // run ids start with the run's date
    const within: number[] = []
    const means = runs.map((r) => r.logs.reduce((a, b) => a + b, 0) / r.logs.length)
    runs.forEach((r, i) => {
      for (const x of r.logs) within.push(x - means[i]!)
    })
    const between: number[] = []
    for (let i = 1; i < means.length; i++) between.push((means[i]! - means[i - 1]!) / Math.SQRT2)
    out.set(bench, { within, between })
  }
  return out
}

const ENV = exampleEnvironment(exampleFingerprint({ hostname: 'sim' }))
const sha = (i: number) => `${i.toString(16).padStart(8, '0')}${'5eed00'.repeat(5)}00`
const day = (i: number) => new Date(Date.UTC(2024, 0, 1 + i, 3)).toISOString()
const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)] as T

function result(name: string, means: readonly number[]): WorkloadResult {
  return {
    workload: { name, version: 'v1' },
    unit: 'second',
    loops: 1,
    innerLoops: 1,
    processes: means.map((m) => ({ warmups: [], values: [m], metadata: {} })),
    outcome: { state: 'measured' },
    metadata: {},
  }
}

function run(
  i: number,
  results: readonly WorkloadResult[],
  metadata: RunWithResults['run']['metadata'],
  group: string | null,
): RunWithResults {
  return {
    run: {
      machine: 'sim',
      environment: ENV,
      build: {
        runtime: 'cpython',
        version: '3.14.0a1+',
        config: 'default',
        commitSha: sha(i),
        commitDateUtc: day(i),
        branch: 'main',
        mergeBase: null,
        identity: `cpython:${sha(i)}:default`,
        interpreter: null,
        metadata: {},
      },
      suite: 'sim',
      preset: 'fast',
      harnessVersion: 'langperf-harness protocol 1',
      source: 'langperf',
      startedAt: day(i).replace('T03', 'T05'),
      groupId: group,
      metadata,
    },
    status: 'complete',
    finishedAt: null,
    results: [...results],
  }
}

interface Trial {
  readonly flagged1: boolean
  readonly flagged2: boolean
  /** Still flagged after the last night (`after` nights from the step on): not withdrawn or retracted since. */
  readonly flaggedEnd: boolean
  /** Commit changes recorded on the unstepped workload, or on any when there is no step. */
  readonly falseChanges: number
  /** Of them, those still provisional or confirmed at the end. */
  readonly falseOpen: number
  readonly judged: number
  readonly firstRound: number
  readonly added: number
}

async function trial(
  rng: Rng,
  noise: Map<string, Noise>,
  scale: number,
  step: number,
  budget: number,
): Promise<Trial> {
  const names = [...noise.keys()]
  const stepped = pick(rng, names)
  let other = pick(rng, names)
  while (other === stepped) other = pick(rng, names)
  const workloads = [stepped, other]
  const level = (w: string, build: number) => (w === stepped && build >= HISTORY ? step : 1)
  const draw = (w: string, build: number, nightOffset: number, n: number) =>
    Array.from(
      { length: n },
      () => 0.1 * level(w, build) * Math.exp(nightOffset + scale * pick(rng, noise.get(w)!.within)),
    )
  const store: Store = await openSqliteStore(':memory:')
  let firstRound = 0
  let added = 0
  const night = async (i: number) => {
    const offsets = new Map(
      workloads.map((w) => [w, pick(rng, noise.get(w)!.between) * (rng() < 0.5 ? -1 : 1)]),
    )
    const refBuild = i === 0 ? 0 : i - 1
    const group = `night-${i}`
    const ref = new Map(workloads.map((w) => [w, draw(w, refBuild, offsets.get(w)!, PROCESSES)]))
    const cand = new Map(workloads.map((w) => [w, draw(w, i, offsets.get(w)!, PROCESSES)]))
    const [refId] = await store.insertRuns([
      run(
        refBuild,
        workloads.map((w) => result(w, ref.get(w)!)),
        { purpose: REFERENCE_PURPOSE, pair_group: group, interleaved: true },
        group,
      ),
    ])
    const [candId] = await store.insertRuns([
      run(
        i,
        workloads.map((w) => result(w, cand.get(w)!)),
        i === 0
          ? { purpose: 'nightly', beside_itself: true, interleaved: true }
          : {
              purpose: 'nightly',
              reference_run_id: refId!,
              pair_group: group,
              interleaved: true,
              pair_budget: budget,
            },
        group,
      ),
    ])
    firstRound += 2 * PROCESSES * workloads.length
    if (i === 0) return
    const g = await growPair(
      async (names, n, round) => {
        const r = new Map(names.map((w) => [w, draw(w, refBuild, offsets.get(w)!, n)]))
        const c = new Map(names.map((w) => [w, draw(w, i, offsets.get(w)!, n)]))
        const meta = (extends_run_id: number) => ({
          purpose: PAIR_ROUND_PURPOSE,
          pair_round: round,
          extends_run_id,
        })
        await store.insertRuns([
          run(
            refBuild,
            names.map((w) => result(w, r.get(w)!)),
            meta(refId!),
            `${group}-${round}`,
          ),
        ])
        await store.insertRuns([
          run(
            i,
            names.map((w) => result(w, c.get(w)!)),
            meta(candId!),
            `${group}-${round}`,
          ),
        ])
        return { reference: r, candidate: c } satisfies PairRoundMeans
      },
      { reference: ref, candidate: cand },
      { budget, startProcesses: PROCESSES },
    )
    added += g.addedProcesses
  }
  for (let i = 0; i <= HISTORY; i++) await night(i)
  const flaggedNow = async () => {
    const alerts = (await store.listAlerts({ kind: 'commit' })).rows
    for (const a of alerts) {
      const d = await store.getAlert(a.id)
      const good = Number.parseInt(a.lastGoodCommit.slice(0, 8), 16)
      const bad = Number.parseInt(a.firstBadCommit.slice(0, 8), 16)
      if (
        good < HISTORY &&
        HISTORY <= bad &&
        d?.changes.some(
          (c) => c.series.workload === stepped && c.status !== 'withdrawn' && c.direction === 'regression',
        )
      )
        return true
    }
    return false
  }
  await detectAndRecord(store)
  const flagged1 = step !== 1 && (await flaggedNow())
  await night(HISTORY + 1)
  await detectAndRecord(store)
  const flagged2 = step !== 1 && (await flaggedNow())
  for (let i = HISTORY + 2; i <= HISTORY + AFTER; i++) {
    await night(i)
    await detectAndRecord(store)
  }
  const flaggedEnd = step !== 1 && (await flaggedNow())
  const changes = (
    await store.listChanges({ status: ['provisional', 'confirmed', 'withdrawn'] })
  ).rows.filter((c) => c.kind === 'commit' && (step === 1 || c.series.workload !== stepped))
  await store.close()
  return {
    flagged1,
    flagged2,
    flaggedEnd,
    falseChanges: changes.length,
    falseOpen: changes.filter((c) => c.status !== 'withdrawn').length,
    judged: (HISTORY + AFTER) * (step === 1 ? 2 : 1),
    firstRound,
    added,
  }
}

const noise = loadNoise(DATA)
const spread = (xs: readonly number[]) => {
  const s = [...xs].map(Math.abs).sort((a, b) => a - b)
  return 1.4826 * (s[Math.floor(s.length / 2)] ?? Number.NaN)
}
const allWithin = [...noise.values()].flatMap((n) => n.within)
const allBetween = [...noise.values()].flatMap((n) => n.between)
console.log(
  `${noise.size} benchmarks from ${DATA}: within-pair process spread ${(100 * spread(allWithin)).toFixed(2)} %, between-build ${(100 * spread(allBetween)).toFixed(2)} % (robust σ of logs)`,
)
console.log(
  `${TRIALS} trials per row, ${PROCESSES} processes a build in the first round, ${HISTORY} nights before the step and ${AFTER} from it on, seed ${SEED}`,
)
const pct = (k: number, n: number) => `${((100 * k) / n).toFixed(1)} %`
for (const scale of SCALES) {
  console.log(
    `\nwithin-pair noise × ${scale} (process spread ≈ ${(100 * scale * spread(allWithin)).toFixed(1)} %)`,
  )
  console.log(
    'pairs                      | 10 %: 1 night | 2 nights | at the end | 20 %: 1 night | 2 nights | at the end | false alerts / 1,000 builds (open at the end) | processes added',
  )
  for (const [label, budget] of [
    [`adaptive (budget ${BUDGET})`, BUDGET],
    ['fixed (budget 1)', 1],
  ] as const) {
    const cells: string[] = []
    let first = 0
    let added = 0
    for (const step of [1.1, 1.2]) {
      const rng = createRng(SEED * 1000 + Math.round(step * 100) + Math.round(scale * 7))
      let f1 = 0
      let f2 = 0
      let fEnd = 0
      for (let t = 0; t < TRIALS; t++) {
        const r = await trial(rng, noise, scale, step, budget)
        f1 += r.flagged1 ? 1 : 0
        f2 += r.flagged2 ? 1 : 0
        fEnd += r.flaggedEnd ? 1 : 0
        first += r.firstRound
        added += r.added
      }
      cells.push(pct(f1, TRIALS), pct(f2, TRIALS), pct(fEnd, TRIALS))
    }
    const rng = createRng(SEED * 1000 + 1 + Math.round(scale * 7))
    let falseChanges = 0
    let falseOpen = 0
    let judged = 0
    for (let t = 0; t < TRIALS; t++) {
      const r = await trial(rng, noise, scale, 1, budget)
      falseChanges += r.falseChanges
      falseOpen += r.falseOpen
      judged += r.judged
      first += r.firstRound
      added += r.added
    }
    console.log(
      `${label.padEnd(26)} | ${cells[0]!.padStart(13)} | ${cells[1]!.padStart(8)} | ${cells[2]!.padStart(10)} | ${cells[3]!.padStart(13)} | ${cells[4]!.padStart(8)} | ${cells[5]!.padStart(10)} | ${`${((1000 * falseChanges) / judged).toFixed(1)} (${((1000 * falseOpen) / judged).toFixed(1)})`.padStart(45)} | +${pct(added, first)}`,
    )
  }
}
