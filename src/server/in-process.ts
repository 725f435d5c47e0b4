import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import {
  type ApiClient,
  createApiClient,
  queryString,
  ROUTE_NAMES,
  ROUTES,
  type RouteDefinition,
} from '../api/index.ts'
import { frozenJson } from '../lib/index.ts'
import type { Handlers } from './handlers.ts'
import type { HandlerCall } from './types.ts'

// The dashboard's API client inside the server. Going through `app.inject` for every page read
// costs as much as the read itself on large answers (a 1,825-point series: the request emulated,
// the answer written to JSON, copied as bytes twice and parsed again). A public GET is answered
// by calling its handler directly, with what the HTTP path would do around it kept: the query
// and path parameters checked by the route's schemas as Fastify would receive them (strings,
// repeated keys as arrays), the answer encoded by the response schema when the route checks it,
// and the answer exactly what a client would parse, frozen (frozenJson: the handler's own object
// when JSON would carry it unchanged, else a JSON copy; so a page can never change what a memo
// keeps, and a 1,825-point answer is not copied, which cost as much as reading it). Everything
// else (writes, routes behind a token), and any error, goes through `app.inject`, so an error
// answers exactly as over HTTP.

interface CallInput {
  readonly params?: Record<string, unknown>
  readonly query?: Record<string, unknown>
  readonly body?: unknown
  readonly gzip?: boolean
}

/**
 * An ApiClient over `app` that calls public GET handlers directly and every other route through
 * `app.inject`. Errors of either path are the HTTP path's (ApiError with its status and code).
 */
export function inProcessApi(app: FastifyInstance, handlers: Handlers): ApiClient {
  const viaHttp = createApiClient('http://in-process', { fetch: injectFetch(app) }) as unknown as Record<
    string,
    (input?: CallInput) => Promise<unknown>
  >
  const client: Record<string, (input?: CallInput) => Promise<unknown>> = {}
  for (const name of ROUTE_NAMES) {
    const def: RouteDefinition = ROUTES[name]
    const overHttp = viaHttp[name]
    if (overHttp === undefined) continue
    if (def.method !== 'GET' || def.auth !== 'public' || def.responseType === 'text') {
      client[name] = overHttp
      continue
    }
    const handler = handlers[name] as unknown as (input: HandlerCall) => Promise<unknown>
    client[name] = async (input: CallInput = {}) => {
      const direct = await callDirectly(app, def, handler, input)
      // Any refusal or failure: asked again over HTTP, whose answer (status, code, sentence) is the API's.
      return direct.ok ? direct.value : overHttp(input)
    }
  }
  return client as unknown as ApiClient
}

/** The handler's answer as a client would parse it, or not ok when anything went wrong. */
async function callDirectly(
  app: FastifyInstance,
  def: RouteDefinition,
  handler: (input: HandlerCall) => Promise<unknown>,
  input: CallInput,
): Promise<{ readonly ok: true; readonly value: unknown } | { readonly ok: false }> {
  const params = def.params === undefined ? {} : def.params.safeParse(asReceived(input.params ?? {}))
  const query = def.query === undefined ? {} : def.query.safeParse(asReceived(input.query ?? {}, true))
  if ('success' in params && !params.success) return { ok: false }
  if ('success' in query && !query.success) return { ok: false }
  try {
    const result = await handler({
      params: 'data' in params ? params.data : {},
      query: 'data' in query ? query.data : {},
      body: undefined,
      headers: {},
      token: null,
      app,
    })
    const encoded = def.validateResponse
      ? z.safeEncode(def.response, result)
      : { success: true, data: result }
    if (!encoded.success) return { ok: false }
    return { ok: true, value: frozenJson(encoded.data) }
  } catch {
    return { ok: false }
  }
}

/**
 * Values as Fastify hands them to the validator: path parameters as strings; a query string's
 * keys as strings, a repeated key as an array of them (what `queryString` sends, parsed back).
 */
function asReceived(values: Readonly<Record<string, unknown>>, isQuery = false): Record<string, unknown> {
  if (!isQuery) {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(values)) if (v !== undefined && v !== null) out[k] = String(v)
    return out
  }
  const out: Record<string, string | string[]> = {}
  for (const [k, v] of new URLSearchParams(queryString(values).slice(1))) {
    const had = out[k]
    out[k] = had === undefined ? v : Array.isArray(had) ? [...had, v] : [had, v]
  }
  return out
}

/** A fetch answered by `app.inject`: the in-process transport of the dashboard's API client. */
export function injectFetch(app: FastifyInstance): typeof fetch {
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
