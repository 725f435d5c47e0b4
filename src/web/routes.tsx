import type { FastifyInstance, FastifyReply } from 'fastify'
import { z } from 'zod'
import { type ApiClient, CHANGE_KINDS, CHANGE_STATUSES, TRIAGE_STATES } from '../api/index.ts'
import { type Assets, loadAssets } from './assets.ts'
import { Memo, type PageContext } from './context.ts'
import { Layout, renderDocument } from './html.tsx'
import { type PageRef, parseSeriesKey, type SeriesRef, serverLinks, serverPath } from './links.ts'
import { errorPage, renderPage } from './pages/index.tsx'

// The dashboard on the portal's server: one GET route per page, each reading its data through
// the in-process API client, and the built assets under /assets/. Pages answer with a strict
// Content-Security-Policy: scripts and styles only from this server, nothing inline.

/** The Content-Security-Policy of every page. */
export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ')

/** Options of createWebRoutes. */
export interface WebOptions {
  /** Commit URL pattern with `{sha}` (e.g. `https://github.com/python/cpython/commit/{sha}`). */
  readonly commitUrl?: string
  /** langperf's version, in the footer. */
  readonly version?: string
  /** Where the built assets are; dist/web when absent. */
  readonly assetsDir?: string
}

/** What the server's hook expects (structurally the server's WebRoutes). */
export interface WebRoutesLike {
  register(app: FastifyInstance, context: { readonly api: ApiClient }): Promise<void> | void
}

type Query = Readonly<Record<string, string | string[] | undefined>>

function one(q: Query, name: string): string | undefined {
  const v = q[name]
  const s = Array.isArray(v) ? v[0] : v
  return s === undefined || s === '' ? undefined : s
}

function many(q: Query, name: string): string[] {
  const v = q[name]
  return (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((s) => s !== '')
}

/** A page request that cannot be answered: the page to show instead. */
class BadRequest extends Error {}

function need(q: Query, name: string, page: string): string {
  const v = one(q, name)
  if (v === undefined)
    throw new BadRequest(`Cannot show the ${page}: expected query parameter "${name}", found nothing`)
  return v
}

function id(text: string, what: string): number {
  if (!/^\d{1,15}$/.test(text) || Number(text) < 1) {
    throw new BadRequest(
      `Cannot show ${what} ${JSON.stringify(text.slice(0, 40))}: expected a positive integer id`,
    )
  }
  return Number(text)
}

/** A page's query parsed by `schema`; a BadRequest naming the parameter when it does not fit. */
function parseQuery<T>(schema: z.ZodType<T>, q: Query, page: string): T {
  const parsed = schema.safeParse(q)
  if (parsed.success) return parsed.data
  const issue = parsed.error.issues[0]
  throw new BadRequest(
    `Cannot show the ${page}: query parameter ${JSON.stringify(String(issue?.path[0] ?? '?'))} ${issue?.message ?? 'is not valid'}`,
  )
}

/** One optional text parameter: the first value if repeated, empty as absent, at most `max` characters. */
function optionalText(max: number) {
  return z
    .union([z.string(), z.array(z.string())])
    .optional()
    .transform((v) => (Array.isArray(v) ? v[0] : v))
    .transform((v) => (v === undefined || v.trim() === '' ? null : v.trim()))
    .refine((v) => v === null || v.length <= max, { message: `is longer than ${max} characters` })
}

/** The comparison's query: two selectors, tags, the verdict's threshold in percent. */
const CompareQuery = z.object({
  base: optionalText(200),
  candidate: optionalText(200),
  tag: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]).filter((t) => t !== ''))
    .refine((v) => v.length <= 50 && v.every((t) => t.length <= 200), {
      message: 'expected at most 50 tags of at most 200 characters',
    }),
  threshold: optionalText(20)
    .refine((v) => v === null || (/^\d+(\.\d+)?$/.test(v) && Number(v) <= 100), {
      message: 'expected a percentage from 0 to 100, like 1 or 0.5',
    })
    .transform((v) => (v === null ? null : Number(v))),
})

/** One optional choice among `values` (empty as absent). */
function optionalChoice(values: readonly string[]) {
  return optionalText(40).refine((v) => v === null || values.includes(v), {
    message: `expected one of ${values.join(', ')}`,
  })
}

/** One optional date, `YYYY-MM-DD`. */
const optionalDay = optionalText(10).refine(
  (v) => v === null || (/^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(`${v}T00:00:00Z`))),
  { message: 'expected a date like 2024-05-01' },
)

