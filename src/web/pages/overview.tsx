import { GeometricMean, Sparkline, StatusBadge, TableWrap } from '../components.tsx'
import {
  type Alert,
  clientErrorMessage,
  compareFinished,
  type OverviewRow,
  type PageContext,
  type PageResult,
  type Run,
} from '../context.ts'
import { formatChange, formatDate, formatRatio, shortSha } from '../format.ts'
import type { GeometricMeanData } from '../islands.ts'
import { AlertList } from './alerts.tsx'
import { CommitLink } from './parts.tsx'

// The overview: every line on every machine, its head (newest build in history order) against the
// build before it and against a baseline release, a sparkline of its recent history, and the
// newest alerts.

/** A final release version (3.12.1, 3.13), not an alpha, beta, release candidate or dev build. */
export const RELEASE_RE = /^\d+\.\d+(?:\.\d+)?$/

/**
 * The geometric mean of run means relative to the head, oldest first (the sparkline): the line's
 * recent history as the overview gives it (`row.recent`, in history order, without a nightly's
 * pair-only runs), not the runs started last.
 */
async function sparkline(ctx: PageContext, row: OverviewRow): Promise<(number | null)[]> {
  const means: Map<string, number>[] = []
  for (const id of row.recent) {
    const read = async () => {
      const detail = await ctx.api.getRun({ params: { id } })
      const m = new Map<string, number>()
      for (const r of detail.results) {
        if (r.outcome.state === 'measured' && r.summary.mean !== null && r.summary.mean > 0) {
          m.set(`${r.workload.name}@${r.workload.version}`, r.summary.mean)
        }
      }
      return m
    }
    // A complete run's results never change: its means are remembered across requests.
    means.push(ctx.memo === undefined ? await read() : await ctx.memo.get(`run-means:${id}`, read))
  }
  const newest = means[0]
  if (newest === undefined) return []
  const values = means.map((m) => {
    let sum = 0
    let n = 0
    for (const [k, v] of m) {
      const ref = newest.get(k)
      if (ref !== undefined) {
        sum += Math.log(v / ref)
        n++
      }
    }
    return n === 0 ? null : Math.exp(sum / n)
  })
  return values.reverse()
}

/** The builds of each runtime and config read while rendering one overview. */
type SharedBuilds = Map<string, ReturnType<PageContext['api']['listBuilds']>>

/** A baseline for one row: the newest final release of the runtime and config measured on the machine. */
async function releaseBaseline(
  ctx: PageContext,
  row: OverviewRow,
  shared: SharedBuilds,
): Promise<Run | undefined> {
  // Rows of one runtime and config (one per machine and branch) share one read of its builds.
  const key = JSON.stringify([row.runtime, row.config])
  let read = shared.get(key)
  if (read === undefined) {
    read = ctx.api.listBuilds({ query: { runtime: row.runtime, config: row.config, limit: 200 } })
    shared.set(key, read)
  }
  const builds = await read
  const releases = builds.items
    .filter((b) => RELEASE_RE.test(b.version) && b.id !== row.latest.buildId)
    .sort((a, b) => compareVersions(b.version, a.version))
  for (const b of releases.slice(0, 10)) {
    const runs = await ctx.api.listRuns({
      query: { build: b.id, machine: row.machine, status: 'complete', limit: 1 },
    })
    if (runs.items[0] !== undefined) return runs.items[0]
  }
  return undefined
}

