import type { JsonObject } from '../lib/index.ts'
import type { BuildSpec, MachineEnvironment, WorkloadKey } from '../model/index.ts'
import type { BuildRow } from './types.ts'

// Types of stored profiles (ProfileStore in roles.ts): what a profiler sampled of one workload
// version on one build on one machine, its collapsed stacks kept gzip-compressed.

/** How a profile ended: sampled, the profiler unavailable (missing, unsupported interpreter), or the workload failed. */
export const PROFILE_STATES = ['profiled', 'unavailable', 'failed'] as const
/** One of PROFILE_STATES. */
export type ProfileState = (typeof PROFILE_STATES)[number]

/** Largest compressed stacks a profile may hold (16 MiB): a minute at 250 Hz is well under 1 MiB. */
export const MAX_PROFILE_STACKS_BYTES = 16 * 1024 * 1024

/** What `addProfile` stores. */
export interface NewProfile {
  readonly machine: string
  /** The machine's environment (its fingerprint is recorded as a run's is); null when unknown. */
  readonly environment: MachineEnvironment | null
  /** The build profiled, upserted by identity as a run's build is. */
  readonly build: BuildSpec
  readonly workload: WorkloadKey
  /** The run the profile was taken for, or null for a profile of its own. */
  readonly runId: number | null
  /** Shared by the profiles of one invocation (the two sides of a differential). */
  readonly groupId: string | null
  /** The profiler and its version, e.g. `py-spy` `0.4.2`. */
  readonly tool: string
  readonly toolVersion: string
  /** Samples per second asked of the profiler. */
  readonly rateHz: number
  /** Processes whose samples were merged (0 when none could be profiled). */
  readonly processes: number
  readonly state: ProfileState
  /** Why a profile is unavailable or failed; null when profiled. */
  readonly message: string | null
  /** Samples in the stacks (0 unless profiled). */
  readonly sampleCount: number
  /** The collapsed stacks, gzip-compressed; exactly when profiled, at most MAX_PROFILE_STACKS_BYTES. */
  readonly stacksGzip: Uint8Array | null
  /** How it was taken (loops, values, per-process facts), any JSON object. */
  readonly metadata: JsonObject
  /** ISO 8601 UTC. */
  readonly createdAt: string
}

/** A stored profile without its stacks. */
export interface ProfileRow extends Omit<NewProfile, 'build' | 'environment' | 'stacksGzip'> {
  readonly id: number
  readonly build: BuildRow
  /** Compressed size of the stacks (0 when there are none). */
  readonly stacksBytes: number
}

/** A stored profile with its compressed stacks. */
export interface ProfileWithStacks extends ProfileRow {
  readonly stacksGzip: Uint8Array | null
}

/** Filters of `listProfiles`; all optional, combined with AND. */
export interface ProfileQuery {
  readonly machine?: string
  /** Workload name (every version). */
  readonly workload?: string
  readonly buildId?: number
  readonly runId?: number
  readonly groupId?: string
  readonly state?: ProfileState
  /** 1–1000; 50 when absent. */
  readonly limit?: number
  readonly offset?: number
}

/** One page of profiles, newest first, with the count of every match. */
export interface ProfilePage {
  readonly rows: readonly ProfileRow[]
  readonly total: number
}
