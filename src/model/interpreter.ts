import type { JsonObject } from '../lib/index.ts'

/** State of a JIT or of free-threading as the interpreter reports it. */
export const FEATURE_STATES = ['enabled', 'disabled', 'absent', 'unknown'] as const
/** One of FEATURE_STATES: `absent` means the build has no such feature at all. */
export type FeatureState = (typeof FEATURE_STATES)[number]

/**
 * What an interpreter reports about itself through the harness (`--describe`).
 * Identity comes from these facts, never from the path it was found under.
 */
export interface InterpreterInfo {
  /** `sys.implementation.name` lower-cased: `cpython`, `pypy`, … */
  readonly implementation: string
  /** Language version, e.g. `3.11.7` (for PyPy, the Python language version it implements). */
  readonly version: string
  /** Implementation version, e.g. `7.3.11` for PyPy; equal to `version` for CPython. */
  readonly implementationVersion: string
  /** Full `sys.version` string (contains build date and compiler). */
  readonly sysVersion: string
  /** `sys.executable`: the real binary (pyenv shims exec it). */
  readonly executable: string
  /** Compiler as reported by `platform.python_compiler()`. */
  readonly compiler: string
  /** 64 or 32. */
  readonly pointerBits: number
  /** Selected sysconfig variables (CONFIG_ARGS, CC, CFLAGS, OPT, PY_CFLAGS_NODIST, …). */
  readonly buildFlags: Readonly<Record<string, string>>
  /** The experimental JIT (CPython ≥ 3.13) or a tracing JIT (PyPy). */
  readonly jit: FeatureState
  /** Free-threaded build (`Py_GIL_DISABLED`) and whether the GIL is off at run time. */
  readonly freeThreading: FeatureState
  /** Anything else the harness reported, kept verbatim. */
  readonly extra: JsonObject
}

/** Names of the configure options that define a build config, with the config they imply. */
const CONFIG_MARKERS: readonly (readonly [RegExp, string])[] = [
  [/--disable-gil\b/, 'freethreading'],
  [/--enable-experimental-jit\b/, 'jit'],
  [/--with-pydebug\b/, 'debug'],
  [/--enable-optimizations\b.*--with-lto|--with-lto\b.*--enable-optimizations/, 'pgo-lto'],
  [/--enable-optimizations\b/, 'pgo'],
  [/--with-lto\b/, 'lto'],
]

/**
 * The build config an interpreter implies from its configure arguments: `default` unless it was
 * configured with PGO/LTO, JIT, free-threading or debug (several → joined with `+`).
 */
export function inferBuildConfig(
  info: Pick<InterpreterInfo, 'buildFlags' | 'jit' | 'freeThreading' | 'implementation'>,
): string {
  const args = info.buildFlags.CONFIG_ARGS ?? ''
  const found: string[] = []
  for (const [re, name] of CONFIG_MARKERS) {
    if (re.test(args) && !(name === 'pgo' || name === 'lto') && !found.includes(name)) found.push(name)
  }
  if (!found.includes('pgo-lto')) {
    if (/--enable-optimizations\b/.test(args)) found.push('pgo')
    if (/--with-lto\b/.test(args)) found.push('lto')
  }
  if (info.freeThreading === 'enabled' && !found.includes('freethreading')) found.push('freethreading')
  return found.length === 0 ? 'default' : found.join('+')
}

/** Short label for people: `cpython-3.11.7`, `pypy-3.9.16 (7.3.11)`. */
export function interpreterLabel(
  info: Pick<InterpreterInfo, 'implementation' | 'version' | 'implementationVersion'>,
): string {
  const base = `${info.implementation}-${info.version}`
  return info.implementationVersion && info.implementationVersion !== info.version
    ? `${base} (${info.implementationVersion})`
    : base
}
