import { existsSync, statSync } from 'node:fs'
import { hostname } from 'node:os'
import { join, resolve, sep } from 'node:path'
import cliProgress from 'cli-progress'
import {
  buildFromInterpreter,
  type CompareReport,
  compareRuns,
  measureAndStore,
  precisionRule,
  type StoredLoops,
  storedLoopsByVersion,
} from '../../analysis/index.ts'
import { LangperfError, quote } from '../../lib/index.ts'
import { busyCpuWarning, interpreterLabel, type WorkloadDefinition } from '../../model/index.ts'
import {
  type AdaptiveSampling,
  type BlasChoice,
  customizePreset,
  discoverInterpreters,
  getPreset,
  type Interpreter,
  kernelEnv,
  loadWorkloadCatalog,
  onSystemPackages,
  overrideRequirements,
  type Preset,
  pinnedPlan,
  readEnvironment,
  resolveBlas,
  type SuiteEvent,
  samplingFor,
  WARMUP_PRESET,
  type WorkloadCatalog,
  warmupPreset,
  workerPinning,
} from '../../runner/index.ts'
import type { BuildCatalog, RunReader, Store } from '../../store/index.ts'
import {
  type CommonOptions,
  type Ctx,
  displayLocation,
  storeLocation,
  withStoreCreating,
} from '../context.ts'
import {
  formatInterval,
  formatPercent,
  formatRatio,
  formatTimeLeft,
  log,
  printJson,
  println,
  table,
} from '../output.ts'

import { withInterrupt } from './interrupt.ts'
import { cacheDirOf, optionalConfig } from './pipeline-options.ts'
import { allocatedValues, type RunHistoryPlan } from './run-allocation.ts'
import { countsInstructions, instructionSetup, instructionsPresetFrom } from './run-instructions.ts'
import { renderResultsTable } from './show.ts'

/** `90 s`, `10 min`, `1.5 h`: a budget as given, for people. */
function formatDuration(seconds: number): string {
  if (seconds >= 3600 && seconds % 360 === 0) return `${seconds / 3600} h`
  if (seconds >= 60 && seconds % 6 === 0) return `${seconds / 60} min`
  return `${seconds} s`
}

/** Options of `langperf run`. */
export interface RunOptions extends CommonOptions {
  readonly suite?: string
  readonly workload?: readonly string[]
  readonly python?: readonly string[]
  readonly discover?: boolean
  readonly fast?: boolean
  readonly rigorous?: boolean
  readonly processes?: number
  /** A warm-up series: this many timed iterations per process, none dropped (`--warmup-series`). */
  readonly warmupSeries?: number
  /** With a warm-up series: values in the workers' CPU time instead of the wall clock. */
  readonly cpuTime?: boolean
  /** `time` (default) or `instructions`: counts under callgrind (run-instructions.ts). */
  readonly measure?: string
  readonly warmups?: number
  /** Values per process, or `auto`: each workload's from the allocation of its earlier runs (run-allocation.ts). */
  readonly values?: number | 'auto'
  readonly minTime?: number
  readonly timeout?: number
  readonly machine?: string
  readonly progress?: boolean
  /** Calibrate every workload's loops again instead of reusing the counts of earlier runs. */
  readonly recalibrate?: boolean
  /** Adaptive sampling: stop a workload once its interval is within ± this many percent. */
  readonly precision?: number
  /** With --precision: the most processes per interpreter and workload. */
  readonly maxProcesses?: number
  /** With --precision: the time budget of the whole run, in seconds. */
  readonly maxTime?: number
  /** CPUs to pin workers to (`2-3`), `none`, or `auto` (default: the isolated CPUs, if any). */
  readonly cpus?: string
  /** Folders of one's own workloads, beside the built-in ones (`--workloads DIR`, repeatable). */
  readonly workloads?: readonly string[]
  /** Pinned requirements replacing the workloads' own pins of the same distributions. */
  readonly requirementsOverride?: readonly string[]
  /** Workloads with requirements on the interpreter's own packages, no virtual environment. */
  readonly systemPackages?: boolean
  /** With systemPackages: the BLAS variant (`reference`, `openblas`, `blis`) or a directory. */
  readonly blas?: string
  /** With systemPackages: directories put first on the workers' PYTHONPATH (`--system-path`). */
  readonly systemPath?: readonly string[]
  /** langperf's cache (virtual environments of workloads with requirements go to its venvs/). */
  readonly cacheDir?: string
  /** Configuration file naming the cache (`[build] cache_dir`). */
  readonly config?: string
}

