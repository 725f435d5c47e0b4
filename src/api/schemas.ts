import { z } from 'zod'
import type { JsonObject } from '../lib/index.ts'
import {
  CHANGE_MEASURES,
  ENVIRONMENT_WARNING_CODES,
  FAILURE_REASONS,
  FEATURE_STATES,
  RUN_SOURCES,
  RUN_STATUSES,
} from '../model/index.ts'

// The schemas of the HTTP contract: what every route takes (path, query, body) and gives back.
// They describe the wire, not the store: the server maps store rows onto them, so the store can
// change without changing the API. Value imports come only from model/ (pure, browser-safe);
// lib/ is imported for types only, because lib/index.ts pulls in node:crypto.

// ---- building blocks ----

/** ISO 8601 UTC as `toISOString()` writes it (any number of fraction digits), e.g. `2024-05-01T12:00:00Z`. */
export const ISO_UTC_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/

/** An ISO 8601 UTC timestamp ending in `Z`. */
export const IsoUtc = z
  .string()
  .regex(ISO_UTC_RE, { message: 'an ISO 8601 UTC time like "2024-05-01T12:00:00Z"' })
  .meta({ format: 'date-time', examples: ['2024-05-01T12:00:00Z'] })

// C0 and C1 control characters: a name with them could rewrite a terminal line or a log record
// where it is shown, so names refuse them (free text such as messages and metadata may hold them).
function hasControlCharacter(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true
  }
  return false
}

/** A non-empty name without control characters, at most 200 characters. */
export const Name = z
  .string()
  .min(1)
  .max(200)
  .refine((s) => s.trim() !== '' && !hasControlCharacter(s), {
    message: 'a non-empty name without control characters',
  })

/** A JSON object of anything JSON can carry (metadata). */
export const JsonObjectSchema = z.record(z.string(), z.json()) as unknown as z.ZodType<JsonObject>

/** A positive integer row id. */
export const Id = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER)

/** A path parameter holding a positive integer id (path parameters arrive as text). */
export const IdParam = z.coerce
  .number<string | number>()
  .int({ message: 'a positive integer id' })
  .min(1, { message: 'a positive integer id' })
  .max(Number.MAX_SAFE_INTEGER, { message: 'a positive integer id' })

/** A query flag: `1`, `true`, `0`, `false` (or a boolean from the typed client). */
export const Flag = z
  .union([z.boolean(), z.enum(['0', '1', 'true', 'false'])], { message: 'one of 1, 0, true, false' })
  .optional()
  .transform((v) => v === true || v === '1' || v === 'true')

/** Default page size of listings. */
export const DEFAULT_PAGE_LIMIT = 50
/** Largest page size of listings. */
export const MAX_PAGE_LIMIT = 1000

/** `limit` and `offset` of every paginated listing. */
export const PageQuery = z.object({
  limit: z.coerce
    .number<string | number>()
    .int()
    .min(1)
    .max(MAX_PAGE_LIMIT)
    .default(DEFAULT_PAGE_LIMIT)
    .describe(`Page size, 1–${MAX_PAGE_LIMIT}; ${DEFAULT_PAGE_LIMIT} when absent`),
  offset: z.coerce
    .number<string | number>()
    .int()
    .min(0)
    .max(Number.MAX_SAFE_INTEGER)
    .default(0)
    .describe('Items to skip; 0 when absent'),
})

/** One page of a listing: the items, the count of every match and the page asked for. */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    total: z.number().int().min(0),
    limit: z.number().int(),
    offset: z.number().int(),
  })
}

// ---- domain objects (mirroring src/model and the store's rows) ----

/** What an interpreter reports about itself. */
export const InterpreterInfoSchema = z.object({
  implementation: z.string(),
  version: z.string(),
  implementationVersion: z.string(),
  sysVersion: z.string(),
  executable: z.string(),
  compiler: z.string(),
  pointerBits: z.number().int(),
  buildFlags: z.record(z.string(), z.string()),
  jit: z.enum(FEATURE_STATES),
  freeThreading: z.enum(FEATURE_STATES),
  extra: JsonObjectSchema,
})

/** A build as stored, with its id. */
export const BuildSchema = z.object({
  id: Id,
  runtime: z.string(),
  version: z.string(),
  config: z.string(),
  commitSha: z.string().nullable(),
  commitDateUtc: z.string().nullable(),
  branch: z.string().nullable(),
  mergeBase: z.string().nullable(),
  identity: z.string(),
  interpreter: InterpreterInfoSchema.nullable(),
  metadata: JsonObjectSchema,
})

