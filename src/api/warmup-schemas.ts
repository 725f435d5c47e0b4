import { z } from 'zod'
import { PROCESS_CLASSES, WORKLOAD_CLASSES } from '../model/index.ts'
import { Id } from './schemas.ts'

// The schemas of a run's warm-up (docs/stats.md, "Warm-up"; analysis/warmup.ts), beside the rest
// of the contract in schemas.ts.

/** An estimate with a bootstrap interval, or why there is none (one process). */
const WarmupIntervalSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('interval'),
    estimate: z.number(),
    low: z.number(),
    high: z.number(),
    confidence: z.number(),
    method: z.string(),
  }),
  z.object({ kind: z.literal('insufficient'), reason: z.string() }),
])

/** A stretch of iterations between change points, equivalent neighbours merged. */
const WarmupSegmentSchema = z.object({
  /** First iteration, from 0. */
  start: z.number().int(),
  /** One past the last iteration. */
  end: z.number().int(),
  /** Iterations in it that are not outliers. */
  kept: z.number().int(),
  /** Mean of its non-outlier values, in the result's unit. */
  mean: z.number(),
  /** Variance (divisor n) of its non-outlier values. */
  variance: z.number(),
})

/** One process classified; `steady` null for no steady state (a status, never a number). */
const ProcessWarmupSchema = z.object({
  /** Its place among the workload's measured processes, from 1. */
  process: z.number().int(),
  iterations: z.number().int(),
  class: z.enum(PROCESS_CLASSES),
  /** Indexes (from 0) of the outliers left out of the segmentation. */
  outliers: z.array(z.number().int()),
  /** Indexes (from 0) where PELT starts a segment, before merging. */
  changepoints: z.array(z.number().int()),
  segments: z.array(WarmupSegmentSchema),
  steady: z
    .object({
      /** First steady iteration, from 1. */
      iteration: z.number().int(),
      /** Σ values before it × loops × inner loops (seconds for timings). */
      timeToSteady: z.number(),
      mean: z.number(),
    })
    .nullable(),
})

/** One workload of a run: classified, or why not. */
export const WorkloadWarmupSchema = z.discriminatedUnion('state', [
  z.object({
    state: z.literal('classified'),
    workload: z.object({ name: z.string(), version: z.string() }),
    unit: z.string(),
    loops: z.number().int(),
    innerLoops: z.number().int(),
    class: z.enum(WORKLOAD_CLASSES),
    /** Processes per class. */
    counts: z.object(Object.fromEntries(PROCESS_CLASSES.map((c) => [c, z.number().int()]))),
    processes: z.array(ProcessWarmupSchema),
    steady: z.discriminatedUnion('kind', [
      z.object({
        kind: z.literal('steady'),
        /** Median first steady iteration over processes. */
        iteration: WarmupIntervalSchema,
        /** Median time to the steady state over processes. */
        timeToSteady: WarmupIntervalSchema,
        /** Mean of the processes' steady means. */
        mean: WarmupIntervalSchema,
      }),
      z.object({ kind: z.literal('no-steady-state'), processes: z.number().int() }),
    ]),
  }),
  z.object({
    state: z.literal('not-classified'),
    workload: z.object({ name: z.string(), version: z.string() }),
    reason: z.string(),
  }),
])

/** The warm-up of every workload of a run. */
export const RunWarmupSchema = z.object({ runId: Id, workloads: z.array(WorkloadWarmupSchema) })