/** Orders dotted versions numerically (3.9 < 3.10). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number)
  const pb = b.split('.').map(Number)
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0)
    if (d !== 0) return d
  }
  return 0
}

interface BaselineCell {
  readonly label: string
  readonly href: string | null
  readonly geometricMean: GeometricMeanData
}

async function baselineCell(
  ctx: PageContext,
  row: OverviewRow,
  selector: string | null,
  shared: SharedBuilds,
): Promise<BaselineCell | null> {
  let base: string
  let label: string
  let baseRun: Run | undefined
  if (selector === null) {
    baseRun = await releaseBaseline(ctx, row, shared)
    if (baseRun === undefined) return null
    base = String(baseRun.id)
    label = `${baseRun.build.runtime} ${baseRun.build.version}`
  } else {
    base = selector
    label = selector
  }
  try {
    const c =
      baseRun === undefined
        ? await ctx.api.compare({ query: { base, candidate: String(row.latest.id) } })
        : await compareFinished(ctx, baseRun, row.latest)
    return {
      label: selector === null ? label : `${c.base.build.runtime} ${c.base.build.version}`,
      href: ctx.links.page({ page: 'compare', base: String(c.base.id), candidate: String(row.latest.id) }),
      geometricMean: c.geometricMean,
    }
  } catch (error) {
    const message = clientErrorMessage(error)
    if (message === undefined) throw error
    return { label, href: null, geometricMean: { kind: 'insufficient', reason: message } }
  }
}

/** The overview page; `baseline` is a run selector every row is compared with (a release when absent). */
export async function overviewPage(ctx: PageContext, baseline: string | null): Promise<PageResult> {
  const [overview, alerts] = await Promise.all([
    ctx.api.overview(),
    ctx.api.listAlerts({ query: { limit: 8 } }),
  ])
  // Forks' branches are experiments, each judged against its merge base: listed apart, below.
  const experiments = overview.rows.filter((r) => r.against === 'merge base')
  const upstream = overview.rows.filter((r) => r.against !== 'merge base')
  const derive = async () => {
    const shared: SharedBuilds = new Map()
    return Promise.all(
      upstream.map(async (row) => ({
        row,
        spark: await sparkline(ctx, row),
        baseline: await baselineCell(ctx, row, baseline, shared),
      })),
    )
  }
  // Sparklines and baselines read many runs; they change only when the runs do (overview.state).
  const rows =
    ctx.memo === undefined
      ? await derive()
      : await ctx.memo.current(`overview-rows:${baseline ?? ''}`, overview.state, derive)
  const machines = [...new Set(rows.map((r) => r.row.machine))]
  const body = (
    <>
      <h1>Overview</h1>
      <p class="lede">
        The head of every line (runtime · config · branch) on every machine, its newest build in history
        order, against the build before it and against a baseline
        {baseline === null ? ' (the newest release measured on that machine)' : <> ({baseline})</>}. Ratios
        are geometric means of per-workload time ratios with their 95 % intervals; below 1 is faster. Each
        release against the next: <a href={ctx.links.page({ page: 'releases' })}>releases</a>.
      </p>
      {rows.length === 0 && experiments.length === 0 ? (
        <p class="empty">
          No runs yet. Measure with <code>langperf run</code>, or import results with{' '}
          <code>langperf import pyperf</code>.
        </p>
      ) : null}
      {machines.map((machine) => (
        <MachineBlock
          key={machine}
          ctx={ctx}
          machine={machine}
          rows={rows.filter((r) => r.row.machine === machine)}
        />
      ))}
      {experiments.length > 0 ? <Experiments ctx={ctx} rows={experiments} /> : null}
      <section>
        <h2>Newest alerts</h2>
        <AlertList ctx={ctx} alerts={alerts.items as Alert[]} triage={false} />
        <p>
          <a href={ctx.links.page({ page: 'alerts' })}>All {alerts.total} alerts →</a>
        </p>
      </section>
    </>
  )
  return { status: 200, title: 'Overview', section: 'overview', body }
}

/** One overview row: the latest run, its sparkline and its baseline cell. */
interface OverviewLine {
  readonly row: OverviewRow
  readonly spark: (number | null)[]
  readonly baseline: BaselineCell | null
}

/** One machine's runtimes: a table of their latest runs against the previous run and the baseline. */
function MachineBlock(props: {
  readonly ctx: PageContext
  readonly machine: string
  readonly rows: readonly OverviewLine[]
}) {
  const { ctx, machine, rows } = props
  return (
    <section class="machine-block">
      <h2>
        <a href={ctx.links.page({ page: 'machine', name: machine })}>{machine}</a>
      </h2>
      <TableWrap label={`Runtimes on ${machine}`}>
        <table class="data overview-table">
          <thead>
            <tr>
              <th scope="col">runtime · config · branch</th>
              <th scope="col">latest build</th>
              <th scope="col">status</th>
              <th scope="col">against previous</th>
              <th scope="col" class="num">
                <span title="workloads significantly slower / faster / the same">▲ / ▼ / =</span>
              </th>
              <th scope="col">against baseline</th>
              <th scope="col">recent history</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((line) => (
              <OverviewTableRow
                key={`${line.row.runtime}|${line.row.config}|${line.row.branch}`}
                ctx={ctx}
                line={line}
              />
            ))}
          </tbody>
        </table>
      </TableWrap>
    </section>
  )
}

/** One runtime · config · branch: its latest build, status, ratios and sparkline. */
function OverviewTableRow(props: { readonly ctx: PageContext; readonly line: OverviewLine }) {
  const { ctx } = props
  const { row, spark, baseline: b } = props.line
  return (
    <tr>
      <th scope="row" class="name">
        {row.runtime} <span class="muted">·</span> {row.config}
        {row.branch !== null ? (
          <>
            {' '}
            <span class="muted">·</span> {row.branch}
          </>
        ) : null}
      </th>
      <td>
        <a href={ctx.links.page({ page: 'run', id: row.latest.id })}>{row.latest.version}</a>{' '}
        <CommitLink links={ctx.links} sha={row.latest.commitSha} />
        <div class="muted small">{formatDate(row.latest.commitDateUtc ?? row.latest.startedAt)}</div>
      </td>
      <td>
        <StatusBadge status={row.latest.status} />
        {row.results.failed > 0 ? (
          <div class="small bad-text">
            ✗ {row.results.failed} failed workload{row.results.failed === 1 ? '' : 's'}
          </div>
        ) : null}
      </td>
      <td>
        <AgainstCell ctx={ctx} row={row} otherwise="first run" />
      </td>
      <ChangeCounts row={row} />
      <td>
        <BaselineCellView cell={b} />
      </td>
      <td>
        <Sparkline values={spark} label={sparkLabel(spark)} />
      </td>
    </tr>
  )
}