/**
 * Picks the workloads: `--workload` names (any order), else the suite (built-in, of a folder's
 * suites.json or defined in the configuration, `[[suites.define]]`), else, with `--workloads DIR`
 * and no suite, every workload of those folders; then applies `--requirements-override`.
 */
async function selectWorkloads(
  options: RunOptions,
  blas: BlasChoice | undefined,
): Promise<{ suite: string; workloads: WorkloadDefinition[] }> {
  const catalog = await loadWorkloadCatalog(await optionalConfig(options), options.workloads ?? [])
  const picked = pickWorkloads(options, catalog)
  if (options.systemPackages) return { ...picked, workloads: onSystemPackages(picked.workloads, blas?.label) }
  const overrides = options.requirementsOverride ?? []
  return overrides.length === 0
    ? picked
    : { ...picked, workloads: overrideRequirements(picked.workloads, overrides) }
}

/**
 * The BLAS of `--blas`, checked before anything runs: only with `--system-packages` (a pip
 * wheel's numpy bundles its own OpenBLAS, which LD_LIBRARY_PATH does not replace), and not with
 * `--requirements-override` (the system's packages are what they are).
 */
function blasFrom(options: RunOptions): BlasChoice | undefined {
  if (options.systemPackages && options.requirementsOverride?.length)
    throw new LangperfError(
      'bad-input',
      `Cannot use --requirements-override with --system-packages: expected one of them (the system's packages have the versions installed; pins apply to virtual environments)`,
    )
  if (options.systemPath?.length && !options.systemPackages)
    throw new LangperfError(
      'bad-input',
      `Cannot use --system-path without --system-packages: expected it with the interpreter's own packages (a virtual environment has its own)`,
    )
  if (options.blas === undefined) return undefined
  if (!options.systemPackages)
    throw new LangperfError(
      'bad-input',
      `Cannot use --blas ${options.blas} without --system-packages: expected a numpy linked to the system's libblas.so.3 (pip's numpy wheels bundle their own OpenBLAS, which LD_LIBRARY_PATH does not replace)`,
    )
  return resolveBlas(options.blas)
}

/** The `--system-path` directories, absolute; one that is not a directory is refused. */
function systemPathOf(dirs: readonly string[]): string[] {
  return dirs.map((d) => {
    const dir = resolve(d)
    if (!existsSync(dir) || !statSync(dir).isDirectory())
      throw new LangperfError(
        'bad-input',
        `Cannot use --system-path ${quote(d)}: expected a directory of Python packages, found no directory ${quote(dir)}`,
      )
    return dir
  })
}

function pickWorkloads(
  options: RunOptions,
  catalog: WorkloadCatalog,
): { suite: string; workloads: WorkloadDefinition[] } {
  const all = catalog.workloads
  if (options.workload && options.workload.length > 0) {
    const byName = new Map(all.map((w) => [w.manifest.name, w]))
    const picked = options.workload.map((n) => {
      const w = byName.get(n)
      if (!w) {
        throw new LangperfError(
          'bad-input',
          `Cannot run workload "${n}": expected one of ${all.map((x) => x.manifest.name).join(', ')}`,
        )
      }
      return w
    })
    return { suite: options.suite ?? 'custom', workloads: picked }
  }
  const dirs = (options.workloads ?? []).map((d) => resolve(d))
  if (options.suite === undefined && dirs.length > 0) {
    return { suite: 'custom', workloads: all.filter((w) => dirs.some((d) => w.dir.startsWith(`${d}${sep}`))) }
  }
  const suite = options.suite ?? 'default'
  return { suite, workloads: catalog.suiteWorkloads(suite) }
}

