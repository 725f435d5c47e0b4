import { BISECT_PURPOSE } from '../analysis/index.ts'
import { type Artifact, type CommitInfo, commitsBetween, listCommits, type Mirror } from '../build/index.ts'
import { type JsonObject, LangperfError, quote } from '../lib/index.ts'
import type { BuildConfigDefinition, BuildSpec, RuntimeConfig, WorkloadDefinition } from '../model/index.ts'
import { type Interpreter, instructionsPreset, type Valgrind } from '../runner/index.ts'
import type { BisectProbe } from './bisect.ts'
import {
  buildCommit,
  buildSpecOf,
  interpreterOf,
  measureBuilds,
  pickWorkloads,
  presetOf,
  type SamplingOptions,
  type World,
} from './world.ts'

// The real BisectProbe: commits from the runtime's mirror, builds through the artifact cache,
// interpreters identified by their self-report, measurements stored as runs of suite `bisect`
// with `purpose: "bisect"` (kept as data, left out of detection). Loop counts are calibrated in
// the first measurement and frozen for every later one, so all rounds and steps of one bisection
// time the same amount of work per value.

/** What the build probe needs besides the world. */
export interface BuildProbeOptions {
  readonly runtime: RuntimeConfig
  readonly buildConfig: BuildConfigDefinition
  /** Branch recorded on builds first stored by the bisection. */
  readonly branch: string | null
  readonly mirror: Mirror
  /** Every workload the bisection may be asked to measure. */
  readonly workloads: readonly WorkloadDefinition[]
  /** Warm-ups, values, minimum time and timeout; the processes come from the bisection. */
  readonly sampling: SamplingOptions
  /** Added to every run's metadata (e.g. the alert id). */
  readonly metadata: JsonObject
  /**
   * Count instructions under this valgrind instead of timing (`--measure instructions`): one
   * counted process per build and workload (the instructions preset, minimum time from
   * `sampling`); the runs carry unit `instruction`.
   */
  readonly instructions?: Valgrind
}

/** A BisectProbe over real builds, and the ids of the runs it stored. */
export interface BuildProbe extends BisectProbe {
  readonly runIds: readonly number[]
}

/** Creates the probe of one bisection. */
export function createBuildProbe(world: World, options: BuildProbeOptions): BuildProbe {
  const commits = new Map<string, CommitInfo>()
  const ready = new Map<string, { readonly artifact: Artifact; readonly interpreter: Interpreter }>()
  const runIds: number[] = []
  let frozenLoops: Record<string, number> | undefined
  const remember = (cs: readonly CommitInfo[]) => {
    for (const c of cs) commits.set(c.sha, c)
  }
  const commitOf = async (sha: string): Promise<CommitInfo> => {
    const known = commits.get(sha)
    if (known) return known
    const [c] = await listCommits(options.mirror, sha, { limit: 1 })
    if (c === undefined)
      throw new LangperfError('not-found', `Cannot find commit ${quote(sha)} in the mirror`)
    commits.set(c.sha, c)
    return c
  }
  return {
    runIds,
    async between(good, bad) {
      const cs = await commitsBetween(options.mirror, good, bad)
      remember(cs)
      return cs.map((c) => ({ sha: c.sha, subject: c.subject }))
    },
    async commit(sha) {
      const c = await commitOf(sha)
      return { sha: c.sha, subject: c.subject, parent: c.parents[0] ?? null }
    },
    async prepare(sha) {
      if (ready.has(sha)) return { ok: true }
      await commitOf(sha)
      const artifact = await buildCommit(world, options, sha)
      const m = artifact.manifest
      if (m.status !== 'ok') {
        return {
          ok: false,
          reason: `build ${m.status}${m.failure ? ` at step ${quote(m.failure.step)}: ${m.failure.reason}` : ''} (log: ${m.logPath})`,
        }
      }
      try {
        ready.set(sha, { artifact, interpreter: await interpreterOf(world, artifact) })
        return { ok: true }
      } catch (error) {
        return { ok: false, reason: error instanceof Error ? error.message : String(error) }
      }
    },
    async measure(shas, workloadNames, processes, context) {
      const sides = shas.map((sha) => {
        const r = ready.get(sha)
        if (r === undefined)
          throw new LangperfError('internal', `Cannot measure ${quote(sha)}: it was not prepared`)
        return { sha, ...r }
      })
      const builds: BuildSpec[] = sides.map((s) =>
        buildSpecOf({
          runtime: options.runtime,
          configName: options.buildConfig.name,
          branch: options.branch,
          commit: commits.get(s.sha) as CommitInfo,
          artifact: s.artifact,
          interpreter: s.interpreter,
          versionFallback: s.interpreter.info.version,
        }),
      )
      const outcome = await measureBuilds(world, {
        interpreters: sides.map((s) => s.interpreter),
        builds,
        workloads: pickWorkloads(options.workloads, workloadNames),
        preset: options.instructions
          ? instructionsPreset(options.sampling.minTimeS ?? 0.1)
          : presetOf(options.sampling, processes),
        ...(options.instructions ? { instructions: options.instructions } : {}),
        suite: BISECT_PURPOSE,
        timeoutMs: options.sampling.timeoutMs ?? 600_000,
        metadata: {
          ...options.metadata,
          purpose: BISECT_PURPOSE,
          bisect_phase: context.phase,
          bisect_step: context.step,
          bisect_round: context.round,
          ...(options.instructions
            ? {
                measure: 'instructions',
                instructions: { tool: 'callgrind', valgrind: options.instructions.version, hash_seed: 0 },
              }
            : {}),
        },
        ...(frozenLoops ? { frozenLoops } : {}),
      })
      runIds.push(...outcome.runIds)
      for (const f of outcome.failures) world.log(`    failed: ${f}`)
      if (frozenLoops === undefined && Object.keys(outcome.loops).length > 0)
        frozenLoops = { ...outcome.loops }
      const out = new Map<string, Map<string, readonly number[]>>()
      sides.forEach((s, i) => {
        out.set(s.sha, outcome.means.get(i) ?? new Map())
      })
      return out
    },
  }
}
