import type { z } from 'zod'
import { ApiError } from './errors.ts'
import { ROUTE_NAMES, ROUTES, type RouteDefinition } from './routes.ts'

// A typed client for the HTTP API, one method per route of ROUTES, usable in Node (global fetch,
// Node ≥ 18) and in the browser alike: it imports nothing Node-only.
//
//   const api = createApiClient('http://127.0.0.1:8080', { token: process.env.LANGPERF_TOKEN })
//   const page = await api.listRuns({ query: { machine: 'bench-1', limit: 10 } })
//   const { runs } = await api.ingestRun({ body: document })

type ParamsPart<R> = R extends { readonly params: infer P extends z.ZodType }
  ? { params: z.input<P> }
  : unknown
type QueryPart<R> = R extends { readonly query: infer Q extends z.ZodType }
  ? object extends z.input<Q>
    ? { query?: z.input<Q> }
    : { query: z.input<Q> }
  : unknown
type BodyPart<R> = R extends { readonly bodyKind: 'pyperf' }
  ? {
      /** The pyperf file's text or bytes. */
      body: string | Uint8Array
      /** The bytes are gzip: sent with `Content-Encoding: gzip`. */
      gzip?: boolean
    }
  : R extends { readonly bodyKind: 'json' | 'langperf-run'; readonly body: infer B extends z.ZodType }
    ? { body: z.input<B> }
    : unknown

/** What a route's client method takes: path parameters, query and body, as the route declares. */
export type RouteInput<R> = ParamsPart<R> & QueryPart<R> & BodyPart<R>
/** What a route's client method resolves to. */
export type RouteOutput<R> = R extends { readonly response: infer S extends z.ZodType } ? z.output<S> : never

type Args<I> = object extends I ? [input?: I] : [input: I]

/** The typed client: one method per route. */
export type ApiClient = {
  readonly [K in keyof typeof ROUTES]: (
    ...args: Args<RouteInput<(typeof ROUTES)[K]>>
  ) => Promise<RouteOutput<(typeof ROUTES)[K]>>
}

/** Options of createApiClient. */
export interface ApiClientOptions {
  /** Bearer token for the routes that need one. */
  readonly token?: string
  /** The fetch to use; the global one when absent. */
  readonly fetch?: typeof fetch
}

/** Fills `:name` placeholders of a route path, each value URI-encoded. */
export function fillPath(path: string, params: Readonly<Record<string, unknown>> = {}): string {
  return path.replace(/:([A-Za-z_]\w*)/g, (_m, name: string) => {
    const value = params[name]
    if (value === undefined || value === null)
      throw new TypeError(`Missing path parameter "${name}" for ${path}`)
    return encodeURIComponent(String(value))
  })
}

/** The query string of `query` (`?a=1&tag=x&tag=y`), or '' when empty; undefined values left out. */
export function queryString(query: Readonly<Record<string, unknown>> = {}): string {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue
    for (const v of Array.isArray(value) ? value : [value]) params.append(key, String(v))
  }
  const text = params.toString()
  return text === '' ? '' : `?${text}`
}

interface CallInput {
  readonly params?: Record<string, unknown>
  readonly query?: Record<string, unknown>
  readonly body?: unknown
  readonly gzip?: boolean
}

/**
 * A client for the API at `baseUrl` (e.g. `http://127.0.0.1:8080`). Errors answer with ApiError
 * carrying the status, code and message of the server.
 */
export function createApiClient(baseUrl: string, options: ApiClientOptions = {}): ApiClient {
  const root = baseUrl.replace(/\/+$/, '')
  const doFetch = options.fetch ?? globalThis.fetch
  async function call(def: RouteDefinition, input: CallInput): Promise<unknown> {
    const headers: Record<string, string> = { accept: 'application/json' }
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`
    let body: string | Uint8Array | undefined
    if (def.bodyKind === 'pyperf') {
      body = input.body as string | Uint8Array
      headers['content-type'] = 'application/json'
      if (input.gzip === true) headers['content-encoding'] = 'gzip'
    } else if (def.bodyKind !== 'none') {
      body = JSON.stringify(input.body)
      headers['content-type'] = 'application/json'
    }
    const url = `${root}${fillPath(def.path, input.params)}${queryString(input.query)}`
    const init: NonNullable<Parameters<typeof fetch>[1]> = { method: def.method, headers }
    if (body !== undefined) init.body = body as NonNullable<typeof init.body>
    const response = await doFetch(url, init)
    const text = await response.text()
    if (response.ok && def.responseType === 'text') return text
    let parsed: unknown
    try {
      parsed = text === '' ? undefined : JSON.parse(text)
    } catch {
      parsed = undefined
    }
    if (!response.ok) {
      const err = (parsed ?? {}) as { code?: unknown; message?: unknown }
      throw new ApiError(
        response.status,
        typeof err.code === 'string' ? err.code : `http-${response.status}`,
        typeof err.message === 'string' ? err.message : `${def.method} ${url} answered ${response.status}`,
      )
    }
    return parsed
  }
  const client: Record<string, (input?: CallInput) => Promise<unknown>> = {}
  for (const name of ROUTE_NAMES) {
    const def: RouteDefinition = ROUTES[name]
    client[name] = (input: CallInput = {}) => call(def, input)
  }
  return client as unknown as ApiClient
}
