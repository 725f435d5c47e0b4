import type { ComponentChildren } from 'preact'
import {
  formatChange,
  formatInterval,
  formatP,
  formatRatio,
  formatValue,
  heatClass,
  heatStep,
  METRIC_VERDICT_LABELS,
  VERDICT_LABELS,
  type Verdict,
} from './format.ts'
import type { CompareRowData, GeometricMeanData, MetricRowData } from './islands.ts'

// Presentational components shared by the server pages and the islands: pure functions of their
// props, no DOM and no Node, so both the server and the browser bundle render them. Text from
// data goes in as JSX children or attributes, which Preact escapes.

/** A verdict with its symbol and word (never colour alone). */
export function VerdictBadge(props: {
  readonly verdict: Verdict
  readonly title?: string
  /** A secondary metric's: better / worse instead of faster / slower. */
  readonly metric?: boolean
}) {
  const v = (props.metric === true ? METRIC_VERDICT_LABELS : VERDICT_LABELS)[props.verdict]
  return (
    <span class={`verdict verdict-${props.verdict}`} title={props.title}>
      <span aria-hidden="true">{v.symbol}</span> {v.word}
    </span>
  )
}

/** Ratio, interval and change of a geometric mean, or why there is none. */
export function GeometricMean(props: { readonly value: GeometricMeanData; readonly compact?: boolean }) {
  const g = props.value
  if (g.kind === 'insufficient') {
    return (
      <span class="muted" title={g.reason}>
        –
      </span>
    )
  }
  const verdict = g.verdict
  return (
    <span class="gm">
      <strong class="num">{formatRatio(g.estimate)}</strong>{' '}
      <span class="num muted">{formatInterval(g.low, g.high)}</span>{' '}
      {props.compact === true ? (
        <span class={`verdict verdict-${verdict}`}>
          <span aria-hidden="true">{VERDICT_LABELS[verdict].symbol}</span> {formatChange(g.estimate)}
        </span>
      ) : (
        <>
          <span class="num">{formatChange(g.estimate)}</span> <VerdictBadge verdict={verdict} />
        </>
      )}
    </span>
  )
}

/** Bounds of the interval bar's log scale: 0.5× to 2×. */
const BAR_LOG_RANGE = Math.log(2)

/**
 * A ratio's interval drawn on a log scale around 1 (the vertical tick): a bar from low to high
 * and a dot at the estimate. SVG attributes, not inline styles, so a strict CSP allows it.
 */
export function IntervalBar(props: {
  readonly ratio: number | null
  readonly low: number | null
  readonly high: number | null
  readonly verdict: Verdict
}) {
  const width = 120
  const x = (r: number) => {
    const l = Math.max(-BAR_LOG_RANGE, Math.min(BAR_LOG_RANGE, Math.log(r)))
    return ((l + BAR_LOG_RANGE) / (2 * BAR_LOG_RANGE)) * width
  }
  if (props.ratio === null || props.low === null || props.high === null) {
    return <svg class="ibar" width={width} height={14} viewBox={`0 0 ${width} 14`} aria-hidden="true" />
  }
  const a = x(props.low)
  const b = x(props.high)
  return (
    <svg class="ibar" width={width} height={14} viewBox={`0 0 ${width} 14`} aria-hidden="true">
      <line class="ibar-one" x1={width / 2} x2={width / 2} y1={0} y2={14} />
      <rect
        class={`ibar-range ibar-${props.verdict}`}
        x={a}
        y={4}
        width={Math.max(1.5, b - a)}
        height={6}
        rx={2}
      />
      <circle class={`ibar-dot ibar-${props.verdict}`} cx={x(props.ratio)} cy={7} r={3} />
    </svg>
  )
}

/**
 * A small line of values (oldest first), the last one marked; `null` values are skipped. The
 * label says in words what the line shows, for screen readers.
 */
export function Sparkline(props: { readonly values: readonly (number | null)[]; readonly label: string }) {
  const width = 120
  const height = 28
  const pts = props.values
    .map((v, i) => ({ v, i }))
    .filter((p): p is { v: number; i: number } => p.v !== null && Number.isFinite(p.v))
  if (pts.length < 2) {
    return (
      <span class="muted" title={props.label}>
        –
      </span>
    )
  }
  const lo = Math.min(...pts.map((p) => p.v))
  const hi = Math.max(...pts.map((p) => p.v))
  const span = hi - lo || Math.abs(hi) * 0.01 || 1
  const n = props.values.length
  const sx = (i: number) => 2 + (i / Math.max(1, n - 1)) * (width - 4)
  const sy = (v: number) => height - 3 - ((v - lo) / span) * (height - 6)
  const d = pts.map((p) => `${sx(p.i).toFixed(1)},${sy(p.v).toFixed(1)}`).join(' ')
  const last = pts[pts.length - 1]!
  return (
    <svg
      class="spark"
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={props.label}
    >
      <title>{props.label}</title>
      <polyline points={d} />
      <circle cx={sx(last.i)} cy={sy(last.v)} r={2.5} />
    </svg>
  )
}

