import { GeometricMean } from '../components.tsx'
import {
  clientErrorMessage,
  compareFinished,
  type Out,
  type OverviewRow,
  type PageContext,
  type PageResult,
  type Run,
} from '../context.ts'
import { Island } from '../html.tsx'
import type { MatrixIslandProps } from '../islands.ts'
import { columnLabel, MatrixCell, MatrixGrid } from './matrix-parts.tsx'
import { hasStacks, SplitMatrixTable, splitMatrix } from './matrix-split.tsx'
import { compareVersions } from './overview.tsx'
import { Notice } from './parts.tsx'
import { releaseLines } from './releases.tsx'

// The matrix: every runtime and config (the latest run of each machine × runtime × config ×
// branch) against one baseline, workload by workload, as a heat map. The colours run from blue
// (faster) to orange (slower), and every cell also says ▲, ▼ or =, so the map reads without colour.

type Compared = { readonly row: OverviewRow; readonly result: Out<'compare'> | { readonly error: string } }
type ComparedOk = { row: OverviewRow; result: Out<'compare'> }
type BaselineOption = MatrixIslandProps['options'][number]

/** The machine with the most runs (the first of them on a tie), once per state of the runs. */
async function busiestMachine(
  ctx: PageContext,
  machines: readonly string[],
  state: string,
): Promise<string | null> {
  const read = async () => {
    let best: string | null = null
    let most = -1
    for (const m of machines) {
      const { total } = await ctx.api.listRuns({ query: { machine: m, limit: 1 } })
      if (total > most) {
        best = m
        most = total
      }
    }
    return best
  }
  return ctx.memo === undefined ? read() : ctx.memo.current('busiest-machine', state, read)
}

/** The default baseline on `machine`: the run of the oldest release measured there, or none. */
async function oldestRelease(ctx: PageContext, machine: string): Promise<Run | null> {
  const firsts = (await releaseLines(ctx, machine)).map((l) => l.releases[0]!)
  firsts.sort((a, b) => compareVersions(a.version, b.version) || a.run.id - b.run.id)
  return firsts[0]?.run ?? null
}

/**
 * The matrix page: on one machine (`machine`, else the one with the most runs), each runtime and
 * config's latest run against `baseline` (a run selector; the oldest release measured on the
 * machine, else the first row's latest run, when null).
 */
