import { assertNever, type JsonObject } from '../lib/index.ts'
import {
  type Change,
  compareTwo,
  type Detection,
  type DetectOptions,
  mean,
  stepBetween,
  studentTQuantile,
  studentTTwoSidedP,
  type Verdict,
  variance,
} from '../stats/index.ts'
import type { ChangeInput, ChangeRow, RunFacts, SeriesKey, SeriesPoint } from '../store/index.ts'

// Paired, interleaved evidence for a detected step (docs/stats.md, "From detection to alerts").
// The nightly measures each new commit C interleaved with a reference build R, the newest commit
// measured before it (process by process, A B / B A), and stores both runs: C's run names R's in
// `metadata.reference_run_id`. Separate nightly runs carry the machine's drift between runs, which
// on a shared machine is larger than a run's own interval (+24 % on a README-only commit,
// docs/real-cpython.md); inside one interleaved run the drift hits both builds alike and cancels.
// So when the detector, which reads the history of separate runs, sees a step at C, the pair R/C
// is the direct test of that step: it can confirm it at once, or show that it is not there.
//
// Pure: stored points and run metadata in, a judgement out. No clock, no randomness.

/**
 * `metadata.purpose` of a reference run: a real measurement of an older build, made interleaved
 * with a new commit so the two compare without drift. It is stored and shown with the nightly
 * history; the change-point detector reads it as the pair of that commit, not as one more point of
 * the older build (detect.ts, `referencesInHistory`, says why).
 */
export const REFERENCE_PURPOSE = 'reference'

/**
 * `metadata.purpose` of the runs of a pair's later rounds: when a pair's interval is too wide to
 * tell whether a workload changed by the practical threshold, the nightly measures the undecided
 * workloads again on both builds, interleaved, doubling the processes (analysis/pair-growth.ts). Each
 * round's run names the run it extends (`metadata.extends_run_id`); its process means are added
 * to that run's when the pair is judged, and the detector leaves it out of the history (it is the
 * same build on the same night, not another observation of its level).
 */
export const PAIR_ROUND_PURPOSE = 'pair-round'

/** True for runs that are read as pairs only and kept out of the detector's history: references and pair rounds. */
export function pairOnly(purpose: unknown): boolean {
  return purpose === REFERENCE_PURPOSE || purpose === PAIR_ROUND_PURPOSE
}

/**
 * The practical threshold of a pair, as |ratio − 1|: the smallest change the nightly's pair must be
 * able to see or rule out (`[nightly] pair_threshold`). 10 %: on a shared 2-core machine the
 * process-to-process spread is about 10 % (9–16 % measured: docs/stats.md, "Noise on the project's
 * machines"), so ruling out 10 % at 99 % takes about
 * 20 processes a side (the fast preset's 6, doubled twice), while 5 % would take about 70.
 */
export const DEFAULT_PAIR_THRESHOLD = 0.1

/**
 * Two-sided confidence of the paired interval: α = 0.01, Pinpoint's level and the one bisection
 * uses here (docs/nightly.md). A pair upgrades an alert to confirmed, or dismisses it, on its own,
 * so it is held to the stricter level of the two the project uses (compare's 95 % is for people
 * reading one comparison).
 */
export const PAIRED_CONFIDENCE = 0.99

/**
 * What the pair says about the detector's step:
 * - `confirms`: the paired interval excludes 1 on the step's side and reaches the detector's interval
 *   (overlaps it, or lies beyond it, away from 1: the pair shows a step at least as large);
 * - `contradicts`: the paired interval excludes the detector's estimate and shows no step its way:
 *   it holds 1 (precise enough to rule out the step the history shows), or it excludes 1 the other
 *   way (the pair measured the builds moving against the step);
 * - `disagrees`: significant the step's way, but entirely between 1 and the detector's interval
 *   (a step much smaller than the history shows);
 * - `inconclusive`: the interval holds both 1 and the detector's estimate, or the pair has too few processes.
 */
