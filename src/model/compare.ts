/**
 * The smallest change a comparison calls, as |ratio − 1|: 1 %. A verdict says slower or faster
 * only when the ratio's interval excludes 1 (statistically significant) and the ratio is at least
 * this far from 1 (practically significant); otherwise it reads "=" with its interval. One
 * default for every comparison: the API's `minEffect`, the dashboard's `threshold`, the CLI's
 * `--min-effect` (docs/stats.md, "The verdict").
 */
export const DEFAULT_MIN_EFFECT = 0.01

/**
 * Between-run σ of a build's mean (log scale ≈ relative) assumed until repeated runs of the
 * compared builds or their line's history teach it: twice the median relative difference of
 * consecutive nightly runs of neighbouring CPython commits on a tuned machine (0.8–1.05 %, so
 * σ ≈ 1 %), for machines that are not tuned.
 */
export const DEFAULT_BETWEEN_RUN_SIGMA = 0.02

/** How the noise between two separate runs was found (the API's `betweenRuns.source`). */
export type BetweenRunSource = 'learned' | 'history' | 'default'

/** The noise between separate runs of one workload or of the suite, as a comparison reports it. */
export interface BetweenRunReading {
  readonly source: BetweenRunSource
  readonly sigma: number
  readonly runs: number
}

/**
 * The sentence that says what the intervals of a comparison of two separate runs include, the
 * same in `langperf compare`, the compare page and its Markdown: per workload how the between-run
 * noise was found (repeated runs of the compared builds, the successive differences of their
 * line's newest builds, or the stated default), and the geometric mean's. `code` wraps a command.
 */
export function separateRunsSentence(
  rows: readonly { readonly betweenRuns: BetweenRunReading | null }[],
  suite: BetweenRunReading,
  code: (command: string) => string = (c) => c,
): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`
  const count = (source: BetweenRunSource) => rows.filter((r) => r.betweenRuns?.source === source).length
  const parts = [
    [count('learned'), 'learned from repeated runs of these builds on their machine'],
    [count('history'), "read from the successive differences of their line's newest builds there"],
    [count('default'), `a stated ${pct(DEFAULT_BETWEEN_RUN_SIGMA)} per run`],
  ] as const
  const used = parts.filter(([n]) => n > 0)
  const per =
    used.length === 0
      ? 'none for the workloads (none compared)'
      : used.length === 1
        ? `${used[0]?.[1]} for every workload`
        : used.map(([n, text]) => `${text} for ${n} of ${rows.length} workloads`).join(', ')
  const suiteText =
    suite.source === 'default'
      ? `a stated ${pct(suite.sigma)} per run`
      : `± ${pct(suite.sigma)} per run, ${suite.source === 'learned' ? `learned from ${suite.runs} runs of these builds` : `read from ${suite.runs} builds of their line`}`
  return `The two runs were measured separately, not together: every interval includes the noise between runs, ${per}; the geometric mean's: ${suiteText}. Measure both builds in one ${code('langperf run')} for the tightest comparison.`
}
