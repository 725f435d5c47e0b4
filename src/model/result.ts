import type { JsonObject } from '../lib/index.ts'

/**
 * The samples of one worker process. Values are seconds (or the result's unit) per inner
 * iteration, as pyperf writes them. Warm-ups keep their loop count because calibration
 * processes run warm-ups at changing loop counts.
 */
export interface ProcessSamples {
  readonly warmups: readonly (readonly [loops: number, value: number])[]
  readonly values: readonly number[]
  /** Per-process metadata (date, duration, max RSS, load, pyperf's keys on import…). */
  readonly metadata: JsonObject
}

/** Why a workload produced no trustworthy result. */
// build-failed: the build of the runtime failed, so the workload could not run (nightly; shown as a
// failed build on the timeline, not a gap).
export const FAILURE_REASONS = [
  'crashed',
  'timeout',
  'bad-output',
  'error',
  'unstable',
  'build-failed',
] as const
/** One of FAILURE_REASONS. */
export type FailureReason = (typeof FAILURE_REASONS)[number]

/** What happened to one workload in one run: a failure is data, recorded and shown. */
export type ResultOutcome =
  | { readonly state: 'measured' }
  | {
      readonly state: 'failed'
      readonly reason: FailureReason
      readonly message: string
      /** The last lines of the worker's stderr (capped). */
      readonly stderrTail: string
    }
  | { readonly state: 'skipped'; readonly message: string }

/** One of the outcome states. */
export type ResultState = ResultOutcome['state']

/** Identity of a workload version: a changed workload is a new series. */
export interface WorkloadKey {
  readonly name: string
  /** Content hash of the workload's files (or pyperf's benchmark_hash on import). */
  readonly version: string
}

/** One workload measured (or not) in one run, with every raw sample. */
export interface WorkloadResult {
  readonly workload: WorkloadKey
  /** `second` for timings; pyperf also knows `byte` and `integer`. */
  readonly unit: string
  readonly loops: number
  readonly innerLoops: number
  readonly processes: readonly ProcessSamples[]
  readonly outcome: ResultOutcome
  /** Benchmark-level metadata (pyperf's per-benchmark metadata on import). */
  readonly metadata: JsonObject
}

/** Per-process means of the values (processes without values are left out). */
export function processMeans(processes: readonly Pick<ProcessSamples, 'values'>[]): number[] {
  const out: number[] = []
  for (const p of processes) {
    if (p.values.length === 0) continue
    let sum = 0
    for (const v of p.values) sum += v
    out.push(sum / p.values.length)
  }
  return out
}

/** Every value of every process, in order. */
export function allValues(processes: readonly ProcessSamples[]): number[] {
  return processes.flatMap((p) => p.values)
}
