import { TableWrap } from '../components.tsx'
import type { Out, PageContext, PageResult } from '../context.ts'
import { formatDate } from '../format.ts'
import { Notice } from './parts.tsx'

// The farm's agents (issue 14), one row per machine: what its agent is doing (idle, building,
// measuring, stopped), when it was last seen and when its last result arrived, its queue, the
// jobs it finished and failed, and whether its machine is silent; and the alerts about machines
// ("no results from M since …"), which the alerts page lists too while they are open.

type Agent = Out<'listAgents'>['items'][number]
/** An alert about a machine, as the API lists it. */
export type MachineAlert = Out<'listMachineAlerts'>['items'][number]

const STATE = {
  idle: { symbol: '○', word: 'idle' },
  building: { symbol: '⚒', word: 'building' },
  measuring: { symbol: '◔', word: 'measuring' },
  stopped: { symbol: '■', word: 'stopped' },
} as const

/** An agent's state as a word with a symbol. */
function AgentState(props: { readonly state: string }) {
  const s = STATE[props.state as keyof typeof STATE] ?? { symbol: '?', word: props.state }
  return (
    <span class={`agent-state agent-${props.state}`}>
      <span aria-hidden="true">{s.symbol}</span> {s.word}
    </span>
  )
}

/** How long ago `iso` was from `now`: `4 min ago`, `3.5 h ago`, `2 d ago`. */
export function ago(iso: string | null, now: Date): string {
  if (iso === null) return ''
  const s = (now.getTime() - Date.parse(iso)) / 1000
  if (!Number.isFinite(s)) return ''
  if (s < 90) return `${Math.max(0, Math.round(s))} s ago`
  if (s < 5400) return `${Math.round(s / 60)} min ago`
  if (s < 172_800) return `${(s / 3600).toFixed(1)} h ago`
  return `${Math.round(s / 86_400)} d ago`
}

/** The words of a machine alert: `no results since 2024-10-01 02:00 (40 h)`. */
function alertWords(a: MachineAlert): string {
  const hours = Math.round((Date.parse(a.raisedAt) - Date.parse(a.since)) / 3_600_000)
  return `no results since ${formatDate(a.since)} UTC (${hours} h when raised)`
}

