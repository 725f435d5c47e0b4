import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { quote, sha256Hex } from '../lib/index.ts'
import { exec, isExecutable, lastLines } from './tool-exec.ts'

// Virtual environments for workloads with Python requirements (manifest `requirements`). One per
// interpreter × requirements set, under `<cache>/venvs/<interpreter identity>-<requirements hash>/`,
// created with the interpreter's own `-m venv` (so the environment's python is that very build and
// the result keeps the interpreter's identity) and filled by its pip from the index pip is
// configured with (pip.conf, PIP_* variables): langperf never names an index. A stamp file,
// written last, marks a finished install; a directory without it (an install that was
// interrupted or failed) is removed and made again. Failures are returned as a reason, never
// thrown: the suite records "requirements unavailable" for that interpreter and goes on.

/** The file written last into a finished environment: its requirements and what pip installed. */
export const VENV_STAMP = 'langperf-venv.json'

/** What `ensureVenv` needs to know of an interpreter (a discovered `Interpreter` has it). */
export interface VenvInterpreter {
  /** langperf's interpreter identity (a hash of its self-report). */
  readonly identity: string
  /** Its executable and language version (`3.11.7`). */
  readonly info: { readonly executable: string; readonly version: string }
}

/** An environment ready to run workers, or why there is none. */
export type VenvOutcome =
  | {
      readonly ok: true
      /** The environment's python (`<dir>/bin/python`). */
      readonly python: string
      readonly dir: string
      /** `name==version` of every distribution in it (pip freeze), sorted. */
      readonly installed: readonly string[]
      /** True when this call created it (false: reused from the cache). */
      readonly created: boolean
    }
  | { readonly ok: false; readonly reason: string }

/** Options of `ensureVenv`. */
export interface VenvOptions {
  /** Environment of venv and pip: pip reads its index and wheel store from here and pip.conf. */
  readonly env?: NodeJS.ProcessEnv
  /** Each of venv and pip is killed after this long (default 10 minutes). */
  readonly timeoutMs?: number
}

/**
 * The cache key of an environment: the interpreter identity and a hash of the requirements,
 * sorted (their order in a manifest does not matter), e.g. `3f2a…-9c1d0e7a44b2`.
 */
export function venvKey(identity: string, requirements: readonly string[]): string {
  const sorted = [...requirements].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  return `${identity.replace(/[^A-Za-z0-9]/g, '').slice(0, 16)}-${sha256Hex(sorted.join('\n'), 12)}`
}

/** Where the environment of `identity` × `requirements` lives under langperf's cache directory. */
export function venvDir(cacheDir: string, identity: string, requirements: readonly string[]): string {
  return join(cacheDir, 'venvs', venvKey(identity, requirements))
}

/**
 * The environment of `interpreter` with `requirements` installed: from the cache when its stamp
 * is there, else made anew (`python -m venv`, then `pip install --only-binary=:all:`).
 */
export async function ensureVenv(
  cacheDir: string,
  interpreter: VenvInterpreter,
  requirements: readonly string[],
  options: VenvOptions = {},
): Promise<VenvOutcome> {
  const dir = venvDir(cacheDir, interpreter.identity, requirements)
  const languageVersion = /^(\d+)\.(\d+)/.exec(interpreter.info.version)
  const xy = languageVersion ? `${languageVersion[1]}.${languageVersion[2]}` : interpreter.info.version
  const [major, minor] = languageVersion ? [Number(languageVersion[1]), Number(languageVersion[2])] : [3, 99]
  if (major < 3 || (major === 3 && minor < 3)) return { ok: false, reason: `Python ${xy} has no venv module` }
  const cached = await fromCache(dir)
  if (cached !== null) return cached
  const timeoutMs = options.timeoutMs ?? 600_000
  await mkdir(join(cacheDir, 'venvs'), { recursive: true })
  // One maker per environment: another langperf making it meanwhile is waited for, then reused.
  const lock = await acquireLock(`${dir}.lock`, timeoutMs)
  if (!lock.ok) return lock
  try {
    return (
      (await fromCache(dir)) ?? (await makeVenv(dir, interpreter, requirements, { ...options, timeoutMs }))
    )
  } finally {
    await rm(`${dir}.lock`, { force: true })
  }
}

/** The finished environment in `dir` (its stamp and python are there), or null. */
async function fromCache(dir: string): Promise<VenvOutcome | null> {
  const python = join(dir, 'bin', 'python')
  const stamp = await readStamp(join(dir, VENV_STAMP))
  if (stamp === null || !(await isExecutable(python))) return null
  return { ok: true, python, dir, installed: stamp.installed, created: false }
}

