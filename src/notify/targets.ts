import { assertNever, quote } from '../lib/index.ts'
import type { NotifyTarget, ValueSource } from '../model/index.ts'
import { createEmailTransport, type EmailOptions } from './email.ts'
import { createGithubTransport, type GithubOptions } from './github.ts'
import type { NotifyMessage } from './machine-message.ts'
import type { DeliveryResult, Transport, TransportKind } from './transport.ts'
import { createWebhookTransport } from './webhook.ts'

// From the configuration's `[[notify]]` targets to transports. Secrets come from the environment
// (the file names only the variables); a variable that is not set gives a transport whose every
// send fails with a reason naming the variable, so one bad target never stops the others.

/** Options passed on to the transports: HTTP retries and timeouts, SMTP timeout and TLS. */
export interface TransportOptions {
  readonly http?: GithubOptions
  readonly email?: EmailOptions
}

/**
 * The transport of one configured target, its secrets read from `env` now.
 * @example createTransport(config.notify[0], process.env)
 */
export function createTransport(
  target: NotifyTarget,
  env: Readonly<Record<string, string | undefined>>,
  options: TransportOptions = {},
): Transport {
  const missing = (variable: string) =>
    failingTransport(
      target.name,
      target.kind,
      `Cannot send to ${quote(target.name)}: the environment variable ${quote(variable)} is not set, expected it to hold the ${secretWord(target.kind)}`,
    )
  switch (target.kind) {
    case 'webhook': {
      const url = sourceValue(target.url, env)
      if (url === undefined) return missing((target.url as { variable: string }).variable)
      return createWebhookTransport({ name: target.name, url }, options.http)
    }
    case 'email': {
      const username = target.usernameEnv === null ? null : nonEmpty(env[target.usernameEnv])
      if (target.usernameEnv !== null && username === null) return missing(target.usernameEnv)
      const password = target.passwordEnv === null ? null : nonEmpty(env[target.passwordEnv])
      if (target.passwordEnv !== null && password === null) return missing(target.passwordEnv)
      return createEmailTransport(
        {
          name: target.name,
          host: target.smtpHost,
          port: target.smtpPort,
          security: target.security,
          from: target.from,
          to: target.to,
          username,
          password,
        },
        options.email,
      )
    }
    case 'github': {
      const token = nonEmpty(env[target.tokenEnv])
      if (token === null) return missing(target.tokenEnv)
      return createGithubTransport(
        { name: target.name, repo: target.repo, token, apiUrl: target.apiUrl },
        options.http,
      )
    }
    default:
      return assertNever(target)
  }
}

/**
 * Sends `message` through every transport at once and returns each result, in order; a
 * transport that throws (a bug) gives a failed result rather than hiding the others'.
 */
export async function notifyAll(
  message: NotifyMessage,
  transports: readonly Transport[],
): Promise<readonly DeliveryResult[]> {
  return Promise.all(
    transports.map(async (t): Promise<DeliveryResult> => {
      try {
        return await t.send(message)
      } catch (error) {
        return {
          state: 'failed',
          target: t.name,
          kind: t.kind,
          attempts: 0,
          reason: `Cannot send to ${quote(t.name)}: unexpected error (a bug): ${error instanceof Error ? error.message : String(error)}`,
          retryable: false,
        }
      }
    }),
  )
}

/** A transport that fails every send with `reason` (a target that cannot work as configured). */
export function failingTransport(name: string, kind: TransportKind, reason: string): Transport {
  return {
    name,
    kind,
    send: async () => ({ state: 'failed', target: name, kind, attempts: 0, reason, retryable: false }),
  }
}

function sourceValue(
  source: ValueSource,
  env: Readonly<Record<string, string | undefined>>,
): string | undefined {
  return source.kind === 'value' ? source.value : (nonEmpty(env[source.variable]) ?? undefined)
}

function nonEmpty(v: string | undefined): string | null {
  return v === undefined || v.trim() === '' ? null : v.trim()
}

function secretWord(kind: TransportKind): string {
  switch (kind) {
    case 'webhook':
      return 'webhook URL'
    case 'email':
      return 'SMTP login'
    case 'github':
      return 'GitHub token'
    default:
      return assertNever(kind)
  }
}
