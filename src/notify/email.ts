import type { ConnectionOptions } from 'node:tls'
import nodemailer from 'nodemailer'
import type { SmtpSecurity } from '../model/index.ts'
import type { NotifyMessage } from './machine-message.ts'
import { renderEmail } from './render.ts'
import { type DeliveryResult, redact, type Transport } from './transport.ts'

// The e-mail transport: one multipart/alternative message (text + HTML) per alert over SMTP,
// sent by nodemailer. One attempt per send: the SMTP server queues and retries delivery itself,
// and a result says whether trying again later may help (4xx replies, lost connections) or not
// (5xx replies, refused logins, TLS failures).

/** Settings of an e-mail transport. */
export interface EmailSettings {
  /** The target's name, as in `[[notify]] name`. */
  readonly name: string
  readonly host: string
  readonly port: number
  /** `starttls` (upgrade or fail), `tls` (TLS from the start) or `none` (no encryption). */
  readonly security: SmtpSecurity
  readonly from: string
  readonly to: readonly string[]
  /** SMTP login; null: no authentication. */
  readonly username: string | null
  /** A secret: never logged, never in a reason. */
  readonly password: string | null
}

/** Options of the e-mail transport. */
export interface EmailOptions {
  /** Each of connecting, the greeting and an idle socket may take this long (default 30 000). */
  readonly timeoutMs?: number
  /** Extra TLS options, e.g. `ca` for a server certificate signed by a private authority. */
  readonly tls?: ConnectionOptions
}

/** Default SMTP timeout: connecting, the server's greeting and any silence mid-session. */
const SMTP_TIMEOUT_MS = 30_000

/** Codes nodemailer gives when the connection, not the message, failed (errors.d.ts, isTransientError). */
const TRANSIENT_CODES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS'])

/**
 * A transport that mails `renderEmail(message)` to `settings.to`.
 * @example createEmailTransport({ name: 'team', host: 'smtp.example.org', port: 587, security: 'starttls', from: 'langperf@example.org', to: ['perf@example.org'], username: null, password: null })
 */
export function createEmailTransport(settings: EmailSettings, options: EmailOptions = {}): Transport {
  const base = { target: settings.name, kind: 'email' as const }
  const server = `${settings.host}:${settings.port}`
  const failed = (reason: string, retryable: boolean): DeliveryResult => ({
    ...base,
    state: 'failed',
    attempts: 1,
    reason: redact(reason, [settings.password]),
    retryable,
  })
  return {
    name: settings.name,
    kind: 'email',
    async send(message: NotifyMessage): Promise<DeliveryResult> {
      if (settings.username !== null && settings.security === 'none' && !isLoopback(settings.host)) {
        return {
          ...failed(
            `Cannot log in to the SMTP server ${server} without encryption: expected smtp_security = "starttls" or "tls" for a server on another machine`,
            false,
          ),
          attempts: 0,
        }
      }
      const timeoutMs = options.timeoutMs ?? SMTP_TIMEOUT_MS
      const transporter = nodemailer.createTransport({
        host: settings.host,
        port: settings.port,
        secure: settings.security === 'tls',
        requireTLS: settings.security === 'starttls',
        ignoreTLS: settings.security === 'none',
        ...(settings.username === null
          ? {}
          : { auth: { user: settings.username, pass: settings.password ?? '' } }),
        connectionTimeout: timeoutMs,
        greetingTimeout: timeoutMs,
        socketTimeout: timeoutMs,
        // Never log: a protocol log would hold the AUTH exchange.
        logger: false,
        debug: false,
        ...(options.tls === undefined ? {} : { tls: options.tls }),
      })
      const mail = renderEmail(message)
      try {
        const info = await transporter.sendMail({
          from: settings.from,
          to: [...settings.to],
          subject: mail.subject,
          text: mail.text,
          html: mail.html,
          headers: {
            ...(message.kind === 'machine-silent'
              ? { 'X-Langperf-Machine-Alert': String(message.machineAlertId) }
              : { 'X-Langperf-Alert': String(message.alertId) }),
            // RFC 3834, section 5: automatic messages say so, so that no vacation reply answers them.
            'Auto-Submitted': 'auto-generated',
          },
        })
        const rejected = info.rejected.length
        const detail = `${firstLine(String(info.response))}${rejected > 0 ? `; ${rejected} recipient(s) refused` : ''}`
        return { ...base, state: 'delivered', attempts: 1, detail, url: null }
      } catch (error) {
        const e = error as { code?: string; responseCode?: number; permanent?: boolean; message?: string }
        const retryable =
          e.permanent !== undefined ? !e.permanent : e.code !== undefined && TRANSIENT_CODES.has(e.code)
        let why = firstLine(typeof e.message === 'string' ? e.message : String(error))
        // OpenSSL's words for a TLS hello answered in plain SMTP: the port does not speak TLS.
        if (/wrong version number/i.test(why)) {
          why = `the server did not answer in TLS (${why}); expected smtp_security = "starttls" for a port that starts in plain text, such as 587`
        }
        const what =
          message.kind === 'machine-silent'
            ? `machine alert ${message.machineAlertId}`
            : `alert ${message.alertId}`
        return failed(`Cannot mail ${what} through ${server}: ${why}`, retryable)
      } finally {
        transporter.close()
      }
    },
  }
}

function firstLine(s: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: server text must not reach a terminal raw
  return (s.split(/\r?\n/)[0] ?? '').replace(/[\u0000-\u001f\u007f]/g, ' ').trim()
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host)
}
