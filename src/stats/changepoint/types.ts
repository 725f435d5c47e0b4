import { badInput, quote } from '../../lib/index.ts'

// The public vocabulary of change-point detection. Everything here is plain, readonly data so
// that the store can persist a detection and the web can draw it without this module.
// The maths behind each field is in docs/stats.md ("Change-point detection").

/**
 * One build's result for one workload, as the caller hands it to `detectChanges`.
 * `value` is the central value (mean of per-process means, in the result's unit); `null` means
 * the workload failed or was skipped in that build.
 */
export interface SeriesPoint {
  /** Identity of the build (run id, commit, …): reported back in blame ranges. */
  readonly id: string
  /** Position in history: git ancestry rank where known, else commit time in UTC milliseconds. */
  readonly order: number
  /** Infrastructure key (see `epochKey`): a change of it starts a new epoch. */
  readonly epoch: string
  /** Mean of per-process means; `null` for a failed build. */
  readonly value: number | null
  /** Standard error of `value` (same unit), from the spread of process means. */
  readonly stderr?: number
  /** The per-process means themselves; preferred over `stderr` when present (≥ 2 of them). */
  readonly processMeans?: readonly number[]
}

/** Why an input point carries no measurement. */
export const EXCLUSION_REASONS = ['failed', 'not-finite', 'non-positive', 'bad-order'] as const
/** One of EXCLUSION_REASONS. */
export type ExclusionReason = (typeof EXCLUSION_REASONS)[number]

/** A point of the prepared series: sorted, builds of one commit merged, on a log scale. */
export type PreparedPoint = PreparedMeasured | PreparedUnmeasured

/** Fields every prepared point has. */
interface PreparedBase {
  /** Position in `Detection.points`. */
  readonly index: number
  /** The first input id of this commit and epoch (blame ranges name it). */
  readonly id: string
  /** Every input id merged into this point, in input order. */
  readonly ids: readonly string[]
  readonly order: number
  readonly epoch: string
}

/** A commit with at least one usable build. */
export interface PreparedMeasured extends PreparedBase {
  readonly state: 'measured'
  /** Geometric mean of the builds' values. */
  readonly value: number
  /** Natural log of `value`. */
  readonly logValue: number
  /** Standard error of `logValue` from within the builds (process means), or null if unknown. */
  readonly logStderr: number | null
  /** How many builds of this commit were merged. */
  readonly builds: number
}

/** A commit whose builds all failed or gave unusable values. */
export interface PreparedUnmeasured extends PreparedBase {
  readonly state: 'unmeasured'
  readonly reason: Exclude<ExclusionReason, 'bad-order'>
}

/** An estimate of a step between two groups of builds, on a log scale with its interval. */
export interface StepEstimate {
  /** Geometric mean after / geometric mean before. */
  readonly ratio: number
  /** Lower end of the confidence interval of `ratio`. */
  readonly ratioLow: number
  /** Upper end of the confidence interval of `ratio`. */
  readonly ratioHigh: number
  /** ln(ratio). */
  readonly logRatio: number
  /** Standard error of `logRatio`, between-build noise included. */
  readonly logStderr: number
  /** Two-sided p-value of "no step". */
  readonly pValue: number
  /** Degrees of freedom of the reference t distribution used for p and the interval. */
  readonly dof: number
  /** Builds averaged before and after the step. */
  readonly pointsBefore: number
  readonly pointsAfter: number
}

/** Which way a step goes for the user. */
export const DIRECTIONS = ['regression', 'improvement'] as const
/** One of DIRECTIONS. */
export type Direction = (typeof DIRECTIONS)[number]

/** How sure the detector is of a change. */
export const CHANGE_STATES = ['confirmed', 'provisional'] as const
/** One of CHANGE_STATES. */
export type ChangeState = (typeof CHANGE_STATES)[number]

