// What the bench scripts share: their integer options and their percentiles.

/** The positive integer after `--NAME` on the command line, else `fallback`; throws when malformed. */
export function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`)
  if (i < 0) return fallback
  const v = Number(process.argv[i + 1])
  if (!Number.isSafeInteger(v) || v < 1) throw new Error(`--${name}: expected a positive integer`)
  return v
}

/** The `q` quantile (0–1) of ascending `sorted`, nearest rank; NaN when empty. */
export function percentile(sorted: readonly number[], q: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[i] ?? Number.NaN
}