export const PAIRED_VERDICTS = ['confirms', 'contradicts', 'disagrees', 'inconclusive'] as const
/** One of PAIRED_VERDICTS. */
export type PairedVerdict = (typeof PAIRED_VERDICTS)[number]

/** The detector's estimate of a step, which the pair is held against. */
export interface DetectedStep {
  readonly direction: 'regression' | 'improvement'
  /** Level after / level before. */
  readonly ratio: number
  readonly ratioLow: number
  readonly ratioHigh: number
}

/** The paired comparison of a step's first bad build with its interleaved reference. */
export interface PairedEvidence {
  /** Candidate / reference (ratio of geometric means of process means); null when insufficient. */
  readonly ratio: number | null
  readonly low: number | null
  readonly high: number | null
  readonly confidence: number
  readonly referenceRunId: number
  readonly runId: number
  readonly referenceResultId: number
  readonly resultId: number
  /** The reference build's commit. */
  readonly referenceCommit: string | null
  /** Process means on each side: reference, candidate. */
  readonly processes: readonly [number, number]
  /** comparePair's verdict on the pair alone. */
  readonly comparison: Verdict
  /** How the pair was compared: process by process (`paired`) or as independent samples (`welch`). */
  readonly method: 'paired' | 'welch' | null
  readonly verdict: PairedVerdict
}

/** A pair too small to compare (fewer than 2 process means on a side). */
const INSUFFICIENT = { kind: 'insufficient', verdict: 'insufficient' } as const

/**
 * Judges a detected step by the paired comparison of its two builds' process means (reference =
 * base, candidate = the first bad build); see PAIRED_VERDICTS. The pair is read as pairState
 * reads it (comparePair): process by process when `interleaved`, else as independent samples,
 * log-t (docs/stats.md, "The ratio of two builds").
 */
export function judgePair(
  step: DetectedStep,
  referenceMeans: readonly number[],
  candidateMeans: readonly number[],
  options: { readonly lowerIsBetter: boolean; readonly confidence?: number; readonly interleaved?: boolean },
): { readonly verdict: PairedVerdict; readonly comparison: PairComparison | typeof INSUFFICIENT } {
  const comparison =
    comparePair(referenceMeans, candidateMeans, {
      lowerIsBetter: options.lowerIsBetter,
      confidence: options.confidence ?? PAIRED_CONFIDENCE,
      interleaved: options.interleaved === true,
      minEffect: 0,
    }) ?? INSUFFICIENT
  if (comparison.kind === 'insufficient') return { verdict: 'inconclusive', comparison }
  const { low, high } = comparison
  switch (comparison.verdict) {
    case 'no-difference':
      // "No significant difference" alone is weak when the pair is imprecise: only an interval
      // that also leaves out the detector's estimate says the step it saw is not there.
      return {
        verdict: step.ratio < low || step.ratio > high ? 'contradicts' : 'inconclusive',
        comparison,
      }
    case 'slower':
    case 'faster': {
      const sameWay = (comparison.verdict === 'slower') === (step.direction === 'regression')
      // "Reaches": the pair's interval is not wholly on 1's side of the detector's. A pair that
      // shows a larger step than the history (a noisy minute inflates one side of a short pair)
      // still shows that the step is there; one that shows a much smaller step does not show
      // the step the alert reports.
      const reaches = step.ratio >= 1 ? high >= step.ratioLow : low <= step.ratioHigh
      // The other way: 1 lies between the pair and the step, so the pair leaves the step out.
      if (!sameWay) return { verdict: 'contradicts', comparison }
      return { verdict: reaches ? 'confirms' : 'disagrees', comparison }
    }
    default:
      return assertNever(comparison)
  }
}

/** The two results of a pair found for a step: the reference build's and the first bad build's. */
export interface FoundPair {
  readonly reference: SeriesPoint
  readonly candidate: SeriesPoint
}

