import type { AgentRow, FarmLedger, MachineAlertRow } from '../store/index.ts'

// "No results from M since …" (issue 14): a machine whose agent is registered, yet from which no
// result arrived for the configured period, is silent — a dead agent, a machine that hangs while
// measuring, a full disk. A machine with nothing to do sends nothing either, so silence counts
// only while the machine had work (jobs waiting in its queue) or its agent was not seen for that
// long as well: a quiet branch is not an alarm. The alert is raised once (one open per machine)
// and cleared when a result arrives. `silenceVerdict` decides (pure); `checkSilentMachines`
// applies it to every registered agent.

/** The default period after which a machine with work and no result is silent: 36 hours. */
export const DEFAULT_SILENT_AFTER_MS = 36 * 3_600_000

/** What the check knows of one machine. */
export interface SilenceFacts {
  readonly agent: Pick<AgentRow, 'machine' | 'state' | 'registeredAt' | 'lastSeenAt' | 'lastResultAt'>
  /** Jobs of its queue that have not run: waiting, delayed or running. */
  readonly pendingJobs: number
  /** Its open silent alert, if one is. */
  readonly open: MachineAlertRow | undefined
}

/** What to do about one machine. */
export type SilenceVerdict =
  | {
      readonly kind: 'raise'
      /** The last result, or the registration when none arrived. */
      readonly since: string
      readonly detail: {
        readonly silentHours: number
        readonly lastResultAt: string | null
        readonly pendingJobs: number
        readonly lastSeenAt: string
        readonly agentState: string
      }
    }
  | { readonly kind: 'clear'; readonly reason: string }
  | { readonly kind: 'none' }

/**
 * Decides whether a machine is silent: no result for `silentAfterMs` while it had work or its
 * agent was not seen either (raise, unless an alert is open), or whether its open alert ends (a
 * result arrived after the time the alert counts from).
 */
export function silenceVerdict(
  facts: SilenceFacts,
  options: { readonly nowMs: number; readonly silentAfterMs: number },
): SilenceVerdict {
  const { agent, pendingJobs, open } = facts
  const last = agent.lastResultAt
  if (open !== undefined) {
    if (last !== null && Date.parse(last) > Date.parse(open.since)) {
      return { kind: 'clear', reason: `a result arrived at ${last}` }
    }
    return { kind: 'none' }
  }
  const since = last ?? agent.registeredAt
  const silentMs = options.nowMs - Date.parse(since)
  if (!(silentMs >= options.silentAfterMs)) return { kind: 'none' }
  const unseenMs = options.nowMs - Date.parse(agent.lastSeenAt)
  if (pendingJobs === 0 && unseenMs < options.silentAfterMs) return { kind: 'none' }
  return {
    kind: 'raise',
    since,
    detail: {
      silentHours: Math.round(silentMs / 360_000) / 10,
      lastResultAt: last,
      pendingJobs,
      lastSeenAt: agent.lastSeenAt,
      agentState: agent.state,
    },
  }
}

/** Options of checkSilentMachines. */
export interface SilenceCheckOptions {
  readonly now: () => Date
  /** A machine is silent after this long without a result (DEFAULT_SILENT_AFTER_MS: 36 h). */
  readonly silentAfterMs: number
  /** Jobs of a machine's queue that have not run; 0 for every machine when absent (no queue). */
  readonly pendingJobs?: (machine: string) => Promise<number>
}

/** What one check did: the alerts it raised (to notify) and those it cleared. */
export interface SilenceCheckOutcome {
  readonly raised: readonly MachineAlertRow[]
  readonly cleared: readonly MachineAlertRow[]
}

/**
 * Checks every registered agent's machine: raises a silent alert for each machine silent now
 * (one open per machine: two checks racing raise it once, and only the one that raised it
 * answers it) and clears those a result has ended.
 */
export async function checkSilentMachines(
  store: FarmLedger,
  options: SilenceCheckOptions,
): Promise<SilenceCheckOutcome> {
  const at = options.now().toISOString()
  const nowMs = Date.parse(at)
  const open = new Map(
    (await store.listMachineAlerts({ open: true, limit: 1000 })).map((a) => [a.machine, a]),
  )
  const raised: MachineAlertRow[] = []
  const cleared: MachineAlertRow[] = []
  for (const agent of await store.listAgents()) {
    const o = open.get(agent.machine)
    const pendingJobs = o === undefined && options.pendingJobs ? await options.pendingJobs(agent.machine) : 0
    const verdict = silenceVerdict(
      { agent, pendingJobs, open: o },
      { nowMs, silentAfterMs: options.silentAfterMs },
    )
    if (verdict.kind === 'raise') {
      const r = await store.raiseMachineAlert({
        machine: agent.machine,
        kind: 'silent',
        since: verdict.since,
        at,
        detail: verdict.detail,
      })
      if (r.raised) raised.push(r.alert)
    } else if (verdict.kind === 'clear') {
      cleared.push(
        ...(await store.clearMachineAlerts(agent.machine, { at, reason: verdict.reason, kind: 'silent' })),
      )
    }
  }
  return { raised, cleared }
}
