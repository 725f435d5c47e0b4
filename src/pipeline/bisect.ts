import { doublingRound, INSTRUCTION_MIN_EFFECT } from '../analysis/index.ts'
import { LangperfError, quote } from '../lib/index.ts'
import {
  BISECT_ALPHA,
  type CulpritVerdict,
  judgeCulprit,
  judgeCulpritExact,
  judgeMidpoint,
  judgeMidpointExact,
  type MidpointVerdict,
} from './verdict.ts'

// Bisection: which commit of a blame range (good, bad] changed performance. While the range holds
// more than one commit, the midpoint is built (cached) and only the affected workloads are
// measured, interleaved with both ends in fresh processes; the midpoint is judged like-good or
// like-bad from its position between the ends (verdict.ts), measuring more — the processes
// doubling each round, Pinpoint's schedule — until that is clear or the rounds run out. The
// range halves each time, so a range of n commits takes about log2 n builds; a cap bounds them.
// The last commit standing is then checked against its own parent, interleaved again: it must
// show the change in the direction the ends moved. A midpoint that fails to build is set aside
// and its neighbour tried; if only such commits remain, the answer is the range they span.
//
// With exact counts (`exact`: instruction counts, which repeat to the instruction) there is no
// noise to average away: one process per build, one round, and the exact verdicts of verdict.ts
// (a change is a ratio at least 0.5 % from 1, as `compare` calls it).
//
// The world (git, builds, measurements) sits behind BisectProbe, so the search itself is tested
// with synthetic builds and seeded noise (bisect.test.ts) and run for real by probe.ts.

/** A commit as bisection sees it. */
export interface BisectCommit {
  readonly sha: string
  readonly subject: string
}

/** What bisection needs from the world. */
export interface BisectProbe {
  /** Commits strictly between `good` and `bad` on bad's first-parent line, oldest first. */
  between(good: string, bad: string): Promise<readonly BisectCommit[]>
  /** One commit with its subject and first parent (null for a root commit). */
  commit(sha: string): Promise<BisectCommit & { readonly parent: string | null }>
  /** Builds `sha` (or finds it in the cache): ready to measure, or why it cannot be. */
  prepare(sha: string): Promise<{ readonly ok: true } | { readonly ok: false; readonly reason: string }>
  /**
   * Measures `workloads` on the builds of `shas`, interleaved, `processes` processes each;
   * returns the per-process means by sha, then workload (a workload that failed is absent).
   */
  measure(
    shas: readonly string[],
    workloads: readonly string[],
    processes: number,
    context: { readonly round: number; readonly phase: 'midpoint' | 'confirm'; readonly step: number },
  ): Promise<ReadonlyMap<string, ReadonlyMap<string, readonly number[]>>>
}

/** Knobs of a bisection. */
export interface BisectOptions {
  /** Processes per build in the first round (Pinpoint: 10). */
  readonly startProcesses?: number
  /** At most this many measurement rounds per commit; each doubles the processes (10, 20, 40…). */
  readonly maxRounds?: number
  /** At most this many commits built besides the two ends (Pinpoint: ≤ 60 a job). */
  readonly maxBuilds?: number
  /** Two-sided significance of each decision (default 0.01, Pinpoint). */
  readonly alpha?: number
  /**
   * The probe measures exactly repeatable counts (instructions): one process per build and one
   * round (startProcesses and maxRounds default to 1 and refuse other values), exact verdicts.
   */
  readonly exact?: boolean
  /** Progress lines. */
  readonly log?: (line: string) => void
  /** Stops between measurements. */
  readonly signal?: AbortSignal
}

/** Defaults of BisectOptions. */
export const BISECT_DEFAULTS = { startProcesses: 10, maxRounds: 5, maxBuilds: 12 } as const

/** What to bisect. */
export interface BisectRequest {
  readonly good: string
  readonly bad: string
  /** The workloads that changed; only they are measured. */
  readonly workloads: readonly string[]
  /** The workload that decides when workloads disagree (the alert's largest change). */
  readonly primary?: string
  /**
   * Which way each workload moved from good to bad (+1 slower, −1 faster), as detection saw it;
   * the ends measured during the search take precedence.
   */
  readonly directions?: Readonly<Record<string, 1 | -1>>
}

