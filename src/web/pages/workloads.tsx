import { changeMagnitude } from '../../model/index.ts'
import { Sparkline, TableWrap } from '../components.tsx'
import { allPages, type PageContext, type PageResult, type SeriesSummary } from '../context.ts'
import { formatChange, formatDay, formatValue } from '../format.ts'
import { Island } from '../html.tsx'
import type { SeriesRef } from '../links.ts'
import { CommitLink, Notice } from './parts.tsx'

// The workloads index: every series grouped by workload, each with a sparkline of its newest
// means, its latest value, its noise floor between builds and its latest detected change, linked
// to its timeline. A GET form searches by name and filters by tag, so it works without JavaScript.

/** Most series a static report's index lists; past it the page asks for a narrower search. */
export const MAX_INDEX_SERIES = 2000
/** Series on one page of a server's index. */
export const PAGE_SERIES = 200
/** Means in each sparkline. */
const SPARK_POINTS = 20

/**
 * The workloads page; `q` keeps workloads whose name contains it, `tag` those with the tag. A
 * server pages through the series (`offset`); a static report, having no server to ask, holds the
 * first MAX_INDEX_SERIES and filters them in the browser.
 */
export async function workloadsPage(
  ctx: PageContext,
  ref: { readonly q?: string | null; readonly tag?: string | null; readonly offset?: number | null },
): Promise<PageResult> {
  const q = ref.q ?? null
  const tag = ref.tag ?? null
  const server = ctx.links.mode === 'server'
  const offset = server ? (ref.offset ?? 0) : 0
  let total = 0
  let allTags: string[] = []
  const fetchPage = async (from: number, limit: number) => {
    const page = await ctx.api.summarizeSeries({
      query: {
        offset: from,
        limit,
        spark: SPARK_POINTS,
        ...(q === null ? {} : { q }),
        ...(tag === null || !server ? {} : { tag }),
      },
    })
    total = page.total
    allTags = page.tags
    return page
  }
  const all = server
    ? (await fetchPage(offset, PAGE_SERIES)).items
    : await allPages(fetchPage, MAX_INDEX_SERIES)
  const shown = tag === null || server ? all : all.filter((s) => s.tags.includes(tag))
  const groups = groupByWorkload(shown)
  const body = (
    <>
      <h1>Workloads</h1>
      <p class="lede">
        Every series (a workload version measured with one runtime and build config on one machine), grouped
        by workload. The noise floor is the typical difference between two consecutive builds (the median, so
        half of them differ by more); a change smaller than it needs many builds to be seen. The sparkline
        shows the newest {SPARK_POINTS} means.
      </p>
      <Island
        name="workloads"
        id="workloads"
        data={{
          q: q ?? '',
          tag: tag ?? '',
          tags: allTags,
          groups: groups.length,
          action: ctx.links.mode === 'server' ? '/workloads' : null,
        }}
      >
        {ctx.links.mode === 'server' ? <SearchForm q={q} tag={tag} allTags={allTags} /> : null}
      </Island>
      {!server && total > all.length ? (
        <Notice kind="warn">
          Showing the first {all.length} of {total} series: search for a workload to narrow the list.
        </Notice>
      ) : null}
      <p class="small muted" aria-live="polite">
        {server && total > shown.length ? (
          <>
            Series {total === 0 ? 0 : offset + 1}–{offset + shown.length} of {total} ({groups.length} workload
            {groups.length === 1 ? '' : 's'} on this page)
          </>
        ) : (
          <>
            {shown.length} series of {groups.length} workload{groups.length === 1 ? '' : 's'}
          </>
        )}
        {q !== null ? <> matching “{q}”</> : null}
        {tag !== null ? <> tagged {tag}</> : null}
      </p>
      {groups.length === 0 ? (
        <p class="empty">
          {q === null && tag === null ? 'No series yet.' : 'No workload matches.'}{' '}
          {q !== null || tag !== null ? (
            <a href={ctx.links.page({ page: 'workloads' })}>Show every workload</a>
          ) : null}
        </p>
      ) : (
        <WorkloadsTable ctx={ctx} groups={groups} />
      )}
      {server ? <Pager ctx={ctx} q={q} tag={tag} offset={offset} shown={shown.length} total={total} /> : null}
    </>
  )
  return { status: 200, title: 'Workloads', section: 'workloads', body }
}

/** Series of one workload version, in the API's order. */
interface WorkloadGroup {
  readonly workload: string
  readonly version: string
  readonly tags: readonly string[]
  readonly series: readonly SeriesSummary[]
}

function groupByWorkload(series: readonly SeriesSummary[]): WorkloadGroup[] {
  const groups = new Map<
    string,
    { workload: string; version: string; tags: string[]; series: SeriesSummary[] }
  >()
  for (const s of series) {
    const key = `${s.workload}\u0000${s.workloadVersion}`
    const g = groups.get(key) ?? {
      workload: s.workload,
      version: s.workloadVersion,
      tags: s.tags,
      series: [],
    }
    g.series.push(s)
    groups.set(key, g)
  }
  return [...groups.values()]
}

