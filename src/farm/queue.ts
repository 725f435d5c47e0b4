import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  createPostgresBackend,
  Job,
  type JobProgress,
  type PostgresConnectionOptions,
  type PostgresQueueBackend,
  Queue,
  Worker,
} from 'bullmq'
import type { BuildJob, ClaimedJob, FarmJobKey, MeasureJob, NewFarmJob } from '../api/index.ts'
import { LangperfError, quote } from '../lib/index.ts'
import { jobIdOf, jobKeyText, queueNameOf } from './job-key.ts'

// The farm's queue on BullMQ's PostgreSQL backend (docs/decisions/0002-queue-engine.md). The
// server holds the engine's connection and acts for agents over HTTP: a claim takes the next job
// of the agent's machine's queue with a fresh random lock token (the lease, handed to the agent),
// and heartbeats, completions and failures are refused unless they bring the lease of a job that
// is still held. Each machine has its own queue, so an agent is never handed another machine's
// job; the stalled-job checker of each queue runs here and puts a job whose lease expired (a dead
// agent) back to waiting.

/** What a job carries: its key, what it measures and, for a build job, what it builds. */
interface JobData {
  readonly key: FarmJobKey
  readonly keyText: string
  readonly measure: MeasureJob
  /** Absent in jobs enqueued before build jobs existed. */
  readonly build?: BuildJob | null
  /** Which nightly's try of its key this job is: 1 (absent) for the first, 2… for retryFailed's. */
  readonly nightlyTry?: number
}

/** States a job of the farm can be in, as the engine names them (`unknown`: no such job). */
export type FarmJobState =
  | 'waiting'
  | 'active'
  | 'delayed'
  | 'prioritized'
  | 'waiting-children'
  | 'completed'
  | 'failed'
  | 'unknown'

/** How many tries of one key retryFailed may make at most (its ids `<id>`, `<id>-t2`…). */
const MAX_TRY_IDS = 20

/** Job states whose job has not finished and may still run. */
const PENDING_STATES = ['waiting', 'active', 'delayed', 'prioritized'] as const

/** Options of the farm's queue. */
export interface FarmQueueOptions {
  /** PostgreSQL URL of the portal's database; BullMQ keeps its tables in `schema`. */
  readonly connectionString: string
  /** BullMQ's schema; `langperf_farm` when absent. */
  readonly schema?: string
  /** How long a claim or heartbeat holds a job; 30 s when absent (a dead agent's job runs again within 45 s). */
  readonly lockDurationMs?: number
  /** How often expired leases are looked for; half the lock duration when absent. */
  readonly stalledIntervalMs?: number
  /** How often a job may lose its agent before it fails for good; 3 when absent. */
  readonly maxStalledCount?: number
  /** Tries of a job that fails; 3 when absent. */
  readonly attempts?: number
  /** First retry delay after a failure (doubled each time); 30 s when absent. */
  readonly backoffMs?: number
}

/** A job retryFailed enqueued again: its new id, its key and which try of the key it is. */
export interface RetriedJob {
  readonly id: string
  readonly key: FarmJobKey
  readonly nightlyTry: number
  readonly build: BuildJob | null
}

/** The depth of a machine's queue. */
export interface QueueDepth {
  readonly waiting: number
  readonly active: number
  readonly delayed: number
  readonly failed: number
}

type FarmBullQueue = Queue<
  JobData,
  unknown,
  string,
  JobData,
  unknown,
  string,
  PostgresQueueBackend,
  PostgresConnectionOptions
>
type FarmBullWorker = Worker<
  JobData,
  unknown,
  string,
  PostgresQueueBackend,
  JobProgress,
  PostgresConnectionOptions
>

interface MachineQueue {
  readonly queue: FarmBullQueue
  readonly worker: FarmBullWorker
}

/** The default BullMQ schema of the farm. */
export const DEFAULT_FARM_SCHEMA = 'langperf_farm'

/** The farm's queues, one per machine, opened on first use. */
export class FarmQueue {
  readonly lockDurationMs: number
  readonly #options: FarmQueueOptions
  readonly #machines = new Map<string, Promise<MachineQueue>>()
  #closed = false

  constructor(options: FarmQueueOptions) {
    this.#options = options
    this.lockDurationMs = options.lockDurationMs ?? 30_000
  }

  /** The queue and worker of `machine`, created (and its stalled-job checker started) on first use. */
  #of(machine: string): Promise<MachineQueue> {
    if (this.#closed) throw new LangperfError('unavailable', 'Cannot use the farm queue: it is closed')
    let entry = this.#machines.get(machine)
    if (entry === undefined) {
      entry = this.#open(machine)
      this.#machines.set(machine, entry)
    }
    return entry
  }

