import type { VNode } from 'preact'
import { type ApiClient, ApiError, type ROUTES, type RouteOutput } from '../api/index.ts'
import type { Memo } from '../lib/index.ts'
import type { Section } from './html.tsx'
import type { Links } from './links.ts'

// What a page renders with, what it gives back, and the API answers' types by route.

/** The API answer of route `K`. */
export type Out<K extends keyof typeof ROUTES> = RouteOutput<(typeof ROUTES)[K]>

/** A run as the API lists it. */
export type Run = Out<'listRuns'>['items'][number]
/** One row of the overview. */
export type OverviewRow = Out<'overview'>['rows'][number]
/** A series of the workloads index, with its newest means, noise floor and latest change. */
export type SeriesSummary = Out<'summarizeSeries'>['items'][number]
/** An alert without its changes. */
export type Alert = Out<'listAlerts'>['items'][number]
/** One change of an alert. */
export type Change = Out<'getAlert'>['changes'][number]

/** Everything a page needs: the API (its only data source), links, and facts for the shell. */
export interface PageContext {
  readonly api: ApiClient
  readonly links: Links
  readonly version: string
  /** When a static report was generated; absent on a server. */
  readonly generatedAt?: string
  /** Whether admins can triage here (a server); a static report has no server to write to. */
  readonly canTriage: boolean
  /**
   * Memory kept across requests: of facts that never change once written (the workload means of a
   * complete run), and of what is derived from the store at a state it names (the overview's rows
   * at its runsState); absent: nothing is remembered.
   */
  readonly memo?: Memo
}

/** The memory pages keep across requests (lib/memo.ts). */
export { Memo } from '../lib/index.ts'

/** A rendered page: its status, title, place in the navigation and content. */
export interface PageResult {
  readonly status: number
  readonly title: string
  readonly section: Section
  readonly body: VNode
}

/** True when `error` is the API answering 404 (a run, alert, machine… that does not exist). */
export function isNotFound(error: unknown): error is ApiError {
  return error instanceof ApiError && error.statusCode === 404
}

/** The message of an API error the page can show (a 4xx), or undefined for anything else. */
export function clientErrorMessage(error: unknown): string | undefined {
  if (error instanceof ApiError && error.statusCode >= 400 && error.statusCode < 500) return error.message
  return undefined
}

/** Every page of a paginated listing (bounded by `max` items), fetched 1000 at a time. */
export async function allPages<T>(
  fetchPage: (
    offset: number,
    limit: number,
  ) => Promise<{ readonly items: readonly T[]; readonly total: number }>,
  max = 10_000,
): Promise<T[]> {
  const out: T[] = []
  for (let offset = 0; offset < max; offset += 1000) {
    const page = await fetchPage(offset, Math.min(1000, max - offset))
    out.push(...page.items)
    if (page.items.length === 0 || out.length >= page.total) break
  }
  return out
}

/** A run as far as compareFinished needs it: its id and status. */
interface RunStatus {
  readonly id: number
  readonly status: string
}

/**
 * The API's comparison of two runs by id. When both are finished (not running) it is remembered
 * in `ctx.memo`: the store refuses results for a finished run, so their comparison does not
 * change (the reasoning of the server's OverviewMemo).
 */
export async function compareFinished(
  ctx: PageContext,
  base: RunStatus,
  candidate: RunStatus,
  options: { readonly allowVersionMismatch?: boolean } = {},
): Promise<Out<'compare'>> {
  const read = () =>
    ctx.api.compare({
      query: {
        base: String(base.id),
        candidate: String(candidate.id),
        ...(options.allowVersionMismatch ? { allowVersionMismatch: true } : {}),
      },
    })
  const finished = base.status !== 'running' && candidate.status !== 'running'
  if (ctx.memo === undefined || !finished) return read()
  return ctx.memo.get(`compare:${base.id}:${candidate.id}:${options.allowVersionMismatch === true}`, read)
}
