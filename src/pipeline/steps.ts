import type { JsonObject } from '../lib/index.ts'
import type { PipelineJournal, PipelineStepKind, PipelineStepRow } from '../store/index.ts'

// The step journal as the pipeline uses it: claim a step, skip it when it was done before, run
// it, record done or failed. A failed step is retried by later nightlies until it has failed
// `maxAttempts` times; a step left running by a nightly that died is redone (the running nightly
// holds the lock, so anything running from before its start is abandoned).

/** How the pipeline reaches the journal. */
export interface Journal {
  readonly store: PipelineJournal
  readonly now: () => Date
  /** Start of this nightly (its lock): running steps from before it are abandoned. */
  readonly staleBefore: string
  /** A failed step is not tried again once it has failed this many times. */
  readonly maxAttempts: number
}

/** One step of the journal: its kind, its key, and what its claim records (if anything). */
export interface JournalStep {
  readonly kind: PipelineStepKind
  readonly key: string
  /** Recorded with the claim, before the step runs, for a later attempt to read. */
  readonly detail?: JsonObject
}

/** What happened to one step. */
export type StepOutcome<T extends JsonObject> =
  | { readonly state: 'done'; readonly detail: T; readonly attempts: number }
  | { readonly state: 'done-before'; readonly detail: JsonObject }
  | { readonly state: 'failed'; readonly error: string; readonly attempts: number }
  | { readonly state: 'gave-up'; readonly error: string; readonly attempts: number }
  | { readonly state: 'busy' }

/** The message of an error, for a step's detail and the summary. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/**
 * Runs step `key` once: skipped when done before (its detail returned), when it failed too often,
 * or when another live worker has it; otherwise `fn` runs with the step's previous detail (what a
 * crashed attempt left) and its result is recorded as the step's detail. An error thrown by `fn`
 * marks the step failed and is returned, not thrown, so the nightly goes on with other steps.
 */
export async function runStep<T extends JsonObject>(
  journal: Journal,
  step: JournalStep,
  fn: (previous: PipelineStepRow | undefined) => Promise<T>,
): Promise<StepOutcome<T>> {
  const { kind, key } = step
  const previous = await journal.store.getPipelineStep(key)
  if (previous?.status === 'done') return { state: 'done-before', detail: previous.detail }
  if (previous?.status === 'failed' && previous.attempts >= journal.maxAttempts) {
    return { state: 'gave-up', error: String(previous.detail.error ?? 'failed'), attempts: previous.attempts }
  }
  const claim = await journal.store.startPipelineStep({
    kind,
    key,
    at: journal.now().toISOString(),
    staleBefore: journal.staleBefore,
    ...(step.detail ? { detail: step.detail } : {}),
  })
  if (claim.outcome === 'done') return { state: 'done-before', detail: claim.step.detail }
  if (claim.outcome === 'busy') return { state: 'busy' }
  try {
    const detail = await fn(previous)
    await journal.store.finishPipelineStep(key, { status: 'done', at: journal.now().toISOString(), detail })
    return { state: 'done', detail, attempts: claim.step.attempts }
  } catch (error) {
    const message = errorText(error)
    await journal.store.finishPipelineStep(key, {
      status: 'failed',
      at: journal.now().toISOString(),
      detail: { ...claim.step.detail, error: message },
    })
    return { state: 'failed', error: message, attempts: claim.step.attempts }
  }
}