  async #open(machine: string): Promise<MachineQueue> {
    const o = this.#options
    const connection = {
      connectionString: o.connectionString,
      migrate: true,
      schema: o.schema ?? DEFAULT_FARM_SCHEMA,
    }
    const name = queueNameOf(machine)
    // The backend factory must be the last argument: without it BullMQ silently uses Redis.
    const queue: FarmBullQueue = new Queue(
      name,
      {
        connection,
        defaultJobOptions: {
          attempts: o.attempts ?? 3,
          backoff: { type: 'exponential', delay: o.backoffMs ?? 30_000 },
          // Finished jobs are kept: their ids (the keys' hashes) stay taken.
          removeOnComplete: false,
          removeOnFail: false,
        },
      },
      createPostgresBackend,
    )
    const worker: FarmBullWorker = new Worker(
      name,
      null,
      {
        connection,
        autorun: false,
        lockDuration: this.lockDurationMs,
        stalledInterval: o.stalledIntervalMs ?? Math.max(1000, Math.floor(this.lockDurationMs / 2)),
        maxStalledCount: o.maxStalledCount ?? 3,
      },
      createPostgresBackend,
    )
    await queue.waitUntilReady()
    await worker.waitUntilReady()
    await worker.startStalledCheckTimer()
    return { queue, worker }
  }

  /** Starts watching the queues of `machines` for expired leases (e.g. every registered agent's at start). */
  async watch(machines: readonly string[]): Promise<void> {
    await Promise.all(machines.map((m) => this.#of(m)))
  }

  /** The name of the queue backend in use (a test checks it is PostgreSQL). */
  async backendName(machine: string): Promise<string> {
    const { queue } = await this.#of(machine)
    return (
      (queue as unknown as { backend?: { constructor?: { name?: string } } }).backend?.constructor?.name ??
      'unknown'
    )
  }

  /** Adds jobs to their machines' queues; a job whose key exists already is not added again. */
  async enqueue(jobs: readonly NewFarmJob[]): Promise<{ id: string; added: boolean }[]> {
    const out: { id: string; added: boolean }[] = []
    for (const job of jobs) {
      const { queue } = await this.#of(job.key.machine)
      const id = jobIdOf(job.key)
      const before = await Job.fromId(queue, id)
      if (before === undefined) {
        await queue.add(
          job.build === undefined ? 'measure' : 'build',
          { key: job.key, keyText: jobKeyText(job.key), measure: job.measure, build: job.build ?? null },
          { jobId: id },
        )
      }
      out.push({ id, added: before === undefined })
    }
    return out
  }

  /** The next job of `machine`'s queue with a new lease, waiting up to `waitMs` for one; null if none. */
  async claim(machine: string, waitMs: number): Promise<ClaimedJob | null> {
    const { worker } = await this.#of(machine)
    const deadline = Date.now() + waitMs
    for (;;) {
      const lease = randomBytes(24).toString('base64url')
      const job = await worker.getNextJob(lease, { block: false })
      if (job !== undefined && job !== null) {
        // A later nightly's try goes on counting the attempts of the tries before it.
        const before = ((job.data.nightlyTry ?? 1) - 1) * (this.#options.attempts ?? 3)
        return {
          id: String(job.id),
          lease,
          attempt: before + Math.max(1, job.attemptsStarted),
          key: job.data.key,
          measure: job.data.measure,
          build: job.data.build ?? null,
          lockDurationMs: this.lockDurationMs,
        }
      }
      if (Date.now() >= deadline || this.#closed) return null
      await sleep(Math.min(250, Math.max(0, deadline - Date.now())))
    }
  }

  /**
   * The job `id` of `machine` if `lease` holds it, its lock renewed; else a not-found (no such job
   * in this machine's queue) or a conflict (not held with this lease: expired, finished, another's).
   */
  async #held(machine: string, id: string, lease: string, action: string): Promise<Job<JobData>> {
    const { queue } = await this.#of(machine)
    const job = await Job.fromId<JobData>(queue, id)
    if (job === undefined) {
      throw new LangperfError(
        'not-found',
        `Cannot ${action}: machine ${quote(machine)} has no job ${quote(id)}`,
      )
    }
    const renewed = await job.extendLock(lease, this.lockDurationMs)
    if (renewed !== 1) {
      const state = await job.getState()
      throw new LangperfError(
        'conflict',
        `Cannot ${action}: job ${quote(id)} is not held with this lease (it is ${state}; a lease ends when the job finishes or its heartbeats stop for ${this.lockDurationMs} ms)`,
      )
    }
    return job
  }

  /** Renews the lease of a held job; answers until when it holds. */
  async heartbeat(machine: string, id: string, lease: string): Promise<{ lockedUntil: string }> {
    await this.#held(machine, id, lease, `renew the lease of job ${quote(id)}`)
    return { lockedUntil: new Date(Date.now() + this.lockDurationMs).toISOString() }
  }

  /**
   * Completes a held job: `storeResult(keyText)` stores its result (once per key), then the job is
   * marked completed with what it answered. A crash between the two leaves the job to run again,
   * and the store recognises the key.
   */
  async complete<R extends object>(
    machine: string,
    target: { readonly id: string; readonly lease: string },
    storeResult: (key: FarmJobKey, keyText: string) => Promise<R>,
  ): Promise<R> {
    const action = `complete job ${quote(target.id)}`
    const job = await this.#held(machine, target.id, target.lease, action)
    const result = await storeResult(job.data.key, job.data.keyText)
    try {
      await job.moveToCompleted(result, target.lease, false)
    } catch (error) {
      throw new LangperfError(
        'conflict',
        `Cannot ${action}: its result is stored, but the job was lost meanwhile (${error instanceof Error ? error.message : String(error)})`,
      )
    }
    return result
  }

  /** Fails a held job (retried with backoff while attempts remain), or releases it untried. */
  async fail(
    machine: string,
    target: { readonly id: string; readonly lease: string },
    failure: { readonly message: string; readonly release: boolean },
  ): Promise<{ state: 'waiting' | 'delayed' | 'failed' }> {
    const action = `${failure.release ? 'release' : 'fail'} job ${quote(target.id)}`
    const job = await this.#held(machine, target.id, target.lease, action)
    if (failure.release) {
      await job.moveToWait(target.lease)
      return { state: 'waiting' }
    }
    await job.moveToFailed(new Error(failure.message), target.lease, false)
    const state = await job.getState()
    return { state: state === 'delayed' ? 'delayed' : state === 'failed' ? 'failed' : 'waiting' }
  }

  /**
   * Enqueues again each measure or build job of `machine` that failed for good (its attempts spent), as a new job
   * of the same key and data with the next try number (its id the key's id with `-t<try>`), unless
   * another job of its key is pending or completed, or its key has failed `maxTries` times already
   * (then it stays failed: a gap in the machine's history, counted on the agents page). The result
   * is still stored once per key. The farm nightly calls it before planning: a job that failed one
   * night (a remote unreachable, a machine down past its retries) is tried again the next.
   */
  async retryFailed(machine: string, tries: number): Promise<RetriedJob[]> {
    const maxTries = Math.min(tries, MAX_TRY_IDS)
    const { queue } = await this.#of(machine)
    const failed = await queue.getJobs(['failed'], 0, -1)
    const keys = new Map<string, JobData>()
    for (const j of failed) {
      // A bisection's step is not: its bisection ends with the failure (pipeline/farm-bisect.ts).
      if (j?.data?.keyText !== undefined && j.data.key.purpose === 'measure') keys.set(j.data.keyText, j.data)
    }
    const out: RetriedJob[] = []
    for (const data of keys.values()) {
      const base = jobIdOf(data.key)
      let tries = 0
      let blocked = false
      for (let t = 1; t <= maxTries; t++) {
        const state = await queue.getJobState(t === 1 ? base : `${base}-t${t}`)
        if (state === 'unknown') break
        tries = t
        if (state !== 'failed') blocked = true
      }
      if (blocked || tries >= maxTries) continue
      const nightlyTry = tries + 1
      const id = `${base}-t${nightlyTry}`
      await queue.add(data.build ? 'build' : 'measure', { ...data, nightlyTry }, { jobId: id })
      out.push({ id, key: data.key, nightlyTry, build: data.build ?? null })
    }
    return out
  }

  /**
   * The keys of `machine`'s jobs that have not completed: waiting, running or delayed (they will
   * run), or failed for good (they will not run again: their key stays taken). A completed job's
   * result is in the store.
   */
  async unfinishedKeys(machine: string): Promise<FarmJobKey[]> {
    const { queue } = await this.#of(machine)
    const out = new Map<string, FarmJobKey>()
    for (const j of await queue.getJobs([...PENDING_STATES], 0, -1)) {
      if (j?.data?.key !== undefined) out.set(j.data.keyText, j.data.key)
    }
    for (const j of await queue.getJobs(['failed'], 0, -1)) {
      if (j?.data?.key === undefined || out.has(j.data.keyText)) continue
      // A key whose later try completed is done, though its earlier tries failed.
      const base = jobIdOf(j.data.key)
      let completed = false
      for (let t = 1; t <= MAX_TRY_IDS && !completed; t++) {
        const state = await queue.getJobState(t === 1 ? base : `${base}-t${t}`)
        if (state === 'unknown') break
        completed = state === 'completed'
      }
      if (!completed) out.set(j.data.keyText, j.data.key)
    }
    return [...out.values()]
  }

  /** The state of each job of `ids` in `machine`'s queue. */
  async states(machine: string, ids: readonly string[]): Promise<Map<string, FarmJobState>> {
    const { queue } = await this.#of(machine)
    const out = new Map<string, FarmJobState>()
    for (const id of ids) out.set(id, (await queue.getJobState(id)) as FarmJobState)
    return out
  }

  /** The depth of `machine`'s queue. */
  async depth(machine: string): Promise<QueueDepth> {
    const { queue } = await this.#of(machine)
    const c = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized')
    return {
      waiting: (c.waiting ?? 0) + (c.prioritized ?? 0),
      active: c.active ?? 0,
      delayed: c.delayed ?? 0,
      failed: c.failed ?? 0,
    }
  }

  /** Closes every queue and worker (jobs held by agents keep their leases until they expire). */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    const all = await Promise.allSettled([...this.#machines.values()])
    for (const r of all) {
      if (r.status !== 'fulfilled') continue
      await r.value.worker.close(true)
      await r.value.queue.close()
    }
  }
}