/** `metadata.reference_run_id` of a run, when it is a candidate measured beside a reference. */
export function referenceRunIdOf(run: Pick<RunFacts, 'metadata'> | undefined): number | null {
  const id = run?.metadata.reference_run_id
  return typeof id === 'number' && Number.isInteger(id) && id > 0 ? id : null
}

/** Where a step is blamed: the prepared-point index of its first bad build (the detector's own, or a blame kept from before). */
export interface StepPosition {
  readonly firstBadIndex: number
}

/** One series as the detector saw it: its detection, the points it read, and their runs by id. */
export interface DetectedSeries {
  readonly detection: Detection
  readonly points: readonly SeriesPoint[]
  readonly runs: ReadonlyMap<number, RunFacts>
}

/**
 * The interleaved pair that tests `change` (at `at`, default its own position): a run of its first
 * bad build that names a reference run, whose result in this series is on the old level — the
 * last good build, or an earlier build with no other step or epoch boundary between it and the
 * change. Several: the one with the most process means, then the newest. Null when there is none.
 * `references` are the reference runs' points kept out of the detector's input (placed by their
 * build's position among `series.points`).
 */
export function findPair(
  series: DetectedSeries,
  change: Change,
  options: { readonly at?: StepPosition; readonly references?: readonly SeriesPoint[] } = {},
): FoundPair | null {
  const { detection, points, runs } = series
  const at = options.at ?? change
  const bad = detection.points[at.firstBadIndex]
  if (bad === undefined) return null
  const byResult = new Map(points.map((p) => [p.resultId, p]))
  const byRun = new Map<number, SeriesPoint>()
  for (const p of [...points, ...(options.references ?? [])]) byRun.set(p.runId, p)
  const indexOfResult = preparedIndexes(detection)
  const indexOfBuild = new Map<number, number>()
  for (const p of points) {
    const idx = indexOfResult.get(p.resultId)
    if (idx !== undefined && !indexOfBuild.has(p.buildId)) indexOfBuild.set(p.buildId, idx)
  }
  const size = (p: FoundPair) =>
    (p.reference.processMeans?.length ?? 0) + (p.candidate.processMeans?.length ?? 0)
  let best: FoundPair | null = null
  for (const id of bad.ids) {
    const candidate = byResult.get(Number(id))
    if (!usable(candidate)) continue
    const refRunId = referenceRunIdOf(runs.get(candidate.runId))
    if (refRunId === null) continue
    const reference = byRun.get(refRunId)
    if (!usable(reference)) continue
    const refIndex = indexOfResult.get(reference.resultId) ?? indexOfBuild.get(reference.buildId)
    if (refIndex === undefined || !onOldLevel(detection, change, at, refIndex)) continue
    const found: FoundPair = { reference, candidate }
    if (
      best === null ||
      size(found) > size(best) ||
      (size(found) === size(best) && candidate.runId > best.candidate.runId)
    )
      best = found
  }
  return best
}

/** Prepared-point index of every input id (result id) of a detection. */
export function preparedIndexes(detection: Detection): Map<number, number> {
  const out = new Map<number, number>()
  for (const pp of detection.points) for (const id of pp.ids) out.set(Number(id), pp.index)
  return out
}

function usable(p: SeriesPoint | undefined): p is SeriesPoint {
  return p !== undefined && p.state === 'measured' && (p.processMeans?.length ?? 0) >= 2
}

/** True when prepared point `index` is on the level before the step: same epoch, no other step or boundary between. */
function onOldLevel(detection: Detection, change: Change, at: StepPosition, index: number): boolean {
  // Between the last good and the first bad build lie only builds without a value, so "before the
  // first bad build" is "at or before the last good one".
  if (index >= at.firstBadIndex) return false
  if (detection.points[index]?.epoch !== detection.points[at.firstBadIndex]?.epoch) return false
  if (detection.epochs.some((b) => b.index > index && b.index <= at.firstBadIndex)) return false
  return !detection.changes.some(
    (c) => c !== change && c.firstBadIndex > index && c.firstBadIndex < at.firstBadIndex,
  )
}

