import { access, constants, readdir, realpath, stat } from 'node:fs/promises'
import { homedir } from 'node:os'
import { delimiter, join } from 'node:path'
import { canonicalJson, LangperfError, sha256Hex } from '../lib/index.ts'
import type { InterpreterInfo } from '../model/index.ts'
import { runWorker, workerEnv } from './process.ts'
import { HARNESS_PATH, parseHarnessOutput, toInterpreterInfo } from './protocol.ts'

/** An interpreter found on this machine and identified by what it says about itself. */
export interface Interpreter {
  /** Stable identity: a hash of the self-report (implementation, versions, build, JIT, GIL). */
  readonly identity: string
  readonly info: InterpreterInfo
  /** The path it was found under (a pyenv shim, a symlink…); workers run `info.executable`. */
  readonly foundAs: string
  /** Where the path came from: `--python`, `PATH`, `pyenv`. */
  readonly origin: string
}

/** A candidate that is not a usable Python, with the reason. */
export interface Rejected {
  readonly path: string
  readonly origin: string
  readonly reason: string
}

/** Where to look for interpreters (all injectable for tests). */
export interface DiscoveryOptions {
  readonly env?: NodeJS.ProcessEnv
  /** Explicit interpreters (`--python PATH`); when given, automatic discovery is off unless `alsoDiscover`. */
  readonly explicit?: readonly string[]
  readonly alsoDiscover?: boolean
  readonly timeoutMs?: number
}

/**
 * The identity of an interpreter: everything that changes what it runs, nothing about where it
 * was found. Two paths to one binary (a pyenv shim and the real file) give one identity.
 */
export function interpreterIdentity(info: InterpreterInfo): string {
  return sha256Hex(
    canonicalJson({
      implementation: info.implementation,
      version: info.version,
      implementationVersion: info.implementationVersion,
      sysVersion: info.sysVersion,
      configArgs: info.buildFlags.CONFIG_ARGS ?? null,
      jit: info.jit,
      freeThreading: info.freeThreading,
      pointerBits: info.pointerBits,
    }),
    16,
  )
}

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    const s = await stat(path)
    if (!s.isFile()) return false
    await access(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/** The first executable called `name` in the PATH directories, or null. */
export async function onPath(name: string, env: NodeJS.ProcessEnv): Promise<string | null> {
  return (await allOnPath(name, env))[0] ?? null
}

/** Every executable called `name` in the PATH directories, in PATH order. */
async function allOnPath(name: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  const out: string[] = []
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue
    const p = join(dir, name)
    if (await isExecutableFile(p)) out.push(p)
  }
  return out
}

function pyenvRootOf(env: NodeJS.ProcessEnv): string {
  return env.PYENV_ROOT ?? join(env.HOME ?? homedir(), '.pyenv')
}

/** pyenv's installed versions, oldest first (`[]` without pyenv). */
async function pyenvVersions(env: NodeJS.ProcessEnv): Promise<string[]> {
  try {
    return (await readdir(join(pyenvRootOf(env), 'versions'))).sort(compareVersionNames)
  } catch {
    return []
  }
}

/** True for a pyenv shim: a script that runs whichever version pyenv has active. */
function isPyenvShim(path: string, env: NodeJS.ProcessEnv): boolean {
  return path.startsWith(join(pyenvRootOf(env), 'shims') + '/')
}

/** Versioned CPython names looked for in PATH directories (`python3.11`), besides the plain ones. */
const VERSIONED_NAME = /^python\d\.\d+$/

/**
 * Candidate paths from PATH, pyenv and PyPy, in a stable order, with their origin. The first
 * `python3` on PATH comes first (runs compare against the first interpreter found); then every
 * pyenv version; then the other Pythons in PATH directories (`/usr/bin/python3` behind a pyenv
 * shim, `python3.11` beside `python3`), then PyPy. Shims other than the plain names are skipped:
 * they only run the version pyenv has active. Duplicates are merged later by real path.
 */
export async function candidatePaths(env: NodeJS.ProcessEnv): Promise<{ path: string; origin: string }[]> {
  const first: { path: string; origin: string }[] = []
  const rest: { path: string; origin: string }[] = []
  for (const name of ['python3', 'python']) {
    const [head, ...others] = await allOnPath(name, env)
    if (head) first.push({ path: head, origin: 'PATH' })
    for (const p of others) rest.push({ path: p, origin: 'PATH' })
  }
  const pyenv: { path: string; origin: string }[] = []
  for (const v of await pyenvVersions(env)) {
    for (const exe of ['python3', 'python', 'pypy3', 'pypy', 'python2']) {
      const p = join(pyenvRootOf(env), 'versions', v, 'bin', exe)
      if (await isExecutableFile(p)) {
        pyenv.push({ path: p, origin: 'pyenv' })
        break
      }
    }
  }
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir || isPyenvShim(join(dir, 'x'), env)) continue
    let names: string[]
    try {
      names = (await readdir(dir)).filter((n) => VERSIONED_NAME.test(n)).sort(compareVersionNames)
    } catch {
      continue
    }
    for (const n of names) {
      const p = join(dir, n)
      if (await isExecutableFile(p)) rest.push({ path: p, origin: 'PATH' })
    }
  }
  const pypy: { path: string; origin: string }[] = []
  for (const name of ['pypy3', 'pypy']) {
    const p = await onPath(name, env)
    if (p) pypy.push({ path: p, origin: 'PATH' })
  }
  return [...first, ...pyenv, ...rest, ...pypy]
}

