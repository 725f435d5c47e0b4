import { alertElsewhere, alertRunCaveats, elsewhereLines } from '../analysis/index.ts'
import type { JsonObject } from '../lib/index.ts'
import type { RuntimeConfig } from '../model/index.ts'
import { alertMessageFrom, repositoryLinks, type Transport } from '../notify/index.ts'
import type { NightlyContext } from './nightly-context.ts'
import type { NotifyEvent } from './nightly-report.ts'
import { runStep, type StepOutcome } from './steps.ts'

// Notifying an alert: one journalled step per alert × target × event, so that no message is
// sent twice, however often the nightly is resumed.

const DEFAULT_PORTAL_URL = 'http://127.0.0.1:8080'

/**
 * Sends alert `alertId` to every notification target for `event`, each a journalled step, and
 * adds each to the report. A withdrawn or missing alert is not sent.
 */
export async function notify(
  context: NightlyContext,
  runtime: RuntimeConfig,
  alertId: number,
  event: NotifyEvent,
): Promise<void> {
  const { world, journal, transports, options } = context
  if (transports.length === 0) return
  const alert = await world.store.getAlert(alertId)
  if (alert === undefined || alert.status === 'withdrawn') return
  const links = repositoryLinks(runtime.remote)
  const message = alertMessageFrom(alert, {
    caveats: await alertRunCaveats(world.store, alert),
    elsewhere: elsewhereLines(await alertElsewhere(world.store, alert)),
    portalUrl: options.portalUrl ?? world.env.LANGPERF_PORTAL_URL ?? DEFAULT_PORTAL_URL,
    commitUrl: links?.commitUrl ?? null,
    rangeUrl: links?.rangeUrl ?? null,
  })
  for (const t of transports) {
    const key = `notify:${alertId}:${t.name}:${event}`
    const sent = await runStep(journal, { kind: 'notify', key }, async () => {
      const r = await t.send(message)
      if (r.state === 'failed') throw new Error(r.reason)
      return { delivered: r.detail, attempts: r.attempts, url: r.url }
    })
    if (event === 'new' && sent.state === 'done' && alert.status === 'confirmed') {
      // The first message already says "confirmed": the confirmation needs no second one.
      await runStep(journal, { kind: 'notify', key: `notify:${alertId}:${t.name}:confirmed` }, async () => ({
        covered_by: key,
      }))
    }
    reportSent(context, { alertId, target: t, event, key, sent })
  }
}

/** Logs one notification's outcome and adds it to the report (and a failure to its errors). */
function reportSent(
  context: NightlyContext,
  sent: {
    readonly alertId: number
    readonly target: Transport
    readonly event: NotifyEvent
    readonly key: string
    readonly sent: StepOutcome<JsonObject>
  },
): void {
  const { alertId, event, key } = sent
  const outcome = sent.sent
  const target = sent.target.name
  const detail =
    outcome.state === 'done'
      ? String(outcome.detail.delivered)
      : outcome.state === 'failed' || outcome.state === 'gave-up'
        ? outcome.error
        : outcome.state
  if (outcome.state === 'failed') context.report.errors.push({ step: key, message: outcome.error })
  context.world.log(
    `  alert ${alertId} → ${target} (${event}): ${outcome.state === 'done' ? 'delivered' : outcome.state}${detail ? `: ${detail}` : ''}`,
  )
  context.report.notifications.push({
    alertId,
    target,
    event,
    state: outcome.state === 'done' ? 'delivered' : outcome.state,
    detail,
  })
}