/** One judged midpoint. */
export interface BisectStep {
  readonly sha: string
  readonly subject: string
  /** Good and bad ends when it was measured. */
  readonly good: string
  readonly bad: string
  /** Candidates left (excluding the ends) when it was chosen. */
  readonly candidates: number
  readonly outcome: 'like-good' | 'like-bad' | 'undecided' | 'ends-same' | 'build-failed'
  readonly processes: number
  readonly rounds: number
  /** Pooled position f (0 = good, 1 = bad) with its interval, when measured. */
  readonly position: { readonly f: number; readonly low: number; readonly high: number } | null
  readonly split: boolean
  readonly note: string
}

/** The answer of a bisection. */
export type BisectOutcome =
  | {
      readonly kind: 'culprit'
      readonly culprit: BisectCommit
      readonly parent: string
      readonly confirmation: CulpritVerdict
      readonly steps: readonly BisectStep[]
      readonly builds: number
      /** One paragraph for the alert: the commit, ratios with intervals, the builds it took. */
      readonly note: string
    }
  | {
      readonly kind: 'inconclusive'
      readonly reason: string
      /** The narrowest range reached: the culprit is in (good, bad]. */
      readonly good: string
      readonly bad: string
      readonly steps: readonly BisectStep[]
      readonly builds: number
      readonly note: string
    }

/** The threshold of the exact verdicts, in percent, for the notes. */
const INSTRUCTION_THRESHOLD_PERCENT = Number((INSTRUCTION_MIN_EFFECT * 100).toFixed(2))

function short(sha: string): string {
  return sha.slice(0, 12)
}

function fmtRatio(r: number): string {
  return r.toFixed(3)
}

/** Per-process means of workload `w` on `sha`, accumulated over rounds. */
type Samples = Map<string, Map<string, number[]>>

function addSamples(into: Samples, got: ReadonlyMap<string, ReadonlyMap<string, readonly number[]>>): void {
  for (const [sha, byWorkload] of got) {
    const mine = into.get(sha) ?? new Map<string, number[]>()
    for (const [w, xs] of byWorkload) mine.set(w, [...(mine.get(w) ?? []), ...xs])
    into.set(sha, mine)
  }
}

function samplesOf(s: Samples, sha: string, w: string): number[] {
  return s.get(sha)?.get(w) ?? []
}

/**
 * Runs a bisection through `probe`: narrows (good, bad] to one commit, confirms it against its
 * parent, and says what it found or why it could not.
 */
export async function bisectWith(
  probe: BisectProbe,
  request: BisectRequest,
  options: BisectOptions = {},
): Promise<BisectOutcome> {
  const settings = bisectSettings(options)
  if (request.workloads.length === 0) {
    throw new LangperfError('bad-input', 'Cannot bisect: expected at least one workload to measure')
  }
  for (const end of [request.good, request.bad]) {
    const ready = await probe.prepare(end)
    if (!ready.ok) {
      throw new LangperfError(
        'unavailable',
        `Cannot bisect: the end ${short(end)} cannot be measured: ${ready.reason}`,
      )
    }
  }
  const b: Bisection = {
    probe,
    request,
    settings,
    good: request.good,
    bad: request.bad,
    candidates: [...(await probe.between(request.good, request.bad))],
    failedBuilds: new Set(),
    steps: [],
    built: new Set(),
    directions: new Map(),
    stepNo: 0,
  }
  settings.log(
    `bisect ${short(b.good)}..${short(b.bad)}: ${b.candidates.length + 1} commits in the range, workloads ${request.workloads.join(', ')}`,
  )
  while (b.candidates.length > 0) {
    const outcome = await bisectStep(b)
    if (outcome !== undefined) return outcome
  }
  return confirmCulprit(b)
}

/** The options with their defaults, checked. */
interface BisectSettings {
  readonly startProcesses: number
  readonly maxRounds: number
  readonly maxBuilds: number
  readonly alpha: number
  readonly exact: boolean
  readonly log: (line: string) => void
  readonly signal: AbortSignal | undefined
}

/** A bisection under way: the range (good, bad] narrowed so far and what it took. */
interface Bisection {
  readonly probe: BisectProbe
  readonly request: BisectRequest
  readonly settings: BisectSettings
  good: string
  bad: string
  /** The commits of (good, bad), oldest first. */
  candidates: BisectCommit[]
  readonly failedBuilds: Set<string>
  readonly steps: BisectStep[]
  readonly built: Set<string>
  /** Which way each workload moved from good to bad, from the ends as measured here. */
  readonly directions: Map<string, 1 | -1>
  stepNo: number
}

