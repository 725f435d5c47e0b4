import { studentTQuantile, studentTTwoSidedP } from '../distributions.ts'
import { bestSplit, energyTable } from './energy.ts'
import {
  type Block,
  estimateNoise,
  localNoise,
  MIN_LOG_VARIANCE,
  measuredSeries,
  median,
  pointVariances,
} from './noise.ts'
import { prepareSeries } from './prepare.ts'
import { kurtosisDof, passes, type StepContext, stepTest } from './steptest.ts'
import {
  type Change,
  type Detection,
  type DetectOptions,
  type Direction,
  type EpochBoundary,
  type NewestVerdict,
  type NoiseModel,
  type PreparedPoint,
  resolveOptions,
  type SeriesPoint,
  type StepEstimate,
} from './types.ts'

/**
 * Finds the commits that changed a series' level, how much, and how sure that is.
 *
 * Per epoch block (consecutive builds on one infrastructure): stage 1 proposes candidates with
 * E-Divisive means in sliding windows, keeps those a t-test on the neighbouring segments finds
 * significant at `firstPassPValue`, then merges them the way Otava does (drop the weakest until
 * every survivor has p ≤ maxPValue and a step above the floor). Stage 2 confirms each candidate
 * locally: at most `confirmWindow` builds on each side, builds as the unit, their variances from
 * the noise model and their own process means. Steps between blocks are reported as epoch
 * boundaries, never as changes. The newest build gets a provisional verdict at once.
 * Pure and deterministic: no clock, no randomness.
 * @example detectChanges(points, { maxPValue: 0.001, window: 50 }).changes
 */
export function detectChanges(points: readonly SeriesPoint[], options: DetectOptions = {}): Detection {
  const opts = resolveOptions(options)
  const prepared = prepareSeries(points)
  const series = measuredSeries(prepared.points)
  const noise = estimateNoise(series, opts)
  const context: StepContext = { series, variances: pointVariances(series, noise), noise, options: opts }
  const newestPosition = series.y.length - 1

  const confirmedByBlock = series.blocks.map((block) => {
    const weak = splitBlock(context, block)
    const merged = mergeWeak(context, block, weak)
    // A candidate with only the newest build after it is the provisional rule's business.
    const settled = merged.filter((cp) => cp !== newestPosition)
    return confirm(context, block, settled)
  })

  const changes: Change[] = []
  series.blocks.forEach((block, b) => {
    for (const { position, step } of confirmedByBlock[b] ?? []) {
      changes.push(makeChange(context, prepared.points, block, { position, step, state: 'confirmed' }))
    }
  })
  const judged = judgeNewestMeasured(context, prepared.points, confirmedByBlock)
  // Segments next to an epoch boundary end at every known step, a provisional one included.
  const cutsByBlock = confirmedByBlock.map((confirmed) => confirmed.map((c) => c.position))
  if (judged !== 'new-epoch' && judged.kind === 'provisional') {
    cutsByBlock[cutsByBlock.length - 1]?.push(newestPosition)
    changes.push(judged.change)
  }
  const epochs = boundaries(context, prepared.points, cutsByBlock)
  const newestPoint = prepared.points[prepared.points.length - 1]
  const lastBoundary = epochs[epochs.length - 1]
  let newest: NewestVerdict
  if (newestPoint?.state === 'unmeasured') {
    // A failed newest build is the news of the morning; a provisional step before it stays listed.
    newest = { kind: 'failed', id: newestPoint.id, reason: newestPoint.reason }
  } else if (judged === 'new-epoch') {
    newest =
      lastBoundary === undefined
        ? { kind: 'not-enough-evidence', id: newestPoint?.id ?? '', reason: 'no-baseline', step: null }
        : { kind: 'new-epoch', id: lastBoundary.id, boundary: lastBoundary }
  } else newest = judged
  return { points: prepared.points, changes, newest, noise, epochs, excluded: prepared.excluded }
}

/** A confirmed change position (first build of the new level) with its local step. */
interface Confirmed {
  readonly position: number
  readonly step: StepEstimate
}

