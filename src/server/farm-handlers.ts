import { ROUTES } from '../api/index.ts'
import type { FarmQueue } from '../farm/index.ts'
import { LangperfError, quote } from '../lib/index.ts'
import type { RunWithResults } from '../model/index.ts'
import type { Store, TokenRecord } from '../store/index.ts'
import type { Handlers } from './handlers.ts'
import { aroundStore } from './test-hooks.ts'
import type { HandlerCall } from './types.ts'

// The farm's routes (issue 14): agents register, claim, renew, complete and fail jobs of their
// own machine through the server, which holds the queue's connection; admins enqueue. An agent
// token acts only for the machines its scopes name. Every refusal happens before anything is
// changed: the token's machine, then the job's lease (farm/queue.ts), then the upload.

type FarmRoute =
  | 'agentRegister'
  | 'agentClaim'
  | 'agentHeartbeat'
  | 'agentComplete'
  | 'agentFail'
  | 'enqueueJobs'
  | 'listAgents'
  | 'listMachineAlerts'

/** What the farm's handlers need beside the store. */
export interface FarmHandlerContext {
  /** The farm's queue; absent when the server runs without a farm (SQLite, or no --farm). */
  readonly farm: FarmQueue | undefined
  readonly now: () => Date
  /** Decodes and validates an uploaded langperf-run document (the ingest route's path). */
  readonly readRun: (body: Buffer, headers: HandlerCall['headers'], action: string) => RunWithResults
}

/** The farm, or a 501 saying how to run one. */
function farmOf(context: FarmHandlerContext, action: string): FarmQueue {
  if (context.farm === undefined) {
    throw new LangperfError(
      'not-implemented',
      `Cannot ${action}: this server runs no farm (start it with \`langperf serve --db postgres://… --farm\`)`,
    )
  }
  return context.farm
}

/** Refuses a token that may not act for `machine`: an agent token must name it in its scopes. */
export function checkAgentMachine(token: TokenRecord | null, machine: string, action: string): void {
  if (token === null) throw new LangperfError('unauthorized', `Cannot ${action}: expected a token`)
  if (token.role === 'admin') return
  if (token.scopes.length === 0) {
    throw new LangperfError(
      'forbidden',
      `Cannot ${action}: token ${token.id} is bound to no machine; an agent's token must name its machine in its scopes (\`langperf token create --role agent --scope ${machine}\`)`,
    )
  }
  if (!token.scopes.includes(machine)) {
    throw new LangperfError(
      'forbidden',
      `Cannot ${action}: token ${token.id} acts for machine${token.scopes.length === 1 ? '' : 's'} ${token.scopes.map((s) => quote(s)).join(', ')}, found machine ${quote(machine)}`,
    )
  }
}

/**
 * Clears the open "silent" alerts about the machine of a run that just arrived (the check that
 * raises them, analysis/silence.ts, would clear them too, but only at its next pass).
 */
export async function resultArrived(
  store: Store,
  arrived: { readonly machine: string; readonly runId: number; readonly at: string },
): Promise<void> {
  await store.clearMachineAlerts(arrived.machine, {
    at: arrived.at,
    reason: `run ${arrived.runId} arrived`,
    kind: 'silent',
  })
}

/** The handlers of the farm's routes. */
export function farmHandlers(store: Store, context: FarmHandlerContext): Pick<Handlers, FarmRoute> {
  const at = () => context.now().toISOString()
  return {
    agentRegister: async ({ body, token }) => {
      const action = ROUTES.agentRegister.action
      checkAgentMachine(token, body.machine, action)
      const farm = farmOf(context, action)
      await store.registerAgent({ machine: body.machine, tokenId: token?.id ?? 0, info: body.info, at: at() })
      await farm.watch([body.machine])
      return {
        machine: body.machine,
        lockDurationMs: farm.lockDurationMs,
        heartbeatMs: Math.max(100, Math.floor(farm.lockDurationMs / 3)),
      }
    },
    agentClaim: async ({ body, token }) => {
      const action = ROUTES.agentClaim.action
      checkAgentMachine(token, body.machine, action)
      const farm = farmOf(context, action)
      await store.touchAgent(body.machine, { state: 'idle', at: at() })
      const job = await farm.claim(body.machine, body.waitS * 1000)
      if (job !== null) {
        await store.touchAgent(body.machine, {
          state: job.build === null ? 'measuring' : 'building',
          at: at(),
        })
      }
      return { job }
    },
    agentHeartbeat: async ({ params, body, token }) => {
      const action = ROUTES.agentHeartbeat.action
      checkAgentMachine(token, body.machine, action)
      const answer = await farmOf(context, action).heartbeat(body.machine, params.id, body.lease)
      await store.touchAgent(body.machine, { state: body.phase, at: at() })
      return answer
    },
    agentComplete: async ({ params, query, body, headers, token }) => {
      const action = ROUTES.agentComplete.action
      checkAgentMachine(token, query.machine, action)
      const farm = farmOf(context, action)
      const run = context.readRun(body, headers, action)
      if (run.run.machine !== query.machine) {
        throw new LangperfError(
          'bad-input',
          `Cannot ${action}: the run was measured on machine ${quote(run.run.machine)}, expected ${quote(query.machine)}`,
        )
      }
      const stored = await farm.complete(
        query.machine,
        { id: params.id, lease: query.lease },
        (_key, keyText) => aroundStore(`job ${params.id}`, () => store.insertRunOnce(keyText, run, at())),
      )
      await store.touchAgent(query.machine, { state: 'idle', at: at(), finished: 'done' })
      await resultArrived(store, { machine: query.machine, runId: stored.runId, at: at() })
      return { runId: stored.runId, stored: stored.stored }
    },
    agentFail: async ({ params, body, token }) => {
      const action = ROUTES.agentFail.action
      checkAgentMachine(token, body.machine, action)
      const answer = await farmOf(context, action).fail(
        body.machine,
        { id: params.id, lease: body.lease },
        { message: body.message, release: body.release },
      )
      await store.touchAgent(body.machine, {
        state: body.release ? 'stopped' : 'idle',
        at: at(),
        ...(body.release ? {} : { finished: 'failed' as const }),
      })
      return answer
    },
    enqueueJobs: async ({ body }) => ({
      jobs: await farmOf(context, ROUTES.enqueueJobs.action).enqueue(body.jobs),
    }),
    listAgents: async () => {
      const agents = await store.listAgents()
      const empty = { waiting: 0, active: 0, delayed: 0, failed: 0 }
      const items = []
      for (const a of agents) {
        const queue = context.farm === undefined ? empty : await context.farm.depth(a.machine)
        items.push({
          machine: a.machine,
          state: a.state,
          registeredAt: a.registeredAt,
          lastSeenAt: a.lastSeenAt,
          jobsDone: a.jobsDone,
          jobsFailed: a.jobsFailed,
          lastResultAt: a.lastResultAt,
          queue,
        })
      }
      return { items }
    },
    listMachineAlerts: async ({ query }) => ({
      items: await store.listMachineAlerts({
        limit: query.limit,
        ...(query.open === undefined ? {} : { open: query.open === 'true' }),
        ...(query.machine === undefined ? {} : { machine: query.machine }),
      }),
    }),
  }
}
