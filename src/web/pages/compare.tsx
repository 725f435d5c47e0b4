import { separateRunsSentence } from '../../model/index.ts'
import { CompareTable, GeometricMean } from '../components.tsx'
import { allPages, type Out, type PageContext, type PageResult, type Run } from '../context.ts'
import { formatDate } from '../format.ts'
import { Island } from '../html.tsx'
import type { CompareIslandProps, CompareRowData } from '../islands.ts'
import { compareMarkdown } from '../markdown.ts'
import { CommitLink, Notice } from './parts.tsx'

// Compare: any two runs (or builds, versions, commits: the API's selectors), or a run and the one
// before it in its series, as a table of ratios with intervals and verdicts sorted slowest first,
// the geometric mean, a tag filter, a permalink and a Markdown export for pull requests.

/** Selector meaning "the run before the candidate in its machine × runtime × config × branch". */
export const PREVIOUS = 'previous'

/** The run before `run` in its group, by commit date (start time for builds without one). */
async function previousRun(ctx: PageContext, run: Run): Promise<Run | undefined> {
  const runs = await allPages(
    (offset, limit) =>
      ctx.api.listRuns({
        query: {
          machine: run.machine,
          runtime: run.build.runtime,
          config: run.build.config,
          ...(run.build.branch === null ? {} : { branch: run.build.branch }),
          offset,
          limit,
        },
      }),
    5000,
  )
  const key = (r: Run) => `${r.build.commitDateUtc ?? r.startedAt}|${r.startedAt}`
  const me = key(run)
  return runs
    .filter(
      (r) => r.build.branch === run.build.branch && r.id !== run.id && r.status !== 'running' && key(r) < me,
    )
    .sort((a, b) => (key(a) < key(b) ? 1 : -1))[0]
}

/** Rows sorted slowest first; rows without a ratio last, by name. */
export function sortRows<T extends { readonly ratio: number | null; readonly workload: string }>(
  rows: readonly T[],
): T[] {
  return [...rows].sort((a, b) => {
    if (a.ratio === null || b.ratio === null) {
      return a.ratio === b.ratio ? a.workload.localeCompare(b.workload) : a.ratio === null ? 1 : -1
    }
    return b.ratio - a.ratio || a.workload.localeCompare(b.workload)
  })
}

function runLabel(r: Run): string {
  return `${r.build.runtime} ${r.build.version}${r.build.config !== 'default' ? ` ${r.build.config}` : ''}${r.build.commitSha !== null ? ` ${r.build.commitSha.slice(0, 10)}` : ''} on ${r.machine}`
}

function RunSide(props: { readonly ctx: PageContext; readonly run: Run; readonly side: string }) {
  const r = props.run
  return (
    <div class="side">
      <div class="small muted">{props.side}</div>
      <div>
        <a href={props.ctx.links.page({ page: 'run', id: r.id })}>run {r.id}</a>: {r.build.runtime}{' '}
        <strong>{r.build.version}</strong> {r.build.config}
        {r.build.branch !== null ? <span class="muted"> ({r.build.branch})</span> : null}
      </div>
      <div class="small">
        <CommitLink links={props.ctx.links} sha={r.build.commitSha} /> ·{' '}
        {formatDate(r.build.commitDateUtc ?? r.startedAt)} ·{' '}
        <a href={props.ctx.links.page({ page: 'machine', name: r.machine })}>{r.machine}</a>
      </div>
    </div>
  )
}

type CompareRef = {
  readonly base: string
  readonly candidate: string
  readonly tags?: readonly string[]
  /** Smallest change called, in percent; the API's default when absent. */
  readonly threshold?: number | null
}

