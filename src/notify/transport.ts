import type { NotifyMessage } from './machine-message.ts'

// What every transport shares: the result type (a delivery is a result, never a throw), the
// retry loop with exponential backoff that honours Retry-After, and the redaction that keeps
// secrets (webhook URLs, tokens, passwords) out of every reason a result carries.

/** The kinds of notification target, as `[[notify]] kind` names them. */
export const TRANSPORT_KINDS = ['webhook', 'email', 'github'] as const
/** One of TRANSPORT_KINDS. */
export type TransportKind = (typeof TRANSPORT_KINDS)[number]

/** How one send ended: delivered (with what the receiver said), or failed with a reason. */
export type DeliveryResult =
  | {
      readonly state: 'delivered'
      readonly target: string
      readonly kind: TransportKind
      readonly attempts: number
      /** What the receiver said, e.g. `HTTP 200`, `created issue #12`, `already reported in issue #12`. */
      readonly detail: string
      /** Where the message can be seen, when the receiver says (an issue or comment page). */
      readonly url: string | null
    }
  | {
      readonly state: 'failed'
      readonly target: string
      readonly kind: TransportKind
      readonly attempts: number
      /** Why, for people; never holds a secret. */
      readonly reason: string
      /** Whether sending the same message later may succeed (a timeout, 5xx, 429) or not (4xx, bad config). */
      readonly retryable: boolean
    }

/** Something that delivers alert messages (about a commit range or a machine) to one configured target. */
export interface Transport {
  readonly name: string
  readonly kind: TransportKind
  /** Sends one message; resolves with the result, never rejects. */
  send(message: NotifyMessage): Promise<DeliveryResult>
}

/** Retry and timeout settings shared by the HTTP transports; the world (clock, sleep) injectable. */
export interface RetryOptions {
  /** Each HTTP request is aborted after this long (default 10 000). */
  readonly timeoutMs?: number
  /** Attempts in all, the first included (default 4). */
  readonly maxAttempts?: number
  /** First backoff; doubled after each failed attempt (default 1000). */
  readonly backoffMs?: number
  /** Longest wait between attempts; a Retry-After above it ends the retries (default 60 000). */
  readonly maxDelayMs?: number
  /** Waits `ms`; tests pass one that records the delay and returns at once. */
  readonly sleep?: (ms: number) => Promise<void>
  /** Milliseconds since the epoch, for Retry-After dates (default Date.now). */
  readonly now?: () => number
}

/** Defaults of RetryOptions. */
export const RETRY_DEFAULTS = {
  timeoutMs: 10_000,
  maxAttempts: 4,
  backoffMs: 1000,
  maxDelayMs: 60_000,
} as const

/** One attempt's outcome inside the retry loop. */
export type AttemptOutcome<T> =
  | { readonly ok: true; readonly value: T }
  | {
      readonly ok: false
      readonly reason: string
      readonly retryable: boolean
      /** The receiver's Retry-After, in milliseconds from now, when it gave one. */
      readonly retryAfterMs?: number
      /** The HTTP status, when there was a response. */
      readonly status?: number
    }

/** The final outcome of the retry loop, with the number of attempts made. */
export type RetryOutcome<T> =
  | { readonly ok: true; readonly value: T; readonly attempts: number }
  | { readonly ok: false; readonly reason: string; readonly retryable: boolean; readonly attempts: number }

/**
 * Runs `attempt` until it succeeds, fails for good, or the attempts run out; between attempts
 * waits the receiver's Retry-After when given (RFC 9110, section 10.2.3), else an exponential
 * backoff (`backoffMs`, doubled each time, capped at `maxDelayMs`).
 */
export async function withRetries<T>(
  attempt: (n: number) => Promise<AttemptOutcome<T>>,
  options: RetryOptions = {},
): Promise<RetryOutcome<T>> {
  const maxAttempts = options.maxAttempts ?? RETRY_DEFAULTS.maxAttempts
  const backoffMs = options.backoffMs ?? RETRY_DEFAULTS.backoffMs
  const maxDelayMs = options.maxDelayMs ?? RETRY_DEFAULTS.maxDelayMs
  const sleep = options.sleep ?? defaultSleep
  for (let n = 1; ; n++) {
    const outcome = await attempt(n)
    if (outcome.ok) return { ok: true, value: outcome.value, attempts: n }
    if (!outcome.retryable || n >= maxAttempts) {
      const tries = n > 1 ? ` (after ${n} attempts)` : ''
      return { ok: false, reason: `${outcome.reason}${tries}`, retryable: outcome.retryable, attempts: n }
    }
    const delayMs = outcome.retryAfterMs ?? Math.min(backoffMs * 2 ** (n - 1), maxDelayMs)
    if (delayMs > maxDelayMs) {
      return {
        ok: false,
        reason: `${outcome.reason}; the receiver asked to retry after ${Math.ceil(delayMs / 1000)} s, longer than the ${Math.ceil(maxDelayMs / 1000)} s this sender waits`,
        retryable: true,
        attempts: n,
      }
    }
    await sleep(delayMs)
  }
}

/**
 * A Retry-After header value in milliseconds from `nowMs`: delay-seconds or an HTTP-date
 * (RFC 9110, section 10.2.3); undefined when absent or malformed; never negative.
 */
export function parseRetryAfterMs(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined
  const text = value.trim()
  if (/^\d+$/.test(text)) return Number(text) * 1000
  const at = Date.parse(text)
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs)
}

/** Replaces every secret (of 4 characters or more) in `text` with `[redacted]`. */
export function redact(text: string, secrets: readonly (string | null | undefined)[]): string {
  let out = text
  for (const secret of secrets) {
    if (secret === null || secret === undefined || secret.length < 4) continue
    out = out.replaceAll(secret, '[redacted]')
    // A secret may appear URL-encoded (a webhook URL inside an error's own URL, say).
    const encoded = encodeURIComponent(secret)
    if (encoded !== secret) out = out.replaceAll(encoded, '[redacted]')
  }
  return out
}

/** The scheme, host and port of a URL, which name a receiver without its secret path or query. */
export function originOf(url: string): string {
  try {
    return new URL(url).origin
  } catch {
    return '(an invalid URL)'
  }
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