/** A list of machine alerts: which machine, since when, raised, cleared (and why). */
export function MachineAlertList(props: {
  readonly ctx: PageContext
  readonly alerts: readonly MachineAlert[]
}) {
  const { ctx } = props
  if (props.alerts.length === 0) return <p class="empty">No machine alerts.</p>
  return (
    <TableWrap label="Machine alerts">
      <table class="data machine-alerts">
        <thead>
          <tr>
            <th scope="col">machine</th>
            <th scope="col">what</th>
            <th scope="col">seen then</th>
            <th scope="col">raised</th>
            <th scope="col">cleared</th>
          </tr>
        </thead>
        <tbody>
          {props.alerts.map((a) => (
            <tr key={a.id} data-machine-alert={a.id} class={a.clearedAt === null ? 'row-silent' : undefined}>
              <th scope="row">
                <a href={ctx.links.page({ page: 'machine', name: a.machine })}>{a.machine}</a>
              </th>
              <td>
                <span class="kind kind-silent">
                  <span aria-hidden="true">⏸</span> {alertWords(a)}
                </span>
              </td>
              <td class="small muted">
                {typeof a.detail.pendingJobs === 'number' ? `${a.detail.pendingJobs} job(s) waiting; ` : ''}
                {typeof a.detail.lastSeenAt === 'string'
                  ? `agent seen ${formatDate(a.detail.lastSeenAt)}`
                  : ''}
              </td>
              <td>{formatDate(a.raisedAt)}</td>
              <td>
                {a.clearedAt === null ? (
                  <strong>open</strong>
                ) : (
                  <>
                    {formatDate(a.clearedAt)}
                    {a.clearedBy !== null ? <div class="small muted">{a.clearedBy}</div> : null}
                  </>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  )
}

/** The open machine alerts, as the alerts page shows them above the alerts about commits. */
export async function openMachineAlerts(ctx: PageContext) {
  const open = (await ctx.api.listMachineAlerts({ query: { open: 'true', limit: 1000 } })).items
  if (open.length === 0) return null
  return (
    <>
      <h2>Silent machines ({open.length})</h2>
      <p class="small muted">
        Machines whose agent sent no result for the farm's period while jobs waited for them (or while the
        agent was not seen either); cleared when a result arrives.{' '}
        <a href={ctx.links.page({ page: 'agents' })}>Agents</a>
      </p>
      <MachineAlertList ctx={ctx} alerts={open} />
    </>
  )
}

/** The farm's agents and the alerts about their machines. */
export async function agentsPage(ctx: PageContext): Promise<PageResult> {
  const [agents, alerts] = await Promise.all([
    ctx.api.listAgents(),
    ctx.api.listMachineAlerts({ query: { limit: 50 } }),
  ])
  const now = new Date(ctx.generatedAt ?? Date.now())
  const silent = new Set(alerts.items.filter((a) => a.clearedAt === null).map((a) => a.machine))
  const body = (
    <>
      <h1>Agents</h1>
      <p class="lede">
        The benchmark farm's agents, one per machine: each claims its machine's jobs from the server's queue,
        builds the commit of a build job, measures it and uploads the result (docs/farm.md). A machine whose
        agent sends no result for a while though jobs wait for it is <em>silent</em>: it raises a "no results
        since …" alert, cleared when a result arrives.
      </p>
      {agents.items.length === 0 ? (
        <Notice kind="info">
          No agent has registered. Start one on a benchmark machine with{' '}
          <code>langperf agent --server URL --machine NAME</code> (a server started with{' '}
          <code>serve --farm</code>).
        </Notice>
      ) : (
        <AgentTable ctx={ctx} agents={agents.items} silent={silent} now={now} />
      )}
      <h2>Machine alerts</h2>
      <MachineAlertList ctx={ctx} alerts={alerts.items} />
    </>
  )
  return { status: 200, title: 'Agents', section: 'agents', body }
}

function AgentTable(props: {
  readonly ctx: PageContext
  readonly agents: readonly Agent[]
  readonly silent: ReadonlySet<string>
  readonly now: Date
}) {
  const { ctx, now } = props
  return (
    <TableWrap label="Agents">
      <table class="data agents-table">
        <thead>
          <tr>
            <th scope="col">machine</th>
            <th scope="col">state</th>
            <th scope="col">last seen (UTC)</th>
            <th scope="col">last result (UTC)</th>
            <th scope="col" class="num">
              queue
            </th>
            <th scope="col" class="num">
              done
            </th>
            <th scope="col" class="num">
              failed
            </th>
          </tr>
        </thead>
        <tbody>
          {props.agents.map((a) => (
            <tr
              key={a.machine}
              data-agent={a.machine}
              class={props.silent.has(a.machine) ? 'row-silent' : undefined}
            >
              <th scope="row">
                <a href={ctx.links.page({ page: 'machine', name: a.machine })}>{a.machine}</a>
                {props.silent.has(a.machine) ? <div class="small silent-flag">⏸ silent</div> : null}
              </th>
              <td>
                <AgentState state={a.state} />
              </td>
              <td>
                {formatDate(a.lastSeenAt)}
                <div class="small muted">{ago(a.lastSeenAt, now)}</div>
              </td>
              <td>
                {formatDate(a.lastResultAt)}
                <div class="small muted">{ago(a.lastResultAt, now)}</div>
              </td>
              <td class="num" title="waiting · running · delayed (retrying) · failed">
                {a.queue.waiting} · {a.queue.active} · {a.queue.delayed} · {a.queue.failed}
                <div class="small muted">waiting · running · delayed · failed</div>
              </td>
              <td class="num">{a.jobsDone}</td>
              <td class="num">{a.jobsFailed}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  )
}