/**
 * The paired evidence for `change` in one analysed series, or null when its first bad build has
 * no interleaved pair with a build of the old level. The detector's estimate (ratio and interval)
 * is the one the pair is held against, wherever the step is blamed.
 */
export function pairedEvidence(
  series: DetectedSeries,
  change: Change,
  options: {
    readonly lowerIsBetter: boolean
    readonly confidence?: number
    /** Judge the step at this position (a blame kept from an earlier pass) instead of the detector's. */
    readonly at?: StepPosition
    /** Points of reference runs the detector did not read. */
    readonly references?: readonly SeriesPoint[]
  },
): PairedEvidence | null {
  const pair = findPair(series, change, {
    ...(options.at ? { at: options.at } : {}),
    ...(options.references ? { references: options.references } : {}),
  })
  if (pair === null) return null
  // A pair that grew (analysis/pair-growth.ts) is judged on every round's processes.
  const referenceMeans = withRounds(pair.reference, options.references ?? [], series.runs)
  const candidateMeans = withRounds(pair.candidate, options.references ?? [], series.runs)
  const { verdict, comparison } = judgePair(
    { direction: change.direction, ...change.step },
    referenceMeans,
    candidateMeans,
    { ...options, interleaved: interleavedPair(series.runs, pair) },
  )
  const measured = comparison.kind === 'comparison'
  return {
    ratio: measured ? comparison.ratio : null,
    low: measured ? comparison.low : null,
    high: measured ? comparison.high : null,
    confidence: options.confidence ?? PAIRED_CONFIDENCE,
    referenceRunId: pair.reference.runId,
    runId: pair.candidate.runId,
    referenceResultId: pair.reference.resultId,
    resultId: pair.candidate.resultId,
    referenceCommit: pair.reference.commitSha,
    processes: [referenceMeans.length, candidateMeans.length],
    comparison: comparison.verdict,
    method: measured ? comparison.method : null,
    verdict,
  }
}

/** Both runs of a pair say they were measured interleaved (one group, A B / B A). */
function interleavedPair(runs: ReadonlyMap<number, RunFacts>, pair: FoundPair): boolean {
  return (
    runs.get(pair.candidate.runId)?.metadata.interleaved === true &&
    runs.get(pair.reference.runId)?.metadata.interleaved === true
  )
}

/** The evidence as stored in a change's `details.paired`. */
export function pairedDetails(e: PairedEvidence): JsonObject {
  return {
    ratio: e.ratio,
    low: e.low,
    high: e.high,
    confidence: e.confidence,
    referenceRunId: e.referenceRunId,
    runId: e.runId,
    referenceCommit: e.referenceCommit,
    processes: [...e.processes],
    comparison: e.comparison,
    method: e.method,
    verdict: e.verdict,
  }
}

/**
 * What a pair says on its own, at the practical threshold t (`pairState`):
 * - `change`: the interval excludes 1 and |ratio − 1| ≥ t (compareTwo's verdict with minEffect t);
 * - `no-change`: the interval lies inside (1 − t, 1 + t): a change of the size that matters is ruled out;
 * - `undecided`: neither (the interval holds 1 and reaches past 1 ± t, or excludes 1 with a smaller
 *   estimate while still reaching past 1 ± t, or too few processes): measure more.
 */
export const PAIR_STATES = ['change', 'no-change', 'undecided'] as const
/** One of PAIR_STATES. */
export type PairState = (typeof PAIR_STATES)[number]