/** The options with their defaults; refuses counts that are not integers or too small. */
function bisectSettings(options: BisectOptions): BisectSettings {
  const exact = options.exact === true
  const settings: BisectSettings = {
    startProcesses: options.startProcesses ?? (exact ? 1 : BISECT_DEFAULTS.startProcesses),
    maxRounds: options.maxRounds ?? (exact ? 1 : BISECT_DEFAULTS.maxRounds),
    maxBuilds: options.maxBuilds ?? BISECT_DEFAULTS.maxBuilds,
    alpha: options.alpha ?? BISECT_ALPHA,
    exact,
    log: options.log ?? (() => {}),
    signal: options.signal,
  }
  for (const [label, v, min] of [
    ['startProcesses', settings.startProcesses, exact ? 1 : 2],
    ['maxRounds', settings.maxRounds, 1],
    ['maxBuilds', settings.maxBuilds, 1],
  ] as const) {
    if (!Number.isInteger(v) || v < min) {
      throw new LangperfError(
        'bad-input',
        `Cannot bisect with ${label} ${quote(v)}: expected an integer ≥ ${min}`,
      )
    }
  }
  if (exact && (settings.startProcesses !== 1 || settings.maxRounds !== 1)) {
    throw new LangperfError(
      'bad-input',
      `Cannot bisect exact counts with ${settings.startProcesses} processes and ${settings.maxRounds} rounds: a count repeats exactly, so one process per build in one round decides`,
    )
  }
  return settings
}

/** How the verdicts were reached, for the notes. */
function basis(settings: BisectSettings): string {
  return settings.exact
    ? `decided on instruction counts, a change being at least ${INSTRUCTION_THRESHOLD_PERCENT} % from 1`
    : `${Math.round((1 - settings.alpha) * 100)} % intervals`
}

/** How much was measured of each build, for the notes: `8 processes each`, or one count per build. */
function perBuild(settings: BisectSettings, processes: number): string {
  return settings.exact ? 'one count per build' : `${processes} processes each`
}

/** A position for the notes: `f = 0.42 [0.31, 0.55]`, or `f = 0.42 (exact)` from counts. */
function positionText(settings: BisectSettings, pos: { f: number; low: number; high: number }): string {
  return settings.exact
    ? `f = ${pos.f.toFixed(2)} (exact)`
    : `f = ${pos.f.toFixed(2)} [${pos.low.toFixed(2)}, ${pos.high.toFixed(2)}]`
}

/** The inconclusive answer, with the narrowest range reached. */
function inconclusive(b: Bisection, reason: string): BisectOutcome {
  const note = `inconclusive: ${reason}; the change is in ${short(b.good)}..${short(b.bad)} (${b.candidates.length + 1} commits; ${b.built.size} builds${b.settings.exact ? '; decided on instruction counts' : ''})`
  b.settings.log(`bisect: ${note}`)
  const { good, bad, steps } = b
  return { kind: 'inconclusive', reason, good, bad, steps, builds: b.built.size, note }
}

/** Records a step at `mid` on the range as it stands. */
function recordStep(
  b: Bisection,
  mid: BisectCommit,
  result: Pick<BisectStep, 'outcome' | 'processes' | 'rounds' | 'position' | 'split' | 'note'>,
): void {
  b.steps.push({
    sha: mid.sha,
    subject: mid.subject,
    good: b.good,
    bad: b.bad,
    candidates: b.candidates.length,
    ...result,
  })
}

/** One step: build and measure the midpoint, then narrow the range; an answer when the bisection ends here. */
async function bisectStep(b: Bisection): Promise<BisectOutcome | undefined> {
  if (b.settings.signal?.aborted) return inconclusive(b, 'interrupted')
  const usable = b.candidates.filter((c) => !b.failedBuilds.has(c.sha))
  if (usable.length === 0) {
    return inconclusive(
      b,
      `every commit left in the range failed to build (${b.candidates.map((c) => short(c.sha)).join(', ')})`,
    )
  }
  // The usable commit nearest the middle of the range (the lower middle for an even count).
  const middle = (b.candidates.length - 1) / 2
  const mid = usable.reduce((best, c) =>
    Math.abs(b.candidates.indexOf(c) - middle) < Math.abs(b.candidates.indexOf(best) - middle) ? c : best,
  )
  if (!b.built.has(mid.sha) && b.built.size >= b.settings.maxBuilds) {
    return inconclusive(b, `the cap of ${b.settings.maxBuilds} builds was reached`)
  }
  b.built.add(mid.sha)
  b.stepNo++
  const ready = await b.probe.prepare(mid.sha)
  if (!ready.ok) {
    b.failedBuilds.add(mid.sha)
    b.settings.log(`  ${short(mid.sha)} cannot be measured (${ready.reason}): set aside`)
    recordStep(b, mid, {
      outcome: 'build-failed',
      processes: 0,
      rounds: 0,
      position: null,
      split: false,
      note: ready.reason,
    })
    return undefined
  }
  const measured = await measureMidpoint(b, mid)
  if (measured === undefined) return inconclusive(b, 'interrupted')
  return narrow(b, mid, measured)
}

