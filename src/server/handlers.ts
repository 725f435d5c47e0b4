import { gunzipSync } from 'node:zlib'
import type { z } from 'zod'
import {
  alertElsewhere,
  type BetweenRunNoise,
  type CompareReport,
  compareRuns,
  decodePyperfBytes,
  groupEpochs,
  groupOf,
  HISTORY_POINTS,
  mergeBaseRun,
  parsePyperf,
  pyperfToRun,
  resolveRunSelector,
  warmupOfRun,
} from '../analysis/index.ts'
import {
  buildOpenApiDocument,
  documentToRun,
  formatIssues,
  LangperfRunDocumentSchema,
  ROUTES,
  type RouteName,
  type RouteOutput,
  WorkloadNameSchema,
} from '../api/index.ts'
import type { FarmQueue } from '../farm/index.ts'
import { canonicalJson, LangperfError, Memo, quote, sha256Hex } from '../lib/index.ts'
import type { RunWithResults } from '../model/index.ts'
import type { BuildRow, RunRow, SeriesKey, Store, TokenRecord } from '../store/index.ts'
import { alertCommits } from './alert-commits.ts'
import { farmHandlers, resultArrived } from './farm-handlers.ts'
import { checkJsonDepth } from './limits.ts'
import { computeOverview, OverviewMemo, toGeometricMean, toRunDto } from './overview.ts'
import { profileHandlers } from './profile-handlers.ts'
import {
  metricPoints,
  metricsOf,
  newestMetrics,
  pointColumns,
  type SeriesReadQuery,
  withPointExtras,
} from './series-points.ts'
import { summarizeSeries } from './series-summary.ts'
import { aroundStore } from './test-hooks.ts'
import { hashTokenSecret, newTokenSecret } from './tokens.ts'
import type { HandlerCall, RuntimeSource, ServerLimits } from './types.ts'

// One handler per route of api/ROUTES, typed by the route's schemas: params, query and body
// arrive validated; what a handler returns must have the route's response type.

/**
 * Deeply readonly: store rows are readonly, and handlers may return them as they are. Records
 * (JSON metadata) are left as they are: their type is recursive and already readonly.
 */
