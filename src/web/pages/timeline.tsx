import { TableWrap } from '../components.tsx'
import { allPages, type Out, type PageContext, type PageResult } from '../context.ts'
import { formatDate, formatValue } from '../format.ts'
import { Island } from '../html.tsx'
import type { TimelineIslandProps, TimelineSeriesData } from '../islands.ts'
import { type SeriesRef, seriesKey, seriesQuery } from '../links.ts'
import { CommitLink, Notice } from './parts.tsx'

// The workload timeline: one point per build with its interval as a band, several series
// overlaid, change points and epoch boundaries marked. The chart is the timeline island (uPlot);
// without JavaScript the page shows the newest points as a table.

/** Points listed in the table under the chart. */
const TABLE_POINTS = 30

/** The states the columns answer spells with one letter each. */
const STATES: Readonly<Record<string, string>> = { m: 'measured', f: 'failed', s: 'skipped' }

/** The fields of an epoch key (`field=value;…`, `\` escapes) that differ between two keys. */
export function epochFieldsChanged(from: string, to: string): string[] {
  const parse = (key: string) => {
    const out = new Map<string, string>()
    for (const pair of key.split(/(?<!\\);/)) {
      const i = pair.search(/(?<!\\)=/)
      if (i > 0) out.set(pair.slice(0, i), pair.slice(i + 1).replace(/\\(.)/g, '$1'))
    }
    return out
  }
  const a = parse(from)
  const b = parse(to)
  const fields: string[] = []
  for (const [k, v] of b) if (a.get(k) !== v) fields.push(`${k}: ${a.get(k) ?? '?'} → ${v}`)
  return fields
}

/** A series with its version filled in: the one with the most points when it was left out. */
async function resolveSeries(ctx: PageContext, s: SeriesRef): Promise<SeriesRef | undefined> {
  if (s.workloadVersion !== '') return s
  const list = await ctx.api.listSeries({
    query: {
      machine: s.machine,
      runtime: s.runtime,
      config: s.config,
      ...(s.branch === null ? {} : { branch: s.branch }),
      workload: s.workload,
      limit: 1000,
    },
  })
  const best = list.items.filter((x) => x.branch === s.branch).sort((a, b) => b.points - a.points)[0]
  return best === undefined ? undefined : { ...s, workloadVersion: best.workloadVersion }
}

/** A series' label: what differs from the first series, or everything for the first. */
function labelOf(s: SeriesRef, first: SeriesRef | undefined): string {
  if (first === undefined)
    return `${s.runtime} ${s.config}${s.branch !== null ? ` ${s.branch}` : ''} on ${s.machine}`
  const parts: string[] = []
  if (s.runtime !== first.runtime) parts.push(s.runtime)
  if (s.config !== first.config) parts.push(s.config)
  if (s.branch !== first.branch) parts.push(s.branch ?? '(no branch)')
  if (s.machine !== first.machine) parts.push(`on ${s.machine}`)
  if (s.workload !== first.workload) parts.push(s.workload)
  if (s.workloadVersion !== first.workloadVersion) parts.push(`v ${s.workloadVersion}`)
  return parts.length === 0 ? labelOf(s, undefined) : parts.join(' ')
}

type Columns = Out<'getSeriesColumns'>['columns']
type Metrics = Out<'getSeriesColumns'>['metrics']

