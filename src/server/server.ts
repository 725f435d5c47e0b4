import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify'
import { serializerCompiler } from 'fastify-type-provider-zod'
import type { z } from 'zod'
import {
  type ApiClient,
  createApiClient,
  formatIssues,
  type InputLocation,
  ROUTE_NAMES,
  ROUTES,
  type RouteDefinition,
  type RouteName,
} from '../api/index.ts'
import { HTTP_STATUS, LangperfError } from '../lib/index.ts'
import type { Store, TokenRecord } from '../store/index.ts'
import { type Handlers, makeHandlers } from './handlers.ts'
import { hashesEqual, hashTokenSecret, looksLikeTokenSecret } from './tokens.ts'

// The HTTP server: registers every route of api/ROUTES on Fastify with its zod schemas, checks
// bearer tokens, maps LangperfError codes to statuses through lib's HTTP_STATUS (the one table)
// and answers every error as { statusCode, code, error, message } with one clear sentence.
// It never executes anything a request sends: bodies are parsed as data, stored through the
// store's parameterised queries and never interpolated into HTML.

/** Default cap of a langperf-run upload and of JSON bodies in general: 16 MB. */
export const DEFAULT_JSON_BODY_LIMIT_BYTES = 16 * 1024 * 1024
/** Default cap of a pyperf upload as sent (possibly gzip): 64 MB. */
export const DEFAULT_PYPERF_BODY_LIMIT_BYTES = 64 * 1024 * 1024
/** Default cap of an upload once gunzipped: 256 MB, the pyperf importer's own cap. */
export const DEFAULT_DECOMPRESSED_LIMIT_BYTES = 256 * 1024 * 1024
/** Cap of the small JSON bodies (token creation, triage): 1 MB. */
const SMALL_BODY_LIMIT_BYTES = 1024 * 1024

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
}

/** The limits in force, as handlers need them. */
export interface ServerLimits {
  readonly jsonBodyLimitBytes: number
  readonly pyperfBodyLimitBytes: number
  readonly decompressedLimitBytes: number
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

/** HTTP reason phrases of the statuses the API answers with. */
const REASONS: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
}

/** The error body of the API. */
function errorBody(statusCode: number, code: string, message: string) {
  return { statusCode, code, error: REASONS[statusCode] ?? 'Error', message }
}

function locationOf(httpPart: string | undefined): InputLocation {
  switch (httpPart) {
    case 'querystring':
      return 'query'
    case 'params':
      return 'params'
    case 'headers':
      return 'headers'
    default:
      return 'body'
  }
}

/**
 * The Fastify server of the API over `store`. Call `listen()` to serve, or `inject()` to test
 * without a socket; `close()` does not close the store.
 * @example const app = await buildServer(store); await app.listen({ host: '127.0.0.1', port: 8080 })
 */
