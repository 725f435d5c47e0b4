/** A seeded pseudo-random generator: returns floats uniform in [0, 1). */
export type Rng = () => number

/**
 * Creates a deterministic generator (mulberry32) from a 32-bit seed.
 * Statistics take an Rng as a parameter so that the same seed gives the same interval.
 * @example const rng = createRng(42); rng() // 0.6011037519201636
 */
export function createRng(seed: number): Rng {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** An integer uniform in [0, n). */
export function randomInt(rng: Rng, n: number): number {
  return Math.floor(rng() * n)
}
