import { spawn } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { InterpreterInfo } from '../model/index.ts'
import { onPath } from './discovery.ts'
import { PerfScriptReader, type PerfStacks } from './perf-script.ts'
import { runWorker, type WorkerOptions, type WorkerOutcome } from './process.ts'
import type { ToolInstall } from './pyspy.ts'
import { exec, lastLines } from './tool-exec.ts'

// Linux `perf` as a profiler of C-level frames (docs/profiles.md, "C frames with perf"). perf
// samples any process, C frames and all, with `cpu-clock` (a software event: these VMs have no
// hardware counters), unwinding each sample's stack from a copy of it (`--call-graph dwarf`: the
// interpreters here are built without frame pointers). CPython names its Python frames for perf
// when asked: `-X perf_jit` on 3.13+ writes a jitdump with unwind information (`perf inject
// --jit` turns it into objects perf can read), `-X perf` on 3.12 a perf map of its trampolines
// (dwarf unwinding stops at the innermost one: only the innermost Python frame is seen). Older
// interpreters and PyPy give C frames only. perf is not installed by langperf: it must match the
// kernel, so it comes from the system (Debian: linux-perf); where it is missing or the kernel
// forbids recording (`kernel.perf_event_paranoid`), the reason is returned, never thrown.

/** perf's sampling: the event and the call graph. */
export const PERF_EVENT = 'cpu-clock'
/** Bytes of user stack copied per sample for dwarf unwinding (perf's default is 8192). */
export const PERF_STACK_BYTES = 16_384

/** How an interpreter names its Python frames for perf. */
export type PerfPythonSupport = 'perf_jit' | 'perf' | 'none'

/** Where CPython writes its perf map and jitdump (fixed by CPython, not TMPDIR). */
const CPYTHON_PERF_DIR = '/tmp'

/** `-X perf_jit` on CPython 3.13+, `-X perf` on 3.12, nothing elsewhere (older, PyPy: C frames only). */
export function perfPythonSupport(
  info: Pick<InterpreterInfo, 'implementation' | 'version'>,
): PerfPythonSupport {
  if (info.implementation !== 'cpython') return 'none'
  const [major, minor] = info.version.split('.').map(Number)
  if (major !== 3 || minor === undefined || !Number.isFinite(minor)) return 'none'
  if (minor >= 13) return 'perf_jit'
  return minor === 12 ? 'perf' : 'none'
}

/** The interpreter's options for `support`. */
export function perfPythonArgs(support: PerfPythonSupport): string[] {
  return support === 'none' ? [] : ['-X', support]
}

/** `perf record`'s arguments for `executable args…`, writing `outFile`. */
export function perfRecordArgs(
  executable: string,
  args: readonly string[],
  options: { readonly rateHz: number; readonly outFile: string },
): string[] {
  return [
    'record',
    ...['-e', PERF_EVENT, '-F', String(options.rateHz)],
    // The monotonic clock for sample times, which jitdump records use too (perf inject needs it).
    ...['-k', '1'],
    ...['--call-graph', `dwarf,${PERF_STACK_BYTES}`],
    // No copies of every binary into the build-id cache (~/.debug).
    '--no-buildid-cache',
    '--quiet',
    ...['-o', options.outFile],
    '--',
    executable,
    ...args,
  ]
}

/** `perf script`'s arguments: pid, then per frame its address, symbol and object; no inline expansion (slow, via addr2line). */
export function perfScriptArgs(inFile: string): string[] {
  return ['script', '--no-inline', '-F', 'pid,ip,sym,dso', '-i', inFile]
}

/**
 * perf from PATH with its version, checked by recording `true` once: perf missing, a Debian
 * wrapper without the kernel's perf, or `perf_event_paranoid` forbidding the event all come back
 * as the reason.
 */
