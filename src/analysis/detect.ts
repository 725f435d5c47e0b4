import type { JsonObject } from '../lib/index.ts'
import {
  type Change,
  type Detection,
  type DetectOptions,
  type SeriesPoint as DetectPoint,
  detectChanges,
  epochKey,
  mad,
  median,
  orderFromCommitDate,
  type StepEstimate,
} from '../stats/index.ts'
import type {
  AlertDetail,
  AlertLog,
  ChangeInput,
  ChangeKey,
  ChangeRow,
  RunReader,
  RunRow,
  SeriesKey,
  SeriesPoint,
  SeriesQuery,
  SeriesReader,
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

/**
 * How a series' builds are put in history order: by position on the branch's first-parent line
 * when every build has one (a repository placed them), else by commit date (UTC).
 */
export type HistoryOrder = 'ancestry' | 'commit-date'

/** A change of infrastructure between two consecutive builds of a series (an epoch boundary). */
export interface EpochTransition {
  /** Prepared index of the first build on the new infrastructure. */
  readonly index: number
  /** Its build id, which names the transition across the series of one group. */
  readonly buildId: number
  readonly previousBuildId: number
  /** `field: old → new` for each fact that changed. */
  readonly changed: readonly string[]
  /**
   * This series' level shift across the transition: mean log value of up to SHIFT_BUILDS
   * measured builds after it minus the same before it.
   */
  readonly shift: number
}

/** Builds on each side of an infrastructure change that estimate a series' shift across it. */
export const SHIFT_BUILDS = 3

/** One series analysed: the detector's answer and what each of its point ids means. */
export interface SeriesAnalysis {
  readonly series: SeriesKey
  readonly points: readonly SeriesPoint[]
  /** Points of reference runs, kept out of the detector's input and used only as pairs. */
  readonly references: readonly SeriesPoint[]
  readonly detection: Detection
  /** Epoch facts of each point's run, by result id. */
  readonly epochs: ReadonlyMap<number, string>
  readonly order: HistoryOrder
  /** Where the infrastructure changed along the series, oldest first. */
  readonly transitions: readonly EpochTransition[]
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
  /** Infrastructure changes seen along the series (epoch transitions, counted once per group). */
  readonly epochBoundaries: number
  /** Changes whose blame range crosses an infrastructure change, and how they were judged. */
  readonly judgedAtBoundaries: { readonly infrastructure: number; readonly commit: number }
  /** Series ordered by ancestry and by commit date. */
  readonly orders: { readonly ancestry: number; readonly commitDate: number }
  /** Changes withdrawn because their series no longer exists (its builds moved to another line). */
  readonly superseded: number
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

/**
 * How far, in robust standard deviations of the whole group's shifts at one infrastructure
 * change, a step must stand from their median to be blamed on a commit rather than on the
 * infrastructure. A kernel, CPU setting or suite upgrade moves many workloads by various amounts
 * (the crowd); a commit in the same range moves a few far beyond that crowd.
 */
export const OUTLIER_SPREADS = 5

/** Fewest workloads crossing an infrastructure change for their spread to be trusted. */
export const MIN_CROWD = 5

/** How the workloads of one group moved across one infrastructure change. */
export interface Crowd {
  /** Workloads with builds on both sides. */
  readonly crossing: number
  /** Of them, those with a detected step whose blame range holds the change. */
  readonly moved: number
  /** Median of their log shifts. */
  readonly median: number
  /** Robust standard deviation of their log shifts (1.4826 × MAD). */
  readonly spread: number
}

/**
 * The verdict on a step of log size `logRatio` across an infrastructure change (docs/stats.md,
 * "Epochs"): `commit` when it stands more than OUTLIER_SPREADS robust spreads from the median of
 * the group's shifts there (it moved where the others did not), else `infrastructure`. With fewer
 * than MIN_CROWD workloads crossing, the spread cannot be told, and the step is infrastructure
 * unless few of many moved (a quarter or fewer).
 * @example boundaryVerdict(Math.log(1.45), { crossing: 100, moved: 3, median: 0.005, spread: 0.012 }) === 'commit'
 */
export function boundaryVerdict(logRatio: number, crowd: Crowd): 'commit' | 'infrastructure' {
  if (crowd.crossing < MIN_CROWD) return crowd.moved * 4 <= crowd.crossing ? 'commit' : 'infrastructure'
  return Math.abs(logRatio - crowd.median) > OUTLIER_SPREADS * crowd.spread ? 'commit' : 'infrastructure'
}

/** The crowd of shifts at one transition (an empty crowd has no spread). */
function crowdOf(shifts: readonly number[], moved: number): Crowd {
  if (shifts.length === 0) return { crossing: 0, moved, median: 0, spread: 0 }
  return { crossing: shifts.length, moved, median: median(shifts), spread: mad(shifts) }
}

/**
 * What detection uses of the store: it reads series, the runs of their groups and the changes
 * recorded before, and records changes and alerts.
 */
export type DetectionStore = SeriesReader & RunReader & AlertLog

/** Runs of one group (machine × runtime × config × branch), by id, fetched once per pass. */
async function runsOf(
  store: RunReader,
  key: SeriesKey,
  cache: Map<string, Map<number, RunRow>>,
): Promise<Map<number, RunRow>> {
  const k = groupOf(key)
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

/** The group of a series: machine × runtime × config × branch (the builds it shares with others). */
function groupOf(key: SeriesKey): string {
  return JSON.stringify([key.machine, key.runtime, key.config, key.branch])
}

/** The epoch key of every run of a series' group (machine × runtime × config × branch), by run id. */
export async function groupEpochs(store: RunReader, key: SeriesKey): Promise<Map<number, string>> {
  const out = new Map<number, string>()
  for (const [id, run] of await runsOf(store, key, new Map())) out.set(id, epochKey(epochFacts(run)))
  return out
}

/** A series as read from the store: what the pure analysis needs, nothing more. */
export interface LoadedSeries {
  readonly series: SeriesKey
  /** Measured and failed points, bisection runs left out. */
  readonly points: readonly SeriesPoint[]
  /** The runs of the series' group, by id. */
  readonly runs: ReadonlyMap<number, RunRow>
  /** Its changes recorded before, provisional or confirmed. */
  readonly known: readonly ChangeRow[]
}

/** Reads one series for analysis. */
export async function loadSeries(
  store: DetectionStore,
  series: SeriesKey,
  runs: Map<string, Map<number, RunRow>> = new Map(),
): Promise<LoadedSeries> {
  const points = await store.getSeriesPoints(series, {
    withProcessMeans: true,
    states: ['measured', 'failed'],
    excludeSuites: [BISECT_PURPOSE],
  })
  const known = (await store.listChanges({ series, status: ['provisional', 'confirmed'] })).rows
  return { series, points, runs: await runsOf(store, series, runs), known }
}

/** The history position of a build: its first-parent position when a repository placed it. */
function historyOrderOf(run: RunRow | undefined): number | null {
  const v = run?.build.metadata.history_order
  return typeof v === 'number' && Number.isFinite(v) ? v : null
}

/**
 * Analyses one loaded series (pure): its points in history order (ancestry where every build has
 * a first-parent position, else commit date), failed builds as failed points, bisection runs left
 * out, reference runs set aside as pairs (`references`). The detector reads the whole series as
 * one history: an infrastructure change does not cut it; where the infrastructure changed is
 * listed (`transitions`) so a step there can be judged across the series of the group
 * (`planDetection`). Skipped (with the reason) when the series has no history order.
 */
export function analyseLoaded(
  loaded: LoadedSeries,
  options: { readonly detect?: DetectOptions; readonly referencesInHistory?: boolean } = {},
): SeriesAnalysis | { readonly skipped: string } {
  const { series, runs } = loaded
  const purpose = (p: SeriesPoint) => runs.get(p.runId)?.metadata.purpose
  const eligible = loaded.points.filter((p) => purpose(p) !== BISECT_PURPOSE)
  const ancestry = eligible.length > 0 && eligible.every((p) => historyOrderOf(runs.get(p.runId)) !== null)
  const ordered = ancestry ? eligible : eligible.filter((p) => p.commitDateUtc !== null)
  if (ordered.length === 0) {
    return {
      skipped:
        eligible.length === 0
          ? 'every point of this series is a bisection measurement'
          : 'no build in this series has a commit date, so it has no history order (local interpreters)',
    }
  }
  // Pair rounds (more processes of a pair's builds, the same night) are never history points.
  const references = ordered.filter((p) =>
    options.referencesInHistory ? purpose(p) === PAIR_ROUND_PURPOSE : pairOnly(purpose(p)),
  )
  const withCommit = ordered.filter(
    (p) =>
      purpose(p) !== PAIR_ROUND_PURPOSE && (options.referencesInHistory || purpose(p) !== REFERENCE_PURPOSE),
  )
  if (withCommit.length === 0) return { skipped: 'every point of this series is a reference measurement' }
  const epochs = new Map<number, string>()
  const input: DetectPoint[] = []
  for (const p of withCommit) {
    const run = runs.get(p.runId)
    epochs.set(p.resultId, run ? epochKey(epochFacts(run)) : 'unknown-run')
    const measured = p.state === 'measured' && p.summary.mean !== null
    input.push({
      id: String(p.resultId),
      order: ancestry ? (historyOrderOf(run) as number) : orderFromCommitDate(p.commitDateUtc!),
      // One history: epochs are judged afterwards, across the group (see planDetection).
      epoch: '',
      value: measured ? p.summary.mean : null,
      ...(measured && p.processMeans && p.processMeans.length >= 2 ? { processMeans: p.processMeans } : {}),
    })
  }
  const unit = withCommit.find((p) => p.state === 'measured')?.unit ?? 'second'
  const detection = detectChanges(input, { lowerIsBetter: lowerIsBetter(unit), ...options.detect })
  const byResult = new Map(withCommit.map((p) => [p.resultId, p]))
  const transitions: EpochTransition[] = []
  const measured = detection.points.filter((pp) => pp.state === 'measured')
  let previous: { epoch: string; buildId: number } | null = null
  for (const [m, pp] of measured.entries()) {
    const point = byResult.get(Number(pp.id))
    const epoch = epochs.get(Number(pp.id))
    if (!point || epoch === undefined) continue
    if (previous && previous.epoch !== epoch) {
      const side = (from: number, to: number) => {
        const logs = measured.slice(Math.max(0, from), to).map((x) => x.logValue)
        return logs.reduce((sum, v) => sum + v, 0) / logs.length
      }
      transitions.push({
        index: pp.index,
        buildId: point.buildId,
        previousBuildId: previous.buildId,
        changed: epochChanges(previous.epoch, epoch),
        shift: side(m, m + SHIFT_BUILDS) - side(m - SHIFT_BUILDS, m),
      })
    }
    previous = { epoch, buildId: point.buildId }
  }
  return {
    series,
    points: withCommit,
    references,
    detection,
    epochs,
    order: ancestry ? 'ancestry' : 'commit-date',
    transitions,
  }
}

/**
 * Analyses one series from the store (see analyseLoaded).
 */
export async function analyseSeries(
  store: DetectionStore,
  series: SeriesKey,
  options: {
    readonly detect?: DetectOptions
    readonly runs?: Map<string, Map<number, RunRow>>
    /** See DetectRunOptions.referencesInHistory. */
    readonly referencesInHistory?: boolean
  } = {},
): Promise<SeriesAnalysis | { readonly skipped: string }> {
  const loaded = await loadSeries(store, series, options.runs ?? new Map())
  return analyseLoaded(loaded, {
    ...(options.detect ? { detect: options.detect } : {}),
    ...(options.referencesInHistory ? { referencesInHistory: true } : {}),
  })
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
  // Values as recorded: the key escapes its separators (stats/changepoint/epochs.ts).
  const plain = (v: string | undefined) => (v === undefined ? '?' : v.replace(/\\([\\;=])/g, '$1'))
  const out: string[] = []
  for (const [field, value] of b)
    if (a.get(field) !== value) out.push(`${field}: ${plain(a.get(field))} → ${plain(value)}`)
  return out
}

/** A change the detector reported between two stored points, as a commit change for now. */
function toInput(
  series: SeriesKey,
  change: Change,
  byResult: ReadonlyMap<number, SeriesPoint>,
  unit: string,
): ChangeInput | null {
  const good = byResult.get(Number(change.lastGoodId))
  const bad = byResult.get(Number(change.firstBadId))
  if (!good || !bad) return null
  const step: StepEstimate = change.step
  return {
    kind: 'commit',
    series,
    lastGood: { buildId: good.buildId, resultId: good.resultId, commitSha: good.commitSha },
    firstBad: { buildId: bad.buildId, resultId: bad.resultId, commitSha: bad.commitSha },
    unit,
    ratio: step.ratio,
    ratioLow: step.ratioLow,
    ratioHigh: step.ratioHigh,
    pValue: step.pValue,
    direction: change.direction,
    status: change.state,
    details: {
      pointsBefore: step.pointsBefore,
      pointsAfter: step.pointsAfter,
      dof: step.dof,
      logStderr: step.logStderr,
      unmeasuredResultIds: change.unmeasuredIds.map(Number),
    },
  }
}

/** What one detection pass will record, decided without the store. */
export interface DetectionPlan {
  readonly changes: readonly ChangeInput[]
  readonly withdrawn: readonly ChangeKey[]
  readonly superseded: readonly (ChangeKey & { readonly reason: string })[]
  readonly skipped: readonly SkippedSeries[]
  readonly seriesScanned: number
  readonly epochBoundaries: number
  readonly judgedAtBoundaries: { readonly infrastructure: number; readonly commit: number }
  readonly orders: { readonly ancestry: number; readonly commitDate: number }
  readonly pairedChanges: number
  readonly confirmedByPair: number
  readonly dismissedByPair: readonly DismissedByPair[]
  readonly raisedByPair: number
}

/** A detected change of one series, with the prepared positions its blame covers. */
interface Candidate {
  readonly analysis: SeriesAnalysis
  readonly change: Change
  readonly input: ChangeInput
  /** Prepared indexes (last good, first bad] of the blamed range. */
  readonly lastGoodIndex: number
  readonly firstBadIndex: number
  /** Transitions inside the blamed range. */
  readonly crossed: readonly EpochTransition[]
}

/**
 * The pure core of a detection pass (docs/stats.md, "From detection to alerts"): analyse each
 * series, keep the blame of steps recorded before, judge steps whose blame range crosses an
 * infrastructure change by how many of the group's workloads moved there (infrastructure when
 * at least INFRASTRUCTURE_SHARE did, else a commit in the range), apply the paired rule to commit
 * changes, withdraw provisional changes no longer reported, and supersede the changes of series
 * that no longer exist (`orphans`: recorded changes whose series was not loaded).
 */
export function planDetection(loaded: readonly LoadedSeries[], options: PlanOptions = {}): DetectionPlan {
  const { analyses, skipped, orders } = analyseAll(loaded, options)
  const seriesOf: SeriesInputs = {
    known: new Map(loaded.map((l) => [seriesId(l.series), l.known])),
    runs: new Map(loaded.map((l) => [seriesId(l.series), l.runs])),
  }
  // Pass 1: every series' candidate changes, and which transitions each crosses.
  const crowds: Crowds = { shifts: new Map(), moved: new Map() }
  const candidates = analyses.flatMap((a) =>
    seriesCandidates(a, seriesOf.known.get(seriesId(a.series)) ?? [], crowds),
  )
  // Pass 2: judge, pair, record.
  const tally: PairTally = { changes: [], dismissedByPair: [], confirmedByPair: 0, pairedChanges: 0 }
  const judgedAtBoundaries = { infrastructure: 0, commit: 0 }
  for (const cand of candidates) {
    const judged = judgeAtBoundaries(cand, crowds)
    if (judged.kind === 'infrastructure') {
      judgedAtBoundaries.infrastructure++
      tally.changes.push(judged.input)
      continue
    }
    if (cand.crossed.length > 0) judgedAtBoundaries.commit++
    applyPairRule(cand, judged.input, seriesOf, tally)
  }
  const { changes } = tally
  // A decisive interleaved pair raises a provisional change by itself where the detector
  // reported none (analysis/paired.ts, pairRaisedChanges).
  const raised = analyses.flatMap((a) => raisedByPair(a, changes, seriesOf, options.pairThreshold))
  changes.push(...raised)
  return {
    changes,
    withdrawn: withdrawnChanges(analyses, changes, seriesOf),
    superseded: (options.orphans ?? []).map((k) => ({
      series: k.series,
      firstBadBuildId: k.firstBad.buildId,
      reason: `its series (branch ${k.series.branch ?? '(none)'}, workload version ${k.series.workloadVersion}) no longer exists: its builds were placed on another line of development or the workload's identity changed`,
    })),
    skipped,
    seriesScanned: analyses.length,
    epochBoundaries: crowds.shifts.size,
    judgedAtBoundaries,
    orders,
    pairedChanges: tally.pairedChanges,
    confirmedByPair: tally.confirmedByPair,
    dismissedByPair: tally.dismissedByPair,
    raisedByPair: raised.length,
  }
}

/** Options of planDetection. */
interface PlanOptions {
  readonly detect?: DetectOptions
  readonly referencesInHistory?: boolean
  readonly pairThreshold?: number
  readonly orphans?: readonly ChangeRow[]
  readonly onProgress?: (done: number, total: number) => void
}

/** What each series brought besides its points, by seriesId: its recorded changes and its group's runs. */
interface SeriesInputs {
  readonly known: ReadonlyMap<string, readonly ChangeRow[]>
  readonly runs: ReadonlyMap<string, ReadonlyMap<number, RunRow>>
}

/**
 * Per infrastructure transition (transitionKey): the shifts the series crossing it show, and the
 * series whose changes' blame ranges cross it.
 */
interface Crowds {
  readonly shifts: Map<string, number[]>
  readonly moved: Map<string, Set<string>>
}

/** What the paired rule decided, accumulated over the candidates. */
interface PairTally {
  readonly changes: ChangeInput[]
  readonly dismissedByPair: DismissedByPair[]
  confirmedByPair: number
  pairedChanges: number
}

/** Every series analysed (reporting progress), the skipped ones with their reason, and how each was ordered. */
function analyseAll(loaded: readonly LoadedSeries[], options: PlanOptions) {
  const skipped: SkippedSeries[] = []
  const analyses: SeriesAnalysis[] = []
  const orders = { ancestry: 0, commitDate: 0 }
  for (const [i, l] of loaded.entries()) {
    options.onProgress?.(i, loaded.length)
    const a = analyseLoaded(l, options)
    if ('skipped' in a) skipped.push({ series: l.series, reason: a.skipped })
    else {
      analyses.push(a)
      if (a.order === 'ancestry') orders.ancestry++
      else orders.commitDate++
    }
  }
  options.onProgress?.(loaded.length, loaded.length)
  return { analyses, skipped, orders }
}

/**
 * A transition is named by the first build on the new infrastructure: series that lack a build
 * before it (a workload added later) still cross the same change.
 */
function transitionKey(a: SeriesAnalysis, t: EpochTransition): string {
  return `${groupOf(a.series)}|${t.buildId}`
}

/**
 * The detected changes of one series as candidates, the blame of changes recorded before kept;
 * records the series' shifts at each transition and which transitions its changes cross.
 */
function seriesCandidates(a: SeriesAnalysis, known: readonly ChangeRow[], crowds: Crowds): Candidate[] {
  for (const t of a.transitions) {
    const list = crowds.shifts.get(transitionKey(a, t)) ?? []
    if (Number.isFinite(t.shift)) list.push(t.shift)
    crowds.shifts.set(transitionKey(a, t), list)
  }
  const byResult = new Map(a.points.map((p) => [p.resultId, p]))
  const unit = a.points.find((p) => p.state === 'measured')?.unit ?? 'second'
  const orderOf = buildPositions(a)
  const candidates: Candidate[] = []
  for (const c of a.detection.changes) {
    const f = toInput(a.series, c, byResult, unit)
    if (!f) continue
    // Keep the blame of changes already recorded: when more builds move a detected step's
    // estimated position by a build or two, it is the same step, not a new one.
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
    const input = same ? { ...f, lastGood: same.lastGood, firstBad: same.firstBad } : f
    const lastGoodIndex = (same && orderOf.get(same.lastGood.buildId)) ?? c.lastGoodIndex
    const firstBadIndex = (same && orderOf.get(same.firstBad.buildId)) ?? c.firstBadIndex
    const crossed = a.transitions.filter((t) => t.index > lastGoodIndex && t.index <= firstBadIndex)
    for (const t of crossed) {
      const k = transitionKey(a, t)
      const set = crowds.moved.get(k) ?? new Set<string>()
      set.add(seriesId(a.series))
      crowds.moved.set(k, set)
    }
    candidates.push({ analysis: a, change: c, input, lastGoodIndex, firstBadIndex, crossed })
  }
  return candidates
}

/**
 * Positions of builds among the series' commits (prepared points), not among its results: a
 * build measured twice (its own nightly run and a reference run) is one position.
 */
function buildPositions(a: SeriesAnalysis): Map<number, number> {
  const resultIndex = preparedIndexes(a.detection)
  const orderOf = new Map<number, number>()
  for (const p of a.points) {
    const idx = resultIndex.get(p.resultId)
    if (idx !== undefined && !orderOf.has(p.buildId)) orderOf.set(p.buildId, idx)
  }
  return orderOf
}

/**
 * A candidate whose blame range crosses infrastructure changes, judged by how many of the group's
 * workloads moved there: infrastructure (with the boundary's figures), else a commit change
 * carrying the boundary it crossed. A candidate that crosses none is a commit change as it is.
 */
function judgeAtBoundaries(
  cand: Candidate,
  crowds: Crowds,
): { readonly kind: 'infrastructure' | 'commit'; readonly input: ChangeInput } {
  const { analysis: a, crossed, input } = cand
  if (crossed.length === 0) return { kind: 'commit', input }
  const logRatio = Math.log(input.ratio)
  const judged = crossed.map((t) => {
    const key = transitionKey(a, t)
    const crowd = crowdOf(crowds.shifts.get(key) ?? [], crowds.moved.get(key)?.size ?? 0)
    return { t, crowd, verdict: boundaryVerdict(logRatio, crowd) }
  })
  const infra = judged.find((j) => j.verdict === 'infrastructure')
  const shown = infra ?? judged[0]!
  const boundary: JsonObject = {
    infrastructure: shown.t.changed,
    seriesCrossing: shown.crowd.crossing,
    seriesMoved: shown.crowd.moved,
    crowdMedian: Math.exp(shown.crowd.median),
    crowdSpread: shown.crowd.spread,
  }
  if (infra) {
    return {
      kind: 'infrastructure',
      input: { ...input, kind: 'infrastructure', details: { ...input.details, ...boundary } },
    }
  }
  return { kind: 'commit', input: { ...input, details: { ...input.details, epochCrossed: boundary } } }
}

/**
 * The paired rule on a commit change: the interleaved pair of the blamed first bad build and a
 * build of the old level, if any, confirms, keeps or dismisses it (decidePaired); tallied.
 */
function applyPairRule(cand: Candidate, input: ChangeInput, seriesOf: SeriesInputs, tally: PairTally): void {
  const { analysis: a, change: c } = cand
  const evidence = pairedEvidence(
    { detection: a.detection, points: a.points, runs: seriesOf.runs.get(seriesId(a.series)) ?? new Map() },
    c,
    {
      lowerIsBetter: lowerIsBetter(input.unit),
      at: { firstBadIndex: cand.firstBadIndex },
      references: a.references,
    },
  )
  const known = seriesOf.known.get(seriesId(a.series)) ?? []
  const storedConfirmed = known.some(
    (k) => k.firstBad.buildId === input.firstBad.buildId && k.status === 'confirmed',
  )
  const decided = decidePaired(input, evidence, storedConfirmed)
  switch (decided.effect) {
    case 'none':
      tally.changes.push(decided.input)
      break
    case 'confirmed':
      tally.confirmedByPair++
      tally.pairedChanges++
      tally.changes.push(decided.input)
      break
    case 'kept':
      tally.pairedChanges++
      tally.changes.push(decided.input)
      break
    case 'dismissed':
      tally.pairedChanges++
      tally.dismissedByPair.push({
        series: a.series,
        state: c.state,
        lastGoodCommit: input.lastGood.commitSha,
        firstBadCommit: input.firstBad.commitSha,
        ratio: input.ratio,
        ratioLow: input.ratioLow,
        ratioHigh: input.ratioHigh,
        paired: decided.evidence,
      })
      break
    default:
      decided satisfies never
  }
}

/** The provisional changes a decisive interleaved pair raises in one series beside those recorded. */
function raisedByPair(
  a: SeriesAnalysis,
  changes: readonly ChangeInput[],
  seriesOf: SeriesInputs,
  pairThreshold: number | undefined,
): ChangeInput[] {
  const unit = a.points.find((p) => p.state === 'measured')?.unit ?? 'second'
  return pairRaisedChanges({
    series: a.series,
    detection: a.detection,
    points: a.points,
    references: a.references,
    runs: seriesOf.runs.get(seriesId(a.series)) ?? new Map(),
    recorded: changes.filter((c) => seriesId(c.series) === seriesId(a.series)),
    known: seriesOf.known.get(seriesId(a.series)) ?? [],
    unit,
    lowerIsBetter: lowerIsBetter(unit),
    ...(pairThreshold !== undefined ? { threshold: pairThreshold } : {}),
  })
}

/** Provisional changes the detector no longer reports are withdrawn. */
function withdrawnChanges(
  analyses: readonly SeriesAnalysis[],
  changes: readonly ChangeInput[],
  seriesOf: SeriesInputs,
): ChangeKey[] {
  const reported = new Set(changes.map((c) => `${seriesId(c.series)}|${c.firstBad.buildId}`))
  const withdrawn: ChangeKey[] = []
  for (const a of analyses) {
    for (const k of seriesOf.known.get(seriesId(a.series)) ?? []) {
      if (k.status === 'provisional' && !reported.has(`${seriesId(a.series)}|${k.firstBad.buildId}`)) {
        withdrawn.push({ series: a.series, firstBadBuildId: k.firstBad.buildId })
      }
    }
  }
  return withdrawn
}

function seriesId(k: SeriesKey): string {
  return JSON.stringify([k.machine, k.runtime, k.config, k.branch, k.workload, k.workloadVersion])
}

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
  const runs = new Map<string, Map<number, RunRow>>()
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
    superseded: plan.superseded.length,
    pairedChanges: plan.pairedChanges,
    confirmedByPair: plan.confirmedByPair,
    dismissedByPair: plan.dismissedByPair,
    raisedByPair: plan.raisedByPair,
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