/** The compare page of `base` and `candidate` (API selectors; `previous` for the run before). */
export async function comparePage(ctx: PageContext, ref: CompareRef): Promise<PageResult> {
  const base = await resolveBase(ctx, ref)
  if (typeof base !== 'string') return base
  const tags = ref.tags ?? []
  const threshold = ref.threshold ?? null
  const minEffect = threshold === null ? {} : { minEffect: threshold / 100 }
  const [c, all]: [Out<'compare'>, Out<'compare'> | undefined] = await Promise.all([
    ctx.api.compare({
      query: { base, candidate: ref.candidate, ...minEffect, ...(tags.length > 0 ? { tag: [...tags] } : {}) },
    }),
    tags.length > 0
      ? ctx.api.compare({ query: { base, candidate: ref.candidate, ...minEffect } })
      : Promise.resolve(undefined),
  ])
  const allTags = [...new Set((all ?? c).rows.flatMap((r) => r.tags))].sort()
  const rows = rowsWithTimelines(ctx, c)
  const permalink = ctx.links.page({
    page: 'compare',
    base,
    candidate: ref.candidate,
    ...(tags.length > 0 ? { tags } : {}),
    ...(threshold === null ? {} : { threshold }),
  })
  const props: CompareIslandProps = {
    rows,
    geometricMean: c.geometricMean,
    counts: c.counts,
    confidence: c.confidence,
    minEffect: c.minEffect,
    baseLabel: runLabel(c.base),
    candidateLabel: runLabel(c.candidate),
    serverTags: tags,
    permalink,
    clientTags: ctx.links.mode === 'static',
    separateRuns: separateRunsText(c),
  }
  const server = ctx.links.mode === 'server'
  const body = (
    <>
      <h1>Compare</h1>
      {server ? <ComparePicker selectors={ref} threshold={c.minEffect * 100} /> : null}
      <div class="sides">
        <RunSide ctx={ctx} run={c.base} side="base" />
        <div class="arrow" aria-hidden="true">
          →
        </div>
        <RunSide ctx={ctx} run={c.candidate} side="candidate" />
      </div>
      <CompareHeadline c={c} tags={tags} />
      <CompareNotices c={c} rows={rows} />
      {server && allTags.length > 0 ? (
        <TagFilter
          base={base}
          candidate={ref.candidate}
          threshold={threshold}
          allTags={allTags}
          tags={tags}
        />
      ) : null}
      <Island name="compare" id="compare" data={props}>
        <CompareTable rows={rows} confidence={c.confidence} />
      </Island>
      <details class="markdown">
        <summary>Markdown for a pull request</summary>
        <pre>{compareMarkdown(props)}</pre>
      </details>
      <p class="small muted">
        Permalink: <a href={permalink}>{permalink}</a> · the intervals are {Math.round(c.confidence * 100)} %
        Welch intervals on log process means; the geometric mean's interval is the measurement interval of
        docs/stats.md. A workload or the geometric mean is called slower or faster only when its interval
        excludes 1 and it moved by at least {formatThreshold(c.minEffect)}; otherwise it reads = with its
        interval.
      </p>
    </>
  )
  return {
    status: 200,
    title: `Compare ${props.baseLabel} → ${props.candidateLabel}`,
    section: 'compare',
    body,
  }
}

/**
 * The base selector: as given, or for `previous` the id of the run before the candidate; the
 * 404 page when the candidate is the first of its series.
 */
async function resolveBase(ctx: PageContext, ref: CompareRef): Promise<string | PageResult> {
  if (ref.base !== PREVIOUS) return ref.base
  const self = await ctx.api.compare({ query: { base: ref.candidate, candidate: ref.candidate } })
  const prev = await previousRun(ctx, self.candidate)
  if (prev !== undefined) return String(prev.id)
  return {
    status: 404,
    title: 'Compare',
    section: 'compare',
    body: (
      <>
        <h1>Compare</h1>
        <Notice kind="error">
          Run {self.candidate.id} ({runLabel(self.candidate)}) is the first of its series: there is no run
          before it to compare with.
        </Notice>
      </>
    ),
  }
}

/** The comparison's rows, slowest first, each linked to its workload's timeline on the candidate's series. */
export function rowsWithTimelines(ctx: PageContext, c: Out<'compare'>): CompareRowData[] {
  const cand = c.candidate
  return sortRows(c.rows).map((r) => ({
    ...r,
    timelineHref: ctx.links.page({
      page: 'timeline',
      series: {
        machine: cand.machine,
        runtime: cand.build.runtime,
        config: cand.build.config,
        branch: cand.build.branch,
        workload: r.workload,
        workloadVersion: '',
      },
      also: [],
    }),
  }))
}

/** A minimum effect (a fraction) as people read it: `1 %`, `0.5 %`. */
export function formatThreshold(minEffect: number): string {
  return `${Number((minEffect * 100).toFixed(2))} %`
}

