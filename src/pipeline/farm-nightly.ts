import { setTimeout as sleep } from 'node:timers/promises'
import { storedLoopCounts } from '../analysis/index.ts'
import type { FarmJobKey, MeasureJob, NewFarmJob, ReferenceCandidate } from '../api/index.ts'
import type { CommitInfo } from '../build/index.ts'
import type { RetriedJob } from '../farm/index.ts'
import { LangperfError, quote } from '../lib/index.ts'
import type { LangperfConfig, RuntimeConfig } from '../model/index.ts'
import { recipeOf, runFarmBisections } from './farm-bisect.ts'
import { acquireLock } from './lock.ts'
import {
  checkInterrupt,
  checkOptions,
  contextOf,
  Interrupted,
  type NightlyContext,
  type NightlyDeps,
  type NightlyOptions,
} from './nightly-context.ts'
import { detectAndNotify } from './nightly-detect.ts'
import { type BranchPlan, measuredShas, planBranch, type RuntimeSources } from './nightly-plan.ts'
import type { MeasuredHistory } from './nightly-reference.ts'
import type { BisectionReport, DetectionReport, NotificationReport, PlannedBuild } from './nightly-report.ts'
import { errorText } from './steps.ts'
import {
  buildIdentity,
  defaultLockPath,
  mirrorOf,
  presetOf,
  type SamplingOptions,
  workloadsOf,
  worldOf,
} from './world.ts'

// The nightly of a farm (issue 14, docs/farm.md): run on the server's host, it plans as
// `langperf nightly` plans — per runtime × branch × config, the new first-parent commits after
// the newest one measured, or a backfill, every k-th — but once per machine of the farm (every
// machine with a registered agent, and those of `[[machines]]`), from what that machine measured
// and what its queue still holds; and instead of building and measuring in its own process it
// enqueues one build job per commit × config × machine: "build commit C of runtime R in config K
// and measure suite S", keyed (runtime, commit, config, machine, suite, purpose), so a job is
// never enqueued twice. The agents build (their own build cache) and measure; their results
// arrive through the server. Then it detects over each machine's series and notifies, as the
// nightly does, over what has arrived: with `wait`, once this night's jobs finished; without,
// what earlier nights' jobs brought (tonight's are detected by tomorrow's run).
//
// Reference pairs (`[nightly] reference = "previous"`): each job names the older commits it may
// be measured beside, newest first — those the machine measured with a working build, and those
// planned before it tonight (a chain) — with the loop counts of their newest run there; the
// agent measures beside the first that builds, and grows the pair within the budget the job
// carries (agent/pair-rounds.ts). Alerts that detection raises or confirms are bisected with jobs
// on the machine that saw them (farm-bisect.ts). Not done on the farm yet: profiling a culprit.

/** The farm's queue as the farm nightly uses it (farm/FarmQueue; a test may pass another). */
export interface FarmScheduler {
  /** Adds jobs to their machines' queues; a key enqueued before is not added again. */
  enqueue(jobs: readonly NewFarmJob[]): Promise<{ id: string; added: boolean }[]>
  /** The keys of a machine's jobs that have not completed (waiting, running, delayed, or failed for good). */
  unfinishedKeys(machine: string): Promise<FarmJobKey[]>
  /** The state of each job of `ids` in `machine`'s queue (`completed`, `failed`, `waiting`…). */
  states(machine: string, ids: readonly string[]): Promise<Map<string, string>>
  /** Enqueues again the jobs of a machine that failed for good, unless their key failed `maxTries` nightlies. */
  retryFailed(machine: string, maxTries: number): Promise<RetriedJob[]>
}

/** The farm nightly's world: the nightly's, the farm's queue and its agents. */
export interface FarmNightlyDeps extends NightlyDeps {
  readonly farm: FarmScheduler
  /** How often the jobs are looked at while waiting for them (default 2000). */
  readonly pollMs?: number
}

/** What a farm nightly may be told: the nightly's planning and sampling, and the farm's own. */
export interface FarmNightlyOptions
  extends Pick<
    NightlyOptions,
    | 'backfill'
    | 'every'
    | 'dryRun'
    | 'runtimes'
    | 'workloads'
    | 'sampling'
    | 'portalUrl'
    | 'lockPath'
    | 'maxAttempts'
    | 'maxNewCommits'
    | 'detect'
    | 'pairBudget'
    | 'pairThreshold'
    | 'reference'
    | 'bisect'
    | 'maxBisections'
    | 'bisectStartProcesses'
  > {
  /** Only these machines (default: every machine with a registered agent, and those of `[[machines]]`). */
  readonly machines?: readonly string[]
  /** Wait until this nightly's jobs have finished, then detect (default: detect at once, over what has arrived). */
  readonly wait?: boolean
  /** Give up waiting after this long (default 24 h); what finished is detected. */
  readonly waitTimeoutMs?: number
}

