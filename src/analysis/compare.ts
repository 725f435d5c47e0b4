import { type JsonValue, LangperfError } from '../lib/index.ts'
import { DEFAULT_MIN_EFFECT } from '../model/index.ts'
import {
  type ComparisonResult,
  compareTwo,
  type ExtraLogVariance,
  exactComparison,
  type GeometricMeanRatio,
  geometricMean,
  geometricMeanRatioFromEstimates,
  type Insufficient,
  type LogRatioEstimate,
  logRatioStderr,
  type Verdict,
  verdictOf,
} from '../stats/index.ts'
import type { BuildCatalog, ResultRow, RunReader, RunRow } from '../store/index.ts'
import { type BetweenRunNoise, learnAcrossRuns, ratioExtraVariance } from './between-runs.ts'
import { epochDifferences } from './epochs.ts'
import { resultMetrics } from './metrics.ts'
import { type CompareCaveat, separateRunCaveats } from './run-caveats.ts'

/**
 * The smallest |ratio − 1| of two instruction counts called a change unless `minEffect` is given:
 * 0.5 %. Two counts of one build at one loop count are equal; at other loop counts (two builds
 * calibrated apart) a workload's count per loop moved by up to 0.11 % here, and the subtraction
 * method's residue is below 0.01 % (docs/stats.md, "Instruction counts").
 */
export const INSTRUCTION_MIN_EFFECT = 0.005

/** An instruction count's value: the mean of its processes' (one process, unrounded by logs). */
function countOf(r: ResultRow): number {
  return r.processMeans.reduce((a, b) => a + b, 0) / r.processMeans.length
}

/** True when both results are instruction counts (`--measure instructions`): compared exactly. */
function exactCounts(b: ResultRow, c: ResultRow): boolean {
  return b.unit === 'instruction' && c.unit === 'instruction'
}

// The A/B comparison of two runs: per workload the ratio candidate/base of per-process means
// with its interval and verdict, sorted, and the geometric mean over the workloads both sides
// measured. Workloads whose versions differ are never compared (a changed workload is a new
// series), and are listed as such.

/** One workload of a comparison. */
export interface CompareRow {
  readonly workload: string
  readonly unit: string
  readonly tags: readonly string[]
  /**
   * Geometric mean of the base's per-process means: the statistic the ratio is made of, so that
   * candidateMean / baseMean is the ratio shown (null without measured processes).
   */
  readonly baseMean: number | null
  /** Geometric mean of the candidate's per-process means. */
  readonly candidateMean: number | null
  readonly comparison: ComparisonResult
  /** True when the two sides ran different workload versions (only with allowVersionMismatch). */
  readonly versionsDiffer: boolean
  /** The between-run noise in the interval (separate runs); null when the runs were interleaved. */
  readonly betweenRuns: BetweenRunNoise | null
  /** The loop counts per value when they differ (a different calibration); null when equal. */
  readonly loops: { readonly base: number; readonly candidate: number } | null
  /**
   * The secondary metrics both sides recorded per process (a server workload's requests/s and
   * latency percentiles, analysis/metrics.ts), each compared as the value is; empty for most.
   */
  readonly metrics: readonly MetricComparison[]
}

/** One secondary metric of a compared workload. */
export interface MetricComparison {
  readonly name: string
  readonly label: string
  readonly unit: string
  readonly lowerIsBetter: boolean
  /** Geometric mean of the base's per-process values. */
  readonly baseMean: number | null
  readonly candidateMean: number | null
  /** Its verdict reads "faster" for a better value: higher requests/s, lower latency. */
  readonly comparison: ComparisonResult
}

/** A workload present on only one side, measured on one side only, or in two versions. */
export interface UncomparedRow {
  readonly workload: string
  readonly why: string
}

/** The whole comparison. */
export interface CompareReport {
  readonly base: RunRow
  readonly candidate: RunRow
  readonly confidence: number
  readonly minEffect: number
  /** Slowest first (largest ratio for times). */
  readonly rows: readonly CompareRow[]
  readonly uncompared: readonly UncomparedRow[]
  readonly geometricMean: GeometricMeanRatio | Insufficient
  /** The geometric mean's verdict, by the rule of every row (geometricMeanVerdict). */
  readonly geometricMeanVerdict: Verdict
  /**
   * Whether the runs were measured together; when not, the intervals include between-run noise
   * (`suite`: that of the geometric mean; each row carries its own).
   */
  readonly acrossRuns: { readonly interleaved: boolean; readonly suite: BetweenRunNoise | null }
  /**
   * Facts the two runs do not share: infrastructure (kernel, CPU configuration, compiler,
   * suite…), and for separate runs loop counts and machine load.
   */
  readonly caveats: readonly CompareCaveat[]
}

