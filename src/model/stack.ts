// What a result's metadata says of the third-party stack it ran on, as the runner records it
// (runner/suite.ts: `stack` from the worker — its modules, threadpoolctl's BLAS libraries, the
// native libraries mapped, BLIS's kernel set, the threading variables —, `requirements`, and
// `blas`, the --blas choice), read once and defensively: the metadata of an upload is the
// uploader's. `show`/`compare` print it as one line, the split matrix as a short label.

/** One BLAS library threadpoolctl reported loaded. */
export interface StackLibrary {
  readonly api: string | null
  readonly implementation: string | null
  readonly version: string | null
  readonly architecture: string | null
  readonly threads: number | null
}

/** The stack a result recorded. */
export interface StackFacts {
  /** Whether `stack` was recorded (a worker that imported third-party modules). */
  readonly hasStack: boolean
  /** Modules imported and their versions (null when the module gave none), in recorded order. */
  readonly modules: readonly (readonly [name: string, version: string | null])[]
  readonly libraries: readonly StackLibrary[]
  /** Native libraries the worker had mapped (paths). */
  readonly mapped: readonly string[]
  /** BLIS's kernel set when the stack ran on BLIS. */
  readonly blisArch: string | null
  /** The threading and kernel-choosing variables the worker ran with. */
  readonly threadEnv: Readonly<Record<string, string>>
  /** `--blas`: the variant asked for and its label; null without. */
  readonly chosen: { readonly variant: string | null; readonly label: string | null } | null
  /** How the requirements were installed and what; null when none were recorded. */
  readonly requirements: { readonly mode: string | null; readonly installed: readonly string[] } | null
}

type Obj = Readonly<Record<string, unknown>>

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []
}

/**
 * The stack facts of a result's metadata; null when it recorded neither a stack nor requirements
 * (a workload on the standard library alone).
 */
export function readStack(metadata: unknown): StackFacts | null {
  if (!isObject(metadata)) return null
  const stack = isObject(metadata.stack) ? metadata.stack : null
  const req = isObject(metadata.requirements) ? metadata.requirements : null
  if (stack === null && req === null) return null
  const s: Obj = stack ?? {}
  const modules = isObject(s.modules)
    ? Object.entries(s.modules).map(([name, v]) => [name, str(v)] as const)
    : []
  const blas = isObject(s.blas) ? s.blas : null
  const libraries = (Array.isArray(blas?.libraries) ? blas.libraries : []).filter(isObject).map(
    (l): StackLibrary => ({
      api: str(l.api),
      implementation: str(l.implementation),
      version: str(l.version),
      architecture: str(l.architecture),
      threads: typeof l.threads === 'number' && Number.isFinite(l.threads) ? l.threads : null,
    }),
  )
  const env = isObject(s.thread_env) ? s.thread_env : isObject(metadata.thread_env) ? metadata.thread_env : {}
  const threadEnv: Record<string, string> = {}
  for (const [k, v] of Object.entries(env)) if (typeof v === 'string') threadEnv[k] = v
  const chosen = isObject(metadata.blas)
    ? { variant: str(metadata.blas.variant), label: str(metadata.blas.label) }
    : null
  return {
    hasStack: stack !== null,
    modules,
    libraries,
    mapped: strings(s.native_libraries),
    blisArch: str(s.blis_arch),
    threadEnv,
    chosen,
    requirements: req === null ? null : { mode: str(req.mode), installed: strings(req.installed) },
  }
}
