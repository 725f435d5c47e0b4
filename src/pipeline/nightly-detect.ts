import { detectAndRecord } from '../analysis/index.ts'
import type { CommitInfo } from '../build/index.ts'
import type { JsonObject } from '../lib/index.ts'
import type { RuntimeConfig } from '../model/index.ts'
import type { NightlyContext } from './nightly-context.ts'
import { notify } from './nightly-notify.ts'
import type { MeasuredHistory } from './nightly-reference.ts'
import { type DetectionReport, numbers } from './nightly-report.ts'
import { runStep } from './steps.ts'
import type { World } from './world.ts'

// Detection after a branch was measured: one journalled detection per state of the branch's
// history on this machine, then a notification of each new or newly confirmed alert.

/** The branch detection runs over, and what its configs measured (this nightly included). */
export interface DetectScope {
  readonly runtime: RuntimeConfig
  readonly branch: string
  /** The branch's recent commits, oldest first. */
  readonly commits: readonly CommitInfo[]
  readonly histories: ReadonlyMap<string, MeasuredHistory>
}

/** The alerts a detection raised or confirmed, to bisect. */
export interface DetectedAlerts {
  readonly newIds: readonly number[]
  readonly confirmedIds: readonly number[]
}

/**
 * Detects changes over the branch's series on this machine, reports the pass and notifies each
 * new and newly confirmed alert. Returns those alerts, or null when detection was skipped (nothing
 * measured) or failed.
 */
export async function detectAndNotify(
  context: NightlyContext,
  scope: DetectScope,
): Promise<DetectedAlerts | null> {
  const { world, journal } = context
  const { runtime, branch, commits, histories } = scope
  const measured = [...histories.values()].map((h) => h.measured)
  const newest = [...commits].reverse().find((c) => measured.some((s) => s.has(c.sha)))
  if (newest === undefined) {
    context.report.detections.push(emptyDetection(scope, 'skipped'))
    return null
  }
  // One detection per state of the history: keyed by the newest measured commit, so a nightly
  // that measured nothing new does not detect again, and one that crashed after measuring does.
  const key = `detect:${world.machine}:${runtime.name}:${branch}:${newest.sha}`
  const detected = await runStep(journal, { kind: 'detect', key }, () => detectStep(context, scope))
  if (detected.state !== 'done' && detected.state !== 'done-before') {
    const error = detected.state === 'busy' ? 'busy' : detected.error
    context.report.errors.push({ step: key, message: error })
    context.report.detections.push({ ...emptyDetection(scope, 'failed'), error })
    return null
  }
  const newIds = numbers(detected.detail.newAlertIds)
  const confirmedIds = numbers(detected.detail.confirmedAlertIds)
  context.report.detections.push({
    runtime: runtime.name,
    branch,
    state: detected.state,
    newAlertIds: newIds,
    confirmedAlertIds: confirmedIds,
    confirmedByPair: Number(detected.detail.confirmedByPair ?? 0),
    dismissedByPair: Number(detected.detail.dismissedByPair ?? 0),
    raisedByPair: Number(detected.detail.raisedByPair ?? 0),
  })
  for (const id of newIds) await notify(context, runtime, id, 'new')
  for (const id of confirmedIds) await notify(context, runtime, id, 'confirmed')
  return { newIds, confirmedIds }
}

/** The report of a detection pass that found nothing, in `state`. */
function emptyDetection(scope: DetectScope, state: 'skipped' | 'failed'): DetectionReport {
  return {
    runtime: scope.runtime.name,
    branch: scope.branch,
    state,
    newAlertIds: [],
    confirmedAlertIds: [],
    confirmedByPair: 0,
    dismissedByPair: 0,
    raisedByPair: 0,
  }
}

/** The detection step: detects and records, logs what it found, and returns the step's detail. */
async function detectStep(context: NightlyContext, scope: DetectScope): Promise<JsonObject> {
  const { world, options } = context
  const { runtime, branch } = scope
  world.log(`${runtime.name} ${branch}: detecting changes`)
  const r = await detectAndRecord(world.store, {
    filter: { machine: world.machine, runtime: runtime.name, branch },
    now: world.now,
    pairThreshold: options.pairThreshold ?? world.config.nightly.pairThreshold,
    ...(options.detect ? { detect: options.detect } : {}),
  })
  const confirmed: number[] = []
  for (const id of r.updatedAlertIds) {
    const a = await world.store.getAlert(id)
    if (a?.status === 'confirmed' && a.changes.some((c) => r.confirmedChangeIds.includes(c.id)))
      confirmed.push(id)
  }
  logDetection(world, r, confirmed)
  return {
    newAlertIds: r.newAlerts.map((a) => a.id),
    confirmedAlertIds: confirmed,
    seriesScanned: r.seriesScanned,
    confirmedByPair: r.confirmedByPair,
    dismissedByPair: r.dismissedByPair.length,
    raisedByPair: r.raisedByPair,
  }
}

/** Logs a detection pass: alerts and changes, and what the interleaved pairs decided. */
function logDetection(
  world: World,
  r: Awaited<ReturnType<typeof detectAndRecord>>,
  confirmed: readonly number[],
): void {
  const paired = r.pairedChanges
    ? `; ${r.pairedChanges} judged by their interleaved pair: ${r.confirmedByPair} confirmed at once, ${r.dismissedByPair.length} dismissed`
    : ''
  const raised = r.raisedByPair ? `; ${r.raisedByPair} raised by a decisive pair alone (provisional)` : ''
  const contradicted = r.contradictedPairs
    ? `; ${r.contradictedPairs} decisive pair(s) not raised: the builds since show no such step`
    : ''
  world.log(
    `  ${r.seriesScanned} series: ${r.newAlerts.length} new alert(s)${confirmed.length ? `, ${confirmed.length} confirmed` : ''}, ${r.newChangeIds.length} new change(s)${paired}${raised}${contradicted}`,
  )
  for (const d of r.dismissedByPair) {
    world.log(
      `  dismissed ${d.series.workload} ${d.series.config} ${d.firstBadCommit?.slice(0, 12)}: history ${d.ratio.toFixed(3)}×, interleaved pair ${d.paired.ratio?.toFixed(3)}× [${d.paired.low?.toFixed(3)}, ${d.paired.high?.toFixed(3)}]`,
    )
  }
}
