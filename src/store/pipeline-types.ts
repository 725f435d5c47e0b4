import type { JsonObject } from '../lib/index.ts'

// Row and input types of the nightly pipeline's step journal (migrations/0004_pipeline.ts). The
// journal is what lets a nightly resume after a crash: a step marked done is skipped by the next
// nightly, a step left `running` by a dead process is redone, a failed one is retried a few times.

/**
 * What a step does: build a commit, measure it, detect changes, send one notification, bisect one
 * alert, profile an alert's culprit against its parent (`profile`, migration 0010).
 */
export const PIPELINE_STEP_KINDS = ['build', 'measure', 'detect', 'notify', 'bisect', 'profile'] as const
/** One of PIPELINE_STEP_KINDS. */
export type PipelineStepKind = (typeof PIPELINE_STEP_KINDS)[number]

/** Where a step stands: `running` until its process finishes it (or dies), then `done` or `failed`. */
export const PIPELINE_STEP_STATUSES = ['running', 'done', 'failed'] as const
/** One of PIPELINE_STEP_STATUSES. */
export type PipelineStepStatus = (typeof PIPELINE_STEP_STATUSES)[number]

/** One step of the journal. */
export interface PipelineStepRow {
  readonly id: number
  readonly kind: PipelineStepKind
  /** Unique name of the step, e.g. `measure:cpython:default:<sha>:bench-1`. */
  readonly key: string
  readonly status: PipelineStepStatus
  /** What the step found or made (run ids, artifact key, alert id, the error of a failure…). */
  readonly detail: JsonObject
  /** How many times the step was started (a redo after a crash counts). */
  readonly attempts: number
  /** ISO UTC start of the latest attempt. */
  readonly startedAt: string
  /** ISO UTC end of the latest attempt; null while running. */
  readonly finishedAt: string | null
}

/** What `startPipelineStep` records. */
export interface PipelineStepStart {
  readonly kind: PipelineStepKind
  readonly key: string
  /** ISO UTC. */
  readonly at: string
  /** Replaces the step's detail when given. */
  readonly detail?: JsonObject
  /**
   * A running step that started before this ISO UTC instant is taken to be left by a dead process
   * and restarted; one started later is `busy`. Absent: every running step is restarted.
   */
  readonly staleBefore?: string
}

/**
 * What `startPipelineStep` did: `started` (a new step, or a failed or abandoned one started again,
 * its attempts counted), `done` (finished earlier: skip it) or `busy` (running, started after
 * `staleBefore`: another worker has it). Only `started` changed anything.
 */
export interface PipelineStepClaim {
  readonly outcome: 'started' | 'done' | 'busy'
  readonly step: PipelineStepRow
}

/** How a step ended. */
export interface PipelineStepEnd {
  readonly status: 'done' | 'failed'
  /** ISO UTC. */
  readonly at: string
  /** Replaces the step's detail when given. */
  readonly detail?: JsonObject
}

/** Filters of `listPipelineSteps`; all optional, combined with AND. */
export interface PipelineStepQuery {
  readonly kind?: PipelineStepKind
  readonly status?: readonly PipelineStepStatus[]
  /** Keys starting with this text (compared case-sensitively). */
  readonly keyPrefix?: string
  /** 1–1000, 100 when absent. */
  readonly limit?: number
  readonly offset?: number
}

/** One page of steps, oldest start first, with the count of every match. */
export interface PipelineStepPage {
  readonly rows: readonly PipelineStepRow[]
  readonly total: number
}
