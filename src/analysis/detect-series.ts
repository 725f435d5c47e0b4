import { isExperiment, MIN_CROWD, OUTLIER_SPREADS } from '../model/index.ts'
import { INSTRUCTIONS_PRESET, WARMUP_PRESET } from '../runner/index.ts'
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
  ChangeRow,
  RunFacts,
  RunReader,
  SeriesKey,
  SeriesPoint,
  SeriesQuery,
  SeriesReader,
} from '../store/index.ts'
import { epochFacts, lowerIsBetter } from './epochs.ts'
import { PAIR_ROUND_PURPOSE, type PairedEvidence, pairOnly, REFERENCE_PURPOSE } from './paired.ts'

// Detection's first step, per series: load it from the store (its points, its group's runs, its
// recorded changes) and analyse it (pure): history order, reference runs set aside as pairs, the
// detector's changes and the epoch transitions a crowd judgement will look at (detect-plan.ts).

/**
 * `metadata.purpose` of runs made to answer one question about a few builds (bisection's
 * interleaved measurements): kept as data, but not part of a series' history, so detection
 * leaves them out (their smaller, interleaved samples would otherwise move blame ranges).
 */
export const BISECT_PURPOSE = 'bisect'

/**
 * What a series' (timing) history leaves out: bisection's runs (a few builds measured to answer
 * one question) and warm-up series (`run --warmup-series`: every iteration a value, warm-up
 * included, so their means are not the steady state the history follows), and instruction
 * counts (`run --measure instructions`: another unit, not a time). They stay in their runs.
 */
export const HISTORY_EXCLUDES = {
  excludeSuites: [BISECT_PURPOSE],
  excludePresets: [WARMUP_PRESET, INSTRUCTIONS_PRESET],
} as const

/**
 * The points a series' history shows (timelines, the workloads index, other machines' reading of
 * an alert): HISTORY_EXCLUDES, and the runs read only as pairs (a nightly's reference run of the
 * older build and its pair rounds), which detection sets aside too. They stay in their runs.
 */
export const HISTORY_POINTS = {
  ...HISTORY_EXCLUDES,
  excludePurposes: [REFERENCE_PURPOSE, PAIR_ROUND_PURPOSE],
} as const

/**
 * What detection reads of a series: both its histories, the timing one and the instruction
 * counts (runs of INSTRUCTIONS_PRESET), which loadSeries splits and detection judges apart (the
 * counts by the exact rule, detect-exact.ts).
 */
const DETECTION_EXCLUDES = {
  excludeSuites: [BISECT_PURPOSE],
  excludePresets: [WARMUP_PRESET],
} as const

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
  /**
   * Partial runs (fewer than half the workloads their group's runs typically hold: one benchmark
   * re-run on its own) whose points were left out of the histories; the runs stay stored.
   */
  readonly partialRuns: number
  /**
   * Changes withdrawn with a reason in `details.superseded`: their series no longer exists (its
   * builds moved to another line), or they were retracted.
   */
  readonly superseded: number
  /** Of them, confirmed changes retracted (detect-plan.ts, retractedChanges). */
  readonly retracted: number
  /** Commit changes whose first bad build has an interleaved pair with a build of the old level. */
  readonly pairedChanges: number
  /** Provisional changes this pass recorded as confirmed because their pair confirmed them. */
  readonly confirmedByPair: number
  /** Changes not raised (or withdrawn) because their interleaved pair showed no such step. */
  readonly dismissedByPair: readonly DismissedByPair[]
  /** Provisional changes raised by a decisive interleaved pair where the detector reported none. */
  readonly raisedByPair: number
  /**
   * Decisive pairs not raised because the builds since contradict them (no step of the practical
   * size at C); a provisional change one raised before is withdrawn.
   */
  readonly contradictedPairs: number
  /** Series whose instruction-count history was judged by the exact rule (detect-exact.ts). */
  readonly countSeries: number
  /** Instruction-count changes this pass reported (new or already recorded), by the exact rule. */
  readonly countChanges: number
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
  /**
   * The exact rule's threshold on instruction counts, |ratio − 1| (default INSTRUCTION_MIN_EFFECT,
   * 0.5 %, the threshold compare uses for two counts).
   */
  readonly exactThreshold?: number
  readonly now?: () => Date
  readonly onProgress?: (done: number, total: number) => void
}

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
export function crowdOf(shifts: readonly number[], moved: number): Crowd {
  if (shifts.length === 0) return { crossing: 0, moved, median: 0, spread: 0 }
  return { crossing: shifts.length, moved, median: median(shifts), spread: mad(shifts) }
}