/**
 * A rough duration estimate: per process, start-up plus warm-ups and values at the minimum time
 * each; calibration doubles the loops until one value reaches the minimum time (≈ 2 × min-time).
 */
function estimateSeconds(
  interps: readonly Interpreter[],
  workloads: readonly WorkloadDefinition[],
  preset: ReturnType<typeof getPreset>,
): number {
  const startupS = 0.15
  const inProcess = workloads.filter((w) => w.manifest.driver === undefined).length
  let s = 0
  for (const i of interps) {
    const sm = samplingFor(i, preset)
    const calibration = startupS + 2 * preset.minTimeS
    s += inProcess * (calibration + sm.processes * (startupS + (sm.warmups + sm.values) * preset.minTimeS))
    for (const w of workloads) s += sm.processes * serverProcessSeconds(w)
  }
  return s
}

/**
 * The seconds one measuring process of a server workload takes: its load windows (warm-up,
 * measured, each open-loop rate) and a few seconds to set up and start the server; 0 for a
 * workload measured in-process.
 */
function serverProcessSeconds(w: WorkloadDefinition): number {
  const d = w.manifest.driver
  if (d === undefined) return 0
  const setupS = 3
  return setupS + d.warmupS + d.durationS * (1 + (d.openLoopFractions?.length ?? 0))
}

/** `langperf run`: measures interpreters × suite into the database and prints the comparison. */
export async function runCommand(ctx: Ctx, options: RunOptions): Promise<number> {
  const preset = presetFrom(options)
  const timeoutS = options.timeout ?? 600
  if (!(timeoutS > 0))
    throw new LangperfError(
      'bad-input',
      `Cannot use --timeout ${timeoutS}: expected a positive number of seconds`,
    )
  const adaptive = adaptiveFrom(options)
  const blas = blasFrom(options)
  const systemPath = options.systemPath?.length ? systemPathOf(options.systemPath) : undefined
  const { suite, workloads } = await selectWorkloads(options, blas)
  const interpreters = await findInterpreters(ctx, options)
  const counting = countsInstructions(options) ? await instructionSetup(ctx.env) : undefined
  const environment = await readEnvironment()
  const pinning = await workerPinning(options.cpus ?? 'auto', environment, ctx.env)
  const machine = options.machine ?? hostname()
  const cacheDir = await cacheDirOf(options)
  logPlan(ctx, options, { suite, workloads, preset, interpreters, environment })
  log(ctx.io, `  ${pinning.note}`)
  const withRequirements = workloads.filter((w) => w.manifest.requirements?.length).length
  if (withRequirements > 0 && options.systemPackages)
    log(
      ctx.io,
      `  ${withRequirements} workloads with requirements: on each interpreter's own packages (--system-packages)${blas ? `, BLAS ${blas.label} (LD_LIBRARY_PATH=${blas.dirs.join(':')})` : ", the system's default BLAS"}`,
    )
  else if (withRequirements > 0)
    log(
      ctx.io,
      `  ${withRequirements} workloads with requirements: virtual environments in ${join(cacheDir, 'venvs')} (made on first use with pip's configured index)`,
    )
  const showBar = options.progress !== false && !options.json
  const progress = progressBar(
    ctx.io,
    interpreters.map((i) => interpreterLabel(i.info)),
    showBar,
  )
  try {
    return await withInterrupt(
      ctx,
      (signal) =>
        withStoreCreating(options, async (store) => {
          await store.markInterruptedRuns({
            startedBefore: new Date(Date.now() - 24 * 3600 * 1000).toISOString(),
          })
          const oneLoop = oneLoopEach(options, { workloads })
          const frozenLoopsByInterpreter =
            oneLoop || options.recalibrate
              ? undefined
              : await frozenLoopsOf(ctx, store, {
                  interpreters,
                  workloads,
                  machine,
                  minTimeS: preset.minTimeS,
                  stackVersions: options.systemPackages === true || kernelEnv(process.env).length > 0,
                })
          const valuesByWorkload =
            options.values === 'auto'
              ? await allocatedValues(ctx, store, {
                  interpreters,
                  workloads,
                  machine,
                  minTimeS: preset.minTimeS,
                  presetValues: preset.plain.values,
                })
              : undefined
          const outcome = await measureAndStore(
            store,
            {
              interpreters,
              workloads,
              preset,
              ...(valuesByWorkload ? { valuesByWorkload } : {}),
              timeoutMs: timeoutS * 1000,
              ...(frozenLoopsByInterpreter ? { frozenLoopsByInterpreter } : {}),
              ...(oneLoop ? { frozenLoops: oneLoop } : {}),
              ...(adaptive ? { adaptive } : {}),
              ...pinnedPlan(pinning),
              cacheDir,
              pipEnv: ctx.env,
              ...(options.systemPackages ? { systemPackages: true } : {}),
              ...(blas ? { blas } : {}),
              ...(systemPath ? { systemPath } : {}),
              ...(options.cpuTime ? { clock: 'process' as const } : {}),
              ...(counting ? { instructions: counting.valgrind } : {}),
            },
            {
              machine,
              environment,
              suite,
              onEvent: progress.onEvent,
              signal,
              metadata: {
                ...(valuesByWorkload ? { values_auto: valuesByWorkload } : {}),
                ...counting?.metadata,
                ...(options.requirementsOverride?.length
                  ? { requirements_override: [...options.requirementsOverride] }
                  : {}),
                ...(options.systemPackages
                  ? {
                      system_packages: {
                        ...(blas
                          ? { blas: blas.label, ld_library_path: [...blas.dirs] }
                          : { blas: 'default' }),
                        ...(systemPath ? { path: systemPath } : {}),
                      },
                    }
                  : {}),
                ...(options.warmupSeries === undefined
                  ? {}
                  : {
                      warmup_series: {
                        iterations: options.warmupSeries,
                        loops: oneLoop ? 'one' : 'calibrated',
                        clock: options.cpuTime ? 'cpu' : 'wall',
                      },
                    }),
              },
            },
          )
          progress.stop()
          return printOutcome(ctx, store, outcome, options)
        }),
      'storing what was measured',
    )
  } finally {
    progress.stop()
  }
}

