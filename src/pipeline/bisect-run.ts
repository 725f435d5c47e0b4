import { commitsBetween, resolveCommit } from '../build/index.ts'
import { type JsonObject, LangperfError, quote } from '../lib/index.ts'
import type { BuildConfigDefinition, LangperfConfig, RuntimeConfig } from '../model/index.ts'
import { findValgrind, type Valgrind } from '../runner/index.ts'
import type { AlertDetail } from '../store/index.ts'
import { type BisectOptions, type BisectOutcome, bisectWith } from './bisect.ts'
import { type BuildProbe, type BuildProbeOptions, createBuildProbe } from './probe.ts'
import {
  buildConfigNamed,
  configuredWorkloads,
  mirrorOf,
  type PipelineDeps,
  runtimeNamed,
  type SamplingOptions,
  type World,
  worldOf,
} from './world.ts'

// Bisection run for real: of an alert (the nightly), or of a range given by hand
// (`langperf bisect --good A --bad B --workload W`). Both build through the artifact cache and
// store every measurement as runs of suite `bisect`.

/** Options of a real bisection: the search's knobs and how each build is sampled. */
export interface RunBisectOptions extends BisectOptions {
  /** Warm-ups, values, minimum time and timeout of each process (processes come from the search). */
  readonly sampling?: SamplingOptions
  /**
   * What each build's workloads give: with `instructions`, one instruction count per build and
   * workload under valgrind's callgrind, judged by the exact verdicts (`exact`); refused where
   * valgrind is missing. When absent, the alert decides: `instructions` when every change it
   * has on the machine is an instruction-count change (alertMeasure), else `time`.
   */
  readonly measure?: 'time' | 'instructions'
}

/**
 * What bisecting `alert`'s changes on `machine` measures: `instructions` when every live change
 * there is an instruction-count change (detection's exact rule raised them), else `time` (a
 * mixed alert is bisected by time, on its time changes).
 */
export function alertMeasure(alert: AlertDetail, machine: string): 'time' | 'instructions' {
  const live = alert.changes.filter((c) => c.status !== 'withdrawn' && c.series.machine === machine)
  return live.length > 0 && live.every((c) => c.measure === 'instructions') ? 'instructions' : 'time'
}

/** The search's options in exact mode: one process per build and one round, whatever the nightly's. */
function exactOptions(options: RunBisectOptions): RunBisectOptions {
  const { startProcesses: _s, maxRounds: _r, ...rest } = options
  return { ...rest, exact: true }
}

/** valgrind when the options ask for instruction counts (refused clearly without it), else null. */
async function valgrindFor(world: World, options: RunBisectOptions): Promise<Valgrind | null> {
  if (options.measure === undefined || options.measure === 'time') return null
  if (options.measure !== 'instructions')
    throw new LangperfError(
      'bad-input',
      `Cannot bisect with --measure ${quote(options.measure)}: expected time or instructions`,
    )
  return findValgrind(world.env)
}

/** What an alert asks bisection to do on this machine, or why it asks nothing. */
export type AlertBisectPlan =
  | {
      readonly kind: 'bisect'
      readonly runtime: RuntimeConfig
      readonly buildConfig: BuildConfigDefinition
      readonly branch: string | null
      readonly good: string
      readonly bad: string
      readonly workloads: readonly string[]
      readonly primary: string
      readonly directions: Readonly<Record<string, 1 | -1>>
      /** Which of the alert's changes the plan follows (alertMeasure). */
      readonly measure: 'time' | 'instructions'
    }
  | { readonly kind: 'skip'; readonly reason: string }

/**
 * The bisection an alert needs on `machine`: its commit changes there that are not withdrawn, of
 * the measure alertMeasure chooses, in the build config of the largest; the workloads of that
 * config, the largest deciding.
 */
