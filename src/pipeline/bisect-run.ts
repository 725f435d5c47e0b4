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
   * What each build's workloads give (default `time`): with `instructions`, one instruction count
   * per build and workload under valgrind's callgrind, judged by the exact verdicts (`exact`).
   * By hand only (`bisect`); refused where valgrind is missing.
   */
  readonly measure?: 'time' | 'instructions'
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
    }
  | { readonly kind: 'skip'; readonly reason: string }

/**
 * The bisection an alert needs on `machine`: its commit changes there that are not withdrawn, in
 * the build config of its largest change; the workloads of that config, the largest deciding.
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
  const changes = alert.changes.filter((c) => c.status !== 'withdrawn' && c.series.machine === machine)
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
 */
export async function bisectAlert(
  world: World,
  alert: AlertDetail,
  options: RunBisectOptions = {},
  makeProbe: (options: BuildProbeOptions) => BuildProbe = (o) => createBuildProbe(world, o),
): Promise<AlertBisectResult> {
  if (options.measure === 'instructions')
    throw new LangperfError(
      'bad-input',
      'Cannot bisect an alert by instruction counts: that is langperf bisect --measure instructions, by hand',
    )
  const plan = planAlertBisect(world.config, alert, world.machine)
  if (plan.kind === 'skip') return { kind: 'skipped', reason: plan.reason }
  const mirror = await mirrorOf(world, plan.runtime)
  const inRange = await commitsBetween(mirror, plan.good, plan.bad)
  if (inRange.length === 0) {
    const note = `the blame range holds one commit, ${plan.bad.slice(0, 12)}, measured by the nightly against its parent ${plan.good.slice(0, 12)}`
    await world.store.setAlertCulprit(alert.id, { commit: plan.bad, note, at: world.now().toISOString() })
    return { kind: 'single-commit', culprit: plan.bad, note }
  }
  const all = await configuredWorkloads(world.config)
  const probe = makeProbe({
    runtime: plan.runtime,
    buildConfig: plan.buildConfig,
    branch: plan.branch,
    mirror,
    workloads: all.filter((w) => plan.workloads.includes(w.manifest.name)),
    sampling: options.sampling ?? {},
    metadata: { alert_id: alert.id },
  })
  const outcome = await bisectWith(
    probe,
    {
      good: plan.good,
      bad: plan.bad,
      workloads: plan.workloads.filter((w) => all.some((d) => d.manifest.name === w)),
      primary: plan.primary,
      directions: plan.directions,
    },
    { ...options, log: options.log ?? world.log, ...(world.signal ? { signal: world.signal } : {}) },
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
  const valgrind = await valgrindFor(world, options)
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
      ...options,
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
  return { good, bad, outcome, runIds: probe.runIds, alert: recorded }
}
