import { randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync, gzipSync } from 'node:zlib'
import type { JsonObject } from '../lib/index.ts'
import {
  type BuildSpec,
  interpreterLabel,
  type MachineEnvironment,
  type ProfilerName,
  type WorkloadDefinition,
} from '../model/index.ts'
import {
  classifyWorker,
  HARNESS_TIMED_FUNCTIONS,
  type Interpreter,
  PERF_EVENT,
  PERF_STACK_BYTES,
  PY_SPY_VERSION,
  perfPythonArgs,
  perfPythonSupport,
  pySpyRecordArgs,
  runPerfWorker,
  runProfiledWorker,
  runWorker,
  supportsPython,
  type ToolInstall,
  type WorkerOutcome,
  workerEnv,
  workloadHarnessArgs,
} from '../runner/index.ts'
import type { NewProfile, ProfileState, ProfileStore, ProfileWithStacks } from '../store/index.ts'
import { buildFromInterpreter } from './measure.ts'
import {
  diffProfiles,
  type FrameLines,
  mergeCollapsedStacks,
  type ParsedStacks,
  type ProfileDiff,
  parseCollapsedStacks,
  type StackFrame,
  stacksThrough,
  type TopFunctions,
  topFunctions,
} from './profile-stacks.ts'

// The `profile` use case: where a workload's time goes on each interpreter. Its processes are
// its own, never the timed ones (a profiler slows what it samples): per interpreter the loop
// count is taken from earlier runs or found by one calibration process (not profiled), then
// worker processes run the harness in fixed-loops mode under the profiler (py-spy by default, or
// perf for C frames) for about the asked time, interpreters interleaved round by round in
// alternating order (A B, B A…) as `run` does. Each interpreter's stacks are merged into one
// profile and stored, gzip-compressed; where the profiler is missing or cannot read the
// interpreter (py-spy on PyPy), the stored profile says so.

/** What to profile and how. */
export interface ProfilePlan {
  readonly interpreters: readonly Interpreter[]
  readonly workload: WorkloadDefinition
  /** Which profiler samples the processes (default py-spy). */
  readonly profiler?: ProfilerName
  /** The profiler from `ensurePySpy` or `findPerf`, or why there is none. */
  readonly tool: ToolInstall
  /** Seconds of profiled workload per interpreter, over all its processes. */
  readonly durationS: number
  /** Profiled processes per interpreter. */
  readonly processes: number
  readonly rateHz: number
  /** Minimum duration of one value when calibrating (as `run`'s default preset). */
  readonly minTimeS: number
  /** Loop counts from earlier runs, per interpreter in the plan's order; calibrated where absent. */
  readonly frozenLoops?: readonly (number | undefined)[]
  /**
   * The build each interpreter stands for, in the plan's order (the nightly's `runtime:sha:config`
   * builds); absent, each is stored as `run` describes a local interpreter.
   */
  readonly builds?: readonly BuildSpec[]
}

/** Where and when the profiles are stored. */
export interface ProfileOptions {
  readonly machine: string
  readonly environment: MachineEnvironment | null
  /** Progress lines for people. */
  readonly log?: (line: string) => void
  readonly now?: () => Date
}

/** The stored profiles, one per interpreter in the plan's order, and their group. */
export interface ProfileOutcome {
  readonly profileIds: readonly number[]
  readonly groupId: string
}

/** One interpreter's profile under way. */
interface Side {
  readonly interpreter: Interpreter
  readonly label: string
  loops: number
  /** Estimated seconds of one timed value at `loops`. */
  valueS: number
  readonly stacks: string[]
  readonly perProcess: JsonObject[]
  calibration: JsonObject
  end: { readonly state: Exclude<ProfileState, 'profiled'>; readonly message: string } | null
}

