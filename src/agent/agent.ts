import { setTimeout as sleep } from 'node:timers/promises'
import { type ApiClient, ApiError, type ClaimedJob, type LangperfRunDocumentInput } from '../api/index.ts'

// The agent on a benchmark machine (issue 14): registers its machine with the server, then claims
// one job at a time over the HTTP API (it holds no database or queue credentials), renews the
// job's lease while it runs it, and uploads the result with the completion. When its stop signal
// fires (SIGTERM) it aborts the job it runs and releases it, so another attempt starts at once
// instead of after the lease expires. When a heartbeat says the lease is lost (the server gave
// the job to another attempt), it abandons the job without uploading.

/** What a job is doing now, as the agent tells the server with each heartbeat. */
export type JobPhase = 'building' | 'measuring'

/**
 * What the agent does with a job: build it when it is a build job, measure it, and answer its
 * langperf-run document; `phase` tells the agent what it is doing now.
 */
export type JobRunner = (
  job: ClaimedJob,
  signal: AbortSignal,
  phase: (phase: JobPhase) => void,
) => Promise<LangperfRunDocumentInput>

/** Options of runAgent. */
export interface AgentOptions {
  readonly api: ApiClient
  readonly machine: string
  readonly run: JobRunner
  /** Aborted to stop: the running job is released and the loop ends. */
  readonly stop: AbortSignal
  /** Longest wait of one claim, seconds (the server's long poll); 10 when absent. */
  readonly claimWaitS?: number
  /** Ends the loop after this many jobs (tests); unbounded when absent. */
  readonly maxJobs?: number
  /** Progress lines (stderr). */
  readonly log: (line: string) => void
  /** What the agent says of itself when it registers. */
  readonly info?: { readonly hostname?: string; readonly version?: string; readonly pid?: number }
}

/** What an agent did before it stopped. */
export interface AgentReport {
  readonly completed: number
  readonly failed: number
  readonly released: number
  readonly lost: number
}

/** Registers, then claims and runs jobs until `stop` fires (or `maxJobs` are done). */
export async function runAgent(options: AgentOptions): Promise<AgentReport> {
  const { api, machine, log } = options
  const terms = await api.agentRegister({ body: { machine, info: options.info ?? {} } })
  log(
    `agent ${machine}: registered (lease ${terms.lockDurationMs} ms, heartbeat every ${terms.heartbeatMs} ms)`,
  )
  const report = { completed: 0, failed: 0, released: 0, lost: 0 }
  let jobs = 0
  while (!options.stop.aborted && (options.maxJobs === undefined || jobs < options.maxJobs)) {
    let job: ClaimedJob | null
    try {
      job = (await api.agentClaim({ body: { machine, waitS: options.claimWaitS ?? 10 } })).job
    } catch (error) {
      if (error instanceof ApiError && error.statusCode < 500) throw error
      log(`agent ${machine}: claim failed (${messageOf(error)}); trying again in 2 s`)
      await sleep(2000, undefined, { signal: options.stop }).catch(() => undefined)
      continue
    }
    if (job === null) continue
    jobs++
    const outcome = await runOne(options, job, terms.heartbeatMs)
    report[outcome]++
  }
  log(
    `agent ${machine}: stopped (${report.completed} completed, ${report.failed} failed, ${report.released} released, ${report.lost} lost)`,
  )
  return report
}

type Outcome = 'completed' | 'failed' | 'released' | 'lost'

/** Runs one claimed job under heartbeats and reports how it ended to the server. */
async function runOne(options: AgentOptions, job: ClaimedJob, heartbeatMs: number): Promise<Outcome> {
  const { api, machine, log } = options
  const target = { params: { id: job.id } }
  log(
    `agent ${machine}: job ${job.id} (${job.build === null ? '' : 'build '}${job.key.runtime} ${job.key.commit} ${job.key.config}, ${job.key.suite}, attempt ${job.attempt})`,
  )
  const abort = new AbortController()
  let lost = false
  let phase: JobPhase = job.build === null ? 'measuring' : 'building'
  const onStop = () => abort.abort()
  options.stop.addEventListener('abort', onStop)
  const heartbeat = () => {
    api.agentHeartbeat({ ...target, body: { machine, lease: job.lease, phase } }).catch((error: unknown) => {
      if (error instanceof ApiError && (error.statusCode === 409 || error.statusCode === 404)) {
        lost = true
        abort.abort()
      }
      log(`agent ${machine}: heartbeat of job ${job.id} failed (${messageOf(error)})`)
    })
  }
  const beat = setInterval(heartbeat, heartbeatMs)
  // A new phase is told at once, not at the next beat: the agents page shows it.
  const onPhase = (next: JobPhase) => {
    if (next === phase) return
    phase = next
    heartbeat()
  }
  try {
    let document: LangperfRunDocumentInput
    try {
      if (options.stop.aborted) abort.abort()
      document = await options.run(job, abort.signal, onPhase)
      if (abort.signal.aborted) throw new Error('stopped')
    } catch (error) {
      clearInterval(beat)
      if (lost) {
        log(`agent ${machine}: job ${job.id} abandoned: its lease was lost`)
        return 'lost'
      }
      const release = options.stop.aborted
      await api
        .agentFail({ ...target, body: { machine, lease: job.lease, message: messageOf(error), release } })
        .catch((e: unknown) =>
          log(`agent ${machine}: could not report job ${job.id} (${messageOf(e)}); its lease will expire`),
        )
      log(`agent ${machine}: job ${job.id} ${release ? 'released' : `failed: ${messageOf(error)}`}`)
      return release ? 'released' : 'failed'
    }
    clearInterval(beat)
    return await complete(options, job, document)
  } finally {
    clearInterval(beat)
    options.stop.removeEventListener('abort', onStop)
  }
}

/**
 * Uploads a job's result with its completion. A network failure or a 5xx is tried again (the
 * server stores a job's result once, so a retry after a lost answer stores nothing twice) while
 * the lease may still hold; a 4xx means the job is no longer this agent's.
 */
async function complete(
  options: AgentOptions,
  job: ClaimedJob,
  document: LangperfRunDocumentInput,
): Promise<Outcome> {
  const { api, machine, log } = options
  for (let attempt = 1; ; attempt++) {
    try {
      const stored = await api.agentComplete({
        params: { id: job.id },
        query: { machine, lease: job.lease },
        body: document,
      })
      log(
        `agent ${machine}: job ${job.id} completed, run ${stored.runId}${stored.stored ? '' : ' (stored before)'}`,
      )
      return 'completed'
    } catch (error) {
      const permanent = error instanceof ApiError && error.statusCode < 500
      if (permanent || attempt >= 5) {
        log(`agent ${machine}: job ${job.id} not completed: ${messageOf(error)}`)
        return 'lost'
      }
      log(`agent ${machine}: upload of job ${job.id} failed (${messageOf(error)}); trying again in 2 s`)
      await sleep(2000)
    }
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
