import { readFile } from 'node:fs/promises'
import { alertElsewhere, alertRunCaveats, elsewhereLines } from '../../analysis/index.ts'
import { parseConfig } from '../../config/index.ts'
import { LangperfError, quote } from '../../lib/index.ts'
import type { LangperfConfig, NotifyTarget } from '../../model/index.ts'
import {
  type AlertMessage,
  alertMessageFrom,
  createTransport,
  type DeliveryResult,
  notifyAll,
  repositoryLinks,
  sampleAlertMessage,
} from '../../notify/index.ts'
import type { AlertDetail } from '../../store/index.ts'
import { type CommonOptions, type Ctx, withStore } from '../context.ts'
import { DEFAULT_PORTAL_URL } from '../options.ts'
import { log, printJson, println } from '../output.ts'

// `langperf notify test|send`: check a notification target with a sample message, or send a
// stored alert again. Targets come from `[[notify]]` in langperf.toml; their secrets from the
// environment. Exit status 0 when every message was delivered, 3 when one was not.

/** Where the portal runs when --portal-url is not given: `langperf serve`'s default address. */

/** Options of `langperf notify test`. */
export interface NotifyTestOptions {
  readonly target: string
  readonly config?: string
  readonly portalUrl?: string
  readonly json?: boolean
}

/** Options of `langperf notify send`. */
export interface NotifySendOptions extends CommonOptions {
  readonly target?: readonly string[]
  readonly config?: string
  readonly portalUrl?: string
}

/** Reads and validates the configuration file (default ./langperf.toml). */
export async function readConfig(path = 'langperf.toml'): Promise<LangperfConfig> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    const code = (error as { code?: string }).code
    throw new LangperfError(
      code === 'ENOENT' ? 'not-found' : 'unavailable',
      `Cannot read configuration ${quote(path, 200)}: ${code === 'ENOENT' ? 'no such file, expected a langperf.toml (see langperf.example.toml) or --config FILE' : String((error as Error).message)}`,
      { cause: error },
    )
  }
  return parseConfig(text, path)
}

/** The targets named by `names` (all when none), or a bad-input error naming the known ones. */
export function pickTargets(config: LangperfConfig, names: readonly string[]): readonly NotifyTarget[] {
  if (config.notify.length === 0) {
    throw new LangperfError('bad-input', `Cannot notify: ${quote(config.file, 200)} has no [[notify]] target`)
  }
  if (names.length === 0) return config.notify
  return names.map((name) => {
    const target = config.notify.find((t) => t.name === name)
    if (target === undefined) {
      throw new LangperfError(
        'bad-input',
        `Cannot find notification target ${quote(name)}: expected one of ${config.notify.map((t) => quote(t.name)).join(', ')}`,
      )
    }
    return target
  })
}

/**
 * The message for a stored alert: commit and range links from the runtime's git remote in the
 * configuration when it is on GitHub.
 */
export function messageForAlert(
  alert: AlertDetail,
  config: LangperfConfig,
  portalUrl: string,
  caveats: readonly string[] = [],
  elsewhere: readonly string[] = [],
): AlertMessage {
  const remote = config.runtimes.find((r) => r.name === alert.runtime)?.remote
  const links = remote === undefined ? null : repositoryLinks(remote)
  return alertMessageFrom(alert, {
    portalUrl,
    caveats,
    elsewhere,
    commitUrl: links?.commitUrl ?? null,
    rangeUrl: links?.rangeUrl ?? null,
  })
}

/** `langperf notify test --target NAME`: sends the sample message to one configured target. */
export async function notifyTestCommand(ctx: Ctx, options: NotifyTestOptions): Promise<number> {
  const config = await readConfig(options.config)
  const targets = pickTargets(config, [options.target])
  const message = sampleAlertMessage(options.portalUrl ?? DEFAULT_PORTAL_URL)
  return deliver(ctx, message, targets, options.json === true)
}

/** `langperf notify send ALERT`: sends a stored alert to the named targets (all by default). */
export async function notifySendCommand(
  ctx: Ctx,
  alertId: number,
  options: NotifySendOptions,
): Promise<number> {
  const config = await readConfig(options.config)
  const targets = pickTargets(config, options.target ?? [])
  const found = await withStore(options, async (store) => {
    const alert = await store.getAlert(alertId)
    if (alert === undefined) return undefined
    return {
      alert,
      caveats: await alertRunCaveats(store, alert),
      elsewhere: elsewhereLines(await alertElsewhere(store, alert)),
    }
  })
  if (found === undefined) {
    throw new LangperfError(
      'not-found',
      `Cannot find alert ${alertId}: expected an id that \`langperf alerts\` lists`,
    )
  }
  const message = messageForAlert(
    found.alert,
    config,
    options.portalUrl ?? DEFAULT_PORTAL_URL,
    found.caveats,
    found.elsewhere,
  )
  return deliver(ctx, message, targets, options.json === true)
}

async function deliver(
  ctx: Ctx,
  message: AlertMessage,
  targets: readonly NotifyTarget[],
  json: boolean,
): Promise<number> {
  const results = await notifyAll(
    message,
    targets.map((t) => createTransport(t, ctx.env)),
  )
  if (json) printJson(ctx.io, results)
  else for (const r of results) (r.state === 'delivered' ? println : log)(ctx.io, resultLine(r))
  return results.every((r) => r.state === 'delivered') ? 0 : 3
}

/** One line per result, for people. */
export function resultLine(r: DeliveryResult): string {
  const who = `${quote(r.target)} (${r.kind})`
  const tries = r.attempts === 1 ? '1 attempt' : `${r.attempts} attempts`
  if (r.state === 'delivered')
    return `Delivered to ${who} in ${tries}: ${r.detail}${r.url ? ` ${r.url}` : ''}`
  return `Not delivered to ${who}${r.retryable ? ' (may succeed later)' : ''}: ${r.reason}`
}
