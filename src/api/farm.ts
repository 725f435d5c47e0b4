import { z } from 'zod'
import { LangperfRunDocumentSchema, WorkloadNameSchema } from './ingest.ts'
import { IsoUtc, Name } from './schemas.ts'

// The farm's wire shapes (issue 14): what an agent sends and is sent, and what an admin enqueues.
// A job's key (runtime, commit, config, machine, suite, purpose) is its identity: the queue's job
// id is derived from it, so the same key is never enqueued twice, and its result is stored once.

/** A farm machine's name: a host-name-like word (it names the machine's queue). */
export const FarmMachineName = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/,
    'a machine name of letters, digits, "_", "." and "-", 1–100 characters',
  )

/** Why a job exists. */
export const FARM_PURPOSES = ['measure', 'reference', 'bisect', 'profile'] as const

/** The idempotency key of a farm job. */
export const FarmJobKeySchema = z.strictObject({
  runtime: Name,
  commit: Name.describe('Commit sha, or a version for a released interpreter'),
  config: Name.default('default'),
  machine: FarmMachineName,
  suite: Name.default('default'),
  purpose: z.enum(FARM_PURPOSES).default('measure'),
})
/** A job key with its defaults applied. */
export type FarmJobKey = z.output<typeof FarmJobKeySchema>

/**
 * What a job measures: the same path as `langperf run` on the agent's machine. Without a build,
 * with the interpreter it names there (a command on the agent's PATH or an absolute path); with
 * a build (a build job), with the interpreter the agent built.
 */
export const MeasureJobSchema = z.strictObject({
  python: z
    .string()
    .min(1)
    .max(500)
    .regex(/^[A-Za-z0-9_./+-]+$/, 'an executable name or path without spaces or shell characters')
    .optional()
    .describe('The interpreter to measure; absent for a build job, which measures what it built'),
  workloads: z.array(WorkloadNameSchema).max(1000).default([]).describe("Empty: the key's suite"),
  preset: z.enum(['fast', 'default', 'rigorous']).default('default'),
  processes: z.number().int().min(1).max(1000).optional(),
  values: z.number().int().min(1).max(1000).optional(),
  warmups: z.number().int().min(0).max(1000).optional(),
  minTimeS: z.number().min(0.0001).max(60).optional(),
  timeoutS: z.number().min(1).max(86_400).default(600),
})
/** A measure job's instructions with defaults applied. */
export type MeasureJob = z.output<typeof MeasureJobSchema>

/** A build command line of a generic recipe (run with /bin/sh -c in the worktree). */
const RecipeLine = z.string().min(1).max(10_000)
const RecipeEnv = z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string().max(10_000))

/** How a build config is built: a recipe of `langperf.toml` as model/config.ts resolves it. */
export const RecipeSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('cpython'),
    configureArgs: z.array(z.string().max(1000)).max(200),
    env: RecipeEnv,
  }),
  z.strictObject({
    kind: z.literal('generic'),
    fetch: z.array(RecipeLine).max(200),
    build: z.array(RecipeLine).max(200),
    install: z.array(RecipeLine).max(200),
    env: RecipeEnv,
    executable: z.string().min(1).max(500),
  }),
])

/** A commit of a build job's branch: its sha, its author date and its place on the first-parent line. */
const BuiltCommit = z.strictObject({
  commit: Name.describe('Full sha'),
  commitDateUtc: IsoUtc,
  firstParentPosition: z.number().int().min(0).optional(),
})

/**
 * A reference the job's commit may be measured beside (docs/nightly.md, "Reference pairs"): an
 * older commit of the branch, with the loop counts of its newest run on the machine when it has one
 * (both builds of the pair run at them; absent, each side is calibrated).
 */
export const ReferenceCandidateSchema = BuiltCommit.extend({
  frozenLoops: z.record(WorkloadNameSchema, z.number().int().min(1)).optional(),
})
/** A reference candidate of a build job. */
export type ReferenceCandidate = z.output<typeof ReferenceCandidateSchema>

/**
 * One measurement of a farm bisection (pipeline/farm-bisect.ts): the commits the bisection asked
 * for (the key's commit among them), built and measured interleaved in this order with the
 * job's processes, as runs of suite `bisect` naming the alert, phase, step and round. A commit
 * that does not build ends the job with its failed build as the result; the other runs are
 * uploaded beside the job's (each stored once per content).
 */
export const BisectStepSchema = z.strictObject({
  alertId: z.number().int().min(1),
  phase: z.enum(['midpoint', 'confirm']),
  step: z.number().int().min(0).max(10_000),
  round: z.number().int().min(0).max(100),
  commits: z.array(BuiltCommit).min(1).max(4),
  frozenLoops: z.record(WorkloadNameSchema, z.number().int().min(1)).optional(),
})
/** A bisection step of a build job. */
export type BisectStep = z.output<typeof BisectStepSchema>