/** The alerts list's query: its GET form's filters. */
const AlertsQuery = z.object({
  triage: optionalChoice(TRIAGE_STATES),
  status: optionalChoice(CHANGE_STATUSES),
  kind: optionalChoice(CHANGE_KINDS),
  machine: optionalText(200),
  config: optionalText(200),
  direction: optionalChoice(['regression', 'improvement', 'mixed']),
  minChange: optionalText(20)
    .refine((v) => v === null || (/^\d+(\.\d+)?$/.test(v) && Number(v) > 0 && Number(v) <= 10_000), {
      message: 'expected a percentage above 0, like 5 or 2.5',
    })
    .transform((v) => (v === null ? null : Number(v))),
  from: optionalDay,
  to: optionalDay,
  acknowledged: optionalText(10).transform((v) => v !== null),
})

/** The workloads index's query: part of a name, a tag, and where its page of series starts. */
const WorkloadsQuery = z.object({
  q: optionalText(100),
  tag: optionalText(100),
  offset: optionalText(9)
    .refine((v) => v === null || /^\d+$/.test(v), { message: 'expected a whole number of series to skip' })
    .transform((v) => (v === null ? null : Number(v))),
})

/**
 * Where `/timeline` without a whole series goes: the workloads index, searching for the workload
 * when one was named. Undefined when the query names a series.
 */
export function timelineFallback(q: Query): string | undefined {
  if (['machine', 'runtime', 'config', 'workload'].every((name) => one(q, name) !== undefined))
    return undefined
  const workload = one(q, 'workload')
  return serverPath({ page: 'workloads', q: workload === undefined ? null : workload.slice(0, 100) })
}

/** A secondary metric's name as the API takes it (`requests_per_s`, `latency_p99_ms@90%`). */
const METRIC_NAME = /^[a-z0-9_]{1,48}(@\d{1,3}%)?$/

/** The timeline's series from the query: the primary one and `also=` overlays (compact keys). */
export function timelineRef(q: Query): PageRef {
  const series: SeriesRef = {
    machine: need(q, 'machine', 'timeline'),
    runtime: need(q, 'runtime', 'timeline'),
    config: need(q, 'config', 'timeline'),
    branch: one(q, 'branch') ?? null,
    workload: need(q, 'workload', 'timeline'),
    workloadVersion: one(q, 'version') ?? '',
  }
  const also: SeriesRef[] = []
  for (const key of many(q, 'also').slice(0, 8)) {
    const s = parseSeriesKey(key)
    if (s === undefined) {
      throw new BadRequest(
        `Cannot show the timeline: expected "also" to be a series key (machine,runtime,config,branch,workload,version), found ${JSON.stringify(key.slice(0, 80))}`,
      )
    }
    also.push(s)
  }
  const metric = one(q, 'metric')
  if (metric !== undefined && !METRIC_NAME.test(metric)) {
    throw new BadRequest(
      `Cannot show the timeline: expected "metric" to name a metric such as requests_per_s or latency_p99_ms@90%, found ${JSON.stringify(metric.slice(0, 80))}`,
    )
  }
  return { page: 'timeline', series, also, ...(metric === undefined ? {} : { metric }) }
}

/**
 * Pages whose every figure comes from the runs (their builds and results), none from alerts,
 * triage, agents or the clock: the rendered page is kept while `GET /api/v1/state`'s runs token is
 * unchanged.
 */
export const RUNS_ONLY_PAGES: ReadonlySet<PageRef['page']> = new Set([
  'release',
  'releases',
  'compare',
  'matrix',
])
/** Rendered pages kept (release, compare and matrix pages are a few hundred KiB each). */
const MAX_KEPT_PAGES = 24

