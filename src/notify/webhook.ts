import { httpRequest, judgeStatus } from './http.ts'
import type { NotifyMessage } from './machine-message.ts'
import { renderSlack } from './render.ts'
import {
  type DeliveryResult,
  originOf,
  type RetryOptions,
  redact,
  type Transport,
  withRetries,
} from './transport.ts'

// The webhook transport: POSTs the Slack-compatible payload (`text` + `blocks`) to an incoming
// webhook URL (Slack, Mattermost, and most chat tools that accept Slack's format). The URL is
// itself a secret (Slack's carries the token in its path), so reasons name only its origin.

/** Settings of a webhook transport. */
export interface WebhookSettings {
  /** The target's name, as in `[[notify]] name`. */
  readonly name: string
  /** The incoming-webhook URL (a secret: never logged, never in a reason). */
  readonly url: string
}

/**
 * A transport that POSTs `renderSlack(message)` as JSON to `settings.url`; 5xx, 408 and 429 are
 * retried with backoff (Retry-After honoured), other 4xx fail at once.
 * @example await createWebhookTransport({ name: 'chat', url: process.env.HOOK_URL ?? '' }).send(message)
 */
export function createWebhookTransport(settings: WebhookSettings, options: RetryOptions = {}): Transport {
  const now = options.now ?? Date.now
  const label = `POST ${originOf(settings.url)}/…`
  const base = { target: settings.name, kind: 'webhook' as const }
  return {
    name: settings.name,
    kind: 'webhook',
    async send(message: NotifyMessage): Promise<DeliveryResult> {
      if (!/^https?:\/\//i.test(settings.url)) {
        return {
          ...base,
          state: 'failed',
          attempts: 0,
          reason: `Cannot send to ${JSON.stringify(settings.name)}: expected an http(s) webhook URL`,
          retryable: false,
        }
      }
      const payload = renderSlack(message)
      const outcome = await withRetries(async () => {
        const sent = await httpRequest(
          { method: 'POST', url: settings.url, headers: { 'user-agent': 'langperf' }, json: payload, label },
          options,
        )
        return sent.ok ? judgeStatus(sent.value, label, now()) : sent
      }, options)
      if (outcome.ok) {
        return {
          ...base,
          state: 'delivered',
          attempts: outcome.attempts,
          detail: `HTTP ${outcome.value.status}`,
          url: null,
        }
      }
      return {
        ...base,
        state: 'failed',
        attempts: outcome.attempts,
        // The secret is the path and query; the origin alone names the receiver.
        reason: redact(outcome.reason, [pathOf(settings.url)]),
        retryable: outcome.retryable,
      }
    },
  }
}

function pathOf(url: string): string | null {
  try {
    const u = new URL(url)
    return u.pathname.length > 1 ? `${u.pathname}${u.search}` : null
  } catch {
    return null
  }
}
