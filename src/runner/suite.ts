import type { JsonObject, JsonValue } from '../lib/index.ts'
import {
  type FailureReason,
  type ProcessSamples,
  processMeans,
  type WorkloadDefinition,
  type WorkloadResult,
} from '../model/index.ts'
import type { Interpreter } from './discovery.ts'
import { parseCpuList } from './environment.ts'
import { runHttpProcess } from './http-driver.ts'
import { countWorkload, INSTRUCTION_METHODS, INSTRUCTION_UNIT, type Valgrind } from './instructions.ts'
import type { WorkerPinning } from './pinning.ts'
import type { Preset, Sampling } from './presets.ts'
import { runWorker, workerEnv } from './process.ts'
import {
  HARNESS_PATH,
  type HarnessClock,
  type HarnessResult,
  type HarnessRunOptions,
  harnessRunArgs,
} from './protocol.ts'
import { httpMetadata, peakRssMetadata } from './result-metadata.ts'
import {
  type BlasChoice,
  blasLibraryPath,
  blasMetadata,
  blasMismatch,
  probeSystemPackages,
  type SystemPackagesOutcome,
} from './system-packages.ts'
import { ensureVenv, type VenvOutcome, venvDir } from './venv.ts'
import { classifyWorker } from './worker-outcome.ts'
import { stackVersion, supportsPython } from './workloads.ts'

// Measures a suite on one or more interpreters. For each workload: one calibration process per
// interpreter finds the loop count (frozen for every later process of that workload), then the
// worker processes of all interpreters are interleaved round by round, alternating the order
// (A B, B A, A B…) so that drift of the machine hits every side alike and no side always runs
// first. A workload that fails on one interpreter is recorded as failed there, and the run goes on.

/** What to measure and how. */
export interface SuitePlan {
  readonly interpreters: readonly Interpreter[]
  readonly workloads: readonly WorkloadDefinition[]
  readonly preset: Preset
  /** Kill a worker after this long. */
  readonly timeoutMs: number
  /** Extra environment variables for every worker. */
  readonly env?: Readonly<Record<string, string>>
  /** Loop counts to reuse instead of calibrating, by workload name (frozen across runs). */
  readonly frozenLoops?: Readonly<Record<string, number>>
  /**
   * Stored counts per interpreter, in the plan's order, by workload name then workload version:
   * a side reuses the count stored under the version it runs (for a workload whose version
   * carries its stack, the stack's, known once probed: the same stack reuses its loops, another
   * stack calibrates); a workload absent there falls back to `frozenLoops`, then to a calibration.
   */
  readonly frozenLoopsByInterpreter?: readonly (
    | ReadonlyMap<string, ReadonlyMap<string, number>>
    | undefined
  )[]
  /**
   * Values per process by workload name in place of the preset's, for interpreters without a JIT
   * (`run --values auto`: the two-stage allocation learned from earlier runs, analysis/allocation.ts).
   */
  readonly valuesByWorkload?: Readonly<Record<string, number>>
  /** Pin every worker to these CPUs (`taskset -c` syntax); recorded in each process's metadata. */
  readonly cpuList?: string
  /**
   * Where `cpuList` came from (runner/pinning.ts). The default of one CPU pins timed workers only:
   * a server workload keeps splitting the CPUs this process may use between server and load.
   */
  readonly cpuPinning?: WorkerPinning['source']
  /**
   * Adaptive sampling: after each round from `minProcesses` on, `settled` reads every side's
   * process means and says whether to stop; otherwise rounds go on up to `maxProcesses` per side.
   * The sampling's `processes` are ignored (the rule is built above the runner, with statistics).
   */
  readonly adaptive?: AdaptiveSampling
  /**
   * langperf's cache directory: workloads with requirements run in virtual environments under its
   * `venvs/` (runner/venv.ts). Without it such a workload is skipped, with the reason.
   */
  readonly cacheDir?: string
  /** Environment of venv and pip (pip.conf and PIP_* settings name the index); default: this process's. */
  readonly pipEnv?: NodeJS.ProcessEnv
  /**
   * `process`: every value in the worker's CPU time instead of the wall clock (harness
   * `--clock process`), for warm-up series on a loaded machine; recorded in each result's sampling.
   */
  readonly clock?: HarnessClock
  /** Milliseconds of a monotonic clock, read for the adaptive time budget; default `performance.now`. */
  readonly clockMs?: () => number
  /**
   * Workloads with requirements run on each interpreter's own packages (a distribution's
   * python3-numpy) instead of a virtual environment: their distributions must be importable
   * there, and the versions found are recorded (runner/system-packages.ts).
   */
  readonly systemPackages?: boolean
  /**
   * With `systemPackages`: the BLAS their workers load, its directories first on LD_LIBRARY_PATH;
   * a workload whose numpy loaded another fails (`blasMismatch`).
   */
  readonly blas?: BlasChoice
  /**
   * With `systemPackages`: directories of packages put first on the workers' PYTHONPATH, such as
   * Debian's /usr/lib/python3/dist-packages for an interpreter that does not search it (a pyenv
   * CPython); recorded in each result's `requirements.path`.
   */
  readonly systemPath?: readonly string[]
  /**
   * Count instructions instead of timing (`--measure instructions`): each measuring process is two
   * processes under this valgrind's callgrind (runner/instructions.ts), its one value the
   * instructions per loop; the loops are calibrated (or frozen) as for timing.
   */
  readonly instructions?: Valgrind
}