type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? string extends keyof T
      ? T
      : { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T

type Route<K extends RouteName> = (typeof ROUTES)[K]
type ParamsOf<K extends RouteName> =
  Route<K> extends { readonly params: infer P extends z.ZodType } ? z.output<P> : undefined
type QueryOf<K extends RouteName> =
  Route<K> extends { readonly query: infer Q extends z.ZodType } ? z.output<Q> : undefined
type BodyOf<K extends RouteName> =
  Route<K> extends { readonly bodyKind: 'langperf-run' | 'pyperf' }
    ? Buffer
    : Route<K> extends { readonly bodyKind: 'json'; readonly body: infer B extends z.ZodType }
      ? z.output<B>
      : undefined

/** What the handler of route K receives. */
export interface TypedCall<K extends RouteName> extends Omit<HandlerCall, 'params' | 'query' | 'body'> {
  readonly params: ParamsOf<K>
  readonly query: QueryOf<K>
  readonly body: BodyOf<K>
}

/** A handler for every route. */
export type Handlers = {
  readonly [K in RouteName]: (call: TypedCall<K>) => Promise<DeepReadonly<RouteOutput<Route<K>>>>
}

/** What handlers need beside the store. */
export interface HandlerContext {
  readonly limits: ServerLimits
  readonly now: () => Date
  readonly version: string
  /** The configured runtimes' sources (mirrors and link templates). */
  readonly runtimes: readonly RuntimeSource[]
  /** The farm's queue; absent when the server runs no farm. */
  readonly farm?: FarmQueue
}

function page<T>(all: readonly T[], query: { readonly limit: number; readonly offset: number }) {
  return {
    items: all.slice(query.offset, query.offset + query.limit),
    total: all.length,
    limit: query.limit,
    offset: query.offset,
  }
}

function toBuildDto(b: BuildRow) {
  return {
    id: b.id,
    runtime: b.runtime,
    version: b.version,
    config: b.config,
    commitSha: b.commitSha,
    commitDateUtc: b.commitDateUtc,
    branch: b.branch,
    mergeBase: b.mergeBase,
    identity: b.identity,
    interpreter: b.interpreter,
    metadata: b.metadata,
  }
}

/**
 * The bytes of an upload, gunzipped when they are gzip. `Content-Encoding: gzip` requires gzip
 * bytes; without it, gzip is recognised by its magic number (as `langperf import` does).
 */
function decodeUpload(
  body: Buffer,
  headers: HandlerCall['headers'],
  action: string,
  limits: ServerLimits,
): Buffer {
  const encoding = String(headers['content-encoding'] ?? 'identity')
    .trim()
    .toLowerCase()
  if (encoding !== 'identity' && encoding !== 'gzip' && encoding !== 'x-gzip') {
    throw new LangperfError(
      'unsupported-media-type',
      `Cannot ${action}: expected Content-Encoding gzip or identity, found ${quote(encoding, 40)}`,
    )
  }
  if (!Buffer.isBuffer(body) || body.length === 0) {
    throw new LangperfError('bad-input', `Cannot ${action}: expected a body, found an empty one`)
  }
  const isGzip = body[0] === 0x1f && body[1] === 0x8b
  if (encoding !== 'identity' && !isGzip) {
    throw new LangperfError(
      'bad-input',
      `Cannot ${action}: expected gzip bytes as Content-Encoding says, found bytes that are not gzip`,
    )
  }
  if (!isGzip) return body
  try {
    return gunzipSync(body, { maxOutputLength: limits.decompressedLimitBytes })
  } catch (error) {
    if (error instanceof RangeError || (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new LangperfError(
        'too-large',
        `Cannot ${action}: expected at most ${limits.decompressedLimitBytes} bytes once gunzipped, found more`,
      )
    }
    const why = error instanceof Error ? error.message : String(error)
    throw new LangperfError(
      'bad-input',
      `Cannot ${action}: expected complete gzip bytes, found damaged ones (${why})`,
    )
  }
}

/**
 * Refuses JSON with a `__proto__` key. JSON.parse keeps it as a plain own property, harmless
 * until some code copies it with assignment; refusing it up front keeps uploads as inert as
 * Fastify's own parser keeps the other routes (onProtoPoisoning). Parsed a second time only when
 * the text holds the word at all.
 */
function refuseProtoKeys(text: string, action: string): void {
  if (!text.includes('__proto__')) return
  try {
    JSON.parse(text, (key, value: unknown) => {
      if (key === '__proto__') throw new SyntaxError('__proto__')
      return value
    })
  } catch (error) {
    if (error instanceof SyntaxError && error.message === '__proto__') {
      throw new LangperfError(
        'bad-input',
        `Cannot ${action}: expected JSON without "__proto__" keys, found one`,
      )
    }
  }
}

/**
 * Refuses a pyperf upload whose benchmark names break the rule a langperf-run document's workload
 * names follow (api's WorkloadNameSchema): one rule for both upload routes.
 */
function checkWorkloadNames(run: RunWithResults, action: string): void {
  const issues = run.results.flatMap((r, i) => {
    const parsed = WorkloadNameSchema.safeParse(r.workload.name, { reportInput: true })
    return parsed.success
      ? []
      : parsed.error.issues.map((issue) => ({ ...issue, path: ['benchmarks', i, 'metadata', 'name'] }))
  })
  if (issues.length > 0)
    throw new LangperfError('bad-input', formatIssues(issues, { action, location: 'body' }))
}

/** Refuses a run for a machine outside the token's scopes (an empty scope list allows every machine). */
function checkScope(token: TokenRecord | null, runs: readonly RunWithResults[], action: string): void {
  if (token === null || token.scopes.length === 0) return
  for (const r of runs) {
    if (!token.scopes.includes(r.run.machine)) {
      throw new LangperfError(
        'forbidden',
        `Cannot ${action}: token ${token.id} may write for machine${token.scopes.length === 1 ? '' : 's'} ${token.scopes.map((s) => quote(s)).join(', ')}, found machine ${quote(r.run.machine)}`,
      )
    }
  }
}

/**
 * Stores an upload's run once per content key (the same file sent twice is one run: the second
 * answer says `stored: false` and names the run stored before), and clears the "silent" alerts
 * of its machine. The key is a hash of what was sent as parsed, so whitespace, key order or gzip
 * do not make a second run; the same pyperf file with other overrides is another run.
 */
async function storeUpload(
  store: Store,
  upload: { readonly run: RunWithResults; readonly content: unknown; readonly at: string },
) {
  const { at } = upload
  const key = `upload:${sha256Hex(canonicalJson(upload.content))}`
  const once = await aroundStore(`upload ${key}`, () => store.insertRunOnce(key, upload.run, at))
  await resultArrived(store, { machine: upload.run.run.machine, runId: once.runId, at })
  const r = upload.run
  return {
    runs: [
      {
        id: once.runId,
        stored: once.stored,
        machine: r.run.machine,
        runtime: r.run.build.runtime,
        version: r.run.build.version,
        config: r.run.build.config,
        commitSha: r.run.build.commitSha,
        results: r.results.length,
      },
    ],
  }
}

/** A run selector of the compare route: `build:ID` names the newest run of a build. */
async function resolveCompareSide(store: Store, selector: string, side: string): Promise<number> {
  const build = /^build:(\d+)$/.exec(selector.trim())
  if (build === null) return resolveRunSelector(store, selector)
  const page = await store.listRuns({ buildId: Number(build[1]), limit: 1 })
  const run = page.rows[0]
  if (run === undefined) {
    throw new LangperfError(
      'not-found',
      `Cannot compare runs: ${side} ${quote(selector)} names a build with no run`,
    )
  }
  return run.id
}

/** A comparison's verdict, ratio, interval, p-value and counts for JSON. */
function comparisonDto(c: CompareReport['rows'][number]['comparison']) {
  return {
    verdict: c.verdict,
    ratio: c.kind === 'comparison' ? c.ratio : null,
    low: c.kind === 'comparison' ? c.low : null,
    high: c.kind === 'comparison' ? c.high : null,
    pValue: c.kind === 'comparison' && c.welch !== null && Number.isFinite(c.welch.p) ? c.welch.p : null,
    ...(c.kind === 'comparison' && c.method === 'exact' ? { exact: true } : {}),
    nBase: c.nBase,
    nCandidate: c.nCandidate,
    reason: c.kind === 'comparison' ? null : c.reason,
  }
}

function toCompareDto(report: CompareReport) {
  const rows = report.rows.map((r) => ({
    workload: r.workload,
    unit: r.unit,
    tags: r.tags,
    baseMean: r.baseMean,
    candidateMean: r.candidateMean,
    ...comparisonDto(r.comparison),
    versionsDiffer: r.versionsDiffer,
    betweenRuns: r.betweenRuns ? noiseDto(r.betweenRuns) : null,
    loops: r.loops,
    metrics: r.metrics.map((m) => ({
      name: m.name,
      label: m.label,
      unit: m.unit,
      lowerIsBetter: m.lowerIsBetter,
      baseMean: m.baseMean,
      candidateMean: m.candidateMean,
      ...comparisonDto(m.comparison),
    })),
  }))
  const count = (v: string) => rows.filter((r) => r.verdict === v).length
  return {
    base: toRunDto(report.base),
    candidate: toRunDto(report.candidate),
    confidence: report.confidence,
    minEffect: report.minEffect,
    rows,
    uncompared: report.uncompared,
    geometricMean: toGeometricMean(
      report.geometricMean,
      rows.filter((r) => r.ratio !== null).length,
      report.geometricMeanVerdict,
    ),
    counts: { slower: count('slower'), faster: count('faster'), same: count('no-difference') },
    acrossRuns: {
      interleaved: report.acrossRuns.interleaved,
      suite: report.acrossRuns.suite ? noiseDto(report.acrossRuns.suite) : null,
    },
    caveats: report.caveats.map((c) => ({ ...c, note: c.note ?? null })),
  }
}

/** Between-run noise for JSON: the default's infinite dof is null. */
function noiseDto(n: BetweenRunNoise) {
  return { source: n.source, sigma: n.sigma, dof: Number.isFinite(n.dof) ? n.dof : null, runs: n.runs }
}

function runRowList(rows: readonly RunRow[]) {
  return rows.map(toRunDto)
}

/** The one version of `workload`; refuses a workload unknown or with several versions. */
async function onlyVersionOf(store: Store, workload: string, action: string): Promise<string> {
  const versions = await store.listWorkloads({ name: workload })
  if (versions.length === 0) {
    throw new LangperfError('not-found', `Cannot ${action}: no workload is named ${quote(workload)}`)
  }
  if (versions.length > 1) {
    throw new LangperfError(
      'bad-input',
      `Cannot ${action}: workload ${quote(workload)} has ${versions.length} versions (${versions
        .slice(0, 5)
        .map((v) => v.version)
        .join(', ')}${versions.length > 5 ? ', …' : ''}); expected query parameter "version" naming one`,
    )
  }
  return versions[0]?.version ?? ''
}

/** Refuses a series with no point at all, measured, failed or skipped (an unknown series). */
async function refuseUnknownSeries(store: Store, key: SeriesKey, action: string): Promise<void> {
  if ((await store.getSeriesPoints(key, { states: ['failed', 'skipped'] })).length > 0) return
  throw new LangperfError(
    'not-found',
    `Cannot ${action}: no series is ${[key.machine, key.runtime, key.config, key.branch ?? '(no branch)', `${key.workload}@${key.workloadVersion}`].map((s) => quote(s)).join(' × ')}; /api/v1/series lists them`,
  )
}

/** The series the changes query names: all five of its parts, or none (every series). */
function changesSeries(query: QueryOf<'listChanges'>, action: string): SeriesKey | undefined {
  const parts = [query.machine, query.runtime, query.config, query.workload, query.version]
  const given = parts.filter((p) => p !== undefined).length
  if ((given > 0 && given < parts.length) || (given === 0 && query.branch !== undefined)) {
    throw new LangperfError(
      'bad-input',
      `Cannot ${action}: expected all of machine, runtime, config, workload and version to name a series, or none of them`,
    )
  }
  return given === 0
    ? undefined
    : {
        machine: query.machine ?? '',
        runtime: query.runtime ?? '',
        config: query.config ?? '',
        branch: query.branch ?? null,
        workload: query.workload ?? '',
        workloadVersion: query.version ?? '',
      }
}

/** The langperf-run document in an upload's bytes: UTF-8 JSON, no `__proto__` keys, valid. */
function parseRunDocument(bytes: Buffer, action: string) {
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw new LangperfError(
      'bad-input',
      `Cannot ${action}: expected UTF-8 JSON, found bytes that are not UTF-8`,
    )
  }
  checkJsonDepth(text, action)
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error)
    throw new LangperfError(
      'bad-input',
      `Cannot ${action}: expected a langperf-run JSON document, found ${text.trim() === '' ? 'an empty body' : `invalid JSON (${why})`}`,
    )
  }
  refuseProtoKeys(text, action)
  const parsed = LangperfRunDocumentSchema.safeParse(json, { reportInput: true })
  if (!parsed.success) {
    throw new LangperfError('bad-input', formatIssues(parsed.error.issues, { action, location: 'body' }))
  }
  return parsed.data
}

