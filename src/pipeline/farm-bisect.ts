import { setTimeout as sleep } from 'node:timers/promises'
import { BISECT_PURPOSE } from '../analysis/index.ts'
import type { BuildJob, MeasureJob, NewFarmJob } from '../api/index.ts'
import { listCommits } from '../build/index.ts'
import { LangperfError, quote } from '../lib/index.ts'
import { processMeans, type RecipeDefinition, type RuntimeConfig } from '../model/index.ts'
import type { RunRow } from '../store/index.ts'
import type { BisectProbe } from './bisect.ts'
import { bisectAlert } from './bisect-run.ts'
import { bisectDetailOf, bisectOptionsOf } from './nightly-bisect.ts'
import { checkInterrupt, Interrupted, type NightlyContext } from './nightly-context.ts'
import { notify } from './nightly-notify.ts'
import type { BisectionReport } from './nightly-report.ts'
import { type BuildProbe, type BuildProbeOptions, createBuildProbe } from './probe.ts'
import { errorText } from './steps.ts'
import type { World } from './world.ts'

// Bisection on the farm (issue 14: "bisection becomes jobs on the machine that saw the change").
// The search is the nightly's own (bisect.ts through bisect-run.ts's bisectAlert, which records
// the culprit on the alert); only its probe differs. Each measurement the search asks for —
// good, midpoint and bad interleaved, or the culprit beside its parent, at a number of processes
// — is a build job of purpose `bisect` on the machine that saw the change (api's BisectStep),
// keyed by the alert, phase, step and round, so it is enqueued once and stored once. The search
// is replayed from its start at each farm nightly (and, with `--wait`, each time its jobs
// finish): a measurement whose job completed is read back from the runs it stored; a commit whose
// build failed in a job is "cannot be measured" from then on; the first measurement with no
// result yet enqueues its job (if new) and suspends the search (BisectPending) until the next
// replay. The same measurements give the same decisions, so each replay goes one step further.
// The bisection's journal step (`farm-bisect:<machine>:<alert>`) stays running while it waits and
// is done once the answer is recorded; a job that failed for good fails the step.

/** Thrown by the farm's probe when the search needs a measurement whose job has not finished. */
export class BisectPending extends Error {
  readonly jobId: string
  constructor(jobId: string, what: string) {
    super(`waiting for job ${jobId} (${what})`)
    this.jobId = jobId
  }
}

/** The farm's queue as the farm's bisection uses it. */
export interface BisectScheduler {
  enqueue(jobs: readonly NewFarmJob[]): Promise<{ id: string; added: boolean }[]>
  states(machine: string, ids: readonly string[]): Promise<Map<string, string>>
}

/** The key suite of a bisection job: one per alert, phase, step and round. */
function stepSuite(alertId: number, phase: string, step: number, round: number): string {
  return `bisect-${alertId}-${phase}-${step}-${round}`
}

/** The runs of the bisections of `alertId` on the world's machine, newest first. */
async function bisectRuns(world: World, alertId: number): Promise<RunRow[]> {
  const page = await world.store.listRuns({ machine: world.machine, suite: BISECT_PURPOSE, limit: 1000 })
  return page.rows.filter((r) => r.metadata.alert_id === alertId && r.metadata.farm_job !== undefined)
}

/**
 * The probe of a farm bisection: commits from the server's mirror (as the build probe), builds and
 * measurements from the jobs of the world's machine.
 */
