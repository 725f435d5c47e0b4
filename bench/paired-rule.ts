// What the nightly's reference pairs do to the morning's alerts, on synthetic nightly histories
// through the real store and detectAndRecord (docs/stats.md, "From detection to alerts").
//
//   node --import tsx bench/paired-rule.ts [--trials 100] [--seed 1] [--processes 20]
//
// Each trial is 30 nights of one branch and config with two workloads (a at 0.1 s, b at 0.2 s),
// then the newest night. Every night the machine drifts: each run of that night is multiplied by
// exp(σ_night·z + σ_workload·z_w), the same factor for both builds of the night's pair (they run
// interleaved), a new one the next night. Within a run, process means spread 5 % (log-normal), 20
// processes × 3 values (the default preset). Two ways of measuring the same nights:
//   - alone: one run per night (`[nightly] reference = "none"`, the nightly before pairs);
//   - pairs: each night also re-measures the previous night's build, interleaved (`"previous"`),
//     the pair judging the newest build's step (the default: reference runs stay out of the
//     detector's history);
//   - pairs, merged: the same, with the reference runs also merged into the detector's history.
// Scenarios: a quiet machine (σ 1 %); one quiet but for bursts on 10 % of nights (another job:
// σ 15 %, about the +24 % seen in docs/real-cpython.md between runs minutes apart); one with
// steady large drift (σ 8 %). Each with no change (A/A) and with a 10 % slowdown of workload a
// at the newest build. Printed per scenario and mode, over trials × 2 workloads: how often the
// newest build is alerted on (and how often as confirmed), how many detected steps a pair
// dismissed, and how many alerts fall on older builds (history).
import { parseArgs } from 'node:util'
import { detectAndRecord, REFERENCE_PURPOSE } from '../src/analysis/index.ts'
import { createRng, type Rng } from '../src/lib/index.ts'
import type { RunWithResults, WorkloadResult } from '../src/model/index.ts'
import { exampleEnvironment, exampleFingerprint, openSqliteStore, type Store } from '../src/store/index.ts'

const { values } = parseArgs({
  options: {
    trials: { type: 'string', default: '100' },
    seed: { type: 'string', default: '1' },
    processes: { type: 'string', default: '20' },
  },
})
const TRIALS = Number(values.trials)
const PROCESSES = Number(values.processes)
const NIGHTS = 30
const LEVELS = { a: 0.1, b: 0.2 } as const
const PROCESS_SPREAD = 0.05

const ENV = exampleEnvironment(exampleFingerprint({ hostname: 'sim' }))

function normal(rng: Rng): number {
  const u = Math.max(rng(), 1e-12)
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng())
}

const sha = (i: number) => `${i.toString(16).padStart(8, '0')}${'5eed00'.repeat(5)}00`
const day = (i: number) => new Date(Date.UTC(2024, 0, 1 + i, 3)).toISOString()

function result(rng: Rng, name: string, level: number): WorkloadResult {
  return {
    workload: { name, version: 'v1' },
    unit: 'second',
    loops: 1,
    innerLoops: 1,
    processes: Array.from({ length: PROCESSES }, () => {
      const m = level * Math.exp(PROCESS_SPREAD * normal(rng))
      return { warmups: [], values: [0, 1, 2].map(() => m * (1 + 0.01 * normal(rng))), metadata: {} }
    }),
    outcome: { state: 'measured' },
    metadata: {},
  }
}

function run(
  rng: Rng,
  build: number,
  levels: Readonly<Record<string, number>>,
  factors: Readonly<Record<string, number>>,
  metadata: RunWithResults['run']['metadata'],
  groupId: string | null,
): RunWithResults {
  return {
    run: {
      machine: 'sim',
      environment: ENV,
      build: {
        runtime: 'sim',
        version: '1',
        config: 'default',
        commitSha: sha(build),
        commitDateUtc: day(build),
        branch: 'main',
        mergeBase: null,
        identity: `sim:${sha(build)}:default`,
        interpreter: null,
        metadata: {},
      },
      suite: 'quick',
      preset: 'default',
      harnessVersion: 'langperf-harness protocol 1',
      source: 'langperf',
      startedAt: day(build),
      groupId,
      metadata,
    },
    status: 'complete',
    finishedAt: null,
    results: Object.entries(levels).map(([w, level]) => result(rng, w, level * (factors[w] ?? 1))),
  }
}

interface Scenario {
  readonly name: string
  readonly nightSigma: number
  /** Share of nights with a burst of drift (another job on the machine), and its size. */
  readonly burstShare: number
  readonly burstSigma: number
  readonly step: number
}

/**
 * alone: one run a night; pairs: with reference runs, used as pairs only (the default);
 * pairs, merged: reference runs also merged into the detector's history (`referencesInHistory`).
 */
const MODES = ['alone', 'pairs', 'pairs, merged'] as const
type Mode = (typeof MODES)[number]