/** Registers the dashboard's pages and assets on `app`; its data comes from `api` only. */
export function registerWebRoutes(app: FastifyInstance, api: ApiClient, options: WebOptions = {}): void {
  const assets: Assets = loadAssets(options.assetsDir)
  const links = serverLinks({
    ...(options.commitUrl === undefined ? {} : { commitUrl: options.commitUrl }),
    assetVersion: assets.version,
  })
  const ctx: PageContext = {
    api,
    links,
    version: options.version ?? '0.1.0',
    canTriage: true,
    memo: new Memo(),
  }

  // Pages made from runs alone, kept as made until the runs' state changes (a release page renders
  // 600 rows of intervals, the stacks matrix compares each stack column: 25-70 ms each time otherwise).
  const made = new Memo(MAX_KEPT_PAGES)
  const render = async (ref: PageRef) => {
    if (!RUNS_ONLY_PAGES.has(ref.page)) return renderPage(ctx, ref)
    const state = (await api.getState({ query: {} })).runs
    return made.current(`page:${JSON.stringify(ref)}`, state, () => renderPage(ctx, ref))
  }

  async function send(reply: FastifyReply, make: () => PageRef) {
    let status: number
    let html: string
    try {
      ;({ status, html } = await render(make()))
    } catch (error) {
      if (!(error instanceof BadRequest)) throw error
      const page = errorPage(400, error.message)
      status = 400
      html = renderDocument(
        <Layout title={page.title} section={page.section} links={links} version={ctx.version}>
          {page.body}
        </Layout>,
      )
    }
    return reply
      .code(status)
      .type('text/html; charset=utf-8')
      .header('content-security-policy', PAGE_CSP)
      .header('referrer-policy', 'same-origin')
      .header('cache-control', 'no-cache')
      .send(html)
  }

  app.get('/', (req, reply) =>
    send(reply, () => ({ page: 'overview', baseline: one(req.query as Query, 'baseline') ?? null })),
  )
  app.get('/workloads', (req, reply) =>
    send(reply, () => ({
      page: 'workloads',
      ...parseQuery(WorkloadsQuery, req.query as Query, 'workloads'),
    })),
  )
  app.get('/timeline', (req, reply) => {
    const fallback = timelineFallback(req.query as Query)
    if (fallback !== undefined) return reply.redirect(fallback, 302)
    return send(reply, () => timelineRef(req.query as Query))
  })
  app.get('/compare', (req, reply) =>
    send(reply, (): PageRef => {
      const q = parseQuery(CompareQuery, req.query as Query, 'comparison')
      if (q.candidate === null) return { page: 'compare-picker', base: q.base, threshold: q.threshold }
      return {
        page: 'compare',
        base: q.base ?? 'previous',
        candidate: q.candidate,
        tags: q.tag,
        threshold: q.threshold,
      }
    }),
  )
  app.get('/matrix', (req, reply) =>
    send(reply, () => {
      const q = req.query as Query
      const split = one(q, 'split')
      if (split !== undefined && split !== 'stack')
        throw new BadRequest('Cannot show the matrix: query parameter "split" must be stack when given')
      const stack = one(q, 'stack')
      if (stack !== undefined && stack.length > 200)
        throw new BadRequest('Cannot show the matrix: query parameter "stack" is longer than 200 characters')
      return {
        page: 'matrix',
        baseline: one(q, 'baseline') ?? null,
        machine: one(q, 'machine') ?? null,
        ...(split === 'stack' ? { split, stack: stack ?? null } : {}),
      }
    }),
  )
  app.get('/alerts', (req, reply) =>
    send(reply, () => ({
      page: 'alerts',
      filters: parseQuery(AlertsQuery, req.query as Query, 'alerts'),
    })),
  )
  app.get('/alerts/:id', (req, reply) =>
    send(reply, () => ({ page: 'alert', id: id((req.params as { id: string }).id, 'alert') })),
  )
  app.get('/runs/:id', (req, reply) =>
    send(reply, () => ({ page: 'run', id: id((req.params as { id: string }).id, 'run') })),
  )
  app.get('/profiles/:id', (req, reply) =>
    send(reply, () => ({ page: 'profile', id: id((req.params as { id: string }).id, 'profile') })),
  )
  app.get('/profiles/:id/against/:base', (req, reply) =>
    send(reply, () => {
      const p = req.params as { id: string; base: string }
      return { page: 'profile-diff', id: id(p.id, 'profile'), base: id(p.base, 'profile') }
    }),
  )
  app.get('/machines/:name', (req, reply) =>
    send(reply, () => ({ page: 'machine', name: (req.params as { name: string }).name })),
  )
  app.get('/agents', (_req, reply) => send(reply, () => ({ page: 'agents' })))
  app.get('/releases', (_req, reply) => send(reply, () => ({ page: 'releases' })))
  app.get('/releases/:runtime/:from/:to', (req, reply) =>
    send(reply, () => {
      const p = req.params as { runtime: string; from: string; to: string }
      return { page: 'release', runtime: p.runtime, from: p.from, to: p.to }
    }),
  )
  app.get('/assets/:name', (req, reply) => {
    const asset = assets.files.get((req.params as { name: string }).name)
    if (asset === undefined) {
      return reply.code(404).type('text/plain; charset=utf-8').send('No such asset')
    }
    const versioned = typeof (req.query as Query).v === 'string'
    return reply
      .type(asset.contentType)
      .header('cache-control', versioned ? 'public, max-age=31536000, immutable' : 'no-cache')
      .send(asset.bytes)
  })
}

