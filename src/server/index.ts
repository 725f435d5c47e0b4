/**
 * The portal's HTTP server: the API of api/ on Fastify, bearer tokens, limits, and the hook
 * where the dashboard (web/) plugs its pages in.
 */

export { computeOverview, OverviewMemo, type OverviewQuery } from './overview.ts'
export {
  buildServer,
  DEFAULT_DECOMPRESSED_LIMIT_BYTES,
  DEFAULT_JSON_BODY_LIMIT_BYTES,
  DEFAULT_PYPERF_BODY_LIMIT_BYTES,
  type HandlerCall,
  type ServerLimits,
  type ServerOptions,
  type WebContext,
  type WebRoutes,
} from './server.ts'
export { hashesEqual, hashTokenSecret, looksLikeTokenSecret, newTokenSecret, TOKEN_PREFIX } from './tokens.ts'
