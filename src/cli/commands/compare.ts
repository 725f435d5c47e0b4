import { type CompareReport, compareRuns, resolveRunSelector, slowdownsOver } from '../../analysis/index.ts'
import { LangperfError } from '../../lib/index.ts'
import { DEFAULT_MIN_EFFECT, separateRunsSentence } from '../../model/index.ts'
import type { Verdict } from '../../stats/index.ts'
import type { RunReader, RunRow } from '../../store/index.ts'
import { type CommonOptions, type Ctx, withStore } from '../context.ts'
import {
  formatInterval,
  formatPercent,
  formatRatio,
  formatValue,
  printJson,
  println,
  table,
} from '../output.ts'
import { stackLine } from './stack-line.ts'

/** Options of `langperf compare`. */
export interface CompareOptions extends CommonOptions {
  readonly failOnSlowdown?: number
  readonly minEffect?: number
  readonly tag?: readonly string[]
  readonly allowVersionMismatch?: boolean
}

/** The word people read for a verdict. */
export function verdictWord(v: Verdict): string {
  switch (v) {
    case 'faster':
      return 'faster'
    case 'slower':
      return 'slower'
    case 'no-difference':
      return 'no significant difference'
    case 'insufficient':
      return 'not enough data'
  }
}

/** The word for a secondary metric's verdict: better or worse (higher requests/s, lower latency). */
export function metricVerdictWord(v: Verdict): string {
  if (v === 'faster') return 'better'
  if (v === 'slower') return 'worse'
  return verdictWord(v)
}

/** `Run 12: cpython-3.12.1 default on box (2026-11-27)`. */
export function runLabel(r: RunRow): string {
  const b = r.build
  return `run ${r.id}: ${b.runtime}-${b.version} ${b.config}${b.commitSha ? ` ${b.commitSha.slice(0, 10)}` : ''} on ${r.machine} (${r.startedAt.slice(0, 10)})`
}

/** What the intervals include for runs measured separately (nothing for interleaved runs). */
export function acrossRunsLines(report: CompareReport): string[] {
  const suite = report.acrossRuns.suite
  if (report.acrossRuns.interleaved || suite === null) return []
  return [separateRunsSentence(report.rows, suite, (c) => `\`${c}\``)]
}

/** Renders a comparison report as text. */
export function renderCompare(report: CompareReport): string {
  const lines: string[] = []
  lines.push(`Base:      ${runLabel(report.base)}`)
  lines.push(`Candidate: ${runLabel(report.candidate)}`)
  const exact = report.rows.filter(
    (r) => r.comparison.kind === 'comparison' && r.comparison.method === 'exact',
  )
  if (exact.length === report.rows.length && exact.length > 0)
    lines.push(
      'base, candidate: instructions per loop (callgrind); ratio = candidate / base, exact: a count repeats, so no interval is estimated; changes under 0.5 % are not called unless --min-effect says otherwise',
    )
  else
    lines.push(
      `base, candidate: geometric means of per-process means; ratio = candidate / base; ${Math.round(report.confidence * 100)} % interval (Welch on log process means)${report.minEffect > 0 ? `; changes under ${(report.minEffect * 100).toFixed(1)} % are not called, however significant` : ''}`,
    )
  lines.push(...acrossRunsLines(report))
  for (const c of report.caveats) {
    lines.push(
      c.note === undefined
        ? `Caveat: ${c.field} differs (${c.base} vs ${c.candidate}): part of a difference may be infrastructure`
        : `Caveat: ${c.field} (${c.base} vs ${c.candidate}): ${c.note}`,
    )
  }
  lines.push('')
  const rows = report.rows.flatMap((r) => {
    const c = r.comparison
    const main =
      c.kind !== 'comparison'
        ? [
            r.workload,
            formatValue(r.baseMean, r.unit),
            formatValue(r.candidateMean, r.unit),
            '–',
            '–',
            '–',
            `not enough data: ${c.reason}`,
          ]
        : [
            r.versionsDiffer ? `${r.workload} (versions differ)` : r.workload,
            formatValue(r.baseMean, r.unit),
            formatValue(r.candidateMean, r.unit),
            formatRatio(c.ratio),
            formatInterval(c.low, c.high, c.method === 'exact'),
            formatPercent(c.ratio),
            verdictWord(c.verdict),
          ]
    // A server workload's secondary metrics under its row: requests/s and latencies.
    const metrics = r.metrics.map((m) => {
      const mc = m.comparison
      const value = (x: number | null) => (x === null ? '–' : `${formatValue(x, m.unit)} ${m.unit}`)
      return mc.kind !== 'comparison'
        ? [
            `  ${m.label}`,
            value(m.baseMean),
            value(m.candidateMean),
            '–',
            '–',
            '–',
            `not enough data: ${mc.reason}`,
          ]
        : [
            `  ${m.label}`,
            value(m.baseMean),
            value(m.candidateMean),
            formatRatio(mc.ratio),
            `[${mc.low.toFixed(3)}, ${mc.high.toFixed(3)}]`,
            formatPercent(mc.ratio),
            metricVerdictWord(mc.verdict),
          ]
    })
    return [main, ...metrics]
  })
  lines.push(
    table(['workload', 'base', 'candidate', 'ratio', 'interval', 'change', 'verdict'], rows, [
      'left',
      'right',
      'right',
      'right',
      'right',
      'right',
      'left',
    ]),
  )
  const g = report.geometricMean
  lines.push('')
  if (g.kind === 'insufficient') lines.push(`Geometric mean: not enough data (${g.reason})`)
  else {
    const verdict = verdictWord(report.geometricMeanVerdict)
    lines.push(
      `Geometric mean of ${g.ratios.length} workloads: ${formatRatio(g.estimate)} [${g.measurement.low.toFixed(3)}, ${g.measurement.high.toFixed(3)}] ${formatPercent(g.estimate)} — ${verdict}`,
    )
    if (g.acrossWorkloads.kind === 'interval') {
      lines.push(
        `  over a typical workload: [${g.acrossWorkloads.low.toFixed(3)}, ${g.acrossWorkloads.high.toFixed(3)}] (spread between workloads, not measurement noise)`,
      )
    }
  }
  const counts = { faster: 0, slower: 0, same: 0 }
  for (const r of report.rows) {
    if (r.comparison.verdict === 'faster') counts.faster++
    else if (r.comparison.verdict === 'slower') counts.slower++
    else counts.same++
  }
  lines.push(
    `${counts.slower} slower, ${counts.faster} faster, ${counts.same} without a significant difference`,
  )
  if (report.uncompared.length > 0) {
    lines.push('')
    lines.push('Not compared:')
    for (const u of report.uncompared) lines.push(`  ${u.workload}: ${u.why}`)
  }
  return lines.join('\n')
}