/**
 * The handlers of every route over `store`, one group per part of the API, so that server.ts
 * registers them by route name.
 */
export function makeHandlers(store: Store, context: HandlerContext): Handlers {
  return {
    ...inventoryHandlers(store, context),
    ...runHandlers(store),
    ...seriesHandlers(store),
    ...alertHandlers(store, context),
    ...ingestHandlers(store, context),
    ...tokenHandlers(store, context),
    ...profileHandlers(store),
    ...farmHandlers(store, {
      farm: context.farm,
      now: context.now,
      readRun: (body, headers, action) =>
        documentToRun(parseRunDocument(decodeUpload(body, headers, action, context.limits), action)),
    }),
  }
}

/** Health, the API document and what is measured: runtimes, machines, workloads. */
function inventoryHandlers(
  store: Store,
  context: HandlerContext,
): Pick<Handlers, 'health' | 'openapi' | 'listRuntimes' | 'listMachines' | 'getMachine' | 'listWorkloads'> {
  return {
    health: async () => ({ status: 'ok', version: context.version, dialect: store.dialect }),
    openapi: async () => buildOpenApiDocument({ version: context.version }),
    listRuntimes: async () => ({ items: await store.listRuntimes() }),
    listMachines: async ({ query }) => page(await store.listMachines(), query),
    getMachine: async ({ params }) => {
      const machine = await store.getMachine(params.name)
      if (machine === undefined) {
        throw new LangperfError(
          'not-found',
          `Cannot get machine ${quote(params.name)}: no machine has that name`,
        )
      }
      return machine
    },
    listWorkloads: async ({ query }) =>
      page(await store.listWorkloads(query.name === undefined ? {} : { name: query.name }), query),
  }
}

