import { createHash } from 'node:crypto'
import type { FarmJobKey } from '../api/index.ts'

// A farm job's identity. The key names everything the job's result depends on; its text is
// stored with the result (farm_results.job_key) and its hash is the queue's job id, so the same
// key is never enqueued twice and its result is stored once.

/** The key as text: its six parts, each URI-encoded, joined by `|` (so no part can forge another). */
export function jobKeyText(key: FarmJobKey): string {
  return [key.runtime, key.commit, key.config, key.machine, key.suite, key.purpose]
    .map((part) => encodeURIComponent(part))
    .join('|')
}

/** The queue's job id of a key: the first 32 hex digits of the SHA-256 of its text. */
export function jobIdOf(key: FarmJobKey): string {
  return createHash('sha256').update(jobKeyText(key)).digest('hex').slice(0, 32)
}

/** The name of a machine's queue. */
export function queueNameOf(machine: string): string {
  return `langperf-farm.${machine}`
}
