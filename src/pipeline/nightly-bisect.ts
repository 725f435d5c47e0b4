import type { JsonObject } from '../lib/index.ts'
import type { RuntimeConfig } from '../model/index.ts'
import type { AlertDetail } from '../store/index.ts'
import { BISECT_DEFAULTS } from './bisect.ts'
import { type AlertBisectResult, alertMeasure, bisectAlert, type RunBisectOptions } from './bisect-run.ts'
import { checkInterrupt, Interrupted, type NightlyContext } from './nightly-context.ts'
import type { DetectedAlerts } from './nightly-detect.ts'
import { notify } from './nightly-notify.ts'
import { profileAtCulprit } from './nightly-profile.ts'
import type { BisectionReport } from './nightly-report.ts'
import { runStep } from './steps.ts'

// Bisection after detection: each new commit alert (and each newly confirmed one) is bisected in
// a journalled step, a capped number per night; a culprit found is notified.

const DEFAULT_MAX_BISECTIONS = 3

/**
 * The processes per build the interleaved pair behind an alert needed to decide (the most over
 * its changes; 0 when no pair decided any). A midpoint must be told from the same two ends by the
 * same step, so the bisection starts at half of it: its second round reaches what the pair
 * needed, its third twice that. Fewer would leave it undecided on the machine where the pair
 * needed that many (a 15–20 % step on a shared machine took a pair about 90 processes).
 */
export function pairProcessesOf(alert: {
  readonly changes: readonly { readonly details: JsonObject }[]
}): number {
  let most = 0
  for (const c of alert.changes) {
    const paired = c.details.paired
    if (paired === null || typeof paired !== 'object' || Array.isArray(paired)) continue
    const processes = (paired as JsonObject).processes
    if (!Array.isArray(processes)) continue
    for (const n of processes) if (typeof n === 'number' && Number.isFinite(n)) most = Math.max(most, n)
  }
  return most
}

/**
 * Bisects the alerts a detection raised or confirmed (each once, new ones first), when bisection
 * is enabled; stops between alerts when the nightly is interrupted.
 */
export async function bisectAlerts(
  context: NightlyContext,
  runtime: RuntimeConfig,
  alerts: DetectedAlerts,
): Promise<void> {
  const { world, options } = context
  if (!(options.bisect ?? world.config.bisect.enabled)) return
  const { newIds, confirmedIds } = alerts
  for (const id of [...newIds, ...confirmedIds.filter((x) => !newIds.includes(x))]) {
    checkInterrupt(world)
    await bisectOne(context, runtime, id)
  }
}

/**
 * Bisects alert `alertId` in a journalled step, unless this nightly started its cap of
 * bisections; reports it, and notifies its culprit when one is found.
 */
async function bisectOne(context: NightlyContext, runtime: RuntimeConfig, alertId: number): Promise<void> {
  const { world, journal, options } = context
  const key = `bisect:${world.machine}:${alertId}`
  const previous = await world.store.getPipelineStep(key)
  if (
    previous?.status !== 'done' &&
    context.bisectionsStarted >= (options.maxBisections ?? DEFAULT_MAX_BISECTIONS)
  ) {
    context.report.bisections.push({
      alertId,
      state: 'capped',
      culprit: null,
      note: 'left for a later nightly (cap reached)',
    })
    return
  }
  if (previous?.status !== 'done') context.bisectionsStarted++
  const alert = await world.store.getAlert(alertId)
  if (alert === undefined) return
  const ran = await runStep(journal, { kind: 'bisect', key }, () => bisectStep(context, runtime, alert))
  if (ran.state === 'failed' && ran.error === 'interrupted') throw new Interrupted('interrupted')
  if (ran.state === 'done' || ran.state === 'done-before') {
    const d = ran.detail
    const culprit = typeof d.culprit === 'string' ? d.culprit : null
    context.report.bisections.push({
      alertId,
      state: ran.state === 'done-before' ? 'done-before' : (d.state as BisectionReport['state']),
      culprit,
      note: String(d.note ?? ''),
    })
    if (culprit !== null) {
      // Before the culprit is notified, so that its message says where the time went.
      await profileAtCulprit(context, alertId, culprit)
      await notify(context, runtime, alertId, 'culprit')
    }
    return
  }
  const error = ran.state === 'busy' ? 'busy' : ran.error
  context.report.errors.push({ step: key, message: error })
  context.report.bisections.push({ alertId, state: 'failed', culprit: null, note: error })
}

/**
 * The bisection options of `alert` on this nightly: its first round at least half the processes
 * its interleaved pair needed (pairProcessesOf); the farm's bisection uses them too.
 */
export function bisectOptionsOf(context: NightlyContext, alert: AlertDetail): RunBisectOptions {
  const { world, options } = context
  const needed = pairProcessesOf(alert)
  const start = Math.max(
    options.bisectStartProcesses ?? BISECT_DEFAULTS.startProcesses,
    Math.ceil(needed / 2),
  )
  return {
    maxBuilds: world.config.bisect.maxBuilds,
    maxRounds: world.config.bisect.repeats,
    startProcesses: start,
    ...(options.sampling ? { sampling: options.sampling } : {}),
    log: world.log,
  }
}

/** A bisection's answer as its journal step's detail (`state`, `culprit`, `note`…). */
export function bisectDetailOf(r: AlertBisectResult): JsonObject {
  switch (r.kind) {
    case 'skipped':
      return { state: 'skipped', culprit: null, note: r.reason }
    case 'single-commit':
      return { state: 'single-commit', culprit: r.culprit, note: r.note }
    case 'bisected': {
      const o = r.outcome
      if (o.kind === 'inconclusive' && o.reason === 'interrupted') throw new Interrupted('interrupted')
      return {
        state: o.kind,
        culprit: o.kind === 'culprit' ? o.culprit.sha : null,
        note: o.note,
        builds: o.builds,
        runIds: [...r.runIds],
      }
    }
    default:
      return r satisfies never
  }
}

/** The bisection step of `alert` (bisectOptionsOf), and the step's detail from the outcome. */
async function bisectStep(
  context: NightlyContext,
  runtime: RuntimeConfig,
  alert: AlertDetail,
): Promise<JsonObject> {
  const { world } = context
  const bisectOptions = bisectOptionsOf(context, alert)
  const needed = pairProcessesOf(alert)
  const start = bisectOptions.startProcesses ?? BISECT_DEFAULTS.startProcesses
  const how =
    alertMeasure(alert, world.machine) === 'instructions'
      ? 'by instruction counts, one per build'
      : `${start} processes per build in the first round${needed > 0 ? ` (its interleaved pair needed ${needed})` : ''}`
  world.log(
    `${runtime.name}: bisecting alert ${alert.id} (${alert.lastGoodCommit.slice(0, 12)}..${alert.firstBadCommit.slice(0, 12)}), ${how}`,
  )
  return bisectDetailOf(await bisectAlert(world, alert, bisectOptions))
}
