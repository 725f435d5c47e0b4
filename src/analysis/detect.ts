import type { JsonObject } from '../lib/index.ts'
import {
  type Change,
  type Detection,
  type DetectOptions,
  type SeriesPoint as DetectPoint,
  detectChanges,
  type EpochBoundary,
  epochKey,
  orderFromCommitDate,
  type StepEstimate,
} from '../stats/index.ts'
import type {
  AlertDetail,
  ChangeInput,
  ChangeKey,
  RunRow,
  SeriesKey,
  SeriesPoint,
  SeriesQuery,
  Store,
} from '../store/index.ts'
import { epochFacts, lowerIsBetter } from './epochs.ts'
import {
  PAIR_ROUND_PURPOSE,
  type PairedEvidence,
  pairedDetails,
  pairedEvidence,
  pairOnly,
  pairRaisedChanges,
  preparedIndexes,
  REFERENCE_PURPOSE,
} from './paired.ts'

// The `detect` use case: read every series (or a filtered few), run the change-point detector
// on each, and record what it found as changes grouped into alerts. Idempotent: a second pass
// over the same data adds nothing, and triage is never touched (store.applyDetection).

/**
 * `metadata.purpose` of runs made to answer one question about a few builds (bisection's
 * interleaved measurements): kept as data, but not part of a series' history, so detection
 * leaves them out (their smaller, interleaved samples would otherwise move blame ranges).
 */
export const BISECT_PURPOSE = 'bisect'

/** Why a series was not analysed. */
export interface SkippedSeries {
  readonly series: SeriesKey
  readonly reason: string
}

/** One series analysed: the detector's answer and what each of its point ids means. */
export interface SeriesAnalysis {
  readonly series: SeriesKey
  readonly points: readonly SeriesPoint[]
  /** Points of reference runs, kept out of the detector's input and used only as pairs. */
  readonly references: readonly SeriesPoint[]
  readonly detection: Detection
  /** Epoch facts of each point's run, by result id. */
  readonly epochs: ReadonlyMap<number, string>
}

/** Outcome of a detection pass. */
export interface DetectReport {
  readonly seriesScanned: number
  readonly skipped: readonly SkippedSeries[]
  readonly newAlerts: readonly AlertDetail[]
  /** Alerts that gained changes or whose provisional changes were confirmed or withdrawn. */
  readonly updatedAlertIds: readonly number[]
  readonly newChangeIds: readonly number[]
  readonly confirmedChangeIds: readonly number[]
  readonly withdrawnChangeIds: readonly number[]
  /** Infrastructure boundaries seen (never blamed on a commit). */
  readonly epochBoundaries: number
  /** Commit changes whose first bad build has an interleaved pair with a build of the old level. */
  readonly pairedChanges: number
  /** Provisional changes this pass recorded as confirmed because their pair confirmed them. */
  readonly confirmedByPair: number
  /** Changes not raised (or withdrawn) because their interleaved pair showed no such step. */
  readonly dismissedByPair: readonly DismissedByPair[]
  /** Provisional changes raised by a decisive interleaved pair where the detector reported none. */
  readonly raisedByPair: number
}

/** A change the detector reported that its interleaved pair ruled out. */
export interface DismissedByPair {
  readonly series: SeriesKey
  /** What the detector said: provisional (newest build) or confirmed (history). */
  readonly state: 'provisional' | 'confirmed'
  readonly lastGoodCommit: string | null
  readonly firstBadCommit: string | null
  /** The detector's estimate. */
  readonly ratio: number
  readonly ratioLow: number
  readonly ratioHigh: number
  readonly paired: PairedEvidence
}

/** Options of detectAndRecord. */
export interface DetectRunOptions {
  readonly filter?: SeriesQuery
  /**
   * Merge reference runs into the detector's history as more builds of their commit (default
   * false: they are pairs only). A chain of pairs makes neighbouring builds share a night's
   * drift, which the detector's noise model, learned from successive differences, does not know:
   * merged, they made false steps several times more frequent in bench/paired-rule.ts. Kept for
   * that measurement.
   */
  readonly referencesInHistory?: boolean
  readonly detect?: DetectOptions
  /** Practical threshold of the pairs, |ratio − 1| (default DEFAULT_PAIR_THRESHOLD, analysis/paired.ts). */
  readonly pairThreshold?: number
  readonly now?: () => Date
  readonly onProgress?: (done: number, total: number) => void
}