/**
 * What detection uses of the store: it reads series, the runs of their groups and the changes
 * recorded before, and records changes and alerts.
 */
export type DetectionStore = SeriesReader & RunReader & AlertLog

/** Runs of one group (machine × runtime × config × branch), by id, fetched once per pass. */
export async function runsOf(
  store: RunReader,
  key: SeriesKey,
  cache: Map<string, Map<number, RunFacts>>,
): Promise<Map<number, RunFacts>> {
  const k = groupOf(key)
  const hit = cache.get(k)
  if (hit) return hit
  const { machine, runtime, config, branch } = key
  const out = new Map((await store.listGroupRuns({ machine, runtime, config, branch })).map((r) => [r.id, r]))
  cache.set(k, out)
  return out
}

/** The group of a series: machine × runtime × config × branch (the builds it shares with others). */
export function groupOf(key: SeriesKey): string {
  return JSON.stringify([key.machine, key.runtime, key.config, key.branch])
}

/** The epoch key of every run of a series' group (machine × runtime × config × branch), by run id. */
export async function groupEpochs(store: RunReader, key: SeriesKey): Promise<Map<number, string>> {
  const out = new Map<number, string>()
  for (const [id, run] of await runsOf(store, key, new Map())) out.set(id, epochKey(epochFacts(run)))
  return out
}

/**
 * A run is **partial** when it holds fewer than this share of the workloads its group's runs
 * typically hold (the median): one benchmark re-run on its own, a subset tried by hand. It stays
 * a run (the timeline shows it), but it is not a point of the history detection reads: the
 * builds around it were measured as a whole suite, and a step blamed on a one-benchmark run
 * would name a build nobody measured as the others were.
 */
export const PARTIAL_SHARE = 0.5
/** Groups whose runs typically hold fewer workloads than this have no partial runs. */
export const PARTIAL_MIN_TYPICAL = 4

/**
 * The partial runs of a group (pure), by the rule of PARTIAL_SHARE: among its history runs (no
 * `purpose`: bisection, reference and pair runs measure the few workloads they were asked to; not
 * warm-up series or instruction counts), those holding fewer than PARTIAL_SHARE × the median
 * count, when that median is at least PARTIAL_MIN_TYPICAL.
 * @example partialRuns(runs, new Map([[1, 90], [2, 92], [3, 1]])) // Set { 3 }
 */
export function partialRuns(
  runs: ReadonlyMap<number, RunFacts>,
  counts: ReadonlyMap<number, number>,
): Set<number> {
  const history: [number, number][] = []
  for (const [id, run] of runs) {
    if (run.metadata.purpose !== undefined || run.suite === BISECT_PURPOSE) continue
    if (run.preset === WARMUP_PRESET || run.preset === INSTRUCTIONS_PRESET) continue
    history.push([id, counts.get(id) ?? 0])
  }
  const typical = median(history.map(([, n]) => n))
  const out = new Set<number>()
  if (!(typical >= PARTIAL_MIN_TYPICAL)) return out
  for (const [id, n] of history) if (n < PARTIAL_SHARE * typical) out.add(id)
  return out
}

/** Partial runs of each group's runs (the map runsOf caches for a pass), computed once. */
const partialsOfGroup = new WeakMap<ReadonlyMap<number, RunFacts>, ReadonlySet<number>>()

/** A series as read from the store: what the pure analysis needs, nothing more. */
export interface LoadedSeries {
  readonly series: SeriesKey
  /** Measured and failed points of its timing history, bisection runs left out. */
  readonly points: readonly SeriesPoint[]
  /**
   * Measured and failed points of its instruction-count history (runs of the `instructions`
   * preset), bisection runs left out; absent or empty when it has none.
   */
  readonly counts?: readonly SeriesPoint[]
  /** The runs of the series' group, by id. */
  readonly runs: ReadonlyMap<number, RunFacts>
  /** Its changes recorded before, provisional or confirmed, of either measure. */
  readonly known: readonly ChangeRow[]
  /** Runs of its group that are partial (partialRuns): their points are not history points. */
  readonly partial?: ReadonlySet<number>
}

