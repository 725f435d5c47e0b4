import {
  buildMetadata,
  buildSpecOf,
  failedBuildResults,
  interpreterOfArtifact,
  REFERENCE_PURPOSE,
} from '../analysis/index.ts'
import {
  type BuildJob,
  type ClaimedJob,
  type LangperfRunDocumentInput,
  type ReferenceCandidate,
  runToDocument,
} from '../api/index.ts'
import {
  type Artifact,
  type BuildEvent,
  cachePaths,
  ensureBuilt,
  ensureMirror,
  type Mirror,
} from '../build/index.ts'
import { LangperfError } from '../lib/index.ts'
import type { BuildSpec, RunWithResults } from '../model/index.ts'
import { HARNESS_PROTOCOL_VERSION, type Interpreter, readEnvironment } from '../runner/index.ts'
import { jobWorkloads, type MeasureContext, measureInto } from './measure.ts'

// A build job on the agent's machine: "build commit C of runtime R in config K and measure suite
// S". The commit is built as the nightly builds it — the agent's own bare mirror of the remote and
// its artifact cache (src/build), so a commit built once is never built again here — then
// measured with the same path as `langperf run`, its run naming the build it stands for
// (`runtime:sha:config`, branch, commit date, place on the first-parent line) with the purpose
// `nightly`, as if the nightly had measured it on this machine. A build that fails is data: the
// run uploaded has every workload failed with reason `build-failed` (skipped when unsupported).
//
// With reference candidates (the nightly's pairs, docs/nightly.md), C is measured interleaved
// with the first of them whose build works, at its loop counts: the reference's run is uploaded
// first (`POST /api/v1/runs`, stored once per content) and C's run names the id the server gave it
// (`reference_run_id`), which is how detection finds the pair. Without a working candidate C is
// measured alone and its run says why.

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

/** Builds the commit of a build job (cached), measures it and answers its run as a langperf-run document. */
export async function buildJob(job: ClaimedJob, context: BuildContext): Promise<LangperfRunDocumentInput> {
  const b = job.build
  if (b === null) throw new LangperfError('internal', `Cannot build job ${job.id}: it is a measure job`)
  const { key } = job
  context.onPhase('building')
  const mirror = await ensureMirror(b.remote, cachePaths(context.cacheDir).mirrors, {
    onLog: (line) => context.log(`  ${line}`),
  })
  checkStopped(job, context.signal)
  const artifact = await buildCommit(job, context, { mirror, commit: key.commit })
  checkStopped(job, context.signal)
  const commit = {
    sha: key.commit,
    authorDateUtc: b.commitDateUtc,
    ...(b.firstParentPosition === undefined ? {} : { firstParentPosition: b.firstParentPosition }),
  }
  const runtime = { name: key.runtime }
  const metadata = { purpose: 'nightly', farm_build: true, ...buildMetadata(artifact) }
  if (artifact.manifest.status !== 'ok') {
    const spec = buildSpecOf({
      runtime,
      configName: key.config,
      branch: b.branch,
      commit,
      artifact,
      interpreter: null,
      versionFallback: 'unknown',
    })
    const at = new Date().toISOString()
    const run: RunWithResults = {
      run: {
        machine: context.machine,
        environment: await readEnvironment(),
        build: spec,
        suite: key.suite,
        preset: 'none',
        harnessVersion: `langperf-harness protocol ${HARNESS_PROTOCOL_VERSION}`,
        source: 'langperf',
        startedAt: at,
        groupId: null,
        metadata: { ...metadata, farm_job: job.id, farm_attempt: job.attempt },
      },
      status: 'complete',
      finishedAt: at,
      results: failedBuildResults(artifact, await jobWorkloads(job)),
    }
    context.log(`  build ${artifact.manifest.status}: uploaded as a failed build`)
    return runToDocument(run)
  }
  const interpreter = await interpreterOfArtifact(artifact, context.env)
  const build = buildSpecOf({
    runtime,
    configName: key.config,
    branch: b.branch,
    commit,
    artifact,
    interpreter,
    versionFallback: interpreter.info.version,
  })
  const reference = await referenceOf(job, context, mirror)
  context.onPhase('measuring')
  if (reference.kind === 'alone') {
    const [alone] = await measureInto(job, context, {
      interpreters: [interpreter],
      builds: [build],
      metadata: {
        ...metadata,
        ...(reference.reason === null ? {} : { reference_skipped: reference.reason }),
      },
    })
    return alone as LangperfRunDocumentInput
  }
  context.log(`  interleaved with ${reference.candidate.commit.slice(0, 12)} (reference)`)
  const [theirs, ours] = await measureInto(job, context, {
    interpreters: [reference.interpreter, interpreter],
    builds: [reference.spec, build],
    metadata,
    ...(reference.candidate.frozenLoops === undefined
      ? {}
      : { frozenLoops: reference.candidate.frozenLoops }),
    runMetadata: (index, group) =>
      index === 0
        ? {
            ...buildMetadata(reference.artifact),
            purpose: REFERENCE_PURPOSE,
            pair_group: group.groupId,
            reference_for: key.commit,
          }
        : {
            reference_commit: reference.candidate.commit,
            pair_group: group.groupId,
            // One round: detection judges the pair at α / 1 (analysis/paired.ts).
            pair_budget: 1,
          },
  })
  const referenceRunId = await context.uploadReference(theirs as LangperfRunDocumentInput)
  const doc = ours as LangperfRunDocumentInput
  return {
    ...doc,
    run: { ...doc.run, metadata: { ...(doc.run.metadata ?? {}), reference_run_id: referenceRunId } },
  }
}

/** The reference the job's commit is measured beside, made ready, or why it is measured alone (null: none asked for). */
async function referenceOf(
  job: ClaimedJob,
  context: BuildContext,
  mirror: Mirror,
): Promise<
  | {
      readonly kind: 'pair'
      readonly candidate: ReferenceCandidate
      readonly artifact: Artifact
      readonly interpreter: Interpreter
      readonly spec: BuildSpec
    }
  | { readonly kind: 'alone'; readonly reason: string | null }
> {
  const b = job.build as BuildJob
  if (b.references.length === 0) return { kind: 'alone', reason: null }
  const why: string[] = []
  for (const candidate of b.references) {
    checkStopped(job, context.signal)
    const label = candidate.commit.slice(0, 12)
    try {
      const artifact = await buildCommit(job, context, { mirror, commit: candidate.commit })
      if (artifact.manifest.status !== 'ok') {
        why.push(`${label}: its build is ${artifact.manifest.status}`)
        continue
      }
      const interpreter = await interpreterOfArtifact(artifact, context.env)
      const spec = buildSpecOf({
        runtime: { name: job.key.runtime },
        configName: job.key.config,
        branch: b.branch,
        commit: {
          sha: candidate.commit,
          authorDateUtc: candidate.commitDateUtc,
          ...(candidate.firstParentPosition === undefined
            ? {}
            : { firstParentPosition: candidate.firstParentPosition }),
        },
        artifact,
        interpreter,
        versionFallback: interpreter.info.version,
      })
      return { kind: 'pair', candidate, artifact, interpreter, spec }
    } catch (error) {
      why.push(`${label}: ${error instanceof Error ? error.message : String(error)}`)
    }
  }
  return { kind: 'alone', reason: `no reference: ${why.join('; ')}` }
}

/** Builds (or finds in the agent's cache) one commit of the job's runtime in the job's config. */
function buildCommit(
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
function checkStopped(job: ClaimedJob, signal: AbortSignal): void {
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