/**
 * Each interpreter's loop counts from its earlier runs on this machine (by workload version, same
 * minimum value duration), so that runs of one interpreter stay comparable; says how many
 * workloads reuse them. A workload whose version carries its stack (system packages, BLAS kernel
 * variables) reuses the count stored under its stack's version, which the suite knows once it has
 * probed the stack: counted here as "may reuse" when any count of it is stored.
 */
async function frozenLoopsOf(
  ctx: Ctx,
  store: BuildCatalog & RunReader,
  plan: RunHistoryPlan & { readonly stackVersions: boolean },
): Promise<(StoredLoops | undefined)[]> {
  const out: (StoredLoops | undefined)[] = []
  for (const [i, interp] of plan.interpreters.entries()) {
    const loops = await storedLoopsByVersion(store, {
      identity: buildFromInterpreter(interp).identity,
      machine: plan.machine,
      minTimeS: plan.minTimeS,
    })
    out.push(loops)
    const onStack = (w: WorkloadDefinition) =>
      plan.stackVersions && (w.manifest.requirements?.length ?? 0) > 0
    const n = plan.workloads.filter((w) => !onStack(w) && loops?.get(w.manifest.name)?.has(w.version)).length
    const maybe = plan.workloads.filter((w) => onStack(w) && loops?.has(w.manifest.name)).length
    if (n + maybe > 0)
      log(
        ctx.io,
        `  [${i + 1}] loops of ${n} of ${plan.workloads.length} workloads reused from earlier runs on ${plan.machine}${maybe > 0 ? `, ${maybe} more if measured on the same stack before` : ''} (--recalibrate to calibrate again)`,
      )
  }
  return out
}

