import { badInput, quote } from '../../lib/index.ts'

/** Metadata of one build that can move results without any runtime commit. */
export type EpochMetadata = { readonly [field: string]: string | number | boolean | null | undefined }

/**
 * The metadata fields that open a new epoch by default: a new workload or suite version, a new
 * harness, kernel, CPU configuration (governor, turbo, SMT) or compiler. Callers map their
 * metadata onto these names (e.g. pyperf's `benchmark_hash` → workloadVersion).
 */
export const DEFAULT_EPOCH_FIELDS = [
  'workloadVersion',
  'suiteVersion',
  'harnessVersion',
  'kernel',
  'cpuConfig',
  'compiler',
] as const

/**
 * A canonical key of the infrastructure a build ran on: `field=value` pairs joined by `;`, in the
 * order of `fields`. A missing field reads as `?`, so "unknown" is an epoch of its own rather than
 * silently equal to any value.
 * @example epochKey({ kernel: '5.15.0-105', cpuConfig: 'performance' }, ['kernel', 'cpuConfig'])
 *   // 'kernel=5.15.0-105;cpuConfig=performance'
 */
export function epochKey(meta: EpochMetadata, fields: readonly string[] = DEFAULT_EPOCH_FIELDS): string {
  return fields
    .map((field) => {
      const value = meta[field]
      const text = value === null || value === undefined || value === '' ? '?' : String(value)
      // Escape the separators so that two different records can never share a key.
      return `${field}=${text.replace(/[\\;=]/g, (c) => `\\${c}`)}`
    })
    .join(';')
}

/**
 * Gives every item the epoch key of its metadata, keeping the items' other fields.
 * @example assignEpochs(runs.map((r) => ({ ...r, meta: { kernel: r.kernel } })), ['kernel'])
 */
export function assignEpochs<T extends { readonly meta: EpochMetadata }>(
  items: readonly T[],
  fields: readonly string[] = DEFAULT_EPOCH_FIELDS,
): (T & { readonly epoch: string })[] {
  return items.map((item) => ({ ...item, epoch: epochKey(item.meta, fields) }))
}

// An ISO 8601 timestamp with an explicit zone: `Z` or ±hh:mm. Without a zone, Date.parse reads
// local time, which differs between machines; pyperf's commit_date carries offsets from −07:00
// to +08:00, so sorting the raw strings misorders commits made hours apart.
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/

/**
 * The history order of a commit known only by its date: UTC milliseconds since 1970.
 * Use git ancestry instead where it is known.
 * @example orderFromCommitDate('2024-04-25T13:51:31+02:00') === Date.UTC(2024, 3, 25, 11, 51, 31)
 */
export function orderFromCommitDate(isoDate: string): number {
  const text = isoDate.trim()
  const ms = ISO_WITH_ZONE.test(text) ? Date.parse(text.replace(' ', 'T')) : Number.NaN
  if (!Number.isFinite(ms)) {
    throw badInput(
      `Cannot order commit by date ${quote(isoDate)}: expected ISO 8601 with a zone, e.g. "2024-04-25T11:51:31Z"`,
    )
  }
  return ms
}