/** Profiles the plan's workload on every interpreter and stores one profile per interpreter. */
export async function profileAndStore(
  store: ProfileStore,
  plan: ProfilePlan,
  options: ProfileOptions,
): Promise<ProfileOutcome> {
  const now = options.now ?? (() => new Date())
  const log = options.log ?? (() => {})
  const groupId = randomUUID()
  const workDir = await mkdtemp(join(tmpdir(), 'langperf-profile-'))
  const env = workerEnv(process.env)
  try {
    const sides: Side[] = []
    for (const [i, interpreter] of plan.interpreters.entries()) {
      sides.push(await prepareSide(plan, interpreter, plan.frozenLoops?.[i], env))
    }
    const perProcessS = plan.durationS / plan.processes
    for (let round = 0; round < plan.processes; round++) {
      const order = round % 2 === 0 ? sides : [...sides].reverse()
      for (const side of order) {
        if (side.end !== null || !plan.tool.ok) continue
        const index = sides.indexOf(side)
        log(
          `  [${index + 1}] ${side.label}: process ${round + 1}/${plan.processes} under ${profilerOf(plan)}`,
        )
        await profileProcess(plan, side, {
          toolPath: plan.tool.path,
          perProcessS,
          env,
          workDir,
          name: `side${index}-process${round}`,
        })
      }
    }
    const createdAt = now().toISOString()
    const profileIds: number[] = []
    for (const [i, side] of sides.entries()) {
      const build = plan.builds?.[i] ?? buildFromInterpreter(side.interpreter)
      const profile = profileOf(plan, side, { ...options, groupId, createdAt, build })
      profileIds.push((await store.addProfile(profile)).profileId)
    }
    return { profileIds, groupId }
  } finally {
    await rm(workDir, { recursive: true, force: true })
  }
}

/** A side ready to profile: its loops (stored, or one calibration process), or why it cannot be. */
async function prepareSide(
  plan: ProfilePlan,
  interpreter: Interpreter,
  frozen: number | undefined,
  env: NodeJS.ProcessEnv,
): Promise<Side> {
  const info = interpreter.info
  const side: Side = {
    interpreter,
    label: interpreterLabel(info),
    loops: 1,
    valueS: plan.minTimeS,
    stacks: [],
    perProcess: [],
    calibration: {},
    end: null,
  }
  const def = plan.workload
  if (!plan.tool.ok) side.end = { state: 'unavailable', message: plan.tool.reason }
  else if (!supportsPython(def.manifest, info.version))
    side.end = {
      state: 'unavailable',
      message: `Workload needs Python ${def.manifest.requiresPython} or newer; ${info.implementation} ${info.version} is older`,
    }
  else if (frozen !== undefined) {
    side.loops = frozen
    // Calibration makes a value last between the minimum time and twice it.
    side.valueS = 1.5 * plan.minTimeS
    side.calibration = { frozen_loops: frozen }
  } else {
    const out = await runWorker(
      info.executable,
      workloadHarnessArgs(def, {
        loopMode: { mode: 'calibrate', minTimeS: plan.minTimeS },
        warmups: 0,
        values: 0,
      }),
      { timeoutMs: 600_000, env },
    )
    const c = classifyWorker(out)
    if (!c.ok) side.end = { state: 'failed', message: `Calibration failed: ${c.message}` }
    else {
      const last = c.result.warmups.at(-1)
      side.loops = c.result.loops
      side.valueS = last === undefined ? plan.minTimeS : last[1] * c.result.loops * c.result.inner_loops
      side.calibration = {
        loops: c.result.loops,
        min_time_s: plan.minTimeS,
        ...(last === undefined ? {} : { unprofiled_s_per_op: last[1] }),
      }
    }
  }
  return side
}

/** The profiler of a plan. */
function profilerOf(plan: ProfilePlan): ProfilerName {
  return plan.profiler ?? 'py-spy'
}

/** How a profiled process is run. */
interface ProcessHow {
  readonly toolPath: string
  readonly perProcessS: number
  readonly env: NodeJS.ProcessEnv
  readonly workDir: string
  /** This process's files in `workDir`. */
  readonly name: string
}

/** What one profiled process gave, whichever the profiler. */
interface ProcessRecording {
  readonly outcome: WorkerOutcome
  /** Collapsed stacks, or null when none were recorded. */
  readonly stacks: string | null
  /** The profiler's own error, else null. */
  readonly error: string | null
  /** What the profiler said of its samples, for the metadata. */
  readonly facts: JsonObject
}

