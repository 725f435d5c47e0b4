import { existsSync, realpathSync } from 'node:fs'
import { isAbsolute, join, resolve } from 'node:path'
import { type JsonObject, type JsonValue, LangperfError, quote } from '../lib/index.ts'
import { exec, lastLines } from './tool-exec.ts'

// Workloads with requirements on the interpreter's own packages (`langperf run --system-packages`)
// instead of a virtual environment: a distribution's python3-numpy, say, linked against the
// system's libblas.so.3 / liblapack.so.3. Debian picks that BLAS with its alternatives system;
// a process can pick another without touching the system by putting the chosen variant's
// directory first on LD_LIBRARY_PATH (`--blas`), which the dynamic loader searches before
// /etc/ld.so.cache. Whether it took is read back from what the worker mapped
// (the harness's `stack.native_libraries`), and a workload where it did not fails.

/** The BLAS variants `--blas` knows by name (besides a directory). */
export const BLAS_VARIANTS = ['reference', 'openblas', 'blis'] as const

/** One of the named BLAS variants. */
export type BlasVariantName = (typeof BLAS_VARIANTS)[number]

/** A BLAS chosen for the workers: where the loader looks first, and where the BLAS must come from. */
export interface BlasChoice {
  /** `reference`, `openblas`, `blis`, or `path` for a directory given by the caller. */
  readonly variant: BlasVariantName | 'path'
  /** The directories put first on the workers' LD_LIBRARY_PATH, in order. */
  readonly dirs: readonly string[]
  /** The directory whose libblas.so.3 the workers must load (real path). */
  readonly blasDir: string
  /** A short label for versions and tables: the variant, or `path:<dir>`. */
  readonly label: string
}

/** Per variant: the directories under the multiarch library directory, and the Debian packages. */
const VARIANT_LAYOUT: Readonly<
  Record<
    BlasVariantName,
    { readonly blas: string; readonly lapack: string | null; readonly packages: string }
  >
> = {
  // Reference BLAS with reference LAPACK (Netlib), both of the `lapack` source package.
  reference: { blas: 'blas', lapack: 'lapack', packages: 'libblas3 liblapack3' },
  // OpenBLAS brings its own LAPACK (its libopenblas with LAPACK built in).
  openblas: { blas: 'openblas-pthread', lapack: null, packages: 'libopenblas0-pthread' },
  // BLIS is a BLAS only: LAPACK is the reference one, calling BLIS for its BLAS.
  blis: { blas: 'blis-pthread', lapack: 'lapack', packages: 'libblis4-pthread liblapack3' },
}

/** The Debian multiarch triplet of this machine's architecture. */
function multiarch(arch: string = process.arch): string {
  const triplets: Readonly<Record<string, string>> = {
    x64: 'x86_64-linux-gnu',
    arm64: 'aarch64-linux-gnu',
    ppc64: 'powerpc64le-linux-gnu',
    s390x: 's390x-linux-gnu',
  }
  return triplets[arch] ?? `${arch}-linux-gnu`
}

/**
 * The BLAS `--blas VALUE` names: a variant (`reference`, `openblas`, `blis`, looked for under
 * `libDir`, by default `/usr/lib/<multiarch>`) or a directory holding a `libblas.so.3`. Throws
 * `bad-input` naming the Debian packages to install when the variant's files are absent.
 *
 * @example resolveBlas('openblas') // { variant: 'openblas', dirs: ['/usr/lib/x86_64-linux-gnu/openblas-pthread'], … }
 */
export function resolveBlas(value: string, options: { readonly libDir?: string } = {}): BlasChoice {
  const libDir = options.libDir ?? join('/usr/lib', multiarch())
  if ((BLAS_VARIANTS as readonly string[]).includes(value)) {
    const variant = value as BlasVariantName
    const layout = VARIANT_LAYOUT[variant]
    const wanted = [
      join(libDir, layout.blas, 'libblas.so.3'),
      ...(layout.lapack === null ? [] : [join(libDir, layout.lapack, 'liblapack.so.3')]),
    ]
    const missing = wanted.filter((f) => !existsSync(f))
    if (missing.length > 0)
      throw new LangperfError(
        'bad-input',
        `Cannot use --blas ${value}: expected ${missing.map((f) => quote(f)).join(' and ')}, found no such file (install Debian's ${layout.packages}: apt-get install ${layout.packages})`,
      )
    const dirs = [join(libDir, layout.blas), ...(layout.lapack === null ? [] : [join(libDir, layout.lapack)])]
    return { variant, dirs, blasDir: realpathSync(dirs[0] as string), label: variant }
  }
  if (!isAbsolute(value) && !value.startsWith('.'))
    throw new LangperfError(
      'bad-input',
      `Cannot use --blas ${quote(value)}: expected ${BLAS_VARIANTS.join(', ')} or a directory holding libblas.so.3 (an absolute path or one starting with .)`,
    )
  const dir = resolve(value)
  if (!existsSync(join(dir, 'libblas.so.3')))
    throw new LangperfError(
      'bad-input',
      `Cannot use --blas ${quote(value)}: expected a directory holding libblas.so.3, found no ${quote(join(dir, 'libblas.so.3'))}`,
    )
  const blasDir = realpathSync(dir)
  return { variant: 'path', dirs: [dir], blasDir, label: `path:${blasDir}` }
}

