import type { VNode } from 'preact'
import { SmallChart, TableWrap } from '../components.tsx'
import type { Alert, Change, Out, PageContext } from '../context.ts'
import { formatChange, formatDay, formatInterval, formatRatio } from '../format.ts'
import { seriesQuery } from '../links.ts'

// What an alert page shows to answer "what do I do": the moved series drawn around the blame
// range (small multiples on one time axis, server-rendered SVG), the paired runs' evidence, and
// the alerts of the same runtime whose blame ranges overlap this one.

type Points = Out<'getSeriesPoints'>['points']

/** Changes drawn at most; the others are counted. */
export const MAX_DRAWN = 12
/** Builds drawn before the last good one and after the first bad one. */
const BEFORE = 15
const AFTER = 8

const WIDTH = 300
const HEIGHT = 64
const PAD = 4

/** A point's time on the shared axis: its commit date, else when its run started. */
function timeOf(p: Points[number]): number {
  return Date.parse(p.commitDateUtc ?? p.runStartedAt)
}

/** The points of one change's series around its blame range, or null when none could be read. */
interface Window {
  readonly change: Change
  readonly points: Points
  readonly lastGood: number | null
  readonly firstBad: number | null
}

async function windowOf(ctx: PageContext, c: Change): Promise<Window> {
  let points: Points = []
  try {
    const res = await ctx.api.getSeriesPoints({ query: { ...seriesQuery(c.series), epochs: true } })
    points = res.points.filter((p) => p.state === 'measured')
  } catch {
    points = []
  }
  const iGood = points.findIndex((p) => p.buildId === c.lastGood.buildId)
  const iBad = points.findIndex((p) => p.buildId === c.firstBad.buildId)
  const from = iGood >= 0 ? Math.max(0, iGood - BEFORE) : Math.max(0, points.length - BEFORE - AFTER)
  const to = iBad >= 0 ? Math.min(points.length, iBad + 1 + AFTER) : points.length
  const shown = points.slice(from, to)
  return {
    change: c,
    points: shown,
    lastGood: iGood >= 0 ? timeOf(points[iGood]!) : null,
    firstBad: iBad >= 0 ? timeOf(points[iBad]!) : null,
  }
}

/** The largest live changes first (by |log ratio|), at most MAX_DRAWN. */
export function changesToDraw(changes: readonly Change[]): Change[] {
  return changes
    .filter((c) => c.status !== 'withdrawn')
    .sort((a, b) => Math.abs(Math.log(b.ratio)) - Math.abs(Math.log(a.ratio)))
    .slice(0, MAX_DRAWN)
}

/** One small timeline: the means, the blame range shaded, epoch boundaries dashed. */
function SmallTimeline(props: { readonly w: Window; readonly t0: number; readonly t1: number }) {
  const { w, t0, t1 } = props
  const c = w.change
  const label = `${c.series.workload} on ${c.series.machine} · ${c.series.config}: ${formatChange(c.ratio)}`
  const pts = w.points.flatMap((p) =>
    p.summary.mean === null ? [] : [{ t: timeOf(p), v: p.summary.mean, epoch: p.epoch }],
  )
  const vals = pts.map((p) => p.v)
  if (vals.length < 2) {
    return (
      <figure class="small-multiple">
        <figcaption class="small">{label}</figcaption>
        <span class="muted small">Too few points to draw.</span>
      </figure>
    )
  }
  const lo = Math.min(...vals)
  const hi = Math.max(...vals)
  const span = hi - lo || Math.abs(hi) * 0.01 || 1
  const sx = (t: number) => PAD + ((t - t0) / Math.max(1, t1 - t0)) * (WIDTH - 2 * PAD)
  const sy = (v: number) => HEIGHT - PAD - ((v - lo) / span) * (HEIGHT - 2 * PAD)
  const line = pts.map((p) => `${sx(p.t).toFixed(1)},${sy(p.v).toFixed(1)}`).join(' ')
  const epochs: number[] = []
  for (let i = 1; i < pts.length; i++) {
    const a = pts[i - 1]!
    const b = pts[i]!
    if (a.epoch !== undefined && b.epoch !== undefined && a.epoch !== b.epoch)
      epochs.push((sx(a.t) + sx(b.t)) / 2)
  }
  const band =
    w.lastGood !== null && w.firstBad !== null
      ? { x: sx(w.lastGood), width: Math.max(2, sx(w.firstBad) - sx(w.lastGood)) }
      : null
  return (
    <figure class="small-multiple" data-workload={c.series.workload}>
      <figcaption class="small">
        {c.series.workload} <span class="muted">{`${c.series.machine} · ${c.series.config}`}</span>{' '}
        <span class="num">{formatChange(c.ratio)}</span>
      </figcaption>
      <SmallChart
        width={WIDTH}
        height={HEIGHT}
        label={label}
        description={`${label}; ${pts.length} builds, the blame range shaded`}
      >
        {band !== null ? (
          <rect
            class="blame-band"
            x={band.x.toFixed(1)}
            y={0}
            width={band.width.toFixed(1)}
            height={HEIGHT}
          />
        ) : null}
        {epochs.map((x) => (
          <line key={x} class="epoch-line" x1={x.toFixed(1)} x2={x.toFixed(1)} y1={0} y2={HEIGHT} />
        ))}
        <polyline class="sm-line" points={line} />
      </SmallChart>
    </figure>
  )
}

