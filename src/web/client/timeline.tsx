import { useEffect, useRef, useState } from 'preact/hooks'
import uPlot from 'uplot'
import { formatDate, formatValue, logTicks, shortSha } from '../format.ts'
import type { TimelineIslandProps, TimelineSeriesData } from '../islands.ts'
import { commitHref } from '../links.ts'

// The timeline island: uPlot draws every point (mean of process means) with its interval as a
// band, several series overlaid; change points and epoch boundaries are vertical lines of their
// own styles and failed builds are × marks on the axis, never gaps. Drag zooms, the wheel zooms
// around the pointer, shift-drag and the arrow buttons pan, double-click resets; a click pins the
// tooltip so its links can be followed. uPlot draws 150,000 points from a cold start in about
// 90 ms and scales linearly at about 31,000 points per ms (uPlot's README, "Performance"), so
// 10,000 are drawn as they are, without thinning.

/** Okabe–Ito colours (Okabe & Ito 2008, "Color Universal Design"), told apart by colour-blind readers. */
export const SERIES_COLOURS = [
  '#0072B2',
  '#E69F00',
  '#009E73',
  '#CC79A7',
  '#56B4E9',
  '#D55E00',
  '#000000',
  '#F0E442',
]
const REGRESSION = '#D55E00'
const IMPROVEMENT = '#0072B2'

interface Hover {
  readonly left: number
  readonly top: number
  readonly x: number
  /** Per series: the index of its point at this x, if it has one. */
  readonly points: readonly (number | undefined)[]
}

/** Draw-time figures for bench/timeline-draw.ts: construction to first draw, and to the next frame. */
export interface DrawTiming {
  readonly points: number
  readonly drawMs: number
  readonly paintMs: number
}

declare global {
  interface Window {
    /** Set after the timeline's first draw (read by bench/timeline-draw.ts). */
    langperfTimeline?: DrawTiming
  }
}

function isDark(): boolean {
  return window.matchMedia?.('(prefers-color-scheme: dark)').matches ?? false
}

/** The aligned data of uPlot: x, then per series mean, high and low. */
function alignedData(series: readonly TimelineSeriesData[]): uPlot.AlignedData {
  const tables = series.map(
    (s) =>
      [
        s.x as number[],
        s.mean as (number | null)[],
        s.high as (number | null)[],
        s.low as (number | null)[],
      ] as uPlot.AlignedData,
  )
  return tables.length === 1 ? tables[0]! : uPlot.join(tables)
}

function TooltipBody(props: { readonly data: TimelineIslandProps; readonly hover: Hover }) {
  const { data, hover } = props
  return (
    <>
      <div class="tt-date">{formatDate(new Date(hover.x * 1000).toISOString())}</div>
      {data.series.map((s, k) => {
        const i = hover.points[k]
        if (i === undefined) return null
        const state = s.state[i]
        const mean = s.mean[i] ?? null
        const low = s.low[i] ?? null
        const high = s.high[i] ?? null
        const sha = s.sha[i] ?? null
        const commit = commitHref(data.commitPattern ?? undefined, sha)
        let prev = i - 1
        while (prev >= 0 && s.state[prev] !== 'm') prev--
        const compare =
          prev >= 0
            ? data.compareTemplate
                .replace('{base}', String(s.runId[prev]))
                .replace('{candidate}', String(s.runId[i]))
            : null
        const change = s.changes.find((c) => c.index === i)
        const epoch = s.epochs.find((e) => e.index === i)
        return (
          <div class="tt-series" key={s.label}>
            <span class="tt-swatch" data-k={k % SERIES_COLOURS.length} aria-hidden="true" />{' '}
            <strong>{s.label}</strong>
            <div>
              {state === 'm' ? (
                <>
                  <span class="num">{formatValue(mean, s.unit)}</span>
                  {low !== null && high !== null && mean !== null ? (
                    <span class="num muted"> ± {formatValue((high - low) / 2, s.unit)}</span>
                  ) : null}
                </>
              ) : (
                <span class="bad-text">✗ {state === 'f' ? 'failed' : 'skipped'}</span>
              )}
            </div>
            <div>
              commit{' '}
              {commit !== undefined ? (
                <a href={commit} rel="noopener noreferrer external">
                  <code>{shortSha(sha)}</code>
                </a>
              ) : (
                <code>{shortSha(sha)}</code>
              )}{' '}
              · <a href={data.runTemplate.replace('{id}', String(s.runId[i]))}>run {s.runId[i]}</a>
              {compare !== null ? (
                <>
                  {' '}
                  · <a href={compare}>compare with previous</a>
                </>
              ) : null}
            </div>
            {change !== undefined ? (
              <div class={`tt-change dir-${change.direction}`}>
                {change.direction === 'regression' ? '▲' : '▼'}{' '}
                {change.kind === 'infrastructure' ? 'infrastructure ' : ''}
                change ×{change.ratio.toFixed(3)} [{change.low.toFixed(3)}, {change.high.toFixed(3)}] (
                {change.status}) · <a href={change.alertHref}>alert</a>
              </div>
            ) : null}
            {epoch !== undefined ? (
              <div class="tt-epoch">┆ new epoch: {epoch.fields.join('; ') || 'changed'}</div>
            ) : null}
          </div>
        )
      })}
      <div class="tt-hint small muted">click to {'pin / unpin'}</div>
    </>
  )
}

