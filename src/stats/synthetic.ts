import type { Rng } from '../lib/index.ts'

// Seeded synthetic samples for tests and bench scripts (not part of the room's public surface:
// production code never invents data).

/** n draws from Normal(mean, sd) by the Box–Muller transform (Box & Muller 1958). */
export function normalSample(
  rng: Rng,
  n: number,
  options: { readonly mean: number; readonly sd: number },
): number[] {
  const out: number[] = []
  while (out.length < n) {
    // 1 − u keeps the logarithm's argument in (0, 1].
    const radius = Math.sqrt(-2 * Math.log(1 - rng()))
    const angle = 2 * Math.PI * rng()
    out.push(options.mean + options.sd * radius * Math.cos(angle))
    if (out.length < n) out.push(options.mean + options.sd * radius * Math.sin(angle))
  }
  return out
}

/** n draws from a log-normal whose arithmetic mean is `mean` and whose log has sd `sdLog`. */
export function logNormalSample(
  rng: Rng,
  n: number,
  options: { readonly mean: number; readonly sdLog: number },
): number[] {
  const mu = Math.log(options.mean) - (options.sdLog * options.sdLog) / 2
  return normalSample(rng, n, { mean: mu, sd: options.sdLog }).map(Math.exp)
}