export async function buildServer(store: Store, options: ServerOptions = {}): Promise<FastifyInstance> {
  const limits: ServerLimits = {
    jsonBodyLimitBytes: options.jsonBodyLimitBytes ?? DEFAULT_JSON_BODY_LIMIT_BYTES,
    pyperfBodyLimitBytes: options.pyperfBodyLimitBytes ?? DEFAULT_PYPERF_BODY_LIMIT_BYTES,
    decompressedLimitBytes: options.decompressedLimitBytes ?? DEFAULT_DECOMPRESSED_LIMIT_BYTES,
  }
  const now = options.now ?? (() => new Date())
  const app = Fastify({
    ...(options.logger === undefined ? { logger: false } : { loggerInstance: options.logger }),
    // One access record per request (the onResponse hook below), not Fastify's two.
    disableRequestLogging: true,
    bodyLimit: SMALL_BODY_LIMIT_BYTES,
    // Machine and workload names may be long; Fastify's default would answer 404 past 100 characters.
    routerOptions: { maxParamLength: 500 },
    // Bodies are parsed with Fastify's secure JSON parser: "__proto__" and "constructor.prototype"
    // keys are refused rather than merged (prototype poisoning).
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
  }) as unknown as FastifyInstance

  const byRoute = new Map<string, RouteDefinition>()
  for (const name of ROUTE_NAMES) {
    const def: RouteDefinition = ROUTES[name]
    byRoute.set(`${def.method} ${def.path}`, def)
  }

  // Validation through zod with the found values reported, turned into one sentence naming the
  // field, what was expected and what was found.
  app.setValidatorCompiler(({ schema, method, url, httpPart }) => {
    const zodSchema = schema as unknown as z.ZodType
    const action = byRoute.get(`${method} ${url}`)?.action ?? 'handle the request'
    return (data: unknown) => {
      const result = zodSchema.safeParse(data, { reportInput: true })
      if (result.success) return { value: result.data }
      const error = new LangperfError(
        'bad-input',
        formatIssues(result.error.issues, { action, location: locationOf(httpPart), input: data }),
      )
      return { error }
    }
  })
  app.setSerializerCompiler(serializerCompiler)

  app.decorateRequest('langperfToken', null)
  app.decorateRequest('langperfStartNs', 0n)
  app.addHook('onRequest', async (request) => {
    request.langperfStartNs = process.hrtime.bigint()
  })
  // The access log: one record per request, its message readable on its own.
  app.addHook('onResponse', async (request, reply) => {
    const ms = Number(process.hrtime.bigint() - request.langperfStartNs) / 1e6
    const path = request.url.length > 200 ? `${request.url.slice(0, 200)}…` : request.url
    request.log.info(
      {
        method: request.method,
        url: request.url,
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
    const ms = Number(process.hrtime.bigint() - request.langperfStartNs) / 1e6
    reply.header('server-timing', `app;dur=${ms.toFixed(2)}`)
    reply.header('x-content-type-options', 'nosniff')
    if (request.url.startsWith('/api/')) {
      // JSON is data: a browser that is tricked into rendering it must run nothing.
      reply.header('content-security-policy', "default-src 'none'; frame-ancestors 'none'")
    }
    return payload
  })

  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const action = request.routeOptions.config.action ?? 'handle the request'
    const send = (status: number, code: string, message: string) => {
      if (status === 401) reply.header('www-authenticate', 'Bearer realm="langperf"')
      return reply
        .code(status)
        .type('application/json; charset=utf-8')
        .send(errorBody(status, code, message))
    }
    if (error instanceof LangperfError) {
      const status = HTTP_STATUS[error.code]
      if (status >= 500) request.log.error({ err: error }, error.message)
      return send(status, error.code, error.message)
    }
    switch (error.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE': {
        const length = request.headers['content-length']
        const limit = request.routeOptions.bodyLimit ?? SMALL_BODY_LIMIT_BYTES
        return send(
          413,
          'too-large',
          `Cannot ${action}: expected a body of at most ${limit} bytes, found ${length === undefined ? 'more' : `${length} bytes`}`,
        )
      }
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return send(
          415,
          'unsupported-media-type',
          `Cannot ${action}: expected Content-Type application/json, found ${JSON.stringify(request.headers['content-type'] ?? 'none')}`,
        )
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return send(400, 'bad-input', `Cannot ${action}: expected a JSON body, found an empty body`)
      case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
        return send(
          400,
          'bad-input',
          `Cannot ${action}: expected a body as long as its Content-Length, found another length`,
        )
      default:
        break
    }
    if (error instanceof SyntaxError || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
      return send(
        400,
        'bad-input',
        `Cannot ${action}: expected a JSON body, found invalid JSON (${error.message})`,
      )
    }
    if (/prototype|__proto__/i.test(error.message) && (error.statusCode ?? 500) === 400) {
      return send(
        400,
        'bad-input',
        `Cannot ${action}: expected JSON without "__proto__" or "constructor.prototype" keys`,
      )
    }
    const status = error.statusCode ?? 500
    if (status >= 400 && status < 500) {
      return send(status, 'bad-input', `Cannot ${action}: ${error.message}`)
    }
    request.log.error({ err: error }, 'unexpected error')
    return send(
      500,
      'internal',
      `Cannot ${action}: an unexpected error occurred (a bug; the server log has the details)`,
    )
  })

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? ''
    return reply
      .code(404)
      .send(
        errorBody(
          404,
          'not-found',
          `Cannot ${request.method} ${JSON.stringify(path.slice(0, 200))}: no such route (the routes are listed in /api/v1/openapi.json)`,
        ),
      )
  })

  const handlers = makeHandlers(store, { limits, now, version: options.version ?? '0.1.0' })

  /** Checks the bearer token of a route that needs one and remembers it on the request. */
  async function authenticate(request: FastifyRequest, def: RouteDefinition): Promise<void> {
    if (def.auth === 'public') return
    const header = request.headers.authorization
    const hint = 'create one with `langperf token create`'
    if (header === undefined || header === '') {
      throw new LangperfError(
        'unauthorized',
        `Cannot ${def.action}: expected an Authorization header with a bearer token (${hint}), found none`,
      )
    }
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header)
    if (match === null) {
      throw new LangperfError(
        'unauthorized',
        `Cannot ${def.action}: expected "Authorization: Bearer <token>", found another scheme`,
      )
    }
    const secret = match[1] ?? ''
    const invalid = new LangperfError(
      'unauthorized',
      `Cannot ${def.action}: the bearer token is not valid (unknown or mistyped; ${hint})`,
    )
    if (!looksLikeTokenSecret(secret)) throw invalid
    const hash = hashTokenSecret(secret)
    const token = await store.findTokenByHash(hash)
    if (token === undefined || !hashesEqual(token.hash, hash)) throw invalid
    if (token.revokedAt !== null) {
      throw new LangperfError(
        'unauthorized',
        `Cannot ${def.action}: token ${token.id} (${JSON.stringify(token.name)}) was revoked at ${token.revokedAt}`,
      )
    }
    if (def.auth === 'admin' && token.role !== 'admin') {
      throw new LangperfError(
        'forbidden',
        `Cannot ${def.action}: expected a token with role admin, found token ${token.id} with role ${token.role}`,
      )
    }
    request.langperfToken = token
  }

  function register(scope: FastifyInstance, name: RouteName): void {
    const def: RouteDefinition = ROUTES[name]
    const handler = handlers[name] as Handlers[RouteName] as (input: HandlerCall) => Promise<unknown>
    const bodyLimit =
      def.bodyKind === 'pyperf'
        ? limits.pyperfBodyLimitBytes
        : def.bodyKind === 'langperf-run'
          ? limits.jsonBodyLimitBytes
          : SMALL_BODY_LIMIT_BYTES
    scope.route({
      method: def.method,
      url: def.path,
      bodyLimit,
      config: { action: def.action },
      schema: {
        ...(def.params === undefined ? {} : { params: def.params }),
        ...(def.query === undefined ? {} : { querystring: def.query }),
        ...(def.bodyKind === 'json' && def.body !== undefined ? { body: def.body } : {}),
        ...(def.validateResponse ? { response: { [def.status]: def.response } } : {}),
      } as Record<string, unknown>,
      // Authentication comes first, before the body is read: a client without a valid token
      // gets 401 whatever it sends, and cannot make the server parse a large upload.
      onRequest: async (request) => authenticate(request, def),
      handler: async (request, reply) => {
        const result = await handler({
          params: request.params,
          query: request.query,
          body: request.body,
          headers: request.headers,
          token: request.langperfToken,
          app,
        })
        if (def.auth === 'public' && def.method === 'GET') reply.header('access-control-allow-origin', '*')
        reply.code(def.status)
        return result
      },
    })
  }

  // Uploads arrive as bytes (plain or gzip) and are decoded by their handlers, which tell a
  // damaged gzip, a body over the cap and invalid JSON apart; the other routes use Fastify's parser.
  const uploads = ROUTE_NAMES.filter(
    (n) => ROUTES[n].bodyKind === 'langperf-run' || ROUTES[n].bodyKind === 'pyperf',
  )
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser(
      ['application/json', 'application/gzip', 'application/x-gzip', 'application/octet-stream'],
      { parseAs: 'buffer' },
      (_request, body, done) => done(null, body),
    )
    for (const name of uploads) register(scope, name)
  })
  for (const name of ROUTE_NAMES) if (!uploads.includes(name)) register(app, name)

  const inProcessApi = createApiClient('http://in-process', { fetch: injectFetch(app) })
  if (options.web !== undefined) {
    await options.web.register(app, { api: inProcessApi })
  } else {
    app.get('/', async (_request, reply) =>
      reply
        .type('text/html; charset=utf-8')
        .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
        .send(PLACEHOLDER_PAGE),
    )
  }
  return app
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