/** The colour of the k-th series (the palette repeats past eight series). */
function colourOf(k: number): string {
  return SERIES_COLOURS[k % SERIES_COLOURS.length]!
}

/**
 * uPlot's series and bands: per series its mean as a line, and its high and low as two
 * invisible series whose band is filled in the series' colour.
 */
function plotSeries(series: readonly TimelineSeriesData[]): {
  readonly series: uPlot.Series[]
  readonly bands: uPlot.Band[]
} {
  const uSeries: uPlot.Series[] = [{}]
  const bands: uPlot.Band[] = []
  series.forEach((s, k) => {
    const colour = colourOf(k)
    const base = uSeries.length
    uSeries.push({
      label: s.label,
      stroke: colour,
      width: 1.5,
      spanGaps: true,
      points: { show: s.x.length <= 600, size: 4, fill: colour },
    })
    uSeries.push({
      label: `${s.label} high`,
      stroke: 'transparent',
      points: { show: false },
      spanGaps: true,
    })
    uSeries.push({
      label: `${s.label} low`,
      stroke: 'transparent',
      points: { show: false },
      spanGaps: true,
    })
    bands.push({ series: [base + 1, base + 2], fill: `${colour}33` })
  })
  return { series: uSeries, bands }
}

/** Epoch boundaries: dashed grey lines half-way between the two builds. */
function drawEpochs(u: uPlot, s: TimelineSeriesData, dark: boolean, dpr: number): void {
  const { ctx } = u
  const { top, height } = u.bbox
  ctx.setLineDash([4 * dpr, 4 * dpr])
  ctx.strokeStyle = dark ? '#aaa' : '#666'
  ctx.lineWidth = 1 * dpr
  for (const e of s.epochs) {
    const a = s.x[e.index - 1]
    const b = s.x[e.index]
    if (a === undefined || b === undefined) continue
    const px = u.valToPos((a + b) / 2, 'x', true)
    ctx.beginPath()
    ctx.moveTo(px, top)
    ctx.lineTo(px, top + height)
    ctx.stroke()
  }
}

/** Change points: solid lines at the first build of the new level, ▲ or ▼ on top. */
function drawChanges(u: uPlot, s: TimelineSeriesData, dpr: number): void {
  const { ctx } = u
  const { top, height } = u.bbox
  ctx.setLineDash([])
  ctx.lineWidth = 2 * dpr
  ctx.font = `${12 * dpr}px system-ui, sans-serif`
  ctx.textAlign = 'center'
  for (const c of s.changes) {
    const xv = s.x[c.index]
    if (xv === undefined) continue
    const px = u.valToPos(xv, 'x', true)
    const col = c.direction === 'regression' ? REGRESSION : IMPROVEMENT
    ctx.strokeStyle = col
    ctx.fillStyle = col
    ctx.globalAlpha = c.status === 'provisional' ? 0.5 : 0.9
    ctx.beginPath()
    ctx.moveTo(px, top + 14 * dpr)
    ctx.lineTo(px, top + height)
    ctx.stroke()
    ctx.fillText(c.direction === 'regression' ? '▲' : '▼', px, top + 12 * dpr)
    ctx.globalAlpha = 1
  }
}