/**
 * The executable a `--python` argument names. A path is taken as is. A bare name is what the
 * shell would run (the first on PATH), except that a pyenv shim for a versioned name
 * (`python3.12`), which runs only if pyenv has that version active, gives way to the newest pyenv
 * version that has the name (`~/.pyenv/versions/3.12.1/bin/python3.12`), then to a real file
 * further down PATH. Null when nothing has the name.
 */
export async function resolvePythonName(name: string, env: NodeJS.ProcessEnv): Promise<string | null> {
  if (name.includes('/')) return name
  const hits = await allOnPath(name, env)
  const head = hits[0]
  if (head !== undefined && !(isPyenvShim(head, env) && /\d\.\d/.test(name))) return head
  for (const v of (await pyenvVersions(env)).reverse()) {
    const p = join(pyenvRootOf(env), 'versions', v, 'bin', name)
    if (await isExecutableFile(p)) return p
  }
  return hits.find((p) => !isPyenvShim(p, env)) ?? head ?? null
}

/** Orders `3.9.18` before `3.10.13` (numeric parts compared as numbers). */
function compareVersionNames(a: string, b: string): number {
  const pa = a.split(/[.-]/)
  const pb = b.split(/[.-]/)
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? ''
    const y = pb[i] ?? ''
    const nx = Number(x)
    const ny = Number(y)
    if (Number.isFinite(nx) && Number.isFinite(ny) && x !== '' && y !== '') {
      if (nx !== ny) return nx - ny
    } else if (x !== y) return x < y ? -1 : 1
  }
  return 0
}

/** Asks one executable to describe itself through the harness; a reason when it cannot. */
export async function describeInterpreter(
  path: string,
  options: { readonly env?: NodeJS.ProcessEnv; readonly timeoutMs?: number } = {},
): Promise<{ ok: true; info: InterpreterInfo } | { ok: false; reason: string }> {
  const parent = options.env ?? process.env
  // pyenv shims pick the version from PYENV_VERSION or files; pass PYENV_* through for describe only.
  const extra: Record<string, string> = {}
  for (const [k, v] of Object.entries(parent)) if (k.startsWith('PYENV') && v !== undefined) extra[k] = v
  const out = await runWorker(path, [HARNESS_PATH, '--result-fd', '3', 'describe'], {
    timeoutMs: options.timeoutMs ?? 30_000,
    env: workerEnv(parent, extra),
  })
  if (out.spawnError) return { ok: false, reason: `cannot be started (${out.spawnError})` }
  if (out.timedOut) return { ok: false, reason: 'did not answer within the time limit' }
  const parsed = parseHarnessOutput(out.resultText)
  if (!parsed.ok) {
    const tail = out.stderrTail.trim().split('\n').slice(-3).join(' | ')
    return {
      ok: false,
      reason: `is not a Python the harness can run (${out.exitCode === null ? `signal ${out.signal}` : `exit status ${out.exitCode}`}${tail ? `: ${tail}` : ''})`,
    }
  }
  if (parsed.message.kind !== 'describe') {
    const msg = parsed.message.kind === 'error' ? parsed.message.message : parsed.message.kind
    return { ok: false, reason: `answered describe with ${msg}` }
  }
  return { ok: true, info: toInterpreterInfo(parsed.message) }
}

/**
 * Finds the interpreters on this machine (or those given explicitly) and identifies each by
 * its self-report; duplicates (shim and real binary, a symlink) are kept once. An explicit path
 * that does not exist or is not a Python throws before anything runs.
 */
export async function discoverInterpreters(
  options: DiscoveryOptions = {},
): Promise<{ interpreters: Interpreter[]; rejected: Rejected[] }> {
  const env = options.env ?? process.env
  const explicit = options.explicit ?? []
  const candidates: { path: string; origin: string }[] = []
  for (const p of explicit) {
    const resolved = (await resolvePythonName(p, env)) ?? p
    if (!(await isExecutableFile(resolved))) {
      throw new LangperfError(
        'bad-input',
        `Cannot use --python "${p}": expected an executable file${p.includes('/') ? '' : ' or a name on PATH or in pyenv'}, found ${
          (await exists(resolved)) ? 'a file that is not executable' : 'nothing'
        }; \`langperf interpreters\` lists the Pythons discovery finds, with their paths`,
      )
    }
    candidates.push({ path: resolved, origin: '--python' })
  }
  if (explicit.length === 0 || options.alsoDiscover) candidates.push(...(await candidatePaths(env)))
  const seenPaths = new Set<string>()
  const byIdentity = new Map<string, Interpreter>()
  const rejected: Rejected[] = []
  const described = await Promise.all(
    candidates.map(async (c) => {
      const real = await realpath(c.path).catch(() => c.path)
      return { c, real }
    }),
  )
  for (const { c, real } of described) {
    // Shims are shell scripts that exec the real binary: describing both is how they are merged.
    if (seenPaths.has(`${real}`) && c.origin !== '--python') continue
    seenPaths.add(real)
    const res = await describeInterpreter(c.path, { env, timeoutMs: options.timeoutMs ?? 30_000 })
    if (!res.ok) {
      if (c.origin === '--python') {
        const hint = isPyenvShim(c.path, env)
          ? ': it is a pyenv shim, which runs only the versions pyenv has active; give the path of the version (`langperf interpreters` lists them)'
          : ''
        throw new LangperfError('bad-input', `Cannot use --python "${c.path}": it ${res.reason}${hint}`)
      }
      rejected.push({ path: c.path, origin: c.origin, reason: res.reason })
      continue
    }
    const identity = interpreterIdentity(res.info)
    if (!byIdentity.has(identity))
      byIdentity.set(identity, { identity, info: res.info, foundAs: c.path, origin: c.origin })
  }
  return { interpreters: [...byIdentity.values()], rejected }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch {
    return false
  }
}