/**
 * Creates `lock` exclusively, holding this process's id. A lock whose process is gone (a langperf
 * killed mid-install) is taken over; a live one is waited for, up to `timeoutMs`.
 */
async function acquireLock(
  lock: string,
  timeoutMs: number,
): Promise<{ ok: true } | { ok: false; reason: string }> {
  const started = Date.now()
  for (;;) {
    try {
      await writeFile(lock, String(process.pid), { flag: 'wx' })
      return { ok: true }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    const holder = Number((await readFile(lock, 'utf8').catch(() => '')).trim())
    // A lock just created holds no pid yet (its maker writes it after creating the file): only
    // a lock that stayed empty for LOCK_WRITE_GRACE_MS, or names a process that is gone, is stale.
    const stale = holder > 0 ? !isAlive(holder) : await olderThan(lock, LOCK_WRITE_GRACE_MS)
    if (stale) {
      await rm(lock, { force: true })
      continue
    }
    if (Date.now() - started > timeoutMs)
      return {
        ok: false,
        reason: `another process (pid ${holder}) has been making ${quote(lock.slice(0, -5), 200)} for too long`,
      }
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

/** How long a lock file may stay without a pid while its maker writes it. */
const LOCK_WRITE_GRACE_MS = 5_000

/** True when `file` was last modified more than `ms` ago (or is gone). */
async function olderThan(file: string, ms: number): Promise<boolean> {
  const info = await stat(file).catch(() => null)
  return info === null || Date.now() - info.mtimeMs > ms
}

/** True when process `pid` exists (signal 0 checks without signalling); false for a pid that is not a number. */
function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Makes the environment in `dir` from nothing: venv, pip install, pip freeze, the stamp last. */
async function makeVenv(
  dir: string,
  interpreter: VenvInterpreter,
  requirements: readonly string[],
  options: VenvOptions & { readonly timeoutMs: number },
): Promise<VenvOutcome> {
  const { timeoutMs } = options
  const python = join(dir, 'bin', 'python')
  const run = (file: string, args: readonly string[]) =>
    exec(file, args, { ...(options.env ? { env: options.env } : {}), timeoutMs })
  await rm(dir, { recursive: true, force: true })
  const venv = await run(interpreter.info.executable, ['-m', 'venv', dir])
  if (!venv.ok) return failed(dir, `"python -m venv" failed: ${lastLines(venv.stderr, 3) || 'no message'}`)
  // --only-binary: nothing is built (no setup.py of a package runs, no compiler for minutes);
  // --retries 0 unless the caller's pip says otherwise: an index that cannot be reached fails at
  // once instead of after a minute of back-off per package.
  const retries = options.env?.PIP_RETRIES === undefined ? ['--retries', '0'] : []
  const pip = await run(python, [
    '-m',
    'pip',
    'install',
    '--no-input',
    '--disable-pip-version-check',
    '--only-binary=:all:',
    ...retries,
    ...requirements,
  ])
  if (!pip.ok)
    return failed(
      dir,
      // pip's last line names what failed ("No matching distribution found for numpy==2.0.2"): it
      // goes first, so that a table cut at a hundred characters still shows it.
      `${lastLines(pip.stderr, 1).replace(/^ERROR: /, '') || 'pip install failed without a message'} (pip install of ${requirements.length} requirements: ${lastLines(pip.stderr, 3)})`,
    )
  const freeze = await run(python, ['-m', 'pip', 'freeze', '--all', '--disable-pip-version-check'])
  if (!freeze.ok) return failed(dir, `pip freeze failed: ${lastLines(freeze.stderr, 3) || 'no message'}`)
  const installed = freeze.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .sort()
  const body = {
    requirements: [...requirements],
    installed,
    python: interpreter.info.executable,
    identity: interpreter.identity,
  }
  await writeFile(join(dir, VENV_STAMP), `${JSON.stringify(body, null, 2)}\n`)
  return { ok: true, python, dir, installed, created: true }
}

/** Removes the half-made environment and says why it failed. */
async function failed(dir: string, reason: string): Promise<VenvOutcome> {
  await rm(dir, { recursive: true, force: true })
  return { ok: false, reason: `${reason} (environment ${quote(dir, 200)})` }
}

async function readStamp(file: string): Promise<{ installed: string[] } | null> {
  try {
    const raw = JSON.parse(await readFile(file, 'utf8')) as { installed?: unknown }
    if (!Array.isArray(raw.installed)) return null
    return { installed: raw.installed.filter((x): x is string => typeof x === 'string') }
  } catch {
    return null
  }
}
