import { boundaryNote, boundaryOf } from '../../model/index.ts'
import { TableWrap } from '../components.tsx'
import { type Alert, allPages, type Change, type PageContext, type PageResult } from '../context.ts'
import { formatChange, formatDate, formatInterval, formatP, formatRatio } from '../format.ts'
import { Island } from '../html.tsx'
import type { SeriesRef } from '../links.ts'
import { CommitLink, FactTable, Notice } from './parts.tsx'

// Alerts: changes grouped by blame range (the store groups them), new ones first, with triage
// for admins (an island: it needs a token and JavaScript; without them the page lists everything).
// Infrastructure alerts are shown apart: their step is never blamed on a commit.

const DIRECTION = {
  regression: { symbol: '▲', word: 'regression' },
  improvement: { symbol: '▼', word: 'improvement' },
  mixed: { symbol: '◆', word: 'mixed' },
} as const

/** The direction of an alert or change with its symbol. */
export function Direction(props: { readonly direction: keyof typeof DIRECTION }) {
  const d = DIRECTION[props.direction]
  return (
    <span class={`dir dir-${props.direction}`}>
      <span aria-hidden="true">{d.symbol}</span> {d.word}
    </span>
  )
}

/** What an alert is blamed on: a commit range, or the infrastructure. */
export function KindBadge(props: { readonly kind: 'commit' | 'infrastructure' }) {
  return props.kind === 'infrastructure' ? (
    <span class="kind kind-infra" title="The range crosses an epoch boundary: not blamed on a commit">
      <span aria-hidden="true">⚙</span> infrastructure
    </span>
  ) : (
    <span class="kind kind-commit">
      <span aria-hidden="true">⎇</span> commit range
    </span>
  )
}

/** The triage state, with the triage island for admins where there is a server. */
function Triage(props: { readonly ctx: PageContext; readonly alert: Alert; readonly triage: boolean }) {
  const a = props.alert
  const text = (
    <span class={`triage triage-${a.triage}`}>
      {a.triage}
      {a.triageNote !== null && a.triageNote !== '' ? (
        <span class="small muted"> — {a.triageNote}</span>
      ) : null}
    </span>
  )
  if (!props.triage || !props.ctx.canTriage) return text
  return (
    <Island
      name="triage"
      id={`triage-${a.id}`}
      inline
      data={{
        alertId: a.id,
        triage: a.triage,
        note: a.triageNote,
        link: a.triageLink !== null && /^https?:\/\//i.test(a.triageLink) ? a.triageLink : null,
        endpoint: `/api/v1/alerts/${a.id}/triage`,
      }}
    >
      {text}
    </Island>
  )
}

