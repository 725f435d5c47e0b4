import type { JsonObject } from '../lib/index.ts'

/** Workload names: lower-case letters, digits, `_`, `-` and `.`, 1–100 characters. */
export const WORKLOAD_NAME_RE = /^[a-z0-9][a-z0-9_.-]{0,99}$/

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
