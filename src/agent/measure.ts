import { measureAndStore } from '../analysis/index.ts'
import { type ClaimedJob, type LangperfRunDocumentInput, runToDocument } from '../api/index.ts'
import { LangperfError, quote } from '../lib/index.ts'
import {
  customizePreset,
  discoverInterpreters,
  getPreset,
  loadSuites,
  loadWorkloads,
  readEnvironment,
  resolveSuite,
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
}

/** Measures `job` and answers its run as a langperf-run document. */
export async function measureJob(
  job: ClaimedJob,
  context: MeasureContext,
): Promise<LangperfRunDocumentInput> {
  const m = job.measure
  const { interpreters } = await discoverInterpreters({
    env: context.env,
    explicit: [m.python],
    alsoDiscover: false,
  })
  const all = await loadWorkloads()
  const workloads =
    m.workloads.length === 0
      ? resolveSuite(job.key.suite, all, await loadSuites())
      : m.workloads.map((name) => {
          const w = all.find((x) => x.manifest.name === name)
          if (w === undefined) {
            throw new LangperfError(
              'bad-input',
              `Cannot run job ${job.id}: this agent has no workload ${quote(name)}`,
            )
          }
          return w
        })
  const preset = customizePreset(getPreset(m.preset), {
    ...(m.processes === undefined ? {} : { processes: m.processes }),
    ...(m.warmups === undefined ? {} : { warmups: m.warmups }),
    ...(m.values === undefined ? {} : { values: m.values }),
    ...(m.minTimeS === undefined ? {} : { minTimeS: m.minTimeS }),
  })
  const store = await openSqliteStore(':memory:')
  try {
    const outcome = await measureAndStore(
      store,
      { interpreters, workloads, preset, timeoutMs: m.timeoutS * 1000 },
      {
        machine: context.machine,
        environment: await readEnvironment(),
        suite: job.key.suite,
        signal: context.signal,
        metadata: { farm_job: job.id, farm_attempt: job.attempt },
      },
    )
    const runId = outcome.runIds[0]
    const run = runId === undefined ? undefined : await store.getRunWithResults(runId)
    if (run === undefined || outcome.status !== 'complete') {
      throw new LangperfError('unavailable', `Cannot finish job ${job.id}: its measurement was interrupted`)
    }
    return runToDocument(run)
  } finally {
    await store.close()
  }
}