/** Options of pairState. */
export interface PairStateOptions {
  readonly lowerIsBetter: boolean
  /** |ratio − 1| that matters (default DEFAULT_PAIR_THRESHOLD). */
  readonly threshold?: number
  /** Two-sided confidence (default PAIRED_CONFIDENCE). */
  readonly confidence?: number
  /**
   * The i-th process means of the two sides ran next to each other (the runner's interleaved
   * rounds, A B / B A): compare them process by process (default false: as independent samples).
   */
  readonly interleaved?: boolean
}

/** A pair's ratio candidate/reference with its interval, from pairState. */
export interface PairComparison {
  readonly kind: 'comparison'
  /** `paired`: a t interval of the process-by-process log ratios; `welch`: compareTwo's log-t. */
  readonly method: 'paired' | 'welch'
  readonly ratio: number
  readonly low: number
  readonly high: number
  /** Two-sided p of the ratio being 1. */
  readonly pValue: number
  readonly confidence: number
  /** slower / faster: the interval excludes 1 and |ratio − 1| ≥ threshold (compareTwo's rule). */
  readonly verdict: Exclude<Verdict, 'insufficient'>
  readonly processes: readonly [number, number]
}

/**
 * The process-by-process comparison of an interleaved pair: d_i = ln c_i − ln r_i over the rounds
 * (process i of each side ran next to the other), exp(mean d ± t(1 − α/2, n − 1) · sd(d)/√n).
 * On a shared machine the load moves over seconds, so neighbouring processes share most of it:
 * in the toy nightly of src/cli/nightly-shared.e2e.test.ts (load 6–9 on 2 cores) adjacent process means
 * correlated at 0.5–0.9 and this standard error was 2–3 times smaller than Welch's, which treats
 * the sides as independent. Null when the sides differ in length (a round lost on one side) or
 * have fewer than 3 processes.
 */
function interleavedInterval(
  reference: readonly number[],
  candidate: readonly number[],
  confidence: number,
): { ratio: number; low: number; high: number; pValue: number } | null {
  const n = reference.length
  if (n !== candidate.length || n < 3) return null
  if (![...reference, ...candidate].every((x) => Number.isFinite(x) && x > 0)) return null
  const d = candidate.map((c, i) => Math.log(c) - Math.log(reference[i] as number))
  const m = mean(d)
  const se = Math.sqrt(variance(d) / n)
  const half = se === 0 ? 0 : studentTQuantile(1 - (1 - confidence) / 2, n - 1) * se
  const pValue = se === 0 ? (m === 0 ? 1 : 0) : studentTTwoSidedP(m / se, n - 1)
  return { ratio: Math.exp(m), low: Math.exp(m - half), high: Math.exp(m + half), pValue }
}

/**
 * Judges an interleaved pair by itself: a change of at least the practical threshold, none, or
 * undecided (measure more). The adaptive pair (analysis/pair-growth.ts) grows until no workload is
 * undecided or its budget runs out; a pair in state `change` raises a provisional change by itself
 * (pairRaisedChanges).
 */
export function pairState(
  referenceMeans: readonly number[],
  candidateMeans: readonly number[],
  options: PairStateOptions,
): { readonly state: PairState; readonly comparison: PairComparison | null } {
  const threshold = options.threshold ?? DEFAULT_PAIR_THRESHOLD
  const comparison = comparePair(referenceMeans, candidateMeans, {
    lowerIsBetter: options.lowerIsBetter,
    confidence: options.confidence ?? PAIRED_CONFIDENCE,
    interleaved: options.interleaved === true,
    minEffect: threshold,
  })
  if (comparison === null) return { state: 'undecided', comparison }
  switch (comparison.verdict) {
    case 'slower':
    case 'faster':
      return { state: 'change', comparison }
    case 'no-difference':
      return {
        state: comparison.low > 1 - threshold && comparison.high < 1 + threshold ? 'no-change' : 'undecided',
        comparison,
      }
    default:
      return assertNever(comparison.verdict)
  }
}

