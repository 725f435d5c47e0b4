import { BISECT_PURPOSE } from '../analysis/index.ts'
import { type CommitInfo, listCommits, type Mirror } from '../build/index.ts'
import type { RuntimeConfig, WorkloadDefinition } from '../model/index.ts'
import type { NightlyContext } from './nightly-context.ts'
import { type MeasuredHistory, type ReferenceScope, referenceOf } from './nightly-reference.ts'
import { DEFAULT_MAX_NEW_COMMITS, planCommits } from './select.ts'

// The plan of a branch: which commits each config measures tonight (new ones, or a backfill),
// from what this machine measured before, and the reference each would be measured beside.

/** A runtime as the nightly fetched it: its mirror and the workloads it measures. */
export interface RuntimeSources {
  readonly runtime: RuntimeConfig
  readonly mirror: Mirror
  readonly suite: string
  readonly workloads: readonly WorkloadDefinition[]
}

/** What a branch measures tonight. */
export interface BranchPlan {
  readonly sources: RuntimeSources
  readonly branch: string
  /** The branch's recent commits, oldest first. */
  readonly commits: readonly CommitInfo[]
  /** What each config measured before, by config name; measuring adds to it. */
  readonly histories: ReadonlyMap<string, MeasuredHistory>
  /** The shas each config measures, by config name. */
  readonly plannedByConfig: ReadonlyMap<string, ReadonlySet<string>>
  /** The commits some config measures, oldest first. */
  readonly ordered: readonly CommitInfo[]
}

/** The reference scope of `plan` for one config: its commits, the reference mode and its label. */
export function scopeOf(context: NightlyContext, plan: BranchPlan, config: string): ReferenceScope {
  const { world, options } = context
  return {
    commits: plan.commits,
    mode: options.reference ?? world.config.nightly.reference,
    label: `${plan.branch} × ${config}`,
  }
}

/**
 * Plans `branch` of a runtime: lists its recent commits, reads what each config measured on this
 * machine and picks the commits to measure; logs the plan and adds it to the report, each with
 * the reference it would have if every planned build works. `queued` (by config) are shas the
 * farm's queue holds for this machine: they are planned already, not measured yet.
 */
export async function planBranch(
  context: NightlyContext,
  sources: RuntimeSources,
  branch: string,
  queued: ReadonlyMap<string, ReadonlySet<string>> = new Map(),
): Promise<BranchPlan> {
  const { world, options } = context
  const { runtime } = sources
  const maxNew = options.maxNewCommits ?? DEFAULT_MAX_NEW_COMMITS
  const commits = await listCommits(sources.mirror, branch, {
    limit: Math.max(options.backfill ?? 0, maxNew) + 1,
  })
  const histories = new Map<string, MeasuredHistory>()
  const plannedByConfig = new Map<string, Set<string>>()
  for (const cfg of runtime.configs) {
    const history = await measuredShas(context, runtime, cfg.name, branch)
    histories.set(cfg.name, history)
    const waiting = queued.get(cfg.name)
    const planned = planCommits(commits, {
      measured: waiting === undefined ? history.measured : new Set([...history.measured, ...waiting]),
      every: options.every ?? 1,
      maxNew,
      ...(options.backfill !== undefined ? { backfill: options.backfill } : {}),
    })
    plannedByConfig.set(cfg.name, new Set(planned.map((c) => c.sha)))
  }
  const ordered = commits.filter((c) =>
    runtime.configs.some((cfg) => plannedByConfig.get(cfg.name)?.has(c.sha)),
  )
  world.log(
    `${runtime.name} ${branch}: ${commits.length} recent commits, ${ordered.length} to measure${ordered.length ? ` (${ordered[0]!.sha.slice(0, 12)} … ${ordered.at(-1)!.sha.slice(0, 12)})` : ''}`,
  )
  const plan: BranchPlan = { sources, branch, commits, histories, plannedByConfig, ordered }
  reportPlan(context, plan)
  return plan
}

/** Adds the planned builds to the report, in the order they will be measured. */
function reportPlan(context: NightlyContext, plan: BranchPlan): void {
  const { runtime } = plan.sources
  // The plan's references assume every planned build works; the live choice below knows better.
  const simulated = new Map(
    runtime.configs.map((cfg) => {
      const h = plan.histories.get(cfg.name) as MeasuredHistory
      return [cfg.name, { measured: new Set(h.measured), failed: new Set(h.failed) }] as const
    }),
  )
  for (const c of plan.ordered) {
    for (const cfg of runtime.configs) {
      if (!plan.plannedByConfig.get(cfg.name)?.has(c.sha)) continue
      const sim = simulated.get(cfg.name) as MeasuredHistory
      const ref = referenceOf(scopeOf(context, plan, cfg.name), c.sha, sim)
      sim.measured.add(c.sha)
      context.report.planned.push({
        runtime: runtime.name,
        branch: plan.branch,
        config: cfg.name,
        sha: c.sha,
        subject: c.subject,
        commitDateUtc: c.authorDateUtc,
        reference: ref.kind === 'commit' ? ref.commit.sha : null,
      })
    }
  }
}

/** Shas measured for runtime × config on this machine: done measure steps and complete nightly runs. */
export async function measuredShas(
  context: NightlyContext,
  runtime: RuntimeConfig,
  config: string,
  branch: string,
): Promise<MeasuredHistory> {
  const { world } = context
  const out = new Set<string>()
  const failed = new Set<string>()
  const prefix = `measure:${world.machine}:${runtime.name}:${config}:`
  for (let offset = 0; ; offset += 1000) {
    const page = await world.store.listPipelineSteps({
      kind: 'measure',
      status: ['done'],
      keyPrefix: prefix,
      limit: 1000,
      offset,
    })
    for (const s of page.rows) {
      out.add(s.key.slice(prefix.length))
      if (s.detail.status === 'build-failed') failed.add(s.key.slice(prefix.length))
    }
    if (page.rows.length < 1000) break
  }
  // Runs stored without the journal (an earlier tool, a journal reset): the newest thousand suffice
  // to find where the history stands.
  const runs = await world.store.listRuns({
    machine: world.machine,
    runtime: runtime.name,
    config,
    branch,
    limit: 1000,
  })
  for (const r of runs.rows) {
    if (r.status === 'complete' && r.build.commitSha !== null && r.metadata.purpose !== BISECT_PURPOSE) {
      out.add(r.build.commitSha)
      const status = r.metadata.build_status
      if (typeof status === 'string' && status !== 'ok') failed.add(r.build.commitSha)
    }
  }
  return { measured: out, failed }
}