/**
 * Stage 1, split: Otava's sliding windows (length `window`, advancing by half a window or to the
 * last change found), E-Divisive inside each, every candidate kept while its t-test passes the
 * first-pass threshold (Fleming et al. 2023, "Hunter", ICPE).
 */
function splitBlock(context: StepContext, block: Block): number[] {
  const { window, firstPassPValue } = context.options
  const found = new Set<number>()
  if (block.end - block.start < 2) return []
  const stride = Math.max(1, Math.floor(window / 2))
  let start = block.start
  while (start < block.end) {
    const end = Math.min(start + window, block.end)
    const inWindow = splitWindow(context, start, end, firstPassPValue)
    for (const cp of inWindow) found.add(cp)
    const last = inWindow.length > 0 ? (inWindow[inWindow.length - 1] ?? start) : start
    start = Math.max(last, start + stride)
  }
  return [...found].sort((a, b) => a - b)
}

/** E-Divisive on y[start, end): split the most divergent interval while the split is significant. */
function splitWindow(context: StepContext, start: number, end: number, maxPValue: number): number[] {
  const table = energyTable(context.series.y, start, end)
  const cuts = [start, end]
  const best = new Map<number, { tau: number; q: number } | null>()
  const candidateOf = (s: number, e: number) => {
    let c = best.get(s)
    if (c === undefined) {
      c = bestSplit(table, s, e)
      best.set(s, c)
    }
    return c
  }
  for (;;) {
    let pick: { s: number; e: number; tau: number; q: number } | null = null
    for (let i = 0; i + 1 < cuts.length; i++) {
      const s = cuts[i] ?? 0
      const e = cuts[i + 1] ?? 0
      const c = candidateOf(s, e)
      if (c !== null && (pick === null || c.q > pick.q)) pick = { s, e, ...c }
    }
    if (pick === null) break
    const step = stepTest(context, { start: pick.s, end: pick.tau }, { start: pick.tau, end: pick.e })
    if (!(step.pValue <= maxPValue)) break
    cuts.push(pick.tau)
    cuts.sort((a, b) => a - b)
    best.delete(pick.s)
  }
  return cuts.slice(1, -1)
}

/**
 * Stage 1, merge (Otava's `merge`): re-test every weak change point against its neighbours and
 * drop the weakest — highest p, or when all are significant the smallest step under the floor —
 * until all pass, re-testing the neighbours of each one dropped.
 */
function mergeWeak(context: StepContext, block: Block, weak: readonly number[]): number[] {
  const cps = [...weak]
  const { maxPValue } = context.options
  const test = (i: number) =>
    stepTest(
      context,
      { start: cps[i - 1] ?? block.start, end: cps[i] ?? 0 },
      { start: cps[i] ?? 0, end: cps[i + 1] ?? block.end },
    )
  const stats = cps.map((_, i) => test(i))
  while (cps.length > 0) {
    let weakest = argMax(stats, (s) => s.pValue)
    if ((stats[weakest]?.pValue ?? 1) <= maxPValue) {
      weakest = argMax(stats, (s) => -Math.abs(s.logRatio))
      if (Math.abs(stats[weakest]?.logRatio ?? 0) >= context.noise.floorLog) break
    }
    cps.splice(weakest, 1)
    stats.splice(weakest, 1)
    if (weakest - 1 >= 0) stats[weakest - 1] = test(weakest - 1)
    if (weakest < cps.length) stats[weakest] = test(weakest)
  }
  return cps
}

/**
 * Stage 2: each candidate against at most `confirmWindow` builds on each side (bounded by its
 * neighbours). The weakest failure is dropped and its neighbours re-tested until all pass.
 */
