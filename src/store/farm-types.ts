// Row and input types of the farm's tables (0009_farm): agents and the job keys of stored results;
// and of the alerts about machines (0011_machine_alerts).

/** What an agent is doing, as it last said. */
export const AGENT_STATES = ['idle', 'building', 'measuring', 'stopped'] as const
/** One of AGENT_STATES. */
export type AgentState = (typeof AGENT_STATES)[number]

/** An agent as listed: one per machine. */
export interface AgentRow {
  readonly machine: string
  readonly tokenId: number
  readonly state: AgentState
  readonly registeredAt: string
  readonly lastSeenAt: string
  /** What the agent said of itself at registration (hostname, version, pid). */
  readonly info: Readonly<Record<string, unknown>>
  readonly jobsDone: number
  readonly jobsFailed: number
  /**
   * ISO UTC: when the newest result of its machine arrived (a farm job's or an upload's, as the
   * server stored it; else the newest run's start), null when none did.
   */
  readonly lastResultAt: string | null
}

/** What `registerAgent` stores. */
export interface NewAgent {
  readonly machine: string
  readonly tokenId: number
  readonly info: Readonly<Record<string, unknown>>
  /** ISO UTC. */
  readonly at: string
}

/** What `touchAgent` records: the agent's state now, and a job it just finished. */
export interface AgentTouch {
  readonly state: AgentState
  /** ISO UTC. */
  readonly at: string
  readonly finished?: 'done' | 'failed'
}

/** What `insertRunOnce` did: the run of the job key, and whether this call stored it. */
export interface RunOnce {
  readonly runId: number
  readonly stored: boolean
}

/** Kinds of machine alert: `silent`, no result from a machine with a registered agent for too long. */
export const MACHINE_ALERT_KINDS = ['silent'] as const
/** One of MACHINE_ALERT_KINDS. */
export type MachineAlertKind = (typeof MACHINE_ALERT_KINDS)[number]

/** An alert about a machine: open until `clearedAt`. */
export interface MachineAlertRow {
  readonly id: number
  readonly machine: string
  readonly kind: MachineAlertKind
  /** ISO UTC: the last result (or the agent's registration) the silence counts from. */
  readonly since: string
  readonly raisedAt: string
  readonly clearedAt: string | null
  /** Why it was cleared, e.g. `run 42 arrived`. */
  readonly clearedBy: string | null
  /** What the check saw: hours silent, jobs waiting, when the agent was last seen. */
  readonly detail: Readonly<Record<string, unknown>>
}

/** What `raiseMachineAlert` stores. */
export interface NewMachineAlert {
  readonly machine: string
  readonly kind: MachineAlertKind
  readonly since: string
  /** ISO UTC. */
  readonly at: string
  readonly detail: Readonly<Record<string, unknown>>
}

/** Filters of listMachineAlerts. */
export interface MachineAlertQuery {
  /** Only open (true) or only cleared (false) alerts; both when absent. */
  readonly open?: boolean
  readonly machine?: string
  /** 1–1000, 100 when absent. */
  readonly limit?: number
}
