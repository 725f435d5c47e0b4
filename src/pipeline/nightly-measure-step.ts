import { PAIR_ROUND_PURPOSE, pairOnly, REFERENCE_PURPOSE, type RunGroupSoFar } from '../analysis/index.ts'
import type { Artifact } from '../build/index.ts'
import type { JsonObject } from '../lib/index.ts'
import type { WorkloadDefinition } from '../model/index.ts'
import type { PipelineStepRow, RunRow } from '../store/index.ts'
import { Interrupted, type NightlyContext } from './nightly-context.ts'
import { growReferencePair } from './nightly-pair-rounds.ts'
import {
  type CommitJob,
  prepareReference,
  type ReferencePrepared,
  runnableSpecOf,
} from './nightly-reference.ts'
import {
  buildIdentity,
  buildMetadata,
  buildSpecOf,
  interpreterOf,
  measureBuilds,
  presetOf,
  storeFailedBuild,
} from './world.ts'

// The measure step of one commit × config: resume what an earlier attempt stored, store a failed
// build as such, or measure the workloads left interleaved with the reference build (or with
// itself, or alone) and grow the pair while it is undecided. Its result is the step's detail.

/** One measure step: the commit's job, its built artifact, the step's key and its previous row. */
export interface MeasureStepInput {
  readonly job: CommitJob
  readonly artifact: Artifact
  readonly key: string
  /** The step as an earlier attempt left it, if one ran. */
  readonly previous: PipelineStepRow | undefined
}

/** The runs an earlier attempt of the step stored: the commit's nightly runs and its reference's. */
interface EarlierRuns {
  readonly own: readonly RunRow[]
  readonly references: readonly RunRow[]
}

/** What the workloads left are measured beside: the reference build, the build itself, or nothing. */
interface Pairing {
  readonly reference: ReferencePrepared | null
  /** Why there is no reference, when there is none. */
  readonly skipped: string | null
  readonly besideItself: boolean
}

/**
 * Runs the measure step of `input.job` and returns its detail: the run ids of the commit and of
 * its reference, the reference chosen (or why none), how its pair grew, and the failures.
 */
export async function measureStep(context: NightlyContext, input: MeasureStepInput): Promise<JsonObject> {
  const earlier = await closeEarlierRuns(context, input)
  const metadata: JsonObject = { purpose: 'nightly', pipeline_step: input.key }
  if (input.artifact.manifest.status !== 'ok') return storeBuildFailure(context, input, earlier, metadata)
  const todo = await workloadsLeft(context, input.job, earlier)
  const done = { runIds: earlier.own.map((r) => r.id), referenceRunIds: earlier.references.map((r) => r.id) }
  if (todo.length === 0) {
    const previous = input.previous
    return {
      status: 'measured',
      runIds: done.runIds,
      referenceRunIds: done.referenceRunIds,
      resumed: true,
      reference:
        typeof previous?.detail.reference_commit === 'string' ? previous.detail.reference_commit : null,
    }
  }
  return measureWorkloads(context, input, { todo, done, metadata })
}

/**
 * The runs a step that ran before and died stored, closed as interrupted when still running:
 * their complete results are kept. Its reference runs belong to the reference build, named in
 * the step's claim. Its own build's runs of purpose `reference` (measured beside itself) and
 * `pair-round` are closed too, but only its nightly runs say which workloads are done.
 */
async function closeEarlierRuns(context: NightlyContext, input: MeasureStepInput): Promise<EarlierRuns> {
  const { world } = context
  const { job, key, previous } = input
  const identity = buildIdentity(job.runtime.name, job.commit.sha, job.cfg.name)
  const stepRuns = previous ? await runsOfStep(context, identity, key) : []
  const earlier = stepRuns.filter((r) => !pairOnly(r.metadata.purpose))
  const earlierReferences: RunRow[] = []
  const earlierRounds: RunRow[] = stepRuns.filter((r) => pairOnly(r.metadata.purpose))
  if (previous) {
    const shas = new Set<string>()
    if (typeof previous.detail.reference_commit === 'string') shas.add(previous.detail.reference_commit)
    if (job.reference.kind === 'commit') shas.add(job.reference.commit.sha)
    shas.delete(job.commit.sha)
    for (const sha of shas) {
      for (const r of await runsOfStep(context, buildIdentity(job.runtime.name, sha, job.cfg.name), key))
        (r.metadata.purpose === PAIR_ROUND_PURPOSE ? earlierRounds : earlierReferences).push(r)
    }
  }
  for (const r of [...earlier, ...earlierReferences, ...earlierRounds]) {
    if (r.status === 'running') await world.store.finishRun(r.id, 'interrupted', world.now().toISOString())
  }
  return { own: earlier, references: earlierReferences }
}