/** Stable facts about a machine. */
export const FingerprintSchema = z.object({
  hostname: z.string(),
  cpuModel: z.string(),
  logicalCpus: z.number().int().min(0),
  physicalCores: z.number().int().min(0).nullable(),
  memoryBytes: z.number().min(0),
  kernel: z.string(),
  os: z.string(),
  arch: z.string(),
})

const OnOff = z.enum(['on', 'off', 'unknown'])

/** How the machine was set up when a run started. */
export const TuningSchema = z.object({
  governors: z.array(z.string()),
  turbo: OnOff,
  smt: OnOff,
  aslr: z.number().int().nullable(),
  loadAverage1m: z.number(),
  isolatedCpus: z.string(),
  cpuFrequenciesMhz: z.array(z.number()),
  virtualized: z.boolean(),
  perfCounters: z.boolean().nullable(),
})

/** A reason to distrust a run's timings. */
export const EnvironmentWarningSchema = z.object({
  code: z.enum(ENVIRONMENT_WARNING_CODES),
  message: z.string(),
  advice: z.string(),
})

/** Everything recorded about the machine for one run. */
export const EnvironmentSchema = z.object({
  fingerprint: FingerprintSchema,
  tuning: TuningSchema,
  warnings: z.array(EnvironmentWarningSchema),
})

/** A run without its results. */
export const RunSchema = z.object({
  id: Id,
  machine: z.string(),
  machineId: Id,
  build: BuildSchema,
  suite: z.string(),
  preset: z.string(),
  harnessVersion: z.string(),
  source: z.enum(RUN_SOURCES),
  status: z.enum(RUN_STATUSES),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  groupId: z.string().nullable(),
  resultCount: z.number().int().min(0),
  environment: EnvironmentSchema.nullable(),
  metadata: JsonObjectSchema,
})

/** Numbers computed at write time from per-process means. */
export const SummarySchema = z.object({
  nProcesses: z.number().int(),
  nValues: z.number().int(),
  mean: z.number().nullable(),
  stdevProcessMeans: z.number().nullable(),
  min: z.number().nullable(),
  max: z.number().nullable(),
  median: z.number().nullable(),
})

/** What happened to one workload: a failure is data. */
export const OutcomeSchema = z.discriminatedUnion('state', [
  z.object({ state: z.literal('measured') }),
  z.object({
    state: z.literal('failed'),
    reason: z.enum(FAILURE_REASONS),
    message: z.string(),
    stderrTail: z.string(),
  }),
  z.object({ state: z.literal('skipped'), message: z.string() }),
])

/** The raw samples of one worker process. */
export const ProcessSamplesSchema = z.object({
  warmups: z.array(z.tuple([z.number(), z.number()])),
  values: z.array(z.number()),
  metadata: JsonObjectSchema,
})

/** One workload's result in a run; `processes` only when asked for with `?samples=1`. */
export const ResultSchema = z.object({
  id: Id,
  runId: Id,
  workloadId: Id,
  workload: z.object({ name: z.string(), version: z.string() }),
  unit: z.string(),
  loops: z.number().int(),
  innerLoops: z.number().int(),
  outcome: OutcomeSchema,
  metadata: JsonObjectSchema,
  summary: SummarySchema,
  processMeans: z.array(z.number()),
  processes: z.array(ProcessSamplesSchema).optional(),
})

/** A run with every result. */
export const RunDetailSchema = z.object({
  run: RunSchema,
  results: z.array(ResultSchema),
  /**
   * The run of the merge base the build records, on the same machine, runtime and config (a
   * fork's branch point; on main, the parent bench_runner records); null when the build records
   * none or it was not measured there (`mergeBaseMissing` then says why).
   */
  mergeBaseRun: z.object({ id: Id, commitSha: z.string() }).nullable(),
  mergeBaseMissing: z.string().nullable(),
})

/** A machine with its current fingerprint. */
export const MachineSchema = z.object({
  id: Id,
  name: z.string(),
  fingerprint: FingerprintSchema.nullable(),
  fingerprintHash: z.string().nullable(),
  firstSeenAt: z.string(),
  lastSeenAt: z.string(),
})