/** Runs of one group (machine × runtime × config × branch), by id, fetched once per pass. */
async function runsOf(
  store: Store,
  key: SeriesKey,
  cache: Map<string, Map<number, RunRow>>,
): Promise<Map<number, RunRow>> {
  const k = JSON.stringify([key.machine, key.runtime, key.config, key.branch])
  const hit = cache.get(k)
  if (hit) return hit
  const out = new Map<number, RunRow>()
  for (let offset = 0; ; offset += 1000) {
    const page = await store.listRuns({
      machine: key.machine,
      runtime: key.runtime,
      config: key.config,
      ...(key.branch !== null ? { branch: key.branch } : {}),
      limit: 1000,
      offset,
    })
    for (const r of page.rows) if ((r.build.branch ?? null) === key.branch) out.set(r.id, r)
    if (page.rows.length < 1000) break
  }
  cache.set(k, out)
  return out
}

/** The epoch key of every run of a series' group (machine × runtime × config × branch), by run id. */
export async function groupEpochs(store: Store, key: SeriesKey): Promise<Map<number, string>> {
  const out = new Map<number, string>()
  for (const [id, run] of await runsOf(store, key, new Map())) out.set(id, epochKey(epochFacts(run)))
  return out
}

/**
 * Analyses one series: its points ordered by commit date (UTC), each with the epoch of its run;
 * failed builds count as failed points, never as gaps; bisection runs are left out, and reference
 * runs are set aside as pairs (`references`). Undefined (with the reason) when the series cannot
 * be ordered by commit.
 */
export async function analyseSeries(
  store: Store,
  series: SeriesKey,
  options: {
    readonly detect?: DetectOptions
    readonly runs?: Map<string, Map<number, RunRow>>
    /** See DetectRunOptions.referencesInHistory. */
    readonly referencesInHistory?: boolean
  } = {},
): Promise<SeriesAnalysis | { readonly skipped: string }> {
  const points = await store.getSeriesPoints(series, {
    withProcessMeans: true,
    states: ['measured', 'failed'],
    excludeSuites: [BISECT_PURPOSE],
  })
  const dated = points.filter((p) => p.commitDateUtc !== null)
  if (dated.length === 0) {
    return {
      skipped: 'no build in this series has a commit date, so it has no history order (local interpreters)',
    }
  }
  const runs = await runsOf(store, series, options.runs ?? new Map())
  const purpose = (p: SeriesPoint) => runs.get(p.runId)?.metadata.purpose
  // Pair rounds (more processes of a pair's builds, the same night) are never history points.
  const references = dated.filter((p) =>
    options.referencesInHistory ? purpose(p) === PAIR_ROUND_PURPOSE : pairOnly(purpose(p)),
  )
  const withCommit = dated.filter(
    (p) =>
      purpose(p) !== BISECT_PURPOSE &&
      purpose(p) !== PAIR_ROUND_PURPOSE &&
      (options.referencesInHistory || purpose(p) !== REFERENCE_PURPOSE),
  )
  if (withCommit.length === 0) return { skipped: 'every point of this series is a bisection measurement' }
  const epochs = new Map<number, string>()
  const input: DetectPoint[] = []
  for (const p of withCommit) {
    const run = runs.get(p.runId)
    const epoch = run ? epochKey(epochFacts(run)) : 'unknown-run'
    epochs.set(p.resultId, epoch)
    const measured = p.state === 'measured' && p.summary.mean !== null
    input.push({
      id: String(p.resultId),
      order: orderFromCommitDate(p.commitDateUtc!),
      epoch,
      value: measured ? p.summary.mean : null,
      ...(measured && p.processMeans && p.processMeans.length >= 2 ? { processMeans: p.processMeans } : {}),
    })
  }
  const unit = withCommit.find((p) => p.state === 'measured')?.unit ?? 'second'
  const detection = detectChanges(input, { lowerIsBetter: lowerIsBetter(unit), ...options.detect })
  return { series, points: withCommit, references, detection, epochs }
}