/** What rounds of measurement gave: the last verdict, the processes of each build, the rounds run. */
interface Measured<V> {
  readonly verdict: V
  readonly processes: number
  readonly rounds: number
}

/**
 * Measures `shas` interleaved in doubling rounds until `decided` says the verdict is reached or
 * the rounds run out; undefined when interrupted. `describe` is the round's log line.
 */
async function measureInRounds<V>(
  b: Bisection,
  shas: readonly string[],
  phase: 'midpoint' | 'confirm',
  steps: {
    readonly describe: (round: number, add: number) => string
    readonly judge: (samples: Samples) => V
    readonly decided: (verdict: V) => boolean
  },
): Promise<Measured<V> | undefined> {
  const { settings } = b
  const samples: Samples = new Map()
  let verdict: V | undefined
  let processes = 0
  let round = 0
  for (round = 1; round <= settings.maxRounds; round++) {
    if (settings.signal?.aborted) return undefined
    const add = doublingRound(round, settings.startProcesses, processes)
    settings.log(steps.describe(round, add))
    addSamples(
      samples,
      await b.probe.measure(shas, b.request.workloads, add, { round, phase, step: b.stepNo }),
    )
    processes += add
    verdict = steps.judge(samples)
    if (steps.decided(verdict)) break
  }
  // maxRounds ≥ 1 (bisectSettings), so there is a verdict.
  return { verdict: verdict as V, processes, rounds: Math.min(round, settings.maxRounds) }
}

/** The midpoint's verdict after doubling rounds of good, midpoint and bad interleaved; undefined when interrupted. */
function measureMidpoint(b: Bisection, mid: BisectCommit): Promise<Measured<MidpointVerdict> | undefined> {
  const { good, bad, request, settings } = b
  return measureInRounds(b, [good, mid.sha, bad], 'midpoint', {
    describe: (round, add) =>
      settings.exact
        ? `  ${short(mid.sha)} ${quote(mid.subject, 60)}: counting good, midpoint, bad`
        : `  ${short(mid.sha)} ${quote(mid.subject, 60)}: round ${round}, ${add} more processes each of good, midpoint, bad`,
    judge: (samples) => {
      const triples = request.workloads.map((w) => ({
        workload: w,
        good: samplesOf(samples, good, w),
        mid: samplesOf(samples, mid.sha, w),
        bad: samplesOf(samples, bad, w),
      }))
      const primary = request.primary !== undefined ? { primary: request.primary } : {}
      // The probe measures the three builds in interleaved rounds: judge them round by round.
      return settings.exact
        ? judgeMidpointExact(triples, primary)
        : judgeMidpoint(triples, { alpha: settings.alpha, interleaved: true, ...primary })
    },
    decided: (v) => v.verdict === 'like-good' || v.verdict === 'like-bad',
  })
}

/**
 * Records the midpoint's step and narrows the range to the side it is like; an inconclusive
 * answer when the ends do not differ or the midpoint stayed between them.
 */