/** Builds, runs and the list of series. */
function runHandlers(
  store: Store,
): Pick<Handlers, 'listBuilds' | 'listRuns' | 'getRun' | 'getRunWarmup' | 'listSeries'> {
  return {
    listBuilds: async ({ query }) => {
      const { rows, total } = await store.listBuilds({
        limit: query.limit,
        offset: query.offset,
        ...(query.runtime === undefined ? {} : { runtime: query.runtime }),
        ...(query.version === undefined ? {} : { version: query.version }),
        ...(query.config === undefined ? {} : { config: query.config }),
        ...(query.branch === undefined ? {} : { branch: query.branch }),
        ...(query.commit === undefined ? {} : { commitPrefix: query.commit }),
      })
      return { items: rows.map(toBuildDto), total, limit: query.limit, offset: query.offset }
    },
    listRuns: async ({ query }) => {
      const { rows, total } = await store.listRuns({
        limit: query.limit,
        offset: query.offset,
        ...(query.machine === undefined ? {} : { machine: query.machine }),
        ...(query.runtime === undefined ? {} : { runtime: query.runtime }),
        ...(query.config === undefined ? {} : { config: query.config }),
        ...(query.branch === undefined ? {} : { branch: query.branch }),
        ...(query.status === undefined ? {} : { status: query.status }),
        ...(query.group === undefined ? {} : { groupId: query.group }),
        ...(query.suite === undefined ? {} : { suite: query.suite }),
        ...(query.build === undefined ? {} : { buildId: query.build }),
      })
      return { items: runRowList(rows), total, limit: query.limit, offset: query.offset }
    },
    getRun: async ({ params, query }) => {
      const run = await store.getRun(params.id)
      if (run === undefined)
        throw new LangperfError('not-found', `Cannot get run ${params.id}: no run has that id`)
      const results = query.samples
        ? await store.getResults(params.id, { withSamples: true })
        : await store.getResults(params.id)
      const base = run.build.mergeBase === null ? null : await mergeBaseRun(store, run.id)
      return {
        run: toRunDto(run),
        results,
        mergeBaseRun:
          base !== null && 'run' in base
            ? { id: base.run.id, commitSha: base.run.build.commitSha ?? '' }
            : null,
        mergeBaseMissing: base !== null && 'reason' in base ? base.reason : null,
      }
    },
    getRunWarmup: async ({ params }) => warmupOfRun(store, params.id),
    listSeries: async ({ query }) => {
      const all = await store.listSeries({
        ...(query.machine === undefined ? {} : { machine: query.machine }),
        ...(query.runtime === undefined ? {} : { runtime: query.runtime }),
        ...(query.config === undefined ? {} : { config: query.config }),
        ...(query.branch === undefined ? {} : { branch: query.branch }),
        ...(query.workload === undefined ? {} : { workload: query.workload }),
      })
      return page(all, query)
    },
  }
}

