import type { NoiseModel, PreparedMeasured, PreparedPoint, ResolvedOptions } from './types.ts'

/** Consecutive measured builds [start, end), in measured positions. */
export interface Range {
  readonly start: number
  readonly end: number
}

/** A run of consecutive measured builds sharing one epoch: [start, end) in measured positions. */
export interface Block extends Range {
  readonly epoch: string
}

/**
 * The measured builds of a prepared series, laid out for the numerics: log values, each build's
 * variance relative to the noise model, and the epoch blocks.
 */
export interface MeasuredSeries {
  /** ln(value) of each measured point, in history order. */
  readonly y: Float64Array
  /** Index in `Detection.points` of each measured point. */
  readonly pointIndex: Int32Array
  /** Builds merged into each point. */
  readonly builds: Int32Array
  /** Within-build standard error of each log value, NaN when unknown. */
  readonly logStderr: Float64Array
  readonly blocks: readonly Block[]
}

/** A measured series with its noise model and the detector's options. */
export interface NoiseContext {
  readonly series: MeasuredSeries
  readonly noise: NoiseModel
  readonly options: ResolvedOptions
}

/** Lays out the measured points and cuts them into epoch blocks. */
export function measuredSeries(points: readonly PreparedPoint[]): MeasuredSeries {
  const measured = points.filter((p): p is PreparedMeasured => p.state === 'measured')
  const n = measured.length
  const y = new Float64Array(n)
  const pointIndex = new Int32Array(n)
  const builds = new Int32Array(n)
  const logStderr = new Float64Array(n)
  const blocks: Block[] = []
  let blockStart = 0
  for (let i = 0; i < n; i++) {
    const p = measured[i] as PreparedMeasured
    y[i] = p.logValue
    pointIndex[i] = p.index
    builds[i] = p.builds
    logStderr[i] = p.logStderr ?? Number.NaN
    const prev = measured[i - 1]
    if (prev !== undefined && prev.epoch !== p.epoch) {
      blocks.push({ start: blockStart, end: i, epoch: prev.epoch })
      blockStart = i
    }
  }
  const last = measured[n - 1]
  if (last !== undefined) blocks.push({ start: blockStart, end: n, epoch: last.epoch })
  return { y, pointIndex, builds, logStderr, blocks }
}

// 1/Φ⁻¹(3/4): turns a median absolute deviation into a standard deviation at the normal.
const MAD_TO_SIGMA = 1.482602218505602
// Asymptotic efficiency of the MAD at the normal (Rousseeuw & Croux 1993, JASA 88(424)): a MAD
// from m values carries about as much information as a sample variance with 0.37·m dof.
const MAD_EFFICIENCY = 0.3675
// Smallest variance of a log value: keeps a constant series (a deterministic metric) from
// dividing by zero; 1e-9 on a log scale is far below any timer's resolution.
export const MIN_LOG_VARIANCE = 1e-18
/** The 90th percentile of the standard normal: |Δ| ≤ 1.2816 σ_Δ for 80 % of normal differences. */
const Z80 = 1.2815515655446004
/** Fewest differences for a percentile read of the noise's tail. */
const MIN_TAIL_DIFFERENCES = 8

/**
 * Learns the between-build noise of a series from its own recent history.
 *
 * σ = 1.4826 · median|Δy| / √2 over the most recent `noiseWindow` successive differences Δy of
 * log values inside epochs (never across a boundary). Successive differences cancel the level,
 * so a real step spoils one difference, not a whole segment, and the median ignores up to half of
 * them. (Qn, more efficient at the normal, was tried: it tracks the narrow core of real benchmark
 * noise and lets its heavy tails through as false alarms; see docs/stats.md ("Change-point detection").) When
 * the median is zero (a quantised metric with mostly equal values), the mean absolute difference
 * × √(π/2) stands in. With at least 8 differences, σ is at least what their 80th percentile
 * implies at the normal (q80 / 1.2816 / √2): a workload whose builds land in one of two levels
 * has a small median difference and many large ones, and the median alone calls its jumps steps.
 */