/**
 * BLAS/OpenMP thread counts of workers of workloads with requirements: one thread unless the
 * caller's environment sets the variable, so that a numeric workload measures the same work on a
 * machine of 2 or 64 CPUs; recorded in each such result (`thread_env`).
 */
export const BLAS_THREAD_VARIABLES = ['OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS'] as const

/**
 * OpenBLAS settings passed on when the caller has them: on some processors they are set because
 * older OpenBLAS builds compute wrong results or crash without them (they slow a current one).
 * BLIS_ARCH_TYPE likewise picks BLIS's kernels (its arch_t number) where BLIS does not know the
 * processor and would fall back to its generic ones (Debian's BLIS 0.9.0 on AMD family 26).
 */
export const BLAS_PASSED_VARIABLES = ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE', 'BLIS_ARCH_TYPE'] as const

/**
 * The BLAS variables a worker of a workload with requirements gets: each thread count the
 * caller's or 1, and the caller's OpenBLAS core settings when set.
 */
export function blasThreadEnv(parent: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {}
  for (const name of BLAS_THREAD_VARIABLES) out[name] = parent[name] ?? '1'
  for (const name of BLAS_PASSED_VARIABLES) {
    const value = parent[name]
    if (value !== undefined) out[name] = value
  }
  return out
}

/**
 * The BLAS variables that choose what a worker of a workload with requirements runs, as
 * `NAME=value`: the kernel settings the caller passes on and any thread count other than 1.
 * They are part of its version (stackVersion): another kernel set is another series.
 */
export function kernelEnv(parent: NodeJS.ProcessEnv): string[] {
  return Object.entries(blasThreadEnv(parent))
    .filter(([name, value]) => !(BLAS_THREAD_VARIABLES as readonly string[]).includes(name) || value !== '1')
    .map(([name, value]) => `${name}=${value}`)
}

/** What a stop rule reads: one side's process means so far. */
export interface SideSnapshot {
  readonly index: number
  readonly processMeans: readonly number[]
}

/** A stop rule and its bounds (SuitePlan.adaptive). */
export interface AdaptiveSampling {
  readonly minProcesses: number
  readonly maxProcesses: number
  /**
   * Time budget of the whole suite in milliseconds (`--max-time`): each workload may use an even
   * share of what is left when it starts, and no round is started (past the minimum) that would
   * end after its share, judged by the mean duration of its rounds so far.
   */
  readonly budgetMs?: number
  readonly settled: (sides: readonly SideSnapshot[]) => boolean
  /** Recorded in each result's `sampling.adaptive` (the rule's settings). */
  readonly describe: JsonObject
}