/** Failed builds: × marks along the bottom of the plot, in the series' colour. */
function drawFailures(u: uPlot, s: TimelineSeriesData, colour: string, dpr: number): void {
  const { ctx } = u
  const { top, height } = u.bbox
  ctx.strokeStyle = colour
  ctx.lineWidth = 2 * dpr
  const r = 4 * dpr
  const y = top + height - 8 * dpr
  for (let i = 0; i < s.state.length; i++) {
    if (s.state[i] === 'm') continue
    const xv = s.x[i]
    if (xv === undefined) continue
    const px = u.valToPos(xv, 'x', true)
    ctx.beginPath()
    ctx.moveTo(px - r, y - r)
    ctx.lineTo(px + r, y + r)
    ctx.moveTo(px + r, y - r)
    ctx.lineTo(px - r, y + r)
    ctx.stroke()
  }
}

/** Draws every series' epoch boundaries, change points and failed builds over the plot. */
function drawMarks(u: uPlot, series: readonly TimelineSeriesData[], dark: boolean): void {
  const dpr = window.devicePixelRatio || 1
  u.ctx.save()
  series.forEach((s, k) => {
    drawEpochs(u, s, dark, dpr)
    drawChanges(u, s, dpr)
    drawFailures(u, s, colourOf(k), dpr)
  })
  u.ctx.restore()
}

/** What the plot calls back: after each draw, and when the cursor moves. */
interface PlotCallbacks {
  readonly draw: (u: uPlot) => void
  readonly setCursor: (u: uPlot) => void
}

/** Headroom of the log scale's range: 2 % beyond the lowest and highest value. */
const LOG_PAD = 1.02

/** The y scale and its axis's ticks: linear (uPlot's default), or logarithmic with ticks of its own. */
function yScale(log: boolean): { scale: uPlot.Scale; splits?: uPlot.Axis['splits'] } {
  if (!log) return { scale: {} }
  return {
    scale: { distr: 3, log: 10, range: (_u, min, max) => [min / LOG_PAD, max * LOG_PAD] },
    splits: (_u, _axis, min, max) => logTicks(min, max),
  }
}

/** uPlot's options: size, series and bands, time x axis, drag zoom, axes in the theme's colours. */
function plotOptions(
  width: number,
  series: readonly TimelineSeriesData[],
  dark: boolean,
  callbacks: PlotCallbacks,
  log = false,
): uPlot.Options {
  const grid = dark ? 'rgba(255,255,255,0.12)' : 'rgba(0,0,0,0.08)'
  const text = dark ? '#ddd' : '#222'
  const unit = series[0]?.unit ?? 'second'
  const { series: uSeries, bands } = plotSeries(series)
  const y = yScale(log)
  return {
    width: Math.max(300, width),
    height: 380,
    series: uSeries,
    bands,
    legend: { show: false },
    scales: { x: { time: true }, y: y.scale },
    cursor: {
      lock: true,
      drag: { x: true, y: false, setScale: true },
      points: { size: 8 },
    },
    axes: [
      { stroke: text, grid: { stroke: grid }, ticks: { stroke: grid } },
      {
        stroke: text,
        grid: { stroke: grid },
        ticks: { stroke: grid },
        size: 70,
        values: (_u, splits) => splits.map((v) => formatValue(v, unit)),
        ...(y.splits === undefined ? {} : { splits: y.splits }),
      },
    ],
    hooks: { draw: [callbacks.draw], setCursor: [callbacks.setCursor] },
  }
}

/**
 * The navigation of the plot: the wheel zooms the x axis around the pointer, shift-drag pans,
 * a click calls `onClick`. Returns what removes the window's listeners.
 */
