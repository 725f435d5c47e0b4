import type { JsonObject } from '../lib/index.ts'

/** Workload names: lower-case letters, digits, `_`, `-` and `.`, 1–100 characters. */
export const WORKLOAD_NAME_RE = /^[a-z0-9][a-z0-9_.-]{0,99}$/

/**
 * One pinned requirement: a distribution name (PEP 508), optional extras, `==` and a version
 * (PEP 440 characters, no wildcard). Nothing else: no pip options (`--index-url`, `-e`), no URLs,
 * paths or environment markers, so a manifest can neither point pip elsewhere nor leave a
 * version open (an open version would change the stack without changing the workload's version).
 */
export const REQUIREMENT_RE =
  /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,98}[A-Za-z0-9])?(?:\[[A-Za-z0-9][A-Za-z0-9._-]{0,49}(?:,[A-Za-z0-9][A-Za-z0-9._-]{0,49}){0,9}\])?==[0-9][0-9A-Za-z.+!_-]{0,49}$/

/** A requirement's distribution name, normalised as PEP 503 does (`Scikit_Learn` → `scikit-learn`). */
export function requirementName(requirement: string): string {
  const name = /^[A-Za-z0-9._-]+/.exec(requirement)?.[0] ?? requirement
  return name.toLowerCase().replace(/[-_.]+/g, '-')
}

/** The manifest of a built-in or user workload (`workloads/<name>/manifest.json`). */
export interface WorkloadManifest {
  readonly name: string
  readonly description: string
  readonly tags: readonly string[]
  /** Only `python` for now. */
  readonly language: 'python'
  /** Entry file, relative to the workload's directory. */
  readonly entry: string
  /** Passed to the workload's `make(params)`; part of the content hash. */
  readonly parameters: JsonObject
  /** Operations per call of the timed step: values are divided by it (pyperf's inner_loops). */
  readonly innerLoops: number
  /** Oldest Python language version it runs on, e.g. `2.7` or `3.6`. */
  readonly requiresPython: string
  /**
   * Python packages the workload needs, each pinned (`numpy==2.0.2`): installed into a virtual
   * environment per interpreter (runner/venv.ts). Absent: the standard library only.
   */
  readonly requirements?: readonly string[]
  /**
   * With `--system-packages`: the distributions (names of `requirements`) that must be present on
   * the interpreter; absent, all of them. A distribution's own packaging may need fewer than the
   * pinned wheels do (Debian's scikit-learn 1.2 needs neither cloudpickle nor narwhals).
   */
  readonly systemRequirements?: readonly string[]
  /** Services langperf starts on loopback for each measuring process (runner/services.ts). */
  readonly services?: readonly ServiceSpec[]
  /** How the workload is driven: absent, the harness's in-process loop; `http`, a server under load. */
  readonly driver?: HttpDriver
}

/** The services langperf knows how to start (a closed list). */
export const SERVICE_KINDS = ['memcached'] as const

/** One of SERVICE_KINDS. */
export type ServiceKind = (typeof SERVICE_KINDS)[number]

/** A service a workload needs, started by langperf on 127.0.0.1 on a free port. */
export interface ServiceSpec {
  readonly name: ServiceKind
}

/** One request of an HTTP driver's mix: `weight` of every 100 requests (runner/http-driver.ts). */
export interface HttpRequestSpec {
  readonly method: 'GET' | 'POST'
  /** Absolute path on the server, e.g. `/feed_timeline`. */
  readonly path: string
  readonly weight: number
  /** Form-encoded body of a POST. */
  readonly body?: string
}

/**
 * A workload that is a server: its entry's WSGI `application` under gunicorn sync workers,
 * loaded with `wrk` (closed loop) for `durationS` seconds per measuring process.
 */
export interface HttpDriver {
  readonly kind: 'http'
  /** gunicorn sync worker processes. */
  readonly workers: number
  /** wrk connections (closed loop: each waits for its response before sending again). */
  readonly connections: number
  /** Seconds of load per measuring process. */
  readonly durationS: number
  /** Seconds of load before the measured window (warm caches, first imports). */
  readonly warmupS: number
  /** Seconds the server has to answer `readyPath` with a 2xx after it is started. */
  readonly readyTimeoutS: number
  /** Path polled until the server answers. */
  readonly readyPath: string
  /** The request mix; weights add up to 100. */
  readonly requests: readonly HttpRequestSpec[]
  /**
   * Fractions of the measured throughput (e.g. 0.7, 0.9) at which, after the closed-loop window,
   * latency is measured again at a fixed arrival rate (open loop), each for `durationS`.
   */
  readonly openLoopFractions?: readonly number[]
}

/** A workload found on disk: its manifest, where it lives and its version (content hash). */
export interface WorkloadDefinition {
  readonly manifest: WorkloadManifest
  /** Absolute path of the directory holding the manifest. */
  readonly dir: string
  /** Absolute path of the entry file. */
  readonly entryPath: string
  /** Content hash of every file in the directory (12 hex characters). */
  readonly version: string
}

/** A named set of workloads. */
export interface SuiteDefinition {
  readonly name: string
  readonly description: string
  readonly workloads: readonly string[]
}