/** Progress of a suite, for bars and logs. */
export type SuiteEvent =
  | { readonly kind: 'start'; readonly totalProcesses: number }
  | {
      readonly kind: 'process'
      readonly workload: string
      readonly interpreterIndex: number
      /** 0 for calibration, then 1…n for workers. */
      readonly process: number
      readonly processes: number
      readonly done: number
      readonly total: number
    }
  | {
      readonly kind: 'result'
      readonly interpreterIndex: number
      readonly result: WorkloadResult
      readonly definition: WorkloadDefinition
    }

/** The sampling an interpreter gets: JIT interpreters warm up longer. */
export function samplingFor(interpreter: Interpreter, preset: Preset): Sampling {
  return interpreter.info.jit === 'enabled' ? preset.jit : preset.plain
}

/** `sampling` with `values` per process when given and the interpreter has no JIT (whose values follow its warm-up). */
function withValues(sampling: Sampling, interpreter: Interpreter, values: number | undefined): Sampling {
  return values === undefined || interpreter.info.jit === 'enabled' ? sampling : { ...sampling, values }
}

/** How adaptive sampling ended: settled, or not with the reason (the bound of processes, the time budget). */
type AdaptiveStop =
  | { readonly settled: true; readonly processes: number }
  | { readonly settled: false; readonly reason: 'bound' | 'budget'; readonly processes: number }

interface SideState {
  readonly interpreter: Interpreter
  readonly index: number
  readonly sampling: Sampling
  loops: number
  innerLoops: number
  processes: ProcessSamples[]
  failure: { reason: FailureReason; message: string; stderrTail: string } | null
  skipped: string | null
  calibration: JsonObject | null
  /** The python workers run: the interpreter's, or that of the workload's virtual environment. */
  python: string
  /** The requirements and what was installed, for a workload that has them. */
  requirements: JsonObject | null
  /** How adaptive sampling ended for this side: settled by the rule, at the bound, or by the time budget. */
  adaptiveStop?: AdaptiveStop
  /** The workload version its result records: the definition's, with the stack this side found (stackVersion). */
  version: string
}

/**
 * The harness command line of a `run` of `def` (the harness path first): its parameters and inner
 * loops, then how to measure. Shared with the profiler, which runs the same command under py-spy.
 */
export function workloadHarnessArgs(
  def: WorkloadDefinition,
  options: Pick<HarnessRunOptions, 'loopMode' | 'warmups' | 'values' | 'clock'>,
): string[] {
  return [
    HARNESS_PATH,
    ...harnessRunArgs(def.entryPath, {
      params: def.manifest.parameters,
      innerLoops: def.manifest.innerLoops,
      ...options,
    }),
  ]
}

function toProcess(r: HarnessResult, extraMeta: Record<string, JsonValue>, cpuList?: string): ProcessSamples {
  return {
    warmups: r.warmups.map(([l, v]) => [l, v] as const),
    values: [...r.values],
    metadata: {
      ...(r.metadata as JsonObject),
      ...extraMeta,
      ...(cpuList === undefined ? {} : { cpu_list: cpuList }),
    },
  }
}

/**
 * Measures every workload on every interpreter, reporting progress and each finished
 * (interpreter, workload) result through `onEvent`. Stops early, between processes, when
 * `signal` is aborted: results already reported stay complete, and the workload under way is
 * reported with the processes it measured, its metadata saying `incomplete` (how many of how
 * many), so that minutes of measuring are not thrown away.
 */
