// What the bench scripts share: their integer options, their percentiles, and the product's
// command line run as a child process.
import { execFileSync } from 'node:child_process'

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

/**
 * Runs `bin/langperf.mjs ARGS --db DB` in a child process and returns its stdout; its stderr
 * goes to this process's when `showLog`, else it is kept for the error a failure throws.
 */
export function langperf(db: string, args: readonly string[], showLog = false): string {
  const bin = new URL('../bin/langperf.mjs', import.meta.url).pathname
  return execFileSync(process.execPath, [bin, ...args, '--db', db], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', showLog ? 'inherit' : 'pipe'],
  })
}
