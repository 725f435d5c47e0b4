import { BISECT_PURPOSE, buildMetadata, buildSpecOf, interpreterOfArtifact } from '../analysis/index.ts'
import type { BisectStep, ClaimedJob, LangperfRunDocumentInput } from '../api/index.ts'
import { type Artifact, cachePaths, ensureMirror } from '../build/index.ts'
import { LangperfError } from '../lib/index.ts'
import type { BuildSpec } from '../model/index.ts'
import type { Interpreter } from '../runner/index.ts'
import { type BuildContext, buildCommit, checkStopped, failedBuildDocument } from './build-steps.ts'
import { measureInto } from './measure.ts'

// One measurement of a bisection on the farm (pipeline/farm-bisect.ts asks for it as the
// in-process bisection's probe measures): the commits of the step, the key's commit among them,
// built through the agent's cache and measured interleaved in their order with the job's
// processes, as runs of suite `bisect` with the alert, phase, step and round in their metadata,
// at the loop counts of the bisection's first measurement when the job names them. The key's
// commit's run is the job's result (`bisect_main`); the others are uploaded beside it, each
// stored once per content. A commit that does not build ends the job: its failed build is the
// result (`farm_build_failed`), which the bisection reads as "set aside, try its neighbour".

/** Builds and measures a bisection step; answers the run of the key's commit. */
export async function bisectJob(
  job: ClaimedJob,
  context: BuildContext,
  step: BisectStep,
): Promise<LangperfRunDocumentInput> {
  const b = job.build
  if (b === null) throw new LangperfError('internal', `Cannot bisect in job ${job.id}: it builds nothing`)
  const { key } = job
  if (!step.commits.some((c) => c.commit === key.commit)) {
    throw new LangperfError(
      'bad-input',
      `Cannot run job ${job.id}: its bisection step does not measure its own commit ${key.commit}`,
    )
  }
  context.onPhase('building')
  const mirror = await ensureMirror(b.remote, cachePaths(context.cacheDir).mirrors, {
    onLog: (line) => context.log(`  ${line}`),
  })
  const metadata = {
    purpose: BISECT_PURPOSE,
    farm_build: true,
    alert_id: step.alertId,
    bisect_phase: step.phase,
    bisect_step: step.step,
    bisect_round: step.round,
  }
  const sides: { artifact: Artifact; interpreter: Interpreter; spec: BuildSpec; main: boolean }[] = []
  for (const c of step.commits) {
    checkStopped(job, context.signal)
    const artifact = await buildCommit(job, context, { mirror, commit: c.commit })
    const commit = {
      sha: c.commit,
      authorDateUtc: c.commitDateUtc,
      ...(c.firstParentPosition === undefined ? {} : { firstParentPosition: c.firstParentPosition }),
    }
    const specOf = (interpreter: Interpreter | null) =>
      buildSpecOf({
        runtime: { name: key.runtime },
        configName: key.config,
        branch: b.branch,
        commit,
        artifact,
        interpreter,
        versionFallback: interpreter?.info.version ?? 'unknown',
      })
    if (artifact.manifest.status !== 'ok') {
      const failed = { ...metadata, ...buildMetadata(artifact), bisect_main: true, farm_build_failed: true }
      return failedBuildDocument(job, context, {
        artifact,
        spec: specOf(null),
        metadata: failed,
        suite: BISECT_PURPOSE,
      })
    }
    const interpreter = await interpreterOfArtifact(artifact, context.env)
    sides.push({ artifact, interpreter, spec: specOf(interpreter), main: c.commit === key.commit })
  }
  checkStopped(job, context.signal)
  context.onPhase('measuring')
  context.log(
    `  bisection of alert ${step.alertId}, ${step.phase} ${step.step} round ${step.round}: ${step.commits.map((c) => c.commit.slice(0, 12)).join(', ')} interleaved`,
  )
  const documents = await measureInto(job, context, {
    interpreters: sides.map((s) => s.interpreter),
    builds: sides.map((s) => s.spec),
    metadata,
    suite: BISECT_PURPOSE,
    ...(step.frozenLoops === undefined ? {} : { frozenLoops: step.frozenLoops }),
    runMetadata: (index) => ({
      ...buildMetadata((sides[index] as (typeof sides)[number]).artifact),
      bisect_main: sides[index]?.main === true,
    }),
  })
  let main: LangperfRunDocumentInput | undefined
  for (const [i, document] of documents.entries()) {
    if (sides[i]?.main === true) main = document
    else await context.uploadReference(document)
  }
  if (main === undefined)
    throw new LangperfError('internal', `Cannot finish job ${job.id}: no run of its commit`)
  return main
}
