import { boundaryNote, boundaryOf, changeMagnitude } from '../../model/index.ts'
import { TableWrap } from '../components.tsx'
import { type Alert, allPages, type Change, type PageContext, type PageResult } from '../context.ts'
import { formatChange, formatDate, formatDay, formatInterval, formatP, formatRatio } from '../format.ts'
import { Island } from '../html.tsx'
import type { AlertFilters, SeriesRef } from '../links.ts'
import { openMachineAlerts } from './agents.tsx'
import { CommitRange, MAX_LISTED } from './alert-commits.tsx'
import { AlertElsewhere } from './alert-elsewhere.tsx'
import { Heads, PairedEvidence, similarAlerts, smallMultiples } from './alert-evidence.tsx'
import { CommitLink, FactTable, Notice } from './parts.tsx'
import { culpritProfiles, ProfileFacts } from './profiles.tsx'

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

/**
 * Whether an acknowledgement's expiry has passed at `now` (an alert acknowledged without one, or
 * not acknowledged, never expires).
 */
export function acknowledgementExpired(a: Alert, now: Date): boolean {
  return (
    a.triage === 'acknowledged' &&
    a.acknowledgedUntil !== null &&
    Date.parse(a.acknowledgedUntil) <= now.getTime()
  )
}

/** "until 2024-12-01" or "acknowledgement expired 2024-12-01" for an acknowledgement with an expiry. */
function AckExpiry(props: { readonly alert: Alert }) {
  const a = props.alert
  if (a.triage !== 'acknowledged' || a.acknowledgedUntil === null) return null
  return acknowledgementExpired(a, new Date()) ? (
    <span class="ack-expired" title={`acknowledged until ${formatDate(a.acknowledgedUntil)} UTC`}>
      {' '}
      <span aria-hidden="true">⏰</span> acknowledgement expired {formatDay(a.acknowledgedUntil)}
    </span>
  ) : (
    <span class="small muted ack-until"> known, expected until {formatDay(a.acknowledgedUntil)}</span>
  )
}

