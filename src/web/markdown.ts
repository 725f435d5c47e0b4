import {
  formatChange,
  formatInterval,
  formatP,
  formatRatio,
  formatValue,
  METRIC_VERDICT_LABELS,
  VERDICT_LABELS,
} from './format.ts'
import type { CompareIslandProps, CompareRowData } from './islands.ts'

// The Markdown export of a comparison, to paste into a pull request. Untrusted text (workload
// names, labels) is escaped for Markdown: a name cannot open a link, an image or HTML in the
// rendered comment.

/** Escapes text for a Markdown table cell: Markdown punctuation and HTML-significant characters. */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/[\\`*_{}[\]()#+!|~>-]/g, (c) => `\\${c}`)
    .replace(/</g, '&lt;')
    .replace(/\r?\n/g, ' ')
}

/** The comparison as a Markdown table, slowest first as shown, with the geometric mean. */
export function compareMarkdown(
  props: CompareIslandProps,
  rows: readonly CompareRowData[] = props.rows,
): string {
  const pct = Math.round(props.confidence * 100)
  const lines: string[] = []
  lines.push(
    `**${escapeMarkdown(props.candidateLabel)}** against **${escapeMarkdown(props.baseLabel)}** (time ratio; below 1 is faster; ${pct} % intervals)`,
  )
  lines.push('')
  const g = props.geometricMean
  if (g.kind === 'interval') {
    const v = VERDICT_LABELS[g.verdict]
    lines.push(
      `Geometric mean of ${g.workloads} workloads: **${formatRatio(g.estimate)}** ${formatInterval(g.low, g.high)} (${formatChange(g.estimate)}) ${v.symbol} ${v.word}${props.serverTags.length > 0 ? `, tags ${props.serverTags.map(escapeMarkdown).join(', ')}` : ''}`,
    )
  } else {
    lines.push(`Geometric mean: not available (${escapeMarkdown(g.reason)})`)
  }
  lines.push(
    `${props.counts.slower} slower ▲, ${props.counts.faster} faster ▼, ${props.counts.same} without significant difference =${props.minEffect > 0 ? ` (changes under ${Number((props.minEffect * 100).toFixed(2))} % are not called)` : ''}`,
  )
  if (props.separateRuns !== null) lines.push('', `_${escapeMarkdown(props.separateRuns)}_`)
  lines.push('')
  lines.push('| workload | base | candidate | ratio | interval | change | verdict | p |')
  lines.push('|---|--:|--:|--:|--:|--:|---|--:|')
  for (const r of rows) {
    const v = VERDICT_LABELS[r.verdict]
    lines.push(
      `| ${escapeMarkdown(r.workload)} | ${formatValue(r.baseMean, r.unit)} | ${formatValue(r.candidateMean, r.unit)} | ${formatRatio(r.ratio)} | ${formatInterval(r.low, r.high, r.exact === true)} | ${formatChange(r.ratio)} | ${v.symbol} ${v.word} | ${formatP(r.pValue)} |`,
    )
    for (const m of r.metrics) {
      const mv = METRIC_VERDICT_LABELS[m.verdict]
      const value = (x: number | null) =>
        x === null ? '–' : `${formatValue(x, m.unit)} ${escapeMarkdown(m.unit)}`
      lines.push(
        `| ↳ ${escapeMarkdown(m.label)} | ${value(m.baseMean)} | ${value(m.candidateMean)} | ${formatRatio(m.ratio)} | ${formatInterval(m.low, m.high)} | ${formatChange(m.ratio)} | ${mv.symbol} ${mv.word} | ${formatP(m.pValue)} |`,
      )
    }
  }
  lines.push('')
  lines.push(`[Full comparison](${props.permalink.replace(/[()\s]/g, encodeURIComponent)})`)
  return `${lines.join('\n')}\n`
}