function attachNavigation(plot: uPlot, xs: readonly number[], onClick: () => void): () => void {
  const over = plot.over
  const onWheel = (e: WheelEvent) => {
    e.preventDefault()
    const { min, max } = plot.scales.x as { min: number; max: number }
    const at = plot.posToVal(e.offsetX, 'x')
    const factor = e.deltaY < 0 ? 0.8 : 1.25
    const full = [xs[0] ?? min, xs[xs.length - 1] ?? max]
    const nmin = Math.max(full[0]!, at - (at - min) * factor)
    const nmax = Math.min(full[1]!, at + (max - at) * factor)
    if (nmax - nmin > 1) plot.setScale('x', { min: nmin, max: nmax })
  }
  let panFrom: { x: number; min: number; max: number } | null = null
  const onDown = (e: MouseEvent) => {
    if (!e.shiftKey) return
    e.preventDefault()
    e.stopPropagation()
    const { min, max } = plot.scales.x as { min: number; max: number }
    panFrom = { x: e.clientX, min, max }
  }
  const onMove = (e: MouseEvent) => {
    if (panFrom === null) return
    const perPx = (panFrom.max - panFrom.min) / plot.bbox.width / (1 / (window.devicePixelRatio || 1))
    const dx = (e.clientX - panFrom.x) * perPx
    plot.setScale('x', { min: panFrom.min - dx, max: panFrom.max - dx })
  }
  const onUp = () => {
    panFrom = null
  }
  over.addEventListener('wheel', onWheel, { passive: false })
  over.addEventListener('mousedown', onDown, true)
  over.addEventListener('click', onClick)
  window.addEventListener('mousemove', onMove)
  window.addEventListener('mouseup', onUp)
  return () => {
    window.removeEventListener('mousemove', onMove)
    window.removeEventListener('mouseup', onUp)
  }
}

/** Records the first draw's timing for bench/timeline-draw.ts and marks the page ready. */
function firstDrawReporter(t0: number, points: number, log: boolean): () => void {
  let firstDraw = true
  return () => {
    if (!firstDraw) return
    firstDraw = false
    const drawMs = performance.now() - t0
    requestAnimationFrame(() => {
      window.langperfTimeline = { points, drawMs, paintMs: performance.now() - t0 }
      document.documentElement.dataset.timelineReady = '1'
      document.documentElement.dataset.timelineScale = log ? 'log' : 'linear'
    })
  }
}

/**
 * Draws the uPlot chart of `series` into `el`, reporting the hovered x through `setHover` and
 * clicks through `onClick`. Returns the plot and what tears it down.
 */
function mountPlot(
  el: HTMLDivElement,
  series: readonly TimelineSeriesData[],
  setHover: (hover: Hover | null) => void,
  onClick: () => void,
  log: boolean,
): { readonly plot: uPlot; readonly destroy: () => void } {
  const t0 = performance.now()
  const data = alignedData(series)
  const xs = data[0] as number[]
  // For each series, where each aligned x falls in its own columns.
  const indexOf = series.map((s) => new Map(s.x.map((x, i) => [x, i])))
  const dark = isDark()
  const reportFirstDraw = firstDrawReporter(
    t0,
    series.reduce((n, s) => n + s.x.length, 0),
    log,
  )
  const opts = plotOptions(
    el.clientWidth,
    series,
    dark,
    {
      draw: (u) => {
        drawMarks(u, series, dark)
        reportFirstDraw()
      },
      setCursor: (u) => {
        const idx = u.cursor.idx
        if (idx === null || idx === undefined) {
          setHover(null)
          return
        }
        const x = xs[idx]
        if (x === undefined) return
        setHover({
          left: (u.cursor.left ?? 0) + u.over.offsetLeft,
          top: (u.cursor.top ?? 0) + u.over.offsetTop,
          x,
          points: indexOf.map((m) => m.get(x)),
        })
      },
    },
    log,
  )
  const plot = new uPlot(opts, data, el)
  const detach = attachNavigation(plot, xs, onClick)
  const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(300, el.clientWidth), height: 380 }))
  resize.observe(el)
  return {
    plot,
    destroy: () => {
      resize.disconnect()
      detach()
      plot.destroy()
    },
  }
}