/** A list of alerts: blame range, kind, direction, size, where, triage. */
export function AlertList(props: {
  readonly ctx: PageContext
  readonly alerts: readonly Alert[]
  readonly triage: boolean
  /** For infrastructure alerts: what changed and how many workloads moved, by alert id. */
  readonly infra?: ReadonlyMap<number, string>
}) {
  const { ctx } = props
  if (props.alerts.length === 0) return <p class="empty">No alerts.</p>
  return (
    <TableWrap label="Alerts">
      <table class="data alerts-table">
        <thead>
          <tr>
            <th scope="col">alert</th>
            <th scope="col">blame range</th>
            <th scope="col">kind</th>
            <th scope="col">direction</th>
            <th scope="col">largest change</th>
            <th scope="col">where</th>
            <th scope="col">triage</th>
          </tr>
        </thead>
        <tbody>
          {props.alerts.map((a) => (
            <tr key={a.id} class={a.kind === 'infrastructure' ? 'row-infra' : undefined} data-alert={a.id}>
              <th scope="row">
                <a href={ctx.links.page({ page: 'alert', id: a.id })}>#{a.id}</a>
                <div class="small muted">
                  {a.status} · {formatDate(a.createdAt)}
                </div>
              </th>
              <td>
                {a.runtime}
                {a.branch !== null ? <span class="muted"> {a.branch}</span> : null}{' '}
                <CommitLink links={ctx.links} sha={a.lastGoodCommit} /> …{' '}
                <CommitLink links={ctx.links} sha={a.firstBadCommit} />
              </td>
              <td>
                <KindBadge kind={a.kind} />
                {props.infra?.get(a.id) !== undefined ? (
                  <div class="small muted infra-why" title={props.infra.get(a.id)}>
                    {clip(props.infra.get(a.id) ?? '', 140)}
                  </div>
                ) : null}
              </td>
              <td>
                <Direction direction={a.direction} />
                <div class="small muted">
                  {a.changeCount} change{a.changeCount === 1 ? '' : 's'}: {a.regressions} ▲ {a.improvements} ▼
                </div>
              </td>
              <td>
                {a.largest !== null ? (
                  <>
                    {a.largest.workload}{' '}
                    <span class="num">
                      {formatRatio(a.largest.ratio)} ({formatChange(a.largest.ratio)})
                    </span>
                  </>
                ) : (
                  '–'
                )}
              </td>
              <td class="small">
                {a.machines.join(', ')}
                <div class="muted">{a.configs.join(', ')}</div>
              </td>
              <td>
                <Triage ctx={ctx} alert={a} triage={props.triage} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  )
}

function clip(text: string, maxChars: number): string {
  return text.length > maxChars ? `${text.slice(0, maxChars)}…` : text
}

/** What changed under an infrastructure alert and how many of the crossing workloads moved. */
export function infrastructureText(changes: readonly Change[]): string {
  const c = changes.find((x) => x.kind === 'infrastructure')
  const b = c === undefined ? null : boundaryOf(c)
  if (b === null) return ''
  const parts = [...b.changed]
  if (b.moved !== null && b.crossing !== null) parts.push(`${b.moved} of ${b.crossing} workloads moved`)
  return parts.join('; ')
}

/** The alerts page: new alerts first, then the rest, newest first within each. */
export async function alertsPage(ctx: PageContext): Promise<PageResult> {
  const all = await allPages((offset, limit) => ctx.api.listAlerts({ query: { offset, limit } }), 2000)
  const fresh = all.filter((a) => a.triage === 'new')
  const rest = all.filter((a) => a.triage !== 'new')
  // Infrastructure alerts say what changed under them: the first 100 are read with their changes.
  const infra = new Map<number, string>()
  for (const a of all.filter((x) => x.kind === 'infrastructure').slice(0, 100)) {
    const text = infrastructureText((await ctx.api.getAlert({ params: { id: a.id } })).changes)
    if (text !== '') infra.set(a.id, text)
  }
  const body = (
    <>
      <h1>Alerts</h1>
      <p class="lede">
        Changes that share one blame range (last build at the old level … first build at the new one) are one
        alert. Infrastructure alerts (<span aria-hidden="true">⚙</span>) are steps at a change of kernel, CPU
        configuration, suite, harness or compiler that the suite moved with; a step there that stands far out
        of how the suite moved is blamed on a commit in the range instead.
        {ctx.canTriage ? ' Admins can triage each alert with their token.' : ''}
      </p>
      <h2>New ({fresh.length})</h2>
      <AlertList ctx={ctx} alerts={fresh} triage infra={infra} />
      <h2>Triaged ({rest.length})</h2>
      <AlertList ctx={ctx} alerts={rest} triage infra={infra} />
    </>
  )
  return { status: 200, title: 'Alerts', section: 'alerts', body }
}

/** The run of `buildId` on `machine` (the newest), to compare across a change. */
async function runOf(ctx: PageContext, cache: Map<string, number | null>, buildId: number, machine: string) {
  const key = `${buildId}|${machine}`
  if (!cache.has(key)) {
    const page = await ctx.api.listRuns({ query: { build: buildId, machine, limit: 1 } })
    cache.set(key, page.items[0]?.id ?? null)
  }
  return cache.get(key) ?? null
}

function seriesOf(c: Change): SeriesRef {
  return c.series
}

/** One alert with its changes, each linked to its timeline and to the comparison across it. */
export async function alertPage(ctx: PageContext, id: number): Promise<PageResult> {
  const a = await ctx.api.getAlert({ params: { id } })
  const cache = new Map<string, number | null>()
  const changes = await Promise.all(
    a.changes.map(async (c) => {
      const base = await runOf(ctx, cache, c.lastGood.buildId, c.series.machine)
      const candidate = await runOf(ctx, cache, c.firstBad.buildId, c.series.machine)
      return {
        change: c,
        compareHref:
          base !== null && candidate !== null
            ? ctx.links.page({ page: 'compare', base: String(base), candidate: String(candidate) })
            : null,
        timelineHref: ctx.links.page({ page: 'timeline', series: seriesOf(c), also: [] }),
      }
    }),
  )
  // The infrastructure change in the range, said the same way as the CLI and the notifications.
  const boundaryChange = a.changes.find((c) => c.kind === a.kind && boundaryOf(c) !== null)
  const boundary = boundaryChange ? boundaryOf(boundaryChange) : null
  const body = (
    <>
      <h1>
        Alert #{a.id} <Direction direction={a.direction} />
      </h1>
      <FactTable
        label="Alert"
        rows={[
          ['runtime', `${a.runtime}${a.branch !== null ? ` (${a.branch})` : ''}`],
          [
            'blame range',
            <>
              last good <CommitLink links={ctx.links} sha={a.lastGoodCommit} /> … first at the new level{' '}
              <CommitLink links={ctx.links} sha={a.firstBadCommit} />
            </>,
          ],
          ['kind', <KindBadge kind={a.kind} key="k" />],
          ['detection', a.status],
          ['changes', `${a.changeCount}: ${a.regressions} regressions ▲, ${a.improvements} improvements ▼`],
          ['machines', a.machines.join(', ')],
          ['configs', a.configs.join(', ')],
          ['triage', <Triage ctx={ctx} alert={a} triage key="t" />],
          ...(a.triageLink !== null && /^https?:\/\//i.test(a.triageLink)
            ? [
                [
                  'link',
                  <a href={a.triageLink} rel="noopener noreferrer external" key="l">
                    {a.triageLink}
                  </a>,
                ] as const,
              ]
            : []),
          ...(a.culpritCommit !== null
            ? [['culprit', <CommitLink links={ctx.links} sha={a.culpritCommit} key="c" />] as const]
            : []),
        ]}
      />
      {boundary !== null ? (
        <Notice kind={a.kind === 'infrastructure' ? 'warn' : 'info'}>{boundaryNote(a.kind, boundary)}</Notice>
      ) : null}
      <h2>Changes</h2>
      <TableWrap label="Changes of the alert">
        <table class="data">
          <thead>
            <tr>
              <th scope="col">workload</th>
              <th scope="col">machine · config</th>
              <th scope="col" class="num">
                ratio
              </th>
              <th scope="col" class="num">
                interval
              </th>
              <th scope="col">direction</th>
              <th scope="col">status</th>
              <th scope="col" class="num">
                p
              </th>
              <th scope="col">compare</th>
            </tr>
          </thead>
          <tbody>
            {changes.map(({ change: c, compareHref, timelineHref }) => (
              <tr key={c.id}>
                <th scope="row" class="name">
                  <a href={timelineHref}>{c.series.workload}</a>
                  {c.kind === 'infrastructure' ? <span class="small muted"> ⚙</span> : null}
                </th>
                <td>
                  {c.series.machine} · {c.series.config}
                </td>
                <td class="num">
                  {formatRatio(c.ratio)} ({formatChange(c.ratio)})
                </td>
                <td class="num muted">{formatInterval(c.ratioLow, c.ratioHigh)}</td>
                <td>
                  <Direction direction={c.direction} />
                </td>
                <td>{c.status}</td>
                <td class="num">{formatP(c.pValue)}</td>
                <td>{compareHref !== null ? <a href={compareHref}>across the change</a> : '–'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableWrap>
    </>
  )
  return { status: 200, title: `Alert #${a.id}`, section: 'alerts', body }
}