interface Tally {
  newestRaised: number
  newestConfirmed: number
  stepFound: number
  dismissed: number
  historyAlerts: number
  series: number
}

async function trial(seed: number, scenario: Scenario, mode: Mode, tally: Tally): Promise<void> {
  const pairs = mode !== 'alone'
  // The same seed for both modes: the same nights, the same drift, the same processes of C.
  const rng = createRng(seed)
  const drift = createRng(seed ^ 0x9e3779b9)
  const store: Store = await openSqliteStore(':memory:')
  try {
    let previous: Record<string, number> = { ...LEVELS }
    for (let i = 0; i <= NIGHTS; i++) {
      const burst = drift() < scenario.burstShare ? scenario.burstSigma * normal(drift) : 0
      const common = scenario.nightSigma * normal(drift) + burst
      const factors: Record<string, number> = {}
      for (const w of Object.keys(LEVELS))
        factors[w] = Math.exp(common + 0.3 * scenario.nightSigma * normal(drift))
      const levels: Record<string, number> =
        i === NIGHTS ? { ...LEVELS, a: LEVELS.a * (1 + scenario.step) } : { ...LEVELS }
      if (pairs && i > 0) {
        const group = `pair-${i}`
        const refRng = createRng((seed * 31 + i) >>> 0)
        const [ref] = await store.insertRuns([
          run(refRng, i - 1, previous, factors, { purpose: REFERENCE_PURPOSE, pair_group: group }, group),
        ])
        await store.insertRuns([
          run(
            rng,
            i,
            levels,
            factors,
            { purpose: 'nightly', reference_run_id: ref!, pair_group: group },
            group,
          ),
        ])
      } else {
        await store.insertRuns([run(rng, i, levels, factors, { purpose: 'nightly' }, null)])
      }
      previous = levels
    }
    const report = await detectAndRecord(store, mode === 'pairs, merged' ? { referencesInHistory: true } : {})
    tally.series += Object.keys(LEVELS).length
    tally.dismissed += report.dismissedByPair.length
    for (const alert of report.newAlerts) {
      if (alert.kind !== 'commit') continue
      for (const c of alert.changes) {
        if (alert.firstBadCommit === sha(NIGHTS)) {
          tally.newestRaised++
          if (c.status === 'confirmed') tally.newestConfirmed++
          if (scenario.step !== 0 && c.series.workload === 'a' && c.direction === 'regression')
            tally.stepFound++
        } else tally.historyAlerts++
      }
    }
  } finally {
    await store.close()
  }
}

const scenarios: Scenario[] = [
  { name: 'quiet, A/A', nightSigma: 0.01, burstShare: 0, burstSigma: 0, step: 0 },
  { name: 'quiet, +10 % on a', nightSigma: 0.01, burstShare: 0, burstSigma: 0, step: 0.1 },
  { name: 'bursts, A/A', nightSigma: 0.01, burstShare: 0.1, burstSigma: 0.15, step: 0 },
  { name: 'bursts, +10 % on a', nightSigma: 0.01, burstShare: 0.1, burstSigma: 0.15, step: 0.1 },
  { name: 'shared, A/A', nightSigma: 0.08, burstShare: 0, burstSigma: 0, step: 0 },
  { name: 'shared, +10 % on a', nightSigma: 0.08, burstShare: 0, burstSigma: 0, step: 0.1 },
]
const seed0 = Number(values.seed)
console.log(
  `${TRIALS} trials × ${Object.keys(LEVELS).length} workloads, ${NIGHTS} nights + the newest, ${PROCESSES} processes a run, process spread ${PROCESS_SPREAD * 100} %`,
)
console.log(
  'scenario            mode           newest alerted  of which confirmed  step on a found  dismissed by pair  alerts on older builds',
)
for (const scenario of scenarios) {
  for (const mode of MODES) {
    const tally: Tally = {
      newestRaised: 0,
      newestConfirmed: 0,
      stepFound: 0,
      dismissed: 0,
      historyAlerts: 0,
      series: 0,
    }
    const t0 = performance.now()
    for (let t = 0; t < TRIALS; t++) await trial(seed0 * 100_003 + t, scenario, mode, tally)
    const pct = (n: number, of: number) => `${n} (${((100 * n) / Math.max(of, 1)).toFixed(1)} %)`
    console.log(
      [
        scenario.name.padEnd(19),
        mode.padEnd(14),
        pct(tally.newestRaised, tally.series).padEnd(15),
        String(tally.newestConfirmed).padEnd(19),
        (scenario.step ? pct(tally.stepFound, TRIALS) : '—').padEnd(16),
        String(tally.dismissed).padEnd(18),
        String(tally.historyAlerts),
        ` (${((performance.now() - t0) / 1000).toFixed(0)} s)`,
      ].join(' '),
    )
  }
}
