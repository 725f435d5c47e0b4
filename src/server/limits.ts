import type { RouteDefinition } from '../api/index.ts'
import { LangperfError } from '../lib/index.ts'
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

/**
 * Deepest nesting of arrays and objects an upload may hold. A langperf-run document or pyperf
 * file needs about 8 levels, metadata a few more; the parsers and validators after this check
 * recurse, so thousands of levels would exhaust their stack.
 */
export const MAX_JSON_DEPTH = 64

/**
 * Refuses JSON text nested deeper than `max` levels of arrays and objects: one pass over the
 * characters, without recursion, before anything that recurses (JSON.parse with a reviver, zod)
 * sees the text. Brackets inside strings are skipped; whether the text is JSON at all is left to
 * the parser.
 */
export function checkJsonDepth(text: string, action: string, max = MAX_JSON_DEPTH): void {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c)
        i++ // a backslash escapes the next character
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x5b || c === 0x7b) {
      depth++
      if (depth > max) {
        throw new LangperfError(
          'bad-input',
          `Cannot ${action}: expected JSON nested at most ${max} levels deep (arrays and objects), found deeper nesting at character ${i}`,
        )
      }
    } else if (c === 0x5d || c === 0x7d) depth--
  }
}