/** The triage state, with the triage island for admins where there is a server. */
function Triage(props: { readonly ctx: PageContext; readonly alert: Alert; readonly triage: boolean }) {
  const a = props.alert
  const text = (
    <span class={`triage triage-${a.triage}`}>
      {a.triage}
      <AckExpiry alert={a} />
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
        until: a.acknowledgedUntil,
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
                  {a.status} · detected {formatDate(a.createdAt)}
                </div>
              </th>
              <td>
                {a.runtime}
                {a.branch !== null ? <span class="muted"> {a.branch}</span> : null}{' '}
                <CommitLink links={ctx.links} sha={a.lastGoodCommit} /> …{' '}
                <CommitLink links={ctx.links} sha={a.firstBadCommit} />
                {a.firstBadCommitDate !== null ? (
                  <div class="small muted first-bad-date">committed {formatDay(a.firstBadCommitDate)}</div>
                ) : null}
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
                      {a.largest.measure === 'instructions'
                        ? changeMagnitude(a.largest)
                        : `${formatRatio(a.largest.ratio)} (${formatChange(a.largest.ratio)})`}
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

/** What changed under an infrastructure alert and how many of the crossing workloads had a step there. */
export function infrastructureText(changes: readonly Change[]): string {
  const c = changes.find((x) => x.kind === 'infrastructure')
  const b = c === undefined ? null : boundaryOf(c)
  if (b === null) return ''
  const parts = [...b.changed]
  if (b.moved !== null && b.crossing !== null)
    parts.push(`${b.moved} of ${b.crossing} workloads had a detected step`)
  return parts.join('; ')
}

type AlertsQuery = NonNullable<NonNullable<Parameters<PageContext['api']['listAlerts']>[0]>['query']>

/** The API query of the alerts list's filters (the page's route checked their values). */
function alertQuery(f: AlertFilters): AlertsQuery {
  const opt = <K extends string, V>(key: K, v: V | null | undefined) =>
    (v === null || v === undefined ? {} : { [key]: v }) as Partial<Record<K, V>>
  return {
    ...(f.triage ? { triage: [f.triage] } : {}),
    ...(f.status ? { status: [f.status] } : {}),
    ...opt('kind', f.kind),
    ...opt('machine', f.machine),
    ...opt('config', f.config),
    ...opt('direction', f.direction),
    ...opt('minChange', f.minChange),
    ...opt('from', f.from),
    ...opt('to', f.to),
    ...(f.acknowledged ? { showAcknowledged: 'true' } : {}),
  } as AlertsQuery
}

function hasFilter(f: AlertFilters): boolean {
  return Object.entries(f).some(([, v]) => v !== null && v !== undefined && v !== false)
}

/** One select of the filter form: any, or one of `values`. */
function Choice(props: {
  readonly name: string
  readonly label: string
  readonly values: readonly string[]
  readonly value: string | null | undefined
}) {
  return (
    <label>
      {props.label}{' '}
      <select name={props.name}>
        <option value="">any</option>
        {props.values.map((v) => (
          <option key={v} value={v} selected={v === props.value}>
            {v}
          </option>
        ))}
      </select>
    </label>
  )
}

/** The filters as a GET form (server only: it works without JavaScript). */
function FilterForm(props: { readonly filters: AlertFilters }) {
  const f = props.filters
  return (
    <form class="picker alert-filters" method="get" action="/alerts">
      <Choice name="triage" label="triage" values={TRIAGE_VALUES} value={f.triage} />
      <Choice
        name="status"
        label="detection"
        values={['provisional', 'confirmed', 'withdrawn']}
        value={f.status}
      />
      <Choice name="kind" label="kind" values={['commit', 'infrastructure']} value={f.kind} />
      <Choice
        name="direction"
        label="direction"
        values={['regression', 'improvement', 'mixed']}
        value={f.direction}
      />
      <label>
        machine <input name="machine" value={f.machine ?? ''} maxLength={200} size={12} />
      </label>
      <label>
        config <input name="config" value={f.config ?? ''} maxLength={200} size={10} />
      </label>
      <label>
        at least{' '}
        <input
          name="minChange"
          type="number"
          min="0"
          step="any"
          value={f.minChange ?? ''}
          size={5}
          class="num-input"
        />{' '}
        %
      </label>
      <label>
        committed from <input name="from" type="date" value={f.from ?? ''} />
      </label>
      <label>
        to <input name="to" type="date" value={f.to ?? ''} />
      </label>
      <label>
        <input name="acknowledged" type="checkbox" checked={f.acknowledged === true} /> also acknowledged
        until later
      </label>
      <button type="submit">Filter</button>
    </form>
  )
}

const TRIAGE_VALUES = ['new', 'acknowledged', 'invalid', 'fixed', 'wont-fix'] as const

/**
 * The alerts page: new alerts first, then the rest, newest first within each; with filters (a
 * server's GET form), one list of the alerts that match.
 */
export async function alertsPage(ctx: PageContext, filters: AlertFilters = {}): Promise<PageResult> {
  const query = alertQuery(filters)
  const all = await allPages(
    (offset, limit) => ctx.api.listAlerts({ query: { ...query, offset, limit } }),
    2000,
  )
  const filtered = hasFilter(filters)
  // How many alerts are acknowledged until a time still ahead, and so left out of this list.
  const hidden =
    filters.acknowledged === true || filters.triage === 'acknowledged'
      ? 0
      : (await ctx.api.listAlerts({ query: { ...query, showAcknowledged: 'true', limit: 1 } })).total -
        (await ctx.api.listAlerts({ query: { ...query, limit: 1 } })).total
  const fresh = all.filter((a) => a.triage === 'new')
  const rest = all.filter((a) => a.triage !== 'new')
  // Infrastructure alerts say what changed under them: the first 100 are read with their changes.
  const infra = new Map<number, string>()
  for (const a of all.filter((x) => x.kind === 'infrastructure').slice(0, 100)) {
    const text = infrastructureText((await ctx.api.getAlert({ params: { id: a.id } })).changes)
    if (text !== '') infra.set(a.id, text)
  }
  const server = ctx.links.mode === 'server'
  const machines = filtered ? null : await openMachineAlerts(ctx)
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
      {server ? <FilterForm filters={filters} /> : null}
      {hidden > 0 ? (
        <p class="small muted acks-hidden">
          {hidden} alert{hidden === 1 ? ' is' : 's are'} acknowledged until a later date and not listed
          {server ? (
            <>
              {' '}
              (
              <a href={ctx.links.page({ page: 'alerts', filters: { ...filters, acknowledged: true } })}>
                show
              </a>
              )
            </>
          ) : null}
          .
        </p>
      ) : null}
      {filtered ? (
        <>
          <h2>
            Matching ({all.length}
            {all.length === 2000 ? '+' : ''})
          </h2>
          <AlertList ctx={ctx} alerts={all} triage infra={infra} />
        </>
      ) : (
        <>
          {machines}
          <h2>New ({fresh.length})</h2>
          <AlertList ctx={ctx} alerts={fresh} triage infra={infra} />
          <h2>Triaged ({rest.length})</h2>
          <AlertList ctx={ctx} alerts={rest} triage infra={infra} />
        </>
      )}
    </>
  )
  return { status: 200, title: 'Alerts', section: 'alerts', body }
}

/** What bisection found: the culprit with its note, the note alone, or that it has not run. */
function Bisection(props: { readonly ctx: PageContext; readonly alert: Alert }) {
  const a = props.alert
  if (a.culpritCommit === null && (a.culpritNote === null || a.culpritNote === ''))
    return <span class="muted">not bisected</span>
  return (
    <span class="bisection">
      {a.culpritCommit !== null ? (
        <>
          culprit <CommitLink links={props.ctx.links} sha={a.culpritCommit} />
        </>
      ) : (
        'no culprit named'
      )}
      {a.culpritNote !== null && a.culpritNote !== '' ? <div class="small muted">{a.culpritNote}</div> : null}
    </span>
  )
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
  const [multiples, similar, range, profiles, elsewhere] = await Promise.all([
    smallMultiples(ctx, a.changes),
    similarAlerts(ctx, a),
    ctx.api.getAlertCommits({ params: { id: a.id }, query: { limit: MAX_LISTED } }),
    culpritProfiles(ctx, a.id),
    ctx.api.getAlertElsewhere({ params: { id: a.id } }),
  ])
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
          ['bisection', <Bisection ctx={ctx} alert={a} key="b" />],
          ...(a.profiles.some((p) => p.culpritCommit === a.culpritCommit)
            ? [
                [
                  'profile',
                  <ProfileFacts
                    profiles={a.profiles.filter((p) => p.culpritCommit === a.culpritCommit)}
                    key="p"
                  />,
                ] as const,
              ]
            : []),
        ]}
      />
      {boundary !== null ? (
        <Notice kind={a.kind === 'infrastructure' ? 'warn' : 'info'}>{boundaryNote(a.kind, boundary)}</Notice>
      ) : null}
      {profiles}
      <h2>Commits in the range</h2>
      <CommitRange ctx={ctx} range={range} />
      <h2>The moved series</h2>
      {multiples}
      <h2>On other machines</h2>
      <AlertElsewhere ctx={ctx} elsewhere={elsewhere} />
      <h2>Paired runs</h2>
      <PairedEvidence ctx={ctx} changes={a.changes} />
      <h2>Similar alerts ({similar.length})</h2>
      <p class="small muted">
        Alerts of {a.runtime} whose blame range overlaps this one (by commit date), on any machine or config.
      </p>
      <AlertList ctx={ctx} alerts={similar} triage={false} />
      <h2>Changes</h2>
      <TableWrap label="Changes of the alert">
        <table class="data">
          <Heads
            cols={[
              'workload',
              'machine · config',
              '#ratio',
              '#interval',
              'direction',
              'status',
              '#p',
              'compare',
            ]}
          />
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
                  {c.measure === 'instructions'
                    ? changeMagnitude(c)
                    : `${formatRatio(c.ratio)} (${formatChange(c.ratio)})`}
                </td>
                <td class="num muted">
                  {formatInterval(c.ratioLow, c.ratioHigh, c.measure === 'instructions')}
                </td>
                <td>
                  <Direction direction={c.direction} />
                </td>
                <td>{c.status}</td>
                <td class="num">{c.measure === 'instructions' ? '–' : formatP(c.pValue)}</td>
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