/** Options of compareRuns. */
export interface CompareRunsOptions {
  readonly confidence?: number
  /** Smallest |ratio − 1| called a change; DEFAULT_MIN_EFFECT (1 %) when absent, 0: the interval decides alone. */
  readonly minEffect?: number
  /** Keep only workloads with one of these tags. */
  readonly tags?: readonly string[]
  /**
   * Compare workloads whose versions differ (e.g. two pyperformance builds with different
   * benchmark_hash); such rows carry `versionsDiffer`. Off by default: a changed workload is a
   * new series.
   */
  readonly allowVersionMismatch?: boolean
}

function tagsOf(result: ResultRow, manifestTags: ReadonlyMap<string, readonly string[]>): string[] {
  const fromMeta = result.metadata.tags
  if (Array.isArray(fromMeta)) return fromMeta.filter((t: JsonValue): t is string => typeof t === 'string')
  return [...(manifestTags.get(`${result.workload.name}@${result.workload.version}`) ?? [])]
}

/** Compares two stored runs workload by workload. */
export async function compareRuns(
  store: RunReader & BuildCatalog,
  baseRunId: number,
  candidateRunId: number,
  options: CompareRunsOptions = {},
): Promise<CompareReport> {
  const confidence = options.confidence ?? 0.95
  const minEffect = options.minEffect ?? DEFAULT_MIN_EFFECT
  const [base, candidate] = await Promise.all([store.getRun(baseRunId), store.getRun(candidateRunId)])
  if (!base) throw new LangperfError('not-found', `Cannot compare run ${baseRunId}: no such run`)
  if (!candidate) throw new LangperfError('not-found', `Cannot compare run ${candidateRunId}: no such run`)
  const [baseResults, candResults, workloads] = await Promise.all([
    store.getResults(baseRunId),
    store.getResults(candidateRunId),
    store.listWorkloads(),
  ])
  const manifestTags = new Map<string, readonly string[]>()
  for (const w of workloads) {
    const t = w.manifest?.tags
    if (Array.isArray(t))
      manifestTags.set(
        `${w.name}@${w.version}`,
        t.filter((x): x is string => typeof x === 'string'),
      )
  }
  const candByName = new Map(candResults.map((r) => [r.workload.name, r]))
  const baseNames = new Set(baseResults.map((r) => r.workload.name))
  const rows: CompareRow[] = []
  const uncompared: UncomparedRow[] = []
  const toCompare: { b: ResultRow; c: ResultRow; tags: string[]; versionsDiffer: boolean }[] = []
  const wanted = options.tags && options.tags.length > 0 ? new Set(options.tags) : null
  for (const b of baseResults) {
    const c = candByName.get(b.workload.name)
    const tags = tagsOf(b, manifestTags)
    if (wanted && !tags.some((t) => wanted.has(t))) continue
    if (!c) {
      uncompared.push({ workload: b.workload.name, why: 'only in the base run' })
      continue
    }
    const versionsDiffer = b.workload.version !== c.workload.version
    if (versionsDiffer && !options.allowVersionMismatch) {
      uncompared.push({
        workload: b.workload.name,
        why: `workload versions differ (${b.workload.version} vs ${c.workload.version}): a changed workload is not compared with its old self`,
      })
      continue
    }
    if (b.outcome.state !== 'measured' || c.outcome.state !== 'measured') {
      const side = (r: ResultRow, label: string) =>
        r.outcome.state === 'measured'
          ? null
          : `${label} ${r.outcome.state}: ${'message' in r.outcome ? r.outcome.message : ''}`
      uncompared.push({
        workload: b.workload.name,
        why: [side(b, 'base'), side(c, 'candidate')].filter(Boolean).join('; '),
      })
      continue
    }
    toCompare.push({ b, c, tags, versionsDiffer })
  }
  const acrossRuns = await learnAcrossRuns(
    store,
    base,
    candidate,
    new Map(
      toCompare.map(({ b, c }) => [
        b.workload.name,
        { base: b.workload.version, candidate: c.workload.version },
      ]),
    ),
  )
  const estimates: LogRatioEstimate[] = []
  for (const { b, c, tags, versionsDiffer } of toCompare) {
    const exact = exactCounts(b, c)
    const noise = exact ? undefined : acrossRuns.workloads.get(b.workload.name)
    const comparison = exact
      ? exactComparison(countOf(b), countOf(c), {
          minEffect: options.minEffect ?? INSTRUCTION_MIN_EFFECT,
        })
      : compareTwo(b.processMeans, c.processMeans, {
          confidence,
          minEffect,
          ...(noise ? { extraLogVariance: ratioExtraVariance(noise) } : {}),
        })
    rows.push({
      workload: b.workload.name,
      unit: b.unit,
      tags,
      baseMean: exact ? countOf(b) : geometricMeanOf(b.processMeans),
      candidateMean: exact ? countOf(c) : geometricMeanOf(c.processMeans),
      comparison,
      versionsDiffer,
      betweenRuns: noise ?? null,
      loops: b.loops === c.loops ? null : { base: b.loops, candidate: c.loops },
      metrics: compareMetrics(b, c, {
        confidence,
        minEffect,
        ...(noise ? { extraLogVariance: ratioExtraVariance(noise) } : {}),
      }),
    })
    const estimate = logRatioStderr(b.processMeans, c.processMeans)
    if (comparison.kind === 'comparison' && estimate.kind === 'log-ratio') estimates.push(estimate)
  }
  for (const c of candResults) {
    if (baseNames.has(c.workload.name)) continue
    if (wanted && !tagsOf(c, manifestTags).some((t) => wanted.has(t))) continue
    uncompared.push({ workload: c.workload.name, why: 'only in the candidate run' })
  }
  const ratioOf = (r: CompareRow) =>
    r.comparison.kind === 'comparison' ? r.comparison.ratio : Number.NEGATIVE_INFINITY
  rows.sort((x, y) => ratioOf(y) - ratioOf(x) || x.workload.localeCompare(y.workload))
  const geometricMean =
    estimates.length > 0
      ? geometricMeanRatioFromEstimates(estimates, {
          confidence,
          ...(acrossRuns.suite ? { extraLogVariance: ratioExtraVariance(acrossRuns.suite) } : {}),
        })
      : ({
          kind: 'insufficient',
          reason: rows.some((r) => r.comparison.kind === 'comparison' && r.comparison.method === 'exact')
            ? 'Instruction counts: each workload compares exactly, with no interval to combine into a geometric mean'
            : 'No workload was compared',
        } as const)
  return {
    base,
    candidate,
    confidence,
    minEffect,
    rows,
    uncompared,
    geometricMean,
    geometricMeanVerdict: geometricMeanVerdict(geometricMean, minEffect),
    acrossRuns: { interleaved: acrossRuns.interleaved, suite: acrossRuns.suite },
    caveats: [...epochDifferences(base, candidate), ...separateRunCaveats(base, candidate, rows)],
  }
}