/** Series whose points answers are kept (by query flags), the oldest going first. */
const MAX_KEPT_SERIES = 32
/** Groups (machine × runtime × config × branch) whose runs' epochs are kept. */
const MAX_KEPT_GROUPS = 64

/** Series points, comparisons and the overview. */
function seriesHandlers(
  store: Store,
): Pick<
  Handlers,
  'getSeriesPoints' | 'getSeriesColumns' | 'summarizeSeries' | 'compare' | 'overview' | 'getState'
> {
  const overviewMemo = new OverviewMemo()
  const pointsMemo = new Memo(MAX_KEPT_SERIES)
  const epochsMemo = new Memo(MAX_KEPT_GROUPS)

  /** One series' stored points (or a metric's) with its metrics, and its group's epochs when asked. */
  async function readSeries(
    query: SeriesReadQuery,
    action: string,
    options: { readonly raw: boolean },
    state: string,
  ) {
    const version = query.version ?? (await onlyVersionOf(store, query.workload, action))
    const key = {
      machine: query.machine,
      runtime: query.runtime,
      config: query.config,
      branch: query.branch ?? null,
      workload: query.workload,
      workloadVersion: version,
    }
    const metric = query.metric
    // The timeline is the history detection reads: bisection's runs (a few builds measured to
    // answer one question) and a nightly's pair-only runs (the older build's reference, pair
    // rounds) are left out; they stay in /runs.
    const read = await store.getSeriesPoints(key, {
      withProcessMeans: options.raw && metric === undefined,
      withMetadata: metric !== undefined,
      ...HISTORY_POINTS,
      ...(query.failed ? { states: ['measured', 'failed', 'skipped'] as const } : {}),
    })
    if (read.length === 0) await refuseUnknownSeries(store, key, action)
    const metrics = metric === undefined ? await newestMetrics(store, key, read) : metricsOf(read)
    const info = metric === undefined ? null : (metrics.find((m) => m.name === metric) ?? null)
    if (metric !== undefined && info === null) {
      throw new LangperfError(
        'not-found',
        `Cannot ${action}: the series records no metric ${quote(metric)}${metrics.length > 0 ? `; it records ${metrics.map((m) => m.name).join(', ')}` : ' (only a server workload records metrics)'}`,
      )
    }
    return {
      key,
      info,
      metrics,
      points: metric === undefined ? read : metricPoints(read, metric, options.raw),
      // The epochs of a series are those of its group's runs: kept per group, so the other
      // workloads of the group do not read its runs again.
      epochsOf: () => epochsMemo.current(groupOf(key), state, () => groupEpochs(store, key)),
    }
  }

  return {
    summarizeSeries: async ({ query }) => summarizeSeries(store, query),
    getState: async () => ({ runs: await store.runsState() }),
    getSeriesPoints: async ({ query }) => {
      const state = await store.runsState()
      // Points, their intervals and epochs change only with the runs (a result added, a run
      // finished, a build moved): the answer at a runsState is kept, a few series at a time.
      const memoKey = JSON.stringify(['points', query])
      return pointsMemo.current(memoKey, state, async () => {
        const read = await readSeries(query, ROUTES.getSeriesPoints.action, { raw: query.raw }, state)
        return {
          series: read.key,
          metric: read.info,
          metrics: read.metrics,
          points: await withPointExtras(
            read.points,
            { raw: query.raw, interval: query.interval, epochs: query.epochs },
            read.epochsOf,
          ),
        }
      })
    },

    getSeriesColumns: async ({ query }) => {
      const state = await store.runsState()
      return pointsMemo.current(JSON.stringify(['columns', query]), state, async () => {
        const read = await readSeries(query, ROUTES.getSeriesColumns.action, { raw: false }, state)
        return {
          series: read.key,
          metric: read.info,
          metrics: read.metrics,
          ...pointColumns(read.points, await read.epochsOf()),
        }
      })
    },

    compare: async ({ query }) => {
      const [base, candidate] = [
        await resolveCompareSide(store, query.base, 'base'),
        await resolveCompareSide(store, query.candidate, 'candidate'),
      ]
      const tags = query.tag === undefined ? undefined : Array.isArray(query.tag) ? query.tag : [query.tag]
      const report = await compareRuns(store, base, candidate, {
        confidence: query.confidence,
        minEffect: query.minEffect,
        allowVersionMismatch: query.allowVersionMismatch,
        ...(tags === undefined ? {} : { tags }),
      })
      return toCompareDto(report)
    },
    overview: async ({ query }) =>
      computeOverview(
        store,
        {
          ...(query.machine === undefined ? {} : { machine: query.machine }),
          ...(query.runtime === undefined ? {} : { runtime: query.runtime }),
        },
        overviewMemo,
      ),
  }
}