/** One series' columns for the chart, its changes and epoch boundaries placed on its points. */
async function seriesData(
  ctx: PageContext,
  s: SeriesRef,
  label: string,
  state: string | null,
  metric: string | undefined,
): Promise<{ data: TimelineSeriesData; cols: Columns; unit: string; metrics: Metrics }> {
  const query = seriesQuery(s)
  // The points as columns (series/columns): a long series is a dozen arrays, not an object per
  // build, which is most of what a first visit of a 1,825-build timeline spent.
  const read = () =>
    ctx.api.getSeriesColumns({
      query: { ...query, failed: true, ...(metric === undefined ? {} : { metric }) },
    })
  const [answer, changes] = await Promise.all([
    ctx.memo === undefined || state === null
      ? read()
      : ctx.memo.current(`timeline-columns:${JSON.stringify([query, metric ?? null])}`, state, read),
    allPages((offset, limit) => ctx.api.listChanges({ query: { ...query, offset, limit } }), 5000),
  ])
  const cols = answer.columns
  const n = cols.resultId.length
  const x: number[] = new Array<number>(n)
  let last = Number.NEGATIVE_INFINITY
  for (let i = 0; i < n; i++) {
    // Strictly increasing times: two builds of one commit date are a second apart on the axis.
    let t = Math.floor(Date.parse(cols.commitDateUtc[i] ?? cols.runStartedAt[i] ?? '') / 1000)
    if (!(t > last)) t = last + 1
    x[i] = t
    last = t
  }
  const index = new Map<number, number>()
  for (let i = 0; i < n; i++) index.set(cols.resultId[i] as number, i)
  const epochs: TimelineSeriesData['epochs'][number][] = []
  for (let i = 1; i < n; i++) {
    const a = cols.epoch[i - 1]
    const b = cols.epoch[i]
    if (a !== undefined && b !== undefined && a !== b)
      epochs.push({ index: i, fields: epochFieldsChanged(a, b) })
  }
  const data: TimelineSeriesData = {
    label,
    unit: answer.unit ?? 'second',
    href: ctx.links.page({
      page: 'timeline',
      series: s,
      also: [],
      ...(metric === undefined ? {} : { metric }),
    }),
    x,
    mean: cols.mean,
    low: cols.low,
    high: cols.high,
    state: cols.state,
    sha: cols.commitSha,
    runId: cols.runId,
    version: [],
    epochs,
    // Detection judges the value: its changes are not drawn on a metric's points.
    changes: changes
      .filter((c) => metric === undefined && c.status !== 'withdrawn' && index.has(c.firstBad.resultId))
      .map((c) => ({
        index: index.get(c.firstBad.resultId) ?? 0,
        direction: c.direction,
        kind: c.kind,
        ratio: c.ratio,
        low: c.ratioLow,
        high: c.ratioHigh,
        status: c.status,
        alertHref: ctx.links.page({ page: 'alert', id: c.alertId }),
      })),
  }
  return { data, cols, unit: answer.unit ?? 'second', metrics: answer.metrics }
}

type LoadedSeries = Awaited<ReturnType<typeof seriesData>>

/** The timeline page of `series`, with `also` overlaid. */
export async function timelinePage(
  ctx: PageContext,
  ref: { readonly series: SeriesRef; readonly also: readonly SeriesRef[]; readonly metric?: string },
): Promise<PageResult> {
  const primary = await resolveSeries(ctx, ref.series)
  if (primary === undefined) {
    return {
      status: 404,
      title: 'Timeline',
      section: 'timeline',
      body: (
        <>
          <h1>Timeline</h1>
          <Notice kind="error">
            No series is {ref.series.workload} on {ref.series.runtime} {ref.series.config}
            {ref.series.branch !== null ? ` (${ref.series.branch})` : ''} on {ref.series.machine}.
          </Notice>
        </>
      ),
    }
  }
  const overlays = await resolveOverlays(ctx, primary, ref.also)
  const all = [primary, ...overlays.slice(0, 8)]
  // Points change only with the runs: a server keeps them per state of the runs (GET /state).
  const state = ctx.memo === undefined ? null : (await ctx.api.getState({ query: {} })).runs
  const metric = ref.metric
  const primaryData = await seriesData(ctx, primary, labelOf(primary, undefined), state, metric)
  // An overlaid series that does not record the metric is left out rather than failing the page.
  const overlaid = await Promise.allSettled(
    all.slice(1).map((s) => seriesData(ctx, s, labelOf(s, primary), state, metric)),
  )
  const loaded = [
    primaryData,
    ...overlaid.flatMap((o) => {
      if (o.status === 'fulfilled') return [o.value]
      if (metric !== undefined) return []
      throw o.reason
    }),
  ]
  if (ctx.links.mode === 'static') linkComparisons(ctx, loaded)
  // The summaries count each sibling's history points (a nightly's reference and pair-round runs
  // are not builds of its history), as the workloads index does.
  const siblings = (
    await ctx.api.summarizeSeries({ query: { workload: primary.workload, limit: 1000, spark: 2 } })
  ).items
  const props: TimelineIslandProps = {
    series: loaded.map((l) => l.data),
    commitPattern: ctx.links.commitPattern ?? null,
    compareTemplate: ctx.links.compareTemplate,
    runTemplate: ctx.links.runTemplate,
  }
  const first = loaded[0]!
  const body = (
    <>
      <h1>
        {primary.workload} <span class="muted small">v {primary.workloadVersion}</span>
      </h1>
      <TimelineLede primary={primary} first={first} metric={metric} />
      {first.metrics.length > 0 ? (
        <MetricChoice
          ctx={ctx}
          primary={primary}
          overlays={overlays}
          metrics={first.metrics}
          metric={metric}
        />
      ) : null}
      <Island name="timeline" id="timeline" data={props}>
        <p class="small muted noscript-note">
          The interactive chart needs JavaScript; the newest points are listed below.
        </p>
      </Island>
      <div class="legend-help small muted">
        Drag to zoom, double-click to reset, wheel to zoom around the pointer, shift-drag or the arrow buttons
        to pan; click a point to pin its details. Lines: <span class="key key-regression">▲ regression</span>,{' '}
        <span class="key key-improvement">▼ improvement</span>,{' '}
        <span class="key key-epoch">┆ epoch boundary</span>,{' '}
        <span class="key key-failed">× failed build</span>.
      </div>
      {siblings.length > 1 && ctx.links.mode === 'server' ? (
        <OverlayForm primary={primary} overlays={overlays} siblings={siblings} />
      ) : null}
      <h2>Newest builds</h2>
      <NewestBuilds ctx={ctx} cols={first.cols} unit={first.unit} />
    </>
  )
  return { status: 200, title: `${primary.workload} timeline`, section: 'timeline', body }
}

