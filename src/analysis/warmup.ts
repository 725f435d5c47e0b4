import { createRng, LangperfError } from '../lib/index.ts'
import type { ProcessClass, WorkloadClass } from '../model/index.ts'
import {
  type ClassCounts,
  classifyProcess,
  type Insufficient,
  type IntervalResult,
  type ProcessWarmup,
  type Segment,
  summarizeWarmup,
} from '../stats/index.ts'
import type { ResultRowWithSamples, RunReader } from '../store/index.ts'

// The warm-up of a run's workloads (docs/stats.md, "Warm-up"): each measured process's values,
// in the order they were taken, classified by stats/warmup (Barrett et al. 2017), and the
// workload summarised over its processes. Meant for runs of `langperf run --warmup-series N`,
// where every iteration is kept and none is dropped as a warm-up; it reads any run, and says why
// a workload cannot be classified (too few iterations per process, failed, skipped).

/** The fewest iterations per process worth classifying (Barrett et al. took 2000). */
export const MIN_WARMUP_ITERATIONS = 20

/** Seed of the bootstrap intervals: the same run gives the same intervals. */
const DEFAULT_SEED = 1

/** One process of a workload, classified. */
export interface ProcessWarmupReport {
  /** The process's place among the workload's processes with values (in stored order), from 1. */
  readonly process: number
  readonly iterations: number
  readonly class: ProcessClass
  readonly outliers: readonly number[]
  readonly changepoints: readonly number[]
  /** Segments after merging, their means in the result's unit per inner iteration. */
  readonly segments: readonly Segment[]
  /** The steady state; null for no steady state (a status, never a number). */
  readonly steady: {
    /** First steady iteration, from 1. */
    readonly iteration: number
    /** Time spent before it: Σ values before × loops × inner loops (seconds for timings). */
    readonly timeToSteady: number
    /** Mean of the steady segment, in the result's unit. */
    readonly mean: number
  } | null
}

/** The steady state of a workload, or the status that some process has none. */
export type WorkloadSteadyReport =
  | {
      readonly kind: 'steady'
      /** Median first steady iteration over processes. */
      readonly iteration: IntervalResult
      /** Median time to reach the steady state over processes (seconds for timings). */
      readonly timeToSteady: IntervalResult
      /** Mean of the processes' steady means, in the result's unit. */
      readonly mean: IntervalResult
    }
  | { readonly kind: 'no-steady-state'; readonly processes: number }

/** One workload of a run: classified, or why not. */
export type WorkloadWarmupReport =
  | {
      readonly state: 'classified'
      readonly workload: { readonly name: string; readonly version: string }
      readonly unit: string
      readonly loops: number
      readonly innerLoops: number
      readonly class: WorkloadClass
      readonly counts: ClassCounts
      readonly processes: readonly ProcessWarmupReport[]
      readonly steady: WorkloadSteadyReport
    }
  | {
      readonly state: 'not-classified'
      readonly workload: { readonly name: string; readonly version: string }
      readonly reason: string
    }

/** The warm-up of every workload of one run. */
export interface RunWarmupReport {
  readonly runId: number
  readonly workloads: readonly WorkloadWarmupReport[]
}

/** Classifies every workload of a stored run (throws not-found for an unknown run). */
export async function warmupOfRun(
  store: RunReader,
  runId: number,
  options: { readonly seed?: number } = {},
): Promise<RunWarmupReport> {
  const run = await store.getRun(runId)
  if (run === undefined)
    throw new LangperfError('not-found', `Cannot classify run ${runId}: no run has that id`)
  const results = await store.getResults(runId, { withSamples: true })
  return { runId, workloads: results.map((r) => warmupOfResult(r, options)) }
}

/** Classifies one result's processes and summarises them (pure; seeded bootstrap). */
export function warmupOfResult(
  result: ResultRowWithSamples,
  options: { readonly seed?: number } = {},
): WorkloadWarmupReport {
  const workload = { name: result.workload.name, version: result.workload.version }
  const notClassified = (reason: string) => ({ state: 'not-classified' as const, workload, reason })
  if (result.outcome.state !== 'measured')
    return notClassified(`${result.outcome.state}: ${result.outcome.message}`)
  const series = result.processes.map((p) => p.values).filter((v) => v.length > 0)
  const longest = Math.max(0, ...series.map((v) => v.length))
  // Numbered by their place among the processes with values, as a reader of the samples counts them.
  const usable = series
    .map((values, i) => ({ values, process: i + 1 }))
    .filter((p) => p.values.length >= MIN_WARMUP_ITERATIONS)
  if (usable.length === 0)
    return notClassified(
      `Too few iterations per process to classify (${longest}; at least ${MIN_WARMUP_ITERATIONS}): measure with \`langperf run --warmup-series N\``,
    )
  if (usable.some((p) => p.values.some((x) => !(x > 0 && Number.isFinite(x)))))
    return notClassified('A value is not a positive finite time: iterations cannot be classified')
  const classified = usable.map((p) => classifyProcess(p.values))
  const summary = summarizeWarmup(classified, { rng: createRng(options.seed ?? DEFAULT_SEED) })
  if (summary.kind === 'insufficient') return notClassified(summary.reason)
  const perIteration = result.loops * result.innerLoops
  return {
    state: 'classified',
    workload,
    unit: result.unit,
    loops: result.loops,
    innerLoops: result.innerLoops,
    class: summary.class,
    counts: summary.counts,
    processes: classified.map((p, i) => processReport(p, { process: usable[i]!.process, perIteration })),
    steady:
      summary.steady.kind === 'no-steady-state'
        ? summary.steady
        : {
            kind: 'steady',
            iteration: summary.steady.iteration,
            timeToSteady: scaled(summary.steady.before, perIteration),
            mean: summary.steady.mean,
          },
  }
}

function processReport(
  p: ProcessWarmup,
  at: { readonly process: number; readonly perIteration: number },
): ProcessWarmupReport {
  return {
    process: at.process,
    iterations: p.n,
    class: p.class,
    outliers: p.outliers,
    changepoints: p.changepoints,
    segments: p.segments,
    steady:
      p.class === 'no-steady-state'
        ? null
        : {
            iteration: p.steady.iteration,
            timeToSteady: p.steady.before * at.perIteration,
            mean: p.steady.mean,
          },
  }
}

/** An interval multiplied by a positive factor. */
function scaled(r: IntervalResult, factor: number): IntervalResult | Insufficient {
  if (r.kind === 'insufficient') return r
  return { ...r, estimate: r.estimate * factor, low: r.low * factor, high: r.high * factor }
}
