/**
 * The smallest change a comparison calls, as |ratio − 1|: 1 %. A verdict says slower or faster
 * only when the ratio's interval excludes 1 (statistically significant) and the ratio is at least
 * this far from 1 (practically significant); otherwise it reads "=" with its interval. One
 * default for every comparison: the API's `minEffect`, the dashboard's `threshold`, the CLI's
 * `--min-effect` (docs/stats.md, "The verdict").
 */
export const DEFAULT_MIN_EFFECT = 0.01