/** The fields that differ between two epoch keys, as `field: old → new`. */
export function epochChanges(from: string, to: string): string[] {
  const parse = (key: string) =>
    new Map(
      key.split(/(?<!\\);/).map((pair) => {
        const i = pair.search(/(?<!\\)=/)
        return [pair.slice(0, i), pair.slice(i + 1)] as const
      }),
    )
  const a = parse(from)
  const b = parse(to)
  const out: string[] = []
  for (const [field, value] of b)
    if (a.get(field) !== value) out.push(`${field}: ${a.get(field) ?? '?'} → ${value}`)
  return out
}

/** The change a step between two stored points stands for: blame ends, ratio, interval, p. */
function stepInput(
  kind: ChangeInput['kind'],
  series: SeriesKey,
  good: SeriesPoint,
  bad: SeriesPoint,
  step: StepEstimate,
  rest: Pick<ChangeInput, 'unit' | 'direction' | 'status'> & { readonly details: JsonObject },
): ChangeInput {
  return {
    kind,
    series,
    lastGood: { buildId: good.buildId, resultId: good.resultId, commitSha: good.commitSha },
    firstBad: { buildId: bad.buildId, resultId: bad.resultId, commitSha: bad.commitSha },
    unit: rest.unit,
    ratio: step.ratio,
    ratioLow: step.ratioLow,
    ratioHigh: step.ratioHigh,
    pValue: step.pValue,
    direction: rest.direction,
    status: rest.status,
    details: {
      pointsBefore: step.pointsBefore,
      pointsAfter: step.pointsAfter,
      dof: step.dof,
      logStderr: step.logStderr,
      ...rest.details,
    },
  }
}

/** A significant step across an epoch boundary, recorded as an infrastructure change. */
function boundaryInput(
  series: SeriesKey,
  boundary: EpochBoundary,
  byResult: ReadonlyMap<number, SeriesPoint>,
  unit: string,
): ChangeInput | null {
  const good = byResult.get(Number(boundary.previousId))
  const bad = byResult.get(Number(boundary.id))
  const s = boundary.step
  if (!good || !bad || !s || !boundary.significant) return null
  return stepInput('infrastructure', series, good, bad, s, {
    unit,
    direction: s.logRatio > 0 === lowerIsBetter(unit) ? 'regression' : 'improvement',
    status: 'confirmed',
    details: { infrastructure: epochChanges(boundary.fromEpoch, boundary.toEpoch) },
  })
}

/** A change the detector reported between two stored points, recorded as a commit change. */
function toInput(
  series: SeriesKey,
  change: Change,
  byResult: ReadonlyMap<number, SeriesPoint>,
  unit: string,
): ChangeInput | null {
  const good = byResult.get(Number(change.lastGoodId))
  const bad = byResult.get(Number(change.firstBadId))
  if (!good || !bad) return null
  return stepInput('commit', series, good, bad, change.step, {
    unit,
    direction: change.direction,
    status: change.state,
    details: { unmeasuredResultIds: change.unmeasuredIds.map(Number) },
  })
}