/** A machine with the history of its fingerprints, oldest first. */
export const MachineDetailSchema = MachineSchema.extend({
  fingerprints: z.array(
    z.object({
      id: Id,
      hash: z.string(),
      fingerprint: FingerprintSchema,
      firstSeenAt: z.string(),
      lastSeenAt: z.string(),
    }),
  ),
})

/** A workload version. */
export const WorkloadSchema = z.object({
  id: Id,
  name: z.string(),
  version: z.string(),
  manifest: JsonObjectSchema.nullable(),
})

/** A runtime family with its build configs. */
export const RuntimeSchema = z.object({
  name: z.string(),
  builds: z.number().int(),
  configs: z.array(
    z.object({
      config: z.string(),
      builds: z.number().int(),
      runs: z.number().int(),
      lastRunAt: z.string().nullable(),
    }),
  ),
})

/** Identity of a series: one workload version × runtime × config × branch on one machine. */
export const SeriesKeySchema = z.object({
  machine: z.string(),
  runtime: z.string(),
  config: z.string(),
  branch: z.string().nullable(),
  workload: z.string(),
  workloadVersion: z.string(),
})

/** A series with its count of measured points. */
export const SeriesInfoSchema = SeriesKeySchema.extend({ points: z.number().int() })

/** One point of a series. */
export const SeriesPointSchema = z.object({
  resultId: Id,
  runId: Id,
  buildId: Id,
  commitSha: z.string().nullable(),
  commitDateUtc: z.string().nullable(),
  runStartedAt: z.string(),
  runStatus: z.enum(RUN_STATUSES),
  state: z.enum(['measured', 'failed', 'skipped']),
  unit: z.string(),
  summary: SummarySchema,
  processMeans: z.array(z.number()).optional(),
  /**
   * With `interval=1`: Student's t interval of the mean of process means (null below two
   * processes), the band a timeline draws around each point.
   */
  interval: z.object({ low: z.number(), high: z.number(), confidence: z.number() }).nullable().optional(),
  /**
   * With `epochs=1`: the infrastructure the run measured on (suite, harness, kernel, CPU
   * configuration, compiler) as one key; where it changes between points is an epoch boundary.
   */
  epoch: z.string().optional(),
})

/** A secondary metric of a series' results (a server workload's requests/s, latencies). */
export const MetricInfoSchema = z.object({
  name: z.string(),
  label: z.string(),
  unit: z.string(),
  lowerIsBetter: z.boolean(),
})

/** A series' points in commit order. */
export const SeriesPointsSchema = z.object({
  series: SeriesKeySchema,
  /** The metric the points are of (`metric=`); null for the workload's value. */
  metric: MetricInfoSchema.nullable(),
  /** The secondary metrics the series' newest measured point records; empty for most workloads. */
  metrics: z.array(MetricInfoSchema),
  points: z.array(SeriesPointSchema),
})

/**
 * A series' points as columns, index i of every array being the i-th point in commit order: what a
 * chart draws (a 1,825-point series is 12 arrays instead of 1,825 objects).
 */
export const SeriesColumnsSchema = z.object({
  series: SeriesKeySchema,
  metric: MetricInfoSchema.nullable(),
  metrics: z.array(MetricInfoSchema),
  /** The unit of the measured points (the first measured one's); null when none is measured. */
  unit: z.string().nullable(),
  columns: z.object({
    resultId: z.array(Id),
    runId: z.array(Id),
    buildId: z.array(Id),
    commitSha: z.array(z.string().nullable()),
    commitDateUtc: z.array(z.string().nullable()),
    runStartedAt: z.array(z.string()),
    /** One letter per point: m measured, f failed, s skipped. */
    state: z.string(),
    /** Mean of per-process means; null where not measured. */
    mean: z.array(z.number().nullable()),
    /** The 95 % t interval of the mean; null below two processes or where not measured. */
    low: z.array(z.number().nullable()),
    high: z.array(z.number().nullable()),
    /** The run's epoch key (infrastructure); where it changes is an epoch boundary. */
    epoch: z.array(z.string()),
  }),
})

// ---- comparison and overview ----

/** A ratio candidate/base with its interval; below 1 is faster for times. */
export const IntervalSchema = z.object({
  estimate: z.number(),
  low: z.number(),
  high: z.number(),
  confidence: z.number(),
})

/** The verdicts of a comparison. */
export const VERDICTS = ['faster', 'slower', 'no-difference', 'insufficient'] as const

/**
 * The noise between separate runs in a comparison's interval: `learned` from repeated runs of the
 * compared builds, `history` from the successive differences of their line's newest builds on the
 * machine, or the stated `default`.
 */
