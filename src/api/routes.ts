import { z } from 'zod'
import { DEFAULT_MIN_EFFECT, RUN_STATUSES } from '../model/index.ts'
import { ALERT_ROUTES } from './alert-routes.ts'
import { FARM_ROUTES } from './farm.ts'
import { LangperfRunDocumentSchema } from './ingest.ts'
import { FlameTreeSchema, PROFILE_STATES, ProfileDetailSchema, ProfileSchema } from './profile-schemas.ts'
import { type RouteDefinition, route, Text } from './route-kit.ts'
import {
  API_TOKEN_ROLES,
  BuildSchema,
  CompareSchema,
  CreatedTokenSchema,
  Flag,
  IdParam,
  MachineDetailSchema,
  MachineSchema,
  Name,
  OverviewSchema,
  PageQuery,
  pageOf,
  RunDetailSchema,
  RunSchema,
  RuntimeSchema,
  SeriesColumnsSchema,
  SeriesInfoSchema,
  SeriesPointsSchema,
  SeriesSummarySchema,
  TokenSchema,
  WorkloadSchema,
} from './schemas.ts'
import { RunWarmupSchema } from './warmup-schemas.ts'

export { type BodyKind, ROUTE_AUTH, type RouteAuth, type RouteDefinition } from './route-kit.ts'

// The routes of the HTTP API as data: method, path, schemas, who may call it and what it is
// for. The server registers exactly these, the typed client has one method per entry and the
// OpenAPI document is generated from them, so the three cannot drift apart.

/** The filters that select series: every part of their key but the workload version. */
const SeriesFilters = {
  machine: Text.optional(),
  runtime: Text.optional(),
  config: Text.optional(),
  branch: Text.optional(),
  workload: Text.optional(),
}

/** Filters shared by run listings. */
const RunFilters = z.strictObject({
  ...PageQuery.shape,
  machine: Text.optional(),
  runtime: Text.optional(),
  config: Text.optional(),
  branch: Text.optional(),
  status: z.enum(RUN_STATUSES).optional(),
  group: Text.optional().describe('Group id: runs measured together'),
  suite: Text.optional(),
  build: IdParam.optional().describe('Build id'),
})

const SeriesPointQuery = z.strictObject({
  machine: Text,
  runtime: Text,
  config: Text,
  branch: Text.optional().describe('Branch; absent selects builds without a branch'),
  workload: Text,
  version: Text.optional().describe(
    'Workload version; may be left out when the workload has a single version',
  ),
  raw: Flag.describe('Also return each point’s per-process means'),
  failed: Flag.describe('Also return failed and skipped results as points'),
  interval: Flag.describe('Also return each point’s 95 % t interval of the mean of process means'),
  epochs: Flag.describe('Also return each point’s epoch key (the infrastructure it was measured on)'),
  metric: z
    .string()
    .regex(/^[a-z0-9_]{1,48}(@\d{1,3}%)?$/, 'a metric name such as requests_per_s or latency_p99_ms@90%')
    .optional()
    .describe(
      'A secondary metric instead of the value (a server workload’s requests_per_s, latency_p50_ms, latency_p99_ms, latency_p99_ms@90%…; `metrics` in the answer lists them); points without it are left out',
    ),
})

const SeriesColumnsQuery = SeriesPointQuery.omit({ raw: true, interval: true, epochs: true })

const HealthSchema = z.object({
  status: z.literal('ok'),
  version: z.string(),
  dialect: z.string(),
})

const IngestResponse = z.object({
  runs: z.array(
    z.object({
      id: z.number().int(),
      stored: z
        .boolean()
        .describe('False when the same content was uploaded before: nothing was stored, id is that run'),
      machine: z.string(),
      runtime: z.string(),
      version: z.string(),
      config: z.string(),
      commitSha: z.string().nullable(),
      results: z.number().int(),
    }),
  ),
})

const PyperfIngestQuery = z.strictObject({
  runtime: Text.optional().describe('Runtime family instead of python_implementation (e.g. pypy)'),
  config: Text.optional().describe('Build config instead of the default or the +SUFFIX of the name'),
  machine: Text.optional().describe('Machine name instead of the hostname metadata'),
  branch: Text.optional().describe('Branch instead of commit_branch'),
  name: Text.optional().describe('File name the document came from (a +JIT suffix names the config)'),
})

