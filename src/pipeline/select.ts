import { badInput, quote } from '../lib/index.ts'

// Which commits a nightly measures, pure. A branch's first-parent commits come oldest first; the
// nightly measures those after the newest one already measured, every k-th counted back from the
// newest (which is always measured), and `--backfill N` does the same over the last N commits.
// Where a change is found between two measured commits, bisection fills the gap.

/** Every k-th item counted back from the last, which is always included; in the input's order. */
export function everyKth<T>(items: readonly T[], k: number): T[] {
  if (!Number.isInteger(k) || k < 1)
    throw badInput(`Cannot pick every k-th commit with k ${quote(k)}: expected a positive integer`)
  const out: T[] = []
  for (let i = items.length - 1; i >= 0; i -= k) out.push(items[i] as T)
  return out.reverse()
}

/** Options of planCommits. */
export interface PlanCommitsOptions {
  /** Shas already measured for this branch × config on this machine. */
  readonly measured: ReadonlySet<string>
  /** Measure every k-th commit (1 = all). */
  readonly every: number
  /** Fill the history of the last N commits instead of only the new ones. */
  readonly backfill?: number
  /** At most this many commits are considered when the last measured one is not among them. */
  readonly maxNew?: number
}

/** Default of PlanCommitsOptions.maxNew: a month of a busy repository's first-parent commits. */
export const DEFAULT_MAX_NEW_COMMITS = 100

/**
 * The commits to measure, oldest first, from a branch's first-parent commits (oldest first):
 * with `backfill`, every k-th of the last N; otherwise every k-th of those after the newest
 * measured one (only the head when nothing was ever measured: backfill fills the past); the
 * ones already measured left out.
 */
export function planCommits<T extends { readonly sha: string }>(
  commits: readonly T[],
  options: PlanCommitsOptions,
): T[] {
  const maxNew = options.maxNew ?? DEFAULT_MAX_NEW_COMMITS
  let window: readonly T[]
  if (options.backfill !== undefined) {
    if (!Number.isInteger(options.backfill) || options.backfill < 1) {
      throw badInput(`Cannot backfill ${quote(options.backfill)} commits: expected a positive integer`)
    }
    window = commits.slice(-options.backfill)
  } else {
    let newest = -1
    for (let i = commits.length - 1; i >= 0; i--) {
      if (options.measured.has((commits[i] as T).sha)) {
        newest = i
        break
      }
    }
    if (newest >= 0) window = commits.slice(newest + 1)
    else if (options.measured.size > 0) window = commits.slice(-maxNew)
    else window = commits.slice(-1)
  }
  return everyKth(window, options.every).filter((c) => !options.measured.has(c.sha))
}