export const BetweenRunNoiseSchema = z.object({
  source: z.enum(['learned', 'history', 'default']),
  /** σ of one run's log mean beyond its within-run error (≈ relative). */
  sigma: z.number(),
  /** Degrees of freedom of sigma; null for the stated default (not estimated). */
  dof: z.number().nullable(),
  /** Runs it was learned from (0 for the default; for `history`, the builds read, a run each). */
  runs: z.number().int(),
})

/** Both sides' means and the comparison's verdict, ratio, interval, p-value and counts. */
const ComparedSchema = z.object({
  baseMean: z.number().nullable(),
  candidateMean: z.number().nullable(),
  verdict: z.enum(VERDICTS),
  /** Null when insufficient. */
  ratio: z.number().nullable(),
  low: z.number().nullable(),
  high: z.number().nullable(),
  /** Welch's t-test on log process means, two-sided. */
  pValue: z.number().nullable(),
  /** True for instruction counts (`--measure instructions`): an exact ratio, low = high, no p-value. */
  exact: z.boolean().optional(),
  nBase: z.number().int(),
  nCandidate: z.number().int(),
  /** Why the comparison is insufficient; null otherwise. */
  reason: z.string().nullable(),
})

/**
 * A secondary metric of a compared workload (a server workload's requests/s, latency p50/p99 at
 * saturation and at fixed arrival rates), compared over the processes as the value is. Its
 * verdict reads "faster" for a better value: higher requests/s, lower latency.
 */
export const MetricCompareSchema = z
  .object({ name: z.string(), label: z.string(), unit: z.string(), lowerIsBetter: z.boolean() })
  .extend(ComparedSchema.shape)

/** One workload of a comparison. */
export const CompareRowSchema = z
  .object({ workload: z.string(), unit: z.string(), tags: z.array(z.string()) })
  .extend(ComparedSchema.shape)
  .extend({
    versionsDiffer: z.boolean(),
    /** The between-run noise in this row's interval; null when the runs were interleaved. */
    betweenRuns: BetweenRunNoiseSchema.nullable(),
    /** Loop counts per value when the two sides differ; null when equal. */
    loops: z.object({ base: z.number().int(), candidate: z.number().int() }).nullable(),
    /** Secondary metrics both sides recorded; empty for a workload measured in-process. */
    metrics: z.array(MetricCompareSchema),
  })

/** The geometric mean of per-workload ratios, or why there is none. */
export const GeometricMeanSchema = z.discriminatedUnion('kind', [
  IntervalSchema.extend({
    kind: z.literal('interval'),
    workloads: z.number().int(),
    /** By the rule of every workload's: the interval excludes 1 and the estimate is at least minEffect from 1. */
    verdict: z.enum(VERDICTS).exclude(['insufficient']),
  }),
  z.object({ kind: z.literal('insufficient'), reason: z.string() }),
])

/** The comparison of two runs. */
export const CompareSchema = z.object({
  base: RunSchema,
  candidate: RunSchema,
  confidence: z.number(),
  minEffect: z.number(),
  rows: z.array(CompareRowSchema),
  uncompared: z.array(z.object({ workload: z.string(), why: z.string() })),
  geometricMean: GeometricMeanSchema,
  counts: z.object({ slower: z.number().int(), faster: z.number().int(), same: z.number().int() }),
  /**
   * Whether the runs were measured together (one group, interleaved); when not, every interval
   * includes the noise between runs, `suite` being the geometric mean's (docs/stats.md,
   * "Comparing separate runs").
   */
  acrossRuns: z.object({ interleaved: z.boolean(), suite: BetweenRunNoiseSchema.nullable() }),
  /** Facts the runs do not share: infrastructure, and for separate runs loop counts and load. */
  caveats: z.array(
    z.object({ field: z.string(), base: z.string(), candidate: z.string(), note: z.string().nullable() }),
  ),
})

/** A run in the overview: enough to link to it and label it. */
export const RunBriefSchema = z.object({
  id: Id,
  startedAt: z.string(),
  status: z.enum(RUN_STATUSES),
  buildId: Id,
  version: z.string(),
  commitSha: z.string().nullable(),
  commitDateUtc: z.string().nullable(),
  resultCount: z.number().int(),
})

