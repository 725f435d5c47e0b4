import { GeometricMean, TableWrap } from '../components.tsx'
import {
  clientErrorMessage,
  type Out,
  type OverviewRow,
  type PageContext,
  type PageResult,
} from '../context.ts'
import { formatChange, formatInterval, formatRatio, heatClass, heatStep, VERDICT_LABELS } from '../format.ts'
import { Island } from '../html.tsx'
import type { MatrixIslandProps } from '../islands.ts'
import { Notice } from './parts.tsx'

// The matrix: every runtime and config (the latest run of each machine × runtime × config ×
// branch) against one baseline, workload by workload, as a heat map. The colours run from blue
// (faster) to orange (slower), and every cell also says ▲, ▼ or =, so the map reads without colour.

function columnLabel(row: OverviewRow): string {
  return `${row.runtime} ${row.config}${row.branch !== null ? ` ${row.branch}` : ''}`
}

type Compared = { readonly row: OverviewRow; readonly result: Out<'compare'> | { readonly error: string } }

/** The matrix page against `baseline` (a run selector; the first runtime's latest run when null). */
export async function matrixPage(
  ctx: PageContext,
  ref: { readonly baseline: string | null; readonly machine: string | null },
): Promise<PageResult> {
  const overview = await ctx.api.overview(ref.machine === null ? {} : { query: { machine: ref.machine } })
  const rows = overview.rows
  if (rows.length === 0) {
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
  const baseline = ref.baseline ?? String(rows[0]!.latest.id)
  const compared: Compared[] = await Promise.all(
    rows.map(async (row) => {
      try {
        return {
          row,
          // Across runtimes and releases the suite versions often differ: compare anyway, marked ≠.
          result: await ctx.api.compare({
            query: { base: baseline, candidate: String(row.latest.id), allowVersionMismatch: true },
          }),
        }
      } catch (error) {
        const message = clientErrorMessage(error)
        if (message === undefined) throw error
        return { row, result: { error: message } }
      }
    }),
  )
  const ok = compared.filter((c): c is { row: OverviewRow; result: Out<'compare'> } => !('error' in c.result))
  const baseRun = ok[0]?.result.base
  const workloads = [...new Set(ok.flatMap((c) => c.result.rows.map((r) => r.workload)))].sort()
  const cells = new Map(ok.map((c) => [c.row, new Map(c.result.rows.map((r) => [r.workload, r]))]))
  const options: MatrixIslandProps['options'][number][] = rows.map((r) => ({
    value: String(r.latest.id),
    label: `${columnLabel(r)} on ${r.machine} (${r.latest.version}, run ${r.latest.id})`,
    href: ctx.links.page({ page: 'matrix', baseline: String(r.latest.id), machine: ref.machine }),
  }))
  if (!options.some((o) => o.value === baseline)) {
    options.unshift({
      value: baseline,
      label: baseRun ? `${baseRun.build.runtime} ${baseRun.build.version} (${baseline})` : baseline,
      href: ctx.links.page({ page: 'matrix', baseline, machine: ref.machine }),
    })
  }
  const machines = [...new Set(rows.map((r) => r.machine))]
  const picker =
    ctx.links.mode === 'server' ? (
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
        {ref.machine !== null ? <input type="hidden" name="machine" value={ref.machine} /> : null}
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
  const body = (
    <>
      <h1>Matrix</h1>
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
        , workload by workload: time ratio, below 1 is faster; ≠ marks a workload whose version differs from
        the baseline's. <span class="verdict-slower">▲ slower</span>,{' '}
        <span class="verdict-faster">▼ faster</span>, = no significant difference.
      </p>
      <Island name="matrix" id="matrix" data={{ options, selected: baseline }}>
        {picker}
      </Island>
      {machines.length > 1 || ref.machine !== null ? (
        <p class="small">
          Machine:{' '}
          {ref.machine !== null ? (
            <a href={ctx.links.page({ page: 'matrix', baseline: ref.baseline, machine: null })}>all</a>
          ) : (
            <strong>all</strong>
          )}
          {machines.map((m) => (
            <span key={m}>
              {' · '}
              {m === ref.machine ? (
                <strong>{m}</strong>
              ) : (
                <a href={ctx.links.page({ page: 'matrix', baseline: ref.baseline, machine: m })}>{m}</a>
              )}
            </span>
          ))}
        </p>
      ) : null}
      {compared
        .filter((c) => 'error' in c.result)
        .map((c) => (
          <Notice kind="warn" key={`${c.row.machine}|${columnLabel(c.row)}`}>
            {columnLabel(c.row)} on {c.row.machine}: {'error' in c.result ? c.result.error : ''}
          </Notice>
        ))}
      <TableWrap label="Matrix of ratios">
        <table class="data matrix">
          <thead>
            <tr>
              <th scope="col">workload</th>
              {ok.map((c) => (
                <th scope="col" key={c.row.latest.id} class="num">
                  {columnLabel(c.row)}
                  <div class="small muted">
                    {c.row.machine} · {c.row.latest.version}
                  </div>
                </th>
              ))}
            </tr>
            <tr class="gm-row">
              <th scope="row">geometric mean</th>
              {ok.map((c) => (
                <td key={c.row.latest.id} class="num">
                  <a
                    class="plain"
                    href={ctx.links.page({
                      page: 'compare',
                      base: String(c.result.base.id),
                      candidate: String(c.result.candidate.id),
                    })}
                  >
                    <GeometricMean value={c.result.geometricMean} compact />
                  </a>
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
                {ok.map((c) => {
                  const r = cells.get(c.row)?.get(w)
                  if (r === undefined) {
                    return (
                      <td key={c.row.latest.id} class="num muted">
                        –
                      </td>
                    )
                  }
                  if (c.result.candidate.id === c.result.base.id) {
                    return (
                      <td key={c.row.latest.id} class="num muted">
                        baseline
                      </td>
                    )
                  }
                  const significant = r.verdict === 'slower' || r.verdict === 'faster'
                  const v = VERDICT_LABELS[r.verdict]
                  return (
                    <td
                      key={c.row.latest.id}
                      class={`num cell ${heatClass(significant ? heatStep(r.ratio) : 0)}`}
                      title={`${w}: ${formatRatio(r.ratio)} ${formatInterval(r.low, r.high)} ${v.word}${r.reason ? ` (${r.reason})` : ''}`}
                    >
                      {r.versionsDiffer ? (
                        <span class="warn-mark" title="The workload's versions differ between the two runs">
                          ≠{' '}
                        </span>
                      ) : null}
                      {r.ratio === null ? '–' : formatChange(r.ratio)}{' '}
                      <span aria-hidden="true">{v.symbol}</span>
                      <span class="sr-only">{v.word}</span>
                    </td>
                  )
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </TableWrap>
    </>
  )
  return { status: 200, title: 'Matrix', section: 'matrix', body }
}
