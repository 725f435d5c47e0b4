import type { Rng } from '../../lib/index.ts'
import { PROCESS_CLASSES, type ProcessClass, type WorkloadClass } from '../../model/index.ts'
import { bootstrapCi } from '../bootstrap.ts'
import { mean, median } from '../descriptive.ts'
import { type Insufficient, type IntervalResult, insufficient } from '../result.ts'
import type { ProcessWarmup } from './classify.ts'

// What a workload's processes say together (Barrett et al. 2017, §4.3 and Table 1): a class for
// the workload, and its steady state: the steady iteration and the time to reach it (medians over
// processes) and the steady performance (mean of the processes' steady means), each with a
// bootstrap interval over processes, the process being the unit of noise. When any process has
// no steady state, the workload has none either: a status with the count, never a number.

/** How many processes fell in each class. */
export type ClassCounts = Readonly<Record<ProcessClass, number>>

/** The steady state of a workload whose every process reached one. */
export interface WorkloadSteady {
  readonly kind: 'steady'
  /** Median of the processes' first steady iterations (from 1), percentile bootstrap interval. */
  readonly iteration: IntervalResult
  /** Median of the processes' Σ values before their steady state, percentile bootstrap interval. */
  readonly before: IntervalResult
  /** Mean of the processes' steady means, BCa bootstrap interval. */
  readonly mean: IntervalResult
}

/** A workload with a process that never reached a steady state: a status, never a number. */
export interface NoSteadyState {
  readonly kind: 'no-steady-state'
  /** Processes without a steady state. */
  readonly processes: number
}

/** The warm-up verdict of one workload over its processes. */
export interface WorkloadWarmup {
  readonly kind: 'warmup'
  readonly class: WorkloadClass
  readonly counts: ClassCounts
  readonly processes: number
  readonly steady: WorkloadSteady | NoSteadyState
}

/** Options of summarizeWarmup. */
export interface WarmupSummaryOptions {
  /** The only source of randomness (the bootstrap's). */
  readonly rng: Rng
  /** Two-sided coverage, default 0.95. */
  readonly confidence?: number
  /** Bootstrap resamples, default 2000. */
  readonly resamples?: number
}

/**
 * The workload's class from its processes' (Barrett et al.): all alike → that class; mixed flat
 * and warm-up only → good inconsistent; any other mix → bad inconsistent.
 */
export function workloadClass(classes: readonly ProcessClass[]): WorkloadClass | undefined {
  const kinds = new Set(classes)
  if (kinds.size === 0) return undefined
  if (kinds.size === 1) return classes[0]!
  for (const k of kinds) if (k !== 'flat' && k !== 'warmup') return 'bad-inconsistent'
  return 'good-inconsistent'
}

/**
 * Summarises a workload's classified processes: class, counts per class and the steady state
 * with bootstrap intervals over processes (Insufficient when there is no process; each interval
 * Insufficient below two processes).
 * @example summarizeWarmup(values.map((v) => classifyProcess(v)), { rng: createRng(1) })
 */
export function summarizeWarmup(
  processes: readonly ProcessWarmup[],
  options: WarmupSummaryOptions,
): WorkloadWarmup | Insufficient {
  const cls = workloadClass(processes.map((p) => p.class))
  if (cls === undefined) return insufficient('No process to classify')
  const counts = Object.fromEntries(PROCESS_CLASSES.map((c) => [c, 0])) as Record<ProcessClass, number>
  for (const p of processes) counts[p.class]++
  const base = { kind: 'warmup' as const, class: cls, counts, processes: processes.length }
  const steady = processes.flatMap((p) => (p.class === 'no-steady-state' ? [] : [p.steady]))
  if (steady.length < processes.length)
    return { ...base, steady: { kind: 'no-steady-state', processes: processes.length - steady.length } }
  const { rng, confidence = 0.95, resamples = 2000 } = options
  const percentile = { rng, confidence, resamples, method: 'percentile' } as const
  return {
    ...base,
    steady: {
      kind: 'steady',
      iteration: bootstrapCi(
        steady.map((s) => s.iteration),
        median,
        percentile,
      ),
      before: bootstrapCi(
        steady.map((s) => s.before),
        median,
        percentile,
      ),
      mean: bootstrapCi(
        steady.map((s) => s.mean),
        mean,
        { rng, confidence, resamples, method: 'bca' },
      ),
    },
  }
}