function farmProbe(
  world: World,
  farm: BisectScheduler,
  spec: BuildProbeOptions & {
    readonly alertId: number
    readonly runs: readonly RunRow[]
    readonly measure: MeasureJob
  },
): BuildProbe {
  const base = createBuildProbe(world, spec)
  const runIds: number[] = []
  let frozenLoops: Record<string, number> | undefined
  const failedBuild = (sha: string) =>
    spec.runs.find((r) => r.build.commitSha === sha && r.metadata.farm_build_failed === true)
  return {
    runIds,
    between: base.between,
    commit: base.commit,
    async prepare(sha) {
      const failed = failedBuild(sha)
      if (failed === undefined) return { ok: true }
      return {
        ok: false,
        reason: `build ${String(failed.metadata.build_status ?? 'failed')} on ${world.machine} (run ${failed.id})`,
      }
    },
    async measure(shas, workloads, processes, context) {
      const main = shas[1] ?? shas[0]
      if (main === undefined) throw new LangperfError('internal', 'Cannot measure no build')
      const key = {
        runtime: spec.runtime.name,
        commit: main,
        config: spec.buildConfig.name,
        machine: world.machine,
        suite: stepSuite(spec.alertId, context.phase, context.step, context.round),
        purpose: 'bisect' as const,
      }
      const what = `alert ${spec.alertId}, ${context.phase} ${context.step}, round ${context.round}`
      const [answer] = await farm.enqueue([
        await jobOf(world, spec, { key, shas, workloads, processes, context, frozenLoops }),
      ])
      const id = answer?.id ?? ''
      const state = (await farm.states(world.machine, [id])).get(id) ?? 'unknown'
      if (state === 'failed') {
        throw new LangperfError('unavailable', `Cannot bisect: job ${id} (${what}) failed for good`)
      }
      if (state !== 'completed') throw new BisectPending(id, what)
      const mine = (await bisectRuns(world, spec.alertId)).filter((r) => r.metadata.farm_job === id)
      const result = mine.find((r) => r.metadata.bisect_main === true)
      if (result === undefined)
        throw new LangperfError('internal', `Cannot bisect: job ${id} completed without its run`)
      const group = mine.filter((r) => r.metadata.farm_attempt === result.metadata.farm_attempt)
      const out = new Map<string, Map<string, readonly number[]>>()
      for (const sha of shas) {
        const run = group.find((r) => r.build.commitSha === sha)
        if (run === undefined)
          throw new LangperfError('internal', `Cannot bisect: job ${id} stored no run of ${sha}`)
        runIds.push(run.id)
        const byWorkload = new Map<string, readonly number[]>()
        for (const r of await world.store.getResults(run.id, { withSamples: true })) {
          if (r.outcome.state !== 'measured') continue
          byWorkload.set(r.workload.name, processMeans(r.processes))
          if (sha === shas[0] && frozenLoops === undefined) frozenLoops = {}
          if (sha === shas[0] && frozenLoops !== undefined && !(r.workload.name in frozenLoops))
            frozenLoops[r.workload.name] = r.loops
        }
        out.set(sha, byWorkload)
      }
      return out
    },
  } satisfies BisectProbe & { runIds: number[] }
}

/** The build job of one measurement of a farm bisection. */
async function jobOf(
  world: World,
  spec: BuildProbeOptions & { readonly alertId: number; readonly measure: MeasureJob },
  ask: {
    readonly key: NewFarmJob['key']
    readonly shas: readonly string[]
    readonly workloads: readonly string[]
    readonly processes: number
    readonly context: {
      readonly round: number
      readonly phase: 'midpoint' | 'confirm'
      readonly step: number
    }
    readonly frozenLoops: Readonly<Record<string, number>> | undefined
  },
): Promise<NewFarmJob> {
  const commits = []
  for (const sha of ask.shas) {
    const [c] = await listCommits(spec.mirror, sha, { limit: 1 })
    if (c === undefined)
      throw new LangperfError('not-found', `Cannot find commit ${quote(sha)} in the mirror`)
    commits.push({ commit: c.sha, commitDateUtc: c.authorDateUtc })
  }
  const main = commits.find((c) => c.commit === ask.key.commit) ?? commits[0]
  const build: BuildJob = {
    remote: spec.runtime.remote,
    branch: spec.branch ?? spec.runtime.branches[0] ?? 'main',
    commitDateUtc: main?.commitDateUtc ?? world.now().toISOString(),
    subject: '',
    recipe: recipeOf(spec.buildConfig.recipe),
    references: [],
    bisect: {
      alertId: spec.alertId,
      phase: ask.context.phase,
      step: ask.context.step,
      round: ask.context.round,
      commits,
      ...(ask.frozenLoops === undefined ? {} : { frozenLoops: { ...ask.frozenLoops } }),
    },
  }
  return {
    key: ask.key,
    measure: { ...spec.measure, workloads: [...ask.workloads], processes: ask.processes },
    build,
  }
}

/** A build config's recipe as a job carries it (a copy: the configuration's is read-only). */
export function recipeOf(r: RecipeDefinition): BuildJob['recipe'] {
  return r.kind === 'cpython'
    ? { kind: 'cpython', configureArgs: [...r.configureArgs], env: { ...r.env } }
    : {
        kind: 'generic',
        fetch: [...r.fetch],
        build: [...r.build],
        install: [...r.install],
        env: { ...r.env },
        executable: r.executable,
      }
}

/** The journal key of an alert's farm bisection on a machine. */
function stepKey(machine: string, alertId: number): string {
  return `farm-bisect:${machine}:${alertId}`
}

/** What one replay of a farm bisection came to. */
export type FarmBisectOutcome =
  | { readonly kind: 'pending'; readonly jobId: string }
  | { readonly kind: 'finished' }

/**
 * Replays the farm bisection of `alertId` on the context's machine: records its answer (and
 * notifies a culprit) when the search ends, or answers the job it waits for.
 */