/**
 * A pair's ratio candidate/reference with its interval: process by process when the two sides ran
 * interleaved (interleavedInterval; the sides of equal length, 3 processes or more), else as
 * independent samples (compareTwo's log-t, Welch). `slower`/`faster` when the interval excludes 1
 * and |ratio − 1| ≥ minEffect. Null when neither can be made (fewer than 2 processes a side).
 * pairState and judgePair both read a pair through it, so a pair is never judged two ways.
 */
export function comparePair(
  referenceMeans: readonly number[],
  candidateMeans: readonly number[],
  options: {
    readonly lowerIsBetter: boolean
    readonly confidence: number
    readonly interleaved: boolean
    readonly minEffect: number
  },
): PairComparison | null {
  const { confidence, minEffect } = options
  const processes = [referenceMeans.length, candidateMeans.length] as const
  const paired = options.interleaved ? interleavedInterval(referenceMeans, candidateMeans, confidence) : null
  if (paired !== null) {
    const significant = paired.low > 1 || paired.high < 1
    const verdict =
      significant && Math.abs(paired.ratio - 1) >= minEffect
        ? paired.high < 1 === options.lowerIsBetter
          ? 'faster'
          : 'slower'
        : 'no-difference'
    return { kind: 'comparison', method: 'paired', ...paired, confidence, verdict, processes }
  }
  const c = compareTwo(referenceMeans, candidateMeans, {
    confidence,
    lowerIsBetter: options.lowerIsBetter,
    minEffect,
  })
  if (c.kind !== 'comparison') return null
  return {
    kind: 'comparison',
    method: 'welch',
    ratio: c.ratio,
    low: c.low,
    high: c.high,
    pValue: c.welch?.p ?? Number.NaN,
    confidence,
    verdict: c.verdict,
    processes,
  }
}

/**
 * The process means of `point` with those of the later rounds that extend its run, found among
 * `extra` points: runs of purpose PAIR_ROUND_PURPOSE whose `metadata.extends_run_id` is its run,
 * or, for a candidate (a run naming its reference, `reference_run_id`), rounds of its build whose
 * `metadata.extends_candidate_of` is that reference run — the farm's agent measures a pair's
 * rounds before the server has stored the candidate's run, so it names the pair by the one run
 * it has stored (agent/pair-rounds.ts).
 */
export function withRounds(
  point: SeriesPoint,
  extra: readonly SeriesPoint[],
  runs: ReadonlyMap<number, RunFacts>,
): readonly number[] {
  const out = [...(point.processMeans ?? [])]
  const reference = referenceRunIdOf(runs.get(point.runId))
  const extends_ = (m: RunFacts['metadata'], buildId: number) =>
    m.extends_run_id === point.runId ||
    (reference !== null && buildId === point.buildId && m.extends_candidate_of === reference)
  // Rounds in the order they were measured, so both sides of an interleaved pair stay aligned.
  for (const p of [...extra].sort((a, b) => a.runId - b.runId)) {
    const run = runs.get(p.runId)
    if (run?.metadata.purpose !== PAIR_ROUND_PURPOSE || !extends_(run.metadata, p.buildId)) continue
    if (p.state === 'measured' && p.processMeans) out.push(...p.processMeans)
  }
  return out
}

/** What pairRaisedChanges reads: one analysed series and what this pass records for it. */
export interface PairRaiseInput {
  readonly series: SeriesKey
  readonly detection: Detection
  /** The series' points the detector read. */
  readonly points: readonly SeriesPoint[]
  /** Points kept out of the history: reference runs and pair rounds. */
  readonly references: readonly SeriesPoint[]
  readonly runs: ReadonlyMap<number, RunFacts>
  /** The commit changes this pass records for the series (the detector's, judged by their pairs). */
  readonly recorded: readonly ChangeInput[]
  /** Changes stored before this pass (provisional or confirmed). */
  readonly known: readonly Pick<ChangeRow, 'status' | 'direction' | 'firstBad'>[]
  readonly unit: string
  readonly lowerIsBetter: boolean
  /** Practical threshold (default DEFAULT_PAIR_THRESHOLD). */
  readonly threshold?: number
  readonly confidence?: number
  /** The options the detection was made with: the history's step is read as it confirms one. */
  readonly detectOptions?: DetectOptions
}