export async function measureSuite(
  plan: SuitePlan,
  options: { readonly onEvent: (e: SuiteEvent) => void | Promise<void>; readonly signal?: AbortSignal },
): Promise<void> {
  const suite: SuiteRun = {
    plan,
    onEvent: options.onEvent,
    signal: options.signal,
    worker: {
      timeoutMs: plan.timeoutMs,
      env: workerEnv(process.env, plan.env),
      ...(plan.cpuList === undefined ? {} : { cpuList: plan.cpuList }),
    },
    progress: { done: 0, total: countProcesses(plan) },
    venvs: new Map(),
    clockMs: plan.clockMs ?? (() => performance.now()),
    systemProbes: new Map(),
  }
  const budgetEndMs =
    plan.adaptive?.budgetMs === undefined ? undefined : suite.clockMs() + plan.adaptive.budgetMs
  await options.onEvent({ kind: 'start', totalProcesses: suite.progress.total })
  for (const [i, def] of plan.workloads.entries()) {
    if (options.signal?.aborted) return
    // This workload's share of the budget: what is left, split evenly over the workloads to go.
    const startMs = suite.clockMs()
    const deadlineMs =
      budgetEndMs === undefined ? undefined : startMs + (budgetEndMs - startMs) / (plan.workloads.length - i)
    const sides = newSides(plan, def)
    await prepareRequirements(suite, def, sides)
    // 1. Calibrate (or reuse frozen loops).
    for (const side of sides) {
      if (side.skipped) continue
      if (options.signal?.aborted) return
      await calibrate(suite, def, side)
    }
    // 2. Interleaved rounds, alternating the order.
    const interrupted = await measureRounds(suite, def, sides, deadlineMs)
    // 3. One result per interpreter; when interrupted, the processes measured so far, marked.
    for (const side of sides) {
      const result = sideResult(plan, def, side, interrupted)
      if (result !== undefined) {
        await options.onEvent({ kind: 'result', interpreterIndex: side.index, result, definition: def })
      }
    }
    if (interrupted) return
  }
}

/** A suite under way: its plan, where events go, how workers run, and the progress so far. */
interface SuiteRun {
  readonly plan: SuitePlan
  readonly onEvent: (e: SuiteEvent) => void | Promise<void>
  readonly signal: AbortSignal | undefined
  readonly worker: { readonly timeoutMs: number; readonly env: NodeJS.ProcessEnv; readonly cpuList?: string }
  readonly progress: { done: number; readonly total: number }
  /** The virtual environments asked for so far, by directory (venvOf). */
  readonly venvs: Map<string, Promise<VenvOutcome>>
  readonly clockMs: () => number
  /** With system packages: each interpreter's probe, by executable and requirements (systemOf). */
  readonly systemProbes: Map<string, Promise<SystemPackagesOutcome>>
}

/** How many processes the plan runs: per supported (workload, interpreter), one calibration and the sampling's processes. */
function countProcesses(plan: SuitePlan): number {
  let total = 0
  for (const def of plan.workloads) {
    for (const interp of plan.interpreters) {
      if (!supportsPython(def.manifest, interp.info.version)) continue
      total += 1 + processCap(plan, samplingFor(interp, plan.preset))
    }
  }
  return total
}

/** The most measuring processes a side may run: the sampling's, or the adaptive bound. */
function processCap(plan: SuitePlan, sampling: Sampling): number {
  return plan.adaptive ? plan.adaptive.maxProcesses : sampling.processes
}

/** One side per interpreter for workload `def`; a side is skipped when its Python is too old. */
function newSides(plan: SuitePlan, def: WorkloadDefinition): SideState[] {
  return plan.interpreters.map((interpreter, index) => ({
    interpreter,
    index,
    sampling: withValues(
      samplingFor(interpreter, plan.preset),
      interpreter,
      plan.valuesByWorkload?.[def.manifest.name],
    ),
    loops: 1,
    innerLoops: def.manifest.innerLoops,
    processes: [],
    failure: null,
    skipped: !supportsPython(def.manifest, interpreter.info.version)
      ? `Workload needs Python ${def.manifest.requiresPython} or newer; ${interpreter.info.implementation} ${interpreter.info.version} is older`
      : plan.instructions && def.manifest.driver
        ? 'Instruction counts need a workload measured in-process: a server workload is measured under load'
        : null,
    calibration: null,
    python: interpreter.info.executable,
    requirements: null,
    version: def.version,
  }))
}

/**
 * For a workload with requirements: each side's virtual environment, made or reused; a side whose
 * interpreter cannot have one is skipped with pip's reason ("requirements unavailable").
 */
