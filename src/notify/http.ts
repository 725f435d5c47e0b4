import { type AttemptOutcome, parseRetryAfterMs, RETRY_DEFAULTS } from './transport.ts'

// One HTTP request with a timeout, its failure told as a reason and a retry decision rather than
// thrown. Used by the webhook and GitHub transports; Node 20's global fetch (undici) does the work.

/** A response with its body read as text. */
export interface HttpResponse {
  readonly status: number
  readonly headers: Headers
  readonly body: string
}

/** A request: method, URL, headers and an optional JSON body. */
export interface HttpRequest {
  readonly method: 'GET' | 'POST'
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
  readonly json?: unknown
  /** How the request is named in reasons, e.g. `POST https://hooks.example.org/…`; never holds a secret. */
  readonly label: string
}

/** The longest piece of a response body quoted in a reason. */
const BODY_QUOTE_MAX_CHARS = 200

/**
 * Sends `request`, aborting it after `timeoutMs`; a network error or timeout is a retryable
 * failure, any response a success (its status is judged by `judgeStatus`).
 */
export async function httpRequest(
  request: HttpRequest,
  options: { readonly timeoutMs?: number } = {},
): Promise<AttemptOutcome<HttpResponse>> {
  const timeoutMs = options.timeoutMs ?? RETRY_DEFAULTS.timeoutMs
  try {
    const response = await fetch(request.url, {
      method: request.method,
      headers: {
        ...request.headers,
        ...(request.json === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }),
      },
      ...(request.json === undefined ? {} : { body: JSON.stringify(request.json) }),
      // Covers the body as well as the headers: a receiver that stalls mid-body times out too.
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'manual',
    })
    const body = await response.text()
    return { ok: true, value: { status: response.status, headers: response.headers, body } }
  } catch (error) {
    return {
      ok: false,
      reason: `${request.label} failed: ${networkReason(error, timeoutMs)}`,
      retryable: true,
    }
  }
}

/**
 * Judges a response's status: 2xx succeeds; 408, 429 and 5xx (but 501 and 505, which will not
 * change) may succeed later and carry their Retry-After; any other status fails for good.
 */
export function judgeStatus(
  response: HttpResponse,
  label: string,
  nowMs: number,
  explain: (response: HttpResponse) => string = bodyQuote,
): AttemptOutcome<HttpResponse> {
  const s = response.status
  if (s >= 200 && s < 300) return { ok: true, value: response }
  const reason = `${label} answered HTTP ${s}${explain(response)}`
  const retryable = s === 408 || s === 429 || (s >= 500 && s !== 501 && s !== 505)
  if (!retryable) return { ok: false, reason, retryable, status: s }
  const retryAfterMs = parseRetryAfterMs(response.headers.get('retry-after'), nowMs)
  return retryAfterMs === undefined
    ? { ok: false, reason, retryable, status: s }
    : { ok: false, reason, retryable, status: s, retryAfterMs }
}

/** `: "no_service"`: the start of a response body, on one line, for a reason. */
export function bodyQuote(response: HttpResponse): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters must not reach a terminal
  const text = response.body.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim()
  if (text === '') return ''
  return `: "${text.length > BODY_QUOTE_MAX_CHARS ? `${text.slice(0, BODY_QUOTE_MAX_CHARS)}…` : text}"`
}

/** Why a fetch threw, in words: timed out, connection refused, name not found, … */
function networkReason(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return `no answer within ${timeoutMs} ms`
  }
  const cause =
    error instanceof Error ? (error.cause as { code?: unknown; message?: unknown } | undefined) : undefined
  const code = typeof cause?.code === 'string' ? cause.code : undefined
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused (nothing listens there)'
    case 'ECONNRESET':
      return 'connection reset by the receiver'
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host name not found'
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'the receiver stopped answering'
    default: {
      const detail =
        typeof cause?.message === 'string'
          ? cause.message
          : error instanceof Error
            ? error.message
            : String(error)
      return code === undefined ? detail : `${detail} (${code})`
    }
  }
}