/** One machine × runtime × config × branch: its latest run against the one before. */
export const OverviewRowSchema = z.object({
  machine: z.string(),
  runtime: z.string(),
  config: z.string(),
  branch: z.string().nullable(),
  /**
   * What `previous` is: a run of the build before the head in the line's history order (the
   * reference the head was measured beside, when a nightly paired them, so the two were measured
   * together; else that build's latest run; a line without commits: the run before the latest),
   * or, for a fork's branch (an experiment), the run of the head's merge base on the same machine
   * and config.
   */
  against: z.enum(['previous run', 'merge base']),
  latest: RunBriefSchema,
  previous: RunBriefSchema.nullable(),
  /**
   * Run ids of the line's recent history, newest first (at most 12; the head first): the order
   * `latest` and `previous` are taken in, without a nightly's reference and pair-round runs.
   */
  recent: z.array(z.number().int()),
  /** Head over the build before it; insufficient when there is none or nothing to compare. */
  geometricMean: GeometricMeanSchema,
  results: z.object({
    measured: z.number().int(),
    failed: z.number().int(),
    skipped: z.number().int(),
  }),
  changes: z.object({ slower: z.number().int(), faster: z.number().int(), same: z.number().int() }),
})

/** The overview page's data. */
export const OverviewSchema = z.object({
  rows: z.array(OverviewRowSchema),
  /** The store's runsState: equal states, equal rows (a cache key for what is derived from them). */
  state: z.string(),
})

// ---- changes and alerts (mirroring the store's rows of migration 0003) ----

/** States people give an alert; detection never changes them. */
export const TRIAGE_STATES = ['new', 'acknowledged', 'invalid', 'fixed', 'wont-fix'] as const
/** One of TRIAGE_STATES. */
export type TriageState = (typeof TRIAGE_STATES)[number]

/** How sure detection is of a change: later builds confirm or withdraw a provisional one. */
export const CHANGE_STATUSES = ['provisional', 'confirmed', 'withdrawn'] as const
/** One of CHANGE_STATUSES. */
export type ChangeStatus = (typeof CHANGE_STATUSES)[number]

/** Which way a change goes: a regression or an improvement (an alert can be mixed). */
export const CHANGE_DIRECTIONS = ['regression', 'improvement'] as const

/**
 * What a change is blamed on: a commit in its range, or `infrastructure` (the range crosses an
 * epoch boundary: kernel, CPU configuration, suite, harness or compiler changed).
 */
export const CHANGE_KINDS = ['commit', 'infrastructure'] as const

/** One side of a blame range: the last build at the old level, or the first at the new one. */
export const BlameEndSchema = z.object({
  buildId: Id,
  resultId: Id,
  commitSha: z.string().nullable(),
})

/** A detected step in a series. */
export const ChangeSchema = z.object({
  id: Id,
  alertId: Id,
  kind: z.enum(CHANGE_KINDS),
  series: SeriesKeySchema,
  /**
   * `time`: a step in the series' timing history (ratio with its 95 % interval); `instructions`:
   * a step in its instruction-count history by the exact rule (ratioLow = ratioHigh = ratio,
   * pValue 0, details.method `exact`).
   */
  measure: z.enum(CHANGE_MEASURES),
  lastGood: BlameEndSchema,
  firstBad: BlameEndSchema,
  unit: z.string(),
  /** Level after over level before, with its interval. */
  ratio: z.number(),
  ratioLow: z.number(),
  ratioHigh: z.number(),
  pValue: z.number(),
  direction: z.enum(CHANGE_DIRECTIONS),
  status: z.enum(CHANGE_STATUSES),
  details: JsonObjectSchema,
  createdAt: z.string(),
  updatedAt: z.string(),
})

/**
 * A series as the workloads index shows it: its newest measured means (the sparkline), its
 * noise floor between builds and its latest detected change.
 */