/** Runs detection over the stored series and records changes and alerts. */
export async function detectAndRecord(store: Store, options: DetectRunOptions = {}): Promise<DetectReport> {
  const now = options.now ?? (() => new Date())
  const all = await store.listSeries(options.filter ?? {})
  const runs = new Map<string, Map<number, RunRow>>()
  const skipped: SkippedSeries[] = []
  const changes: ChangeInput[] = []
  const withdrawn: ChangeKey[] = []
  let epochBoundaries = 0
  // Per boundary (machine × runtime × config × branch × build pair): how many workloads cross it
  // and how many of them moved. When only a few of many move, a commit in the range is the likelier
  // cause, and the alert says so (details.seriesMoved / seriesCrossing).
  const crossing = new Map<string, { crossing: number; moved: number }>()
  const infrastructure: { key: string; input: ChangeInput }[] = []
  const dismissedByPair: DismissedByPair[] = []
  let confirmedByPair = 0
  let pairedChanges = 0
  let raisedByPair = 0
  for (const [i, info] of all.entries()) {
    const series: SeriesKey = {
      machine: info.machine,
      runtime: info.runtime,
      config: info.config,
      branch: info.branch,
      workload: info.workload,
      workloadVersion: info.workloadVersion,
    }
    options.onProgress?.(i, all.length)
    const a = await analyseSeries(store, series, {
      ...(options.detect ? { detect: options.detect } : {}),
      runs,
      ...(options.referencesInHistory ? { referencesInHistory: true } : {}),
    })
    if ('skipped' in a) {
      skipped.push({ series, reason: a.skipped })
      continue
    }
    epochBoundaries += a.detection.epochs.length
    const byResult = new Map(a.points.map((p) => [p.resultId, p]))
    const unit = a.points.find((p) => p.state === 'measured')?.unit ?? 'second'
    for (const b of a.detection.epochs) {
      const good = byResult.get(Number(b.previousId))
      const bad = byResult.get(Number(b.id))
      if (!good || !bad) continue
      const k = `${series.machine}|${series.runtime}|${series.config}|${series.branch}|${good.buildId}|${bad.buildId}`
      const seen = crossing.get(k) ?? { crossing: 0, moved: 0 }
      seen.crossing++
      const input = boundaryInput(series, b, byResult, unit)
      if (input) {
        seen.moved++
        infrastructure.push({ key: k, input })
      }
      crossing.set(k, seen)
    }
    // Keep the blame of changes already recorded: when more builds move a detected step's
    // estimated position by a build or two, it is the same step, not a new one.
    const known = (await store.listChanges({ series, status: ['provisional', 'confirmed'] })).rows
    // Positions of builds among the series' commits (prepared points), not among its results: a
    // build measured twice (its own nightly run and a reference run) is one position.
    const resultIndex = preparedIndexes(a.detection)
    const orderOf = new Map<number, number>()
    for (const p of a.points) {
      const idx = resultIndex.get(p.resultId)
      if (idx !== undefined && !orderOf.has(p.buildId)) orderOf.set(p.buildId, idx)
    }
    const seriesRuns = await runsOf(store, series, runs)
    for (const c of a.detection.changes) {
      const f = toInput(series, c, byResult, unit)
      if (!f) continue
      const fIdx = orderOf.get(f.firstBad.buildId) ?? -1
      const same = known.find((k) => {
        const kIdx = orderOf.get(k.firstBad.buildId)
        const gIdx = orderOf.get(k.lastGood.buildId)
        return (
          k.direction === f.direction &&
          kIdx !== undefined &&
          gIdx !== undefined &&
          kIdx !== fIdx &&
          Math.abs(kIdx - fIdx) <= 2
        )
      })
      const blamed = same ? { ...f, lastGood: same.lastGood, firstBad: same.firstBad } : f
      // The interleaved pair of the blamed first bad build and a build of the old level, if any.
      const at = { firstBadIndex: (same && orderOf.get(same.firstBad.buildId)) ?? c.firstBadIndex }
      const evidence = pairedEvidence(a.detection, c, a.points, seriesRuns, {
        lowerIsBetter: lowerIsBetter(unit),
        at,
        references: a.references,
      })
      const storedConfirmed = known.some(
        (k) => k.firstBad.buildId === blamed.firstBad.buildId && k.status === 'confirmed',
      )
      const decided = decidePaired(blamed, evidence, storedConfirmed)
      switch (decided.effect) {
        case 'none':
          changes.push(decided.input)
          break
        case 'confirmed':
          confirmedByPair++
          pairedChanges++
          changes.push(decided.input)
          break
        case 'kept':
          pairedChanges++
          changes.push(decided.input)
          break
        case 'dismissed':
          pairedChanges++
          dismissedByPair.push({
            series,
            state: c.state,
            lastGoodCommit: blamed.lastGood.commitSha,
            firstBadCommit: blamed.firstBad.commitSha,
            ratio: blamed.ratio,
            ratioLow: blamed.ratioLow,
            ratioHigh: blamed.ratioHigh,
            paired: decided.evidence,
          })
          break
        default:
          decided satisfies never
      }
    }
    // --- issue 18: a decisive pair raises a provisional change by itself (analysis/paired.ts). ---
    const raised = pairRaisedChanges({
      series,
      detection: a.detection,
      points: a.points,
      references: a.references,
      runs: seriesRuns,
      recorded: changes.filter((c) => sameSeries(c.series, series)),
      known,
      unit,
      lowerIsBetter: lowerIsBetter(unit),
      ...(options.pairThreshold !== undefined ? { threshold: options.pairThreshold } : {}),
    })
    raisedByPair += raised.length
    changes.push(...raised)
    // --- end issue 18 ---
    // Provisional changes the detector no longer reports are withdrawn.
    const reported = new Set(
      changes.filter((c) => sameSeries(c.series, series)).map((c) => c.firstBad.buildId),
    )
    for (const k of known) {
      if (k.status === 'provisional' && !reported.has(k.firstBad.buildId)) {
        withdrawn.push({ series, firstBadBuildId: k.firstBad.buildId })
      }
    }
  }
  options.onProgress?.(all.length, all.length)
  for (const { key, input } of infrastructure) {
    const c = crossing.get(key)!
    changes.push({
      ...input,
      details: { ...input.details, seriesCrossing: c.crossing, seriesMoved: c.moved },
    })
  }
  const outcome = await store.applyDetection({ changes, withdrawn, at: now().toISOString() })
  const newAlerts: AlertDetail[] = []
  for (const id of outcome.newAlertIds) {
    const a = await store.getAlert(id)
    if (a) newAlerts.push(a)
  }
  return {
    seriesScanned: all.length - skipped.length,
    skipped,
    newAlerts,
    updatedAlertIds: outcome.touchedAlertIds.filter((id) => !outcome.newAlertIds.includes(id)),
    newChangeIds: outcome.newChangeIds,
    confirmedChangeIds: outcome.confirmedChangeIds,
    withdrawnChangeIds: outcome.withdrawnChangeIds,
    epochBoundaries,
    pairedChanges,
    confirmedByPair,
    dismissedByPair,
    raisedByPair,
  }
}

