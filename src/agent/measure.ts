import { measureAndStore, type RunGroupSoFar } from '../analysis/index.ts'
import { type ClaimedJob, type LangperfRunDocumentInput, runToDocument } from '../api/index.ts'
import { type JsonObject, LangperfError, quote } from '../lib/index.ts'
import type { BuildSpec, WorkloadDefinition } from '../model/index.ts'
import {
  customizePreset,
  discoverInterpreters,
  getPreset,
  type Interpreter,
  loadSuites,
  loadWorkloads,
  type Preset,
  pinnedPlan,
  readEnvironment,
  resolveSuite,
  type WorkloadCatalog,
  workerPinning,
} from '../runner/index.ts'
import { openSqliteStore } from '../store/index.ts'

// A measure job, run on the agent's machine by the same path as `langperf run` (runner and
// analysis/measure into a store), here an in-memory store whose one run becomes the
// langperf-run document the agent uploads.

/** What measuring a job needs from the agent. */
export interface MeasureContext {
  readonly machine: string
  readonly env: NodeJS.ProcessEnv
  /** Aborted when the agent stops or loses the job's lease. */
  readonly signal: AbortSignal
  /** langperf's cache here: workloads with requirements get their virtual environments in it. */
  readonly cacheDir?: string
  /**
   * The workloads and suites this agent knows: the built-in ones and the suites its configuration
   * defines (`[[suites.define]]`, loaded by `langperf agent --config`); the built-in ones when absent.
   */
  readonly catalog?: WorkloadCatalog
}

/** Measures `job` with the interpreter it names on this machine and answers its run as a langperf-run document. */
export async function measureJob(
  job: ClaimedJob,
  context: MeasureContext,
): Promise<LangperfRunDocumentInput> {
  const python = job.measure.python
  if (python === undefined) {
    throw new LangperfError(
      'bad-input',
      `Cannot run job ${job.id}: it names no interpreter to measure (measure.python) and builds none`,
    )
  }
  const { interpreters } = await discoverInterpreters({
    env: context.env,
    explicit: [python],
    alsoDiscover: false,
  })
  const [document] = await measureInto(job, context, { interpreters, metadata: {} })
  return document as LangperfRunDocumentInput
}

/** The workloads of a job: those it names, or its key's suite, from the agent's catalog (built-in when none). */
export async function jobWorkloads(
  job: ClaimedJob,
  catalog?: WorkloadCatalog,
): Promise<WorkloadDefinition[]> {
  const m = job.measure
  const all = catalog?.workloads ?? (await loadWorkloads())
  if (m.workloads.length === 0)
    return catalog !== undefined
      ? catalog.suiteWorkloads(job.key.suite)
      : resolveSuite(job.key.suite, all, await loadSuites())
  return m.workloads.map((name) => {
    const w = all.find((x) => x.manifest.name === name)
    if (w === undefined) {
      throw new LangperfError(
        'bad-input',
        `Cannot run job ${job.id}: this agent has no workload ${quote(name)}`,
      )
    }
    return w
  })
}

/** The sampling a job asks for: its preset with its overrides. */
function presetOfJob(job: ClaimedJob): Preset {
  const m = job.measure
  return customizePreset(getPreset(m.preset), {
    ...(m.processes === undefined ? {} : { processes: m.processes }),
    ...(m.warmups === undefined ? {} : { warmups: m.warmups }),
    ...(m.values === undefined ? {} : { values: m.values }),
    ...(m.minTimeS === undefined ? {} : { minTimeS: m.minTimeS }),
  })
}

/**
 * Measures a job's workloads on `interpreters` (interleaved when several) into an in-memory store
 * and answers one langperf-run document per interpreter, in order: each run's build from `builds`
 * when given, the job's id and attempt in its metadata.
 */
export async function measureInto(
  job: ClaimedJob,
  context: MeasureContext,
  measured: {
    readonly interpreters: readonly Interpreter[]
    readonly builds?: readonly BuildSpec[]
    readonly metadata: JsonObject
    /** Metadata of one run only (measureAndStore's `runMetadata`). */
    readonly runMetadata?: (index: number, group: RunGroupSoFar) => JsonObject
    /** Loop counts both builds of a pair run at (the reference's stored ones). */
    readonly frozenLoops?: Readonly<Record<string, number>>
    /** The runs' suite; the key's when absent (a bisection's runs are of suite `bisect`). */
    readonly suite?: string
  },
): Promise<LangperfRunDocumentInput[]> {
  const workloads = await jobWorkloads(job, context.catalog)
  const environment = await readEnvironment()
  // Every worker on one CPU, the same each job (runner/pinning.ts), as `langperf run` does.
  const pinning = await workerPinning('auto', environment, process.env)
  const store = await openSqliteStore(':memory:')
  try {
    const outcome = await measureAndStore(
      store,
      {
        interpreters: measured.interpreters,
        ...pinnedPlan(pinning),
        workloads,
        preset: presetOfJob(job),
        timeoutMs: job.measure.timeoutS * 1000,
        ...(context.cacheDir === undefined ? {} : { cacheDir: context.cacheDir }),
        ...(measured.frozenLoops === undefined ? {} : { frozenLoops: measured.frozenLoops }),
      },
      {
        machine: context.machine,
        environment,
        suite: measured.suite ?? job.key.suite,
        signal: context.signal,
        ...(measured.builds === undefined ? {} : { builds: measured.builds }),
        metadata: { ...measured.metadata, farm_job: job.id, farm_attempt: job.attempt },
        ...(measured.runMetadata === undefined ? {} : { runMetadata: measured.runMetadata }),
      },
    )
    if (outcome.status !== 'complete') {
      throw new LangperfError('unavailable', `Cannot finish job ${job.id}: its measurement was interrupted`)
    }
    const documents: LangperfRunDocumentInput[] = []
    for (const runId of outcome.runIds) {
      const run = await store.getRunWithResults(runId)
      if (run === undefined)
        throw new LangperfError('internal', `Cannot finish job ${job.id}: run ${runId} is gone`)
      documents.push(runToDocument(run))
    }
    return documents
  } finally {
    await store.close()
  }
}
