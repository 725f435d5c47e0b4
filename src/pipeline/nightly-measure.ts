import type { Artifact, CommitInfo } from '../build/index.ts'
import { type JsonObject, quote } from '../lib/index.ts'
import { checkInterrupt, Interrupted, type NightlyContext } from './nightly-context.ts'
import { measureStep } from './nightly-measure-step.ts'
import { type BranchPlan, scopeOf } from './nightly-plan.ts'
import { buildSourceOf, type CommitJob, type MeasuredHistory, referenceOf } from './nightly-reference.ts'
import { type CommitReport, type PlannedBuild, pairOf } from './nightly-report.ts'
import { runStep, type StepOutcome } from './steps.ts'
import { buildCommit, type World } from './world.ts'

// Measuring a branch's plan: each planned commit × config is built (cached) and measured beside
// the reference chosen now, from what this nightly measured so far, each in a journalled step.

/**
 * Builds and measures every planned commit × config of `plan`, oldest first, adding each to the
 * report and to its config's history, so the next commit's reference is the newest that worked.
 */
export async function measurePlan(context: NightlyContext, plan: BranchPlan): Promise<void> {
  const { world } = context
  const { runtime } = plan.sources
  for (const [i, c] of plan.ordered.entries()) {
    for (const cfg of runtime.configs) {
      if (!plan.plannedByConfig.get(cfg.name)?.has(c.sha)) continue
      checkInterrupt(world)
      world.log(
        `[${i + 1}/${plan.ordered.length}] ${runtime.name} ${cfg.name} ${c.sha.slice(0, 12)} ${quote(c.subject, 60)}`,
      )
      const history = plan.histories.get(cfg.name) as MeasuredHistory
      const reference = referenceOf(scopeOf(context, plan, cfg.name), c.sha, history)
      const r = await buildAndMeasure(context, {
        ...plan.sources,
        cfg,
        branch: plan.branch,
        commit: c,
        reference,
      })
      context.report.commits.push(r)
      recordMeasured(history, c, r)
    }
  }
}

/** Adds what `report` says of commit `c` to its config's history. */
function recordMeasured(history: MeasuredHistory, c: CommitInfo, r: CommitReport): void {
  if (r.measure === 'measured' || r.measure === 'build-failed' || r.measure === 'done-before') {
    history.measured.add(c.sha)
  }
  if (r.measure === 'build-failed' || r.build === 'failed' || r.build === 'unsupported') {
    history.failed.add(c.sha)
  }
}

/** The journal key of a step of one commit × config on this machine: `kind:machine:runtime:config:sha`. */
function stepKey(kind: string, world: World, job: Pick<CommitJob, 'runtime' | 'cfg' | 'commit'>): string {
  return `${kind}:${world.machine}:${job.runtime.name}:${job.cfg.name}:${job.commit.sha}`
}

/** The planned build `job` stands for, as the report names it. */
function plannedOf(job: CommitJob): PlannedBuild {
  return {
    runtime: job.runtime.name,
    branch: job.branch,
    config: job.cfg.name,
    sha: job.commit.sha,
    subject: job.commit.subject,
    commitDateUtc: job.commit.authorDateUtc,
    reference: job.reference.kind === 'commit' ? job.reference.commit.sha : null,
  }
}

/**
 * Builds and measures one commit × config, each a journalled step: a commit measured before is
 * reported as such, and a build that failed is measured as a failed build.
 */
async function buildAndMeasure(context: NightlyContext, job: CommitJob): Promise<CommitReport> {
  const { world, journal } = context
  const base = plannedOf(job)
  const measureKey = stepKey('measure', world, job)
  const before = await world.store.getPipelineStep(measureKey)
  if (before?.status === 'done') {
    return { ...pairOf(base, before.detail), build: 'skipped', measure: 'done-before' }
  }
  const built = await buildStep(context, job)
  if (typeof built === 'string') {
    return { ...base, build: 'error', measure: 'failed', runIds: [], referenceRunIds: [], error: built }
  }
  // The claim records the reference chosen, so a later attempt can find this one's runs.
  const measured = await runStep(
    journal,
    {
      kind: 'measure',
      key: measureKey,
      ...(job.reference.kind === 'commit' ? { detail: { reference_commit: job.reference.commit.sha } } : {}),
    },
    (previous) => measureStep(context, { job, artifact: built, key: measureKey, previous }),
  )
  return reportOf(context, { base, build: built.manifest.status, key: measureKey, outcome: measured })
}

/**
 * The build step of `job`: its artifact (from the cache when built before), or the error that
 * kept it from being built, recorded in the report.
 */
async function buildStep(context: NightlyContext, job: CommitJob): Promise<Artifact | string> {
  const { world, journal } = context
  let artifact: Artifact | undefined
  const buildKey = stepKey('build', world, job)
  const built = await runStep(journal, { kind: 'build', key: buildKey }, async () => {
    artifact = await buildCommit(world, buildSourceOf(job), job.commit.sha)
    const m = artifact.manifest
    return {
      status: m.status,
      artifact: m.key,
      cached: artifact.cached,
      log: m.logPath,
      duration_ms: m.buildDurationMs,
      ...(m.failure ? { failed_step: m.failure.step, reason: m.failure.reason } : {}),
    } satisfies JsonObject
  })
  if (built.state === 'done-before') {
    // Built by a nightly that stopped before measuring: the cache has it (or builds it again).
    artifact = await buildCommit(world, buildSourceOf(job), job.commit.sha)
  }
  if (artifact !== undefined) return artifact
  const message = built.state === 'failed' || built.state === 'gave-up' ? built.error : built.state
  context.report.errors.push({ step: buildKey, message })
  return message
}

/** The commit's report from its measure step's outcome; a failed step is recorded as an error. */
function reportOf(
  context: NightlyContext,
  step: {
    readonly base: PlannedBuild
    readonly build: CommitReport['build']
    readonly key: string
    readonly outcome: StepOutcome<JsonObject>
  },
): CommitReport {
  const { base, build, key, outcome } = step
  switch (outcome.state) {
    case 'done':
      return {
        ...pairOf(base, outcome.detail),
        build,
        measure: outcome.detail.status === 'build-failed' ? 'build-failed' : 'measured',
      }
    case 'done-before':
      return { ...pairOf(base, outcome.detail), build, measure: 'done-before' }
    case 'busy':
      return { ...base, build, measure: 'busy', runIds: [], referenceRunIds: [] }
    case 'failed':
    case 'gave-up':
      if (outcome.error === 'interrupted') throw new Interrupted('interrupted')
      context.report.errors.push({ step: key, message: outcome.error })
      return { ...base, build, measure: 'failed', runIds: [], referenceRunIds: [], error: outcome.error }
    default:
      return outcome satisfies never
  }
}