export function planAlertBisect(
  config: LangperfConfig,
  alert: AlertDetail,
  machine: string,
): AlertBisectPlan {
  if (alert.kind !== 'commit')
    return { kind: 'skip', reason: 'an infrastructure alert is never blamed on a commit' }
  const runtime = config.runtimes.find((r) => r.name === alert.runtime)
  if (runtime === undefined)
    return { kind: 'skip', reason: `runtime ${quote(alert.runtime)} is not in the configuration` }
  const measure = alertMeasure(alert, machine)
  const changes = alert.changes.filter(
    (c) =>
      c.status !== 'withdrawn' &&
      c.series.machine === machine &&
      (c.measure === 'instructions' ? 'instructions' : 'time') === measure,
  )
  if (changes.length === 0)
    return { kind: 'skip', reason: `no change of this alert was seen on ${quote(machine)}` }
  const largest = changes.reduce((a, b) =>
    Math.abs(Math.log(b.ratio)) > Math.abs(Math.log(a.ratio)) ? b : a,
  )
  const buildConfig = runtime.configs.find((c) => c.name === largest.series.config)
  if (buildConfig === undefined) {
    return {
      kind: 'skip',
      reason: `build config ${quote(largest.series.config)} is not in the configuration`,
    }
  }
  const inConfig = changes.filter((c) => c.series.config === buildConfig.name)
  const workloads = [...new Set(inConfig.map((c) => c.series.workload))]
  const directions: Record<string, 1 | -1> = {}
  for (const c of inConfig) directions[c.series.workload] = c.ratio >= 1 ? 1 : -1
  return {
    kind: 'bisect',
    runtime,
    buildConfig,
    branch: alert.branch,
    good: alert.lastGoodCommit,
    bad: alert.firstBadCommit,
    workloads,
    primary: largest.series.workload,
    directions,
    measure,
  }
}

/** What bisecting an alert did. */
export type AlertBisectResult =
  | { readonly kind: 'skipped'; readonly reason: string }
  | { readonly kind: 'single-commit'; readonly culprit: string; readonly note: string }
  | { readonly kind: 'bisected'; readonly outcome: BisectOutcome; readonly runIds: readonly number[] }

/**
 * Bisects an alert's blame range on this machine and records the answer on the alert: the
 * culprit with the measured ratios, or "inconclusive: …" with the narrowest range reached. A
 * range of one commit needs no search: that commit is recorded as it stands. `makeProbe` builds
 * and measures (default: here, through the artifact cache; the farm's: as jobs on the machine).
 * An alert of instruction-count changes (alertMeasure) is bisected by counts, exactly, when
 * valgrind is here (else skipped, saying why); with a `makeProbe` (the farm's, whose build jobs
 * time and do not count yet) such an alert is skipped, saying so.
 */
export async function bisectAlert(
  world: World,
  alert: AlertDetail,
  options: RunBisectOptions = {},
  makeProbe?: (options: BuildProbeOptions) => BuildProbe,
): Promise<AlertBisectResult> {
  const plan = planAlertBisect(world.config, alert, world.machine)
  if (plan.kind === 'skip') return { kind: 'skipped', reason: plan.reason }
  const measure = options.measure ?? plan.measure
  let valgrind: Valgrind | null = null
  if (measure === 'instructions') {
    if (makeProbe !== undefined)
      return {
        kind: 'skipped',
        reason:
          "the alert's changes are instruction counts, and bisecting by counts on the farm is not done yet (langperf bisect --alert on the machine does it)",
      }
    try {
      valgrind = await valgrindFor(world, { measure })
    } catch (error) {
      if (!(error instanceof LangperfError)) throw error
      return {
        kind: 'skipped',
        reason: `the alert's changes are instruction counts, which cannot be counted here: ${error.message}`,
      }
    }
  }
  const mirror = await mirrorOf(world, plan.runtime)
  const inRange = await commitsBetween(mirror, plan.good, plan.bad)
  if (inRange.length === 0) {
    const note = `the blame range holds one commit, ${plan.bad.slice(0, 12)}, measured by the nightly against its parent ${plan.good.slice(0, 12)}`
    await world.store.setAlertCulprit(alert.id, { commit: plan.bad, note, at: world.now().toISOString() })
    return { kind: 'single-commit', culprit: plan.bad, note }
  }
  const all = await configuredWorkloads(world.config)
  const probeOptions: BuildProbeOptions = {
    runtime: plan.runtime,
    buildConfig: plan.buildConfig,
    branch: plan.branch,
    mirror,
    workloads: all.filter((w) => plan.workloads.includes(w.manifest.name)),
    sampling: options.sampling ?? {},
    metadata: { alert_id: alert.id },
    ...(valgrind ? { instructions: valgrind } : {}),
  }
  const probe = makeProbe ? makeProbe(probeOptions) : createBuildProbe(world, probeOptions)
  if (valgrind)
    world.log(`  alert ${alert.id}: its changes are instruction counts, bisected by counts (one per build)`)
  const outcome = await bisectWith(
    probe,
    {
      good: plan.good,
      bad: plan.bad,
      workloads: plan.workloads.filter((w) => all.some((d) => d.manifest.name === w)),
      primary: plan.primary,
      directions: plan.directions,
    },
    {
      ...(valgrind ? exactOptions(options) : options),
      log: options.log ?? world.log,
      ...(world.signal ? { signal: world.signal } : {}),
    },
  )
  if (!(outcome.kind === 'inconclusive' && outcome.reason === 'interrupted')) {
    await world.store.setAlertCulprit(alert.id, {
      commit: outcome.kind === 'culprit' ? outcome.culprit.sha : null,
      note: outcome.note.slice(0, 4000),
      at: world.now().toISOString(),
    })
  }
  return { kind: 'bisected', outcome, runIds: probe.runIds }
}

