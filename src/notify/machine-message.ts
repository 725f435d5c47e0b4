import { badInput, quote } from '../lib/index.ts'
import type { AlertMessage } from './message.ts'

// The message of an alert about a machine rather than a commit range (issue 14): "no results from
// bench-1 since …", raised by the farm's server when a machine with a registered agent sent no
// result for the configured period while it had work (or its agent was not seen either). Every
// transport sends it like an alert message; the renderers lay it out (render.ts).

/** The fields of a stored machine alert a message needs (the store's `MachineAlertRow` has them). */
export interface MachineAlertLike {
  readonly id: number
  readonly machine: string
  readonly kind: 'silent'
  /** ISO UTC: the last result (or the registration) the silence counts from. */
  readonly since: string
  readonly raisedAt: string
  readonly detail: Readonly<Record<string, unknown>>
}

/** A transport-neutral message about a silent machine. */
export interface MachineAlertMessage {
  readonly kind: 'machine-silent'
  readonly machineAlertId: number
  readonly machine: string
  readonly since: string
  /** One line, e.g. `Machine bench-1: no results since 2024-10-01 02:00 UTC (40 h)`. */
  readonly title: string
  /** What the check saw: how long, the jobs waiting, when the agent was last seen. */
  readonly summary: string
  readonly links: {
    /** The machine's page on the portal (its agent, its runs). */
    readonly machine: string
    /** The farm's agents page. */
    readonly agents: string
  }
}

/** Anything a transport sends: an alert about a commit range, or one about a machine. */
export type NotifyMessage = AlertMessage | MachineAlertMessage

/** The marker of a machine alert's GitHub issue: `<!-- langperf-machine-alert:7 -->`. */
export function machineAlertMarker(id: number): string {
  return `<!-- langperf-machine-alert:${id} -->`
}

/** An ISO UTC time as people read it: `2024-10-01 02:00 UTC`. */
function readableUtc(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`
}

/**
 * Builds the message of a stored machine alert.
 * @example machineAlertMessageFrom(alert, { portalUrl: 'https://perf.example.org' })
 */
export function machineAlertMessageFrom(
  alert: MachineAlertLike,
  options: { readonly portalUrl: string },
): MachineAlertMessage {
  let portal: URL
  try {
    portal = new URL(options.portalUrl)
  } catch {
    throw badInput(`Cannot use the portal URL ${quote(options.portalUrl)}: expected an http(s) URL`)
  }
  if (portal.protocol !== 'http:' && portal.protocol !== 'https:') {
    throw badInput(`Cannot use the portal URL ${quote(options.portalUrl)}: expected an http(s) URL`)
  }
  const base = options.portalUrl.replace(/\/+$/, '')
  const hours = Math.max(0, Math.round((Date.parse(alert.raisedAt) - Date.parse(alert.since)) / 3_600_000))
  const d = alert.detail
  const pending = typeof d.pendingJobs === 'number' ? d.pendingJobs : 0
  const lastSeen = typeof d.lastSeenAt === 'string' ? d.lastSeenAt : null
  const parts = [
    typeof d.lastResultAt === 'string'
      ? `Its last result arrived ${readableUtc(alert.since)}`
      : `It has sent no result since its agent registered, ${readableUtc(alert.since)}`,
    pending > 0
      ? `${pending} job${pending === 1 ? ' waits' : 's wait'} in its queue`
      : 'no job waits in its queue',
    lastSeen === null ? null : `its agent was last seen ${readableUtc(lastSeen)}`,
  ]
  return {
    kind: 'machine-silent',
    machineAlertId: alert.id,
    machine: alert.machine,
    since: alert.since,
    title: `Machine ${alert.machine}: no results since ${readableUtc(alert.since)} (${hours} h)`,
    summary: parts.filter((p) => p !== null).join('; '),
    links: {
      machine: `${base}/machines/${encodeURIComponent(alert.machine)}`,
      agents: `${base}/agents`,
    },
  }
}