/** The search form (server only: a GET form that works without JavaScript). */
function SearchForm(props: {
  readonly q: string | null
  readonly tag: string | null
  readonly allTags: readonly string[]
}) {
  return (
    <form class="picker search-form" method="get" action="/workloads">
      <label>
        workload <input type="search" name="q" value={props.q ?? ''} maxLength={100} placeholder="name" />
      </label>
      {props.allTags.length > 0 ? (
        <label>
          tag{' '}
          <select name="tag">
            <option value="">any</option>
            {props.allTags.map((t) => (
              <option key={t} value={t} selected={t === props.tag}>
                {t}
              </option>
            ))}
          </select>
        </label>
      ) : null}
      <button type="submit">Search</button>
    </form>
  )
}

function WorkloadsTable(props: { readonly ctx: PageContext; readonly groups: readonly WorkloadGroup[] }) {
  return (
    <TableWrap label="Series by workload">
      <table class="data workloads-table">
        <thead>
          <tr>
            <th scope="col">runtime · config · branch · machine</th>
            <th scope="col" class="num">
              builds
            </th>
            <th scope="col" class="num">
              latest
            </th>
            <th scope="col" class="num" title="median relative difference between consecutive builds">
              noise floor
            </th>
            <th scope="col">latest change</th>
            <th scope="col">newest {SPARK_POINTS}</th>
          </tr>
        </thead>
        {props.groups.map((g) => (
          <tbody key={`${g.workload}@${g.version}`} data-workload={g.workload} data-tags={g.tags.join(' ')}>
            <tr class="group-row">
              <th scope="rowgroup" colSpan={6}>
                {g.workload} <span class="muted small">v {g.version}</span>
                {g.tags.length > 0 ? <span class="tags"> {g.tags.join(' · ')}</span> : null}
              </th>
            </tr>
            {g.series.map((s) => (
              <SeriesRow key={`${s.machine}|${s.runtime}|${s.config}|${s.branch}`} ctx={props.ctx} s={s} />
            ))}
          </tbody>
        ))}
      </table>
    </TableWrap>
  )
}

/** The series' key as the links want it. */
function refOf(s: SeriesSummary): SeriesRef {
  return {
    machine: s.machine,
    runtime: s.runtime,
    config: s.config,
    branch: s.branch,
    workload: s.workload,
    workloadVersion: s.workloadVersion,
  }
}

/** "± 1.2 %": the noise floor, or a dash below two differences. */
export function formatNoise(noise: SeriesSummary['noise']): string {
  if (noise === null) return '–'
  const pct = noise.relative * 100
  return `± ${pct < 10 ? pct.toFixed(1) : pct.toFixed(0)} %`
}

function SeriesRow(props: { readonly ctx: PageContext; readonly s: SeriesSummary }) {
  const { ctx, s } = props
  const name = `${s.runtime} · ${s.config}${s.branch !== null ? ` · ${s.branch}` : ''} · ${s.machine}`
  return (
    <tr>
      <th scope="row" class="name">
        <a href={ctx.links.page({ page: 'timeline', series: refOf(s), also: [] })}>{name}</a>
      </th>
      <td class="num">{s.points}</td>
      <td class="num">
        {s.latest === null ? '–' : formatValue(s.latest.mean, s.unit ?? 'second')}
        {s.latest !== null ? (
          <div class="small muted">
            <CommitLink links={ctx.links} sha={s.latest.commitSha} /> {formatDay(s.latest.commitDateUtc)}
          </div>
        ) : null}
      </td>
      <td
        class="num"
        title={s.noise === null ? 'fewer than 3 builds' : `from ${s.noise.differences} differences`}
      >
        {formatNoise(s.noise)}
      </td>
      <td>
        <LatestChange ctx={ctx} change={s.latestChange} />
      </td>
      <td>
        <Sparkline
          values={s.values}
          label={`The newest ${s.values.length} means of ${s.workload} on ${name}`}
        />
      </td>
    </tr>
  )
}

function LatestChange(props: { readonly ctx: PageContext; readonly change: SeriesSummary['latestChange'] }) {
  const c = props.change
  if (c === null) return <span class="muted">none</span>
  const regression = c.direction === 'regression'
  return (
    <>
      <a class={`plain dir-${c.direction}`} href={props.ctx.links.page({ page: 'alert', id: c.alertId })}>
        <span aria-hidden="true">{regression ? '▲' : '▼'}</span> {c.direction}{' '}
        {c.measure === 'instructions' ? changeMagnitude(c) : formatChange(c.ratio)}
      </a>{' '}
      <span class="small muted">
        {c.kind === 'infrastructure' ? '⚙ ' : ''}
        {c.status} at <CommitLink links={props.ctx.links} sha={c.firstBadCommit} />
      </span>
    </>
  )
}

/** Links to the previous and next pages of a server's index, keeping the search. */
function Pager(props: {
  readonly ctx: PageContext
  readonly q: string | null
  readonly tag: string | null
  readonly offset: number
  readonly shown: number
  readonly total: number
}) {
  const { ctx, q, tag, offset, shown, total } = props
  if (offset === 0 && shown >= total) return null
  const at = (from: number) => ctx.links.page({ page: 'workloads', q, tag, offset: from })
  return (
    <nav class="pager" aria-label="Pages of series">
      {offset > 0 ? <a href={at(Math.max(0, offset - PAGE_SERIES))}>← previous {PAGE_SERIES}</a> : null}
      {offset + shown < total ? (
        <a href={at(offset + PAGE_SERIES)}>next {Math.min(PAGE_SERIES, total - offset - shown)} →</a>
      ) : null}
    </nav>
  )
}
