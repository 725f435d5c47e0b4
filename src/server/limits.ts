import type { RouteDefinition } from '../api/index.ts'
import type { ServerLimits, ServerOptions } from './types.ts'

/** Default cap of a langperf-run upload and of JSON bodies in general: 16 MB. */
export const DEFAULT_JSON_BODY_LIMIT_BYTES = 16 * 1024 * 1024
/** Default cap of a pyperf upload as sent (possibly gzip): 64 MB. */
export const DEFAULT_PYPERF_BODY_LIMIT_BYTES = 64 * 1024 * 1024
/** Default cap of an upload once gunzipped: 256 MB, the pyperf importer's own cap. */
export const DEFAULT_DECOMPRESSED_LIMIT_BYTES = 256 * 1024 * 1024
/** Cap of the small JSON bodies (token creation, triage): 1 MB. */
export const SMALL_BODY_LIMIT_BYTES = 1024 * 1024

/** The limits in force: the options' caps, the defaults where they give none. */
export function resolveLimits(options: ServerOptions): ServerLimits {
  return {
    jsonBodyLimitBytes: options.jsonBodyLimitBytes ?? DEFAULT_JSON_BODY_LIMIT_BYTES,
    pyperfBodyLimitBytes: options.pyperfBodyLimitBytes ?? DEFAULT_PYPERF_BODY_LIMIT_BYTES,
    decompressedLimitBytes: options.decompressedLimitBytes ?? DEFAULT_DECOMPRESSED_LIMIT_BYTES,
  }
}

/** The body cap of a route: uploads get their own (large) caps, every other body the small one. */
export function bodyLimitOf(def: RouteDefinition, limits: ServerLimits): number {
  return def.bodyKind === 'pyperf'
    ? limits.pyperfBodyLimitBytes
    : def.bodyKind === 'langperf-run'
      ? limits.jsonBodyLimitBytes
      : SMALL_BODY_LIMIT_BYTES
}