async function prepareRequirements(suite: SuiteRun, def: WorkloadDefinition, sides: readonly SideState[]) {
  const requirements = def.manifest.requirements
  if (requirements === undefined || requirements.length === 0) return
  for (const side of sides) {
    if (side.skipped) continue
    const xy = /^\d+\.\d+/.exec(side.interpreter.info.version)?.[0] ?? side.interpreter.info.version
    if (suite.plan.systemPackages) {
      const found = await systemOf(suite, def, side.interpreter)
      if (!found.ok) {
        side.skipped = `Requirements unavailable for Python ${xy} (system packages): ${found.reason}`
        suite.progress.done += 1 + processCap(suite.plan, side.sampling)
        continue
      }
      side.requirements = {
        mode: 'system',
        requested: [...requirements],
        installed: [...found.installed],
        python: side.interpreter.info.executable,
        ...(suite.plan.systemPath?.length ? { path: [...suite.plan.systemPath] } : {}),
      }
      side.version = stackVersion(def.version, {
        installed: found.installed,
        blasEnv: kernelEnv(process.env),
      })
      continue
    }
    side.version = stackVersion(def.version, { installed: null, blasEnv: kernelEnv(process.env) })
    const venv = await venvOf(suite, side.interpreter, requirements)
    if (!venv.ok) {
      side.skipped = `Requirements unavailable for Python ${xy}: ${venv.reason}`
      // Its calibration and processes will not run: they count as done for the progress bar.
      suite.progress.done += 1 + processCap(suite.plan, side.sampling)
      continue
    }
    side.python = venv.python
    side.requirements = {
      requested: [...requirements],
      installed: [...venv.installed],
      venv: venv.dir,
      created: venv.created,
    }
  }
}

/**
 * The virtual environment of `interpreter` × `requirements`, asked of runner/venv once per suite:
 * workloads that share their requirements share the outcome, a failed install included (pip is
 * not run again for each of them).
 */
function venvOf(
  suite: SuiteRun,
  interpreter: Interpreter,
  requirements: readonly string[],
): Promise<VenvOutcome> {
  const { cacheDir } = suite.plan
  if (cacheDir === undefined)
    return Promise.resolve({ ok: false, reason: 'no cache directory was given for virtual environments' })
  const key = venvDir(cacheDir, interpreter.identity, requirements)
  let outcome = suite.venvs.get(key)
  if (outcome === undefined) {
    outcome = ensureVenv(cacheDir, interpreter, requirements, { env: suite.plan.pipEnv ?? process.env })
    suite.venvs.set(key, outcome)
  }
  return outcome
}

/**
 * The interpreter's own versions of the distributions `def` requires, asked once per suite for
 * each interpreter × requirements (under the chosen BLAS, so that numpy imports as it will run).
 */
function systemOf(
  suite: SuiteRun,
  def: WorkloadDefinition,
  interpreter: Interpreter,
): Promise<SystemPackagesOutcome> {
  const requirements = def.manifest.systemRequirements ?? def.manifest.requirements ?? []
  const key = `${interpreter.info.executable}\0${requirements.join('\n')}`
  let outcome = suite.systemProbes.get(key)
  if (outcome === undefined) {
    outcome = probeSystemPackages(interpreter.info.executable, requirements, {
      env: workerOf(suite, def).env,
    })
    suite.systemProbes.set(key, outcome)
  }
  return outcome
}

/**
 * How a worker of `def` runs: with the BLAS thread variables pinned when it has requirements,
 * and the chosen BLAS's directories first on LD_LIBRARY_PATH with `--blas`.
 */
function workerOf(suite: SuiteRun, def: WorkloadDefinition): SuiteRun['worker'] {
  if (!def.manifest.requirements?.length) return suite.worker
  const { blas, systemPackages, systemPath } = suite.plan
  return {
    ...suite.worker,
    env: {
      ...suite.worker.env,
      ...blasThreadEnv(process.env),
      ...(blas === undefined
        ? {}
        : { LD_LIBRARY_PATH: blasLibraryPath(blas, suite.worker.env.LD_LIBRARY_PATH) }),
      ...(systemPackages && systemPath?.length ? { PYTHONPATH: systemPath.join(':') } : {}),
    },
  }
}