/** The runs an earlier attempt of step `key` stored for this build (a crash leaves them). */
async function runsOfStep(context: NightlyContext, identity: string, key: string): Promise<RunRow[]> {
  const { world } = context
  const [build] = await world.store.findBuilds({ identity, limit: 1 })
  if (build === undefined) return []
  const page = await world.store.listRuns({ buildId: build.id, machine: world.machine, limit: 1000 })
  return page.rows.filter((r) => r.metadata.pipeline_step === key)
}

/**
 * A build that failed (or is unsupported) is stored once as a run of failed results, so the
 * timeline shows it; an earlier attempt's such run stands.
 */
async function storeBuildFailure(
  context: NightlyContext,
  input: MeasureStepInput,
  earlier: EarlierRuns,
  metadata: JsonObject,
): Promise<JsonObject> {
  const { world } = context
  const { job, artifact } = input
  const stored = earlier.own.find(
    (r) => r.metadata.build_status !== undefined && r.metadata.build_status !== 'ok',
  )
  if (stored) return { status: 'build-failed', runIds: [stored.id], referenceRunIds: [] }
  const [previousBuild] = await world.store.findBuilds({
    runtime: job.runtime.name,
    config: job.cfg.name,
    limit: 1,
  })
  const spec = buildSpecOf({
    runtime: job.runtime,
    configName: job.cfg.name,
    branch: job.branch,
    commit: job.commit,
    artifact,
    interpreter: null,
    versionFallback: previousBuild?.version ?? 'unknown',
  })
  const runId = await storeFailedBuild(world, {
    spec,
    artifact,
    suite: job.suite,
    workloads: job.workloads,
    metadata,
  })
  world.log(`  build ${artifact.manifest.status}: stored as a failed build (run ${runId})`)
  return { status: 'build-failed', runIds: [runId], referenceRunIds: [] }
}

/** The workloads of `job` that the earlier attempt's runs did not store (logged when resuming). */
async function workloadsLeft(
  context: NightlyContext,
  job: CommitJob,
  earlier: EarlierRuns,
): Promise<WorkloadDefinition[]> {
  const { world } = context
  const done = new Set<string>()
  for (const r of earlier.own) {
    for (const res of await world.store.getResults(r.id)) {
      if (res.outcome.state !== 'skipped') done.add(res.workload.name)
    }
  }
  const todo = job.workloads.filter((w) => !done.has(w.manifest.name))
  if (earlier.own.length > 0)
    world.log(`  resuming: ${done.size} workload(s) stored before, ${todo.length} to measure`)
  return todo
}

/** The run ids an earlier attempt stored: the commit's own and its reference's. */
interface DoneRuns {
  readonly runIds: readonly number[]
  readonly referenceRunIds: readonly number[]
}

/**
 * Measures the workloads left of a working build, interleaved with its reference (the pair then
 * grown), with itself, or alone, and returns the step's detail.
 */
