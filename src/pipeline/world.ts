import { hostname } from 'node:os'
import { join } from 'node:path'
import {
  type BISECT_PURPOSE,
  type BuildSpecInput,
  buildIdentity,
  buildMetadata,
  buildSpecOf,
  failedBuildResults,
  interpreterOfArtifact,
  measureAndStore,
  type REFERENCE_PURPOSE,
  type RunGroupSoFar,
} from '../analysis/index.ts'
import {
  type Artifact,
  type BuildEvent,
  cachePaths,
  ensureBuilt,
  ensureMirror,
  type Mirror,
  resolveJobs,
} from '../build/index.ts'
import { assertNever, type JsonObject, LangperfError, quote } from '../lib/index.ts'
import {
  type BuildConfigDefinition,
  type BuildSpec,
  type LangperfConfig,
  type MachineEnvironment,
  type ProfilerName,
  processMeans,
  type RuntimeConfig,
  type WorkloadDefinition,
} from '../model/index.ts'
import {
  customizePreset,
  ensurePySpy,
  findPerf,
  getPreset,
  HARNESS_PROTOCOL_VERSION,
  type Interpreter,
  loadWorkloadCatalog,
  type Preset,
  type PresetName,
  pinnedPlan,
  readEnvironment,
  type ToolInstall,
  type Valgrind,
  workerPinning,
} from '../runner/index.ts'
import type { Store } from '../store/index.ts'

// The pipeline's view of the world: the store, the clock, the environment, the log, and the
// rooms it composes (build, runner, analysis). Runs the pipeline stores carry `purpose` in
// their metadata: `nightly` runs are the history detection reads; `reference` runs are the
// nightly's re-measurements of an older build interleaved with a new commit, stored and shown
// with the history, which detection reads as the pair that judges the new commit's step;
// `bisect` runs are measurements made to answer one question about a few builds, kept as data
// but left out of detection (analysis/detect.ts), so their interleaved, smaller samples never
// move a series' blame.

/** The world the pipeline runs in; tests replace parts of it. */
export interface PipelineDeps {
  readonly store: Store
  /** The clock (default: the system clock). */
  readonly now?: () => Date
  /** Environment of notification secrets and of the interpreters described (default process.env). */
  readonly env?: NodeJS.ProcessEnv
  /** Progress lines, for people (the CLI writes them on stderr). */
  readonly log?: (line: string) => void
  /** Stops the pipeline between processes; what finished is stored. */
  readonly signal?: AbortSignal
  /** The machine's fingerprint and tuning before each measurement (default readEnvironment). */
  readonly readEnvironment?: () => Promise<MachineEnvironment>
  /**
   * The profiler of the profiles at a culprit (default: `[bisect] profiler`'s, ensurePySpy from the
   * cache, installed with pip, or findPerf, the system's perf).
   */
  readonly ensureProfiler?: ProfilerInstall
}

/** Finds or installs the profiler under langperf's cache directory; never throws (ToolInstall says why not). */
export type ProfilerInstall = (
  cacheDir: string,
  options: { readonly env: NodeJS.ProcessEnv; readonly profiler: ProfilerName },
) => Promise<ToolInstall>

/** How many processes, warm-ups and values, and how long a value lasts. */
export interface SamplingOptions {
  /** Base preset (default `default`: 20 × (1 + 3), as pyperf). */
  readonly preset?: PresetName
  readonly processes?: number
  readonly warmups?: number
  readonly values?: number
  readonly minTimeS?: number
  /** Kill a worker after this long (default 600 s). */
  readonly timeoutMs?: number
}

/** Why a run was stored: the nightly history (a new commit, or its reference), or a bisection's measurement. */
export type RunPurpose = 'nightly' | typeof REFERENCE_PURPOSE | typeof BISECT_PURPOSE

/** The resolved world: defaults filled in. */
export interface World {
  readonly store: Store
  readonly now: () => Date
  readonly env: NodeJS.ProcessEnv
  readonly log: (line: string) => void
  readonly signal: AbortSignal | undefined
  readonly readEnvironment: () => Promise<MachineEnvironment>
  readonly ensureProfiler: ProfilerInstall
  readonly config: LangperfConfig
  readonly machine: string
}