/** The moved series as small multiples on one shared time axis. */
export async function smallMultiples(ctx: PageContext, changes: readonly Change[]): Promise<VNode> {
  const drawn = changesToDraw(changes)
  const live = changes.filter((c) => c.status !== 'withdrawn').length
  const windows = await Promise.all(drawn.map((c) => windowOf(ctx, c)))
  const times = windows.flatMap((w) => w.points.map(timeOf)).filter((t) => Number.isFinite(t))
  if (times.length === 0) return <p class="empty">No measured points to draw.</p>
  const t0 = Math.min(...times)
  const t1 = Math.max(...times)
  return (
    <>
      <p class="small muted">
        One timeline per moved series (mean per build), on one time axis from{' '}
        {formatDay(new Date(t0).toISOString())} to {formatDay(new Date(t1).toISOString())}; the blame range is
        shaded, an epoch boundary (a change of infrastructure) dashed.
        {live > drawn.length ? ` The ${drawn.length} largest of ${live} changes are drawn.` : ''}
      </p>
      <div class="small-multiples">
        {windows.map((w) => (
          <SmallTimeline key={w.change.id} w={w} t0={t0} t1={t1} />
        ))}
      </div>
    </>
  )
}

/** A table's column heads; a name starting with `#` is a numeric (right-aligned) column. */
export function Heads(props: { readonly cols: readonly string[] }) {
  return (
    <thead>
      <tr>
        {props.cols.map((c) =>
          c.startsWith('#') ? (
            <th key={c} scope="col" class="num">
              {c.slice(1)}
            </th>
          ) : (
            <th key={c} scope="col">
              {c}
            </th>
          ),
        )}
      </tr>
    </thead>
  )
}

/** A change's `details.paired`, read defensively (details are JSON written by detection). */
export interface PairedFacts {
  readonly ratio: number
  readonly low: number | null
  readonly high: number | null
  readonly processes: readonly number[]
  readonly verdict: string
  readonly runId: number | null
  readonly referenceRunId: number | null
}

/** The paired evidence of a change, or null when it has none. */
export function pairedOf(c: Change): PairedFacts | null {
  const p = (c.details as Record<string, unknown>).paired
  if (p === null || typeof p !== 'object' || Array.isArray(p)) return null
  const o = p as Record<string, unknown>
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null)
  const id = (v: unknown) => (typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : null)
  const ratio = num(o.ratio)
  if (ratio === null || ratio <= 0) return null
  return {
    ratio,
    low: num(o.low),
    high: num(o.high),
    processes: Array.isArray(o.processes)
      ? o.processes.filter((x): x is number => typeof x === 'number')
      : [],
    verdict: typeof o.verdict === 'string' ? o.verdict : '–',
    runId: id(o.runId),
    referenceRunId: id(o.referenceRunId),
  }
}

/** The paired runs' evidence of the alert's changes (those that have any). */
export function PairedEvidence(props: { readonly ctx: PageContext; readonly changes: readonly Change[] }) {
  const rows = props.changes.flatMap((c) => {
    const p = pairedOf(c)
    return p === null ? [] : [{ c, p }]
  })
  if (rows.length === 0) return <p class="empty">No paired runs measured these changes.</p>
  const run = (id: number | null) =>
    id === null ? '–' : <a href={props.ctx.links.page({ page: 'run', id })}>run {id}</a>
  return (
    <TableWrap label="Paired-run evidence">
      <table class="data paired-table">
        <Heads
          cols={[
            'workload',
            'machine · config',
            '#ratio',
            '#interval',
            '#processes',
            'verdict',
            'runs (reference, blamed)',
          ]}
        />
        <tbody>
          {rows.map(({ c, p }) => (
            <tr key={c.id}>
              <th scope="row" class="name">
                {c.series.workload}
              </th>
              <td>{`${c.series.machine} · ${c.series.config}`}</td>
              <td class="num">
                {formatRatio(p.ratio)} ({formatChange(p.ratio)})
              </td>
              <td class="num muted">
                {p.low !== null && p.high !== null ? formatInterval(p.low, p.high) : '–'}
              </td>
              <td class="num">{p.processes.length > 0 ? p.processes.join(' + ') : '–'}</td>
              <td>{p.verdict}</td>
              <td>
                {run(p.referenceRunId)}, {run(p.runId)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  )
}

/**
 * Whether two alerts' blame ranges (last good, first bad] overlap, by the commit dates of their
 * ends; alerts without dates overlap only when their ends are the same commits.
 */
export function rangesOverlap(a: Alert, b: Alert): boolean {
  const dates = [a.lastGoodCommitDate, a.firstBadCommitDate, b.lastGoodCommitDate, b.firstBadCommitDate]
  if (dates.some((d) => d === null)) {
    return a.lastGoodCommit === b.lastGoodCommit && a.firstBadCommit === b.firstBadCommit
  }
  const [aLo, aHi, bLo, bHi] = dates.map((d) => Date.parse(d!)) as [number, number, number, number]
  return aLo < bHi && bLo < aHi
}

/** Alerts of the same runtime whose blame ranges overlap this one's (newest first, at most `max`). */
export async function similarAlerts(ctx: PageContext, a: Alert, max = 20): Promise<Alert[]> {
  const page = await ctx.api.listAlerts({
    query: { runtime: a.runtime, showAcknowledged: 'true', limit: 1000 },
  })
  return page.items.filter((o) => o.id !== a.id && rangesOverlap(a, o)).slice(0, max)
}