/** The ratio against the baseline, linked to its comparison when there is one; "no release" without a baseline. */
function BaselineCellView(props: { readonly cell: BaselineCell | null }) {
  const b = props.cell
  return b === null ? (
    <span class="muted" title="No release build of this runtime and config was measured on this machine">
      no release
    </span>
  ) : (
    <>
      <span class="small muted">{b.label}</span>{' '}
      {b.href !== null ? (
        <a class="plain" href={b.href}>
          <GeometricMean value={b.geometricMean} compact />
        </a>
      ) : (
        <GeometricMean value={b.geometricMean} compact />
      )}
    </>
  )
}

function sparkLabel(values: readonly (number | null)[]): string {
  const first = values.find((v) => v !== null)
  if (first === undefined || first === null) return 'No history'
  return `Geometric mean of the last ${values.length} runs relative to the newest: the oldest at ${formatRatio(first)} (${formatChange(first)})`
}

/** Experiments shown on the overview, newest first. */
const EXPERIMENTS_SHOWN = 30

/**
 * Forks' branches (experiments): each one's latest run against the run of its merge base on the same
 * machine and config, newest first; never a history, never an alert (docs/lineage.md).
 */
function Experiments(props: { readonly ctx: PageContext; readonly rows: readonly OverviewRow[] }) {
  const { ctx } = props
  const rows = [...props.rows].sort((a, b) =>
    (b.latest.commitDateUtc ?? b.latest.startedAt).localeCompare(
      a.latest.commitDateUtc ?? a.latest.startedAt,
    ),
  )
  const shown = rows.slice(0, EXPERIMENTS_SHOWN)
  return (
    <section>
      <h2>Experiments</h2>
      <p class="small muted">
        Builds of forks' branches, each against the run of its merge base (the commit it branched from) on the
        same machine and config. They are not a history: nothing here raises an alert.
        {rows.length > shown.length ? ` The ${shown.length} newest of ${rows.length}.` : ''}
      </p>
      <TableWrap label="Experiments">
        <table class="data overview-table">
          <thead>
            <tr>
              <th scope="col">fork branch · config</th>
              <th scope="col">machine</th>
              <th scope="col">latest build</th>
              <th scope="col">status</th>
              <th scope="col">against its merge base</th>
              <th scope="col" class="num">
                <span title="workloads significantly slower / faster / the same">▲ / ▼ / =</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {shown.map((row) => (
              <tr key={`${row.machine}|${row.runtime}|${row.config}|${row.branch}`}>
                <th scope="row" class="name">
                  {row.branch ?? '–'} <span class="muted">·</span> {row.config}
                </th>
                <td>
                  <a href={ctx.links.page({ page: 'machine', name: row.machine })}>{row.machine}</a>
                </td>
                <td>
                  <a href={ctx.links.page({ page: 'run', id: row.latest.id })}>{row.latest.version}</a>{' '}
                  <CommitLink links={ctx.links} sha={row.latest.commitSha} />
                </td>
                <td>
                  <StatusBadge status={row.latest.status} />
                </td>
                <td>
                  <AgainstCell
                    ctx={ctx}
                    row={row}
                    otherwise={
                      row.geometricMean.kind === 'insufficient' ? row.geometricMean.reason : 'no merge base'
                    }
                  />
                </td>
                <ChangeCounts row={row} />
              </tr>
            ))}
          </tbody>
        </table>
      </TableWrap>
    </section>
  )
}

/**
 * A row's latest run against the run it is compared with (the run before, or an experiment's
 * merge base), linked to that comparison; `otherwise` when there is none.
 */
function AgainstCell(props: {
  readonly ctx: PageContext
  readonly row: OverviewRow
  readonly otherwise: string
}) {
  const { ctx, row } = props
  if (row.previous === null) return <span class="muted">{props.otherwise}</span>
  const base = row.against === 'merge base' ? 'its merge base' : row.previous.version
  return (
    <a
      class="plain"
      href={ctx.links.page({
        page: 'compare',
        base: String(row.previous.id),
        candidate: String(row.latest.id),
      })}
      title={`Compare with ${base} ${shortSha(row.previous.commitSha)}`}
    >
      {row.against === 'merge base' ? (
        <>
          <span class="small muted">{shortSha(row.previous.commitSha)}</span>{' '}
        </>
      ) : null}
      <GeometricMean value={row.geometricMean} compact />
    </a>
  )
}

/** How many workloads of the comparison got slower, faster or stayed the same. */
function ChangeCounts(props: { readonly row: OverviewRow }) {
  const { changes } = props.row
  return (
    <td class="num">
      <span class="verdict-slower">{changes.slower} ▲</span> /{' '}
      <span class="verdict-faster">{changes.faster} ▼</span> / {changes.same} =
    </td>
  )
}
