import { differentialSummary, profileAndStore, profileDifferential } from '../analysis/index.ts'
import { type CommitInfo, listCommits, type Mirror } from '../build/index.ts'
import { LangperfError, quote } from '../lib/index.ts'
import {
  type BuildSpec,
  type DifferentialSummary,
  differentialHeadline,
  type WorkloadDefinition,
} from '../model/index.ts'
import type { Interpreter, ToolInstall } from '../runner/index.ts'
import type { AlertDetail, ProfileState, ProfileWithStacks } from '../store/index.ts'
import { planAlertBisect } from './bisect-run.ts'
import {
  buildCommit,
  buildSpecOf,
  configuredWorkloads,
  interpreterOf,
  mirrorOf,
  type World,
} from './world.ts'

// Profiles at an alert's culprit (docs/profiles.md, "At the culprit"): once bisection names the
// commit, the culprit and its first parent — both in the build cache, built for the bisection —
// are profiled by `[bisect] profiler` (py-spy, or perf for C frames) in processes of their own, interleaved (parent, culprit / culprit,
// parent…), on the workloads that moved most (a few: each costs both builds the profile's
// duration). Both profiles are stored, their differential computed over the timed values, and
// the pair linked to the alert with the summary of the largest changes in self share, so the
// alert's notification and page can say where the time went. Whatever keeps a profile from being
// taken — no py-spy (no pip index) or no perf, an interpreter py-spy cannot read (PyPy), a workload failing
// under the profiler — is recorded on the alert as the reason, never thrown.

/** How the culprit and its parent are profiled. */
export interface CulpritProfileOptions {
  /** At most this many workloads, the largest moves first. */
  readonly workloads: number
  /** Seconds of profiled workload per build and workload. */
  readonly durationS: number
  /** Profiled processes per build and workload. */
  readonly processes: number
  /** The profiler's samples per second. */
  readonly rateHz: number
  /** Minimum duration of one value when a loop count is calibrated. */
  readonly minTimeS: number
}

/** One workload profiled at the culprit, as recorded on the alert. */
export interface CulpritPair {
  readonly workload: string
  readonly state: ProfileState
  readonly parentProfileId: number | null
  readonly culpritProfileId: number | null
  /** The differential's headline when profiled, else null. */
  readonly headline: string | null
  /** Why it is not profiled, else null. */
  readonly message: string | null
}

/** What profiling a culprit did: nothing (and why), or the pairs recorded on the alert. */
export type CulpritProfileResult =
  | { readonly kind: 'skipped'; readonly reason: string }
  | {
      readonly kind: 'recorded'
      readonly culprit: string
      readonly parent: string
      readonly pairs: readonly CulpritPair[]
    }

/** A build ready to profile, or why it is not. */
type Side =
  | { readonly ok: true; readonly interpreter: Interpreter; readonly build: BuildSpec }
  | { readonly ok: false; readonly state: 'unavailable' | 'failed'; readonly reason: string }

/**
 * The workloads to profile for `alert` on this machine: those of its changes in the build config
 * bisection used (its largest change's), the largest |log ratio| first, at most `max`.
 */
export function movedWorkloads(alert: AlertDetail, machine: string, config: string, max: number): string[] {
  const changes = alert.changes
    .filter((c) => c.status !== 'withdrawn' && c.series.machine === machine && c.series.config === config)
    .sort((a, b) => Math.abs(Math.log(b.ratio)) - Math.abs(Math.log(a.ratio)))
  return [...new Set(changes.map((c) => c.series.workload))].slice(0, max)
}

/**
 * Profiles `culprit` and its first parent on the alert's moved workloads, stores the profiles and
 * records each pair on the alert (`store.setAlertProfile`); returns what was recorded. Skips an
 * alert bisection would skip (an infrastructure alert, no change on this machine) and a culprit
 * without a parent.
 */