/** Reads one series for analysis. */
export async function loadSeries(
  store: DetectionStore,
  series: SeriesKey,
  runs: Map<string, Map<number, RunFacts>> = new Map(),
): Promise<LoadedSeries> {
  const all = await store.getSeriesPoints(series, {
    withProcessMeans: true,
    states: ['measured', 'failed'],
    ...DETECTION_EXCLUDES,
  })
  const known = (await store.listChanges({ series, status: ['provisional', 'confirmed'] })).rows
  const group = await runsOf(store, series, runs)
  let partial = partialsOfGroup.get(group)
  if (!partial) {
    const { machine, runtime, config, branch } = series
    partial = partialRuns(group, await store.countGroupResults({ machine, runtime, config, branch }))
    partialsOfGroup.set(group, partial)
  }
  const isCount = (p: SeriesPoint) => group.get(p.runId)?.preset === INSTRUCTIONS_PRESET
  return {
    series,
    points: all.filter((p) => !isCount(p)),
    counts: all.filter(isCount),
    runs: group,
    known,
    partial,
  }
}

/** The history position of a build: its first-parent position when a repository placed it. */
export function historyOrderOf(run: RunFacts | undefined): number | null {
  const v = run?.build.metadata.history_order
  return typeof v === 'number' && Number.isFinite(v) ? v : null
}

/**
 * A line's runs newest first in its history order, without the runs read only as pairs (a
 * nightly's reference and pair rounds): by first-parent position when every dated run's build
 * has one, else by commit date (then build id); a build's runs newest start first. Runs without a
 * commit date are left out when any run has one; a line with none (an interpreter found on the
 * machine) is ordered by start. Whatever order the runs come in.
 */
export function lineHistory<R extends RunFacts>(runs: readonly R[]): R[] {
  const history = runs.filter((r) => !pairOnly(r.metadata.purpose))
  const newerStart = (a: R, b: R) =>
    a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : b.id - a.id
  const dated = history.filter((r) => r.build.commitDateUtc !== null)
  if (dated.length === 0) return history.sort(newerStart)
  const ancestry = dated.every((r) => historyOrderOf(r) !== null)
  return dated.sort((a, b) => {
    const [x, y] = ancestry
      ? [historyOrderOf(a)!, historyOrderOf(b)!]
      : [a.build.commitDateUtc ?? '', b.build.commitDateUtc ?? '']
    if (x !== y) return x < y ? 1 : -1
    return a.build.id !== b.build.id ? b.build.id - a.build.id : newerStart(a, b)
  })
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
  const unbisected = loaded.points.filter((p) => purpose(p) !== BISECT_PURPOSE)
  const eligible = unbisected.filter((p) => !loaded.partial?.has(p.runId))
  // A fork's branch is an experiment (model/lineage.ts, isExperiment): its builds follow the
  // fork's merges and rebases as much as its own commits, and nobody upstream acts on its steps. It is judged against each build's merge
  // base (`compare base:RUN`, the run page), never raised in the alert inbox.
  if (
    eligible.length > 0 &&
    eligible.every((p) => {
      const build = runs.get(p.runId)?.build
      return build !== undefined && isExperiment(build.branch, build.metadata.lineage_rule)
    })
  ) {
    return {
      skipped:
        "a fork's branch, an experiment: each of its runs is compared with its merge base instead (langperf compare base:RUN RUN, the run page)",
    }
  }
  const ancestry = eligible.length > 0 && eligible.every((p) => historyOrderOf(runs.get(p.runId)) !== null)
  const ordered = ancestry ? eligible : eligible.filter((p) => p.commitDateUtc !== null)
  if (ordered.length === 0) {
    return {
      skipped:
        unbisected.length === 0
          ? 'every point of this series is a bisection measurement'
          : eligible.length === 0
            ? 'every point of this series is from a partial run (a few workloads measured on their own)'
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
    readonly runs?: Map<string, Map<number, RunFacts>>
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
export function toInput(
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