/** A fetch answered by `app.inject`: the in-process transport of the dashboard's API client. */
function injectFetch(app: FastifyInstance): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url)
    const headers = Object.fromEntries(new Headers(init?.headers).entries())
    const method = (init?.method ?? 'GET') as 'GET' | 'POST' | 'DELETE'
    const body = init?.body
    const response = await app.inject({
      method,
      url: `${url.pathname}${url.search}`,
      headers,
      ...(body === undefined || body === null ? {} : { payload: body as string | Buffer }),
    })
    return new Response(response.body, {
      status: response.statusCode,
      headers: Object.entries(response.headers).flatMap(([k, v]) =>
        v === undefined
          ? []
          : Array.isArray(v)
            ? v.map((x) => [k, x] as [string, string])
            : [[k, String(v)] as [string, string]],
      ),
    })
  }) as typeof fetch
}

const PLACEHOLDER_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>langperf</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}</style></head>
<body>
<h1>langperf</h1>
<p>This langperf server answers its HTTP API; the dashboard is not installed on it.</p>
<ul>
<li><a href="/api/v1/openapi.json">OpenAPI document</a> (every route, its parameters and answers)</li>
<li><a href="/api/v1/overview">Overview</a>: the latest run of each machine, runtime and config against the previous one</li>
<li><a href="/api/v1/runs">Runs</a>, <a href="/api/v1/runtimes">runtimes</a>, <a href="/api/v1/machines">machines</a>, <a href="/api/v1/series">series</a></li>
</ul>
</body>
</html>
`