export async function profileCulprit(
  world: World,
  alert: AlertDetail,
  culprit: string,
  options: CulpritProfileOptions,
): Promise<CulpritProfileResult> {
  const plan = planAlertBisect(world.config, alert, world.machine)
  if (plan.kind === 'skip') return { kind: 'skipped', reason: plan.reason }
  const workloads = movedWorkloads(alert, world.machine, plan.buildConfig.name, options.workloads)
  if (workloads.length === 0)
    return { kind: 'skipped', reason: 'no workload of the alert moved on this machine' }
  const mirror = await mirrorOf(world, plan.runtime)
  const culpritInfo = await commitInfo(mirror, culprit)
  const parentSha = culpritInfo.parents[0]
  if (parentSha === undefined)
    return { kind: 'skipped', reason: `the culprit ${culprit.slice(0, 12)} has no parent to compare with` }
  const parentInfo = await commitInfo(mirror, parentSha)
  const record = recorder(world, alert, { culprit, parent: parentSha })

  const profiler = world.config.bisect.profiler
  const tool = await world.ensureProfiler(world.config.build.cacheDir, { env: world.env, profiler })
  if (!tool.ok) {
    world.log(`  profiling the culprit of alert ${alert.id}: ${profiler} is not available: ${tool.reason}`)
    const pairs = []
    for (const w of workloads) pairs.push(await record.unprofiled(w, 'unavailable', tool.reason))
    return { kind: 'recorded', culprit, parent: parentSha, pairs }
  }
  const source = { runtime: plan.runtime, buildConfig: plan.buildConfig, mirror }
  const sideOf = (info: CommitInfo) => prepareSide(world, { source, branch: alert.branch, commit: info })
  const parentSide = await sideOf(parentInfo)
  const culpritSide = await sideOf(culpritInfo)
  const all = await configuredWorkloads(world.config)
  const pairs: CulpritPair[] = []
  for (const name of workloads) {
    if (world.signal?.aborted) throw new LangperfError('unavailable', 'interrupted')
    const def = all.find((w) => w.manifest.name === name)
    const unready = [parentSide, culpritSide].find((s) => !s.ok)
    if (unready !== undefined && !unready.ok)
      pairs.push(await record.unprofiled(name, unready.state, unready.reason))
    else if (def === undefined)
      pairs.push(
        await record.unprofiled(name, 'failed', `Workload ${quote(name)} is not among langperf's workloads`),
      )
    else if (def.manifest.requirements?.length)
      pairs.push(
        await record.unprofiled(
          name,
          'unavailable',
          'Workloads with requirements are not profiled yet (they need the virtual environment only `langperf run` makes)',
        ),
      )
    else if (parentSide.ok && culpritSide.ok)
      pairs.push(await profilePair(world, { def, tool, sides: [parentSide, culpritSide], options, record }))
  }
  return { kind: 'recorded', culprit, parent: parentSha, pairs }
}

/** A commit of the mirror by sha, or not-found. */
async function commitInfo(mirror: Mirror, sha: string): Promise<CommitInfo> {
  const [c] = await listCommits(mirror, sha, { limit: 1 })
  if (c === undefined) throw new LangperfError('not-found', `Cannot find commit ${quote(sha)} in the mirror`)
  return c
}

/** A commit's build from the cache (rebuilt if evicted) and its interpreter, or why it cannot run. */
async function prepareSide(
  world: World,
  input: {
    readonly source: Parameters<typeof buildCommit>[1]
    readonly branch: string | null
    readonly commit: CommitInfo
  },
): Promise<Side> {
  const { source, commit } = input
  try {
    const artifact = await buildCommit(world, source, commit.sha)
    const m = artifact.manifest
    if (m.status !== 'ok')
      return {
        ok: false,
        state: 'failed',
        reason: `The build of ${commit.sha.slice(0, 12)} is ${m.status}${m.failure ? ` at step ${quote(m.failure.step)}` : ''} (log: ${m.logPath})`,
      }
    const interpreter = await interpreterOf(world, artifact)
    const build = buildSpecOf({
      runtime: source.runtime,
      configName: source.buildConfig.name,
      branch: input.branch,
      commit,
      artifact,
      interpreter,
      versionFallback: interpreter.info.version,
    })
    return { ok: true, interpreter, build }
  } catch (error) {
    return { ok: false, state: 'failed', reason: error instanceof Error ? error.message : String(error) }
  }
}