/** One job of the farm nightly: what it builds and measures, on which machine, and whether it was new. */
export interface FarmJobReport extends PlannedBuild {
  readonly machine: string
  readonly jobId: string
  /** False when its key was enqueued before (by an earlier nightly): it was not added again. */
  readonly added: boolean
  /** Its state when the nightly ended (with `wait`: `completed` or `failed`, unless the wait timed out). */
  readonly state: string
  /** Which nightly's try of its key: 2 or more for a job that failed for good before, enqueued again. */
  readonly nightlyTry?: number
}

/** What a farm nightly did. */
export interface FarmNightlyReport {
  readonly startedAt: string
  readonly finishedAt: string
  readonly dryRun: boolean
  readonly interrupted: boolean
  readonly machines: readonly string[]
  /** The builds planned, machine by machine. */
  readonly planned: readonly (PlannedBuild & { readonly machine: string })[]
  readonly jobs: readonly FarmJobReport[]
  /** How the wait ended: null without `wait`. */
  readonly waited: { readonly ms: number; readonly timedOut: boolean } | null
  readonly detections: readonly (DetectionReport & { readonly machine: string })[]
  readonly notifications: readonly (NotificationReport & { readonly machine: string })[]
  /** Farm bisections looked at, with where each stands (`pending`: waiting for its next job). */
  readonly bisections: readonly (BisectionReport & { readonly machine: string })[]
  readonly errors: readonly { readonly step: string; readonly message: string }[]
}

/** One runtime × branch of one machine, to detect over once the jobs are in. */
interface DetectTarget {
  readonly context: NightlyContext
  readonly runtime: RuntimeConfig
  readonly branch: string
  readonly plan: BranchPlan
}

const DEFAULT_WAIT_TIMEOUT_MS = 24 * 3600 * 1000
/** Nightlies that try a job's key before its failure stays (docs/farm.md, "What happens when…"). */
export const NIGHTLY_TRIES = 3
/** New bisections a farm nightly starts per machine (those waiting from earlier nightlies go on). */
const DEFAULT_MAX_BISECTIONS = 3

/**
 * Runs one farm nightly: plans each machine's commits, enqueues their build jobs, waits for them
 * when told to, then detects and notifies per machine. Throws NightlyLockedError when another
 * nightly holds the lock; a runtime that fails is recorded and the others go on.
 */