/** Fills in the defaults of `deps`. */
export function worldOf(config: LangperfConfig, deps: PipelineDeps, machine: string | undefined): World {
  return {
    store: deps.store,
    now: deps.now ?? (() => new Date()),
    env: deps.env ?? process.env,
    log: deps.log ?? (() => {}),
    signal: deps.signal,
    readEnvironment: deps.readEnvironment ?? (() => readEnvironment()),
    ensureProfiler:
      deps.ensureProfiler ??
      ((cacheDir, options) =>
        options.profiler === 'perf' ? findPerf(options.env) : ensurePySpy(cacheDir, options)),
    config,
    machine: machine ?? hostname(),
  }
}

/** The runtime named `name` in the configuration; not-found lists the names. */
export function runtimeNamed(config: LangperfConfig, name: string | undefined): RuntimeConfig {
  if (name === undefined) {
    if (config.runtimes.length === 1) return config.runtimes[0] as RuntimeConfig
    throw new LangperfError(
      'bad-input',
      `Cannot choose a runtime: ${quote(config.file)} has ${config.runtimes.length}, expected --runtime with one of ${config.runtimes.map((r) => r.name).join(', ')}`,
    )
  }
  const found = config.runtimes.find((r) => r.name === name)
  if (found === undefined) {
    throw new LangperfError(
      'not-found',
      `Cannot find runtime ${quote(name)} in ${quote(config.file)}: expected one of ${config.runtimes.map((r) => r.name).join(', ')}`,
    )
  }
  return found
}

/** The build config `name` of `runtime` (default: its first); not-found lists the names. */
export function buildConfigNamed(runtime: RuntimeConfig, name: string | undefined): BuildConfigDefinition {
  const found = name === undefined ? runtime.configs[0] : runtime.configs.find((c) => c.name === name)
  if (found === undefined) {
    throw new LangperfError(
      'not-found',
      `Cannot find build config ${quote(name ?? '(first)')} of runtime ${quote(runtime.name)}: expected one of ${runtime.configs.map((c) => c.name).join(', ') || '(none)'}`,
    )
  }
  return found
}

/** The bare mirror of a runtime's remote, fetched now. */
export async function mirrorOf(world: World, runtime: RuntimeConfig): Promise<Mirror> {
  return ensureMirror(runtime.remote, cachePaths(world.config.build.cacheDir).mirrors, {
    onLog: (line) => world.log(`  ${line}`),
  })
}

/**
 * The workloads a runtime measures: those of its suites (`[suites]`, in order, each once; built-in
 * or defined by `[[suites.define]]`), or the named ones when `only` is given; with the suite label
 * stored on its runs. The label stays the configured suites even with `only`: the suite is an
 * epoch fact, so a filtered nightly must not look like an infrastructure change.
 */
export async function workloadsOf(
  config: LangperfConfig,
  runtime: RuntimeConfig,
  only: readonly string[] | undefined,
): Promise<{ readonly suite: string; readonly workloads: readonly WorkloadDefinition[] }> {
  const suites = config.suites.perRuntime[runtime.name] ?? config.suites.default
  const label = suites.join('+')
  const catalog = await loadWorkloadCatalog(config)
  if (only !== undefined && only.length > 0)
    return { suite: label, workloads: pickWorkloads(catalog.workloads, only) }
  const out: WorkloadDefinition[] = []
  const seen = new Set<string>()
  for (const name of suites) {
    for (const w of catalog.suiteWorkloads(name)) {
      if (seen.has(w.manifest.name)) continue
      seen.add(w.manifest.name)
      out.push(w)
    }
  }
  return { suite: label, workloads: out }
}

/**
 * Every workload the configuration can measure: built-in and of its defined suites (their
 * overrides applied), for bisection and profiling, which find a workload by name.
 */