export function estimateNoise(series: MeasuredSeries, options: ResolvedOptions): NoiseModel {
  const diffs: number[] = []
  // Walk blocks from the newest backwards so the window keeps the most recent differences.
  for (let b = series.blocks.length - 1; b >= 0 && diffs.length < options.noiseWindow; b--) {
    const block = series.blocks[b]
    if (block === undefined) continue
    for (let i = block.end - 1; i > block.start && diffs.length < options.noiseWindow; i--) {
      diffs.push(Math.abs((series.y[i] ?? 0) - (series.y[i - 1] ?? 0)))
    }
  }
  const m = diffs.length
  let sigmaDiff = 0
  if (m > 0) {
    const med = median(diffs)
    if (med > 0) sigmaDiff = MAD_TO_SIGMA * med
    else {
      let sum = 0
      for (const d of diffs) sum += d
      sigmaDiff = (sum / m) * Math.sqrt(Math.PI / 2)
    }
    // Heavy or two-moded build noise (a workload that lands in one of two levels build by build)
    // leaves the median difference small and the 80th percentile large: read the scale there too.
    if (m >= MIN_TAIL_DIFFERENCES) {
      const sorted = [...diffs].sort((x, y) => x - y)
      const q80 = sorted[Math.floor(0.8 * (m - 1))] ?? 0
      sigmaDiff = Math.max(sigmaDiff, q80 / Z80)
    }
  }
  const buildSigma = sigmaDiff / Math.SQRT2
  const within: number[] = []
  series.logStderr.forEach((se, i) => {
    // A merged point's error is for the mean of its builds; scale back to one build.
    if (Number.isFinite(se)) within.push(se * Math.sqrt(series.builds[i] ?? 1))
  })
  const withinSigma = within.length > 0 ? median(within) : 0
  const extraSigma = Math.sqrt(Math.max(0, buildSigma ** 2 - withinSigma ** 2))
  const floorLog = Math.max(Math.log1p(options.minMagnitude), options.noiseMultiplier * buildSigma)
  return {
    buildSigmaLog: buildSigma,
    withinSigmaLog: withinSigma,
    extraSigmaLog: extraSigma,
    differences: m,
    dof: MAD_EFFICIENCY * m,
    floorLog,
  }
}

/**
 * The variance of each measured point's log value under the noise model: the between-build part
 * divided by the builds merged, plus the point's own within-build error where known; the plain
 * build variance σ² / k where it is not. A build with a noisy run thus weighs less.
 */
export function pointVariances(series: MeasuredSeries, noise: NoiseModel): Float64Array {
  const n = series.y.length
  const out = new Float64Array(n)
  const extra2 = noise.extraSigmaLog ** 2
  const build2 = noise.buildSigmaLog ** 2
  for (let i = 0; i < n; i++) {
    const k = series.builds[i] ?? 1
    const se = series.logStderr[i] ?? Number.NaN
    const v = Number.isFinite(se) ? extra2 / k + se * se : build2 / k
    out[i] = Math.max(v, MIN_LOG_VARIANCE)
  }
  return out
}

/** The typical build-to-build difference of a series (`buildToBuildNoise`). */
export interface BuildNoise {
  /** exp(median |Δ ln y|) − 1: the relative difference between consecutive builds half of them exceed. */
  readonly relative: number
  /** Successive differences it was read from. */
  readonly differences: number
}

/**
 * The noise floor people read on a series: the median absolute difference of log values between
 * consecutive builds, as a relative difference (0.012 = "± 1.2 % between builds"). The same
 * successive differences `estimateNoise` learns detection's noise from, over the newest `window`
 * (its default noiseWindow, 100), but without its σ scaling: it says how far apart two
 * neighbouring builds typically are, not a standard deviation. Values that are not finite and
 * positive are skipped; undefined below 2 differences.
 */