/** The stop rule of --precision (with --processes as its minimum), or none. */
function adaptiveFrom(options: RunOptions): AdaptiveSampling | undefined {
  if (options.precision === undefined) {
    for (const [name, value] of [
      ['--max-processes', options.maxProcesses],
      ['--max-time', options.maxTime],
    ] as const) {
      if (value !== undefined)
        throw new LangperfError(
          'bad-input',
          `Cannot use ${name} without --precision: it bounds adaptive sampling`,
        )
    }
    return undefined
  }
  return precisionRule(options.precision / 100, {
    ...(options.processes !== undefined ? { minProcesses: Math.max(2, options.processes) } : {}),
    ...(options.maxProcesses !== undefined ? { maxProcesses: options.maxProcesses } : {}),
    ...(options.maxTime !== undefined ? { maxTimeS: options.maxTime } : {}),
  })
}

/**
 * A warm-up series without --min-time times one call per iteration: every workload's loops are 1
 * (no calibration process), so each in-process iteration is one call of the workload, as in
 * Barrett et al.; undefined otherwise.
 */
function oneLoopEach(
  options: RunOptions,
  plan: { readonly workloads: readonly WorkloadDefinition[] },
): Readonly<Record<string, number>> | undefined {
  if (options.warmupSeries === undefined || options.minTime !== undefined) return undefined
  return Object.fromEntries(plan.workloads.map((w) => [w.manifest.name, 1]))
}

/** The preset of a warm-up series, refusing the options that contradict it. */
function warmupPresetFrom(options: RunOptions & { readonly warmupSeries: number }): Preset {
  const clash = (
    [
      ['--fast', options.fast],
      ['--rigorous', options.rigorous],
      ['--warmups', options.warmups !== undefined],
      ['--values', options.values !== undefined],
      ['--precision', options.precision !== undefined],
    ] as const
  ).find(([, given]) => given)
  if (clash)
    throw new LangperfError(
      'bad-input',
      `Cannot use ${clash[0]} with --warmup-series: a warm-up series times --warmup-series iterations in each of --processes processes, none dropped`,
    )
  // Without --min-time, loops are 1 and never calibrated: the run records a minimum time of 0,
  // so no later run reuses its loop counts as calibrated ones (analysis/loops).
  return warmupPreset(options.warmupSeries, {
    ...(options.processes !== undefined ? { processes: options.processes } : {}),
    minTimeS: options.minTime ?? 0,
  })
}

/** The preset of the options (--fast, --rigorous, default or a warm-up series) with their overrides. */
function presetFrom(options: RunOptions): Preset {
  if (countsInstructions(options)) return instructionsPresetFrom(options)
  if (options.cpuTime && options.warmupSeries === undefined)
    throw new LangperfError(
      'bad-input',
      'Cannot use --cpu-time without --warmup-series: ordinary runs keep the wall clock, so that their runs stay comparable',
    )
  if (options.warmupSeries !== undefined)
    return warmupPresetFrom({ ...options, warmupSeries: options.warmupSeries })
  if (options.fast && options.rigorous)
    throw new LangperfError('bad-input', 'Cannot use --fast and --rigorous together: pick one preset')
  return customizePreset(getPreset(options.fast ? 'fast' : options.rigorous ? 'rigorous' : 'default'), {
    ...(options.processes !== undefined ? { processes: options.processes } : {}),
    ...(options.warmups !== undefined ? { warmups: options.warmups } : {}),
    ...(typeof options.values === 'number' ? { values: options.values } : {}),
    ...(options.minTime !== undefined ? { minTimeS: options.minTime } : {}),
  })
}

/** The interpreters to measure (--python, and discovery); says which it skipped and why. */
async function findInterpreters(ctx: Ctx, options: RunOptions): Promise<Interpreter[]> {
  const { interpreters, rejected } = await discoverInterpreters({
    env: ctx.env,
    ...(options.python ? { explicit: options.python } : {}),
    alsoDiscover: options.discover ?? false,
  })
  if (interpreters.length === 0) {
    throw new LangperfError(
      'unavailable',
      'Cannot run: no Python interpreter found (looked on PATH and in pyenv); give one with --python PATH',
    )
  }
  for (const r of rejected) log(ctx.io, `skipped ${r.path} (${r.origin}): ${r.reason}`)
  return [...interpreters]
}