export async function matrixPage(
  ctx: PageContext,
  ref: {
    readonly baseline: string | null
    readonly machine: string | null
    readonly split?: 'stack' | null
    readonly stack?: string | null
  },
): Promise<PageResult> {
  const overview = await ctx.api.overview()
  const machines = [...new Set(overview.rows.map((r) => r.machine))]
  const machine = ref.machine ?? (await busiestMachine(ctx, machines, overview.state))
  const rows = overview.rows.filter((r) => r.machine === machine)
  if (rows.length === 0 || machine === null) {
    return {
      status: 200,
      title: 'Matrix',
      section: 'matrix',
      body: (
        <>
          <h1>Matrix</h1>
          <p class="empty">No runs{ref.machine !== null ? ` on ${ref.machine}` : ''} yet.</p>
        </>
      ),
    }
  }
  const release = ref.baseline === null ? await oldestRelease(ctx, machine) : null
  const baseline = ref.baseline ?? (release === null ? String(rows[0]!.latest.id) : String(release.id))
  if (ref.split === 'stack') return splitPage(ctx, ref, { machine, machines, rows, baseline })
  // A baseline known by its run (the default ones) lets finished comparisons be remembered.
  const known = release ?? (ref.baseline === null ? rows[0]!.latest : null)
  const compared = await compareEach(ctx, rows, baseline, known)
  const ok = compared.filter((c): c is ComparedOk => !('error' in c.result))
  const baseRun = ok[0]?.result.base
  const options = baselineOptions(ctx, rows, { baseline, baseRun, machine: ref.machine })
  const body = (
    <>
      <h1>Matrix</h1>
      <p class="matrix-question">
        Machine <strong>{machine}</strong>
        {ref.machine === null ? <span class="muted"> (the one with the most runs)</span> : null}, baseline{' '}
        <strong>
          {baseRun
            ? `${baseRun.build.runtime} ${baseRun.build.version} ${baseRun.build.config} (run ${baseRun.id} on ${baseRun.machine})`
            : baseline}
        </strong>
        {ref.baseline === null ? (
          <span class="muted"> (the oldest release measured on this machine, else its first runtime)</span>
        ) : null}
      </p>
      <MatrixLede ctx={ctx} baseRun={baseRun} />
      <Island name="matrix" id="matrix" data={{ options, selected: baseline }}>
        <BaselinePicker ctx={ctx} options={options} baseline={baseline} machine={ref.machine} />
      </Island>
      {machines.length > 1 ? (
        <MachineLinks ctx={ctx} machines={machines} baseline={ref.baseline} machine={machine} />
      ) : null}
      {(await hasStacks(ctx, rows)) ? (
        <SplitLinks ctx={ctx} split={false} baseline={ref.baseline} machine={ref.machine} />
      ) : null}
      {compared
        .filter((c) => 'error' in c.result)
        .map((c) => (
          <Notice kind="warn" key={`${c.row.machine}|${columnLabel(c.row)}`}>
            {columnLabel(c.row)} on {c.row.machine}: {'error' in c.result ? c.result.error : ''}
          </Notice>
        ))}
      <MatrixTable ctx={ctx} ok={ok} />
    </>
  )
  return { status: 200, title: `Matrix on ${machine}`, section: 'matrix', body }
}

/** The matrix split by stack (`split=stack`): its columns, baseline picker and table. */
async function splitPage(
  ctx: PageContext,
  asked: {
    readonly baseline: string | null
    readonly machine: string | null
    readonly stack?: string | null
  },
  q: {
    readonly baseline: string
    readonly machine: string
    readonly machines: readonly string[]
    readonly rows: readonly OverviewRow[]
  },
): Promise<PageResult> {
  const { machine, rows } = q
  let baseRun: Run
  try {
    baseRun = await resolveRun(ctx, q.baseline, rows[0]!.latest.id)
  } catch (error) {
    const message = clientErrorMessage(error)
    if (message === undefined) throw error
    return { status: 200, title: 'Matrix', section: 'matrix', body: <Notice kind="warn">{message}</Notice> }
  }
  const split = await splitMatrix(ctx, rows, { baseRun, stack: asked.stack ?? null, machine: asked.machine })
  const body = (
    <>
      <h1>Matrix by stack</h1>
      <p class="matrix-question">
        Machine <strong>{machine}</strong>, baseline{' '}
        <strong>
          {baseRun.build.runtime} {baseRun.build.version} {baseRun.build.config} (run {baseRun.id} on{' '}
          {baseRun.machine}){split.baseColumn?.stack ? ` on ${split.baseColumn.stack}` : ''}
        </strong>
      </p>
      <p class="lede">
        One column per runtime, config and numeric stack (NumPy, its BLAS and threads, as each result recorded
        them), each cell that stack's newest result of the workload among the row's last runs, against the
        baseline's result of the same workload by name (≠: another workload version, as another stack always
        is). Workloads without a stack stay in one column per runtime and config.
      </p>
      <Island name="matrix" id="matrix" data={{ options: split.options, selected: split.selected }}>
        <BaselinePicker
          ctx={ctx}
          options={split.options}
          baseline={split.selected}
          machine={asked.machine}
          split
        />
      </Island>
      {q.machines.length > 1 ? (
        <MachineLinks ctx={ctx} machines={q.machines} baseline={null} machine={machine} split />
      ) : null}
      <SplitLinks ctx={ctx} split baseline={asked.baseline} machine={asked.machine} />
      {split.compared
        .filter((c) => c.errors.length > 0)
        .map((c) => (
          <Notice kind="warn" key={`${columnLabel(c.column.row)}|${c.column.stack ?? ''}`}>
            {columnLabel(c.column.row)}
            {c.column.stack === null ? '' : ` · ${c.column.stack}`} on {c.column.row.machine}:{' '}
            {c.errors.join('; ')}
          </Notice>
        ))}
      <SplitMatrixTable ctx={ctx} split={split} />
    </>
  )
  return { status: 200, title: `Matrix by stack on ${machine}`, section: 'matrix', body }
}