function narrow(
  b: Bisection,
  mid: BisectCommit,
  measured: Measured<MidpointVerdict>,
): BisectOutcome | undefined {
  const { verdict: v, processes } = measured
  for (const w of v.workloads) {
    if (w.ends?.differ) b.directions.set(w.workload, w.ends.logRatio > 0 ? 1 : -1)
  }
  const pos = v.pooled ? { f: v.pooled.f, low: v.pooled.low, high: v.pooled.high } : null
  const where = pos ? positionText(b.settings, pos) : 'no position'
  const measuredText = b.settings.exact ? 'counted' : `${processes} processes`
  b.settings.log(
    `  ${short(mid.sha)}: ${v.verdict} (${where}, ${measuredText})${v.split ? ', workloads disagree' : ''}`,
  )
  recordStep(b, mid, {
    outcome: v.verdict,
    processes,
    rounds: measured.rounds,
    position: pos,
    split: v.split,
    note: v.workloads
      .map((w) =>
        w.position
          ? `${w.workload} ${positionText(b.settings, w.position)}`
          : `${w.workload}: ends do not differ`,
      )
      .join('; '),
  })
  if (v.verdict === 'ends-same') {
    return inconclusive(
      b,
      `the ends do not differ in ${perBuild(b.settings, processes)} (could not reproduce the change)`,
    )
  }
  if (v.verdict === 'undecided') {
    return inconclusive(
      b,
      `${short(mid.sha)} stayed between the ends after ${perBuild(b.settings, processes)} (${where})`,
    )
  }
  const i = b.candidates.indexOf(mid)
  if (v.verdict === 'like-good') {
    b.good = mid.sha
    b.candidates = b.candidates.slice(i + 1)
  } else {
    b.bad = mid.sha
    b.candidates = b.candidates.slice(0, i)
  }
  return undefined
}

/**
 * One commit left: `bad`, whose first parent is `good`. Confirms it against its parent,
 * interleaved: it must move each workload the way the ends did.
 */
async function confirmCulprit(b: Bisection): Promise<BisectOutcome> {
  const { bad, good, settings } = b
  const culprit = await b.probe.commit(bad)
  const parent = culprit.parent ?? good
  if (parent !== good) {
    // Not reached with first-parent candidates; kept so a probe with another notion of range stays correct.
    if (!b.built.has(parent) && b.built.size >= settings.maxBuilds)
      return inconclusive(b, `the cap of ${settings.maxBuilds} builds was reached`)
    b.built.add(parent)
    const ready = await b.probe.prepare(parent)
    if (!ready.ok)
      return inconclusive(
        b,
        `the parent ${short(parent)} of ${short(bad)} cannot be measured: ${ready.reason}`,
      )
  }
  b.stepNo++
  const measured = await measureConfirmation(b, parent)
  if (measured === undefined) return inconclusive(b, 'interrupted')
  const { verdict: c, processes } = measured
  const ratios = c.workloads
    .filter((w) => w.estimate !== null)
    .map((w) =>
      settings.exact
        ? `${w.workload} ${w.estimate!.ratio.toFixed(4)}×`
        : `${w.workload} ${fmtRatio(w.estimate!.ratio)}× [${fmtRatio(w.estimate!.ratioLow)}, ${fmtRatio(w.estimate!.ratioHigh)}]`,
    )
    .join(', ')
  const level = basis(settings)
  if (c.verdict !== 'confirmed') {
    return inconclusive(
      b,
      `${short(bad)} ${c.verdict === 'contradicted' ? 'moved the other way' : 'did not show the change'} against its parent ${short(parent)} (${ratios || 'no measurement'}; ${level}, ${perBuild(settings, processes)})`,
    )
  }
  const note = `${short(bad)}${culprit.subject ? ` ${quote(culprit.subject, 80)}` : ''} against its parent ${short(parent)}: ${ratios} (ratio culprit/parent, ${level}, ${perBuild(settings, processes)}${settings.exact ? '' : ', interleaved'}); found in ${b.built.size} builds`
  settings.log(`bisect: culprit ${note}`)
  return {
    kind: 'culprit',
    culprit: { sha: culprit.sha, subject: culprit.subject },
    parent,
    confirmation: c,
    steps: b.steps,
    builds: b.built.size,
    note,
  }
}

/** The culprit against its parent after doubling rounds, interleaved; undefined when interrupted. */
function measureConfirmation(b: Bisection, parent: string): Promise<Measured<CulpritVerdict> | undefined> {
  const { bad, request, settings } = b
  return measureInRounds(b, [parent, bad], 'confirm', {
    describe: (round, add) =>
      settings.exact
        ? `  confirming ${short(bad)} against its parent ${short(parent)}: counting both`
        : `  confirming ${short(bad)} against its parent ${short(parent)}: round ${round}, ${add} more processes each`,
    judge: (samples) => {
      const pairs = request.workloads.map((w) => ({
        workload: w,
        parent: samplesOf(samples, parent, w),
        child: samplesOf(samples, bad, w),
        expectedSign: b.directions.get(w) ?? request.directions?.[w] ?? 1,
      }))
      return settings.exact
        ? judgeCulpritExact(pairs)
        : judgeCulprit(pairs, { alpha: settings.alpha, interleaved: true })
    },
    decided: (c) => c.verdict !== 'undecided',
  })
}