/**
 * How long a run will take as the plan says it: the preset's estimate, or the `--max-time`
 * budget when that is shorter (the suite stops starting rounds that would end after it).
 * @example durationText(1800, 600) === 'at most 10 min (--max-time; about 30 min without it)'
 */
export function durationText(estimateS: number, maxTimeS: number | undefined): string {
  const about = `about ${Math.max(1, Math.ceil(estimateS / 60))} min`
  if (maxTimeS === undefined || maxTimeS >= estimateS) return about
  return `at most ${formatDuration(maxTimeS)} (--max-time; ${about} without it)`
}

/** Says on stderr what is about to be measured, how, for about how long, and the machine's warnings. */
function logPlan(
  ctx: Ctx,
  options: RunOptions,
  plan: {
    readonly suite: string
    readonly workloads: readonly WorkloadDefinition[]
    readonly preset: Preset
    readonly interpreters: readonly Interpreter[]
    readonly environment: Awaited<ReturnType<typeof readEnvironment>>
  },
): void {
  const { io } = ctx
  const { suite, workloads, preset, interpreters, environment } = plan
  log(
    io,
    `langperf run: suite ${suite} (${workloads.length} workloads), preset ${preset.name}, database ${displayLocation(storeLocation(options, ctx.env))}`,
  )
  const adaptive = adaptiveFrom(options)
  for (const [i, interp] of interpreters.entries()) {
    const s = samplingFor(interp, preset)
    const budget = options.maxTime === undefined ? '' : ` or the ${formatDuration(options.maxTime)} budget`
    const processes = adaptive
      ? `${adaptive.minProcesses}–${adaptive.maxProcesses} processes`
      : `${s.processes} processes`
    const until = adaptive ? `, until ± ${options.precision} %${budget}` : ''
    log(
      io,
      `  [${i + 1}] ${interpreterLabel(interp.info)}  ${interp.info.executable}  (${processes} × (${s.warmups} warm-up + ${s.values} values)${until}${interp.info.jit === 'enabled' ? ', JIT' : ''})`,
    )
  }
  // A server workload's processes are load windows, not warm-ups and values: said apart.
  const servers = workloads.filter((w) => w.manifest.driver !== undefined)
  if (servers.length > 0) {
    const windows = [...new Set(servers.map((w) => serverWindows(w)))].join('; ')
    log(
      io,
      `  server workload${servers.length === 1 ? '' : 's'} ${servers.map((w) => w.manifest.name).join(', ')}: each process one value (the server's CPU per request) from ${windows}`,
    )
  }
  const oneLoop = preset.name === WARMUP_PRESET && options.minTime === undefined
  if (countsInstructions(options))
    log(io, '  instructions counted under callgrind: about 50× the workload time plus ~10 s per process pair')
  else
    log(
      io,
      `  ${oneLoop ? 'one call per iteration (loops 1): the duration depends on the workloads' : durationText(estimateSeconds(interpreters, workloads, preset), options.maxTime)}; interleaved ${interpreters.length > 1 ? 'A B / B A' : '(one interpreter)'}`,
    )
  for (const w of environment.warnings) log(io, `  warning: ${w.message}`)
  if (environment.warnings.length)
    log(io, '  (`langperf system check` explains each warning and how to fix it)')
}

/** A server workload's load windows, for people: `2 s warm-up + 10 s measured + 2 × 10 s open loop`. */
function serverWindows(w: WorkloadDefinition): string {
  const d = w.manifest.driver
  if (d === undefined) return ''
  const open = d.openLoopFractions?.length ?? 0
  return `${d.warmupS > 0 ? `${d.warmupS} s warm-up + ` : ''}${d.durationS} s measured load${open > 0 ? ` + ${open} × ${d.durationS} s open loop (${d.openLoopFractions?.map((f) => `${Math.round(f * 100)} %`).join(', ')} of it)` : ''}`
}

/**
 * The progress bar on stderr, fed by the suite's events: done processes, time left, the workload
 * and interpreter under way; a failed workload is said on its own line. Nothing when `show` is false.
 */
