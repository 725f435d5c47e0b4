import { isJsonObject, type JsonObject } from '../lib/index.ts'
import {
  type Change,
  type DetectOptions,
  resolveOptions,
  type StepEstimate,
  stepBetween,
} from '../stats/index.ts'
import type { ChangeInput, ChangeKey, ChangeRow, RunFacts, SeriesKey } from '../store/index.ts'
import { planExact } from './detect-exact.ts'
import {
  analyseLoaded,
  boundaryVerdict,
  crowdOf,
  type DismissedByPair,
  type EpochTransition,
  groupOf,
  type LoadedSeries,
  type SeriesAnalysis,
  type SkippedSeries,
  toInput,
} from './detect-series.ts'
import { lowerIsBetter } from './epochs.ts'
import {
  type PairedEvidence,
  type PairRaise,
  pairedDetails,
  pairedEvidence,
  pairRaisedChanges,
  preparedIndexes,
} from './paired.ts'

// Detection's second step, pure: from every loaded series, what one pass records (changes by
// kind after the crowd judgement at epoch boundaries and the paired rule), withdraws and
// supersedes. Table-tested without a database (plan.test.ts).

/** What one detection pass will record, decided without the store. */
export interface DetectionPlan {
  readonly changes: readonly ChangeInput[]
  readonly withdrawn: readonly ChangeKey[]
  readonly superseded: readonly (ChangeKey & { readonly reason: string })[]
  /** Of `superseded`, confirmed changes the history no longer shows (retractedChanges). */
  readonly retracted: number
  readonly skipped: readonly SkippedSeries[]
  readonly seriesScanned: number
  readonly epochBoundaries: number
  readonly judgedAtBoundaries: { readonly infrastructure: number; readonly commit: number }
  readonly orders: { readonly ancestry: number; readonly commitDate: number }
  /** Partial runs whose points were left out of the histories (detect-series.ts, partialRuns). */
  readonly partialRuns: number
  readonly pairedChanges: number
  readonly confirmedByPair: number
  readonly dismissedByPair: readonly DismissedByPair[]
  readonly raisedByPair: number
  /** Decisive pairs not raised (their provisional change withdrawn): the history since shows no step. */
  readonly contradictedPairs: number
  /** Series whose instruction-count history was judged by the exact rule (detect-exact.ts). */
  readonly countSeries: number
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
  // The timing history's rules see only its own recorded changes; counts are judged apart below.
  const seriesOf: SeriesInputs = {
    known: new Map(
      loaded.map((l) => [seriesId(l.series), l.known.filter((k) => k.measure !== 'instructions')]),
    ),
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
  const pairs = analyses.map((a) => raisedByPair(a, changes, seriesOf, options))
  const raised = pairs.flatMap((p) => p.raised)
  changes.push(...raised)
  const withdrawn = withdrawnChanges(analyses, changes, seriesOf)
  const retracted = retractedChanges(analyses, changes, seriesOf, options.detect)
  // Each series' instruction-count history, by the exact rule: changes of measure `instructions`.
  let countSeries = 0
  for (const l of loaded) {
    const known = l.known.filter((k) => k.measure === 'instructions')
    if ((l.counts ?? []).length === 0 && known.length === 0) continue
    const exact = planExact(
      { series: l.series, counts: l.counts ?? [], runs: l.runs, known },
      options.exactThreshold !== undefined ? { threshold: options.exactThreshold } : {},
    )
    if (exact.judged) countSeries++
    changes.push(...exact.changes)
    withdrawn.push(...exact.withdrawn)
  }
  return {
    changes,
    withdrawn,
    superseded: [
      ...(options.orphans ?? []).map((k) => ({
        series: k.series,
        measure: k.measure,
        firstBadBuildId: k.firstBad.buildId,
        reason: `its series (branch ${k.series.branch ?? '(none)'}, workload version ${k.series.workloadVersion}) no longer exists: its builds were placed on another line of development or the workload's identity changed`,
      })),
      ...retracted,
    ],
    retracted: retracted.length,
    skipped,
    seriesScanned: analyses.length,
    epochBoundaries: crowds.shifts.size,
    judgedAtBoundaries,
    orders,
    partialRuns: new Set(loaded.flatMap((l) => [...(l.partial ?? [])])).size,
    pairedChanges: tally.pairedChanges,
    confirmedByPair: tally.confirmedByPair,
    dismissedByPair: tally.dismissedByPair,
    raisedByPair: raised.length,
    contradictedPairs: pairs.reduce((n, p) => n + p.contradicted, 0),
    countSeries,
  }
}

/** Options of planDetection. */
interface PlanOptions {
  readonly detect?: DetectOptions
  readonly referencesInHistory?: boolean
  readonly pairThreshold?: number
  /** The exact rule's threshold on instruction counts, |ratio − 1| (INSTRUCTION_MIN_EFFECT when absent). */
  readonly exactThreshold?: number
  readonly orphans?: readonly ChangeRow[]
  readonly onProgress?: (done: number, total: number) => void
}

/** What each series brought besides its points, by seriesId: its recorded changes and its group's runs. */
interface SeriesInputs {
  readonly known: ReadonlyMap<string, readonly ChangeRow[]>
  readonly runs: ReadonlyMap<string, ReadonlyMap<number, RunFacts>>
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
    // A series with only instruction counts has no timing history to analyse (nor to skip).
    if (l.points.length === 0 && (l.counts ?? []).length > 0) continue
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
  // Where the detector reports a step now: a change recorded at one of them is that step's own.
  const reported = new Set(a.detection.changes.map((c) => c.firstBadIndex))
  for (const c of a.detection.changes) {
    const f = toInput(a.series, c, byResult, unit)
    if (!f) continue
    // Keep the blame of changes already recorded: when more builds move a detected step's
    // estimated position by a build or two, it is the same step, not a new one — the nearest
    // such record, unless one is recorded at the detected position itself (the same step where
    // it was) or the record is at another step the detector still reports (a neighbour's own).
    const fIdx = orderOf.get(f.firstBad.buildId) ?? -1
    const sameWay = known.filter((k) => k.direction === f.direction)
    const atItself = sameWay.some((k) => orderOf.get(k.firstBad.buildId) === fIdx)
    const same = atItself
      ? undefined
      : sameWay
          .map((k) => ({ k, kIdx: orderOf.get(k.firstBad.buildId) }))
          .filter(
            (x): x is { k: ChangeRow; kIdx: number } =>
              x.kIdx !== undefined &&
              orderOf.get(x.k.lastGood.buildId) !== undefined &&
              !reported.has(x.kIdx) &&
              Math.abs(x.kIdx - fIdx) <= 2,
          )
          .sort((x, y) => Math.abs(x.kIdx - fIdx) - Math.abs(y.kIdx - fIdx) || x.kIdx - y.kIdx)[0]?.k
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
  options: PlanOptions,
): PairRaise {
  const unit = a.points.find((p) => p.state === 'measured')?.unit ?? 'second'
  return pairRaisedChanges({
    series: a.series,
    detection: a.detection,
    points: a.points,
    references: a.references,
    runs: seriesOf.runs.get(seriesId(a.series)) ?? new Map(),
    recorded: changes.filter(
      (c) => seriesId(c.series) === seriesId(a.series) && c.measure !== 'instructions',
    ),
    known: seriesOf.known.get(seriesId(a.series)) ?? [],
    unit,
    lowerIsBetter: lowerIsBetter(unit),
    ...(options.pairThreshold !== undefined ? { threshold: options.pairThreshold } : {}),
    ...(options.detect !== undefined ? { detectOptions: options.detect } : {}),
  })
}

/**
 * Builds at and after a confirmed change the history needs before its step's interval holding 1
 * retracts it whatever it was confirmed on (a pair included): the detector's confirmation window,
 * so the level after the blame is as well measured as a change is when it is confirmed.
 */
export const RETRACT_AFTER = 12

/**
 * Confirmed changes the history no longer shows (docs/stats.md, "From detection to alerts"): a
 * confirmed change that this pass does not report at its build is retracted when the same step is
 * reported a build or two away as a change of its own (two records of one step, made as builds
 * arrived), or when the step the history shows between its two builds (stepBetween, the
 * detector's own test) is gone (retractionReason). Early in a history a step can be confirmed on a
 * few builds a side and vanish as builds arrive; left open, such changes pile up in the inbox (the
 * real pythonperf2 history imported ten files at a time with detect after each ended with 492 open
 * changes, one pass over all of it with 433). Retracted changes are withdrawn with the reason, their
 * alerts keep their triage, and a later pass that reports the step again revives them.
 */
function retractedChanges(
  analyses: readonly SeriesAnalysis[],
  changes: readonly ChangeInput[],
  seriesOf: SeriesInputs,
  detect: DetectOptions | undefined,
): (ChangeKey & { readonly reason: string })[] {
  const timing = changes.filter((c) => c.measure !== 'instructions')
  const reported = new Set(timing.map((c) => `${seriesId(c.series)}|${c.firstBad.buildId}`))
  const firstPass = resolveOptions(detect).firstPassPValue
  const out: (ChangeKey & { readonly reason: string })[] = []
  for (const a of analyses) {
    const id = seriesId(a.series)
    const orderOf = buildPositions(a)
    const mine = timing.filter((c) => seriesId(c.series) === id)
    for (const k of seriesOf.known.get(id) ?? []) {
      if (k.status !== 'confirmed' || reported.has(`${id}|${k.firstBad.buildId}`)) continue
      const from = orderOf.get(k.lastGood.buildId)
      const at = orderOf.get(k.firstBad.buildId)
      if (from === undefined || at === undefined) continue
      // The same step reported a build or two away under a record of its own: one step, one change.
      const twin = mine.find((c) => {
        const there = orderOf.get(c.firstBad.buildId)
        return c.direction === k.direction && there !== undefined && Math.abs(there - at) <= 2
      })
      if (twin !== undefined) {
        const away = Math.abs((orderOf.get(twin.firstBad.buildId) ?? at) - at)
        out.push({
          series: a.series,
          measure: k.measure,
          firstBadBuildId: k.firstBad.buildId,
          reason: `the same step is reported ${away} build(s) away (first bad ${twin.firstBad.commitSha ?? `build ${twin.firstBad.buildId}`}) as a change of its own`,
        })
        continue
      }
      const step = stepBetween(a.detection, from, at, detect)
      if (step === null || !Number.isFinite(step.logStderr)) continue
      const why = retractionReason(k, step, firstPass)
      if (why !== null)
        out.push({ series: a.series, measure: k.measure, firstBadBuildId: k.firstBad.buildId, reason: why })
    }
  }
  return out
}

/**
 * Why the history no longer shows a confirmed change the pass does not report, or null: the step
 * between its two builds (stepBetween) either has an interval holding 1 with RETRACT_AFTER builds
 * from the first bad on, or, measured on at least the builds it was confirmed on (each side as
 * many as then), no longer reaches even the detector's first-pass significance (firstPassPValue,
 * ten times the p a change is confirmed at: the margin keeps a change that hovers near the
 * threshold from coming and going night after night) — unless a pair confirmed it.
 */
export function retractionReason(k: ChangeRow, step: StepEstimate, firstPassPValue: number): string | null {
  const now = `×${step.ratio.toFixed(3)} [${step.ratioLow.toFixed(3)}, ${step.ratioHigh.toFixed(3)}]`
  const then = `it was ×${k.ratio.toFixed(3)} when confirmed`
  if (step.pointsAfter >= RETRACT_AFTER && step.ratioLow <= 1 && 1 <= step.ratioHigh) {
    return `later builds no longer show this step: with ${step.pointsAfter} builds from its first bad build on, the history's step there is ${now} (${then})`
  }
  // A change an interleaved pair confirmed stands on evidence the history does not hold: a few
  // builds do not overrule it (the interval rule above, on 12, still does).
  const paired = k.details.paired
  if (isJsonObject(paired) && paired.verdict === 'confirms') return null
  const before = k.details.pointsBefore
  const after = k.details.pointsAfter
  if (typeof before !== 'number' || typeof after !== 'number') return null
  if (step.pointsBefore < before || step.pointsAfter < after || !(step.pValue > firstPassPValue)) return null
  return `the history no longer shows this step: on ${step.pointsBefore} builds before and ${step.pointsAfter} after (${before} and ${after} when confirmed), its step there is ${now}, p = ${step.pValue.toExponential(1)}, short of even the p ≤ ${firstPassPValue} a step needs to be considered (${then})`
}

/** Provisional changes the detector no longer reports are withdrawn. */
function withdrawnChanges(
  analyses: readonly SeriesAnalysis[],
  changes: readonly ChangeInput[],
  seriesOf: SeriesInputs,
): ChangeKey[] {
  const timing = changes.filter((c) => c.measure !== 'instructions')
  const reported = new Set(timing.map((c) => `${seriesId(c.series)}|${c.firstBad.buildId}`))
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

export function seriesId(k: SeriesKey): string {
  return JSON.stringify([k.machine, k.runtime, k.config, k.branch, k.workload, k.workloadVersion])
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
