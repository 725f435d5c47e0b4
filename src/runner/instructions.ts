import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type JsonObject, LangperfError } from '../lib/index.ts'
import type { ProcessSamples } from '../model/index.ts'
import { onPath } from './discovery.ts'
import { runWorker, type WorkerOutcome } from './process.ts'
import { exec } from './tool-exec.ts'
import { classifyWorker } from './worker-outcome.ts'

// Instruction counts (`langperf run --measure instructions`): a workload's worker runs under
// valgrind's callgrind, which counts the instructions the process executes. The count is exactly
// repeatable for a fixed program, input, hash seed and environment, where wall time on a shared
// machine moves by a few percent. Only the timed region is counted:
//
// - `region` (CPython 3.3+, a workload timed by the harness): the harness runs with `--clock
//   process`, so the only calls of `time.process_time` (C: `time_process_time`) are the clock
//   readings around each timed value, and callgrind dumps its counters before each of them
//   (`--dump-before`). With one warm-up and one value the 4th dump holds exactly the value's
//   loops: the count is the same to the instruction from run to run.
// - `subtraction` (elsewhere: Python 2, a `time_loops` workload, a binary without symbols): one
//   process runs the warm-up alone, a second the warm-up and one value; the difference is the
//   value's instructions. Both processes also format a little metadata (the date, clock readings)
//   whose cost varies by a few thousand instructions, so such counts repeat to about 0.01 %.

/** The unit of an instruction-count result: instructions per loop (per inner iteration). */
export const INSTRUCTION_UNIT = 'instruction'

/** How each way of counting works, recorded in each result's metadata. */
export const INSTRUCTION_METHODS = {
  region:
    'callgrind Ir between the clock readings of one timed value (--clock process, --dump-before=time_process_time), per loop and inner iteration',
  subtraction:
    'callgrind Ir of (warm-up + one value of L loops) minus (the same warm-up alone), per loop and inner iteration',
} as const

/** One of the ways of counting: the timed region itself, or the difference of two processes. */
export type InstructionMethod = keyof typeof INSTRUCTION_METHODS

/** The C function of `time.process_time`, before each call of which callgrind dumps its counters. */
export const REGION_FUNCTION = 'time_process_time'

/** The environment of a counted worker: fixed, so that two runs execute the same instructions. */
export function instructionEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  return { PATH: '/usr/local/bin:/usr/bin:/bin', LC_ALL: 'C', PYTHONHASHSEED: '0', ...extra }
}

/** valgrind on this machine: where and which version. */
export interface Valgrind {
  readonly path: string
  /** `valgrind-3.19.0`. */
  readonly version: string
}

/** valgrind on PATH with its version, or a clear error naming the fix. */
export async function findValgrind(env: NodeJS.ProcessEnv): Promise<Valgrind> {
  const path = await onPath('valgrind', env)
  const version = path === null ? null : await exec(path, ['--version'], { timeoutMs: 10_000 })
  if (path === null || version === null || !version.ok)
    throw new LangperfError(
      'unavailable',
      'Cannot count instructions: valgrind is not installed (Debian/Ubuntu: apt-get install valgrind)',
    )
  return { path, version: version.stdout.trim() }
}

/** The total instructions (`totals:` line, event Ir) of a callgrind output file; null if absent. */
export function parseCallgrindTotal(text: string): number | null {
  const m = /^(?:totals|summary):\s+(\d+)/m.exec(text)
  return m ? Number(m[1]) : null
}

/** One process run under callgrind: the worker's outcome and the instructions it executed. */
export interface CountedWorker {
  readonly outcome: WorkerOutcome
  /** Instructions of the whole process (every dump and the final part); null without output. */
  readonly instructions: number | null
  /** With `dumpBefore`: the instructions of each interval before a call of that function, in order. */
  readonly dumps: readonly number[]
}

/**
 * Runs `python args…` under callgrind with the fixed environment (plus `extraEnv`), the result
 * channel on fd 3 as for any worker, and returns the count of executed instructions; with
 * `dumpBefore`, also the count of each interval ending at a call of that C function.
 */
