import { spawn } from 'node:child_process'

// Spawns one worker process of the interpreter under test with the harness, collects its
// result channel (fd 3), the tail of stdout and stderr, and enforces a timeout by killing the
// whole process group (a workload may have children of its own, e.g. the start-up workload).

/** Everything observed about one worker process. */
export interface WorkerOutcome {
  /** Exit status, or null when a signal ended the process. */
  readonly exitCode: number | null
  readonly signal: NodeJS.Signals | null
  readonly timedOut: boolean
  /** What the harness wrote on the result descriptor (capped at maxResultBytes). */
  readonly resultText: string
  /** True when the result channel exceeded maxResultBytes (the rest was dropped). */
  readonly resultTruncated: boolean
  /** Last bytes of stderr (and of stdout, prefixed) for failure reports. */
  readonly stderrTail: string
  /** Last bytes of stdout (what a wrapper such as a profiler says after the child ends). */
  readonly stdoutTail: string
  readonly wallTimeMs: number
  /** Set when the process could not be started at all (ENOENT, EACCES…). */
  readonly spawnError: string | null
}

/** Options for one worker. */
export interface WorkerOptions {
  readonly timeoutMs: number
  readonly env: NodeJS.ProcessEnv
  readonly cwd?: string
  /** Cap on the result channel; a harness result is a few KB, garbage must not fill memory. */
  readonly maxResultBytes?: number
  /** Bytes of stderr kept for failure reports. */
  readonly tailBytes?: number
  /**
   * CPUs the worker may run on (`taskset -c` syntax, e.g. `1` or `2-3`), set by `taskset`
   * before the interpreter starts; absent: wherever the scheduler puts it.
   */
  readonly cpuList?: string
}

/** A `taskset -c` CPU list: numbers and ranges separated by commas. */
export const CPU_LIST_PATTERN = /^\d{1,4}(-\d{1,4})?(,\d{1,4}(-\d{1,4})?)*$/

const RESULT_FD = 3

/** Appends to a bounded tail buffer, keeping only the last `cap` bytes. */
function keepTail(prev: Buffer, chunk: Buffer, cap: number): Buffer {
  const joined = Buffer.concat([prev, chunk])
  return joined.length > cap ? joined.subarray(joined.length - cap) : joined
}

/** Runs `executable args…` with fd 3 as the result pipe; never rejects. */
export function runWorker(
  executable: string,
  args: readonly string[],
  options: WorkerOptions,
): Promise<WorkerOutcome> {
  const maxResult = options.maxResultBytes ?? 4 * 1024 * 1024
  const tailCap = options.tailBytes ?? 4096
  const t0 = performance.now()
  return new Promise((resolve) => {
    let child: ReturnType<typeof spawn>
    try {
      const [command, argv] =
        options.cpuList === undefined
          ? [executable, [...args]]
          : ['taskset', ['-c', options.cpuList, executable, ...args]]
      child = spawn(command, argv, {
        cwd: options.cwd,
        env: options.env,
        stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
        detached: true, // own process group, so a timeout can kill the workload's children too
      })
    } catch (err) {
      resolve(failedSpawn(err, t0))
      return
    }
    let result: Buffer = Buffer.alloc(0)
    let truncated = false
    let stderr: Buffer = Buffer.alloc(0)
    let stdout: Buffer = Buffer.alloc(0)
    let timedOut = false
    let spawnError: string | null = null
    const resultStream = child.stdio[RESULT_FD]
    if (resultStream && 'on' in resultStream) {
      resultStream.on('data', (chunk: Buffer) => {
        if (result.length + chunk.length > maxResult) {
          truncated = true
          result = Buffer.concat([result, chunk.subarray(0, Math.max(0, maxResult - result.length))])
        } else result = Buffer.concat([result, chunk])
      })
      resultStream.on('error', () => {})
    }
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = keepTail(stderr, chunk, tailCap)
    })
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout = keepTail(stdout, chunk, 1024)
    })
    const timer = setTimeout(() => {
      timedOut = true
      killGroup(child.pid)
    }, options.timeoutMs)
    child.on('error', (err) => {
      spawnError = err.message
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      // A workload may leave children behind; make sure none survive the worker.
      killGroup(child.pid)
      const stdoutText = stdout.toString('utf8')
      let tail = stderr.toString('utf8')
      if (stdoutText.trim() && code !== 0) tail = `${tail}\n[stdout] ${stdoutText.slice(-512)}`
      resolve({
        exitCode: code,
        signal,
        timedOut,
        resultText: result.toString('utf8'),
        resultTruncated: truncated,
        stderrTail: tail,
        stdoutTail: stdoutText,
        wallTimeMs: performance.now() - t0,
        spawnError,
      })
    })
  })
}

function failedSpawn(err: unknown, t0: number): WorkerOutcome {
  return {
    exitCode: null,
    signal: null,
    timedOut: false,
    resultText: '',
    resultTruncated: false,
    stderrTail: '',
    stdoutTail: '',
    wallTimeMs: performance.now() - t0,
    spawnError: err instanceof Error ? err.message : String(err),
  }
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return
  try {
    process.kill(-pid, 'SIGKILL')
  } catch {
    // Already gone.
  }
}

/** Variables passed through to workers; everything else is dropped so runs compare like with like. */
const PASS_THROUGH = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TZ', 'SYSTEMROOT'] as const

/**
 * The environment of a worker: a small fixed set from the parent (environment size alone moves
 * timings, Mytkowicz et al. 2009) plus what the user asked for. PYTHON* variables from the
 * parent are not inherited: PYTHONPATH or PYTHONHOME would change what is measured.
 */
export function workerEnv(
  parent: NodeJS.ProcessEnv,
  extra: Readonly<Record<string, string>> = {},
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const key of PASS_THROUGH) {
    const v = parent[key]
    if (v !== undefined) env[key] = v
  }
  return { ...env, ...extra }
}