/** Records pairs on the alert; each call is one `setAlertProfile`. */
interface Recorder {
  unprofiled(workload: string, state: 'unavailable' | 'failed', message: string): Promise<CulpritPair>
  pair(
    workload: string,
    profiles: { readonly parent: ProfileWithStacks; readonly culprit: ProfileWithStacks },
  ): Promise<CulpritPair>
}

function recorder(
  world: World,
  alert: AlertDetail,
  commits: { readonly culprit: string; readonly parent: string },
): Recorder {
  const base = (workload: string) => ({
    machine: world.machine,
    workload,
    parentCommit: commits.parent,
    culpritCommit: commits.culprit,
    createdAt: world.now().toISOString(),
  })
  const store = async (
    workload: string,
    p: {
      readonly state: ProfileState
      readonly message: string | null
      readonly ids: readonly [number | null, number | null]
      readonly summary: DifferentialSummary | null
    },
  ): Promise<CulpritPair> => {
    const message = p.message === null ? null : p.message.slice(0, 2000)
    await world.store.setAlertProfile(alert.id, {
      ...base(workload),
      parentProfileId: p.ids[0],
      culpritProfileId: p.ids[1],
      state: p.state,
      message,
      summary: p.summary,
    })
    const headline = p.summary === null ? null : differentialHeadline(p.summary)
    world.log(`  profile of alert ${alert.id} on ${workload}: ${headline ?? `${p.state}: ${message}`}`)
    return {
      workload,
      state: p.state,
      parentProfileId: p.ids[0],
      culpritProfileId: p.ids[1],
      headline,
      message,
    }
  }
  return {
    unprofiled: (workload, state, message) =>
      store(workload, { state, message, ids: [null, null], summary: null }),
    async pair(workload, { parent, culprit }) {
      const ids = [parent.id, culprit.id] as const
      const d = profileDifferential(parent, culprit)
      if (d !== null)
        return store(workload, {
          state: 'profiled',
          message: null,
          ids,
          summary: differentialSummary(d.diff, { timedOnly: d.timedOnly }),
        })
      // At least one side has no stacks: its own message says why (PyPy, the workload failing…).
      const notProfiled = [parent, culprit].filter((p) => p.state !== 'profiled')
      const state = notProfiled.some((p) => p.state === 'failed') ? 'failed' : 'unavailable'
      const message = notProfiled
        .map((p) => `${p === parent ? 'parent' : 'culprit'}: ${p.message ?? p.state}`)
        .join('; ')
      return store(workload, { state, message, ids, summary: null })
    },
  }
}

/** Profiles one workload on both builds, interleaved, stores both profiles and records the pair. */
async function profilePair(
  world: World,
  input: {
    readonly def: WorkloadDefinition
    readonly tool: Extract<ToolInstall, { ok: true }>
    readonly sides: readonly [Extract<Side, { ok: true }>, Extract<Side, { ok: true }>]
    readonly options: CulpritProfileOptions
    readonly record: Recorder
  },
): Promise<CulpritPair> {
  const { def, tool, sides, options, record } = input
  const name = def.manifest.name
  try {
    const outcome = await profileAndStore(
      world.store,
      {
        interpreters: sides.map((s) => s.interpreter),
        builds: sides.map((s) => s.build),
        workload: def,
        profiler: world.config.bisect.profiler,
        tool,
        durationS: options.durationS,
        processes: options.processes,
        rateHz: options.rateHz,
        minTimeS: options.minTimeS,
      },
      {
        machine: world.machine,
        environment: await world.readEnvironment(),
        log: (line) => world.log(`  ${line}`),
        now: world.now,
      },
    )
    const [parentId, culpritId] = outcome.profileIds
    const parent = parentId === undefined ? undefined : await world.store.getProfile(parentId)
    const culprit = culpritId === undefined ? undefined : await world.store.getProfile(culpritId)
    if (parent === undefined || culprit === undefined)
      throw new LangperfError('internal', 'The profiles just stored cannot be read back')
    return await record.pair(name, { parent, culprit })
  } catch (error) {
    if (world.signal?.aborted) throw error
    const why = error instanceof Error ? error.message : String(error)
    return record.unprofiled(
      name,
      'failed',
      `Profiling with ${world.config.bisect.profiler} ${tool.version} failed: ${why}`,
    )
  }
}