/** One process of a side under the plan's profiler; its stacks, or the end of the side with the reason. */
async function profileProcess(plan: ProfilePlan, side: Side, how: ProcessHow): Promise<void> {
  const values = Math.max(1, Math.round(how.perProcessS / side.valueS))
  const command = {
    executable: side.interpreter.info.executable,
    args: workloadHarnessArgs(plan.workload, {
      loopMode: { mode: 'fixed', loops: side.loops },
      warmups: 0,
      values,
    }),
  }
  const timeoutMs = Math.round(1000 * (60 + 5 * values * side.valueS))
  const r = await recordProcess(plan, side, command, { ...how, timeoutMs })
  const c = classifyWorker(r.outcome)
  const samples = r.stacks === null ? 0 : parseCollapsedStacks(r.stacks).samples
  if (c.ok && r.stacks !== null && samples > 0) {
    const meanS = c.result.values.reduce((a, b) => a + b, 0) / c.result.values.length
    side.valueS = meanS * c.result.loops * c.result.inner_loops
    side.stacks.push(r.stacks)
    side.perProcess.push({
      values,
      samples,
      ...r.facts,
      s_per_op: meanS,
      wall_ms: Math.round(r.outcome.wallTimeMs),
    })
    return
  }
  if (!c.ok && r.error === null && r.stacks !== null) {
    side.end = { state: 'failed', message: `Process ${side.perProcess.length + 1}: ${c.message}` }
    return
  }
  const why = r.error ?? (c.ok ? 'it recorded no sample' : c.message)
  const tool = plan.tool.ok ? `${profilerOf(plan)} ${plan.tool.version}` : profilerOf(plan)
  side.end = { state: 'unavailable', message: `${tool} cannot profile ${side.label}: ${why}` }
}

/** Runs one process under the plan's profiler. */
async function recordProcess(
  plan: ProfilePlan,
  side: Side,
  command: { readonly executable: string; readonly args: readonly string[] },
  how: ProcessHow & { readonly timeoutMs: number },
): Promise<ProcessRecording> {
  if (profilerOf(plan) === 'perf') {
    const r = await runPerfWorker(how.toolPath, command, {
      timeoutMs: how.timeoutMs,
      env: how.env,
      rateHz: plan.rateHz,
      workDir: how.workDir,
      name: how.name,
      support: perfPythonSupport(side.interpreter.info),
    })
    const s = r.stacks
    return {
      outcome: r.outcome,
      stacks: s === null || s.samples === 0 ? null : s.collapsed,
      error: r.error,
      facts:
        s === null
          ? {}
          : {
              python_samples: s.pythonSamples,
              other_process_samples: s.otherProcessSamples,
              dropped_samples: s.droppedSamples,
              truncated_stacks: s.truncatedStacks,
            },
    }
  }
  const r = await runProfiledWorker(how.toolPath, command, {
    timeoutMs: how.timeoutMs,
    env: how.env,
    rateHz: plan.rateHz,
    outFile: join(how.workDir, `${how.name}.txt`),
  })
  return {
    outcome: r.outcome,
    stacks: r.stacks,
    error: r.error,
    facts: r.reported ? { py_spy_samples: r.reported.samples, py_spy_errors: r.reported.errors } : {},
  }
}

/** How the profiler was run, for the profile's metadata (the profile page shows it). */
function profilerMetadata(plan: ProfilePlan, side: Side): JsonObject {
  if (profilerOf(plan) === 'perf') {
    const support = perfPythonSupport(side.interpreter.info)
    return {
      lines: 'none',
      subprocesses: false,
      profiler_command: `perf record -e ${PERF_EVENT} -F ${plan.rateHz} -k 1 --call-graph dwarf,${PERF_STACK_BYTES} --no-buildid-cache`,
      python_options: perfPythonArgs(support).join(' '),
      python_frames:
        support === 'perf_jit'
          ? 'jitdump (perf inject --jit): every Python frame'
          : support === 'perf'
            ? 'perf map of the trampolines: the innermost Python frame only (dwarf unwinding stops at it)'
            : 'none: this interpreter does not name its frames for perf (C frames only)',
      script: 'perf script --no-inline',
    }
  }
  const args = pySpyRecordArgs('PYTHON', [], { rateHz: plan.rateHz, outFile: 'OUT' })
  return {
    lines: 'definition',
    subprocesses: false,
    idle: false,
    // The arguments before the output file and the command.
    profiler_command: ['py-spy', ...args.slice(0, args.indexOf('--output'))].join(' '),
  }
}