/** Counts one process done and reports it: process 0 is the calibration. */
async function reportProcess(suite: SuiteRun, def: WorkloadDefinition, side: SideState, process: number) {
  suite.progress.done++
  await suite.onEvent(processEvent(suite, def, side, process))
}

/** The progress event after process `process` of a side. */
function processEvent(
  suite: SuiteRun,
  def: WorkloadDefinition,
  side: SideState,
  process: number,
): SuiteEvent {
  return {
    kind: 'process',
    workload: def.manifest.name,
    interpreterIndex: side.index,
    process,
    processes: processCap(suite.plan, side.sampling),
    done: suite.progress.done,
    total: suite.progress.total,
  }
}

/** Finds the side's loop count with one calibration process, or takes the plan's frozen loops. */
async function calibrate(suite: SuiteRun, def: WorkloadDefinition, side: SideState): Promise<void> {
  const { plan } = suite
  const name = def.manifest.name
  const frozen =
    plan.frozenLoopsByInterpreter?.[side.index]?.get(name)?.get(side.version) ?? plan.frozenLoops?.[name]
  if (def.manifest.driver !== undefined) {
    // A server under load has no loops to calibrate: each process measures `durationS` of load.
    side.loops = 1
    side.calibration = { driver: def.manifest.driver.kind }
  } else if (frozen !== undefined) {
    side.loops = frozen
    side.calibration = { frozen_loops: frozen }
  } else {
    const out = await runWorker(
      side.python,
      workloadHarnessArgs(def, {
        loopMode: { mode: 'calibrate', minTimeS: plan.preset.minTimeS },
        warmups: 0,
        values: 0,
        ...(plan.clock === undefined ? {} : { clock: plan.clock }),
      }),
      workerOf(suite, def),
    )
    const c = classifyWorker(out)
    if (c.ok) {
      side.loops = c.result.loops
      side.processes.push(
        toProcess(
          c.result,
          { calibrate_loops: c.result.loops, worker_wall_ms: Math.round(out.wallTimeMs) },
          plan.cpuList,
        ),
      )
      side.calibration = { loops: c.result.loops, min_time_s: plan.preset.minTimeS }
    } else
      side.failure = {
        reason: c.reason,
        message: `Calibration failed: ${c.message}`,
        stderrTail: c.stderrTail,
      }
  }
  await reportProcess(suite, def, side, 0)
}

/**
 * The measuring processes, in rounds that alternate the order of the sides, until the adaptive
 * rule is settled, the bound is reached, or the next round would end after `deadlineMs` (the
 * workload's share of the time budget). Returns whether the signal interrupted them.
 */
async function measureRounds(
  suite: SuiteRun,
  def: WorkloadDefinition,
  sides: readonly SideState[],
  deadlineMs: number | undefined,
) {
  const { adaptive } = suite.plan
  const cap = (side: SideState) => processCap(suite.plan, side.sampling)
  const rounds = Math.max(0, ...sides.map(cap))
  const startMs = suite.clockMs()
  const stop = async (round: number, order: readonly SideState[], how: AdaptiveStop) => {
    // The rest of the bound counts as done for the progress bar, which hears it at once.
    for (const side of sides) if (!side.skipped) suite.progress.done += Math.max(0, cap(side) - (round + 1))
    for (const side of sides) side.adaptiveStop = how
    const last = order[order.length - 1]
    if (last) await suite.onEvent(processEvent(suite, def, last, round + 1))
  }
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? sides : [...sides].reverse()
    for (const side of order) {
      if (side.skipped || round >= cap(side)) continue
      if (suite.signal?.aborted) return true
      if (side.failure) {
        suite.progress.done++ // A failed side's remaining processes count as done for the progress bar.
        continue
      }
      await measureProcess(suite, def, side, round)
    }
    if (!adaptive || round + 1 < adaptive.minProcesses || round + 1 >= rounds) continue
    if (settledNow(adaptive, sides)) {
      await stop(round, order, { settled: true, processes: round + 1 })
      return false
    }
    // The next round would take about as long as the mean of this workload's rounds so far.
    const nowMs = suite.clockMs()
    if (deadlineMs !== undefined && nowMs + (nowMs - startMs) / (round + 1) > deadlineMs) {
      await stop(round, order, { settled: false, reason: 'budget', processes: round + 1 })
      return false
    }
  }
  if (adaptive)
    for (const side of sides) side.adaptiveStop = { settled: false, reason: 'bound', processes: rounds }
  return false
}

