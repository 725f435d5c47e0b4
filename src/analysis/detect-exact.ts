import { median, orderFromCommitDate } from '../stats/index.ts'
import type { ChangeInput, ChangeKey, ChangeRow, RunFacts, SeriesKey, SeriesPoint } from '../store/index.ts'
import { INSTRUCTION_MIN_EFFECT } from './compare.ts'
import { epochFacts, lowerIsBetter } from './epochs.ts'

// Detection on a series' instruction-count history (runs of the `instructions` preset), pure:
// counts of one build repeat to the instruction, so a change is no statistic but a step between
// consecutive builds of at least the exact threshold that the next build does not undo
// (docs/stats.md, "Instruction counts in detection"). detect-plan.ts adds these changes to the
// timing history's; they are recorded with measure `instructions` and never merge with a time change.

/** One count of the history: a build's value (null: its build or workload failed) and its place. */
export interface ExactPoint {
  /** Names the point in the answer (a result id). */
  readonly id: string
  /** The build it counts: points of one build are one value (their median). */
  readonly build: number
  /** History position (ancestry or commit date); equal positions keep their given order. */
  readonly order: number
  readonly value: number | null
}

/** A step the exact rule found between two measured builds. */
export interface ExactStep {
  /** Ids of the first point of the last build at the old level and of the first build at the new. */
  readonly lastGoodId: string
  readonly firstBadId: string
  /** Builds between them: failed builds and single-build blips that returned. */
  readonly unmeasuredIds: readonly string[]
  readonly before: number
  readonly after: number
  /** after / before. */
  readonly ratio: number
  /** Confirmed when the next build stays on the new side of the midpoint; provisional when there is none yet. */
  readonly state: 'provisional' | 'confirmed'
}

interface Build {
  readonly ids: readonly string[]
  readonly value: number | null
}

/** The points grouped by build in history order, each build's value the median of its counts. */
function buildsOf(points: readonly ExactPoint[]): Build[] {
  const sorted = points.map((p, i) => ({ p, i })).sort((a, b) => a.p.order - b.p.order || a.i - b.i)
  const byBuild = new Map<number, { ids: string[]; values: number[] }>()
  const order: number[] = []
  for (const { p } of sorted) {
    let b = byBuild.get(p.build)
    if (!b) {
      b = { ids: [], values: [] }
      byBuild.set(p.build, b)
      order.push(p.build)
    }
    b.ids.push(p.id)
    if (p.value !== null && Number.isFinite(p.value) && p.value > 0) b.values.push(p.value)
  }
  return order.map((id) => {
    const b = byBuild.get(id)!
    return { ids: b.ids, value: b.values.length > 0 ? median(b.values) : null }
  })
}

/**
 * The exact rule over one count history: walking the measured builds in order, a step from the
 * last build of the current level to a build whose count differs by at least `threshold`
 * (|ratio − 1|, INSTRUCTION_MIN_EFFECT unless given) is a change when the next measured build
 * stays on the new side of their geometric midpoint (confirmed), or when there is no next build
 * yet (provisional); a build that returns is a blip, left out of the level. Failed builds are
 * skipped and named in the step's `unmeasuredIds`, with the blips between its ends.
 * @example exactSteps([100, 100, 101, 101] as points).length === 1 // ratio 1.01, confirmed
 */
export function exactSteps(
  points: readonly ExactPoint[],
  threshold: number = INSTRUCTION_MIN_EFFECT,
): ExactStep[] {
  const builds = buildsOf(points)
  const measured: number[] = []
  for (const [i, b] of builds.entries()) if (b.value !== null) measured.push(i)
  const steps: ExactStep[] = []
  if (measured.length < 2) return steps
  let level = measured[0]!
  for (let m = 1; m < measured.length; m++) {
    const at = measured[m]!
    const before = builds[level]!.value!
    const after = builds[at]!.value!
    const ratio = after / before
    if (Math.abs(ratio - 1) < threshold) {
      level = at
      continue
    }
    const next = measured[m + 1]
    let state: ExactStep['state'] = 'provisional'
    if (next !== undefined) {
      const mid = Math.sqrt(before * after)
      const v = builds[next]!.value!
      if (ratio > 1 ? v <= mid : v >= mid) continue // a blip: the next build returned
      state = 'confirmed'
    }
    steps.push({
      lastGoodId: builds[level]!.ids[0]!,
      firstBadId: builds[at]!.ids[0]!,
      unmeasuredIds: builds.slice(level + 1, at).flatMap((b) => b.ids),
      before,
      after,
      ratio,
      state,
    })
    level = at
  }
  return steps
}

/**
 * Epoch facts that move an instruction count: the suite, the harness and the compiler. The
 * kernel and the CPU settings move times, not the instructions callgrind counts in user space.
 */
const COUNT_EPOCH_FIELDS = ['suiteVersion', 'harnessVersion', 'compiler'] as const