/** The run a baseline selector names: by id, else as the API's comparison resolves it. */
async function resolveRun(ctx: PageContext, selector: string, other: number): Promise<Run> {
  if (/^\d+$/.test(selector))
    return (await ctx.api.getRun({ params: { id: Number(selector) }, query: {} })).run
  const compared = await ctx.api.compare({
    query: { base: selector, candidate: String(other), allowVersionMismatch: true },
  })
  return compared.base
}

/** The switch between one column per row and one per row × stack (a link: it works in a static report too). */
function SplitLinks(props: {
  readonly ctx: PageContext
  readonly split: boolean
  readonly baseline: string | null
  readonly machine: string | null
}) {
  const { ctx, split, baseline, machine } = props
  const plain = ctx.links.page({ page: 'matrix', baseline, machine })
  const stacks = ctx.links.page({
    page: 'matrix',
    baseline,
    machine,
    split: 'stack',
  })
  return (
    <p class="small">
      Columns:{' '}
      {split ? <a href={plain}>one per runtime and config</a> : <strong>one per runtime and config</strong>} ·{' '}
      {split ? <strong>one per numeric stack</strong> : <a href={stacks}>one per numeric stack</a>}
    </p>
  )
}

/** Each row's latest run compared with the baseline; a comparison the API refuses keeps its message. */
async function compareEach(
  ctx: PageContext,
  rows: readonly OverviewRow[],
  baseline: string,
  known: { readonly id: number; readonly status: string } | null,
): Promise<Compared[]> {
  return Promise.all(
    rows.map(async (row) => {
      try {
        return {
          row,
          // Across runtimes and releases the suite versions often differ: compare anyway, marked ≠.
          result:
            known === null
              ? await ctx.api.compare({
                  query: { base: baseline, candidate: String(row.latest.id), allowVersionMismatch: true },
                })
              : await compareFinished(ctx, known, row.latest, { allowVersionMismatch: true }),
        }
      } catch (error) {
        const message = clientErrorMessage(error)
        if (message === undefined) throw error
        return { row, result: { error: message } }
      }
    }),
  )
}

/** The baselines to choose from: every row's latest run, and the baseline asked for when it is none of them. */
function baselineOptions(
  ctx: PageContext,
  rows: readonly OverviewRow[],
  current: {
    readonly baseline: string
    readonly baseRun: Out<'compare'>['base'] | undefined
    readonly machine: string | null
  },
): BaselineOption[] {
  const { baseline, baseRun, machine } = current
  const options: BaselineOption[] = rows.map((r) => ({
    value: String(r.latest.id),
    label: `${columnLabel(r)} on ${r.machine} (${r.latest.version}, run ${r.latest.id})`,
    href: ctx.links.page({ page: 'matrix', baseline: String(r.latest.id), machine }),
  }))
  if (!options.some((o) => o.value === baseline)) {
    options.unshift({
      value: baseline,
      label: baseRun ? `${baseRun.build.runtime} ${baseRun.build.version} (${baseline})` : baseline,
      href: ctx.links.page({ page: 'matrix', baseline, machine }),
    })
  }
  return options
}