/** Every route of the API, by the name of its client method. */
export const ROUTES = {
  health: route({
    method: 'GET',
    path: '/api/v1/health',
    action: 'check health',
    summary: 'Liveness and the store it reads',
    tag: 'meta',
    auth: 'public',
    bodyKind: 'none',
    status: 200,
    response: HealthSchema,
    validateResponse: true,
  }),
  openapi: route({
    method: 'GET',
    path: '/api/v1/openapi.json',
    action: 'get the OpenAPI document',
    summary: 'This API as an OpenAPI 3.1 document',
    tag: 'meta',
    auth: 'public',
    bodyKind: 'none',
    status: 200,
    response: z.record(z.string(), z.unknown()),
    validateResponse: false,
  }),
  listRuntimes: route({
    method: 'GET',
    path: '/api/v1/runtimes',
    action: 'list runtimes',
    summary: 'Runtime families with their build configs and build and run counts',
    tag: 'inventory',
    auth: 'public',
    bodyKind: 'none',
    status: 200,
    response: z.object({ items: z.array(RuntimeSchema) }),
    validateResponse: true,
  }),
  listMachines: route({
    method: 'GET',
    path: '/api/v1/machines',
    action: 'list machines',
    summary: 'Machines with their current fingerprint, by name',
    tag: 'inventory',
    auth: 'public',
    query: z.strictObject({ ...PageQuery.shape }),
    bodyKind: 'none',
    status: 200,
    response: pageOf(MachineSchema),
    validateResponse: true,
  }),
  getMachine: route({
    method: 'GET',
    path: '/api/v1/machines/:name',
    action: 'get machine',
    summary: 'One machine with the history of its fingerprints',
    tag: 'inventory',
    auth: 'public',
    params: z.strictObject({ name: Text }),
    bodyKind: 'none',
    status: 200,
    response: MachineDetailSchema,
    validateResponse: true,
  }),
  listWorkloads: route({
    method: 'GET',
    path: '/api/v1/workloads',
    action: 'list workloads',
    summary: 'Workload versions, by name then version',
    tag: 'inventory',
    auth: 'public',
    query: z.strictObject({ ...PageQuery.shape, name: Text.optional() }),
    bodyKind: 'none',
    status: 200,
    response: pageOf(WorkloadSchema),
    validateResponse: true,
  }),
  listBuilds: route({
    method: 'GET',
    path: '/api/v1/builds',
    action: 'list builds',
    summary: 'Builds, newest commit first',
    tag: 'inventory',
    auth: 'public',
    query: z.strictObject({
      ...PageQuery.shape,
      runtime: Text.optional(),
      version: Text.optional(),
      config: Text.optional(),
      branch: Text.optional(),
      commit: Text.optional().describe('Start of the commit SHA (case-sensitive)'),
    }),
    bodyKind: 'none',
    status: 200,
    response: pageOf(BuildSchema),
    validateResponse: true,
  }),
  listRuns: route({
    method: 'GET',
    path: '/api/v1/runs',
    action: 'list runs',
    summary: 'Runs, newest first, filtered',
    tag: 'runs',
    auth: 'public',
    query: RunFilters,
    bodyKind: 'none',
    status: 200,
    response: pageOf(RunSchema),
    validateResponse: true,
  }),
  getRun: route({
    method: 'GET',
    path: '/api/v1/runs/:id',
    action: 'get run',
    summary: 'One run with its results; `?samples=1` adds every raw sample',
    tag: 'runs',
    auth: 'public',
    params: z.strictObject({ id: IdParam }),
    query: z.strictObject({ samples: Flag.describe('Include every process’s warm-ups and values') }),
    bodyKind: 'none',
    status: 200,
    response: RunDetailSchema,
    validateResponse: false,
  }),
  getRunWarmup: route({
    method: 'GET',
    path: '/api/v1/runs/:id/warmup',
    action: 'classify the warm-up of a run',
    summary: "Each workload's warm-up class over its processes (Barrett et al. 2017) and its steady state",
    description:
      'Per process: outliers (rolling median ± 3 × (P90 − P10)), PELT change points (normal mean and variance, penalty 15·ln n), segments after merging equivalent neighbours, and the class: flat, warmup, slowdown or no-steady-state. Per workload: the class when all processes agree, else good-inconsistent (flat and warmup only) or bad-inconsistent; the median steady iteration and time to it and the mean steady performance with 95 % bootstrap intervals over processes, or `no-steady-state` with the count of processes that never settled. Workloads with fewer than 20 iterations per process are `not-classified`, with the reason. Meant for runs of `langperf run --warmup-series N` (preset `warmup`). docs/stats.md, "Warm-up".',
    tag: 'runs',
    auth: 'public',
    params: z.strictObject({ id: IdParam }),
    bodyKind: 'none',
    status: 200,
    response: RunWarmupSchema,
    validateResponse: false,
  }),
  listSeries: route({
    method: 'GET',
    path: '/api/v1/series',
    action: 'list series',
    summary: 'Series (workload version × runtime × config × branch × machine) with their point counts',
    tag: 'series',
    auth: 'public',
    query: z.strictObject({
      ...PageQuery.shape,
      ...SeriesFilters,
    }),
    bodyKind: 'none',
    status: 200,
    response: pageOf(SeriesInfoSchema),
    validateResponse: true,
  }),
  summarizeSeries: route({
    method: 'GET',
    path: '/api/v1/series/summaries',
    action: 'summarize series',
    summary:
      'Series ordered by workload, each with its newest means, its noise between builds and its latest change',
    description:
      '`q` keeps workloads whose name contains it (any case), `tag` those whose manifest has that tag; `spark` is how many of the newest measured means each series carries (2–100, 20); `tags` lists every tag of the series matching the other filters, for a tag picker. The noise is the median relative difference between consecutive builds over the newest 100.',
    tag: 'series',
    auth: 'public',
    query: z.strictObject({
      ...PageQuery.shape,
      ...SeriesFilters,
      q: Text.optional().describe('Part of a workload name, any case'),
      tag: Text.optional().describe("A tag of the workload's manifest"),
      spark: z.coerce.number<string | number>().int().min(2).max(100).default(20),
    }),
    bodyKind: 'none',
    status: 200,
    response: pageOf(SeriesSummarySchema).extend({
      tags: z.array(z.string()).describe('Every tag of the series listed before filtering by tag, sorted'),
    }),
    validateResponse: true,
  }),
  getSeriesPoints: route({
    method: 'GET',
    path: '/api/v1/series/points',
    action: 'get series points',
    summary: 'The points of one series in commit order, each with its summary',
    description:
      'Each point is one result: its build, commit, run and summary (mean of per-process means, their standard deviation, min, max, median). `raw=1` adds the per-process means, `interval=1` the 95 % t interval of the mean, `epochs=1` the epoch key of its run. `metrics` lists the secondary metrics of the newest point (a server workload’s requests/s and latencies); `metric=NAME` answers with that metric’s per-process values in place of the value.',
    tag: 'series',
    auth: 'public',
    query: SeriesPointQuery,
    bodyKind: 'none',
    status: 200,
    response: SeriesPointsSchema,
    validateResponse: false,
  }),
  getSeriesColumns: route({
    method: 'GET',
    path: '/api/v1/series/columns',
    action: 'get series columns',
    summary: 'The points of one series in commit order, as columns',
    description:
      'What `series/points` with `interval=1&epochs=1` answers, as one array per field (index i of each is the i-th point) and without the summary’s other statistics: what a chart draws. `failed=1` includes failed and skipped builds (state `f`, `s`); `metric=NAME` gives that metric’s values in place of the value.',
    tag: 'series',
    auth: 'public',
    query: SeriesColumnsQuery,
    bodyKind: 'none',
    status: 200,
    response: SeriesColumnsSchema,
    validateResponse: false,
  }),
  compare: route({
    method: 'GET',
    path: '/api/v1/compare',
    action: 'compare runs',
    summary:
      'The comparison of two runs (or builds): ratio per workload with its interval, and the geometric mean',
    description:
      'base and candidate are each a run id, `build:ID` (the newest run of that build), `latest`, a version (3.12.1), runtime-version (cpython-3.12.1), a commit prefix, or `base:SELECTOR` (the run of the merge base recorded by the build of that run, on the same machine, runtime and config).',
    tag: 'runs',
    auth: 'public',
    query: z.strictObject({
      base: Text,
      candidate: Text,
      confidence: z.coerce.number<string | number>().gt(0).lt(1).default(0.95),
      minEffect: z.coerce
        .number<string | number>()
        .min(0)
        .max(10)
        .default(DEFAULT_MIN_EFFECT)
        .describe(
          'Smallest |ratio − 1| called a change: a smaller ratio reads as no difference even when significant',
        ),
      tag: z
        .union([Text, z.array(Text).max(50)])
        .optional()
        .describe('Only workloads with one of these tags'),
      allowVersionMismatch: Flag,
    }),
    bodyKind: 'none',
    status: 200,
    response: CompareSchema,
    validateResponse: true,
  }),
  getState: route({
    method: 'GET',
    path: '/api/v1/state',
    action: 'get the state of the store',
    summary: 'A token of the state of the runs, for caches',
    description:
      '`runs` changes whenever a run is stored or finishes, a result is added or a build is moved to another branch; a client may keep what it derived from runs, series and points while it holds. Detected changes and alerts are not covered.',
    tag: 'runs',
    auth: 'public',
    query: z.strictObject({}),
    bodyKind: 'none',
    status: 200,
    response: z.object({ runs: z.string() }),
    validateResponse: true,
  }),
  overview: route({
    method: 'GET',
    path: '/api/v1/overview',
    action: 'get the overview',
    summary: 'For each machine × runtime × config × branch: the latest run against the previous one',
    description:
      '`state` changes whenever a run is stored or finishes, a result is added or a build is moved to another branch: equal states give equal rows, so a client may keep what it derives from them.',
    tag: 'runs',
    auth: 'public',
    query: z.strictObject({ machine: Text.optional(), runtime: Text.optional() }),
    bodyKind: 'none',
    status: 200,
    response: OverviewSchema,
    validateResponse: true,
  }),
  ...ALERT_ROUTES,
  listProfiles: route({
    method: 'GET',
    path: '/api/v1/profiles',
    action: 'list profiles',
    summary: 'Stored profiles, newest first, without their stacks',
    tag: 'profiles',
    auth: 'public',
    query: z.strictObject({
      ...PageQuery.shape,
      machine: Text.optional(),
      workload: Text.optional().describe('Workload name (every version)'),
      build: IdParam.optional().describe('Build id'),
      group: Text.optional().describe('Group id: the profiles taken together'),
      state: z.enum(PROFILE_STATES).optional(),
    }),
    bodyKind: 'none',
    status: 200,
    response: pageOf(ProfileSchema),
    validateResponse: true,
  }),
  getProfile: route({
    method: 'GET',
    path: '/api/v1/profiles/:id',
    action: 'get profile',
    summary: 'One profile with its top functions by self samples (self and total)',
    description:
      'By default only the samples taken inside timed values count (start-up, imports and make() left out); `whole=1` counts every sample. `view` is null for a profile that has no stacks (unavailable or failed: `message` says why).',
    tag: 'profiles',
    auth: 'public',
    params: z.strictObject({ id: IdParam }),
    query: z.strictObject({
      top: z.coerce
        .number<string | number>()
        .int()
        .min(1)
        .max(5000)
        .default(50)
        .describe('Rows of the table'),
      whole: Flag.describe('Count every sample of the processes, not only timed values'),
    }),
    bodyKind: 'none',
    status: 200,
    response: ProfileDetailSchema,
    validateResponse: true,
  }),
  getProfileFlame: route({
    method: 'GET',
    path: '/api/v1/profiles/:id/flame',
    action: 'get the flame graph of a profile',
    summary: 'A profile’s stacks as one tree: each frame under its callers, with its samples',
    description:
      'Frames narrower than 1/2000 of the samples are folded into their caller’s self samples (`foldedSamples`). Not-found for a profile without stacks.',
    tag: 'profiles',
    auth: 'public',
    params: z.strictObject({ id: IdParam }),
    query: z.strictObject({ whole: Flag.describe('Every sample of the processes, not only timed values') }),
    bodyKind: 'none',
    status: 200,
    response: FlameTreeSchema,
    // A deep tree of thousands of nodes: a recursive response schema would check each.
    validateResponse: false,
  }),
  getProfileStacks: route({
    method: 'GET',
    path: '/api/v1/profiles/:id/stacks',
    action: 'get the stacks of a profile',
    summary: 'A profile’s collapsed stacks as text (Brendan Gregg’s folded format)',
    description:
      'Every sample of the profile’s processes, one line per distinct stack: frames from the root joined by `;`, a space and its count. flamegraph.pl, speedscope and most flame graph tools import it as it is. Not-found for a profile without stacks.',
    tag: 'profiles',
    auth: 'public',
    params: z.strictObject({ id: IdParam }),
    bodyKind: 'none',
    status: 200,
    responseType: 'text',
    response: z.string(),
    validateResponse: false,
  }),
  ingestRun: route({
    method: 'POST',
    path: '/api/v1/runs',
    action: 'ingest run',
    summary: 'Stores one run with its results, in langperf’s JSON format (version 1)',
    description:
      'The body is a langperf-run document, plain or gzip (Content-Encoding: gzip). It is validated whole and stored in one transaction: a bad document stores nothing.',
    tag: 'ingest',
    auth: 'agent',
    bodyKind: 'langperf-run',
    body: LangperfRunDocumentSchema,
    status: 201,
    response: IngestResponse,
    validateResponse: true,
  }),
  ingestPyperf: route({
    method: 'POST',
    path: '/api/v1/runs/pyperf',
    action: 'ingest pyperf results',
    summary: 'Stores one pyperf JSON 1.0 document (what pyperformance writes) as a run',
    description:
      'The body is the pyperf file, plain or gzip (Content-Encoding: gzip, or the gzip bytes as application/gzip). Query parameters override what the metadata implies.',
    tag: 'ingest',
    auth: 'agent',
    query: PyperfIngestQuery,
    bodyKind: 'pyperf',
    body: z
      .object({
        version: z.literal('1.0'),
        metadata: z.record(z.string(), z.unknown()),
        benchmarks: z.array(z.unknown()),
      })
      .describe('pyperf JSON, format version 1.0'),
    status: 201,
    response: IngestResponse,
    validateResponse: true,
  }),
  listTokens: route({
    method: 'GET',
    path: '/api/v1/tokens',
    action: 'list tokens',
    summary: 'Every API token (never a secret), revoked ones included',
    tag: 'tokens',
    auth: 'admin',
    bodyKind: 'none',
    status: 200,
    response: z.object({ items: z.array(TokenSchema) }),
    validateResponse: true,
  }),
  createToken: route({
    method: 'POST',
    path: '/api/v1/tokens',
    action: 'create token',
    summary: 'Creates a token; its secret is in this response and nowhere else',
    tag: 'tokens',
    auth: 'admin',
    bodyKind: 'json',
    body: z.strictObject({
      name: Name,
      role: z.enum(API_TOKEN_ROLES),
      scopes: z.array(Name).max(1000).default([]).describe('Machine names it may write for; empty = all'),
    }),
    status: 201,
    response: CreatedTokenSchema,
    validateResponse: true,
  }),
  revokeToken: route({
    method: 'DELETE',
    path: '/api/v1/tokens/:id',
    action: 'revoke token',
    summary: 'Revokes a token: it is refused from now on',
    tag: 'tokens',
    auth: 'admin',
    params: z.strictObject({ id: IdParam }),
    bodyKind: 'none',
    status: 200,
    response: TokenSchema,
    validateResponse: true,
  }),
  ...checkRoutes(FARM_ROUTES),
} as const

/** Checks routes defined elsewhere against RouteDefinition, keeping their literal types. */
function checkRoutes<const T extends Readonly<Record<string, RouteDefinition>>>(routes: T): T {
  return routes
}

/** The routes' names (the typed client's method names). */
export type RouteName = keyof typeof ROUTES
/** Every route's name, in declaration order. */
export const ROUTE_NAMES = Object.keys(ROUTES) as RouteName[]
