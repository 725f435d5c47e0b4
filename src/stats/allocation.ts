// Values per process against processes (issue 13): the classic two-stage sampling allocation.
// A build's mean is estimated from p processes of v values each; on the log scale its variance is
//
//   Var = (σ²_b + σ²_w / v) / p
//
// with σ²_w the variance of values within a process and σ²_b that of process means beyond it
// (the process-level noise: layout, hash seeds, the machine's state when it started). A process
// costs c_p of machine time before its first value (start, imports, calibration, warm-ups) and
// c_v per value. For a target variance the machine time p·(c_p + v·c_v) is least at
//
//   v* = √(c_p·σ²_w / (c_v·σ²_b))
//
// (Cochran, Sampling Techniques, §10.6, two-stage sampling with equal sizes): more values where
// processes agree with one another, more processes where they do not.

/** The two variance components of a workload's samples, on the log scale (≈ relative). */
export interface VarianceComponents {
  /** Pooled variance of log values within a process. */
  readonly within: number
  /** Variance of a process's mean log value beyond what `within` explains (floored at 0). */
  readonly between: number
  /** Processes and the mean values per process they were estimated from. */
  readonly processes: number
  readonly valuesPerProcess: number
}

/**
 * The within- and between-process variance of `processes` (each one process's values; only
 * positive finite values count, a process needs two): one-way analysis of variance on the logs,
 * the between component by the method of moments. Null with fewer than two such processes.
 */
export function varianceComponents(processes: readonly (readonly number[])[]): VarianceComponents | null {
  const groups = processes
    .map((values) => values.filter((v) => Number.isFinite(v) && v > 0).map(Math.log))
    .filter((logs) => logs.length >= 2)
  if (groups.length < 2) return null
  let ssWithin = 0
  let dofWithin = 0
  const means: number[] = []
  let sizes = 0
  for (const logs of groups) {
    const m = logs.reduce((a, b) => a + b, 0) / logs.length
    for (const x of logs) ssWithin += (x - m) ** 2
    dofWithin += logs.length - 1
    means.push(m)
    sizes += logs.length
  }
  const within = ssWithin / dofWithin
  const grand = means.reduce((a, b) => a + b, 0) / means.length
  const varMeans = means.reduce((a, m) => a + (m - grand) ** 2, 0) / (means.length - 1)
  // The harmonic mean of the sizes is what the mean of 1/n_i calls for; equal sizes give n.
  const harmonic = groups.length / groups.reduce((a, g) => a + 1 / g.length, 0)
  return {
    within,
    between: Math.max(0, varMeans - within / harmonic),
    processes: groups.length,
    valuesPerProcess: sizes / groups.length,
  }
}

/** Machine time of one process before its first value and of one value, in seconds. */
export interface SamplingCosts {
  readonly processS: number
  readonly valueS: number
}

/** Bounds of an allocation: values per process from `min` to `max`. */
export interface AllocationBounds {
  readonly min: number
  readonly max: number
}

/** Values per process allowed unless told: 1 to 20 (a pyperf process has 3; more only pays where processes agree). */
export const DEFAULT_ALLOCATION_BOUNDS: AllocationBounds = { min: 1, max: 20 }

/** The values per process that give a target precision for the least machine time, and why. */
export interface Allocation {
  readonly values: number
  /** The unrounded optimum (Infinity when processes do not differ beyond their values). */
  readonly optimum: number
  readonly reason: string
}

/**
 * v* = √(c_p·σ²_w / (c_v·σ²_b)), rounded to the better of its two neighbouring integers and held
 * within `bounds`. No between-process variance: the most values (processes add nothing but cost);
 * no within-process variance: the fewest.
 */
export function optimalValuesPerProcess(
  v: Pick<VarianceComponents, 'within' | 'between'>,
  costs: SamplingCosts,
  bounds: AllocationBounds = DEFAULT_ALLOCATION_BOUNDS,
): Allocation {
  if (!(costs.valueS > 0) || !(costs.processS >= 0) || !(v.within >= 0) || !(v.between >= 0))
    throw new RangeError('Cannot allocate values per process: expected positive costs and variances')
  if (v.between === 0)
    return {
      values: bounds.max,
      optimum: Number.POSITIVE_INFINITY,
      reason: 'processes agree beyond their values',
    }
  if (v.within === 0) return { values: bounds.min, optimum: 0, reason: 'values within a process do not vary' }
  const optimum = Math.sqrt((costs.processS * v.within) / (costs.valueS * v.between))
  const clamp = (x: number) => Math.min(bounds.max, Math.max(bounds.min, x))
  const lo = clamp(Math.floor(optimum))
  const hi = clamp(Math.ceil(optimum))
  const values = relativeMachineTime(v, costs, lo) <= relativeMachineTime(v, costs, hi) ? lo : hi
  return { values, optimum, reason: 'two-stage allocation' }
}

/**
 * Machine time to reach a fixed variance of the mean with `values` per process, up to a constant
 * factor: (σ²_b + σ²_w / v)·(c_p + v·c_v). The ratio of two of these is the machine time one
 * allocation needs against another for the same interval.
 */
export function relativeMachineTime(
  v: Pick<VarianceComponents, 'within' | 'between'>,
  costs: SamplingCosts,
  values: number,
): number {
  return (v.between + v.within / values) * (costs.processS + values * costs.valueS)
}