/** The series to overlay, resolved, without those that are the primary series. */
async function resolveOverlays(
  ctx: PageContext,
  primary: SeriesRef,
  also: readonly SeriesRef[],
): Promise<SeriesRef[]> {
  const overlays: SeriesRef[] = []
  for (const a of also) {
    const r = await resolveSeries(ctx, a)
    if (r !== undefined && seriesKey(r) !== seriesKey(primary)) overlays.push(r)
  }
  return overlays
}

/** The report writes the comparison of each build with the one before it: the chart links there. */
function linkComparisons(ctx: PageContext, loaded: readonly LoadedSeries[]): void {
  for (const { cols } of loaded) {
    for (let i = 1; i < cols.runId.length; i++) {
      ctx.links.page({
        page: 'compare',
        base: String(cols.runId[i - 1]),
        candidate: String(cols.runId[i]),
      })
    }
  }
}

/** What the chart shows: builds measured and failed, changes, epoch boundaries, how a point reads. */
function TimelineLede(props: {
  readonly primary: SeriesRef
  readonly first: LoadedSeries
  readonly metric: string | undefined
}) {
  const { primary, first, metric } = props
  const label = first.metrics.find((m) => m.name === metric)?.label
  const measured = first.cols.state.split('m').length - 1
  const failed = first.cols.state.split('f').length - 1
  return (
    <p class="lede">
      {labelOf(primary, undefined)}: {first.cols.state.length} builds ({measured} measured
      {failed > 0 ? `, ${failed} failed` : ''}), {first.data.changes.length} detected changes,{' '}
      {first.data.epochs.length} epoch boundaries.{' '}
      {label === undefined
        ? 'Each point is the mean of its process means; the band is its 95 % t interval.'
        : `Each point is the mean of its processes' ${label} (${first.data.unit}); the band is its 95 % t interval. Detected changes are of the value and are not drawn here.`}
    </p>
  )
}

/** The value or one of a server workload's metrics (requests/s, latencies): links to each view. */
function MetricChoice(props: {
  readonly ctx: PageContext
  readonly primary: SeriesRef
  readonly overlays: readonly SeriesRef[]
  readonly metrics: Metrics
  readonly metric: string | undefined
}) {
  const { ctx, primary, overlays, metrics, metric } = props
  const link = (m: string | undefined) =>
    ctx.links.page({
      page: 'timeline',
      series: primary,
      also: overlays,
      ...(m === undefined ? {} : { metric: m }),
    })
  const choices = [{ name: undefined, label: 'the value (server CPU per request)' }, ...metrics]
  return (
    <nav class="metric-choice small" aria-label="What the chart shows">
      Show:{' '}
      {choices.map((c, i) => (
        <span key={c.name ?? ''}>
          {i > 0 ? ' · ' : ''}
          {c.name === metric ? (
            <strong aria-current="page">{c.label}</strong>
          ) : (
            <a href={link(c.name)}>{c.label}</a>
          )}
        </span>
      ))}
    </nav>
  )
}

