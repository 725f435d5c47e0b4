import { failedBuildResults } from '../analysis/index.ts'
import { type BuildJob, type ClaimedJob, type LangperfRunDocumentInput, runToDocument } from '../api/index.ts'
import { type Artifact, type BuildEvent, ensureBuilt, type Mirror } from '../build/index.ts'
import { type JsonObject, LangperfError } from '../lib/index.ts'
import type { BuildSpec, RunWithResults } from '../model/index.ts'
import { HARNESS_PROTOCOL_VERSION, readEnvironment } from '../runner/index.ts'
import { jobWorkloads, type MeasureContext } from './measure.ts'

// What the agent's build jobs share (build.ts: the nightly's; bisect-job.ts: a bisection's
// steps): building one commit through the agent's cache, stopping between steps, and the run of
// a build that failed (data: every workload failed with reason `build-failed`).

/** What a build job needs from the agent beyond measuring. */
export interface BuildContext extends MeasureContext {
  /** Holds the agent's `mirrors/`, `worktrees/` and `artifacts/`. */
  readonly cacheDir: string
  /** `make -j` and `$JOBS` of the recipes. */
  readonly jobs: number
  /** Each build step is killed after this long. */
  readonly stepTimeoutMs: number
  /** Artifacts are evicted above this size, least recently used first. */
  readonly maxCacheBytes: number
  readonly log: (line: string) => void
  /** Told when the job moves from building to measuring (the agent's state on the server). */
  readonly onPhase: (phase: 'building' | 'measuring') => void
  /** Uploads the run of a pair's reference (stored once per content); answers its id on the server. */
  readonly uploadReference: (document: LangperfRunDocumentInput) => Promise<number>
}

/** The run of a commit whose build failed: every workload of the job failed with `build-failed`. */
export async function failedBuildDocument(
  job: ClaimedJob,
  context: BuildContext,
  failed: {
    readonly artifact: Artifact
    readonly spec: BuildSpec
    readonly metadata: JsonObject
    readonly suite: string
  },
): Promise<LangperfRunDocumentInput> {
  const at = new Date().toISOString()
  const run: RunWithResults = {
    run: {
      machine: context.machine,
      environment: await readEnvironment(),
      build: failed.spec,
      suite: failed.suite,
      preset: 'none',
      harnessVersion: `langperf-harness protocol ${HARNESS_PROTOCOL_VERSION}`,
      source: 'langperf',
      startedAt: at,
      groupId: null,
      metadata: { ...failed.metadata, farm_job: job.id, farm_attempt: job.attempt },
    },
    status: 'complete',
    finishedAt: at,
    results: failedBuildResults(failed.artifact, await jobWorkloads(job, context.catalog)),
  }
  context.log(`  build ${failed.artifact.manifest.status}: uploaded as a failed build`)
  return runToDocument(run)
}

/** Builds (or finds in the agent's cache) one commit of the job's runtime in the job's config. */
export function buildCommit(
  job: ClaimedJob,
  context: BuildContext,
  at: { readonly mirror: Mirror; readonly commit: string },
): Promise<Artifact> {
  const recipe = (job.build as BuildJob).recipe
  return ensureBuilt(
    { runtime: job.key.runtime, config: job.key.config, recipe, mirror: at.mirror, commit: at.commit },
    {
      cacheDir: context.cacheDir,
      jobs: context.jobs,
      stepTimeoutMs: context.stepTimeoutMs,
      maxCacheBytes: context.maxCacheBytes,
      onEvent: (e) => logBuild(context, e),
    },
  )
}

/** Throws when the agent was told to stop (or lost the job) between the steps of a build. */
export function checkStopped(job: ClaimedJob, signal: AbortSignal): void {
  if (signal.aborted) throw new LangperfError('unavailable', `Cannot finish job ${job.id}: stopped`)
}

function logBuild(context: BuildContext, e: BuildEvent): void {
  switch (e.kind) {
    case 'build-start':
      context.log(`  building ${e.runtime} ${e.config} ${e.commit.slice(0, 12)}`)
      return
    case 'build-end':
      context.log(`  build ${e.status} in ${(e.durationMs / 1000).toFixed(1)} s`)
      return
    case 'cache-hit':
      context.log(`  build ${e.status} (cached ${e.key})`)
      return
    default:
      return
  }
}
