import { quote } from '../lib/index.ts'
import type { LangperfConfig, RuntimeConfig } from '../model/index.ts'
import { acquireLock } from './lock.ts'
import { bisectAlerts } from './nightly-bisect.ts'
import {
  checkInterrupt,
  checkOptions,
  contextOf,
  Interrupted,
  type NightlyContext,
  type NightlyDeps,
  type NightlyOptions,
} from './nightly-context.ts'
import { detectAndNotify } from './nightly-detect.ts'
import { measurePlan } from './nightly-measure.ts'
import { planBranch, type RuntimeSources } from './nightly-plan.ts'
import type { NightlyReport } from './nightly-report.ts'
import { errorText } from './steps.ts'
import { defaultLockPath, mirrorOf, workloadsOf, worldOf } from './world.ts'

// The nightly cycle (docs/nightly.md). Under a lock, for each runtime × branch: fetch the mirror,
// plan the new first-parent commits (or a backfill, every k-th), and for each commit × config
// build (cached) → measure the suite → store; a failed build is stored as a run whose results
// failed with `build-failed`. Each new commit is measured interleaved with a reference build, the
// newest commit of that branch × config measured before it here (`[nightly] reference`), in one
// run: both runs are stored, and detection judges the newest build's step by that pair, which the
// machine's drift between nights cannot move (docs/real-cpython.md). Then detect over the branch's series on this machine, notify every
// target of each new or newly confirmed alert, and bisect new commit alerts (a capped number per
// night), notifying again when a culprit is found.
//
// Every step is journalled in the store (steps.ts): a nightly that crashed is resumed by the
// next one without redoing what finished. A measure step that died half-way keeps the workloads
// it stored; its runs are closed as interrupted and only the missing workloads are measured. A
// notification is one step per alert × target × event, so none is sent twice.
//
// The steps live beside this file: nightly-context (options, the context every step is handed),
// nightly-plan, nightly-reference, nightly-measure with nightly-measure-step and
// nightly-pair-rounds, nightly-detect, nightly-notify, nightly-bisect and nightly-report.

/**
 * Runs one nightly cycle and returns its summary. Throws NightlyLockedError when another nightly
 * holds the lock; a step that fails is recorded in the summary and the others go on.
 */
export async function runNightly(
  config: LangperfConfig,
  deps: NightlyDeps,
  options: NightlyOptions = {},
): Promise<NightlyReport> {
  const world = worldOf(config, deps, options.machine)
  const startedAt = world.now().toISOString()
  const { runtimes, every } = checkOptions(config, options)
  const lock = options.dryRun
    ? null
    : await acquireLock(options.lockPath ?? defaultLockPath(config), { now: world.now, log: world.log })
  const context = contextOf({
    world,
    deps,
    options: { ...options, every },
    staleBefore: lock?.owner.startedAt ?? startedAt,
  })
  let interrupted = false
  try {
    world.log(
      `langperf nightly on ${quote(world.machine)}: ${runtimes.length} runtime(s)${options.backfill ? `, backfill ${options.backfill} every ${every}` : every > 1 ? `, every ${every}` : ''}${options.dryRun ? ' (dry run)' : ''}`,
    )
    await nightlyRuntimes(context, runtimes)
  } catch (error) {
    if (!(error instanceof Interrupted)) throw error
    interrupted = true
    world.log('Interrupted: what finished is stored; the next nightly resumes the rest')
  } finally {
    await lock?.release()
  }
  return {
    machine: world.machine,
    startedAt,
    finishedAt: world.now().toISOString(),
    dryRun: options.dryRun === true,
    interrupted,
    ...context.report,
  }
}

/** Runs the nightly of each runtime; one that fails is reported and the others go on. */
async function nightlyRuntimes(context: NightlyContext, runtimes: readonly RuntimeConfig[]): Promise<void> {
  const { world } = context
  for (const runtime of runtimes) {
    try {
      await nightlyRuntime(context, runtime)
    } catch (error) {
      if (error instanceof Interrupted) throw error
      context.report.errors.push({ step: `runtime:${runtime.name}`, message: errorText(error) })
      world.log(`  ${runtime.name}: ${errorText(error)}`)
    }
  }
}

/** Fetches a runtime's mirror, then plans, measures, detects and bisects each of its branches. */
async function nightlyRuntime(context: NightlyContext, runtime: RuntimeConfig): Promise<void> {
  const { world, options } = context
  world.log(`${runtime.name}: fetching ${quote(runtime.remote, 200)}`)
  const mirror = await mirrorOf(world, runtime)
  const { suite, workloads } = await workloadsOf(world.config, runtime, options.workloads)
  const sources: RuntimeSources = { runtime, mirror, suite, workloads }
  for (const branch of runtime.branches) {
    checkInterrupt(world)
    const plan = await planBranch(context, sources, branch)
    if (options.dryRun) continue
    await measurePlan(context, plan)
    checkInterrupt(world)
    const alerts = await detectAndNotify(context, {
      runtime,
      branch,
      commits: plan.commits,
      histories: plan.histories,
    })
    if (alerts !== null) await bisectAlerts(context, runtime, alerts)
  }
}