/** How the paired evidence changed a detected change. */
type PairedDecision =
  | { readonly effect: 'none'; readonly input: ChangeInput }
  | { readonly effect: 'confirmed' | 'kept'; readonly input: ChangeInput }
  | { readonly effect: 'dismissed'; readonly evidence: PairedEvidence }

/**
 * The rule of docs/stats.md ("From detection to alerts"): a pair that confirms the step makes it
 * confirmed at once; a pair that contradicts it keeps it from being raised (a provisional change
 * recorded earlier is then withdrawn), unless it is already recorded as confirmed, which is never
 * downgraded; otherwise the detector's verdict stands. The pair's numbers go into details.paired.
 */
function decidePaired(
  input: ChangeInput,
  evidence: PairedEvidence | null,
  storedConfirmed: boolean,
): PairedDecision {
  if (evidence === null) return { effect: 'none', input }
  const withEvidence: ChangeInput = {
    ...input,
    details: { ...input.details, paired: pairedDetails(evidence) },
  }
  switch (evidence.verdict) {
    case 'confirms':
      return {
        effect: input.status === 'provisional' ? 'confirmed' : 'kept',
        input: { ...withEvidence, status: 'confirmed' },
      }
    case 'contradicts':
      return storedConfirmed ? { effect: 'kept', input: withEvidence } : { effect: 'dismissed', evidence }
    case 'disagrees':
    case 'inconclusive':
      return { effect: 'kept', input: withEvidence }
    default:
      return evidence.verdict satisfies never
  }
}

function sameSeries(a: SeriesKey, b: SeriesKey): boolean {
  return (
    a.machine === b.machine &&
    a.runtime === b.runtime &&
    a.config === b.config &&
    a.branch === b.branch &&
    a.workload === b.workload &&
    a.workloadVersion === b.workloadVersion
  )
}