/** The profile to store for a side. */
function profileOf(
  plan: ProfilePlan,
  side: Side,
  at: ProfileOptions & { readonly groupId: string; readonly createdAt: string; readonly build: BuildSpec },
): NewProfile {
  const profiler = profilerOf(plan)
  const base = {
    machine: at.machine,
    environment: at.environment,
    build: at.build,
    workload: { name: plan.workload.manifest.name, version: plan.workload.version },
    runId: null,
    groupId: plan.interpreters.length > 1 ? at.groupId : null,
    tool: profiler,
    toolVersion: plan.tool.ok ? plan.tool.version : profiler === 'py-spy' ? PY_SPY_VERSION : 'unknown',
    rateHz: plan.rateHz,
    processes: side.perProcess.length,
    metadata: {
      ...profilerMetadata(plan, side),
      loops: side.loops,
      inner_loops: plan.workload.manifest.innerLoops,
      duration_s: plan.durationS,
      calibration: side.calibration,
      per_process: side.perProcess,
      interleaved_with: plan.interpreters.length,
    },
    createdAt: at.createdAt,
  }
  if (side.end !== null || side.stacks.length === 0) {
    const end = side.end ?? { state: 'unavailable' as const, message: 'No process was profiled' }
    return { ...base, state: end.state, message: end.message, sampleCount: 0, stacksGzip: null }
  }
  const merged = mergeCollapsedStacks(side.stacks)
  return {
    ...base,
    state: 'profiled',
    message: null,
    sampleCount: parseCollapsedStacks(merged).samples,
    stacksGzip: gzipSync(merged),
  }
}

/** Whether a frame is the harness's timed loop (`_time_step`, `_time_with_time_loops` of langperf_harness.py). */
export function isTimedFrame(frame: StackFrame): boolean {
  return (
    (HARNESS_TIMED_FUNCTIONS as readonly string[]).includes(frame.name) &&
    /(^|[/\\])langperf_harness\.py$/.test(frame.file)
  )
}

/**
 * The stacks a stored profile's views read: by default only those sampled inside a timed value
 * (through the harness's timed loop), so interpreter start-up, imports and `make()` are left out;
 * every stack with `wholeProcess`, or when no stack went through it. Says how many samples the
 * process had in all.
 */
export function profileStacks(
  stacksGzip: Uint8Array,
  options: { readonly wholeProcess?: boolean } = {},
): { readonly stacks: ParsedStacks; readonly processSamples: number; readonly timedOnly: boolean } {
  const all = parseCollapsedStacks(stacksText(stacksGzip))
  const timed = stacksThrough(all, isTimedFrame)
  // No timed sample at all (a harness whose timing functions are named otherwise): every sample.
  if (options.wholeProcess || timed.samples === 0)
    return { stacks: all, processSamples: all.samples, timedOnly: false }
  return { stacks: timed, processSamples: all.samples, timedOnly: true }
}

/** The collapsed-stack text of a stored profile's gzip bytes. */
export function stacksText(stacksGzip: Uint8Array): string {
  return gunzipSync(stacksGzip).toString('utf8')
}

/** What the views of a stored profile read: its stacks (timed values only by default) and top functions. */
export interface ProfileView {
  readonly stacks: ParsedStacks
  readonly top: TopFunctions
  /** Every sample of the profile's processes. */
  readonly processSamples: number
  /** Only samples inside timed values are counted. */
  readonly timedOnly: boolean
  /** How the profile's frames name their lines. */
  readonly lines: FrameLines
}

/** The view of a stored profile, or null when it has no stacks (not profiled). */
export function profileView(
  p: ProfileWithStacks,
  options: { readonly wholeProcess?: boolean } = {},
): ProfileView | null {
  if (p.stacksGzip === null) return null
  const lines: FrameLines = p.metadata.lines === 'current' ? 'current' : 'definition'
  const s = profileStacks(p.stacksGzip, { wholeProcess: options.wholeProcess ?? false })
  return {
    stacks: s.stacks,
    top: topFunctions(s.stacks, { lines }),
    processSamples: s.processSamples,
    timedOnly: s.timedOnly,
    lines,
  }
}

/**
 * The differential of two stored profiles (A the reference, B the candidate) over the samples of
 * timed values (unless `wholeProcess`), or null when either has no stacks. `timedOnly` is true
 * only when both views counted timed values alone.
 */
export function profileDifferential(
  a: ProfileWithStacks,
  b: ProfileWithStacks,
  options: { readonly wholeProcess?: boolean } = {},
): {
  readonly diff: ProfileDiff
  readonly a: ProfileView
  readonly b: ProfileView
  readonly timedOnly: boolean
} | null {
  const va = profileView(a, options)
  const vb = profileView(b, options)
  if (va === null || vb === null) return null
  return { diff: diffProfiles(va.top, vb.top), a: va, b: vb, timedOnly: va.timedOnly && vb.timedOnly }
}