export async function configuredWorkloads(config: LangperfConfig): Promise<readonly WorkloadDefinition[]> {
  return (await loadWorkloadCatalog(config)).workloads
}

/** The workloads named, in the order given; bad-input lists the known names. */
export function pickWorkloads(
  all: readonly WorkloadDefinition[],
  names: readonly string[],
): WorkloadDefinition[] {
  const byName = new Map(all.map((w) => [w.manifest.name, w]))
  return names.map((n) => {
    const w = byName.get(n)
    if (w === undefined) {
      throw new LangperfError(
        'bad-input',
        `Cannot measure workload ${quote(n)}: expected one of ${[...byName.keys()].sort().join(', ')}`,
      )
    }
    return w
  })
}

/** The sampling preset from the options (validated by customizePreset). */
export function presetOf(sampling: SamplingOptions, processes?: number): Preset {
  return customizePreset(getPreset(sampling.preset ?? 'default'), {
    ...(processes !== undefined
      ? { processes }
      : sampling.processes !== undefined
        ? { processes: sampling.processes }
        : {}),
    ...(sampling.warmups !== undefined ? { warmups: sampling.warmups } : {}),
    ...(sampling.values !== undefined ? { values: sampling.values } : {}),
    ...(sampling.minTimeS !== undefined ? { minTimeS: sampling.minTimeS } : {}),
  })
}

/** Where a commit is built from: the runtime, its build config and its mirror. */
export interface BuildSource {
  readonly runtime: RuntimeConfig
  readonly buildConfig: BuildConfigDefinition
  readonly mirror: Mirror
}

/** Builds (or finds in the cache) one commit of a runtime in one config. */
export async function buildCommit(world: World, source: BuildSource, sha: string): Promise<Artifact> {
  const { runtime, buildConfig, mirror } = source
  const b = world.config.build
  return ensureBuilt(
    { runtime: runtime.name, config: buildConfig.name, recipe: buildConfig.recipe, mirror, commit: sha },
    {
      cacheDir: b.cacheDir,
      jobs: resolveJobs(b.jobs),
      stepTimeoutMs: b.stepTimeoutMs,
      maxCacheBytes: b.cacheMaxBytes,
      now: world.now,
      onEvent: (e) => logBuildEvent(world, e),
    },
  )
}

function logBuildEvent(world: World, e: BuildEvent): void {
  switch (e.kind) {
    case 'build-start':
      world.log(`  building ${e.runtime} ${e.config} ${e.commit.slice(0, 12)}`)
      return
    case 'step-start':
      world.log(`    ${e.step}: ${e.command}`)
      return
    case 'build-end':
      world.log(`  build ${e.status} in ${(e.durationMs / 1000).toFixed(1)} s (${e.key})`)
      return
    case 'cache-hit':
      world.log(`  build ${e.status} (cached ${e.key})`)
      return
    case 'step-end':
    case 'evicted':
      return
    default:
      assertNever(e)
  }
}

// What a run of a built commit records lives in analysis (the farm's agent records the same).
export { type BuildSpecInput, buildIdentity, buildMetadata, buildSpecOf }

/** The interpreter an ok artifact installed, identified by its self-report. */
export function interpreterOf(world: World, artifact: Artifact): Promise<Interpreter> {
  return interpreterOfArtifact(artifact, world.env)
}

/**
 * Stores a run for a build that failed (or is unsupported): every workload a failed result with
 * reason `build-failed` (skipped for unsupported), naming the failed step and the log, so the
 * timeline shows a failed build rather than a gap.
 */