/** What the matrix shows, against which baseline run, and how to read a cell. */
function MatrixLede(props: {
  readonly ctx: PageContext
  readonly baseRun: Out<'compare'>['base'] | undefined
}) {
  const { ctx, baseRun } = props
  return (
    <p class="lede">
      Each runtime and config's latest run against the baseline
      {baseRun ? (
        <>
          {' '}
          <a href={ctx.links.page({ page: 'run', id: baseRun.id })}>
            {baseRun.build.runtime} {baseRun.build.version} {baseRun.build.config} on {baseRun.machine}
          </a>
        </>
      ) : null}
      , workload by workload: time ratio, below 1 is faster; ≠ marks a workload whose version differs from the
      baseline's. <span class="verdict-slower">▲ slower</span>, <span class="verdict-faster">▼ faster</span>,
      = no significant difference.
    </p>
  )
}

/** The baseline picker: a form on the server, plain links in the static report. */
function BaselinePicker(props: {
  readonly ctx: PageContext
  readonly options: readonly BaselineOption[]
  readonly baseline: string
  readonly machine: string | null
  /** The split matrix's options are columns, not runs: links, which need no form. */
  readonly split?: boolean
}) {
  const { ctx, options, baseline, machine } = props
  return ctx.links.mode === 'server' && props.split !== true ? (
    <form class="picker" method="get" action="/matrix">
      <label>
        baseline{' '}
        <select name="baseline">
          {options.map((o) => (
            <option key={o.value} value={o.value} selected={o.value === baseline}>
              {o.label}
            </option>
          ))}
        </select>
      </label>
      {machine !== null ? <input type="hidden" name="machine" value={machine} /> : null}
      <button type="submit">Show</button>
    </form>
  ) : (
    <nav class="baseline-links" aria-label="Baselines">
      Baseline:{' '}
      {options.map((o, i) => (
        <span key={o.value}>
          {i > 0 ? ' · ' : ''}
          {o.value === baseline ? <strong>{o.label}</strong> : <a href={o.href}>{o.label}</a>}
        </span>
      ))}
    </nav>
  )
}

/** The other machines' matrices (each against its own default baseline unless one was chosen). */
function MachineLinks(props: {
  readonly ctx: PageContext
  readonly machines: readonly string[]
  readonly baseline: string | null
  readonly machine: string
  readonly split?: boolean
}) {
  const { ctx, machines, baseline, machine } = props
  const split = props.split === true ? ({ split: 'stack' } as const) : {}
  return (
    <p class="small">
      Machines:{' '}
      {machines.map((m, i) => (
        <span key={m}>
          {i > 0 ? ' · ' : ''}
          {m === machine ? (
            <strong>{m}</strong>
          ) : (
            <a href={ctx.links.page({ page: 'matrix', baseline, machine: m, ...split })}>{m}</a>
          )}
        </span>
      ))}
    </p>
  )
}

/** The heat map: one column per compared run, its geometric mean on top, one row per workload. */
function MatrixTable(props: { readonly ctx: PageContext; readonly ok: readonly ComparedOk[] }) {
  const { ctx, ok } = props
  const workloads = [...new Set(ok.flatMap((c) => c.result.rows.map((r) => r.workload)))].sort()
  const columns = ok.map((c) => {
    const rows = new Map(c.result.rows.map((r) => [r.workload, r]))
    const { base, candidate } = c.result
    return {
      key: String(c.row.latest.id),
      head: (
        <>
          {columnLabel(c.row)}
          <div class="small muted">
            {c.row.machine} · {c.row.latest.version}
          </div>
        </>
      ),
      mean: (
        <a
          class="plain"
          href={ctx.links.page({ page: 'compare', base: String(base.id), candidate: String(candidate.id) })}
        >
          <GeometricMean value={c.result.geometricMean} compact />
        </a>
      ),
      cell: (w: string) => (
        <MatrixCell
          key={c.row.latest.id}
          workload={w}
          row={rows.get(w)}
          isBaseline={candidate.id === base.id}
        />
      ),
    }
  })
  return <MatrixGrid label="Matrix of ratios" class="data matrix" workloads={workloads} columns={columns} />
}