/** Pans the plot's x axis by a quarter of its width, left (-1) or right (1). */
function panPlot(plot: uPlot | null, direction: number): void {
  if (plot === null) return
  const { min, max } = plot.scales.x as { min: number; max: number }
  const d = (max - min) * 0.25 * direction
  plot.setScale('x', { min: min + d, max: max + d })
}

/** Zooms the plot back out to every point. */
function resetZoom(plot: uPlot | null): void {
  const xs = plot?.data[0]
  if (plot === null || xs === undefined || xs.length === 0) return
  plot.setScale('x', { min: xs[0]!, max: xs[xs.length - 1]! })
}

/** The legend (one entry per series, linked when there are several) and the pan and reset buttons. */
function TimelineToolbar(props: {
  readonly series: readonly TimelineSeriesData[]
  readonly plot: { readonly current: uPlot | null }
  /** The log scale's state and switch; absent when a value is not positive (no log of it). */
  readonly log?: { readonly on: boolean; readonly set: (on: boolean) => void }
}) {
  const { series, plot, log } = props
  return (
    <div class="timeline-toolbar">
      <ul class="timeline-legend">
        {series.map((s, k) => (
          <li key={s.label}>
            <span class="tt-swatch" data-k={k % SERIES_COLOURS.length} aria-hidden="true" />{' '}
            {series.length > 1 ? <a href={s.href}>{s.label}</a> : s.label}{' '}
            <span class="muted small">({s.x.length} builds)</span>
          </li>
        ))}
      </ul>
      <span class="timeline-buttons">
        {log !== undefined ? (
          <label class="chip" title="A logarithmic y axis: equal ratios look equal at any level">
            <input type="checkbox" checked={log.on} onChange={(e) => log.set(e.currentTarget.checked)} /> log
            scale
          </label>
        ) : null}
        <button type="button" onClick={() => panPlot(plot.current, -1)} aria-label="Pan left">
          ◀
        </button>
        <button type="button" onClick={() => panPlot(plot.current, 1)} aria-label="Pan right">
          ▶
        </button>
        <button type="button" onClick={() => resetZoom(plot.current)}>
          Reset zoom
        </button>
      </span>
    </div>
  )
}

/** Where the tooltip goes: beside the pointer, on the side of the plot with more room. */
function tooltipStyle(hover: Hover, plotWidth: number) {
  return hover.left > plotWidth / 2
    ? { right: `${plotWidth - hover.left + 14}px`, top: `${Math.max(0, hover.top - 10)}px` }
    : { left: `${hover.left + 14}px`, top: `${Math.max(0, hover.top - 10)}px` }
}

/** The timeline chart with its toolbar, legend and tooltip. */
export function TimelineIsland(props: TimelineIslandProps) {
  const holder = useRef<HTMLDivElement>(null)
  const plotRef = useRef<uPlot | null>(null)
  const [hover, setHover] = useState<Hover | null>(null)
  const [locked, setLocked] = useState(false)
  const [log, setLog] = useState(false)
  const canLog = props.series.every((s) => [...s.mean, ...s.low].every((v) => v === null || v > 0))

  useEffect(() => {
    const el = holder.current
    if (el === null) return
    // A switch of scale keeps the zoom: the x range shown is carried to the new plot.
    const shown = plotRef.current?.scales.x
    const { plot, destroy } = mountPlot(el, props.series, setHover, () => setLocked((l) => !l), log)
    if (shown?.min !== undefined && shown.max !== undefined && plotRef.current !== null)
      plot.setScale('x', { min: shown.min, max: shown.max })
    plotRef.current = plot
    return destroy
  }, [props, log])

  return (
    <div class="timeline">
      <TimelineToolbar
        series={props.series}
        plot={plotRef}
        {...(canLog ? { log: { on: log, set: setLog } } : {})}
      />
      <div class="timeline-plot">
        <div ref={holder} class="timeline-canvas" />
        {hover !== null ? (
          <div
            class={`timeline-tooltip${locked ? ' locked' : ''}`}
            // Preact sets styles through the CSSOM, which the page's CSP allows (no style attribute).
            style={tooltipStyle(hover, holder.current?.clientWidth ?? 0)}
          >
            <TooltipBody data={props} hover={hover} />
          </div>
        ) : null}
      </div>
    </div>
  )
}
