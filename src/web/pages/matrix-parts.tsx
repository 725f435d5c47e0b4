import type { ComponentChildren } from 'preact'
import { TableWrap } from '../components.tsx'
import type { Out, OverviewRow } from '../context.ts'
import { formatChange, formatInterval, formatRatio, heatClass, heatStep, VERDICT_LABELS } from '../format.ts'

// What the matrix's two tables share (one column per row, or per row × stack): the column's name
// and the cell.

/** A row's name: runtime, config and branch. */
export function columnLabel(row: OverviewRow): string {
  return `${row.runtime} ${row.config}${row.branch !== null ? ` ${row.branch}` : ''}`
}

/** One cell: the ratio with its verdict's heat, symbol and word; – when unmeasured, "baseline" for the baseline's own result. */
export function MatrixCell(props: {
  readonly workload: string
  readonly row: Out<'compare'>['rows'][number] | undefined
  /** The cell is the baseline's result compared with itself. */
  readonly isBaseline: boolean
}) {
  const { workload: w, row: r } = props
  if (r === undefined) return <td class="num muted">–</td>
  if (props.isBaseline) return <td class="num muted">baseline</td>
  const significant = r.verdict === 'slower' || r.verdict === 'faster'
  const v = VERDICT_LABELS[r.verdict]
  return (
    <td
      class={`num cell ${heatClass(significant ? heatStep(r.ratio) : 0)}`}
      title={`${w}: ${formatRatio(r.ratio)} ${formatInterval(r.low, r.high)} ${v.word}${r.reason ? ` (${r.reason})` : ''}`}
    >
      {r.versionsDiffer ? (
        <span class="warn-mark" title="The workload's versions differ between the two runs">
          ≠{' '}
        </span>
      ) : null}
      {r.ratio === null ? '–' : formatChange(r.ratio)} <span aria-hidden="true">{v.symbol}</span>
      <span class="sr-only">{v.word}</span>
    </td>
  )
}

/** One column of a matrix table: its heading, its geometric mean cell and its cell of each workload. */
export interface GridColumn {
  readonly key: string
  readonly head: ComponentChildren
  readonly mean: ComponentChildren
  readonly cell: (workload: string) => ComponentChildren
}

/** The heat map: one column per `columns`, its geometric mean on top, one row per workload. */
export function MatrixGrid(props: {
  readonly label: string
  readonly class: string
  readonly workloads: readonly string[]
  readonly columns: readonly GridColumn[]
}) {
  const { workloads, columns } = props
  return (
    <TableWrap label={props.label}>
      <table class={props.class}>
        <thead>
          <tr>
            <th scope="col">workload</th>
            {columns.map((c) => (
              <th scope="col" key={c.key} class="num">
                {c.head}
              </th>
            ))}
          </tr>
          <tr class="gm-row">
            <th scope="row">geometric mean</th>
            {columns.map((c) => (
              <td key={c.key} class="num">
                {c.mean}
              </td>
            ))}
          </tr>
        </thead>
        <tbody>
          {workloads.map((w) => (
            <tr key={w}>
              <th scope="row" class="name">
                {w}
              </th>
              {columns.map((c) => c.cell(w))}
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  )
}