/**
 * The dashboard for the server's `web` hook: `buildServer(store, { web: createWebRoutes() })`.
 * Reads the built assets when registered, and fails then (naming the build command) without them.
 */
/** The pages a server renders once at start, so that their first visitor finds them made. */
export const WARM_PAGES = ['/', '/workloads', '/matrix', '/matrix?split=stack', '/releases'] as const
/** Release comparison pages (the newest first, as the releases index lists them) also made at start. */
export const WARM_RELEASE_PAGES = 12

/**
 * Renders WARM_PAGES once, one after the other, through the server itself (what they derive from
 * the store is then kept, see Memo), then the first timeline the workloads index links (a
 * timeline's code paths and queries made ready, so the first visitor of any series does not pay
 * for them), then the release comparison pages the releases index links (made "without anyone
 * asking", so made before anyone asks), then the series points of one linked timeline of every
 * other group (its runs' epochs are kept per group, so the first timeline of a group does not
 * read them); how many answered 200 and how long it took. Never rejects.
 */
export async function warmPages(app: {
  inject(request: { method: 'GET'; url: string }): Promise<{ statusCode: number; body: string }>
}): Promise<{ readonly pages: number; readonly ok: number; readonly ms: number }> {
  const started = performance.now()
  let ok = 0
  let pages = 0
  const releasePages: string[] = []
  let timelines: string[] = []
  const visit = async (url: string) => {
    pages++
    try {
      const res = await app.inject({ method: 'GET', url })
      if (res.statusCode !== 200) return
      ok++
      if (url === '/releases') releasePages.push(...releaseLinks(res.body).slice(0, WARM_RELEASE_PAGES))
      if (url === '/workloads') timelines = timelineLinks(res.body)
    } catch {
      // A server closing while it warms: the page is simply not warm.
    }
  }
  for (const url of WARM_PAGES) await visit(url)
  const [first, ...others] = oneTimelinePerGroup(timelines)
  if (first !== undefined) await visit(first)
  for (const url of releasePages) await visit(url)
  // Every other group's epochs (its runs' infrastructure, read once per group): the series columns
  // of one of its timelines, as the timeline page asks for them.
  for (const url of others)
    await visit(`/api/v1/series/columns${url.slice(url.indexOf('?'))}&${TIMELINE_COLUMNS_FLAGS}`)
  return { pages, ok, ms: performance.now() - started }
}

/** The flags of the series columns a timeline page reads (warmPages asks for the same answer). */
export const TIMELINE_COLUMNS_FLAGS = 'failed=true'

/** The first of `timelines` of each machine × runtime × config × branch, in their order. */
export function oneTimelinePerGroup(timelines: readonly string[]): string[] {
  const seen = new Set<string>()
  const out: string[] = []
  for (const url of timelines) {
    const q = new URLSearchParams(url.slice(url.indexOf('?') + 1))
    const group = JSON.stringify(['machine', 'runtime', 'config', 'branch'].map((k) => q.get(k)))
    if (seen.has(group)) continue
    seen.add(group)
    out.push(url)
  }
  return out
}

/** The timelines a page links, in its order, each once (their `&amp;` read back as `&`). */
export function timelineLinks(html: string): string[] {
  const out = new Set<string>()
  for (const m of html.matchAll(/href="(\/timeline\?[^"#<>]+)"/g)) out.add(m[1]!.replaceAll('&amp;', '&'))
  return [...out]
}

/** The release comparison pages a releases index links, in its order, each once. */
export function releaseLinks(html: string): string[] {
  const out = new Set<string>()
  for (const m of html.matchAll(/href="(\/releases\/[^"/?#]+\/[^"/?#]+\/[^"/?#]+)"/g)) out.add(m[1]!)
  return [...out]
}

export function createWebRoutes(options: WebOptions = {}): WebRoutesLike {
  return {
    register: (app, context) => registerWebRoutes(app, context.api, options),
  }
}