/** The LD_LIBRARY_PATH of a worker under `blas`: its directories first, then the caller's. */
export function blasLibraryPath(blas: BlasChoice, parent: string | undefined): string {
  return [...blas.dirs, ...(parent ? [parent] : [])].join(':')
}

/**
 * Whether the workers really ran on `blas`: every process that loaded numpy mapped a library
 * from the chosen directory. Returns null when they did (or loaded no numpy), else why not,
 * naming what they loaded instead.
 */
export function blasMismatch(
  blas: BlasChoice,
  processes: readonly { readonly metadata: JsonObject }[],
): string | null {
  for (const p of processes) {
    const stack = p.metadata.stack
    if (!isObject(stack) || !isObject(stack.modules) || !('numpy' in stack.modules)) continue
    const libraries = stringList(stack.native_libraries)
    if (libraries === null)
      return `Cannot check --blas ${blas.label}: the worker did not report its mapped libraries (stack.native_libraries; Linux only)`
    const real = libraries.map(realPath)
    if (!real.some((l) => l.startsWith(`${blas.blasDir}/`)))
      return `BLAS switch did not take effect: --blas ${blas.label} expected a library from ${quote(blas.blasDir)}, the worker loaded ${real.length > 0 ? real.join(', ') : 'no BLAS library'} (a numpy with its own bundled BLAS, such as a pip wheel, ignores LD_LIBRARY_PATH)`
  }
  return null
}

/** What a result under `blas` records: the choice and the BLAS libraries its first numpy process mapped. */
export function blasMetadata(
  blas: BlasChoice,
  processes: readonly { readonly metadata: JsonObject }[],
): JsonObject {
  const loaded = processes
    .map((p) => p.metadata.stack)
    .filter(isObject)
    .map((s) => stringList(s.native_libraries))
    .find((l) => l !== null)
  return {
    variant: blas.variant,
    label: blas.label,
    ld_library_path: [...blas.dirs],
    expected_dir: blas.blasDir,
    ...(loaded ? { loaded: loaded.map(realPath) } : {}),
  }
}

/** Found or not: the installed versions of the requirements' distributions on an interpreter. */
export type SystemPackagesOutcome =
  | { readonly ok: true; readonly installed: readonly string[] }
  | { readonly ok: false; readonly reason: string }

/**
 * The versions of the distributions `requirements` names (pins ignored) as `python` finds them
 * on its own path (importlib.metadata, Python 3.8+), each then imported (so a package whose
 * native library is missing is found out before measuring); a missing one is the reason.
 */
export async function probeSystemPackages(
  python: string,
  requirements: readonly string[],
  options: { readonly env?: NodeJS.ProcessEnv; readonly timeoutMs?: number } = {},
): Promise<SystemPackagesOutcome> {
  const names = requirements.map((r) => r.split(/[[=]/)[0] as string)
  const out = await exec(python, ['-c', PROBE, ...names], {
    ...(options.env ? { env: options.env } : {}),
    timeoutMs: options.timeoutMs ?? 60_000,
  })
  let report: JsonValue
  try {
    report = JSON.parse(out.stdout) as JsonValue
  } catch {
    return {
      ok: false,
      reason: `${quote(python)} could not list its packages: ${lastLines(out.stderr, 2) || 'no message'}`,
    }
  }
  if (!isObject(report) || !isObject(report.found) || !Array.isArray(report.missing))
    return { ok: false, reason: `${quote(python)} reported its packages in an unexpected form` }
  const missing = report.missing.filter((m): m is string => typeof m === 'string')
  if (missing.length > 0)
    return {
      ok: false,
      // Each entry is "name (ErrorType)": the package to name is the distribution's.
      reason: `${quote(python)} lacks ${missing.join(', ')} (install them into that Python, e.g. Debian's ${missing.map((m) => debianName(m.split(' ')[0] as string)).join(' ')})`,
    }
  const installed = Object.entries(report.found)
    .map(([name, version]) => `${name}==${String(version)}`)
    .sort()
  return { ok: true, installed }
}

/** Debian's usual package name for a Python distribution (python3-<name>, lower case). */
function debianName(distribution: string): string {
  const n = distribution.toLowerCase().replace(/_/g, '-')
  return n === 'scikit-learn' ? 'python3-sklearn' : `python3-${n}`
}

/**
 * Prints {"found": {name: version}, "missing": [name…]} on stdout: each distribution's version
 * from its metadata, missing when there is none or its top-level module fails to import.
 */
const PROBE = `
import json, sys
try:
    from importlib import metadata
except ImportError:
    metadata = None
found, missing = {}, []
for name in sys.argv[1:]:
    try:
        version = metadata.version(name)
        dist = metadata.distribution(name)
        top = (dist.read_text("top_level.txt") or "").split()
        for module in top[:1] or [name.replace("-", "_").lower()]:
            __import__(module)
        found[name] = version
    except Exception as error:
        missing.append("%s (%s)" % (name, type(error).__name__))
print(json.dumps({"found": found, "missing": missing}))
`

function realPath(p: string): string {
  try {
    return realpathSync(p)
  } catch {
    return p
  }
}

function stringList(v: JsonValue | undefined): string[] | null {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : null
}

function isObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
