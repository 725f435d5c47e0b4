import { randomUUID } from 'node:crypto'
import { type JsonObject, LangperfError } from '../lib/index.ts'
import {
  type BuildSpec,
  inferBuildConfig,
  type MachineEnvironment,
  placeByRules,
  type RunSpec,
} from '../model/index.ts'
import {
  HARNESS_PROTOCOL_VERSION,
  type Interpreter,
  measureSuite,
  otherWork,
  parseCpuList,
  readCpuTicks,
  type SuiteEvent,
  type SuitePlan,
  workerCpuSeconds,
} from '../runner/index.ts'
import type { RunWriter } from '../store/index.ts'

// The `run` use case: measure a suite on several interpreters (interleaved) and store each
// interpreter's results as its own run, the runs of one invocation sharing a group id. Each
// result is written in its own transaction as soon as it is complete, so an interrupted run keeps
// every finished workload and never a half-written one.

/** The build an interpreter measured locally stands for. */
export function buildFromInterpreter(interp: Interpreter): BuildSpec {
  const info = interp.info
  // No commit: a released interpreter is a line of its own, its version (model/lineage.ts), so
  // python3.11 and python3.12 on one machine are two series, never one history.
  const placed = placeByRules({ version: info.version, ref: null, fork: null, commitSha: null })
  return {
    runtime: info.implementation,
    version: info.version,
    config: inferBuildConfig(info),
    commitSha: null,
    commitDateUtc: null,
    branch: placed.branch,
    mergeBase: null,
    identity: `local:${interp.identity}`,
    interpreter: info,
    metadata: { found_as: interp.foundAs, origin: interp.origin, lineage_rule: placed.rule },
  }
}

/** What `measureAndStore` needs beyond the suite plan. */
export interface MeasureOptions {
  readonly machine: string
  readonly environment: MachineEnvironment
  readonly suite: string
  readonly onEvent?: (e: SuiteEvent) => void
  readonly signal?: AbortSignal
  readonly now?: () => Date
  /**
   * The build each interpreter stands for, in the plan's order (the nightly knows the commit, date,
   * branch and config of what it built); by default the interpreter's self-report (`local:` builds).
   */
  readonly builds?: readonly BuildSpec[]
  /** Extra run metadata (e.g. the build log of a nightly build). */
  readonly metadata?: JsonObject
  /**
   * Metadata of the run of interpreter `index` only, merged over `metadata`. It is asked for just
   * before that run is begun, with the ids of the runs begun before it (the plan's order) and the
   * group id, so a run can name another of its group: the nightly's candidate names its reference.
   */
  readonly runMetadata?: (index: number, group: RunGroupSoFar) => JsonObject
}

/** The runs of one `measureAndStore` call begun so far, and their shared group id. */
export interface RunGroupSoFar {
  readonly runIds: readonly number[]
  readonly groupId: string
}

/** Ids of the runs written, one per interpreter, in the plan's order, and how it ended. */
export interface MeasureOutcome {
  readonly runIds: readonly number[]
  readonly groupId: string
  readonly status: 'complete' | 'interrupted'
}

/** Measures the plan and stores every result as it completes. */
export async function measureAndStore(
  store: RunWriter,
  plan: SuitePlan,
  options: MeasureOptions,
): Promise<MeasureOutcome> {
  const now = options.now ?? (() => new Date())
  const groupId = randomUUID()
  const startedAt = now().toISOString()
  const runIds: number[] = []
  if (options.builds && options.builds.length !== plan.interpreters.length) {
    throw new LangperfError(
      'internal',
      `Cannot measure: ${plan.interpreters.length} interpreters but ${options.builds.length} builds given`,
    )
  }
  for (const [i, interp] of plan.interpreters.entries()) {
    const given = options.builds?.[i]
    const spec: RunSpec = {
      machine: options.machine,
      environment: options.environment,
      build: given
        ? { ...given, interpreter: given.interpreter ?? interp.info }
        : buildFromInterpreter(interp),
      suite: options.suite,
      preset: plan.preset.name,
      harnessVersion: `langperf-harness protocol ${HARNESS_PROTOCOL_VERSION}`,
      source: 'langperf',
      startedAt,
      groupId: plan.interpreters.length > 1 ? groupId : null,
      metadata: {
        ...options.metadata,
        ...options.runMetadata?.(i, { runIds: [...runIds], groupId }),
        min_time_s: plan.preset.minTimeS,
        // Where the workers ran (runner/pinning.ts), when the caller placed them.
        ...(plan.cpuList === undefined ? {} : { cpu_list: plan.cpuList }),
        ...(plan.cpuPinning === undefined ? {} : { cpu_pinning: plan.cpuPinning }),
        interleaved: plan.interpreters.length > 1,
        interpreters_in_group: plan.interpreters.length,
      },
    }
    runIds.push((await store.beginRun(spec)).runId)
  }
  let status: 'complete' | 'interrupted' = 'complete'
  // Pinned workers cannot escape other work on their CPUs: how much there was is measured over
  // the run (runner/cpu-share.ts) and recorded on each of its runs.
  const pinned = plan.cpuList === undefined ? [] : parseCpuList(plan.cpuList)
  const before = await readCpuTicks(pinned)
  let workerCpuS = 0
  const busyOfPinned = async (): Promise<JsonObject | undefined> => {
    const after = before === null ? null : await readCpuTicks(pinned)
    const other = before === null || after === null ? null : otherWork(before, after, workerCpuS)
    return other === null
      ? undefined
      : { pinned_cpus_other_s: other.seconds, pinned_cpus_other_share: other.share }
  }
  try {
    await measureSuite(plan, {
      ...(options.signal ? { signal: options.signal } : {}),
      onEvent: async (e) => {
        if (e.kind === 'result') {
          const runId = runIds[e.interpreterIndex]
          if (runId === undefined) throw new Error(`No run for interpreter ${e.interpreterIndex}`)
          for (const p of e.result.processes) workerCpuS += workerCpuSeconds(p.metadata)
          await store.addResult(runId, e.result, { manifest: e.definition.manifest })
        }
        options.onEvent?.(e)
      },
    })
    if (options.signal?.aborted) status = 'interrupted'
  } catch (err) {
    status = 'interrupted'
    await finishAll(store, runIds, status, now, await busyOfPinned())
    throw err
  }
  await finishAll(store, runIds, status, now, await busyOfPinned())
  return { runIds, groupId, status }
}

async function finishAll(
  store: RunWriter,
  runIds: readonly number[],
  status: 'complete' | 'interrupted',
  now: () => Date,
  metadata: JsonObject | undefined,
) {
  const at = now().toISOString()
  for (const id of runIds) await store.finishRun(id, status, at, metadata)
}