/** The stop rule on the sides still measuring (skipped and failed ones have nothing to settle). */
function settledNow(adaptive: AdaptiveSampling, sides: readonly SideState[]): boolean {
  const live = sides.filter((s) => !s.skipped && !s.failure)
  if (live.length === 0) return true
  return adaptive.settled(
    live.map((s) => ({
      index: s.index,
      processMeans: processMeans(s.processes.filter((p) => p.values.length > 0)),
    })),
  )
}

/** One measuring process of a side, with the calibrated loops; a failure ends the side's measuring. */
async function measureProcess(suite: SuiteRun, def: WorkloadDefinition, side: SideState, round: number) {
  if (def.manifest.driver !== undefined) {
    const worker = workerOf(suite, def)
    const http = await runHttpProcess(def, side.python, {
      env: worker.env,
      timeoutMs: worker.timeoutMs,
      ...(suite.plan.cpuList === undefined || suite.plan.cpuPinning === 'one-cpu'
        ? {}
        : { cpus: parseCpuList(suite.plan.cpuList) }),
    })
    if (http.ok) side.processes.push(http.process)
    else
      side.failure = {
        reason: http.reason,
        message: `Process ${round + 1}: ${http.message}`,
        stderrTail: http.stderrTail,
      }
    await reportProcess(suite, def, side, round + 1)
    return
  }
  if (suite.plan.instructions !== undefined) {
    await countProcess(suite, def, side, round, suite.plan.instructions)
    await reportProcess(suite, def, side, round + 1)
    return
  }
  const out = await runWorker(
    side.python,
    workloadHarnessArgs(def, {
      loopMode: { mode: 'fixed', loops: side.loops },
      warmups: side.sampling.warmups,
      values: side.sampling.values,
      ...(suite.plan.clock === undefined ? {} : { clock: suite.plan.clock }),
    }),
    workerOf(suite, def),
  )
  const c = classifyWorker(out)
  if (c.ok) {
    side.processes.push(
      toProcess(c.result, { worker_wall_ms: Math.round(out.wallTimeMs) }, suite.plan.cpuList),
    )
    // --blas: a worker that loaded another BLAS measured the wrong stack; its side fails at once.
    const mismatch =
      suite.plan.blas && def.manifest.requirements?.length
        ? blasMismatch(suite.plan.blas, side.processes.slice(-1))
        : null
    if (mismatch !== null) {
      side.processes.pop()
      side.failure = { reason: 'error', message: `Process ${round + 1}: ${mismatch}`, stderrTail: '' }
    }
  } else
    side.failure = {
      reason: c.reason,
      message: `Process ${round + 1}: ${c.message}`,
      stderrTail: c.stderrTail,
    }
  await reportProcess(suite, def, side, round + 1)
}

/** One instruction count of a side (runner/instructions.ts); a failure ends the side. */
async function countProcess(
  suite: SuiteRun,
  def: WorkloadDefinition,
  side: SideState,
  round: number,
  valgrind: Valgrind,
) {
  const c = await countWorkload({
    valgrind,
    python: side.python,
    harnessArgs: (values, clock) =>
      workloadHarnessArgs(def, { loopMode: { mode: 'fixed', loops: side.loops }, warmups: 1, values, clock }),
    loops: side.loops,
    innerLoops: side.innerLoops,
    timeoutMs: suite.worker.timeoutMs,
    ...(def.manifest.requirements?.length ? { extraEnv: blasThreadEnv(process.env) } : {}),
  })
  if (c.ok) side.processes.push(c.process)
  else
    side.failure = {
      reason: 'error',
      message: `Process ${round + 1}: ${c.message}`,
      stderrTail: c.stderrTail,
    }
}

