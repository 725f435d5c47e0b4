import { z } from 'zod'
import {
  FAILURE_REASONS,
  placeByRules,
  RUN_SOURCES,
  type RunWithResults,
  WORKLOAD_NAME_RE,
} from '../model/index.ts'
import { EnvironmentSchema, InterpreterInfoSchema, IsoUtc, JsonObjectSchema, Name } from './schemas.ts'

/*
 * The langperf ingest format: one run with its results, as JSON, POSTed to /api/v1/runs.
 *
 *   { "format": "langperf-run", "version": 1,
 *     "run": { machine, build: { runtime, version, config, commitSha?, … }, startedAt, … },
 *     "status"?: "complete" | "interrupted", "finishedAt"?: ISO UTC | null,
 *     "results": [ { workload: { name, version }, unit?, loops?, innerLoops?,
 *                    processes: [ { warmups?: [[loops, value]…], values: [value…], metadata? } ],
 *                    outcome?: { state: "measured" } | { state: "failed", reason, message, stderrTail? }
 *                            | { state: "skipped", message },
 *                    metadata? } ] }
 *
 * It mirrors RunWithResults (src/model/run.ts) field for field, with defaults for what a CI
 * script seldom knows (environment, interpreter, group, metadata). Objects are strict: an
 * unknown key is refused, so a misspelt field is an error rather than silently dropped.
 *
 * History (a version is frozen once released; a change that an old reader cannot read is a new
 * version, and readers keep accepting the old ones):
 *   1  (langperf 0.1) the first version.
 */

/** The `format` value of a langperf ingest document. */
export const LANGPERF_RUN_FORMAT = 'langperf-run'
/** The ingest format versions this code reads. */
export const LANGPERF_RUN_VERSIONS = [1] as const

const BuildInput = z.strictObject({
  runtime: Name.describe('Runtime family: cpython, pypy, node, …'),
  version: Name.describe('Language version, e.g. 3.14.0a1+'),
  config: Name.default('default').describe('Build config: default, pgo-lto, jit, freethreading, …'),
  commitSha: Name.nullable().default(null),
  commitDateUtc: IsoUtc.nullable().default(null),
  branch: Name.nullable().default(null),
  mergeBase: Name.nullable().default(null),
  identity: Name.optional().describe(
    'Stable identity: equal identities are the same build. Default: runtime:commitSha:config (runtime:version:config without a commit)',
  ),
  interpreter: InterpreterInfoSchema.nullable().default(null),
  metadata: JsonObjectSchema.default({}),
})

const RunInput = z.strictObject({
  machine: Name.describe('Machine name; an agent token must have it in its scopes'),
  environment: EnvironmentSchema.nullable().default(null),
  build: BuildInput,
  suite: Name.default('default'),
  preset: Name.default('default'),
  harnessVersion: Name.default('unknown').describe('Version of the harness or tool that measured'),
  source: z.enum(RUN_SOURCES).default('api'),
  startedAt: IsoUtc,
  groupId: Name.nullable().default(null),
  metadata: JsonObjectSchema.default({}),
})

/** A measured value: finite and ≥ 0 (seconds, bytes or a count per inner loop). */
const Value = z.number().min(0)

const ProcessInput = z.strictObject({
  warmups: z.array(z.tuple([z.number().int().min(1), Value])).default([]),
  values: z.array(Value),
  metadata: JsonObjectSchema.default({}),
})

const OutcomeInput = z.discriminatedUnion('state', [
  z.strictObject({ state: z.literal('measured') }),
  z.strictObject({
    state: z.literal('failed'),
    reason: z.enum(FAILURE_REASONS),
    message: z.string().max(10_000),
    stderrTail: z.string().max(100_000).default(''),
  }),
  z.strictObject({ state: z.literal('skipped'), message: z.string().max(10_000) }),
])

/**
 * The one rule for a workload's name in an upload, langperf-run document or pyperf file (the
 * benchmark's name): lower-case letters, digits, `_`, `-` and `.`, as the runner's manifests.
 * Nothing with markup, spaces or control characters reaches the store through the API.
 */
export const WorkloadNameSchema = z.string().regex(WORKLOAD_NAME_RE, {
  message: 'a workload name of lower-case letters, digits, "_", "-" and ".", 1–100 characters',
})

const ResultInput = z.strictObject({
  workload: z.strictObject({
    name: WorkloadNameSchema,
    version: Name.describe('Content hash of the workload: a changed workload is a new series'),
  }),
  unit: z.enum(['second', 'byte', 'integer']).default('second'),
  loops: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).default(1),
  innerLoops: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).default(1),
  processes: z.array(ProcessInput).max(100_000),
  outcome: OutcomeInput.default({ state: 'measured' }),
  metadata: JsonObjectSchema.default({}),
})

/** The langperf ingest document, version 1 (see the history above). */
export const LangperfRunDocumentSchema = z
  .strictObject({
    format: z.literal(LANGPERF_RUN_FORMAT),
    version: z.literal(1),
    run: RunInput,
    status: z.enum(['complete', 'interrupted']).default('complete'),
    finishedAt: IsoUtc.nullable().default(null),
    results: z.array(ResultInput).max(10_000),
  })
  .meta({ id: 'LangperfRunDocument', title: 'langperf ingest document, version 1' })

/** A langperf ingest document as written (defaults not yet applied). */
export type LangperfRunDocumentInput = z.input<typeof LangperfRunDocumentSchema>
/** A langperf ingest document after validation, every default applied. */
export type LangperfRunDocument = z.output<typeof LangperfRunDocumentSchema>

/** The identity a build gets when the document gives none. */
export function defaultBuildIdentity(build: {
  readonly runtime: string
  readonly config: string
  readonly version: string
  readonly commitSha: string | null
}): string {
  // The glossary's form (`cpython:<sha>:<config>`), the one pyperf imports use too, so the same
  // build sent by either route is one build.
  return build.commitSha === null
    ? `${build.runtime}:${build.version}:${build.config}`
    : `${build.runtime}:${build.commitSha}:${build.config}`
}

/** The run a validated document describes, ready for `store.insertRuns`. */
export function documentToRun(doc: LangperfRunDocument): RunWithResults {
  const { identity, ...given } = doc.run.build
  // A build with neither commit nor branch is a released interpreter: its version is its line
  // (model/lineage.ts), as for interpreters measured locally.
  const build =
    given.branch === null && given.commitSha === null
      ? {
          ...given,
          branch: placeByRules({ version: given.version, ref: null, fork: null, commitSha: null }).branch,
        }
      : given
  return {
    run: { ...doc.run, build: { ...build, identity: identity ?? defaultBuildIdentity(build) } },
    status: doc.status,
    finishedAt: doc.finishedAt,
    results: doc.results,
  }
}

/**
 * The langperf-run document of a finished run (what an agent uploads): `documentToRun`'s inverse,
 * field for field. A run still `running` has no document.
 */
export function runToDocument(r: RunWithResults): LangperfRunDocumentInput {
  if (r.status === 'running') {
    throw new TypeError('Cannot write a langperf-run document of a run still running')
  }
  return JSON.parse(
    JSON.stringify({
      format: LANGPERF_RUN_FORMAT,
      version: 1,
      run: r.run,
      status: r.status,
      finishedAt: r.finishedAt,
      results: r.results,
    }),
  ) as LangperfRunDocumentInput
}
