import Fastify, { type FastifyInstance, LogController } from 'fastify'
import { serializerCompiler } from 'fastify-type-provider-zod'
import { ROUTE_NAMES, ROUTES, type RouteDefinition, type RouteName } from '../api/index.ts'
import type { Store } from '../store/index.ts'
import { authenticate } from './auth.ts'
import { handleError, handleNotFound, installZodValidation } from './errors.ts'
import { type Handlers, makeHandlers } from './handlers.ts'
import { installRequestHooks } from './hooks.ts'
import { inProcessApi } from './in-process.ts'
import { bodyLimitOf, resolveLimits, SMALL_BODY_LIMIT_BYTES } from './limits.ts'
import type { HandlerCall, ServerLimits, ServerOptions, WebRoutes } from './types.ts'

// The HTTP server: registers every route of api/ROUTES on Fastify with its zod schemas, checks
// bearer tokens, maps LangperfError codes to statuses through lib's HTTP_STATUS (the one table)
// and answers every error as { statusCode, code, error, message } with one clear sentence.
// It never executes anything a request sends: bodies are parsed as data, stored through the
// store's parameterised queries and never interpolated into HTML.

/**
 * The Fastify server of the API over `store`. Call `listen()` to serve, or `inject()` to test
 * without a socket; `close()` does not close the store.
 * @example const app = await buildServer(store); await app.listen({ host: '127.0.0.1', port: 8080 })
 */
export async function buildServer(store: Store, options: ServerOptions = {}): Promise<FastifyInstance> {
  const limits = resolveLimits(options)
  const now = options.now ?? (() => new Date())
  const app = createFastify(options)
  installZodValidation(app)
  app.setSerializerCompiler(serializerCompiler)
  installRequestHooks(app, store, now)
  app.setErrorHandler(handleError)
  app.setNotFoundHandler(handleNotFound)
  const handlers = makeHandlers(store, {
    limits,
    now,
    version: options.version ?? '0.1.0',
    runtimes: options.runtimes ?? [],
    ...(options.farm === undefined ? {} : { farm: options.farm }),
  })
  await registerRoutes(app, store, handlers, limits)
  await mountWeb(app, handlers, options.web)
  return app
}

/** A Fastify instance with the server's settings: logging, body cap, parameter length, parsing. */
function createFastify(options: ServerOptions): FastifyInstance {
  return Fastify({
    ...(options.logger === undefined ? { logger: false } : { loggerInstance: options.logger }),
    // One access record per request (the onResponse hook of hooks.ts), not Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: SMALL_BODY_LIMIT_BYTES,
    // Machine and workload names may be long; Fastify's default would answer 404 past 100 characters.
    routerOptions: { maxParamLength: 500 },
    // Bodies are parsed with Fastify's secure JSON parser: "__proto__" and "constructor.prototype"
    // keys are refused rather than merged (prototype poisoning).
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
  }) as unknown as FastifyInstance
}

/**
 * Registers every route. Uploads arrive as bytes (plain or gzip) and are decoded by their
 * handlers, which tell a damaged gzip, a body over the cap and invalid JSON apart; the other
 * routes use Fastify's parser.
 */
async function registerRoutes(
  app: FastifyInstance,
  store: Store,
  handlers: Handlers,
  limits: ServerLimits,
): Promise<void> {
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
    for (const name of uploads) registerRoute(scope, app, { store, handlers, limits }, name)
  })
  for (const name of ROUTE_NAMES)
    if (!uploads.includes(name)) registerRoute(app, app, { store, handlers, limits }, name)
}

/** Registers route `name` on `scope`: its schemas, body cap, authentication and handler. */
function registerRoute(
  scope: FastifyInstance,
  app: FastifyInstance,
  server: { readonly store: Store; readonly handlers: Handlers; readonly limits: ServerLimits },
  name: RouteName,
): void {
  const def: RouteDefinition = ROUTES[name]
  const handler = server.handlers[name] as Handlers[RouteName] as (input: HandlerCall) => Promise<unknown>
  scope.route({
    method: def.method,
    url: def.path,
    bodyLimit: bodyLimitOf(def, server.limits),
    config: { action: def.action },
    schema: {
      ...(def.params === undefined ? {} : { params: def.params }),
      ...(def.query === undefined ? {} : { querystring: def.query }),
      ...(def.bodyKind === 'json' && def.body !== undefined ? { body: def.body } : {}),
      ...(def.validateResponse ? { response: { [def.status]: def.response } } : {}),
    } as Record<string, unknown>,
    // Authentication comes first, before the body is read: a client without a valid token
    // gets 401 whatever it sends, and cannot make the server parse a large upload.
    onRequest: async (request) => authenticate(server.store, request, def),
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
      if (def.responseType === 'text') reply.type('text/plain; charset=utf-8')
      reply.code(def.status)
      return result
    },
  })
}

/** Plugs the dashboard in at `/` with an in-process API client, or a placeholder page without one. */
async function mountWeb(app: FastifyInstance, handlers: Handlers, web: WebRoutes | undefined): Promise<void> {
  if (web !== undefined) {
    await web.register(app, { api: inProcessApi(app, handlers) })
    return
  }
  app.get('/', async (_request, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
      .send(PLACEHOLDER_PAGE),
  )
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
