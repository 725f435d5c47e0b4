import { randomBytes } from 'node:crypto'
import { mkdir, readFile, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { quote } from '../lib/index.ts'
import { runWorker, type WorkerOptions, type WorkerOutcome } from './process.ts'
import { exec, isExecutable, lastLines } from './tool-exec.ts'

// py-spy, the sampling profiler of Python stacks (https://github.com/benfred/py-spy), as a tool
// langperf installs into its own cache on first use and reuses afterwards. It reads the stacks of
// the interpreter's memory with ptrace, so it needs no change to the interpreter and works on
// CPython 2.7–3.13; not on PyPy ("Failed to find python version from target process").
// Everything that can go wrong is returned as a sentence, never thrown: a missing profiler is
// data (a profile stored as unavailable), not a crash.

/** The py-spy version langperf installs and records with every profile. */
export const PY_SPY_VERSION = '0.4.2'

/** Where py-spy goes under langperf's cache directory: `<cache>/tools/py-spy-0.4.2`. */
export function pySpyDir(cacheDir: string): string {
  return join(cacheDir, 'tools', `py-spy-${PY_SPY_VERSION}`)
}

/** py-spy ready to run, or why it is not. */
export type ToolInstall =
  | {
      readonly ok: true
      /** Absolute path of the `py-spy` binary. */
      readonly path: string
      readonly version: string
      /** True when this call installed it (false: found in the cache). */
      readonly installed: boolean
    }
  | { readonly ok: false; readonly reason: string }

/** Options of `ensurePySpy`. */
export interface ToolInstallOptions {
  /** The Python whose pip installs the wheel (default `python3` on PATH). */
  readonly pipPython?: string
  /** Environment of pip (its index, proxy and wheel-store settings). */
  readonly env?: NodeJS.ProcessEnv
  /** pip is killed after this long (default 5 minutes). */
  readonly timeoutMs?: number
}

/** The version a py-spy binary reports (`py-spy 0.4.2`), or why it cannot run. */
async function pySpyVersion(
  path: string,
): Promise<{ ok: true; version: string } | { ok: false; reason: string }> {
  const r = await exec(path, ['--version'], { timeoutMs: 30_000 })
  const m = /^py-spy (\S+)/.exec(r.stdout.trim())
  if (!r.ok || m?.[1] === undefined)
    return { ok: false, reason: `${quote(path)} --version failed: ${lastLines(r.stderr) || r.stdout.trim()}` }
  return { ok: true, version: m[1] }
}

/**
 * py-spy from the cache (`<cacheDir>/tools/py-spy-0.4.2/bin/py-spy`), installed there first with
 * `python3 -m pip install --target` when absent. The install goes to a temporary directory renamed
 * into place, so a concurrent or interrupted install never leaves half a tool behind.
 */
export async function ensurePySpy(cacheDir: string, options: ToolInstallOptions = {}): Promise<ToolInstall> {
  const dir = pySpyDir(cacheDir)
  const binary = join(dir, 'bin', 'py-spy')
  let installed = false
  if (!(await isExecutable(binary))) {
    const done = await installPySpy(dir, options)
    if (!done.ok) return done
    installed = true
  }
  const v = await pySpyVersion(binary)
  if (!v.ok) return { ok: false, reason: `Cannot use py-spy from the cache: ${v.reason}` }
  if (v.version !== PY_SPY_VERSION) {
    return {
      ok: false,
      reason: `Cannot use py-spy from the cache: expected version ${PY_SPY_VERSION} in ${quote(dir)}, found ${quote(v.version)}`,
    }
  }
  return { ok: true, path: binary, version: v.version, installed }
}

/** Installs the wheel into `dir` through a temporary sibling directory. */
async function installPySpy(
  dir: string,
  options: ToolInstallOptions,
): Promise<{ readonly ok: true } | { readonly ok: false; readonly reason: string }> {
  const python = options.pipPython ?? 'python3'
  const tmp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`
  const spec = `py-spy==${PY_SPY_VERSION}`
  try {
    await mkdir(tmp, { recursive: true })
    const pip = await exec(
      python,
      ['-m', 'pip', 'install', '--target', tmp, '--no-deps', '--disable-pip-version-check', spec],
      { ...(options.env ? { env: options.env } : {}), timeoutMs: options.timeoutMs ?? 300_000 },
    )
    if (!pip.ok) {
      return {
        ok: false,
        reason: `Cannot install ${spec} with "${python} -m pip install --target": ${lastLines(pip.stderr) || 'pip failed without a message'}`,
      }
    }
    if (!(await isExecutable(join(tmp, 'bin', 'py-spy')))) {
      return { ok: false, reason: `Cannot install ${spec}: pip installed it without a bin/py-spy binary` }
    }
    try {
      await rename(tmp, dir)
    } catch (error) {
      // Another process installed it meanwhile: keep theirs.
      if (!(await isExecutable(join(dir, 'bin', 'py-spy')))) {
        return { ok: false, reason: `Cannot install ${spec} into ${quote(dir)}: ${(error as Error).message}` }
      }
    }
    return { ok: true }
  } catch (error) {
    return { ok: false, reason: `Cannot install ${spec} into ${quote(dir)}: ${(error as Error).message}` }
  } finally {
    await rm(tmp, { recursive: true, force: true })
  }
}

/** How py-spy samples: the rate, and the function-level line numbers the profile views group by. */
export interface PySpyRecordOptions {
  /** Samples per second (py-spy's `--rate`). */
  readonly rateHz: number
  /** Where py-spy writes the collapsed stacks (`--format raw`). */
  readonly outFile: string
}

/**
 * py-spy's arguments to record `executable args…` as collapsed stacks. `--function` makes each
 * frame's line the first line of its function, so a function is one frame whatever line ran;
 * `--full-filenames` keeps paths whole (py-spy otherwise cuts them to the package part, and every
 * workload's file is `workload.py`).
 * Not `--subprocesses`: the harness runs the workload in its own process, and following children
 * (the start-up workloads' interpreters) would mix their stacks into the worker's. Not `--idle`:
 * a thread waiting is not where the time of a CPU-bound workload goes. Not `--native`: C frames
 * are a later slice (docs/profiles.md).
 */
export function pySpyRecordArgs(
  executable: string,
  args: readonly string[],
  options: PySpyRecordOptions,
): string[] {
  return [
    'record',
    '--format',
    'raw',
    '--rate',
    String(options.rateHz),
    '--function',
    '--full-filenames',
    '--output',
    options.outFile,
    '--',
    executable,
    ...args,
  ]
}

/** One worker process run under py-spy: the worker's outcome, and what py-spy recorded. */
export interface ProfiledWorker {
  /**
   * The py-spy process's outcome; its result channel is the harness's (fd 3 is inherited). Its
   * exit status is py-spy's, made 0 when py-spy's only error was the harmless one of #759.
   */
  readonly outcome: WorkerOutcome
  /** The collapsed stacks py-spy wrote, or null when it wrote none. */
  readonly stacks: string | null
  /** What py-spy said it sampled (`Samples: N Errors: E`), when it said so. */
  readonly reported: { readonly samples: number; readonly errors: number } | null
  /** py-spy's error (`Error: …` on stderr), else null; the harmless one of py-spy#759 is dropped. */
  readonly error: string | null
}

/**
 * Runs `executable args…` under `py-spy record`. py-spy launches the interpreter itself (as root
 * that needs no extra capability, unlike attaching to a running pid); the harness's result
 * descriptor passes through py-spy to it. py-spy 0.4.2 may exit 1 with "No child process (os
 * error 10)" after writing a complete profile (benfred/py-spy#759: its sampler thread already
 * reaped the child), so success is judged by the file it wrote, not by its exit status.
 */
export async function runProfiledWorker(
  pySpyPath: string,
  command: { readonly executable: string; readonly args: readonly string[] },
  options: WorkerOptions & PySpyRecordOptions,
): Promise<ProfiledWorker> {
  await rm(options.outFile, { force: true })
  const outcome = await runWorker(
    pySpyPath,
    pySpyRecordArgs(command.executable, command.args, options),
    options,
  )
  let stacks: string | null = null
  try {
    stacks = await readFile(options.outFile, 'utf8')
  } catch {
    stacks = null
  }
  const m = /Samples: (\d+) Errors: (\d+)/.exec(outcome.stdoutTail)
  const reported = m ? { samples: Number(m[1]), errors: Number(m[2]) } : null
  const errorLine = /^Error: (.+)$/m.exec(outcome.stderrTail)?.[1]?.trim() ?? null
  const harmless = stacks !== null && errorLine !== null && /os error 10\b/.test(errorLine)
  // py-spy's status is its own; after #759 alone, the worker's is taken as the success it was.
  const status = harmless && outcome.exitCode === 1 ? { ...outcome, exitCode: 0 } : outcome
  return { outcome: status, stacks, reported, error: harmless ? null : errorLine }
}