export async function replayFarmBisection(
  context: NightlyContext,
  farm: BisectScheduler,
  run: { readonly alertId: number; readonly runtime: RuntimeConfig; readonly measure: MeasureJob },
): Promise<FarmBisectOutcome> {
  const { world, journal, report } = context
  const { alertId, runtime } = run
  const key = stepKey(world.machine, alertId)
  const previous = await journal.store.getPipelineStep(key)
  const say = (state: BisectionReport['state'], culprit: string | null, note: string) => {
    const i = report.bisections.findIndex((b) => b.alertId === alertId)
    const entry = { alertId, state, culprit, note }
    if (i >= 0) report.bisections[i] = entry
    else report.bisections.push(entry)
  }
  if (previous?.status === 'done') {
    say('done-before', typeof previous.detail.culprit === 'string' ? previous.detail.culprit : null, '')
    return { kind: 'finished' }
  }
  const alert = await world.store.getAlert(alertId)
  if (alert === undefined) return { kind: 'finished' }
  if (previous?.status !== 'running') {
    const claim = await journal.store.startPipelineStep({
      kind: 'bisect',
      key,
      at: world.now().toISOString(),
      staleBefore: journal.staleBefore,
    })
    if (claim.outcome !== 'started') return { kind: 'finished' }
  }
  try {
    const runs = await bisectRuns(world, alertId)
    const found = await bisectAlert(world, alert, bisectOptionsOf(context, alert), (options) =>
      farmProbe(world, farm, { ...options, alertId, runs, measure: run.measure }),
    )
    const detail = bisectDetailOf(found)
    await journal.store.finishPipelineStep(key, { status: 'done', at: world.now().toISOString(), detail })
    const culprit = typeof detail.culprit === 'string' ? detail.culprit : null
    say(detail.state as BisectionReport['state'], culprit, String(detail.note ?? ''))
    world.log(
      `  alert ${alertId}: bisection on ${world.machine} ${String(detail.state)}${culprit ? `, culprit ${culprit.slice(0, 12)}` : ''}`,
    )
    if (culprit !== null) await notify(context, runtime, alertId, 'culprit')
    return { kind: 'finished' }
  } catch (error) {
    if (error instanceof BisectPending) {
      say('pending', null, error.message)
      world.log(`  alert ${alertId}: bisection on ${world.machine} ${error.message}`)
      return { kind: 'pending', jobId: error.jobId }
    }
    if (error instanceof Interrupted) throw error
    await journal.store.finishPipelineStep(key, {
      status: 'failed',
      at: world.now().toISOString(),
      detail: { error: errorText(error) },
    })
    report.errors.push({ step: key, message: errorText(error) })
    say('failed', null, errorText(error))
    return { kind: 'finished' }
  }
}

/** Open farm bisections of a machine: their alert ids (journal steps still running). */
export async function pendingBisections(world: World): Promise<number[]> {
  const page = await world.store.listPipelineSteps({
    kind: 'bisect',
    status: ['running'],
    keyPrefix: `farm-bisect:${world.machine}:`,
    limit: 1000,
  })
  return page.rows.map((r) => Number(r.key.split(':').at(-1))).filter((n) => Number.isInteger(n) && n > 0)
}

/**
 * Runs the farm bisections of each context's machine — the alerts its detection raised or
 * confirmed (`fresh`, at most `maxNew` new ones per machine) and those waiting from earlier
 * nightlies — each replayed until it waits for a job; with `waitUntil`, waits for those jobs and
 * replays again until every bisection has an answer or the time is up.
 */
export async function runFarmBisections(
  items: readonly {
    readonly context: NightlyContext
    readonly fresh: readonly number[]
  }[],
  farm: BisectScheduler,
  settings: {
    readonly measure: MeasureJob
    readonly maxNew: number
    readonly waitUntil: number | null
    readonly pollMs: number
    readonly signal?: AbortSignal
  },
): Promise<void> {
  let round = 0
  for (;;) {
    const waiting: { machine: string; jobId: string }[] = []
    for (const { context, fresh } of items) {
      checkInterrupt(context.world)
      const pending = await pendingBisections(context.world)
      const started = new Set(pending)
      const ids = [
        ...pending,
        ...(round === 0 ? fresh.filter((id) => !started.has(id)).slice(0, settings.maxNew) : []),
      ]
      for (const alertId of ids) {
        const alert = await context.world.store.getAlert(alertId)
        const runtime = context.world.config.runtimes.find((r) => r.name === alert?.runtime)
        if (alert === undefined || runtime === undefined) continue
        const r = await replayFarmBisection(context, farm, { alertId, runtime, measure: settings.measure })
        if (r.kind === 'pending') waiting.push({ machine: context.world.machine, jobId: r.jobId })
      }
    }
    round++
    if (waiting.length === 0 || settings.waitUntil === null) return
    // Until one of the jobs waited for finishes (or time is up), then replay.
    for (;;) {
      if (Date.now() >= settings.waitUntil) return
      if (settings.signal?.aborted) throw new Interrupted('interrupted')
      let finished = false
      for (const w of waiting) {
        const state = (await farm.states(w.machine, [w.jobId])).get(w.jobId)
        if (state === 'completed' || state === 'failed') finished = true
      }
      if (finished) break
      await sleep(settings.pollMs)
    }
  }
}
