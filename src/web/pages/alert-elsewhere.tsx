import { TableWrap } from '../components.tsx'
import type { Out, PageContext } from '../context.ts'
import { formatInterval, formatRatio } from '../format.ts'
import { Heads } from './alert-evidence.tsx'

// An alert's changes on the other machines (GET /api/v1/alerts/:id/elsewhere): for each of its
// largest steps, what every other machine measuring the workload saw across the blame range —
// moved, not moved, unclear or not measured — with that machine's step and its interval, linked
// to the alert there when its detection recorded the change too.

type Elsewhere = Out<'getAlertElsewhere'>
type Cell = Elsewhere['rows'][number]['others'][number]

/** Builds read on each side of the range (analysis/elsewhere.ts): fewer are shown. */
const ELSEWHERE_BUILDS = 5

/** How each verdict reads in a cell. */
const MARK: Readonly<Record<Cell['verdict'], string>> = {
  moved: '✓',
  'not moved': '✗',
  unclear: '?',
  'not measured': '–',
}

function ElsewhereCell(props: {
  readonly ctx: PageContext
  readonly cell: Cell | undefined
  readonly direction: 'regression' | 'improvement'
}) {
  const { ctx, cell, direction } = props
  if (cell === undefined) return <td class="muted small">no series</td>
  const few = cell.before < ELSEWHERE_BUILDS || cell.after < ELSEWHERE_BUILDS
  return (
    <td
      class="small"
      title={`${cell.verdict}: ${cell.before} build(s) before the range, ${cell.after} after`}
    >
      <span class={cell.verdict === 'moved' ? `dir-${direction}` : 'muted'}>
        {MARK[cell.verdict]} {cell.verdict === 'not measured' ? 'not measured' : cell.verdict}
      </span>
      {cell.ratio !== null ? <> {formatRatio(cell.ratio.estimate)}</> : null}
      {cell.change !== null ? (
        <>
          {' '}
          <a href={ctx.links.page({ page: 'alert', id: cell.change.alertId })}>#{cell.change.alertId}</a>
        </>
      ) : null}
      {cell.ratio !== null && cell.ratio.low !== null ? (
        <div class="muted">{formatInterval(cell.ratio.low, cell.ratio.high)}</div>
      ) : null}
      {few ? (
        <div class="muted">
          {cell.before}/{cell.after} builds
        </div>
      ) : null}
    </td>
  )
}

/** The section: one row per change looked at, one column per other machine. */
export function AlertElsewhere(props: { readonly ctx: PageContext; readonly elsewhere: Elsewhere }) {
  const { ctx, elsewhere: e } = props
  if (e.reason !== null) return <p class="small muted">Not read on other machines: {e.reason}.</p>
  if (e.machines.length === 0)
    return (
      <p class="small muted">No other machine measures these workloads in this runtime, config and branch.</p>
    )
  // A machine that measured none of them across the range is named, not given a column of dashes.
  const shown = e.machines.filter((m) =>
    e.rows.some((r) => r.others.some((o) => o.machine === m && o.verdict !== 'not measured')),
  )
  const unmeasured = e.machines.filter((m) => !shown.includes(m))
  return (
    <>
      <p class="small muted">
        Each other machine's builds up to the last good commit's date against those from the first bad
        commit's date (at most 5 a side, builds as samples: the interval carries that machine's noise). ✓
        moved: a step the same way there (linked to that machine's alert when its detection recorded it); ✗
        not moved: less than half this one; ? unclear: neither.
        {e.omitted > 0 ? ` ${e.omitted} smaller change(s) or instruction counts not shown.` : ''}
        {unmeasured.length > 0 ? ` Not measured across the range: ${unmeasured.join(', ')}.` : ''}
      </p>
      <TableWrap label="The alert's changes on other machines">
        <table class="data">
          <Heads cols={['workload · config', '#here', ...shown]} />
          <tbody>
            {e.rows.map((r) => (
              <tr key={r.changeId}>
                <th scope="row" class="name">
                  {r.workload} · {r.config}
                </th>
                <td class="num">
                  {formatRatio(r.ratio)} <span class="small muted">{r.machine}</span>
                </td>
                {shown.map((m) => (
                  <ElsewhereCell
                    key={m}
                    ctx={ctx}
                    cell={r.others.find((o) => o.machine === m)}
                    direction={r.direction}
                  />
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </TableWrap>
    </>
  )
}