export async function storeFailedBuild(
  world: World,
  failed: {
    readonly spec: BuildSpec
    readonly artifact: Artifact
    readonly suite: string
    readonly workloads: readonly WorkloadDefinition[]
    readonly metadata: JsonObject
  },
): Promise<number> {
  const { spec, artifact, suite, workloads, metadata } = failed
  const at = world.now().toISOString()
  const results = failedBuildResults(artifact, workloads)
  const [runId] = await world.store.insertRuns([
    {
      run: {
        machine: world.machine,
        environment: await world.readEnvironment(),
        build: spec,
        suite,
        preset: 'none',
        harnessVersion: `langperf-harness protocol ${HARNESS_PROTOCOL_VERSION}`,
        source: 'langperf',
        startedAt: at,
        groupId: null,
        metadata: { ...metadata, ...buildMetadata(artifact) },
      },
      status: 'complete',
      finishedAt: at,
      results,
    },
  ])
  return runId as number
}

/** Per-process means by interpreter index, then workload name. */
export type MeansByInterpreter = Map<number, Map<string, number[]>>

/**
 * Measures `workloads` on `interpreters` (interleaved when several) and stores one run per
 * interpreter with `builds` and `metadata`; returns the run ids, how it ended and the
 * per-process means of every measured result, with the loop count each workload ran at.
 */
export async function measureBuilds(
  world: World,
  input: {
    readonly interpreters: readonly Interpreter[]
    readonly builds: readonly BuildSpec[]
    readonly workloads: readonly WorkloadDefinition[]
    readonly preset: Preset
    readonly suite: string
    readonly timeoutMs: number
    readonly metadata: JsonObject
    /** Metadata of one run only, merged over `metadata` (measureAndStore's `runMetadata`). */
    readonly runMetadata?: (index: number, group: RunGroupSoFar) => JsonObject
    readonly frozenLoops?: Readonly<Record<string, number>>
    /** Count instructions under this valgrind instead of timing (runner/instructions.ts). */
    readonly instructions?: Valgrind
  },
): Promise<{
  readonly runIds: readonly number[]
  readonly groupId: string
  readonly status: 'complete' | 'interrupted'
  readonly means: MeansByInterpreter
  readonly loops: Readonly<Record<string, number>>
  readonly failures: readonly string[]
}> {
  const means: MeansByInterpreter = new Map()
  const loops: Record<string, number> = {}
  const failures: string[] = []
  const environment = await world.readEnvironment()
  // Every worker on one CPU, the same each night (runner/pinning.ts): a process's CPU is part of
  // what it measures, and a pair's two builds must share it.
  const pinning = await workerPinning('auto', environment, process.env)
  const outcome = await measureAndStore(
    world.store,
    {
      interpreters: input.interpreters,
      ...pinnedPlan(pinning),
      workloads: input.workloads,
      preset: input.preset,
      timeoutMs: input.timeoutMs,
      ...(input.frozenLoops ? { frozenLoops: input.frozenLoops } : {}),
      ...(input.instructions ? { instructions: input.instructions } : {}),
      // Workloads with requirements get their virtual environments beside the build cache.
      cacheDir: world.config.build.cacheDir,
    },
    {
      machine: world.machine,
      environment,
      suite: input.suite,
      builds: input.builds,
      metadata: input.metadata,
      ...(input.runMetadata ? { runMetadata: input.runMetadata } : {}),
      now: world.now,
      ...(world.signal ? { signal: world.signal } : {}),
      onEvent: (e) => {
        if (e.kind !== 'result') return
        const r = e.result
        if (r.outcome.state === 'measured') {
          const byWorkload = means.get(e.interpreterIndex) ?? new Map<string, number[]>()
          byWorkload.set(r.workload.name, processMeans(r.processes))
          means.set(e.interpreterIndex, byWorkload)
          if (e.interpreterIndex === 0) loops[r.workload.name] = r.loops
        } else if (r.outcome.state === 'failed') {
          failures.push(
            `${r.workload.name} on ${input.builds[e.interpreterIndex]?.identity}: ${r.outcome.message}`,
          )
        }
      },
    },
  )
  return {
    runIds: outcome.runIds,
    groupId: outcome.groupId,
    status: outcome.status,
    means,
    loops,
    failures,
  }
}

/** Where the nightly lock lives by default: beside the build cache, which is per machine. */
export function defaultLockPath(config: LangperfConfig): string {
  return join(config.build.cacheDir, 'nightly.lock')
}