function confirm(context: StepContext, block: Block, candidates: readonly number[]): Confirmed[] {
  const cps = [...candidates]
  const { confirmWindow, maxPValue } = context.options
  // Each candidate is judged against the noise of its own stretch of history (localNoise).
  const noiseAt: NoiseModel[] = []
  const test = (i: number) => {
    const cp = cps[i] ?? 0
    const l0 = Math.max(cps[i - 1] ?? block.start, cp - confirmWindow)
    const r1 = Math.min(cps[i + 1] ?? block.end, cp + confirmWindow)
    const noise = localNoise(context, { start: l0, end: r1 }, cp)
    noiseAt[i] = noise
    const local =
      noise === context.noise
        ? context
        : { ...context, noise, variances: pointVariances(context.series, noise) }
    return stepTest(local, { start: l0, end: cp }, { start: cp, end: r1 })
  }
  const stats = cps.map((_, i) => test(i))
  for (;;) {
    let worst = -1
    for (let i = 0; i < stats.length; i++) {
      const s = stats[i]
      if (s === undefined || passes(s, noiseAt[i] ?? context.noise, maxPValue)) continue
      const w = stats[worst]
      if (
        w === undefined ||
        s.pValue > w.pValue ||
        (s.pValue === w.pValue && Math.abs(s.logRatio) < Math.abs(w.logRatio))
      )
        worst = i
    }
    if (worst < 0) break
    cps.splice(worst, 1)
    stats.splice(worst, 1)
    noiseAt.splice(worst, 1)
    if (worst - 1 >= 0) stats[worst - 1] = test(worst - 1)
    if (worst < cps.length) stats[worst] = test(worst)
  }
  return cps.map((position, i) => ({ position, step: stats[i] as StepEstimate }))
}

function argMax<T>(items: readonly T[], key: (item: T) => number): number {
  let best = 0
  let bestKey = Number.NEGATIVE_INFINITY
  items.forEach((item, i) => {
    const k = key(item)
    if (k > bestKey) {
      bestKey = k
      best = i
    }
  })
  return best
}

function direction(logRatio: number, lowerIsBetter: boolean): Direction {
  return logRatio > 0 === lowerIsBetter ? 'regression' : 'improvement'
}

/**
 * The change for a step `found` at a measured position of `block` (the first build of the new
 * level): the last good build is the measured one before it, the first bad the one at it, and the
 * unmeasured builds between them are listed.
 */
function makeChange(
  context: StepContext,
  points: readonly PreparedPoint[],
  block: Block,
  found: { readonly position: number; readonly step: StepEstimate; readonly state: Change['state'] },
): Change {
  const { series, options } = context
  const { position, step, state } = found
  const lastGoodIndex = series.pointIndex[position - 1] ?? 0
  const firstBadIndex = series.pointIndex[position] ?? 0
  const unmeasuredIds: string[] = []
  for (let i = lastGoodIndex + 1; i < firstBadIndex; i++) {
    const p = points[i]
    if (p !== undefined) unmeasuredIds.push(...p.ids)
  }
  return {
    state,
    direction: direction(step.logRatio, options.lowerIsBetter),
    epoch: block.epoch,
    lastGoodIndex,
    lastGoodId: points[lastGoodIndex]?.id ?? '',
    firstBadIndex,
    firstBadId: points[firstBadIndex]?.id ?? '',
    unmeasuredIds,
    step,
  }
}

/**
 * The level shift at each epoch boundary: the last segment of the old epoch (after its last
 * change, at most `confirmWindow` builds) against the first segment of the new one.
 */
function boundaries(
  context: StepContext,
  points: readonly PreparedPoint[],
  cutsByBlock: readonly (readonly number[])[],
): EpochBoundary[] {
  const { series, noise, options } = context
  const out: EpochBoundary[] = []
  for (let b = 1; b < series.blocks.length; b++) {
    const before = series.blocks[b - 1] as Block
    const after = series.blocks[b] as Block
    const lastCp = cutsByBlock[b - 1]?.at(-1) ?? before.start
    const firstCp = cutsByBlock[b]?.[0] ?? after.end
    const l0 = Math.max(lastCp, before.end - options.confirmWindow)
    const r1 = Math.min(firstCp, after.start + options.confirmWindow)
    const step = stepTest(context, { start: l0, end: before.end }, { start: after.start, end: r1 })
    const index = series.pointIndex[after.start] ?? 0
    const previousIndex = series.pointIndex[before.end - 1] ?? 0
    out.push({
      index,
      id: points[index]?.id ?? '',
      previousIndex,
      previousId: points[previousIndex]?.id ?? '',
      fromEpoch: before.epoch,
      toEpoch: after.epoch,
      step: Number.isFinite(step.logStderr) ? step : null,
      significant: Number.isFinite(step.logStderr) && passes(step, noise, options.maxPValue),
    })
  }
  return out
}

