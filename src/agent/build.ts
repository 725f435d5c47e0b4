import { buildMetadata, buildSpecOf, failedBuildResults, interpreterOfArtifact } from '../analysis/index.ts'
import { type ClaimedJob, type LangperfRunDocumentInput, runToDocument } from '../api/index.ts'
import { type BuildEvent, cachePaths, ensureBuilt, ensureMirror } from '../build/index.ts'
import { LangperfError } from '../lib/index.ts'
import type { RunWithResults } from '../model/index.ts'
import { HARNESS_PROTOCOL_VERSION, readEnvironment } from '../runner/index.ts'
import { jobWorkloads, type MeasureContext, measureInto } from './measure.ts'

// A build job on the agent's machine: "build commit C of runtime R in config K and measure suite
// S". The commit is built as the nightly builds it — the agent's own bare mirror of the remote and
// its artifact cache (src/build), so a commit built once is never built again here — then
// measured alone with the same path as `langperf run`, its run naming the build it stands for
// (`runtime:sha:config`, branch, commit date, place on the first-parent line) with the purpose
// `nightly`, as if the nightly had measured it on this machine. A build that fails is data: the
// run uploaded has every workload failed with reason `build-failed` (skipped when unsupported).

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
  const artifact = await ensureBuilt(
    { runtime: key.runtime, config: key.config, recipe: b.recipe, mirror, commit: key.commit },
    {
      cacheDir: context.cacheDir,
      jobs: context.jobs,
      stepTimeoutMs: context.stepTimeoutMs,
      maxCacheBytes: context.maxCacheBytes,
      onEvent: (e) => logBuild(context, e),
    },
  )
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
  context.onPhase('measuring')
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
  return measureInto(job, context, { interpreters: [interpreter], build, metadata })
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
