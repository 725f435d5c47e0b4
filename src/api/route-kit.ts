import { z } from 'zod'

// What every route of the HTTP API is made of (routes.ts, alert-routes.ts, farm.ts): who may call
// it, how its body arrives, its definition as data, and the query parameters several share.

/** Who may call a route: anyone, or a bearer token of at least this role. */
export const ROUTE_AUTH = ['public', 'agent', 'admin'] as const
/** One of ROUTE_AUTH. */
export type RouteAuth = (typeof ROUTE_AUTH)[number]

/**
 * How a route's body arrives: none; JSON validated against `body` by the framework; or an
 * uploaded document (a langperf-run or pyperf file, plain or gzip) that the server decodes and
 * validates itself, so that size, encoding and content problems each get their own message.
 */
export type BodyKind = 'none' | 'json' | 'langperf-run' | 'pyperf'

/** One route of the API. */
export interface RouteDefinition {
  readonly method: 'GET' | 'POST' | 'DELETE'
  /** Fastify-style path with `:param` placeholders, under /api/v1. */
  readonly path: string
  /** The action, for error messages: "Cannot <action>: …". */
  readonly action: string
  readonly summary: string
  readonly description?: string
  readonly tag: string
  readonly auth: RouteAuth
  readonly params?: z.ZodObject
  readonly query?: z.ZodObject
  readonly bodyKind: BodyKind
  /** The JSON body's schema (for `json`, and for documentation of `pyperf`). */
  readonly body?: z.ZodType
  /** Status of a success. */
  readonly status: 200 | 201
  /**
   * What a success answers: JSON (the default) or plain text in `response` (a string: collapsed
   * stacks that flame graph tools read), which the typed client returns as it came.
   */
  readonly responseType?: 'json' | 'text'
  readonly response: z.ZodType
  /**
   * Whether the server validates and serializes the response through `response`. Off for routes
   * whose answers can hold thousands of points or samples: a zod response schema checks every
   * element, which would cost more than the query.
   */
  readonly validateResponse: boolean
}

/** Keeps a route's literal type while checking it against RouteDefinition. */
export function route<const R extends RouteDefinition>(r: R): R {
  return r
}

export const Text = z.string().min(1).max(200)

/** A calendar date, `YYYY-MM-DD` (UTC). */
export const DateText = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date like 2024-05-01')
  .refine((v) => !Number.isNaN(Date.parse(`${v}T00:00:00Z`)), 'expected a real date')

/** A query parameter that may repeat (`?status=a&status=b`): one value or a list, read as a list. */
export function Repeated<T extends z.ZodType>(item: T) {
  return z
    .union([item, z.array(item).max(50)])
    .optional()
    .transform((v) => (v === undefined ? undefined : Array.isArray(v) ? v : [v]))
}