/**
 * The newest build against its segment (the builds of its epoch since the last confirmed change,
 * at most `window`): robust centre (median) and the noise model's σ, so the verdict needs no
 * later build. The reference is Student's t with the single-build tail dof, so an ordinary
 * outlier does not raise an alert; the floor applies as for any change.
 */
function judgeNewestMeasured(
  context: StepContext,
  points: readonly PreparedPoint[],
  confirmedByBlock: readonly (readonly Confirmed[])[],
): NewestVerdict | 'new-epoch' {
  const { series, noise, options } = context
  const position = series.y.length - 1
  const newestPoint = points[series.pointIndex[position] ?? -1]
  if (position < 0 || newestPoint === undefined) {
    const last = points[points.length - 1]
    if (last?.state === 'unmeasured') return { kind: 'failed', id: last.id, reason: last.reason }
    return { kind: 'empty' }
  }
  const blockIndex = series.blocks.length - 1
  const block = series.blocks[blockIndex] as Block
  if (block.start === position) return 'new-epoch'
  // Below one degree of freedom (fewer than three differences) the noise estimate is mostly the
  // very steps it should judge: neither "steady" nor "provisional" would be honest.
  if (noise.dof < 1) {
    return { kind: 'not-enough-evidence', id: newestPoint.id, reason: 'no-noise-estimate', step: null }
  }
  const lastCp = confirmedByBlock[blockIndex]?.at(-1)?.position ?? block.start
  const from = Math.max(lastCp, position - options.window)
  const baseline: number[] = []
  for (let i = from; i < position; i++) baseline.push(series.y[i] ?? 0)
  const nb = baseline.length
  const centre = median(baseline)
  const logRatio = (series.y[position] ?? 0) - centre
  // Variance of a median ≈ (π/2)·σ²/n (it equals the mean for n ≤ 2).
  const centreVariance = Math.max(
    ((nb <= 2 ? 1 : Math.PI / 2) * noise.buildSigmaLog ** 2) / nb,
    MIN_LOG_VARIANCE,
  )
  const logStderr = Math.sqrt((context.variances[position] ?? 0) + centreVariance)
  // Kurtosis of Δ as for one build against nb (the median is treated as a mean here).
  const vNew = context.variances[position] ?? MIN_LOG_VARIANCE
  const dof = Math.min(
    noise.dof,
    kurtosisDof(
      options.tailDof,
      { fourth: 1 / centreVariance ** 2 / nb, weight: 1 / centreVariance },
      { fourth: 1 / vNew ** 2, weight: 1 / vNew },
    ),
  )
  let pValue = logStderr > 0 ? studentTTwoSidedP(logRatio / logStderr, dof) : logRatio === 0 ? 1 : 0
  if (Number.isNaN(pValue)) pValue = 1
  const half = studentTQuantile(1 - (1 - options.confidence) / 2, dof) * logStderr
  const step: StepEstimate = {
    ratio: Math.exp(logRatio),
    ratioLow: Math.exp(logRatio - half),
    ratioHigh: Math.exp(logRatio + half),
    logRatio,
    logStderr,
    pValue,
    dof,
    pointsBefore: nb,
    pointsAfter: 1,
  }
  if (Math.abs(logRatio) < noise.floorLog) return { kind: 'steady', id: newestPoint.id, step }
  if (pValue > options.provisionalPValue) {
    return { kind: 'not-enough-evidence', id: newestPoint.id, reason: 'inconclusive', step }
  }
  const change = makeChange(context, points, block, { position, step, state: 'provisional' })
  return { kind: 'provisional', id: newestPoint.id, change }
}
