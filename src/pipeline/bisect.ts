import { LangperfError, quote } from '../lib/index.ts'
import { doublingRound } from './rounds.ts'
import {
  BISECT_ALPHA,
  type CulpritVerdict,
  judgeCulprit,
  judgeMidpoint,
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
  const startProcesses = options.startProcesses ?? BISECT_DEFAULTS.startProcesses
  const maxRounds = options.maxRounds ?? BISECT_DEFAULTS.maxRounds
  const maxBuilds = options.maxBuilds ?? BISECT_DEFAULTS.maxBuilds
  const alpha = options.alpha ?? BISECT_ALPHA
  const log = options.log ?? (() => {})
  for (const [label, v, min] of [
    ['startProcesses', startProcesses, 2],
    ['maxRounds', maxRounds, 1],
    ['maxBuilds', maxBuilds, 1],
  ] as const) {
    if (!Number.isInteger(v) || v < min) {
      throw new LangperfError(
        'bad-input',
        `Cannot bisect with ${label} ${quote(v)}: expected an integer ≥ ${min}`,
      )
    }
  }
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
  let good = request.good
  let bad = request.bad
  let candidates = [...(await probe.between(good, bad))]
  const failedBuilds = new Set<string>()
  const steps: BisectStep[] = []
  const built = new Set<string>()
  /** Which way each workload moved from good to bad, from the ends as measured here. */
  const directions = new Map<string, 1 | -1>()
  let stepNo = 0
  log(
    `bisect ${short(good)}..${short(bad)}: ${candidates.length + 1} commits in the range, workloads ${request.workloads.join(', ')}`,
  )
  const inconclusive = (reason: string): BisectOutcome => {
    const note = `inconclusive: ${reason}; the change is in ${short(good)}..${short(bad)} (${candidates.length + 1} commits; ${built.size} builds)`
    log(`bisect: ${note}`)
    return { kind: 'inconclusive', reason, good, bad, steps, builds: built.size, note }
  }

  while (candidates.length > 0) {
    if (options.signal?.aborted) return inconclusive('interrupted')
    const usable = candidates.filter((c) => !failedBuilds.has(c.sha))
    if (usable.length === 0) {
      return inconclusive(
        `every commit left in the range failed to build (${candidates.map((c) => short(c.sha)).join(', ')})`,
      )
    }
    // The usable commit nearest the middle of the range (the lower middle for an even count).
    const middle = (candidates.length - 1) / 2
    const mid = usable.reduce((best, c) =>
      Math.abs(candidates.indexOf(c) - middle) < Math.abs(candidates.indexOf(best) - middle) ? c : best,
    )
    if (!built.has(mid.sha) && built.size >= maxBuilds) {
      return inconclusive(`the cap of ${maxBuilds} builds was reached`)
    }
    built.add(mid.sha)
    stepNo++
    const ready = await probe.prepare(mid.sha)
    if (!ready.ok) {
      failedBuilds.add(mid.sha)
      log(`  ${short(mid.sha)} cannot be measured (${ready.reason}): set aside`)
      steps.push({
        sha: mid.sha,
        subject: mid.subject,
        good,
        bad,
        candidates: candidates.length,
        outcome: 'build-failed',
        processes: 0,
        rounds: 0,
        position: null,
        split: false,
        note: ready.reason,
      })
      continue
    }
    const samples: Samples = new Map()
    let verdict: MidpointVerdict | null = null
    let processes = 0
    let round = 0
    for (round = 1; round <= maxRounds; round++) {
      if (options.signal?.aborted) return inconclusive('interrupted')
      const add = doublingRound(round, startProcesses, processes)
      log(
        `  ${short(mid.sha)} ${quote(mid.subject, 60)}: round ${round}, ${add} more processes each of good, midpoint, bad`,
      )
      addSamples(
        samples,
        await probe.measure([good, mid.sha, bad], request.workloads, add, {
          round,
          phase: 'midpoint',
          step: stepNo,
        }),
      )
      processes += add
      verdict = judgeMidpoint(
        request.workloads.map((w) => ({
          workload: w,
          good: samplesOf(samples, good, w),
          mid: samplesOf(samples, mid.sha, w),
          bad: samplesOf(samples, bad, w),
        })),
        // The probe measures the three builds in interleaved rounds: judge them round by round.
        { alpha, interleaved: true, ...(request.primary !== undefined ? { primary: request.primary } : {}) },
      )
      if (verdict.verdict === 'like-good' || verdict.verdict === 'like-bad') break
    }
    const v = verdict!
    for (const w of v.workloads) {
      if (w.ends?.differ) directions.set(w.workload, w.ends.logRatio > 0 ? 1 : -1)
    }
    const pos = v.pooled ? { f: v.pooled.f, low: v.pooled.low, high: v.pooled.high } : null
    const where = pos
      ? `f = ${pos.f.toFixed(2)} [${pos.low.toFixed(2)}, ${pos.high.toFixed(2)}]`
      : 'no position'
    log(
      `  ${short(mid.sha)}: ${v.verdict} (${where}, ${processes} processes)${v.split ? ', workloads disagree' : ''}`,
    )
    steps.push({
      sha: mid.sha,
      subject: mid.subject,
      good,
      bad,
      candidates: candidates.length,
      outcome: v.verdict,
      processes,
      rounds: Math.min(round, maxRounds),
      position: pos,
      split: v.split,
      note: v.workloads
        .map((w) =>
          w.position
            ? `${w.workload} f = ${w.position.f.toFixed(2)} [${w.position.low.toFixed(2)}, ${w.position.high.toFixed(2)}]`
            : `${w.workload}: ends do not differ`,
        )
        .join('; '),
    })
    if (v.verdict === 'ends-same') {
      return inconclusive(
        `the ends do not differ in ${processes} processes each (could not reproduce the change)`,
      )
    }
    if (v.verdict === 'undecided') {
      return inconclusive(
        `${short(mid.sha)} stayed between the ends after ${processes} processes each (${where})`,
      )
    }
    const i = candidates.indexOf(mid)
    if (v.verdict === 'like-good') {
      good = mid.sha
      candidates = candidates.slice(i + 1)
    } else {
      bad = mid.sha
      candidates = candidates.slice(0, i)
    }
  }

  // One commit left: `bad`, whose first parent is `good`. Confirm it against its parent,
  // interleaved: it must move each workload the way the ends did.
  const culprit = await probe.commit(bad)
  const parent = culprit.parent ?? good
  if (parent !== good) {
    // Not reached with first-parent candidates; kept so a probe with another notion of range stays correct.
    if (!built.has(parent) && built.size >= maxBuilds)
      return inconclusive(`the cap of ${maxBuilds} builds was reached`)
    built.add(parent)
    const ready = await probe.prepare(parent)
    if (!ready.ok)
      return inconclusive(`the parent ${short(parent)} of ${short(bad)} cannot be measured: ${ready.reason}`)
  }
  const samples: Samples = new Map()
  let confirmation: CulpritVerdict | null = null
  let processes = 0
  stepNo++
  for (let round = 1; round <= maxRounds; round++) {
    if (options.signal?.aborted) return inconclusive('interrupted')
    const add = doublingRound(round, startProcesses, processes)
    log(
      `  confirming ${short(bad)} against its parent ${short(parent)}: round ${round}, ${add} more processes each`,
    )
    addSamples(
      samples,
      await probe.measure([parent, bad], request.workloads, add, { round, phase: 'confirm', step: stepNo }),
    )
    processes += add
    confirmation = judgeCulprit(
      request.workloads.map((w) => ({
        workload: w,
        parent: samplesOf(samples, parent, w),
        child: samplesOf(samples, bad, w),
        expectedSign: directions.get(w) ?? request.directions?.[w] ?? 1,
      })),
      { alpha, interleaved: true },
    )
    if (confirmation.verdict !== 'undecided') break
  }
  const c = confirmation!
  const ratios = c.workloads
    .filter((w) => w.estimate !== null)
    .map(
      (w) =>
        `${w.workload} ${fmtRatio(w.estimate!.ratio)}× [${fmtRatio(w.estimate!.ratioLow)}, ${fmtRatio(w.estimate!.ratioHigh)}]`,
    )
    .join(', ')
  const level = `${Math.round((1 - alpha) * 100)} % intervals`
  if (c.verdict !== 'confirmed') {
    return inconclusive(
      `${short(bad)} ${c.verdict === 'contradicted' ? 'moved the other way' : 'did not show the change'} against its parent ${short(parent)} (${ratios || 'no measurement'}; ${level}, ${processes} processes each)`,
    )
  }
  const note = `${short(bad)}${culprit.subject ? ` ${quote(culprit.subject, 80)}` : ''} against its parent ${short(parent)}: ${ratios} (ratio culprit/parent, ${level}, ${processes} processes each, interleaved); found in ${built.size} builds`
  log(`bisect: culprit ${note}`)
  return {
    kind: 'culprit',
    culprit: { sha: culprit.sha, subject: culprit.subject },
    parent,
    confirmation: c,
    steps,
    builds: built.size,
    note,
  }
}