export async function runCounted(
  valgrind: Valgrind,
  python: string,
  args: readonly string[],
  options: {
    readonly timeoutMs: number
    readonly extraEnv?: Readonly<Record<string, string>>
    readonly dumpBefore?: string
  },
): Promise<CountedWorker> {
  const dir = await mkdtemp(join(tmpdir(), 'langperf-callgrind-'))
  try {
    const file = join(dir, 'callgrind.out')
    const dump = options.dumpBefore === undefined ? [] : [`--dump-before=${options.dumpBefore}`]
    const outcome = await runWorker(
      valgrind.path,
      ['--tool=callgrind', '-q', ...dump, `--callgrind-out-file=${file}`, python, ...args],
      { timeoutMs: options.timeoutMs, env: instructionEnv(options.extraEnv) },
    )
    const read = async (f: string) => parseCallgrindTotal(await readFile(f, 'utf8').catch(() => ''))
    const dumps: number[] = []
    for (const name of await readdir(dir)) {
      const n = /^callgrind\.out\.(\d+)$/.exec(name)?.[1]
      const total = n === undefined ? null : await read(join(dir, name))
      if (n !== undefined && total !== null) dumps[Number(n) - 1] = total
    }
    const last = await read(file)
    const all = [...dumps, last]
    const complete = all.every((x) => typeof x === 'number')
    return {
      outcome,
      instructions: complete ? all.reduce<number>((a, b) => a + (b ?? 0), 0) : null,
      dumps: complete ? dumps : [],
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** What one count of a workload gave: the process's samples, or why there are none. */
export type CountOutcome =
  | { readonly ok: true; readonly process: ProcessSamples }
  | { readonly ok: false; readonly message: string; readonly stderrTail: string }

/** How to run a workload's counted process: the harness arguments for a warm-up and `values` values. */
export interface CountPlan {
  readonly valgrind: Valgrind
  readonly python: string
  /** The harness command line (harness path first) of one warm-up and `values` values of the plan's loops. */
  readonly harnessArgs: (values: number, clock: 'wall' | 'process') => string[]
  readonly loops: number
  readonly innerLoops: number
  readonly timeoutMs: number
  readonly extraEnv?: Readonly<Record<string, string>>
}

/**
 * The instructions per loop (and inner iteration) of one timed value of a workload: counted on the
 * region between the value's clock readings where the interpreter allows it, else by subtraction
 * of two processes (see the top of this file). The process's metadata says which.
 */
export async function countWorkload(plan: CountPlan): Promise<CountOutcome> {
  const run = (values: number, clock: 'wall' | 'process', dumpBefore?: string) =>
    runCounted(plan.valgrind, plan.python, plan.harnessArgs(values, clock), {
      timeoutMs: plan.timeoutMs,
      ...(plan.extraEnv ? { extraEnv: plan.extraEnv } : {}),
      ...(dumpBefore ? { dumpBefore } : {}),
    })
  const perLoop = (n: number) => n / (plan.loops * plan.innerLoops)
  // The region: dumps before the warm-up's two readings and the value's two, then the rest.
  const region = await run(1, 'process', REGION_FUNCTION)
  const r = classifyWorker(region.outcome)
  const value = region.dumps[3]
  if (r.ok && region.dumps.length === 4 && value !== undefined && value > 0)
    return {
      ok: true,
      process: counted(perLoop(value), 'region', r.result.metadata as JsonObject, region.outcome.wallTimeMs, {
        instructions_region: value,
        instructions_process: region.instructions ?? 0,
      }),
    }
  const baseline = await run(0, 'wall')
  const b = classifyWorker(baseline.outcome)
  if (!b.ok) return { ok: false, message: b.message, stderrTail: b.stderrTail }
  const measured = await run(1, 'wall')
  const m = classifyWorker(measured.outcome)
  if (!m.ok) return { ok: false, message: m.message, stderrTail: m.stderrTail }
  if (baseline.instructions === null || measured.instructions === null)
    return {
      ok: false,
      message: 'callgrind wrote no instruction total',
      stderrTail: measured.outcome.stderrTail,
    }
  const diff = measured.instructions - baseline.instructions
  if (!(diff > 0))
    return {
      ok: false,
      message: `The process with a timed value executed no more instructions than the one without (${measured.instructions} vs ${baseline.instructions})`,
      stderrTail: '',
    }
  const wallMs = region.outcome.wallTimeMs + baseline.outcome.wallTimeMs + measured.outcome.wallTimeMs
  return {
    ok: true,
    process: counted(perLoop(diff), 'subtraction', m.result.metadata as JsonObject, wallMs, {
      instructions_baseline: baseline.instructions,
      instructions_measured: measured.instructions,
      region_unavailable: r.ok
        ? `callgrind made ${region.dumps.length} dumps before ${REGION_FUNCTION}, expected 4`
        : r.message,
    }),
  }
}

/** The samples of one count: one value, instructions per inner iteration, and how it was had. */
function counted(
  value: number,
  method: InstructionMethod,
  metadata: JsonObject,
  wallMs: number,
  extra: JsonObject,
): ProcessSamples {
  return {
    warmups: [],
    values: [value],
    metadata: { ...metadata, ...extra, instructions_method: method, worker_wall_ms: Math.round(wallMs) },
  }
}