function progressBar(
  io: Ctx['io'],
  labels: readonly string[],
  show: boolean,
): { readonly onEvent: (e: SuiteEvent) => void; readonly stop: () => void } {
  const bar = new cliProgress.SingleBar(
    {
      stream: io.err,
      format: ' {bar} {percentage}% | {workload} | {interp} process {process}/{processes} | {left} left',
      hideCursor: io.isTty,
      noTTYOutput: true,
      notTTYSchedule: 10_000,
      etaBuffer: 50,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  )
  let startedMs = 0
  const onEvent = (e: SuiteEvent) => {
    if (!show) return
    if (e.kind === 'start') {
      startedMs = Date.now()
      bar.start(e.totalProcesses, 0, { workload: '', interp: '', process: 0, processes: 0, left: '–' })
    } else if (e.kind === 'process') {
      // Time left from the pace so far (processes of one workload take about as long as each other).
      const perProcess = (Date.now() - startedMs) / 1000 / e.done
      bar.update(e.done, {
        left: formatTimeLeft(perProcess * (e.total - e.done)),
        workload: e.workload,
        interp: labels[e.interpreterIndex] ?? '',
        process: e.process === 0 ? 'calibration' : e.process,
        processes: e.processes,
      })
    } else if (e.result.outcome.state === 'failed') {
      bar.stop()
      log(
        io,
        `  ${e.result.workload.name} failed on ${labels[e.interpreterIndex]}: ${e.result.outcome.reason}: ${e.result.outcome.message}`,
      )
      bar.start(bar.getTotal(), bar.getProgress() * bar.getTotal())
    }
  }
  return {
    onEvent,
    stop: () => {
      if (show) bar.stop()
    },
  }
}

/**
 * Prints what was stored: every candidate against the first interpreter, or the one run's
 * results (JSON with --json). Returns the exit status: 0 complete, 130 interrupted.
 */
async function printOutcome(
  ctx: Ctx,
  store: Store,
  outcome: Awaited<ReturnType<typeof measureAndStore>>,
  options: RunOptions,
): Promise<number> {
  const { io } = ctx
  const reports: CompareReport[] = []
  const [baseId, ...others] = outcome.runIds
  if (baseId !== undefined) for (const id of others) reports.push(await compareRuns(store, baseId, id))
  if (options.json) {
    printJson(io, { ...outcome, comparisons: reports })
    return outcome.status === 'complete' ? 0 : 130
  }
  println(io, `Stored runs ${outcome.runIds.join(', ')} (${outcome.status}).`)
  // The runs of one invocation share their pinned CPUs: one warning says it for all.
  const first = baseId === undefined ? undefined : await store.getRun(baseId)
  const busy = first ? busyCpuWarning(first.metadata) : null
  if (busy !== null) println(io, `Warning: ${busy}`)
  if (options.precision !== undefined && baseId !== undefined) {
    const unsettled = { bound: new Set<string>(), budget: new Set<string>() }
    for (const id of outcome.runIds) {
      for (const r of await store.getResults(id)) {
        const adaptive = (
          r.metadata.sampling as { adaptive?: { settled?: boolean; reason?: string } } | undefined
        )?.adaptive
        if (r.outcome.state !== 'measured' || adaptive?.settled !== false) continue
        unsettled[adaptive.reason === 'budget' ? 'budget' : 'bound'].add(r.workload.name)
      }
    }
    if (unsettled.bound.size > 0)
      println(
        io,
        `Not within ± ${options.precision} % at the bound of processes: ${[...unsettled.bound].join(', ')} (the machine is noisier than that precision allows in this many processes; \`langperf system check\` says why, or raise --max-processes)`,
      )
    if (unsettled.budget.size > 0)
      println(
        io,
        `Not within ± ${options.precision} % when the time budget (--max-time ${formatDuration(options.maxTime ?? 0)}) ran out: ${[...unsettled.budget].join(', ')} (their intervals are as wide as shown; give more time, or a looser --precision)`,
      )
  }
  if (options.warmupSeries !== undefined && baseId !== undefined)
    println(
      io,
      `Warm-up classes (flat, warm-up, slow-down, no steady state) and steady states: ${outcome.runIds.map((id) => `\`langperf warmup ${id}\``).join(', ')}.`,
    )
  if (reports.length > 0) printMatrix(ctx, reports)
  else if (baseId !== undefined) {
    println(io)
    println(io, renderResultsTable(await store.getResults(baseId)))
    println(io)
    println(
      io,
      `Details: \`langperf show ${baseId}\`; compare with another run: \`langperf compare ${baseId} <run>\`.`,
    )
  }
  return outcome.status === 'complete' ? 0 : 130
}

