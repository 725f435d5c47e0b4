import { bodyQuote, type HttpResponse, httpRequest, judgeStatus } from './http.ts'
import { machineAlertMarker, type NotifyMessage } from './machine-message.ts'
import { renderMarkdown } from './render.ts'
import {
  type AttemptOutcome,
  type DeliveryResult,
  type RetryOptions,
  redact,
  type Transport,
  withRetries,
} from './transport.ts'

// The GitHub transport, over the REST API (docs.github.com/en/rest, API version 2022-11-28):
// - culprit known: a comment on that commit (POST /repos/{owner}/{repo}/commits/{sha}/comments);
//   when the commit is not in the repository (404/422) it falls back to an issue;
// - otherwise an issue (POST /repos/{owner}/{repo}/issues).
// Idempotent: the body carries `<!-- langperf-alert:ID -->`, and before creating anything the
// transport looks for that marker among the commit's comments or the repository's open issues,
// so a re-run (or a retry after a timeout that did create) does not post twice.

/** Settings of a GitHub transport. */
export interface GithubSettings {
  /** The target's name, as in `[[notify]] name`. */
  readonly name: string
  /** `owner/name`. */
  readonly repo: string
  /** The token (a secret: sent only in the Authorization header). */
  readonly token: string
  /** REST API base, default https://api.github.com; tests point it at a local server. */
  readonly apiUrl?: string
}

/** Options of the GitHub transport: retries, and how many pages of open issues to search. */
export interface GithubOptions extends RetryOptions {
  /** Pages of 100 open issues searched for the marker, newest first (default 10). */
  readonly maxIssuePages?: number
}

/** The API version this transport was written against (sent as X-GitHub-Api-Version). */
export const GITHUB_API_VERSION = '2022-11-28'
/** GitHub refuses issue titles longer than this (a 422 "title is too long"). */
const TITLE_MAX_CHARS = 256
const PAGE_SIZE = 100

/** What an operator should check for the statuses a misconfiguration gives. */
const STATUS_HINTS: Readonly<Record<number, string>> = {
  401: 'the token was refused: check that the environment variable holds a valid token',
  403: 'the token may lack permission to write issues or comments on this repository',
  404: 'the repository does not exist or the token cannot see it',
  410: 'issues are turned off on this repository',
}

/** The marker that identifies an alert's issue or comment: `<!-- langperf-alert:42 -->`. */
export function alertMarker(alertId: number): string {
  return `<!-- langperf-alert:${alertId} -->`
}

type Posted = { readonly detail: string; readonly url: string | null }

/**
 * A transport that opens an issue, or comments on the culprit commit, for each alert; at most
 * once per alert (see alertMarker).
 * @example createGithubTransport({ name: 'gh', repo: 'python/cpython', token: env.GITHUB_TOKEN ?? '' })
 */
export function createGithubTransport(settings: GithubSettings, options: GithubOptions = {}): Transport {
  const base = { target: settings.name, kind: 'github' as const }
  const repo: GithubRepo = {
    call: githubCaller(settings, options),
    path: `/repos/${settings.repo.split('/').map(encodeURIComponent).join('/')}`,
    maxPages: options.maxIssuePages ?? 10,
  }
  return {
    name: settings.name,
    kind: 'github',
    async send(message: NotifyMessage): Promise<DeliveryResult> {
      const machine = message.kind === 'machine-silent'
      const marker = machine ? machineAlertMarker(message.machineAlertId) : alertMarker(message.alertId)
      const body = `${marker}\n${renderMarkdown(message)}`
      const culprit = machine ? null : message.blame.culprit
      const outcome = await withRetries(async (): Promise<AttemptOutcome<Posted>> => {
        if (culprit !== null && /^[0-9a-f]{7,64}$/i.test(culprit.sha)) {
          const commented = await postCommitComment(repo, culprit.sha, body, marker)
          if (!commented.ok || commented.value !== null) return commented as AttemptOutcome<Posted>
        }
        return postIssue(repo, { title: message.title, marker }, body)
      }, options)
      if (outcome.ok) {
        return { ...base, state: 'delivered', attempts: outcome.attempts, ...outcome.value }
      }
      return {
        ...base,
        state: 'failed',
        attempts: outcome.attempts,
        reason: redact(
          `Cannot post ${machine ? 'machine alert' : 'alert'} ${machine ? message.machineAlertId : message.alertId} to ${settings.repo}: ${outcome.reason}`,
          [settings.token],
        ),
        retryable: outcome.retryable,
      }
    },
  }
}

/** One API call, its status judged. */
type GithubCall = (
  method: 'GET' | 'POST',
  path: string,
  json?: unknown,
) => Promise<AttemptOutcome<HttpResponse>>

/** The repository as the transport talks to it: the API call, the repository's path, pages of issues to search. */
interface GithubRepo {
  readonly call: GithubCall
  readonly path: string
  readonly maxPages: number
}

/** The API call of `settings`: GitHub's headers; GitHub's JSON error `message` quoted in reasons, with a hint. */
function githubCaller(settings: GithubSettings, options: GithubOptions): GithubCall {
  const api = (settings.apiUrl ?? 'https://api.github.com').replace(/\/+$/, '')
  const now = options.now ?? Date.now
  const headers = {
    accept: 'application/vnd.github+json',
    authorization: `Bearer ${settings.token}`,
    'x-github-api-version': GITHUB_API_VERSION,
    // GitHub refuses requests without a User-Agent.
    'user-agent': 'langperf',
  }
  return async (method, path, json) => {
    const label = `${method} ${path}`
    const sent = await httpRequest(
      { method, url: `${api}${path}`, headers, ...(json === undefined ? {} : { json }), label },
      options,
    )
    if (!sent.ok) return sent
    const judged = judgeStatus(sent.value, label, now(), githubExplain)
    if (judged.ok) return judged
    const limited = rateLimited(judged, sent.value, now())
    if (limited !== undefined) return limited
    const hint = STATUS_HINTS[sent.value.status]
    return hint === undefined ? judged : { ...judged, reason: `${judged.reason} (${hint})` }
  }
}

