/**
 * The portal's HTTP server: the API of api/ on Fastify, bearer tokens, limits, and the hook
 * where the dashboard (web/) plugs its pages in.
 */

export {
  DEFAULT_DECOMPRESSED_LIMIT_BYTES,
  DEFAULT_JSON_BODY_LIMIT_BYTES,
  DEFAULT_PYPERF_BODY_LIMIT_BYTES,
} from './limits.ts'
export { computeOverview, OverviewMemo, type OverviewQuery } from './overview.ts'
export { buildServer } from './server.ts'
export { type SilenceWatchOptions, startSilenceWatch } from './silence-watch.ts'
export { STORE_DELAY_ENV } from './test-hooks.ts'
export { hashesEqual, hashTokenSecret, looksLikeTokenSecret, newTokenSecret, TOKEN_PREFIX } from './tokens.ts'
export type {
  HandlerCall,
  RuntimeSource,
  ServerLimits,
  ServerOptions,
  WebContext,
  WebRoutes,
} from './types.ts'