/**
 * Builds at and after a pair-raised step the history needs before it may contradict the pair:
 * fewer cannot outweigh one night's interleaved evidence.
 */
export const HISTORY_CONTRADICTS_AFTER = 5

/** What decisive pairs raise in one series, and how many the history after them contradicts. */
export interface PairRaise {
  readonly raised: ChangeInput[]
  /** Decisive pairs not raised: the builds since show no step of the practical size at C. */
  readonly contradicted: number
}

/**
 * The confidence of each look of a pair that may be measured in up to `looks` rounds (its budget),
 * judged after each: Bonferroni's bound, α/looks per look, keeps the chance that any look calls a
 * change where there is none at α (PAIRED_CONFIDENCE's 1 %). Judging every round at 99 % would
 * not: in the end-to-end test, a pair of unchanged builds grown to 4 rounds came out 0.851×
 * [0.729, 0.994] at its last look.
 */
export function pairLookConfidence(looks: number, confidence = PAIRED_CONFIDENCE): number {
  const k = Number.isInteger(looks) && looks >= 1 ? looks : 1
  return 1 - (1 - confidence) / k
}

/** Builds on either side of a change the detector already reports that still count as the same step. */
const SAME_STEP_BUILDS = 2

/**
 * The provisional changes that decisive pairs raise by themselves (docs/stats.md, "From detection
 * to alerts"). A pair C/R — a build C measured interleaved with R, an earlier build of its
 * series on the same level (same epoch, no boundary between) — in state `change` (its 99 %
 * interval excludes 1, and the ratio is at least the practical threshold away from 1) is direct
 * evidence of a step in (R, C], whatever the history says yet: on a noisy machine one build
 * measured under other conditions can hide a step from the history for nights. So it is raised as
 * a provisional commit change, blame (R, C], to be confirmed by the detector on later nights (a
 * change it reports at C then takes over). Not raised when the detector already reports a change
 * the same way within two builds of C, or one is stored confirmed there (the same step), or when
 * the pair is C with itself. Nor when the history has since contradicted it: with at least
 * HISTORY_CONTRADICTS_AFTER builds at and after C, the step the history shows between R and C
 * (stepBetween, as the detector confirms a step) has its interval inside (1 − t, 1 + t), so no
 * change of the practical size stayed; a provisional change it raised before is then withdrawn.
 * Pure: stored points and metadata in, change inputs out.
 */
