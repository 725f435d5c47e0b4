import type { OverviewRow, PageContext, Run } from '../context.ts'
import { formatChange, formatRatio } from '../format.ts'
import type { MatrixIslandProps } from '../islands.ts'
import { columnLabel, MatrixCell, MatrixGrid } from './matrix-parts.tsx'
import {
  columnGeometricMean,
  compareColumns,
  runStacks,
  type SplitCompared,
  type StackColumn,
  stackColumns,
} from './matrix-stacks.ts'

// The matrix with one column per stack (`split=stack`): the columns of matrix-stacks.ts, their
// options as baselines, and the table. Every label comes from stored metadata and is text here
// (escaped by the renderer), never markup.

type BaselineOption = MatrixIslandProps['options'][number]

/** What the split page shows: its columns against the baseline, and the baselines to pick. */
export interface SplitMatrix {
  readonly compared: readonly SplitCompared[]
  readonly options: BaselineOption[]
  readonly selected: string
  /** The baseline's column (a stack of a row), or null when the baseline is a run. */
  readonly baseColumn: StackColumn | null
}

/** The value of a column as a baseline option. */
const optionValue = (runId: number, stack: string | null) => `${runId}|${stack ?? ''}`

/**
 * The split matrix of `rows` against `baseRun` (on `stack`, when given, its column: the stack's
 * newest results in its row up to that run; else the run's own results).
 */
export async function splitMatrix(
  ctx: PageContext,
  rows: readonly OverviewRow[],
  current: { readonly baseRun: Run; readonly stack: string | null; readonly machine: string | null },
): Promise<SplitMatrix> {
  const { baseRun, stack, machine } = current
  const columns = await stackColumns(ctx, rows)
  const baseColumn =
    stack === null
      ? null
      : (columns.find((c) => c.stack === stack && [...c.cells.values()].some((r) => r.id === baseRun.id)) ??
        null)
  const compared = await compareColumns(ctx, columns, {
    run: { id: baseRun.id, status: baseRun.status, version: baseRun.build.version },
    column: baseColumn,
  })
  const options: BaselineOption[] = columns.map((c) => ({
    value: optionValue(c.newest.id, c.stack),
    label: `${columnLabel(c.row)}${c.stack === null ? '' : ` · ${c.stack}`} on ${c.row.machine} (${c.newest.version}, run ${c.newest.id})`,
    href: ctx.links.page({
      page: 'matrix',
      baseline: String(c.newest.id),
      machine,
      split: 'stack',
      stack: c.stack,
    }),
  }))
  const selected = optionValue(baseRun.id, baseColumn?.stack ?? null)
  if (!options.some((o) => o.value === selected)) {
    options.unshift({
      value: selected,
      label: `${baseRun.build.runtime} ${baseRun.build.version} (run ${baseRun.id})`,
      href: ctx.links.page({
        page: 'matrix',
        baseline: String(baseRun.id),
        machine,
        split: 'stack',
        stack: null,
      }),
    })
  }
  return { compared, options, selected, baseColumn }
}

/** Whether any row's latest run recorded a stack (read once per finished run): the split is worth offering. */
export async function hasStacks(ctx: PageContext, rows: readonly OverviewRow[]): Promise<boolean> {
  for (const row of rows) {
    if ((await runStacks(ctx, row.latest)).some((r) => r.stack !== null)) return true
  }
  return false
}

/** The heat map split by stack: one column per row × stack, the geometric mean of its ratios on top. */
export function SplitMatrixTable(props: { readonly ctx: PageContext; readonly split: SplitMatrix }) {
  const { ctx, split } = props
  const workloads = [...new Set(split.compared.flatMap((c) => [...c.column.cells.keys()]))].sort()
  const columns = split.compared.map((c) => {
    const key = `${c.column.row.machine}|${columnLabel(c.column.row)}|${c.column.stack ?? ''}`
    return {
      key,
      head: (
        <>
          {columnLabel(c.column.row)}
          <div class="stack-label">
            {c.column.stack ?? <span class="muted">no stack</span>}
            {c.column === split.baseColumn ? <span class="muted"> (baseline)</span> : null}
          </div>
          <div class="small muted">
            {c.column.row.machine} · {c.column.newest.version} · run {c.column.newest.id}
          </div>
        </>
      ),
      mean: <SplitGeometricMean ctx={ctx} compared={c} />,
      cell: (w: string) => (
        <MatrixCell
          key={key}
          workload={w}
          row={c.rows.get(w)}
          isBaseline={c.bases.get(w) === c.column.cells.get(w)?.id}
        />
      ),
    }
  })
  return (
    <MatrixGrid
      label="Matrix of ratios, one column per stack"
      class="data matrix matrix-split"
      workloads={workloads}
      columns={columns}
    />
  )
}

/**
 * A column's geometric mean: a point estimate over its cells (which may come from several runs,
 * so the API's interval of one comparison does not apply), linked to the comparison when its
 * cells are one.
 */
function SplitGeometricMean(props: { readonly ctx: PageContext; readonly compared: SplitCompared }) {
  const { ctx, compared } = props
  const gm = columnGeometricMean(compared)
  if (gm === null) return <span class="muted">–</span>
  const shown = (
    <span class="gm" title={`Geometric mean of the ${gm.n} ratios of this column (no interval)`}>
      <strong class="num">{formatRatio(gm.value)}</strong> <span class="num">{formatChange(gm.value)}</span>
    </span>
  )
  const [only] = compared.pairs
  return compared.pairs.length === 1 && only !== undefined && only.base !== only.candidate ? (
    <a
      class="plain"
      href={ctx.links.page({ page: 'compare', base: String(only.base), candidate: String(only.candidate) })}
    >
      {shown}
    </a>
  ) : (
    shown
  )
}
