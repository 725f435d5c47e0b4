// The differential of two profiles as an alert keeps it (docs/profiles.md): per function, its
// share of the samples spent in its own code (self) in A (the parent) and in B (the culprit), the
// change in percentage points with its interval; and the headline people read in notifications
// and on the alert's page. Pure: the numbers come from analysis/profile-stacks.ts.

/** One function's change in self share from profile A to profile B. */
export interface FunctionShareChange {
  readonly name: string
  readonly file: string
  /** First line of the function when the profile's lines are definitions; null otherwise. */
  readonly line: number | null
  /** Samples with the function as the leaf in A and in B. */
  readonly selfA: number
  readonly selfB: number
  /** Self shares, in percent of each profile's samples. */
  readonly selfPercentA: number
  readonly selfPercentB: number
  /** B − A in percentage points, and its interval. */
  readonly deltaPoints: number
  readonly low: number
  readonly high: number
  /** The interval excludes 0. */
  readonly significant: boolean
}

/** The few largest changes of a differential, kept with an alert: derived, recomputable from the stacks. */
export interface DifferentialSummary {
  /** Samples counted in A and in B. */
  readonly samplesA: number
  readonly samplesB: number
  /** Confidence of the intervals (0.95). */
  readonly confidence: number
  /** Only samples inside timed values were counted (start-up, imports and make() left out). */
  readonly timedOnly: boolean
  /** The largest absolute changes first, at most DIFFERENTIAL_SUMMARY_ROWS. */
  readonly rows: readonly FunctionShareChange[]
}

/** The profilers: py-spy (Python frames, from the interpreter's memory) and perf (C frames, with CPython's Python frames where it names them). */
export const PROFILERS = ['py-spy', 'perf'] as const
export type ProfilerName = (typeof PROFILERS)[number]

/** How many rows of a differential an alert keeps. */
export const DIFFERENTIAL_SUMMARY_ROWS = 10

/** `nbody/workload.py:72`: the last two parts of a path, and the line when known. */
export function shortLocation(f: { readonly file: string; readonly line: number | null }): string {
  const short = f.file.split('/').slice(-2).join('/')
  return f.line === null ? short : `${short}:${f.line}`
}

const points = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(1)}`

/**
 * One function's change for people:
 * `+41.2 points self time in toy_call_hook (toy_hooks.py:2): 0.0 % → 41.2 % [+38.0, +44.4]`.
 */
export function functionChangeText(r: FunctionShareChange): string {
  return `${points(r.deltaPoints)} points self time in ${r.name} (${shortLocation(r)}): ${r.selfPercentA.toFixed(1)} % → ${r.selfPercentB.toFixed(1)} % [${points(r.low)}, ${points(r.high)}]`
}

/**
 * The headline of a differential: the functions whose self share changed most beyond their
 * interval (at most `max`, default 2), or a sentence saying none did and what moved most.
 * @example differentialHeadline(summary) // '+41.2 points self time in toy_call_hook (toy_hooks.py:2): 0.0 % → 41.2 % [+38.0, +44.4]'
 */
export function differentialHeadline(
  s: DifferentialSummary,
  options: { readonly max?: number } = {},
): string {
  const max = options.max ?? 2
  const moved = s.rows.filter((r) => r.significant).slice(0, max)
  if (moved.length > 0) return moved.map(functionChangeText).join('; ')
  const top = s.rows[0]
  const conf = `${Math.round(s.confidence * 100)} %`
  return top === undefined
    ? 'no function was sampled'
    : `no function's self time moved beyond its ${conf} interval (largest: ${functionChangeText(top)})`
}