/**
 * A small chart's SVG (the small multiples of the alert and run pages): its size, its label for
 * screen readers (also its tooltip), and what it draws; classes only, no inline style (CSP).
 */
export function SmallChart(props: {
  readonly width: number
  readonly height: number
  readonly label: string
  /** What the label says, and more for screen readers (how many points, what is shaded). */
  readonly description: string
  readonly children: ComponentChildren
}) {
  const { width, height } = props
  return (
    <svg
      class="sm-chart"
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={props.description}
    >
      <title>{props.label}</title>
      {props.children}
    </svg>
  )
}

/** A run's status as a word with a symbol. */
export function StatusBadge(props: { readonly status: string }) {
  const symbol = props.status === 'complete' ? '✓' : props.status === 'running' ? '…' : '✗'
  return (
    <span
      class={`status status-${props.status === 'complete' ? 'ok' : props.status === 'running' ? 'running' : 'bad'}`}
    >
      <span aria-hidden="true">{symbol}</span> {props.status}
    </span>
  )
}

/** A table that scrolls sideways on a narrow screen instead of squeezing. */
export function TableWrap(props: { readonly children: ComponentChildren; readonly label?: string }) {
  return <div class="table-wrap">{props.children}</div>
}

/** The comparison table: one row per workload with its ratio, interval and verdict. */
export function CompareTable(props: {
  readonly rows: readonly CompareRowData[]
  readonly confidence: number
}) {
  const pct = Math.round(props.confidence * 100)
  return (
    <TableWrap label="Comparison by workload">
      <table class="data compare-table">
        <thead>
          <tr>
            <th scope="col">workload</th>
            <th scope="col" class="num">
              base
            </th>
            <th scope="col" class="num">
              candidate
            </th>
            <th scope="col" class="num">
              ratio
            </th>
            <th scope="col" class="num">
              {pct} % interval
            </th>
            <th scope="col">
              <span class="sr-only">interval on a log scale, 1 in the middle</span>
            </th>
            <th scope="col" class="num">
              change
            </th>
            <th scope="col">verdict</th>
            <th scope="col" class="num">
              p
            </th>
            <th scope="col" class="num" title="processes base / candidate">
              n
            </th>
          </tr>
        </thead>
        <tbody>
          {props.rows.flatMap((r) => [
            <tr key={r.workload}>
              <th scope="row" class="name">
                {r.timelineHref !== null ? <a href={r.timelineHref}>{r.workload}</a> : r.workload}
                {r.versionsDiffer ? (
                  <span class="warn-mark" title="The workload's versions differ between the two runs">
                    {' '}
                    ≠ version
                  </span>
                ) : null}
                {r.tags.length > 0 ? <span class="tags"> {r.tags.join(' · ')}</span> : null}
              </th>
              <td class="num">{formatValue(r.baseMean, r.unit)}</td>
              <td class="num">{formatValue(r.candidateMean, r.unit)}</td>
              <td class="num">{formatRatio(r.ratio)}</td>
              <td class="num muted">{formatInterval(r.low, r.high, r.exact === true)}</td>
              <td>
                <IntervalBar ratio={r.ratio} low={r.low} high={r.high} verdict={r.verdict} />
              </td>
              <td
                class={`num ${heatClass(r.verdict === 'slower' || r.verdict === 'faster' ? heatStep(r.ratio) : 0)}`}
              >
                {formatChange(r.ratio)}
              </td>
              <td>
                <VerdictBadge verdict={r.verdict} {...(r.reason === null ? {} : { title: r.reason })} />
              </td>
              <td class="num">{formatP(r.pValue)}</td>
              <td class="num muted">
                {r.nBase}/{r.nCandidate}
              </td>
            </tr>,
            ...r.metrics.map((m) => <MetricRow key={`${r.workload}\u0000${m.name}`} metric={m} />),
          ])}
        </tbody>
      </table>
    </TableWrap>
  )
}

/** A secondary metric under its workload's row: its label, values with their unit, ratio and verdict. */
function MetricRow(props: { readonly metric: MetricRowData }) {
  const m = props.metric
  const value = (x: number | null) => (x === null ? '–' : `${formatValue(x, m.unit)} ${m.unit}`)
  const moved = m.verdict === 'slower' || m.verdict === 'faster'
  return (
    <tr class="metric-row">
      <th scope="row" class="name metric-name">
        {m.label}
      </th>
      <td class="num">{value(m.baseMean)}</td>
      <td class="num">{value(m.candidateMean)}</td>
      <td class="num">{formatRatio(m.ratio)}</td>
      <td class="num muted">{formatInterval(m.low, m.high)}</td>
      <td>
        <IntervalBar ratio={m.ratio} low={m.low} high={m.high} verdict={m.verdict} />
      </td>
      <td class={`num ${heatClass(moved ? heatStep(m.ratio, m.lowerIsBetter) : 0)}`}>
        {formatChange(m.ratio)}
      </td>
      <td>
        <VerdictBadge verdict={m.verdict} metric {...(m.reason === null ? {} : { title: m.reason })} />
      </td>
      <td class="num">{formatP(m.pValue)}</td>
      <td class="num muted">
        {m.nBase}/{m.nCandidate}
      </td>
    </tr>
  )
}
