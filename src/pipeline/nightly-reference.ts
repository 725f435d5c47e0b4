import { storedLoopCounts } from '../analysis/index.ts'
import type { Artifact, CommitInfo, Mirror } from '../build/index.ts'
import type {
  BuildConfigDefinition,
  BuildSpec,
  NightlyReference,
  RuntimeConfig,
  WorkloadDefinition,
} from '../model/index.ts'
import type { Interpreter } from '../runner/index.ts'
import type { NightlyContext } from './nightly-context.ts'
import { errorText } from './steps.ts'
import { type BuildSource, buildCommit, buildSpecOf, interpreterOf } from './world.ts'

// The reference of a new commit: which build it is measured beside (`[nightly] reference`), and
// that build made ready to run, with the loop counts both builds of the pair share.

/** What this machine measured of a runtime × config × branch. */
export interface MeasuredHistory {
  /** Shas measured: done measure steps and complete nightly runs (failed builds included). */
  readonly measured: Set<string>
  /** Those whose build failed or was unsupported: stored as failed builds, nothing to run. */
  readonly failed: Set<string>
}

/** What a new commit is measured beside: a reference commit, or nothing and why. */
export type ReferenceChoice =
  | { readonly kind: 'commit'; readonly commit: CommitInfo }
  | { readonly kind: 'none'; readonly reason: string }

/** Where references are chosen: the branch's listed commits, the mode, and its label for messages. */
export interface ReferenceScope {
  /** The branch's commits, oldest first (first-parent order). */
  readonly commits: readonly CommitInfo[]
  readonly mode: NightlyReference
  /** `branch × config`, as messages name it. */
  readonly label: string
}

/**
 * The reference of `sha` (`[nightly] reference = "previous"`): the newest commit before it in
 * first-parent order that this machine measured with a working build. A commit whose build failed
 * is passed over: it has nothing to run, and the detector's last good build is the newest one that ran.
 */
export function referenceOf(scope: ReferenceScope, sha: string, history: MeasuredHistory): ReferenceChoice {
  const { commits, mode, label } = scope
  switch (mode) {
    case 'none':
      return { kind: 'none', reason: 'no reference: [nightly] reference = "none"' }
    case 'previous': {
      const at = commits.findIndex((c) => c.sha === sha)
      for (let j = at - 1; j >= 0; j--) {
        const c = commits[j] as CommitInfo
        if (history.measured.has(c.sha) && !history.failed.has(c.sha)) return { kind: 'commit', commit: c }
      }
      return {
        kind: 'none',
        reason: `no reference: no earlier commit of ${label} among the ${commits.length} listed was measured with a working build on this machine`,
      }
    }
    default:
      return mode satisfies never
  }
}

/** One commit × config to build and measure, with where it comes from and its reference. */
export interface CommitJob {
  readonly runtime: RuntimeConfig
  readonly cfg: BuildConfigDefinition
  readonly branch: string
  readonly commit: CommitInfo
  readonly mirror: Mirror
  readonly suite: string
  readonly workloads: readonly WorkloadDefinition[]
  readonly reference: ReferenceChoice
}

/** Where `job`'s builds come from, as buildCommit takes it. */
export function buildSourceOf(job: CommitJob): BuildSource {
  return { runtime: job.runtime, buildConfig: job.cfg, mirror: job.mirror }
}

/** The BuildSpec of a working build of `commit` for `job`'s runtime × config × branch. */
export function runnableSpecOf(
  job: CommitJob,
  commit: CommitInfo,
  artifact: Artifact,
  interpreter: Interpreter,
): BuildSpec {
  return buildSpecOf({
    runtime: job.runtime,
    configName: job.cfg.name,
    branch: job.branch,
    commit,
    artifact,
    interpreter,
    versionFallback: interpreter.info.version,
  })
}

/** A reference build ready to measure beside the new commit. */
export interface ReferencePrepared {
  readonly kind: 'pair'
  readonly commit: CommitInfo
  readonly artifact: Artifact
  readonly interpreter: Interpreter
  readonly spec: BuildSpec
  /** Its loop counts from its newest stored run, for both builds of the pair. */
  readonly frozenLoops: Readonly<Record<string, number>> | undefined
}

/**
 * The reference build of `job`, from the build cache (rebuilt if it was evicted) and described,
 * or why the commit is measured alone. Nothing here fails the step: without its reference the
 * commit is still measured, as before pairs existed.
 */
export async function prepareReference(
  context: NightlyContext,
  job: CommitJob,
  minTimeS: number,
): Promise<ReferencePrepared | { readonly kind: 'alone'; readonly reason: string }> {
  const { world } = context
  if (job.reference.kind === 'none') return { kind: 'alone', reason: job.reference.reason }
  const commit = job.reference.commit
  const label = `reference ${commit.sha.slice(0, 12)}`
  try {
    const artifact = await buildCommit(world, buildSourceOf(job), commit.sha)
    if (artifact.manifest.status !== 'ok') {
      return { kind: 'alone', reason: `${label}: its build is ${artifact.manifest.status} now` }
    }
    const interpreter = await interpreterOf(world, artifact)
    const spec = runnableSpecOf(job, commit, artifact, interpreter)
    const frozenLoops = await storedLoops(context, spec.identity, minTimeS)
    return { kind: 'pair', commit, artifact, interpreter, spec, frozenLoops }
  } catch (error) {
    return { kind: 'alone', reason: `${label}: ${errorText(error)}` }
  }
}

/**
 * The reference's loop counts (storedLoopCounts). Both builds of a pair run at these counts: the
 * count moves a workload's mean, so a pair must share it, and reusing the reference's keeps its
 * new observation comparable with its old ones — loops frozen along the history.
 */
function storedLoops(
  context: NightlyContext,
  identity: string,
  minTimeS: number,
): Promise<Readonly<Record<string, number>> | undefined> {
  const { world } = context
  return storedLoopCounts(world.store, { identity, machine: world.machine, minTimeS })
}
