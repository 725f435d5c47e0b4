/**
 * The benchmark farm's agent (issue 14): on each benchmark machine, claims its machine's jobs
 * from the server over HTTP, runs them with the existing runner and uploads their results.
 */

export { type AgentOptions, type AgentReport, type JobPhase, type JobRunner, runAgent } from './agent.ts'
export { buildJob } from './build.ts'
export type { BuildContext } from './build-steps.ts'
export { type MeasureContext, measureJob } from './measure.ts'
