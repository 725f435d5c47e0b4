import type { FastifyInstance } from 'fastify'
import type { Store } from '../store/index.ts'
import './types.ts'

/** Milliseconds since the request arrived. */
function elapsedMs(startNs: bigint): number {
  return Number(process.hrtime.bigint() - startNs) / 1e6
}

/**
 * The hooks every request goes through: its start time, one access-log record per request (its
 * message readable on its own), the token's use recorded, and the headers of every answer
 * (Server-Timing, nosniff, and a CSP that runs nothing on the API's JSON).
 */
export function installRequestHooks(app: FastifyInstance, store: Store, now: () => Date): void {
  app.decorateRequest('langperfToken', null)
  app.decorateRequest('langperfStartNs', 0n)
  app.addHook('onRequest', async (request) => {
    request.langperfStartNs = process.hrtime.bigint()
  })
  app.addHook('onResponse', async (request, reply) => {
    const ms = elapsedMs(request.langperfStartNs)
    // A farm job's lease (a query parameter of its completion) is not written to the log.
    const url = request.url.replace(/([?&]lease=)[^&]*/g, '$1…')
    const path = url.length > 200 ? `${url.slice(0, 200)}…` : url
    request.log.info(
      {
        method: request.method,
        url,
        statusCode: reply.statusCode,
        ms: Math.round(ms * 10) / 10,
      },
      `${request.method} ${path} ${reply.statusCode} ${ms.toFixed(1)} ms`,
    )
  })
  app.addHook('onSend', async (request, reply, payload) => {
    const token = request.langperfToken
    if (token !== null && reply.statusCode < 400) {
      // Recording the use is bookkeeping: a store that cannot write (read-only) must not fail the request.
      try {
        await store.touchToken(token.id, now().toISOString())
      } catch (error) {
        request.log.warn({ err: error }, 'could not record the token use')
      }
    }
    reply.header('server-timing', `app;dur=${elapsedMs(request.langperfStartNs).toFixed(2)}`)
    reply.header('x-content-type-options', 'nosniff')
    if (request.url.startsWith('/api/')) {
      // JSON is data: a browser that is tricked into rendering it must run nothing.
      reply.header('content-security-policy', "default-src 'none'; frame-ancestors 'none'")
    }
    return payload
  })
}