/**
 * The side's result: skipped, failed or measured, with its sampling and calibration; when
 * interrupted, only a side with measured processes has one, marked incomplete.
 */
function sideResult(
  plan: SuitePlan,
  def: WorkloadDefinition,
  side: SideState,
  interrupted: boolean,
): WorkloadResult | undefined {
  const measured = side.processes.filter((p) => p.values.length > 0).length
  if (interrupted && (side.skipped || side.failure || measured === 0)) return undefined
  const metadata: JsonObject = {
    ...(side.calibration ? { calibration: side.calibration } : {}),
    sampling: {
      ...side.sampling,
      ...(plan.clock === 'process' ? { clock: 'process' } : {}),
      ...(plan.adaptive
        ? {
            processes: measured,
            adaptive: {
              ...plan.adaptive.describe,
              min_processes: plan.adaptive.minProcesses,
              max_processes: plan.adaptive.maxProcesses,
              ...(plan.adaptive.budgetMs === undefined ? {} : { max_time_s: plan.adaptive.budgetMs / 1000 }),
              settled: side.adaptiveStop?.settled ?? false,
              ...(side.adaptiveStop?.settled === false ? { reason: side.adaptiveStop.reason } : {}),
            },
          }
        : {}),
    },
    interleaved_with: plan.interpreters.length,
    ...peakRssMetadata(side.processes),
    ...requirementsMetadata(def, side, plan.blas),
    ...httpMetadata(def, side.processes),
    ...(plan.instructions ? { instructions: instructionsMetadata(plan.instructions, side.processes) } : {}),
    ...(interrupted
      ? {
          incomplete: {
            reason: 'interrupted',
            processes: measured,
            planned: processCap(plan, side.sampling),
          },
        }
      : {}),
  }
  const base = {
    workload: { name: def.manifest.name, version: side.version },
    unit: plan.instructions ? INSTRUCTION_UNIT : 'second',
    loops: side.loops,
    innerLoops: side.innerLoops,
    processes: side.processes,
    metadata,
  }
  return side.skipped
    ? { ...base, processes: [], outcome: { state: 'skipped', message: side.skipped } }
    : side.failure
      ? { ...base, outcome: { state: 'failed', ...side.failure } }
      : { ...base, outcome: { state: 'measured' } }
}

/**
 * What a result of a workload with requirements records: the requirements and what pip installed,
 * the BLAS thread variables of its workers, and the stack its first process reported.
 */
function requirementsMetadata(
  def: WorkloadDefinition,
  side: SideState,
  blas: BlasChoice | undefined,
): JsonObject {
  if (!def.manifest.requirements?.length) return {}
  const stack = side.processes.find((p) => p.metadata.stack !== undefined)?.metadata.stack
  return {
    requirements: side.requirements ?? { requested: [...def.manifest.requirements] },
    thread_env: blasThreadEnv(process.env),
    ...(stack === undefined ? {} : { stack }),
    ...(blas === undefined || side.skipped ? {} : { blas: blasMetadata(blas, side.processes) }),
  }
}

/** How a side's instructions were counted: the tool, its version and each method its processes used. */
function instructionsMetadata(valgrind: Valgrind, processes: readonly ProcessSamples[]): JsonObject {
  const used = [
    ...new Set(processes.map((p) => p.metadata.instructions_method).filter((m) => typeof m === 'string')),
  ]
  return {
    tool: 'callgrind',
    valgrind: valgrind.version,
    methods: Object.fromEntries(
      used.map((m) => [m, INSTRUCTION_METHODS[m as keyof typeof INSTRUCTION_METHODS]]),
    ),
  }
}