async function measureWorkloads(
  context: NightlyContext,
  input: MeasureStepInput,
  left: {
    readonly todo: readonly WorkloadDefinition[]
    readonly done: DoneRuns
    readonly metadata: JsonObject
  },
): Promise<JsonObject> {
  const { world, options } = context
  const { job, artifact } = input
  const { todo, done, metadata } = left
  const interpreter = await interpreterOf(world, artifact)
  const spec = runnableSpecOf(job, job.commit, artifact, interpreter)
  const sampling = options.sampling ?? {}
  const preset = presetOf(sampling)
  const pairing = await pairingOf(context, job, preset.minTimeS)
  const { reference, skipped, besideItself } = pairing
  const outcome = await measureBuilds(world, {
    interpreters: reference
      ? [reference.interpreter, interpreter]
      : besideItself
        ? [interpreter, interpreter]
        : [interpreter],
    builds: reference ? [reference.spec, spec] : besideItself ? [spec, spec] : [spec],
    workloads: todo,
    preset,
    suite: job.suite,
    timeoutMs: sampling.timeoutMs ?? 600_000,
    metadata: {
      ...metadata,
      ...buildMetadata(artifact),
      ...(options.workloads ? { workloads_filter: [...options.workloads] } : {}),
    },
    runMetadata: runMetadataOf(context, job, pairing, done),
    ...(reference?.frozenLoops ? { frozenLoops: reference.frozenLoops } : {}),
  })
  for (const f of outcome.failures) world.log(`  failed: ${f}`)
  if (outcome.status === 'interrupted') throw new Interrupted('interrupted')
  const paired = reference !== null || besideItself
  const own = paired ? outcome.runIds.slice(1) : outcome.runIds
  const theirs = reference ? outcome.runIds.slice(0, 1) : []
  const growth = reference
    ? await growReferencePair(context, job, {
        reference,
        interpreter,
        spec,
        workloads: todo,
        outcome,
        metadata: { ...metadata, ...buildMetadata(artifact) },
      })
    : null
  return {
    status: 'measured',
    runIds: [...done.runIds, ...own],
    referenceRunIds: [...done.referenceRunIds, ...theirs],
    reference: reference?.commit.sha ?? null,
    ...(skipped !== null ? { referenceSkipped: skipped } : {}),
    ...(besideItself ? { besideItself: true, selfReferenceRunIds: outcome.runIds.slice(0, 1) } : {}),
    ...(growth ? { pair: growth } : {}),
    failures: [...outcome.failures],
  }
}

/**
 * What the commit is measured beside, logged. Without a reference (the first build of a history),
 * the build is measured twice, interleaved with itself, unless pairs are off: its run then has the
 * shape of every other night's (two interpreters alternating, twice the wall time), not a run of
 * its own under other conditions.
 */
async function pairingOf(context: NightlyContext, job: CommitJob, minTimeS: number): Promise<Pairing> {
  const { world, options } = context
  const prepared = await prepareReference(context, job, minTimeS)
  const reference = prepared.kind === 'pair' ? prepared : null
  const skipped = prepared.kind === 'alone' ? prepared.reason : null
  const referenceMode = options.reference ?? world.config.nightly.reference
  const besideItself = reference === null && referenceMode !== 'none'
  if (reference) world.log(`  interleaved with ${reference.commit.sha.slice(0, 12)} (reference)`)
  else if (besideItself) world.log(`  measured twice, interleaved with itself (${skipped})`)
  else world.log(`  measured alone (${skipped})`)
  return { reference, skipped, besideItself }
}

/**
 * The metadata of each run of the measurement. The reference's run says what it is and whose
 * reference it was; the commit's run names the reference run of its pair, which detection judges
 * its step by (analysis/paired.ts); runs resuming an earlier attempt name the runs they resume.
 */
function runMetadataOf(
  context: NightlyContext,
  job: CommitJob,
  pairing: Pairing,
  done: DoneRuns,
): (index: number, group: RunGroupSoFar) => JsonObject {
  const { world, options } = context
  const { reference, skipped, besideItself } = pairing
  const resumes = (ids: readonly number[]): JsonObject => (ids.length > 0 ? { resumes_runs: [...ids] } : {})
  return (index, group) => {
    if (reference === null && besideItself) {
      if (index === 0) {
        return {
          purpose: REFERENCE_PURPOSE,
          pair_group: group.groupId,
          reference_for: job.commit.sha,
          beside_itself: true,
        }
      }
      return {
        ...resumes(done.runIds),
        reference_skipped: skipped,
        beside_itself: true,
        pair_group: group.groupId,
      }
    }
    if (reference === null) return { ...resumes(done.runIds), reference_skipped: skipped }
    if (index === 0) {
      return {
        ...buildMetadata(reference.artifact),
        purpose: REFERENCE_PURPOSE,
        pair_group: group.groupId,
        reference_for: job.commit.sha,
        ...resumes(done.referenceRunIds),
      }
    }
    return {
      reference_run_id: group.runIds[0] ?? null,
      reference_commit: reference.commit.sha,
      pair_group: group.groupId,
      // The looks its pair may take: detection judges it at α / pair_budget (analysis/paired.ts).
      pair_budget: options.pairBudget ?? world.config.nightly.pairBudget,
      ...resumes(done.runIds),
    }
  }
}