export async function runFarmNightly(
  config: LangperfConfig,
  deps: FarmNightlyDeps,
  options: FarmNightlyOptions = {},
): Promise<FarmNightlyReport> {
  // A pair grows on the agent that measures it (agent/pair-rounds.ts), within the budget its job carries.
  const nightly: NightlyOptions = { ...options }
  const base = worldOf(config, deps, 'farm')
  const startedAt = base.now().toISOString()
  const { runtimes, every } = checkOptions(config, nightly)
  const lock = options.dryRun
    ? null
    : await acquireLock(options.lockPath ?? defaultLockPath(config), { now: base.now, log: base.log })
  const errors: { step: string; message: string }[] = []
  let interrupted = false
  let contexts: NightlyContext[] = []
  const jobs: FarmJobReport[] = []
  let waited: FarmNightlyReport['waited'] = null
  try {
    const machines = options.machines ?? (await farmMachines(config, deps))
    base.log(
      `langperf nightly --farm: ${runtimes.length} runtime(s) on ${machines.length} machine(s)${machines.length ? ` (${machines.join(', ')})` : ''}${options.dryRun ? ' (dry run)' : ''}`,
    )
    if (machines.length === 0) {
      base.log('  no machine: register an agent (`langperf agent`) or name machines in [[machines]]')
    }
    contexts = machines.map((m) =>
      contextOf({
        world: worldOf(config, deps, m),
        deps,
        options: { ...nightly, every },
        staleBefore: lock?.owner.startedAt ?? startedAt,
      }),
    )
    if (!options.dryRun) jobs.push(...(await retryFailedJobs(contexts, deps)))
    const targets = await planAndEnqueue(contexts, { runtimes, deps, options, jobs, errors })
    if (!options.dryRun) {
      if (options.wait)
        waited = await waitForJobs(deps, jobs, options.waitTimeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS)
      const fresh = new Map<NightlyContext, number[]>(contexts.map((c) => [c, []]))
      for (const t of targets) {
        checkInterrupt(t.context.world)
        const histories = await historiesOf(t.context, t.runtime, t.branch)
        const alerts = await detectAndNotify(t.context, {
          runtime: t.runtime,
          branch: t.branch,
          commits: t.plan.commits,
          histories,
        })
        if (alerts !== null) fresh.get(t.context)?.push(...alerts.newIds, ...alerts.confirmedIds)
      }
      if (options.bisect ?? config.bisect.enabled) {
        // Bisections as jobs on the machine that saw the change (farm-bisect.ts).
        await runFarmBisections(
          contexts.map((context) => ({ context, fresh: [...new Set(fresh.get(context))] })),
          deps.farm,
          {
            measure: measureOf(options.sampling ?? {}, []),
            maxNew: options.maxBisections ?? DEFAULT_MAX_BISECTIONS,
            waitUntil: options.wait
              ? Date.parse(startedAt) + (options.waitTimeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS)
              : null,
            pollMs: deps.pollMs ?? 2000,
            ...(deps.signal ? { signal: deps.signal } : {}),
          },
        )
      }
    }
  } catch (error) {
    if (!(error instanceof Interrupted)) throw error
    interrupted = true
    base.log('Interrupted: the jobs enqueued stay queued; the next nightly detects what they bring')
  } finally {
    await lock?.release()
  }
  const of = <T>(pick: (c: NightlyContext) => readonly T[]) =>
    contexts.flatMap((c) => pick(c).map((x) => ({ ...x, machine: c.world.machine })))
  return {
    startedAt,
    finishedAt: base.now().toISOString(),
    dryRun: options.dryRun === true,
    interrupted,
    machines: contexts.map((c) => c.world.machine),
    planned: of((c) => c.report.planned),
    jobs,
    waited,
    detections: of((c) => c.report.detections),
    notifications: of((c) => c.report.notifications),
    bisections: of((c) => c.report.bisections),
    errors: [...errors, ...contexts.flatMap((c) => c.report.errors)],
  }
}

/**
 * Enqueues again, on each machine, the jobs that failed for good at an earlier nightly (up to
 * NIGHTLY_TRIES nightlies per key): they are tonight's jobs too.
 */
async function retryFailedJobs(
  contexts: readonly NightlyContext[],
  deps: FarmNightlyDeps,
): Promise<FarmJobReport[]> {
  const out: FarmJobReport[] = []
  for (const { world } of contexts) {
    const retried = await deps.farm.retryFailed(world.machine, NIGHTLY_TRIES)
    for (const r of retried) {
      world.log(
        `  ${world.machine}: job of ${r.key.runtime} ${r.key.commit.slice(0, 12)} ${r.key.config} failed for good before: enqueued again (try ${r.nightlyTry} of ${NIGHTLY_TRIES})`,
      )
      out.push({
        runtime: r.key.runtime,
        branch: r.build?.branch ?? '',
        config: r.key.config,
        sha: r.key.commit,
        subject: r.build?.subject ?? '',
        commitDateUtc: r.build?.commitDateUtc ?? '',
        reference: null,
        machine: world.machine,
        jobId: r.id,
        added: true,
        state: 'waiting',
        nightlyTry: r.nightlyTry,
      })
    }
  }
  return out
}

/** The farm's machines: those with a registered agent, and those the configuration names. */
async function farmMachines(config: LangperfConfig, deps: FarmNightlyDeps): Promise<string[]> {
  const agents = (await deps.store.listAgents()).map((a) => a.machine)
  return [...new Set([...agents, ...config.machines.map((m) => m.name)])].sort()
}

/**
 * Fetches each runtime, plans each branch on each machine and enqueues the build jobs of the
 * plan (none on a dry run); answers what to detect over afterwards.
 */
