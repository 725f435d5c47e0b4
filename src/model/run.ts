import type { JsonObject } from '../lib/index.ts'
import type { BuildSpec } from './build.ts'
import type { MachineEnvironment } from './machine.ts'
import type { WorkloadResult } from './result.ts'

/** Where a run's data came from. */
export const RUN_SOURCES = ['langperf', 'pyperf-import', 'api'] as const
/** One of RUN_SOURCES. */
export type RunSource = (typeof RUN_SOURCES)[number]

/** Life of a run: `running` until finished; `interrupted` when the process stopped early. */
export const RUN_STATUSES = ['running', 'complete', 'interrupted'] as const
/** One of RUN_STATUSES. */
export type RunStatus = (typeof RUN_STATUSES)[number]

/** Everything that describes a run apart from its results. */
export interface RunSpec {
  /** Machine name (hostname unless overridden). */
  readonly machine: string
  readonly environment: MachineEnvironment | null
  readonly build: BuildSpec
  readonly suite: string
  /** Sampling preset (`fast`, `default`, `rigorous`) or `import`. */
  readonly preset: string
  readonly harnessVersion: string
  readonly source: RunSource
  /** ISO 8601 UTC. */
  readonly startedAt: string
  /** Runs measured together (interleaved) share a group. */
  readonly groupId: string | null
  /** File-level metadata (pyperf's top-level metadata on import). */
  readonly metadata: JsonObject
}

/** A complete run ready to store in one transaction (import, API ingest). */
export interface RunWithResults {
  readonly run: RunSpec
  readonly status: RunStatus
  readonly finishedAt: string | null
  readonly results: readonly WorkloadResult[]
}