export function pairRaisedChanges(input: PairRaiseInput): PairRaise {
  const { detection, points, references, runs } = input
  const indexOfResult = preparedIndexes(detection)
  const indexOfBuild = new Map<number, number>()
  for (const p of points) {
    const idx = indexOfResult.get(p.resultId)
    if (idx !== undefined && !indexOfBuild.has(p.buildId)) indexOfBuild.set(p.buildId, idx)
  }
  const byRun = new Map<number, SeriesPoint>()
  for (const p of [...points, ...references]) byRun.set(p.runId, p)
  const near = (buildId: number, at: number) => {
    const idx = indexOfBuild.get(buildId)
    return idx !== undefined && Math.abs(idx - at) <= SAME_STEP_BUILDS
  }
  // One pair per candidate build: the one with the most process means, then the newest.
  const best = new Map<number, { candidate: SeriesPoint; reference: SeriesPoint; n: number }>()
  for (const candidate of points) {
    if (!usable(candidate)) continue
    const reference = byRun.get(referenceRunIdOf(runs.get(candidate.runId)) ?? -1)
    if (!usable(reference) || reference.buildId === candidate.buildId) continue
    const n = (candidate.processMeans?.length ?? 0) + (reference.processMeans?.length ?? 0)
    const seen = best.get(candidate.buildId)
    if (seen === undefined || n > seen.n || (n === seen.n && candidate.runId > seen.candidate.runId))
      best.set(candidate.buildId, { candidate, reference, n })
  }
  const out: ChangeInput[] = []
  let contradicted = 0
  const threshold = input.threshold ?? DEFAULT_PAIR_THRESHOLD
  for (const { candidate, reference } of best.values()) {
    const at = indexOfResult.get(candidate.resultId)
    const from = indexOfBuild.get(reference.buildId)
    if (at === undefined || from === undefined || from >= at) continue
    if (detection.points[from]?.epoch !== detection.points[at]?.epoch) continue
    if (detection.epochs.some((b) => b.index > from && b.index <= at)) continue
    const referenceMeans = withRounds(reference, references, runs)
    const candidateMeans = withRounds(candidate, references, runs)
    // Process by process when both runs say they were measured interleaved (one group, A B / B A).
    const interleaved = interleavedPair(runs, { candidate, reference })
    // Judged at the level of each of the looks its budget allowed (the nightly's `pair_budget`
    // on the candidate's run; 1 when absent or not a small integer).
    const budget = runs.get(candidate.runId)?.metadata.pair_budget
    const looks =
      typeof budget === 'number' && Number.isInteger(budget) && budget >= 1 && budget <= 10 ? budget : 1
    const { state, comparison } = pairState(referenceMeans, candidateMeans, {
      lowerIsBetter: input.lowerIsBetter,
      interleaved,
      ...(input.threshold !== undefined ? { threshold: input.threshold } : {}),
      confidence: pairLookConfidence(looks, input.confidence ?? PAIRED_CONFIDENCE),
    })
    if (state !== 'change' || comparison === null) continue
    const direction = comparison.verdict === 'slower' ? 'regression' : 'improvement'
    if (input.recorded.some((c) => c.direction === direction && near(c.firstBad.buildId, at))) continue
    if (
      input.known.some(
        (k) =>
          k.status === 'confirmed' &&
          k.firstBad.buildId !== candidate.buildId &&
          k.direction === direction &&
          near(k.firstBad.buildId, at),
      )
    )
      continue
    // The history since C: a level that stayed within the threshold of R's contradicts the pair.
    const since = stepBetween(detection, from, at, input.detectOptions)
    if (
      since !== null &&
      since.pointsAfter >= HISTORY_CONTRADICTS_AFTER &&
      Number.isFinite(since.logStderr) &&
      since.ratioLow > 1 - threshold &&
      since.ratioHigh < 1 + threshold
    ) {
      contradicted++
      continue
    }
    // Blame from the reference build's own history point when there is one.
    const good = points.find((p) => p.buildId === reference.buildId && p.state === 'measured') ?? reference
    const confidence = comparison.confidence
    out.push({
      kind: 'commit',
      series: input.series,
      lastGood: { buildId: good.buildId, resultId: good.resultId, commitSha: good.commitSha },
      firstBad: { buildId: candidate.buildId, resultId: candidate.resultId, commitSha: candidate.commitSha },
      unit: input.unit,
      ratio: comparison.ratio,
      ratioLow: comparison.low,
      ratioHigh: comparison.high,
      pValue: comparison.pValue,
      direction,
      status: 'provisional',
      details: {
        raisedBy: 'pair',
        threshold,
        paired: {
          ratio: comparison.ratio,
          low: comparison.low,
          high: comparison.high,
          confidence,
          referenceRunId: reference.runId,
          runId: candidate.runId,
          referenceCommit: reference.commitSha,
          processes: [referenceMeans.length, candidateMeans.length],
          comparison: comparison.verdict,
          method: comparison.method,
          verdict: 'raises',
        },
      },
    })
  }
  return { raised: out, contradicted }
}