/**
 * What a build job builds before it measures: the commit of the key (a full sha) from `remote`,
 * with the recipe of the key's config, through the agent's own mirror and artifact cache. The
 * branch, commit date and first-parent position are recorded on the build, as the nightly does.
 * With `references`, the commit is measured interleaved with the first of them whose build works,
 * the reference's run uploaded beside the job's (the nightly's pairs); none works, or none given:
 * alone. With `pair`, the workloads the pair leaves undecided are measured again on both builds,
 * doubling their processes, within its budget (agent/pair-rounds.ts). An agent runs the recipe's
 * commands: it trusts the admins of its server.
 */
export const BuildJobSchema = z.strictObject({
  remote: z.string().min(1).max(2000).describe('Git remote of the runtime (URL, user@host:path or path)'),
  branch: Name,
  commitDateUtc: IsoUtc,
  firstParentPosition: z.number().int().min(0).optional(),
  subject: z.string().max(1000).default(''),
  recipe: RecipeSchema,
  references: z
    .array(ReferenceCandidateSchema)
    .max(5)
    .default([])
    .describe('Older commits to measure beside, newest first: the first that builds is used'),
  bisect: BisectStepSchema.optional().describe(
    "A bisection's measurement (purpose `bisect`): its commits built and measured interleaved",
  ),
  pair: z
    .strictObject({
      budget: z.number().int().min(1).max(10),
      threshold: z.number().gt(0).lt(1),
    })
    .optional()
    .describe(
      "How the pair with a reference grows (the nightly's `pair_budget` and `pair_threshold`): rounds at most, the first included, while a workload is undecided at the threshold; absent, one round",
    ),
})
/** A build job's instructions. */
export type BuildJob = z.output<typeof BuildJobSchema>

const needsInterpreter = (job: { measure: { python?: string | undefined }; build?: unknown }) =>
  job.build !== undefined || job.measure.python !== undefined

/** One job to enqueue: a measure job (an interpreter on the agent) or a build job (build, then measure). */
export const NewFarmJobSchema = z
  .strictObject({ key: FarmJobKeySchema, measure: MeasureJobSchema, build: BuildJobSchema.optional() })
  .refine(needsInterpreter, {
    message: 'a job without a build names the interpreter to measure (measure.python)',
    path: ['measure', 'python'],
  })
/** A job to enqueue, defaults applied. */
export type NewFarmJob = z.output<typeof NewFarmJobSchema>

/** A job handed to an agent by a claim. */
export const ClaimedJobSchema = z.object({
  id: z.string(),
  lease: z.string().describe('The lock token: sent back with every heartbeat, completion and failure'),
  attempt: z.number().int().describe('1 for the first run; more after a failure or a dead agent'),
  key: FarmJobKeySchema,
  measure: MeasureJobSchema,
  build: BuildJobSchema.nullable().default(null).describe('Null for a measure job'),
  lockDurationMs: z.number().int(),
})
/** A claimed job. */
export type ClaimedJob = z.output<typeof ClaimedJobSchema>

/** The agent's machine, in every agent call. */
export const AgentCall = z.strictObject({ machine: FarmMachineName })

/** Job id path parameter. */
export const FarmJobIdParams = z.strictObject({
  id: z.string().regex(/^[0-9a-f]{32}$/, 'a farm job id (32 hex digits)'),
})

/** The lease of a held job. */
export const Lease = z.string().regex(/^[A-Za-z0-9_-]{16,100}$/, 'a lease token')

/** An agent as listed, with the depth of its machine's queue. */
export const FarmAgentSchema = z.object({
  machine: z.string(),
  state: z.string(),
  registeredAt: IsoUtc,
  lastSeenAt: IsoUtc,
  jobsDone: z.number().int(),
  jobsFailed: z.number().int(),
  lastResultAt: IsoUtc.nullable().describe("When the newest result of the agent's machine arrived"),
  queue: z.object({
    waiting: z.number().int(),
    active: z.number().int(),
    delayed: z.number().int(),
    failed: z.number().int(),
  }),
})

/** An alert about a machine (a silent one: no result arrived from it for too long). */
export const MachineAlertSchema = z.object({
  id: z.number().int(),
  machine: z.string(),
  kind: z.enum(['silent']),
  since: IsoUtc.describe('The last result (or the registration) the silence counts from'),
  raisedAt: IsoUtc,
  clearedAt: IsoUtc.nullable(),
  clearedBy: z.string().nullable(),
  detail: z.record(z.string(), z.unknown()),
})

const AgentInfo = z.strictObject({
  hostname: z.string().max(200).optional(),
  version: z.string().max(100).optional(),
  pid: z.number().int().min(0).optional(),
})

const StoredRun = z.object({ runId: z.number().int(), stored: z.boolean() })