/**
 * A spent rate limit is a 403 (or 429) with x-ratelimit-remaining: 0 and a reset time in epoch
 * seconds, or a Retry-After (docs.github.com, "Rate limits for the REST API"): wait, don't give
 * up. The failure made retryable, undefined for any other failure.
 */
function rateLimited<F extends { readonly ok: false }>(
  judged: F,
  response: HttpResponse,
  nowMs: number,
): (F & { retryable: true; retryAfterMs?: number }) | undefined {
  const { status, headers: h } = response
  if (status !== 403 && status !== 429) return undefined
  const retryAfter = h.get('retry-after')
  if (retryAfter !== null && /^\d+$/.test(retryAfter.trim())) {
    return { ...judged, retryable: true, retryAfterMs: Number(retryAfter) * 1000 }
  }
  if (h.get('x-ratelimit-remaining') !== '0') return undefined
  const resetMs = Number(h.get('x-ratelimit-reset')) * 1000
  return Number.isFinite(resetMs)
    ? { ...judged, retryable: true, retryAfterMs: Math.max(0, resetMs - nowMs) }
    : { ...judged, retryable: true }
}

/** The open issue whose body holds the marker, if any. */
async function findIssue(repo: GithubRepo, marker: string): Promise<AttemptOutcome<Posted | null>> {
  for (let page = 1; page <= repo.maxPages; page++) {
    const listed = await repo.call(
      'GET',
      `${repo.path}/issues?state=open&sort=created&direction=desc&per_page=${PAGE_SIZE}&page=${page}`,
    )
    if (!listed.ok) return listed
    const items = parseArray(listed.value.body)
    for (const item of items) {
      // The issues list includes pull requests; only issues count.
      if (item.pull_request === undefined && typeof item.body === 'string' && item.body.includes(marker)) {
        return {
          ok: true,
          value: { detail: `already reported in issue #${String(item.number)}`, url: str(item.html_url) },
        }
      }
    }
    if (items.length < PAGE_SIZE) break
  }
  return { ok: true, value: null }
}

/** The alert's issue: the one already open with its marker, else a new one. */
async function postIssue(
  repo: GithubRepo,
  message: { readonly title: string; readonly marker: string },
  body: string,
): Promise<AttemptOutcome<Posted>> {
  const found = await findIssue(repo, message.marker)
  if (!found.ok || found.value !== null) return found as AttemptOutcome<Posted>
  const title =
    message.title.length > TITLE_MAX_CHARS ? `${message.title.slice(0, TITLE_MAX_CHARS - 1)}…` : message.title
  const created = await repo.call('POST', `${repo.path}/issues`, { title, body })
  if (!created.ok) return created
  const issue = parseObject(created.value.body)
  return { ok: true, value: { detail: `created issue #${String(issue.number)}`, url: str(issue.html_url) } }
}

/** A comment on the culprit; null when the commit is not in the repository (so an issue is opened). */
async function postCommitComment(
  repo: GithubRepo,
  sha: string,
  body: string,
  marker: string,
): Promise<AttemptOutcome<Posted | null>> {
  const path = `${repo.path}/commits/${encodeURIComponent(sha)}/comments`
  const listed = await repo.call('GET', `${path}?per_page=${PAGE_SIZE}`)
  if (!listed.ok) return isMissingCommit(listed) ? { ok: true, value: null } : listed
  const existing = parseArray(listed.value.body).find(
    (c) => typeof c.body === 'string' && c.body.includes(marker),
  )
  if (existing !== undefined) {
    return {
      ok: true,
      value: { detail: `already commented on ${sha.slice(0, 10)}`, url: str(existing.html_url) },
    }
  }
  const created = await repo.call('POST', path, { body })
  if (!created.ok) return isMissingCommit(created) ? { ok: true, value: null } : created
  return {
    ok: true,
    value: {
      detail: `commented on ${sha.slice(0, 10)}`,
      url: str(parseObject(created.value.body).html_url),
    },
  }
}

/** GitHub answers 404 for an unknown SHA and 422 ("No commit found for SHA") for some others. */
function isMissingCommit(outcome: { readonly status?: number }): boolean {
  return outcome.status === 404 || outcome.status === 422
}

/** `: "Bad credentials"`: GitHub's JSON error message, else the body's start. */
function githubExplain(response: HttpResponse): string {
  try {
    const parsed = JSON.parse(response.body) as { message?: unknown }
    if (typeof parsed.message === 'string') return bodyQuote({ ...response, body: parsed.message })
  } catch {
    // Not JSON: quote the text itself.
  }
  return bodyQuote(response)
}

function parseArray(body: string): Record<string, unknown>[] {
  try {
    const parsed: unknown = JSON.parse(body)
    return Array.isArray(parsed)
      ? parsed.filter((x): x is Record<string, unknown> => x !== null && typeof x === 'object')
      : []
  } catch {
    return []
  }
}

function parseObject(body: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(body)
    return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {}
  } catch {
    return {}
  }
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null
}