export const SeriesSummarySchema = SeriesInfoSchema.extend({
  /** The workload version's tags (from its manifest). */
  tags: z.array(z.string()),
  /** The unit of its values; null without a measured point. */
  unit: z.string().nullable(),
  /** The newest measured means (mean of process means), oldest first, at most `spark` of them. */
  values: z.array(z.number()),
  /** The newest measured point. */
  latest: z
    .object({
      runId: Id,
      commitSha: z.string().nullable(),
      commitDateUtc: z.string().nullable(),
      mean: z.number(),
    })
    .nullable(),
  /**
   * The typical relative difference between consecutive builds (median |Δ ln mean| as a
   * ratio − 1) over the newest 100, with how many differences it was read from; null below 2.
   */
  noise: z.object({ relative: z.number(), differences: z.number().int() }).nullable(),
  /** The newest change detected in the series that is not withdrawn. */
  latestChange: z
    .object({
      id: Id,
      alertId: Id,
      kind: z.enum(CHANGE_KINDS),
      measure: z.enum(CHANGE_MEASURES),
      direction: z.enum(CHANGE_DIRECTIONS),
      status: z.enum(CHANGE_STATUSES),
      ratio: z.number(),
      ratioLow: z.number(),
      ratioHigh: z.number(),
      firstBadCommit: z.string().nullable(),
      /** The run of the first build at the new level, when it is a point of the series. */
      firstBadRunId: Id.nullable(),
    })
    .nullable(),
})

/** Changes that share one blame range (commit range) of one runtime and branch. */
export const AlertSchema = z.object({
  id: Id,
  runtime: z.string(),
  branch: z.string().nullable(),
  lastGoodCommit: z.string(),
  firstBadCommit: z.string(),
  kind: z.enum(CHANGE_KINDS),
  lastGoodBuildId: Id,
  firstBadBuildId: Id,
  status: z.enum(CHANGE_STATUSES),
  direction: z.enum([...CHANGE_DIRECTIONS, 'mixed']),
  triage: z.enum(TRIAGE_STATES),
  triageNote: z.string().nullable(),
  triageLink: z.string().nullable(),
  triagedAt: z.string().nullable(),
  acknowledgedUntil: z
    .string()
    .nullable()
    .describe('ISO UTC: an acknowledged alert is known and expected until then (null: no expiry)'),
  lastGoodCommitDate: z
    .string()
    .nullable()
    .describe('The commit date of the last build at the old level, when known'),
  firstBadCommitDate: z
    .string()
    .nullable()
    .describe('The commit date of the first build at the new level, when known'),
  culpritCommit: z.string().nullable(),
  culpritNote: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  changeCount: z.number().int(),
  regressions: z.number().int(),
  improvements: z.number().int(),
  machines: z.array(z.string()),
  configs: z.array(z.string()),
  largest: z
    .object({
      workload: z.string(),
      measure: z.enum(CHANGE_MEASURES),
      ratio: z.number(),
      ratioLow: z.number(),
      ratioHigh: z.number(),
    })
    .nullable(),
})

/** The commits of an alert's blame range, read from the runtime's local git mirror when there is one. */
export const AlertCommitsSchema = z.object({
  runtime: z.string(),
  lastGoodCommit: z.string(),
  firstBadCommit: z.string(),
  /** Links from the runtime's commit_url / compare_url; null without a template or a hex sha. */
  lastGoodUrl: z.string().nullable(),
  firstBadUrl: z.string().nullable(),
  compareUrl: z.string().nullable(),
  /** Whether the commits were read from a local mirror; when not, `reason` says why. */
  listed: z.boolean(),
  reason: z.string().nullable(),
  /** Commits in the range (last good, first bad]; null when not listed. */
  total: z.number().int().nullable(),
  /** Newest first, at most `limit`. */
  commits: z.array(
    z.object({
      sha: z.string(),
      authorDateUtc: z.string(),
      author: z.string(),
      subject: z.string(),
      url: z.string().nullable(),
    }),
  ),
})

/** An alert with every change. */
// ---- tokens ----

/** Roles of API tokens: an agent ingests results; an admin also triages and manages tokens. */
export const API_TOKEN_ROLES = ['agent', 'admin'] as const
/** One of API_TOKEN_ROLES. */
export type ApiTokenRole = (typeof API_TOKEN_ROLES)[number]

/** A token as listed: never its secret nor the secret's hash. */
export const TokenSchema = z.object({
  id: Id,
  name: z.string(),
  role: z.enum(API_TOKEN_ROLES),
  scopes: z.array(z.string()),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
})

/** A token just created, with its secret: shown once, never again. */
export const CreatedTokenSchema = z.object({ token: TokenSchema, secret: z.string() })

// ---- errors ----

/** Every error response: the HTTP status, a stable code and one sentence saying what was wrong. */
export const ErrorSchema = z.object({
  statusCode: z.number().int(),
  code: z.string().describe('One of bad-input, not-found, conflict, unauthorized, forbidden, too-large, …'),
  error: z.string().describe('The HTTP reason phrase'),
  message: z.string(),
})
