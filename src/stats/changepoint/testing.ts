import type { Rng } from '../../lib/index.ts'
import type { SeriesPoint } from './types.ts'

// Series for the detector's tests: log-normal noise around given levels, reproducible by seed.

/** A standard normal draw (Box–Muller) from `rng`. */
export function gaussian(rng: Rng): number {
  return Math.sqrt(-2 * Math.log(rng() || 1e-300)) * Math.cos(2 * Math.PI * rng())
}

/** Log-normal noise σ around `levels[i]`, one build per commit, ids c0, c1, … */
export function noisy(
  rng: Rng,
  levels: readonly number[],
  sigma: number,
  epochOf = (_i: number) => 'e',
): SeriesPoint[] {
  return levels.map((level, i) => ({
    id: `c${i}`,
    order: i,
    epoch: epochOf(i),
    value: level * Math.exp(sigma * gaussian(rng)),
  }))
}