/**
 * The verdict of a geometric mean, by the rule of every workload's (stats' verdictOf): slower or
 * faster only when its measurement interval excludes 1 and it is at least `minEffect` from 1.
 */
export function geometricMeanVerdict(g: GeometricMeanRatio | Insufficient, minEffect: number): Verdict {
  if (g.kind === 'insufficient') return 'insufficient'
  return verdictOf(g.measurement.low, g.measurement.high, g.estimate, { lowerIsBetter: true, minEffect })
}

/**
 * The CI gate of `compare --fail-on-slowdown PCT`: the workloads (and the geometric mean) that
 * are significantly slower by at least PCT percent.
 */
export function slowdownsOver(report: CompareReport, pct: number): string[] {
  const limit = 1 + pct / 100
  const out: string[] = []
  for (const r of report.rows) {
    if (
      r.comparison.kind === 'comparison' &&
      r.comparison.verdict === 'slower' &&
      r.comparison.ratio >= limit
    ) {
      out.push(r.workload)
    }
  }
  const g = report.geometricMean
  if (g.kind !== 'insufficient' && report.geometricMeanVerdict === 'slower' && g.estimate >= limit)
    out.push('geometric mean')
  return out
}

/**
 * The secondary metrics recorded on both sides, compared per process as the value is (with the
 * value's between-run noise when the runs are separate: not learned per metric).
 */
function compareMetrics(
  b: ResultRow,
  c: ResultRow,
  options: {
    readonly confidence: number
    readonly minEffect: number
    readonly extraLogVariance?: ExtraLogVariance
  },
): MetricComparison[] {
  const candidate = new Map(resultMetrics(c.metadata).map((m) => [m.name, m]))
  const out: MetricComparison[] = []
  for (const m of resultMetrics(b.metadata)) {
    const other = candidate.get(m.name)
    if (other === undefined) continue
    out.push({
      name: m.name,
      label: m.label,
      unit: m.unit,
      lowerIsBetter: m.lowerIsBetter,
      baseMean: geometricMeanOf(m.values),
      candidateMean: geometricMeanOf(other.values),
      comparison: compareTwo(m.values, other.values, { ...options, lowerIsBetter: m.lowerIsBetter }),
    })
  }
  return out
}

/** Geometric mean of the per-process means, null when there is none to take. */
function geometricMeanOf(values: readonly number[]): number | null {
  const g = geometricMean(values)
  return Number.isFinite(g) && g > 0 ? g : null
}
