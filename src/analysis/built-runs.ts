import type { Artifact } from '../build/index.ts'
import { type JsonObject, LangperfError, quote } from '../lib/index.ts'
import type { BuildSpec, RuntimeConfig, WorkloadDefinition, WorkloadResult } from '../model/index.ts'
import { describeInterpreter, type Interpreter, interpreterIdentity } from '../runner/index.ts'

// What a run of a built commit records: the build it stands for (`runtime:sha:config`, its place
// on the branch, the artifact), the build's status and log in the run's metadata, and, for a build
// that failed, one failed (or skipped) result per workload. Shared by the nightly, which builds and
// measures in its own process, and the farm's agent, which does the same for a build job.

/** The interpreter an ok artifact installed, identified by its self-report. */
export async function interpreterOfArtifact(
  artifact: Artifact,
  env: NodeJS.ProcessEnv,
): Promise<Interpreter> {
  const path = artifact.manifest.executablePath
  if (artifact.manifest.status !== 'ok' || path === null) {
    throw new LangperfError(
      'internal',
      `Cannot measure artifact ${quote(artifact.manifest.key)}: its build is ${artifact.manifest.status}`,
    )
  }
  const described = await describeInterpreter(path, { env })
  if (!described.ok) {
    throw new LangperfError(
      'unavailable',
      `Cannot measure the build of ${artifact.manifest.commit.slice(0, 12)}: ${quote(path, 200)} ${described.reason}`,
    )
  }
  return {
    identity: interpreterIdentity(described.info),
    info: described.info,
    foundAs: path,
    origin: 'build',
  }
}

/** The identity of a built commit: `runtime:sha:config`, as the glossary writes it. */
export function buildIdentity(runtime: string, sha: string, config: string): string {
  return `${runtime}:${sha}:${config}`
}

/** What a BuildSpec is made of: the built commit × config, and its interpreter when it runs. */
export interface BuildSpecInput {
  readonly runtime: Pick<RuntimeConfig, 'name'>
  readonly configName: string
  readonly branch: string | null
  readonly commit: {
    readonly sha: string
    readonly authorDateUtc: string
    readonly firstParentPosition?: number
  }
  readonly artifact: Artifact
  /** Null for a build that does not run (failed or unsupported). */
  readonly interpreter: Interpreter | null
  /** The version recorded when there is no interpreter to report its own. */
  readonly versionFallback: string
}

/** The BuildSpec an artifact stands for: what a run stored of it names as its build. */
export function buildSpecOf(input: BuildSpecInput): BuildSpec {
  const { runtime, configName, branch, commit, artifact, interpreter, versionFallback } = input
  return {
    runtime: runtime.name,
    version: interpreter?.info.version ?? versionFallback,
    config: configName,
    commitSha: commit.sha,
    commitDateUtc: commit.authorDateUtc,
    branch,
    mergeBase: null,
    identity: buildIdentity(runtime.name, commit.sha, configName),
    interpreter: interpreter?.info ?? null,
    metadata: {
      artifact: artifact.manifest.key,
      config_hash: artifact.manifest.configHash,
      build_status: artifact.manifest.status,
      build_duration_ms: artifact.manifest.buildDurationMs,
      // Its place on the branch's first-parent line: detection orders the series by ancestry.
      ...(commit.firstParentPosition !== undefined ? { history_order: commit.firstParentPosition } : {}),
    },
  }
}

/** Run metadata about the build behind a run: its status, log and, when failed, where it failed. */
export function buildMetadata(artifact: Artifact): JsonObject {
  const m = artifact.manifest
  return {
    build_status: m.status,
    build_key: m.key,
    build_log: m.logPath,
    build_duration_ms: m.buildDurationMs,
    ...(m.failure ? { build_failed_step: m.failure.step, build_failure: m.failure.reason } : {}),
  }
}

/**
 * The results of a build that failed (or is unsupported): every workload a failed result with
 * reason `build-failed` (skipped for unsupported), naming the failed step and the log, so the
 * timeline shows a failed build rather than a gap.
 */
export function failedBuildResults(
  artifact: Artifact,
  workloads: readonly WorkloadDefinition[],
): WorkloadResult[] {
  const m = artifact.manifest
  const failure = m.failure
  const message =
    m.status === 'unsupported'
      ? `Build config not supported by this commit: ${failure?.reason ?? 'unsupported'} (log: ${m.logPath})`
      : `Build failed at step ${quote(failure?.step ?? '?')}: ${failure?.reason ?? 'failed'} (log: ${m.logPath})`
  return workloads.map((w) => ({
    workload: { name: w.manifest.name, version: w.version },
    unit: 'second',
    loops: 1,
    innerLoops: w.manifest.innerLoops,
    processes: [],
    outcome:
      m.status === 'unsupported'
        ? { state: 'skipped', message }
        : {
            state: 'failed',
            reason: 'build-failed',
            message,
            stderrTail: (failure?.logTail ?? '').slice(-4096),
          },
    metadata: {},
  }))
}