/** The start (UTC) of the day after `date` (`YYYY-MM-DD`): the exclusive end of a date range. */
function nextDay(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString()
}

/** A date (`YYYY-MM-DD`) as the last millisecond of that day, UTC; a time as it is. */
function endOfDay(dateOrTime: string): string {
  return dateOrTime.length === 10 ? `${dateOrTime}T23:59:59.999Z` : dateOrTime
}

/** Changes and alerts, and their triage. */
function alertHandlers(
  store: Store,
  context: HandlerContext,
): Pick<
  Handlers,
  'listChanges' | 'listAlerts' | 'getAlert' | 'getAlertCommits' | 'getAlertElsewhere' | 'triageAlert'
> {
  const { now } = context
  return {
    listChanges: async ({ query }) => {
      const action = ROUTES.listChanges.action
      const series = changesSeries(query, action)
      const { rows, total } = await store.listChanges({
        limit: query.limit,
        offset: query.offset,
        ...(query.alert === undefined ? {} : { alertId: query.alert }),
        ...(query.status === undefined ? {} : { status: query.status }),
        ...(series === undefined ? {} : { series }),
      })
      return { items: rows, total, limit: query.limit, offset: query.offset }
    },
    listAlerts: async ({ query }) => {
      const { rows, total } = await store.listAlerts({
        limit: query.limit,
        offset: query.offset,
        ...(query.triage === undefined ? {} : { triage: query.triage }),
        ...(query.status === undefined ? {} : { status: query.status }),
        ...(query.runtime === undefined ? {} : { runtime: query.runtime }),
        ...(query.branch === undefined ? {} : { branch: query.branch }),
        ...(query.machine === undefined ? {} : { machine: query.machine }),
        ...(query.direction === undefined ? {} : { direction: query.direction }),
        ...(query.config === undefined ? {} : { config: query.config }),
        ...(query.kind === undefined ? {} : { kind: query.kind }),
        ...(query.minChange === undefined ? {} : { minChangePercent: query.minChange }),
        ...(query.from === undefined ? {} : { commitFrom: `${query.from}T00:00:00Z` }),
        ...(query.to === undefined ? {} : { commitBefore: nextDay(query.to) }),
        // Acknowledged until a time still ahead: known and expected, so left out unless asked for.
        ...(query.showAcknowledged === 'true' || query.triage?.includes('acknowledged')
          ? {}
          : { hideAcknowledgedAt: now().toISOString() }),
      })
      return { items: rows, total, limit: query.limit, offset: query.offset }
    },
    getAlert: async ({ params }) => {
      const alert = await store.getAlert(params.id)
      if (alert === undefined) {
        throw new LangperfError('not-found', `Cannot get alert ${params.id}: no alert has that id`)
      }
      return alert
    },
    getAlertCommits: async ({ params, query }) => {
      const alert = await store.getAlert(params.id)
      if (alert === undefined) {
        throw new LangperfError(
          'not-found',
          `Cannot list the commits of alert ${params.id}: no alert has that id`,
        )
      }
      return alertCommits(alert, context.runtimes, query.limit)
    },
    getAlertElsewhere: async ({ params }) => {
      const alert = await store.getAlert(params.id)
      if (alert === undefined)
        throw new LangperfError('not-found', `Cannot read alert ${params.id} elsewhere: no alert has that id`)
      return alertElsewhere(store, alert)
    },
    triageAlert: async ({ params, body }) =>
      store.triageAlert(params.id, {
        triage: body.triage,
        ...(body.note === undefined ? {} : { note: body.note }),
        ...(body.link === undefined ? {} : { link: body.link }),
        ...(body.until === undefined || body.until === null ? {} : { until: endOfDay(body.until) }),
        at: now().toISOString(),
      }),
  }
}