/** A bisection by hand: a range, the workloads, and where to build. */
export interface ManualBisectRequest {
  /** A commit, tag or branch known to be good. */
  readonly good: string
  /** A descendant known to be bad. */
  readonly bad: string
  readonly workloads: readonly string[]
  /** Runtime name in the configuration (default: its only runtime). */
  readonly runtime?: string
  /** Build config name (default: the runtime's first). */
  readonly buildConfig?: string
  /** Branch recorded on builds first stored by the bisection (default: the runtime's first branch). */
  readonly branch?: string
  /** Machine name recorded on the runs (default: the host name). */
  readonly machine?: string
  /** Record the answer on this alert. */
  readonly alertId?: number
}

/** The answer of a bisection by hand, with the resolved ends and the runs it stored. */
export interface ManualBisectResult {
  readonly good: string
  readonly bad: string
  /** What was measured: `instructions` with --measure instructions or for an alert of counts. */
  readonly measure: 'time' | 'instructions'
  readonly outcome: BisectOutcome
  readonly runIds: readonly number[]
  readonly alert: AlertDetail | null
}

/**
 * `langperf bisect`: bisects (good, bad] of a runtime of the configuration on the named workloads,
 * printing each step through `deps.log`; records the answer on an alert when asked.
 */
export async function bisect(
  config: LangperfConfig,
  deps: PipelineDeps,
  request: ManualBisectRequest,
  options: RunBisectOptions = {},
): Promise<ManualBisectResult> {
  const world = worldOf(config, deps, request.machine)
  const runtime = runtimeNamed(config, request.runtime)
  const buildConfig = buildConfigNamed(runtime, request.buildConfig)
  if (request.workloads.length === 0) {
    throw new LangperfError('bad-input', 'Cannot bisect: expected at least one --workload')
  }
  const all = await configuredWorkloads(world.config)
  const known = new Set(all.map((w) => w.manifest.name))
  for (const w of request.workloads) {
    if (!known.has(w)) {
      throw new LangperfError(
        'bad-input',
        `Cannot bisect workload ${quote(w)}: expected one of ${[...known].sort().join(', ')}`,
      )
    }
  }
  const alert = request.alertId === undefined ? null : await world.store.getAlert(request.alertId)
  if (request.alertId !== undefined && alert === undefined) {
    throw new LangperfError(
      'not-found',
      `Cannot record on alert ${quote(request.alertId)}: no alert has this id`,
    )
  }
  // Without --measure, an alert of instruction-count changes is bisected by counts.
  const measure = options.measure ?? (alert ? alertMeasure(alert, world.machine) : 'time')
  if (options.measure === undefined && measure === 'instructions') {
    if (options.startProcesses !== undefined)
      throw new LangperfError(
        'bad-input',
        `Cannot bisect alert ${quote(request.alertId)} with --processes: its changes are instruction counts, counted once per build (or give --measure time)`,
      )
    world.log(
      `bisect: alert ${request.alertId}'s changes are instruction counts: bisecting by counts, one per build`,
    )
  }
  const valgrind = await valgrindFor(world, { ...options, measure })
  const mirror = await mirrorOf(world, runtime)
  const good = await resolveCommit(mirror, request.good)
  const bad = await resolveCommit(mirror, request.bad)
  const probe = createBuildProbe(world, {
    runtime,
    buildConfig,
    branch: request.branch ?? runtime.branches[0] ?? null,
    mirror,
    workloads: all,
    sampling: options.sampling ?? {},
    metadata: request.alertId === undefined ? {} : ({ alert_id: request.alertId } satisfies JsonObject),
    ...(valgrind ? { instructions: valgrind } : {}),
  })
  const outcome = await bisectWith(
    probe,
    { good, bad, workloads: request.workloads },
    {
      ...(valgrind && options.measure === undefined ? exactOptions(options) : options),
      ...(valgrind ? { exact: true } : {}),
      log: options.log ?? world.log,
      ...(world.signal ? { signal: world.signal } : {}),
    },
  )
  let recorded: AlertDetail | null = null
  if (alert !== null && alert !== undefined) {
    recorded = await world.store.setAlertCulprit(alert.id, {
      commit: outcome.kind === 'culprit' ? outcome.culprit.sha : null,
      note: outcome.note.slice(0, 4000),
      at: world.now().toISOString(),
    })
  }
  return { good, bad, measure, outcome, runIds: probe.runIds, alert: recorded }
}