export function buildToBuildNoise(values: readonly number[], window = 100): BuildNoise | undefined {
  const logs = values.filter((v) => Number.isFinite(v) && v > 0).map(Math.log)
  const diffs: number[] = []
  for (let i = logs.length - 1; i > 0 && diffs.length < window; i--) {
    diffs.push(Math.abs((logs[i] ?? 0) - (logs[i - 1] ?? 0)))
  }
  if (diffs.length < 2) return undefined
  return { relative: Math.expm1(median(diffs)), differences: diffs.length }
}

/** The run-to-run σ of a line's builds read from their successive differences (`successiveRunNoise`). */
export interface SuccessiveNoise {
  /** σ of one run's log mean beyond its within-run error (≈ relative). */
  readonly sigma: number
  /** Degrees of freedom of sigma, as a MAD's: MAD_EFFICIENCY × differences. */
  readonly dof: number
  /** Successive differences it was read from. */
  readonly differences: number
}

/**
 * The noise between separate runs of a line's builds, from their successive differences, as
 * detection learns its noise: consecutive builds in history order differ by the run-to-run σ
 * twice (one σ² from each run), by each run's own sampling error, and by what the commits between
 * them changed. The differences' σ by the MAD (1.4826 × median |d|; a few real steps among them
 * barely move it), squared, less the median within-run part of a difference, halved: σ² =
 * max(0, (σ_d² − w) / 2). The commits' part is left in, so this is an upper bound of the run-to-run
 * noise: a comparison's interval it widens stays honest. `differences` holds the successive
 * differences themselves (`d`) and the within-run variance of each (`w`); undefined below
 * `minDifferences` (default 8).
 */
export function successiveRunNoise(
  differences: readonly { readonly d: number; readonly w: number }[],
  minDifferences = 8,
): SuccessiveNoise | undefined {
  const usable = differences.filter((x) => Number.isFinite(x.d) && Number.isFinite(x.w) && x.w >= 0)
  if (usable.length < Math.max(2, minDifferences)) return undefined
  const sd = MAD_TO_SIGMA * median(usable.map((x) => Math.abs(x.d)))
  const within = median(usable.map((x) => x.w))
  return {
    sigma: Math.sqrt(Math.max(0, (sd * sd - within) / 2)),
    dof: MAD_EFFICIENCY * usable.length,
    differences: usable.length,
  }
}

/** Median of a non-empty list (mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  if (sorted.length % 2 === 1) return sorted[mid] ?? Number.NaN
  return ((sorted[mid - 1] ?? Number.NaN) + (sorted[mid] ?? Number.NaN)) / 2
}

/** Fewest successive differences around a candidate for a local noise estimate. */
export const MIN_LOCAL_DIFFERENCES = 4

/**
 * The noise a candidate step at measured position `cp` is judged against: the series' model, or a
 * local one learned from the successive differences inside its `window` (the difference across
 * `cp` itself left out) when that is larger. Builds far apart in history (release tags
 * months apart) differ by more than builds a day apart: the development between them is noise
 * to a step test there, and the series-wide model, learned mostly from recent daily builds, would
 * call every such difference a change. A local model smaller than the series' is not used: a
 * quiet stretch must not make ordinary noise significant.
 */
export function localNoise(context: NoiseContext, window: Range, cp: number): NoiseModel {
  const { series, noise, options } = context
  const diffs: number[] = []
  for (let i = window.start + 1; i < window.end; i++)
    if (i !== cp) diffs.push(Math.abs((series.y[i] ?? 0) - (series.y[i - 1] ?? 0)))
  if (diffs.length < MIN_LOCAL_DIFFERENCES) return noise
  const sigma = (MAD_TO_SIGMA * median(diffs)) / Math.SQRT2
  if (!(sigma > noise.buildSigmaLog)) return noise
  return {
    buildSigmaLog: sigma,
    withinSigmaLog: noise.withinSigmaLog,
    extraSigmaLog: Math.sqrt(Math.max(0, sigma ** 2 - noise.withinSigmaLog ** 2)),
    differences: diffs.length,
    dof: MAD_EFFICIENCY * diffs.length,
    floorLog: Math.max(Math.log1p(options.minMagnitude), options.noiseMultiplier * sigma),
  }
}