/** The farm's routes, spread into ROUTES (routes.ts). */
export const FARM_ROUTES = {
  agentRegister: {
    method: 'POST',
    path: '/api/v1/agent/register',
    action: 'register agent',
    summary: "Registers the agent of a machine (the token's scope must name it) and answers the lease terms",
    tag: 'farm',
    auth: 'agent',
    bodyKind: 'json',
    body: AgentCall.extend({ info: AgentInfo.default({}) }),
    status: 200,
    response: z.object({
      machine: z.string(),
      lockDurationMs: z.number().int(),
      heartbeatMs: z.number().int(),
    }),
    validateResponse: true,
  },
  agentClaim: {
    method: 'POST',
    path: '/api/v1/agent/claim',
    action: 'claim a job',
    summary:
      "Hands the next job of the agent's machine, waiting up to waitS seconds for one; null when none came",
    tag: 'farm',
    auth: 'agent',
    bodyKind: 'json',
    body: AgentCall.extend({ waitS: z.number().min(0).max(30).default(10) }),
    status: 200,
    response: z.object({ job: ClaimedJobSchema.nullable() }),
    validateResponse: true,
  },
  agentHeartbeat: {
    method: 'POST',
    path: '/api/v1/agent/jobs/:id/heartbeat',
    action: 'renew the lease of a job',
    summary: 'Renews the lock of a job the agent holds; 409 when it holds it no more',
    tag: 'farm',
    auth: 'agent',
    params: FarmJobIdParams,
    bodyKind: 'json',
    body: AgentCall.extend({
      lease: Lease,
      phase: z
        .enum(['building', 'measuring'])
        .default('measuring')
        .describe('What the agent is doing with the job, shown as its state'),
    }),
    status: 200,
    response: z.object({ lockedUntil: IsoUtc }),
    validateResponse: true,
  },
  agentComplete: {
    method: 'POST',
    path: '/api/v1/agent/jobs/:id/complete',
    action: 'complete a job',
    summary: "Stores a held job's result (a langperf-run document) once, and completes the job",
    description:
      'The body is the langperf-run document, plain or gzip, as for POST /api/v1/runs; machine and lease are query parameters. The run is stored at most once per job key: a job completed again after a crash finds its run.',
    tag: 'farm',
    auth: 'agent',
    params: FarmJobIdParams,
    query: AgentCall.extend({ lease: Lease }),
    bodyKind: 'langperf-run',
    body: LangperfRunDocumentSchema,
    status: 200,
    response: StoredRun,
    validateResponse: true,
  },
  agentFail: {
    method: 'POST',
    path: '/api/v1/agent/jobs/:id/fail',
    action: 'fail a job',
    summary: 'Reports a held job as failed: retried with backoff while attempts remain, or released untried',
    tag: 'farm',
    auth: 'agent',
    params: FarmJobIdParams,
    bodyKind: 'json',
    body: AgentCall.extend({
      lease: Lease,
      message: z.string().min(1).max(10_000),
      release: z
        .boolean()
        .default(false)
        .describe('The agent stops: put the job back without counting an attempt'),
    }),
    status: 200,
    response: z.object({ state: z.enum(['waiting', 'delayed', 'failed']) }),
    validateResponse: true,
  },
  enqueueJobs: {
    method: 'POST',
    path: '/api/v1/farm/jobs',
    action: 'enqueue jobs',
    summary: 'Adds jobs to their machines’ queues; a job whose key was enqueued before is not added again',
    tag: 'farm',
    auth: 'admin',
    bodyKind: 'json',
    body: z.strictObject({ jobs: z.array(NewFarmJobSchema).min(1).max(1000) }),
    status: 200,
    response: z.object({ jobs: z.array(z.object({ id: z.string(), added: z.boolean() })) }),
    validateResponse: true,
  },
  listAgents: {
    method: 'GET',
    path: '/api/v1/farm/agents',
    action: 'list agents',
    summary: "The farm's agents: state, last seen, jobs done and failed, their queue's depth",
    tag: 'farm',
    auth: 'public',
    bodyKind: 'none',
    status: 200,
    response: z.object({ items: z.array(FarmAgentSchema) }),
    validateResponse: true,
  },
  listMachineAlerts: {
    method: 'GET',
    path: '/api/v1/machine-alerts',
    action: 'list machine alerts',
    summary:
      'Alerts about machines, newest first: "no results from M since …" (kind silent), open until a result arrives',
    tag: 'farm',
    auth: 'public',
    query: z.strictObject({
      open: z.enum(['true', 'false']).optional().describe('Only open (true) or only cleared (false) alerts'),
      machine: Name.optional(),
      limit: z.coerce.number<string | number>().int().min(1).max(1000).default(100),
    }),
    bodyKind: 'none',
    status: 200,
    response: z.object({ items: z.array(MachineAlertSchema) }),
    validateResponse: true,
  },
} as const
