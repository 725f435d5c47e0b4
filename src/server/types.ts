import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify'
import type { ApiClient } from '../api/index.ts'
import type { FarmQueue } from '../farm/index.ts'
import type { TokenRecord } from '../store/index.ts'

// The types shared by the server (server.ts) and its handlers (handlers.ts), kept here so that
// neither imports the other.

/** What the dashboard gets to register its pages and assets at `/`. */
export interface WebContext {
  /** The API client, answered in-process (no socket): pages read data only through the API. */
  readonly api: ApiClient
}

/**
 * The dashboard's hook: server-rendered pages and static assets registered on the server
 * (web/ provides one; cli/serve plugs it in). Without it `/` answers a short page linking to
 * the API.
 */
export interface WebRoutes {
  register(app: FastifyInstance, context: WebContext): Promise<void> | void
}

/** Options of buildServer. */
export interface ServerOptions {
  /** A pino logger (or any Fastify logger); no logging when absent. */
  readonly logger?: FastifyBaseLogger
  /** Pages and assets at `/`; a minimal page when absent. */
  readonly web?: WebRoutes
  /** Cap of JSON bodies (langperf-run uploads), bytes; 16 MB when absent. */
  readonly jsonBodyLimitBytes?: number
  /** Cap of pyperf uploads as sent, bytes; 64 MB when absent. */
  readonly pyperfBodyLimitBytes?: number
  /** Cap of an upload after gunzip, bytes; 256 MB when absent. */
  readonly decompressedLimitBytes?: number
  /** The clock (token times); `new Date()` when absent. */
  readonly now?: () => Date
  /** Version reported by /health; `0.1.0` when absent. */
  readonly version?: string
  /** The configured runtimes' sources, for the commits of alerts' blame ranges; none when absent. */
  readonly runtimes?: readonly RuntimeSource[]
  /** The farm's job queue (PostgreSQL only); the agent routes answer 501 when absent. */
  readonly farm?: FarmQueue
}

/** Where a runtime's commits are read from, and how they are linked. */
export interface RuntimeSource {
  readonly name: string
  readonly remote: string
  /** The bare mirror the nightly keeps; null when there is none yet. */
  readonly gitDir: string | null
  /** `commit_url` of the configuration, with `{sha}`. */
  readonly commitUrl?: string
  /** `compare_url` of the configuration, with `{from}` and `{to}`. */
  readonly compareUrl?: string
}

/** The limits in force, as handlers need them. */
export interface ServerLimits {
  readonly jsonBodyLimitBytes: number
  readonly pyperfBodyLimitBytes: number
  readonly decompressedLimitBytes: number
}

/** What a handler receives: validated params, query and body, and the authenticating token. */
export interface HandlerCall {
  readonly params: unknown
  readonly query: unknown
  readonly body: unknown
  readonly headers: FastifyRequest['headers']
  readonly token: TokenRecord | null
  readonly app: FastifyInstance
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The token that authenticated the request; null on public routes. */
    langperfToken: TokenRecord | null
    /** When the request arrived (process.hrtime.bigint), for the Server-Timing header. */
    langperfStartNs: bigint
  }
  interface FastifyContextConfig {
    /** The route's action for error messages ("list runs"). */
    action?: string
  }
}