/** What of COUNT_EPOCH_FIELDS differs between two runs, as `field: old → new`. */
function countEpochChanges(a: RunFacts | undefined, b: RunFacts | undefined): string[] {
  if (!a || !b) return []
  const fa = epochFacts(a)
  const fb = epochFacts(b)
  return COUNT_EPOCH_FIELDS.filter((f) => fa[f] !== fb[f]).map(
    (f) => `${f}: ${fa[f] ?? '?'} → ${fb[f] ?? '?'}`,
  )
}

/** What the exact pass over one series records and withdraws. */
export interface ExactPlan {
  readonly changes: readonly ChangeInput[]
  readonly withdrawn: readonly ChangeKey[]
  /** Whether the series had a count history in order (else it was not judged). */
  readonly judged: boolean
}

/**
 * The count history of one series judged by the exact rule (pure): its points (runs of the
 * `instructions` preset, bisection left out) in the timing history's order (ancestry when every
 * build has a first-parent position, else commit date), steps as changes of measure
 * `instructions` (ratio = interval = after/before, p-value 0, method `exact`), a step whose blame
 * range crosses a change of suite, harness or compiler as infrastructure; the blame of a change
 * recorded before at a neighbouring build kept; provisional count changes no longer found withdrawn.
 */
export function planExact(
  input: {
    readonly series: SeriesKey
    readonly counts: readonly SeriesPoint[]
    readonly runs: ReadonlyMap<number, RunFacts>
    /** Its recorded count changes, provisional or confirmed. */
    readonly known: readonly ChangeRow[]
  },
  options: { readonly threshold?: number } = {},
): ExactPlan {
  const { series, counts, runs } = input
  const historyOrder = (p: SeriesPoint): number | null => {
    const v = runs.get(p.runId)?.build.metadata.history_order
    return typeof v === 'number' && Number.isFinite(v) ? v : null
  }
  const ancestry = counts.length > 0 && counts.every((p) => historyOrder(p) !== null)
  const ordered = ancestry ? counts : counts.filter((p) => p.commitDateUtc !== null)
  const withdrawAll = (): ChangeKey[] =>
    input.known
      .filter((k) => k.status === 'provisional')
      .map((k) => ({ series, measure: 'instructions' as const, firstBadBuildId: k.firstBad.buildId }))
  if (ordered.length === 0) return { changes: [], withdrawn: withdrawAll(), judged: false }
  const byId = new Map(ordered.map((p) => [String(p.resultId), p]))
  const points: ExactPoint[] = ordered.map((p) => ({
    id: String(p.resultId),
    build: p.buildId,
    order: ancestry ? historyOrder(p)! : orderFromCommitDate(p.commitDateUtc!),
    value: p.state === 'measured' ? p.summary.mean : null,
  }))
  const threshold = options.threshold ?? INSTRUCTION_MIN_EFFECT
  const unit = ordered.find((p) => p.state === 'measured')?.unit ?? 'instruction'
  const lower = lowerIsBetter(unit)
  // Build positions, to recognise a recorded change whose blame a new build moved by one or two.
  const position = new Map<number, number>()
  for (const p of [...points].sort((a, b) => a.order - b.order))
    if (!position.has(p.build)) position.set(p.build, position.size)
  const changes: ChangeInput[] = []
  for (const s of exactSteps(points, threshold)) {
    const good = byId.get(s.lastGoodId)!
    const bad = byId.get(s.firstBadId)!
    const direction = s.ratio > 1 === lower ? 'regression' : 'improvement'
    const at = position.get(bad.buildId)!
    const same = input.known.find((k) => {
      const kAt = position.get(k.firstBad.buildId)
      return k.direction === direction && kAt !== undefined && kAt !== at && Math.abs(kAt - at) <= 2
    })
    const lastGood = same
      ? same.lastGood
      : { buildId: good.buildId, resultId: good.resultId, commitSha: good.commitSha }
    const firstBad = same
      ? same.firstBad
      : { buildId: bad.buildId, resultId: bad.resultId, commitSha: bad.commitSha }
    const infrastructure = countEpochChanges(runs.get(good.runId), runs.get(bad.runId))
    changes.push({
      kind: infrastructure.length > 0 ? 'infrastructure' : 'commit',
      series,
      measure: 'instructions',
      lastGood,
      firstBad,
      unit,
      ratio: s.ratio,
      ratioLow: s.ratio,
      ratioHigh: s.ratio,
      pValue: 0,
      direction,
      status: s.state,
      details: {
        method: 'exact',
        threshold,
        countBefore: s.before,
        countAfter: s.after,
        unmeasuredResultIds: s.unmeasuredIds.map(Number),
        ...(infrastructure.length > 0 ? { infrastructure } : {}),
      },
    })
  }
  const found = new Set(changes.map((c) => c.firstBad.buildId))
  const withdrawn = withdrawAll().filter((k) => !found.has(k.firstBadBuildId))
  return { changes, withdrawn, judged: true }
}
