import { studentTQuantile, studentTTwoSidedP } from '../distributions.ts'
import type { MeasuredSeries, NoiseContext, Range } from './noise.ts'
import type { NoiseModel, StepEstimate } from './types.ts'

/** What a step test needs besides the two ranges: the series, its noise and the options. */
export interface StepContext extends NoiseContext {
  /** Variance of each log value under the noise model (`pointVariances`). */
  readonly variances: Float64Array
}

/**
 * Tests for a level shift between the builds of `left` and those of `right` (measured positions),
 * with builds as the unit of replication.
 *
 * Each side's level is the mean of its builds' log values weighted by 1 / variance. The common
 * scale φ of those variances is a moderated estimate (Smyth 2004): the noise model's prior, worth
 * `noise.dof` degrees of freedom, pooled with the residual spread of the two sides (n − 2 dof).
 * The statistic Δ / SE is referred to Student's t with the smaller of two dofs: the pooled one,
 * and `tailDof(…)`, the dof of the t distribution with the same excess kurtosis as Δ when each
 * build's noise is t_ν (heavy-tailed): one odd build cannot pass for a step, while means of many
 * builds are judged almost as under normal noise.
 */
export function stepTest(context: StepContext, left: Range, right: Range): StepEstimate {
  const { series, variances, noise, options } = context
  const before = weightedSide(series, variances, left)
  const after = weightedSide(series, variances, right)
  const logRatio = after.mean - before.mean
  const rss = before.rss + after.rss
  const pointsBefore = left.end - left.start
  const pointsAfter = right.end - right.start
  const segmentDof = pointsBefore + pointsAfter - 2
  const pooledDof = noise.dof + segmentDof
  const base = { pointsBefore, pointsAfter, logRatio, ratio: Math.exp(logRatio) }
  if (!(pooledDof > 0) || before.weight === 0 || after.weight === 0) {
    return {
      ...base,
      ratioLow: 0,
      ratioHigh: Number.POSITIVE_INFINITY,
      logStderr: Number.NaN,
      pValue: 1,
      dof: 0,
    }
  }
  const scale = (noise.dof + rss) / pooledDof
  const logStderr = Math.sqrt(scale * (1 / before.weight + 1 / after.weight))
  const dof = Math.min(pooledDof, kurtosisDof(options.tailDof, before, after))
  let pValue: number
  if (logStderr > 0) pValue = studentTTwoSidedP(logRatio / logStderr, dof)
  else pValue = logRatio === 0 ? 1 : 0
  const q = studentTQuantile(1 - (1 - options.confidence) / 2, dof)
  const half = q * logStderr
  return {
    ...base,
    ratioLow: Math.exp(logRatio - half),
    ratioHigh: Math.exp(logRatio + half),
    logStderr,
    pValue: Number.isNaN(pValue) ? 1 : pValue,
    dof,
  }
}

/** What `kurtosisDof` needs of one side of a step: its total weight and fourth-moment sum. */
export interface SideWeights {
  /** W = Σ w_i, the sum of the 1 / variance weights. */
  readonly weight: number
  /** Σ w_i² / k_i: with the weights, gives the fourth-moment share of each build. */
  readonly fourth: number
}

interface Side extends SideWeights {
  readonly mean: number
  readonly rss: number
}

// Winsorising limit in noise-model standard deviations. Under normal noise it clips 0.27 % of
// values and loses 0.5 % of the residual variance (E[min(Z², 9)] = 0.995): not worth correcting,
// and without clipping the test is exactly Student's pooled t-test.
const WINSOR_Z = 3

/**
 * One side's level: the mean of the log values of the builds in `range` weighted by 1 / variance,
 * after winsorising each value to within 3 noise-model σ of the side's median. One gross outlier
 * (real build noise has them) then moves neither the level nor the residual spread by more than
 * three σ, instead of hiding a real step next to it; normal noise is almost never clipped.
 */
function weightedSide(series: MeasuredSeries, variances: Float64Array, range: Range): Side {
  const { y, builds } = series
  const { start, end } = range
  const count = end - start
  if (count <= 0) return { mean: Number.NaN, weight: 0, rss: 0, fourth: 0 }
  const centre = count <= 2 ? 0 : medianOf(y, start, end)
  const clipped = new Float64Array(count)
  let weight = 0
  let sum = 0
  let fourth = 0
  for (let i = start; i < end; i++) {
    const v = variances[i] ?? 1
    const w = 1 / v
    const yi = y[i] ?? 0
    // With one or two values the median is no better a centre than the values themselves.
    const limit = WINSOR_Z * Math.sqrt(v)
    const c = count <= 2 ? yi : Math.min(centre + limit, Math.max(centre - limit, yi))
    clipped[i - start] = c
    weight += w
    sum += w * c
    // A point merging k builds has 1/k of one build's excess kurtosis.
    fourth += (w * w) / (builds[i] ?? 1)
  }
  const mean = sum / weight
  let rss = 0
  for (let i = start; i < end; i++) rss += ((clipped[i - start] ?? 0) - mean) ** 2 / (variances[i] ?? 1)
  return { mean, weight, rss, fourth }
}

function medianOf(y: Float64Array, start: number, end: number): number {
  const sorted = y.slice(start, end).sort()
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2
}

/**
 * Degrees of freedom of the Student's t whose excess kurtosis equals that of Δ = mean_R − mean_L
 * when every build's noise is t_ν (excess kurtosis κ = 6 / (ν − 4)).
 *
 * Δ = Σ a_i ε_i with a_i = ±w_i / W_side and Var(ε_i) = 1 / w_i, so
 * kurt(Δ) = κ · Σ a_i⁴ Var(ε_i)² / (Σ a_i² Var(ε_i))² = κ · (Σ_L w²/W_L⁴ + Σ_R w²/W_R⁴) / (1/W_L + 1/W_R)²,
 * and t_d has excess kurtosis 6 / (d − 4), so d = 4 + 6 / kurt(Δ). One build against many gives
 * d ≈ ν; twelve against twelve gives d ≈ 4 + 24 (ν − 4). `left` and `right` give each side's
 * W and its Σ w² (each term divided by the builds merged into the point).
 */
export function kurtosisDof(tailDof: number, left: SideWeights, right: SideWeights): number {
  const kappa = 6 / (tailDof - 4)
  const num = left.fourth / left.weight ** 4 + right.fourth / right.weight ** 4
  const den = (1 / left.weight + 1 / right.weight) ** 2
  const kurt = (kappa * num) / den
  return kurt > 0 ? 4 + 6 / kurt : Number.POSITIVE_INFINITY
}

/** True when a step is significant at `maxPValue` and at least as large as the noise floor. */
export function passes(step: StepEstimate, noise: NoiseModel, maxPValue: number): boolean {
  return step.pValue <= maxPValue && Math.abs(step.logRatio) >= noise.floorLog
}
