import type { JsonObject } from '../lib/index.ts'
import type { InterpreterInfo } from './interpreter.ts'

/**
 * A build: runtime + commit + config. Local interpreters without a known commit are identified
 * by what they report about themselves (`identity`).
 */
export interface BuildSpec {
  /** Runtime family: `cpython`, `pypy`, `node`, … */
  readonly runtime: string
  /** Language version, e.g. `3.13.0a6+`. */
  readonly version: string
  /** Build config name: `default`, `pgo-lto`, `jit`, `freethreading`, `debug`, … */
  readonly config: string
  readonly commitSha: string | null
  /** ISO 8601 in UTC (`…Z`), never the raw string with its offset. */
  readonly commitDateUtc: string | null
  readonly branch: string | null
  readonly mergeBase: string | null
  /** Stable identity: equal identities are the same build. */
  readonly identity: string
  /** The interpreter's self-report when it was measured locally. */
  readonly interpreter: InterpreterInfo | null
  /** Anything else known (pyperf commit metadata, build options). */
  readonly metadata: JsonObject
}