/** The form that picks the two runs (server only: it is a GET form). */
export function ComparePicker(props: {
  readonly selectors: { readonly base: string; readonly candidate: string }
  readonly threshold: number
  /** Suggestions for the two fields: a value and its label. */
  readonly suggestions?: readonly { readonly value: string; readonly label: string }[]
}) {
  const ref = props.selectors
  const list = props.suggestions === undefined ? {} : { list: 'compare-suggestions' }
  return (
    <form class="picker" method="get" action="/compare">
      <label>
        base <input name="base" value={ref.base} size={14} required {...list} />
      </label>
      <label>
        candidate <input name="candidate" value={ref.candidate} size={14} required {...list} />
      </label>
      <label title="smallest change called slower or faster, however significant">
        threshold{' '}
        <input
          name="threshold"
          type="number"
          min={0}
          max={100}
          step="any"
          value={String(Number(props.threshold.toFixed(2)))}
          class="threshold"
        />{' '}
        %
      </label>
      <button type="submit">Compare</button>
      {props.suggestions === undefined ? null : (
        <datalist id="compare-suggestions">
          {props.suggestions.map((s) => (
            <option key={s.value} value={s.value} label={s.label} />
          ))}
        </datalist>
      )}
      <span class="small muted">
        a run id, <code>build:ID</code>, a version, <code>runtime-version</code>, a commit prefix or{' '}
        <code>latest</code>; base <code>previous</code>: the run before; <code>base:RUN</code>: the run of
        RUN's merge base
      </span>
    </form>
  )
}

/** The headline: the geometric mean with its interval and how many workloads went each way. */
function CompareHeadline(props: { readonly c: Out<'compare'>; readonly tags: readonly string[] }) {
  const { c, tags } = props
  return (
    <p class="headline">
      Geometric mean{tags.length > 0 ? <> of workloads tagged {tags.join(', ')}</> : null}:{' '}
      <GeometricMean value={c.geometricMean} />
      <span class="counts">
        {' '}
        · <span class="verdict-slower">▲ {c.counts.slower} slower</span> ·{' '}
        <span class="verdict-faster">▼ {c.counts.faster} faster</span> · = {c.counts.same} same
      </span>
    </p>
  )
}

/** The caveats: two machines, workloads whose versions differ, workloads not compared and why. */
function CompareNotices(props: { readonly c: Out<'compare'>; readonly rows: readonly CompareRowData[] }) {
  const { c, rows } = props
  const versionsDiffer = rows.filter((r) => r.versionsDiffer).length
  return (
    <>
      {c.base.machine !== c.candidate.machine ? (
        <Notice kind="warn">
          The two runs were measured on different machines ({c.base.machine}, {c.candidate.machine}): the
          ratios mix the machines with the builds.
        </Notice>
      ) : null}
      {versionsDiffer > 0 ? (
        <Notice kind="warn">
          {versionsDiffer} workloads have different versions in the two runs (marked ≠ version).
        </Notice>
      ) : null}
      {separateRunsText(c) !== null ? <Notice kind="info">{separateRunsText(c)}</Notice> : null}
      {c.caveats.length > 0 ? (
        <Notice kind="warn">
          What the two runs do not share:
          <ul class="caveats">
            {c.caveats.map((k) => (
              <li key={k.field}>
                <strong>{k.field}</strong>: {k.base} against {k.candidate} —{' '}
                {k.note ?? 'part of a difference may be infrastructure'}
              </li>
            ))}
          </ul>
        </Notice>
      ) : null}
      {c.uncompared.length > 0 ? (
        <details class="uncompared">
          <summary>{c.uncompared.length} workloads not compared</summary>
          <ul>
            {c.uncompared.map((u) => (
              <li key={u.workload}>
                {u.workload}: {u.why}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
    </>
  )
}

/**
 * What the intervals include when the runs were measured separately (docs/stats.md, "Comparing
 * separate runs"); null when they were measured together.
 */
export function separateRunsText(c: Out<'compare'>): string | null {
  const suite = c.acrossRuns.suite
  if (c.acrossRuns.interleaved || suite === null) return null
  return separateRunsSentence(c.rows, suite)
}

/** The tag filter (server only: it is a GET form). */
function TagFilter(props: {
  readonly base: string
  readonly candidate: string
  readonly threshold: number | null
  readonly allTags: readonly string[]
  readonly tags: readonly string[]
}) {
  const { base, candidate, allTags, tags } = props
  return (
    <form class="tags-form" method="get" action="/compare">
      <input type="hidden" name="base" value={base} />
      <input type="hidden" name="candidate" value={candidate} />
      {props.threshold !== null ? (
        <input type="hidden" name="threshold" value={String(props.threshold)} />
      ) : null}
      <fieldset>
        <legend>Only workloads tagged</legend>
        {allTags.map((t) => (
          <label key={t} class="chip">
            <input type="checkbox" name="tag" value={t} checked={tags.includes(t)} /> {t}
          </label>
        ))}
        <button type="submit">Filter</button>
      </fieldset>
    </form>
  )
}