/** The form that overlays the same workload's other series (server only: it is a GET form). */
function OverlayForm(props: {
  readonly primary: SeriesRef
  readonly overlays: readonly SeriesRef[]
  readonly siblings: Out<'summarizeSeries'>['items']
}) {
  const { primary, overlays, siblings } = props
  return (
    <form class="overlay-form" method="get" action="/timeline">
      <input type="hidden" name="machine" value={primary.machine} />
      <input type="hidden" name="runtime" value={primary.runtime} />
      <input type="hidden" name="config" value={primary.config} />
      {primary.branch !== null ? <input type="hidden" name="branch" value={primary.branch} /> : null}
      <input type="hidden" name="workload" value={primary.workload} />
      <input type="hidden" name="version" value={primary.workloadVersion} />
      <fieldset>
        <legend>Overlay the same workload on</legend>
        {siblings
          .filter((s) => seriesKey(s) !== seriesKey(primary))
          .slice(0, 40)
          .map((s) => (
            <label key={seriesKey(s)} class="chip">
              <input
                type="checkbox"
                name="also"
                value={seriesKey(s)}
                checked={overlays.some((o) => seriesKey(o) === seriesKey(s))}
              />{' '}
              {labelOf(s, primary)}
              <span class="muted" title="builds in its history">
                ({s.points})
              </span>
            </label>
          ))}
        <button type="submit">Overlay</button>
      </fieldset>
    </form>
  )
}

/** The newest points as a table (what the page shows without JavaScript), newest first. */
function NewestBuilds(props: { readonly ctx: PageContext; readonly cols: Columns; readonly unit: string }) {
  const { ctx, cols, unit } = props
  const n = cols.resultId.length
  const newest: number[] = []
  for (let i = n - 1; i >= Math.max(0, n - TABLE_POINTS); i--) newest.push(i)
  return (
    <TableWrap label="Newest builds">
      <table class="data">
        <thead>
          <tr>
            <th scope="col">commit</th>
            <th scope="col">date</th>
            <th scope="col" class="num">
              mean
            </th>
            <th scope="col" class="num">
              95 % interval
            </th>
            <th scope="col">state</th>
            <th scope="col">links</th>
          </tr>
        </thead>
        <tbody>
          {newest.map((i) => {
            const state = STATES[cols.state[i] ?? ''] ?? 'skipped'
            const runId = cols.runId[i] as number
            const low = cols.low[i]
            const high = cols.high[i]
            const mean = cols.mean[i]
            return (
              <tr key={cols.resultId[i]}>
                <td>
                  <CommitLink links={ctx.links} sha={cols.commitSha[i] ?? null} />
                </td>
                <td>{formatDate(cols.commitDateUtc[i] ?? cols.runStartedAt[i] ?? '')}</td>
                <td class="num">{state === 'measured' && mean != null ? formatValue(mean, unit) : '–'}</td>
                <td class="num muted">
                  {low != null && high != null
                    ? `${formatValue(low, unit)} – ${formatValue(high, unit)}`
                    : ''}
                </td>
                <td>{state === 'measured' ? 'measured' : <span class="bad-text">✗ {state}</span>}</td>
                <td>
                  <a href={ctx.links.page({ page: 'run', id: runId })}>run {runId}</a>
                  {i > 0 ? (
                    <>
                      {' '}
                      ·{' '}
                      <a
                        href={ctx.links.page({
                          page: 'compare',
                          base: String(cols.runId[i - 1]),
                          candidate: String(runId),
                        })}
                      >
                        against previous
                      </a>
                    </>
                  ) : null}
                </td>
              </tr>
            )
          })}
        </tbody>
      </table>
    </TableWrap>
  )
}