/** The uploads: langperf-run documents and pyperf files. */
function ingestHandlers(store: Store, context: HandlerContext): Pick<Handlers, 'ingestRun' | 'ingestPyperf'> {
  const { limits, now } = context
  return {
    ingestRun: async ({ body, headers, token }) => {
      const action = ROUTES.ingestRun.action
      const bytes = decodeUpload(body, headers, action, limits)
      const document = parseRunDocument(bytes, action)
      const run = documentToRun(document)
      checkScope(token, [run], action)
      return storeUpload(store, { run, content: document, at: now().toISOString() })
    },
    ingestPyperf: async ({ body, headers, query, token }) => {
      const action = ROUTES.ingestPyperf.action
      const name = query.name ?? 'upload.json'
      const bytes = decodeUpload(body, headers, action, limits)
      const text = decodePyperfBytes(bytes, name)
      checkJsonDepth(text, action)
      refuseProtoKeys(text, action)
      const overrides = {
        ...(query.runtime === undefined ? {} : { runtime: query.runtime }),
        ...(query.config === undefined ? {} : { config: query.config }),
        ...(query.machine === undefined ? {} : { machine: query.machine }),
        ...(query.branch === undefined ? {} : { branch: query.branch }),
      }
      const document = parsePyperf(text, name)
      const run = pyperfToRun(document, name, overrides)
      checkWorkloadNames(run, action)
      checkScope(token, [run], action)
      // The file's name is left out of its key: the same results under another name are one run.
      return storeUpload(store, { run, content: { pyperf: document, overrides }, at: now().toISOString() })
    },
  }
}

/** API tokens: list, create, revoke. */
function tokenHandlers(
  store: Store,
  context: HandlerContext,
): Pick<Handlers, 'listTokens' | 'createToken' | 'revokeToken'> {
  const { now } = context
  return {
    listTokens: async () => ({ items: await store.listTokens() }),
    createToken: async ({ body }) => {
      const secret = newTokenSecret()
      const token = await store.createToken({
        name: body.name,
        role: body.role,
        scopes: body.scopes,
        hash: hashTokenSecret(secret),
        createdAt: now().toISOString(),
      })
      return { token, secret }
    },
    revokeToken: async ({ params }) => store.revokeToken(params.id, now().toISOString()),
  }
}