export async function findPerf(env: NodeJS.ProcessEnv): Promise<ToolInstall> {
  const path = await onPath('perf', env)
  if (path === null)
    return {
      ok: false,
      reason:
        'perf is not installed (Debian: apt-get install linux-perf; it is not installed by langperf, as it must match the kernel)',
    }
  const v = await exec(path, ['--version'], { env, timeoutMs: 30_000 })
  const version = /^perf version (\S+)/.exec(v.stdout.trim())?.[1]
  if (!v.ok || version === undefined)
    return { ok: false, reason: `perf --version failed: ${lastLines(v.stderr) || v.stdout.trim()}` }
  const dir = await mkdtemp(join(tmpdir(), 'langperf-perf-probe-'))
  try {
    const probe = await exec(
      path,
      perfRecordArgs('true', [], { rateHz: 99, outFile: join(dir, 'probe.data') }),
      { env: { ...env, PERF_BUILDID_DIR: join(dir, 'buildid') }, timeoutMs: 60_000 },
    )
    if (!probe.ok) {
      const paranoid = await readFile('/proc/sys/kernel/perf_event_paranoid', 'utf8').catch(() => null)
      return {
        ok: false,
        reason: `perf ${version} cannot record here: ${lastLines(probe.stderr, 3) || 'no message'}${paranoid === null ? '' : ` (kernel.perf_event_paranoid = ${paranoid.trim()})`}`,
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
  return { ok: true, path, version, installed: false }
}

/** One worker process run under perf: the worker's outcome, and the stacks perf recorded. */
export interface PerfWorker {
  /** perf record's outcome: the worker's status (perf exits with it), its result channel passed through. */
  readonly outcome: WorkerOutcome
  /** The stacks of the process, or null when perf recorded none. */
  readonly stacks: PerfStacks | null
  /** Whether `perf inject --jit` ran (a jitdump was written). */
  readonly injected: boolean
  /** What went wrong in perf itself (record, inject or script), else null. */
  readonly error: string | null
}

/** Options of one profiled process. */
export interface PerfRunOptions extends WorkerOptions {
  readonly rateHz: number
  /** A directory of this run's own: perf's data files and build-id cache go there. */
  readonly workDir: string
  /** Distinguishes this process's files in `workDir`. */
  readonly name: string
  readonly support: PerfPythonSupport
}

/**
 * Runs `executable args…` (the interpreter's perf option added first) under `perf record`, then
 * `perf inject --jit` when the interpreter wrote a jitdump, then reads `perf script` into
 * collapsed stacks. CPython's perf map and jitdump files (and the objects perf inject makes of
 * them) are in /tmp, named by pid: they are removed for every pid of the recording.
 */
export async function runPerfWorker(
  perfPath: string,
  command: { readonly executable: string; readonly args: readonly string[] },
  options: PerfRunOptions,
): Promise<PerfWorker> {
  const data = join(options.workDir, `${options.name}.data`)
  const env = { ...options.env, PERF_BUILDID_DIR: join(options.workDir, 'buildid') }
  const outcome = await runWorker(
    perfPath,
    perfRecordArgs(command.executable, [...perfPythonArgs(options.support), ...command.args], {
      rateHz: options.rateHz,
      outFile: data,
    }),
    { ...options, env },
  )
  let input = data
  let injected = false
  let pids: readonly number[] = []
  try {
    if (options.support === 'perf_jit') {
      const jitted = join(options.workDir, `${options.name}.jit.data`)
      const inject = await exec(perfPath, ['inject', '--jit', '-i', data, '-o', jitted], {
        env,
        timeoutMs: options.timeoutMs,
      })
      if (!inject.ok) {
        // The recording still names the pids whose jitdump files are to be removed.
        const raw = await readPerfScript(perfPath, perfScriptArgs(data), {
          env,
          timeoutMs: options.timeoutMs,
        })
        pids = raw.stacks?.pids ?? []
        return {
          outcome,
          stacks: null,
          injected,
          error: `perf inject --jit failed: ${lastLines(inject.stderr)}`,
        }
      }
      input = jitted
      injected = true
    }
    const script = await readPerfScript(perfPath, perfScriptArgs(input), {
      env,
      timeoutMs: options.timeoutMs,
    })
    pids = script.stacks?.pids ?? []
    const error = script.stacks === null || script.stacks.samples === 0 ? script.error : null
    return { outcome, stacks: script.stacks, injected, error }
  } finally {
    await removeCPythonPerfFiles(pids)
  }
}

/** At most this much `perf script` text is read (about a minute of deep stacks at 1 kHz). */
const MAX_SCRIPT_BYTES = 1024 * 1024 * 1024

/** Streams `perf script` into the reader; its stacks, or why there are none. */
function readPerfScript(
  perfPath: string,
  args: readonly string[],
  options: { readonly env: NodeJS.ProcessEnv; readonly timeoutMs: number },
): Promise<{ readonly stacks: PerfStacks | null; readonly error: string | null }> {
  return new Promise((resolve) => {
    const reader = new PerfScriptReader()
    let bytes = 0
    let rest = ''
    let stderr = ''
    let capped = false
    const child = spawn(perfPath, [...args], { env: options.env, stdio: ['ignore', 'pipe', 'pipe'] })
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs)
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk: string) => {
      if (capped) return
      bytes += chunk.length
      if (bytes > MAX_SCRIPT_BYTES) {
        capped = true
        child.kill('SIGKILL')
        return
      }
      const lines = (rest + chunk).split('\n')
      rest = lines.pop() ?? ''
      for (const line of lines) reader.push(line)
      // A line without an end stays bounded: the reader cuts long lines anyway.
      if (rest.length > 65_536) rest = rest.slice(0, 65_536)
    })
    child.stderr.setEncoding('utf8')
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4096)
    })
    child.on('error', (err) => {
      clearTimeout(timer)
      resolve({ stacks: null, error: `perf script could not start: ${err.message}` })
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      if (rest !== '') reader.push(rest)
      const stacks = reader.finish()
      const why = capped
        ? `perf script wrote more than ${MAX_SCRIPT_BYTES} bytes (read up to there)`
        : code === 0
          ? null
          : `perf script failed (${signal ?? `exit ${code}`}): ${lastLines(stderr) || 'no message'}`
      resolve({ stacks, error: why })
    })
  })
}

/** Removes CPython's `/tmp/perf-PID.map`, `/tmp/jit-PID.dump` and perf inject's `/tmp/jitted-PID-N.so` of these pids. */
async function removeCPythonPerfFiles(pids: readonly number[]): Promise<void> {
  if (pids.length === 0) return
  let names: string[]
  try {
    names = await readdir(CPYTHON_PERF_DIR)
  } catch {
    return
  }
  const wanted = new Set(pids.map(String))
  const ours = names.filter((n) => {
    const m = /^(?:perf-(\d+)\.map|jit-(\d+)\.dump|jitted-(\d+)-\d+\.so)$/.exec(n)
    const pid = m?.[1] ?? m?.[2] ?? m?.[3]
    return pid !== undefined && wanted.has(pid)
  })
  await Promise.all(ours.map((n) => rm(join(CPYTHON_PERF_DIR, n), { force: true })))
}
