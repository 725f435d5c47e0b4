import type { AlertDetail, AlertLog, ChangeRow, RunFacts, SeriesKey } from '../store/index.ts'

// The `detect` use case: read every series (or a filtered few), run the change-point detector
// on each, and record what it found as changes grouped into alerts. Idempotent: a second pass
// over the same data adds nothing, and triage is never touched (store.applyDetection).
// load (detect-series.ts) → plan (detect-plan.ts, pure) → apply (here, one transaction).

import { planDetection, seriesId } from './detect-plan.ts'
import {
  type DetectionStore,
  type DetectReport,
  type DetectRunOptions,
  type LoadedSeries,
  loadSeries,
} from './detect-series.ts'

export * from './detect-exact.ts'
export * from './detect-plan.ts'
export * from './detect-series.ts'

/** Every recorded change (provisional or confirmed) whose series is not among `present`. */
async function orphanChanges(store: AlertLog, present: ReadonlySet<string>): Promise<ChangeRow[]> {
  const out: ChangeRow[] = []
  for (let offset = 0; ; offset += 5000) {
    const page = await store.listChanges({ status: ['provisional', 'confirmed'], limit: 5000, offset })
    for (const c of page.rows) if (!present.has(seriesId(c.series))) out.push(c)
    if (page.rows.length < 5000) break
  }
  return out
}

/**
 * Runs detection over the stored series and records changes and alerts: load (every series and
 * its recorded changes) → plan (pure, `planDetection`) → apply (one transaction).
 */
export async function detectAndRecord(
  store: DetectionStore,
  options: DetectRunOptions = {},
): Promise<DetectReport> {
  const now = options.now ?? (() => new Date())
  const all = await store.listSeries(options.filter ?? {})
  const runs = new Map<string, Map<number, RunFacts>>()
  const loaded: LoadedSeries[] = []
  for (const [i, info] of all.entries()) {
    options.onProgress?.(i, 2 * all.length)
    const series: SeriesKey = {
      machine: info.machine,
      runtime: info.runtime,
      config: info.config,
      branch: info.branch,
      workload: info.workload,
      workloadVersion: info.workloadVersion,
    }
    loaded.push(await loadSeries(store, series, runs))
  }
  // Orphans are looked for only on a full pass: a filtered pass does not see every series.
  const orphans =
    options.filter && Object.keys(options.filter).length > 0
      ? []
      : await orphanChanges(store, new Set(loaded.map((l) => seriesId(l.series))))
  const plan = planDetection(loaded, {
    ...(options.detect ? { detect: options.detect } : {}),
    ...(options.referencesInHistory ? { referencesInHistory: true } : {}),
    ...(options.pairThreshold !== undefined ? { pairThreshold: options.pairThreshold } : {}),
    ...(options.exactThreshold !== undefined ? { exactThreshold: options.exactThreshold } : {}),
    orphans,
    ...(options.onProgress
      ? { onProgress: (done: number, total: number) => options.onProgress?.(total + done, 2 * total) }
      : {}),
  })
  const outcome = await store.applyDetection({
    changes: plan.changes,
    withdrawn: plan.withdrawn,
    superseded: plan.superseded,
    at: now().toISOString(),
  })
  const newAlerts: AlertDetail[] = []
  for (const id of outcome.newAlertIds) {
    const a = await store.getAlert(id)
    if (a) newAlerts.push(a)
  }
  return {
    seriesScanned: plan.seriesScanned,
    skipped: plan.skipped,
    newAlerts,
    updatedAlertIds: outcome.touchedAlertIds.filter((id) => !outcome.newAlertIds.includes(id)),
    newChangeIds: outcome.newChangeIds,
    confirmedChangeIds: outcome.confirmedChangeIds,
    withdrawnChangeIds: outcome.withdrawnChangeIds,
    epochBoundaries: plan.epochBoundaries,
    judgedAtBoundaries: plan.judgedAtBoundaries,
    orders: plan.orders,
    partialRuns: plan.partialRuns,
    superseded: plan.superseded.length,
    retracted: plan.retracted,
    pairedChanges: plan.pairedChanges,
    confirmedByPair: plan.confirmedByPair,
    dismissedByPair: plan.dismissedByPair,
    raisedByPair: plan.raisedByPair,
    contradictedPairs: plan.contradictedPairs,
    countSeries: plan.countSeries,
    countChanges: plan.changes.filter((c) => c.measure === 'instructions').length,
  }
}
