/**
 * The benchmark farm's job queue (issue 14): BullMQ on its PostgreSQL backend, one queue per
 * machine, job ids from the jobs' idempotency keys, leases that agents renew through the server.
 */

export { jobIdOf, jobKeyText, queueNameOf } from './job-key.ts'
export {
  DEFAULT_FARM_SCHEMA,
  type FarmJobState,
  FarmQueue,
  type FarmQueueOptions,
  type QueueDepth,
  type RetriedJob,
} from './queue.ts'
/** Test support: fresh PostgreSQL schemas and example jobs (tests and bench scripts only). */
export { exampleFarmJob, NO_PG_REASON, schemaPool, TEST_PG_URL } from './testing.ts'