/** A step blamed on the commits in (lastGood, firstBad]. */
export interface Change {
  readonly state: ChangeState
  readonly direction: Direction
  readonly epoch: string
  /** Index (in `Detection.points`) of the last build of the old level. */
  readonly lastGoodIndex: number
  readonly lastGoodId: string
  /** Index of the first build of the new level. */
  readonly firstBadIndex: number
  readonly firstBadId: string
  /** Builds between the two that produced no value: their commits are suspects too. */
  readonly unmeasuredIds: readonly string[]
  readonly step: StepEstimate
}

/** A change of infrastructure between two consecutive measured builds: never blamed on a commit. */
export interface EpochBoundary {
  /** Index of the first build of the new epoch. */
  readonly index: number
  readonly id: string
  /** Index of the last build of the old epoch. */
  readonly previousIndex: number
  readonly previousId: string
  readonly fromEpoch: string
  readonly toEpoch: string
  /** The level shift across the boundary, or null when either side has too few builds. */
  readonly step: StepEstimate | null
  /**
   * True when the shift passes the same significance and magnitude tests as a change. It is
   * still reported as infrastructure: commits in the range may have contributed too, and only
   * a re-run of the old build on the new setup can tell the two apart.
   */
  readonly significant: boolean
}

/** The between-build noise of one series, learned from it. */
export interface NoiseModel {
  /** Robust standard deviation of one build's log value (MAD of successive differences / √2). */
  readonly buildSigmaLog: number
  /** Typical within-build standard error of the log value (from process means), or 0 if unknown. */
  readonly withinSigmaLog: number
  /** Between-build variance not explained by the within-build error: √max(0, σ² − within²). */
  readonly extraSigmaLog: number
  /** Successive differences used. */
  readonly differences: number
  /** Degrees of freedom credited to the estimate (MAD is 37 % efficient at the normal). */
  readonly dof: number
  /** Smallest step worth reporting, on a log scale: max(ln(1 + minMagnitude), k·σ). */
  readonly floorLog: number
}

/** Why the newest build cannot be judged yet. */
export const NOT_ENOUGH_REASONS = ['no-baseline', 'no-noise-estimate', 'inconclusive'] as const
/** One of NOT_ENOUGH_REASONS. */
export type NotEnoughReason = (typeof NOT_ENOUGH_REASONS)[number]

/** What the newest build says, at once, before later builds confirm anything. */
export type NewestVerdict =
  | { readonly kind: 'empty' }
  | { readonly kind: 'failed'; readonly id: string; readonly reason: Exclude<ExclusionReason, 'bad-order'> }
  | { readonly kind: 'new-epoch'; readonly id: string; readonly boundary: EpochBoundary }
  | { readonly kind: 'steady'; readonly id: string; readonly step: StepEstimate }
  | { readonly kind: 'provisional'; readonly id: string; readonly change: Change }
  | {
      readonly kind: 'not-enough-evidence'
      readonly id: string
      readonly reason: NotEnoughReason
      readonly step: StepEstimate | null
    }

/** An input point that carries no measurement, and why. */
export interface Exclusion {
  readonly id: string
  readonly reason: ExclusionReason
}

/** Everything `detectChanges` found in one series. */
export interface Detection {
  readonly points: readonly PreparedPoint[]
  readonly changes: readonly Change[]
  readonly newest: NewestVerdict
  readonly noise: NoiseModel
  readonly epochs: readonly EpochBoundary[]
  readonly excluded: readonly Exclusion[]
}