async function planAndEnqueue(
  contexts: readonly NightlyContext[],
  run: {
    readonly runtimes: readonly RuntimeConfig[]
    readonly deps: FarmNightlyDeps
    readonly options: FarmNightlyOptions
    readonly jobs: FarmJobReport[]
    readonly errors: { step: string; message: string }[]
  },
): Promise<DetectTarget[]> {
  const targets: DetectTarget[] = []
  const first = contexts[0]
  if (first === undefined) return targets
  const unfinished = new Map<string, FarmJobKey[]>()
  for (const runtime of run.runtimes) {
    try {
      const world = first.world
      world.log(`${runtime.name}: fetching ${quote(runtime.remote, 200)}`)
      const mirror = await mirrorOf(world, runtime)
      const { suite, workloads } = await workloadsOf(world.config, runtime, run.options.workloads)
      const sources: RuntimeSources = { runtime, mirror, suite, workloads }
      for (const branch of runtime.branches) {
        for (const context of contexts) {
          checkInterrupt(context.world)
          const machine = context.world.machine
          if (!unfinished.has(machine)) unfinished.set(machine, await run.deps.farm.unfinishedKeys(machine))
          const queued = queuedShas(unfinished.get(machine) ?? [], runtime.name, suite)
          context.world.log(`${machine}:`)
          const before = context.report.planned.length
          const plan = await planBranch(context, sources, branch, queued)
          targets.push({ context, runtime, branch, plan })
          if (run.options.dryRun) continue
          const planned = context.report.planned.slice(before)
          run.jobs.push(...(await enqueuePlan(context, run, { plan, planned })))
        }
      }
    } catch (error) {
      if (error instanceof Interrupted) throw error
      run.errors.push({ step: `runtime:${runtime.name}`, message: errorText(error) })
      first.world.log(`  ${runtime.name}: ${errorText(error)}`)
    }
  }
  return targets
}

/** The shas of `runtime` × `suite` that a machine's queue holds, by config. */
function queuedShas(keys: readonly FarmJobKey[], runtime: string, suite: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>()
  for (const k of keys) {
    if (k.runtime !== runtime || k.suite !== suite || k.purpose !== 'measure') continue
    const set = out.get(k.config) ?? new Set<string>()
    set.add(k.commit)
    out.set(k.config, set)
  }
  return out
}

/** Enqueues the build job of each build `planned` of `plan` (in order) on the context's machine. */
async function enqueuePlan(
  context: NightlyContext,
  run: { readonly deps: FarmNightlyDeps; readonly options: FarmNightlyOptions },
  branch: { readonly plan: BranchPlan; readonly planned: readonly PlannedBuild[] },
): Promise<FarmJobReport[]> {
  const { world } = context
  const { plan, planned } = branch
  const { runtime, suite, workloads } = plan.sources
  if (planned.length === 0) return []
  const measure = measureOf(
    run.options.sampling ?? {},
    workloads.map((w) => w.manifest.name),
  )
  const commits = new Map(plan.commits.map((c) => [c.sha, c]))
  const pairs = (run.options.reference ?? world.config.nightly.reference) === 'previous'
  const pair = {
    budget: run.options.pairBudget ?? world.config.nightly.pairBudget,
    threshold: run.options.pairThreshold ?? world.config.nightly.pairThreshold,
  }
  const minTimeS = presetOf(run.options.sampling ?? {}).minTimeS
  const plannedBefore = new Map<string, Set<string>>()
  const jobs: NewFarmJob[] = []
  for (const p of planned) {
    const c = commits.get(p.sha)
    const cfg = runtime.configs.find((x) => x.name === p.config)
    if (c === undefined || cfg === undefined)
      throw new LangperfError('internal', `Cannot enqueue ${p.sha} ${p.config}: it is not of the plan`)
    const before = plannedBefore.get(cfg.name) ?? new Set<string>()
    plannedBefore.set(cfg.name, before)
    const references = pairs
      ? await referenceCandidates(context, {
          plan,
          config: cfg.name,
          sha: c.sha,
          plannedBefore: before,
          minTimeS,
        })
      : []
    before.add(c.sha)
    jobs.push({
      key: {
        runtime: runtime.name,
        commit: c.sha,
        config: cfg.name,
        machine: world.machine,
        suite,
        purpose: 'measure',
      },
      measure,
      build: {
        remote: runtime.remote,
        branch: plan.branch,
        commitDateUtc: c.authorDateUtc,
        ...(c.firstParentPosition === undefined ? {} : { firstParentPosition: c.firstParentPosition }),
        subject: c.subject.slice(0, 1000),
        recipe: recipeOf(cfg.recipe),
        references,
        ...(references.length > 0 ? { pair } : {}),
      },
    })
  }
  const answers = await run.deps.farm.enqueue(jobs)
  const added = answers.filter((a) => a.added).length
  world.log(
    `  ${world.machine}: ${added} build job(s) enqueued${added < jobs.length ? `, ${jobs.length - added} enqueued before` : ''}`,
  )
  return planned.map((p, i) => ({
    ...p,
    machine: world.machine,
    jobId: answers[i]?.id ?? '',
    added: answers[i]?.added ?? false,
    state: 'waiting',
  }))
}

/** How many older commits a job may try as its reference: the newest that builds is measured beside it. */
const MAX_REFERENCE_CANDIDATES = 3