/** `cpython-3.12.1`, with the config when it is not the default. */
function buildLabel(r: CompareReport['base']): string {
  return `${r.build.runtime}-${r.build.version}${r.build.config !== 'default' ? ` ${r.build.config}` : ''}`
}

/**
 * Prints each candidate against the first interpreter. With one or two candidates every cell
 * has its interval; with more, cells are compact (ratio and a mark) and the geometric means get
 * their own table with intervals. Marks are words or shapes, never colour alone.
 */
function printMatrix(ctx: Ctx, reports: readonly CompareReport[]): void {
  const io = ctx.io
  const base = reports[0]!.base
  const compact = reports.length > 2
  println(io)
  println(
    io,
    `Time relative to ${buildLabel(base)} (run ${base.id}); below 1 is faster; ${compact ? '▲ significantly slower, ▼ significantly faster, = no significant difference' : '[95 % interval]'}`,
  )
  const names = [
    ...new Set(
      reports.flatMap((r) => [...r.rows.map((x) => x.workload), ...r.uncompared.map((x) => x.workload)]),
    ),
  ].sort()
  const header = [
    'workload',
    ...reports.map((r) =>
      compact ? buildLabel(r.candidate) : `${buildLabel(r.candidate)} (run ${r.candidate.id})`,
    ),
  ]
  const rows = names.map((n) => [
    n,
    ...reports.map((r) => {
      const row = r.rows.find((x) => x.workload === n)
      if (!row) return r.uncompared.find((x) => x.workload === n) ? (compact ? 'n/c' : 'not compared') : ''
      const c = row.comparison
      if (c.kind !== 'comparison') return compact ? '?' : 'not enough data'
      if (compact)
        return `${c.ratio.toFixed(2)} ${c.verdict === 'faster' ? '▼' : c.verdict === 'slower' ? '▲' : '='}`
      const mark = c.verdict === 'faster' ? ' faster' : c.verdict === 'slower' ? ' slower' : ' ='
      return `${formatRatio(c.ratio)} ${formatInterval(c.low, c.high, c.method === 'exact')}${mark}`
    }),
  ])
  const geo = (r: CompareReport) => {
    const g = r.geometricMean
    return g.kind === 'insufficient'
      ? 'not enough data'
      : `${formatRatio(g.estimate)} [${g.measurement.low.toFixed(3)}, ${g.measurement.high.toFixed(3)}] ${formatPercent(g.estimate)}`
  }
  if (!compact) rows.push(['geometric mean', ...reports.map(geo)])
  println(io, table(header, rows, ['left', ...reports.map(() => 'right' as const)]))
  if (compact) {
    println(io)
    println(
      io,
      table(
        ['interpreter', 'run', 'geometric mean [95 % interval]', 'slower', 'faster', 'same'],
        reports.map((r) => [
          buildLabel(r.candidate),
          String(r.candidate.id),
          geo(r),
          String(r.rows.filter((x) => x.comparison.verdict === 'slower').length),
          String(r.rows.filter((x) => x.comparison.verdict === 'faster').length),
          String(r.rows.filter((x) => x.comparison.verdict === 'no-difference').length),
        ]),
        ['left', 'right', 'right', 'right', 'right', 'right'],
      ),
    )
  }
  println(io)
  println(
    io,
    `Details: \`langperf compare ${base.id} ${reports[0]!.candidate.id}\`; every run: \`langperf show\`.`,
  )
}