/** Knobs of `detectChanges`; every one has a default justified in docs/stats.md ("Change-point detection"). */
export interface DetectOptions {
  /** E-Divisive window in builds (Otava: 50). */
  readonly window?: number
  /** Significance a confirmed change must reach (Otava: 0.001). */
  readonly maxPValue?: number
  /** First-pass significance of the split step (Otava: 10 × maxPValue). */
  readonly firstPassPValue?: number
  /** Significance the newest build alone must reach for a provisional alert (default maxPValue). */
  readonly provisionalPValue?: number
  /** Smallest relative step ever reported (0.01 = 1 %). */
  readonly minMagnitude?: number
  /**
   * The floor is also k × the series' robust between-build σ (k = 1: a step below one build's
   * noise is not reported; docs/stats.md, "Floor").
   */
  readonly noiseMultiplier?: number
  /** Builds on each side used to confirm a candidate (Perfherder: 12 back, 12 forward). */
  readonly confirmWindow?: number
  /** Most recent successive differences used to learn the noise. */
  readonly noiseWindow?: number
  /**
   * Tail weight of build noise, as the dof ν > 4 of a Student's t: a mean of n builds is judged
   * against t with n·(ν − 4) + 4 dof (same excess kurtosis), so single builds need large steps.
   */
  readonly tailDof?: number
  /** Confidence level of the reported intervals. */
  readonly confidence?: number
  /** True for times (a rise is a regression), false for throughputs. */
  readonly lowerIsBetter?: boolean
}

/** DetectOptions with every default filled in. */
export type ResolvedOptions = Required<DetectOptions>

/** The defaults, with their sources (docs/stats.md, "Defaults"). */
export const DEFAULT_DETECT_OPTIONS: Omit<ResolvedOptions, 'firstPassPValue' | 'provisionalPValue'> = {
  window: 50,
  maxPValue: 0.001,
  minMagnitude: 0.01,
  noiseMultiplier: 1,
  confirmWindow: 12,
  noiseWindow: 100,
  tailDof: 5,
  confidence: 0.95,
  lowerIsBetter: true,
}

/** Fills in defaults and rejects options no detector could honour. */
export function resolveOptions(options: DetectOptions = {}): ResolvedOptions {
  const base = { ...DEFAULT_DETECT_OPTIONS, ...stripUndefined(options) }
  const maxP = base.maxPValue
  // Otava's first pass: 10 × p below 0.05, 2 × p below 0.5 (otava/analysis.py, compute_change_points).
  const firstPass = options.firstPassPValue ?? (maxP < 0.05 ? maxP * 10 : maxP < 0.5 ? maxP * 2 : maxP)
  const resolved: ResolvedOptions = {
    ...base,
    firstPassPValue: firstPass,
    provisionalPValue: options.provisionalPValue ?? maxP,
  }
  checkInteger('window', resolved.window, 4)
  checkInteger('confirmWindow', resolved.confirmWindow, 2)
  checkInteger('noiseWindow', resolved.noiseWindow, 2)
  checkOpenUnit('maxPValue', resolved.maxPValue)
  checkOpenUnit('firstPassPValue', resolved.firstPassPValue)
  checkOpenUnit('provisionalPValue', resolved.provisionalPValue)
  checkOpenUnit('confidence', resolved.confidence)
  if (!(resolved.minMagnitude >= 0 && Number.isFinite(resolved.minMagnitude))) {
    throw badInput(`Cannot detect changes: expected minMagnitude ≥ 0, found ${quote(resolved.minMagnitude)}`)
  }
  if (!(resolved.noiseMultiplier >= 0 && Number.isFinite(resolved.noiseMultiplier))) {
    throw badInput(
      `Cannot detect changes: expected noiseMultiplier ≥ 0, found ${quote(resolved.noiseMultiplier)}`,
    )
  }
  if (!(resolved.tailDof > 4 && Number.isFinite(resolved.tailDof))) {
    throw badInput(`Cannot detect changes: expected tailDof > 4, found ${quote(resolved.tailDof)}`)
  }
  return resolved
}

function stripUndefined(options: DetectOptions): Partial<ResolvedOptions> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(options)) if (v !== undefined) out[k] = v
  return out as Partial<ResolvedOptions>
}

function checkInteger(name: string, value: number, min: number): void {
  if (!(Number.isInteger(value) && value >= min)) {
    throw badInput(`Cannot detect changes: expected ${name} to be an integer ≥ ${min}, found ${quote(value)}`)
  }
}

function checkOpenUnit(name: string, value: number): void {
  if (!(value > 0 && value < 1)) {
    throw badInput(`Cannot detect changes: expected ${name} in (0, 1), found ${quote(value)}`)
  }
}
