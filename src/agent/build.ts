import {
  buildMetadata,
  buildSpecOf,
  DEFAULT_PAIR_THRESHOLD,
  interpreterOfArtifact,
  REFERENCE_PURPOSE,
} from '../analysis/index.ts'
import type { BuildJob, ClaimedJob, LangperfRunDocumentInput, ReferenceCandidate } from '../api/index.ts'
import { type Artifact, cachePaths, ensureMirror, type Mirror } from '../build/index.ts'
import { LangperfError } from '../lib/index.ts'
import type { BuildSpec } from '../model/index.ts'
import type { Interpreter } from '../runner/index.ts'
import { bisectJob } from './bisect-job.ts'
import { type BuildContext, buildCommit, checkStopped, failedBuildDocument } from './build-steps.ts'
import { measureInto } from './measure.ts'
import { growFarmPair } from './pair-rounds.ts'

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
// (`reference_run_id`), which is how detection finds the pair. With the job's `pair` budget above
// one round, the workloads the pair leaves undecided are measured again on both builds before the
// job completes (pair-rounds.ts). Without a working candidate C is measured alone and its run says
// why. A bisection's step (`bisect`) is bisect-job.ts's.

/** Builds the commit of a build job (cached), measures it and answers its run as a langperf-run document. */
export async function buildJob(job: ClaimedJob, context: BuildContext): Promise<LangperfRunDocumentInput> {
  const b = job.build
  if (b === null) throw new LangperfError('internal', `Cannot build job ${job.id}: it is a measure job`)
  if (b.bisect !== undefined) return bisectJob(job, context, b.bisect)
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
    return failedBuildDocument(job, context, {
      artifact,
      spec: buildSpecOf({
        runtime,
        configName: key.config,
        branch: b.branch,
        commit,
        artifact,
        interpreter: null,
        versionFallback: 'unknown',
      }),
      metadata,
      suite: key.suite,
    })
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
  const pair = b.pair ?? { budget: 1, threshold: DEFAULT_PAIR_THRESHOLD }
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
            // Detection judges the pair at α / budget, the looks it may take (analysis/paired.ts).
            pair_budget: pair.budget,
          },
  })
  const referenceRunId = await context.uploadReference(theirs as LangperfRunDocumentInput)
  if (pair.budget > 1) {
    await growFarmPair(
      job,
      {
        reference: theirs as LangperfRunDocumentInput,
        candidate: ours as LangperfRunDocumentInput,
        referenceRunId,
        ...pair,
      },
      {
        measure: async (round, roundMetadata, frozenLoops) => {
          const [theirRound, ourRound] = await measureInto(round, context, {
            interpreters: [reference.interpreter, interpreter],
            builds: [reference.spec, build],
            metadata,
            frozenLoops,
            runMetadata: (index, group) => ({
              ...(index === 0 ? buildMetadata(reference.artifact) : {}),
              pair_group: group.groupId,
              ...roundMetadata(index),
            }),
          })
          if (theirRound === undefined || ourRound === undefined)
            throw new LangperfError('internal', `Cannot finish job ${job.id}: a pair round measured no run`)
          return [theirRound, ourRound]
        },
        upload: context.uploadReference,
        log: context.log,
        signal: context.signal,
      },
    )
  }
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
