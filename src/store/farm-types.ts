// Row and input types of the farm's tables (0009_farm): agents and the job keys of stored results.

/** What an agent is doing, as it last said. */
export const AGENT_STATES = ['idle', 'measuring', 'stopped'] as const
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
