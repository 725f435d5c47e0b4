import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { z } from 'zod'
import { formatIssues, type InputLocation, ROUTE_NAMES, ROUTES, type RouteDefinition } from '../api/index.ts'
import { HTTP_STATUS, LangperfError } from '../lib/index.ts'
import { SMALL_BODY_LIMIT_BYTES } from './limits.ts'
import './types.ts'

// How the server answers what goes wrong: LangperfError codes map to statuses through lib's
// HTTP_STATUS (the one table) and every error is answered as { statusCode, code, error, message }
// with one clear sentence.

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
 * Validates through zod with the found values reported, turned into one sentence naming the
 * field, what was expected and what was found (a `bad-input` LangperfError).
 */
export function installZodValidation(app: FastifyInstance): void {
  const byRoute = new Map<string, RouteDefinition>()
  for (const name of ROUTE_NAMES) {
    const def: RouteDefinition = ROUTES[name]
    byRoute.set(`${def.method} ${def.path}`, def)
  }
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
}

/** What to answer: the status, the error code and the sentence. */
interface Answer {
  readonly status: number
  readonly code: string
  readonly message: string
}

/** The answer to the errors of Fastify's body parsing, undefined for any other error. */
function bodyParsingAnswer(error: FastifyError, request: FastifyRequest, action: string): Answer | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE': {
      const length = request.headers['content-length']
      const limit = request.routeOptions.bodyLimit ?? SMALL_BODY_LIMIT_BYTES
      return {
        status: 413,
        code: 'too-large',
        message: `Cannot ${action}: expected a body of at most ${limit} bytes, found ${length === undefined ? 'more' : `${length} bytes`}`,
      }
    }
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return {
        status: 415,
        code: 'unsupported-media-type',
        message: `Cannot ${action}: expected Content-Type application/json, found ${JSON.stringify(request.headers['content-type'] ?? 'none')}`,
      }
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return {
        status: 400,
        code: 'bad-input',
        message: `Cannot ${action}: expected a JSON body, found an empty body`,
      }
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return {
        status: 400,
        code: 'bad-input',
        message: `Cannot ${action}: expected a body as long as its Content-Length, found another length`,
      }
    default:
      break
  }
  if (error instanceof SyntaxError || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return {
      status: 400,
      code: 'bad-input',
      message: `Cannot ${action}: expected a JSON body, found invalid JSON (${error.message})`,
    }
  }
  if (/prototype|__proto__/i.test(error.message) && (error.statusCode ?? 500) === 400) {
    return {
      status: 400,
      code: 'bad-input',
      message: `Cannot ${action}: expected JSON without "__proto__" or "constructor.prototype" keys`,
    }
  }
  return undefined
}

/** The answer to any error; logs the server's own failures (5xx), which are bugs or outages. */
function answerOf(error: FastifyError, request: FastifyRequest): Answer {
  const action = request.routeOptions.config.action ?? 'handle the request'
  if (error instanceof LangperfError) {
    const status = HTTP_STATUS[error.code]
    if (status >= 500) request.log.error({ err: error }, error.message)
    return { status, code: error.code, message: error.message }
  }
  const parsing = bodyParsingAnswer(error, request, action)
  if (parsing !== undefined) return parsing
  const status = error.statusCode ?? 500
  if (status >= 400 && status < 500) {
    return { status, code: 'bad-input', message: `Cannot ${action}: ${error.message}` }
  }
  request.log.error({ err: error }, 'unexpected error')
  return {
    status: 500,
    code: 'internal',
    message: `Cannot ${action}: an unexpected error occurred (a bug; the server log has the details)`,
  }
}

/** The server's error handler: every error answered as the API's error body, 401s with their challenge. */
export function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const { status, code, message } = answerOf(error, request)
  if (status === 401) reply.header('www-authenticate', 'Bearer realm="langperf"')
  return reply
    .code(status)
    .type('application/json; charset=utf-8')
    .send(errorBody(status, code, message))
}

/** The server's answer to an unknown route: 404 naming the path and where the routes are listed. */
export function handleNotFound(request: FastifyRequest, reply: FastifyReply) {
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
}