/**
 * The references a job of `sha` may be measured beside, newest first (docs/nightly.md, "Reference
 * pairs"): the commits before it on the branch that this machine measured with a working build or
 * that this plan measures before it, each with the loop counts of its newest run on the machine.
 * Several, because the agent learns only when it builds one that a planned build fails.
 */
async function referenceCandidates(
  context: NightlyContext,
  at: {
    readonly plan: BranchPlan
    readonly config: string
    readonly sha: string
    readonly plannedBefore: ReadonlySet<string>
    readonly minTimeS: number
  },
): Promise<ReferenceCandidate[]> {
  const { world } = context
  const { plan, config, sha } = at
  const history = plan.histories.get(config)
  const index = plan.commits.findIndex((c) => c.sha === sha)
  const out: ReferenceCandidate[] = []
  for (let j = index - 1; j >= 0 && out.length < MAX_REFERENCE_CANDIDATES; j--) {
    const c = plan.commits[j] as CommitInfo
    const measured = history?.measured.has(c.sha) === true && !history.failed.has(c.sha)
    if (!measured && !at.plannedBefore.has(c.sha)) continue
    const frozenLoops = await storedLoopCounts(world.store, {
      identity: buildIdentity(plan.sources.runtime.name, c.sha, config),
      machine: world.machine,
      minTimeS: at.minTimeS,
    })
    out.push({
      commit: c.sha,
      commitDateUtc: c.authorDateUtc,
      ...(c.firstParentPosition === undefined ? {} : { firstParentPosition: c.firstParentPosition }),
      ...(frozenLoops === undefined ? {} : { frozenLoops: { ...frozenLoops } }),
    })
  }
  return out
}

/** What each job measures: the workloads named, with the nightly's sampling. */
function measureOf(sampling: SamplingOptions, workloads: readonly string[]): MeasureJob {
  return {
    workloads: [...workloads],
    preset: sampling.preset ?? 'default',
    ...(sampling.processes === undefined ? {} : { processes: sampling.processes }),
    ...(sampling.values === undefined ? {} : { values: sampling.values }),
    ...(sampling.warmups === undefined ? {} : { warmups: sampling.warmups }),
    ...(sampling.minTimeS === undefined ? {} : { minTimeS: sampling.minTimeS }),
    timeoutS: Math.ceil((sampling.timeoutMs ?? 600_000) / 1000),
  }
}

/**
 * Waits until every job of `jobs` has completed or failed (or `timeoutMs` passed), logging the
 * counts as they change; records each job's last state in place.
 */
async function waitForJobs(
  deps: FarmNightlyDeps,
  jobs: FarmJobReport[],
  timeoutMs: number,
): Promise<{ ms: number; timedOut: boolean }> {
  const log = deps.log ?? (() => {})
  const t0 = Date.now()
  const byMachine = new Map<string, FarmJobReport[]>()
  for (const j of jobs) byMachine.set(j.machine, [...(byMachine.get(j.machine) ?? []), j])
  let said = ''
  for (;;) {
    const counts = new Map<string, number>()
    for (const [machine, list] of byMachine) {
      const states = await deps.farm.states(
        machine,
        list.map((j) => j.jobId),
      )
      for (const [i, j] of list.entries()) {
        const state = states.get(j.jobId) ?? 'unknown'
        list[i] = { ...j, state }
        counts.set(state, (counts.get(state) ?? 0) + 1)
      }
    }
    jobs.splice(0, jobs.length, ...[...byMachine.values()].flat())
    const pending = jobs.filter((j) => j.state !== 'completed' && j.state !== 'failed').length
    const text = [...counts].map(([s, n]) => `${n} ${s}`).join(', ')
    if (text !== said) {
      log(`waiting for ${jobs.length} job(s): ${text || 'none'}`)
      said = text
    }
    const ms = Date.now() - t0
    if (pending === 0) return { ms, timedOut: false }
    if (ms >= timeoutMs) {
      log(`gave up waiting after ${Math.round(ms / 1000)} s: ${pending} job(s) not finished`)
      return { ms, timedOut: true }
    }
    if (deps.signal?.aborted) throw new Interrupted('interrupted')
    await sleep(deps.pollMs ?? 2000)
  }
}

/** What each config of a runtime × branch measured on the context's machine, read now. */
async function historiesOf(
  context: NightlyContext,
  runtime: RuntimeConfig,
  branch: string,
): Promise<Map<string, MeasuredHistory>> {
  const out = new Map<string, MeasuredHistory>()
  for (const cfg of runtime.configs) out.set(cfg.name, await measuredShas(context, runtime, cfg.name, branch))
  return out
}