/** `langperf compare A B`: per-workload ratios with intervals and verdicts, and the geometric mean. */
export async function compareCommand(
  ctx: Ctx,
  a: string,
  b: string,
  options: CompareOptions,
): Promise<number> {
  const pct = options.failOnSlowdown
  if (pct !== undefined && !(Number.isFinite(pct) && pct >= 0)) {
    throw new LangperfError(
      'bad-input',
      `Cannot use --fail-on-slowdown ${pct}: expected a percentage ≥ 0, e.g. 5`,
    )
  }
  const minEffectPct = options.minEffect ?? DEFAULT_MIN_EFFECT * 100
  if (!(Number.isFinite(minEffectPct) && minEffectPct >= 0)) {
    throw new LangperfError(
      'bad-input',
      `Cannot use --min-effect ${minEffectPct}: expected a percentage ≥ 0, e.g. 1`,
    )
  }
  return withStore(options, async (store) => {
    const baseId = await resolveRunSelector(store, a)
    const candId = await resolveRunSelector(store, b)
    const report = await compareRuns(store, baseId, candId, {
      // Unset, each kind of result takes its default (1 % for times, 0.5 % for instruction counts).
      ...(options.minEffect === undefined ? {} : { minEffect: minEffectPct / 100 }),
      ...(options.tag ? { tags: options.tag } : {}),
      allowVersionMismatch: options.allowVersionMismatch ?? false,
    })
    const failing = pct === undefined ? [] : slowdownsOver(report, pct)
    if (options.json) printJson(ctx.io, { ...report, failOnSlowdown: pct ?? null, failing })
    else {
      println(ctx.io, renderCompare(report))
      const stacks = await stackLines(store, baseId, candId)
      if (stacks.length > 0) println(ctx.io, ['', 'Stacks (base → candidate):', ...stacks].join('\n'))
      if (pct !== undefined) {
        println(ctx.io)
        println(
          ctx.io,
          failing.length
            ? `FAIL: significantly slower by ${pct} % or more: ${failing.join(', ')}`
            : `OK: nothing significantly slower by ${pct} % or more`,
        )
      }
    }
    return failing.length > 0 ? 1 : 0
  })
}

/** Per workload with a recorded stack: `  np_matmul: numpy 1.26.4; … → numpy 2.4.6; …`, or the one stack. */
async function stackLines(store: RunReader, baseId: number, candId: number): Promise<string[]> {
  const [base, cand] = await Promise.all([store.getResults(baseId), store.getResults(candId)])
  const lines: string[] = []
  for (const b of base) {
    const c = cand.find((r) => r.workload.name === b.workload.name)
    const [from, to] = [stackLine(b.metadata), c ? stackLine(c.metadata) : null]
    if (from === null && to === null) continue
    lines.push(`  ${b.workload.name}: ${from === to ? from : `${from ?? 'none'} → ${to ?? 'none'}`}`)
  }
  return lines
}
