import {
  type ProcessWarmupReport,
  type RunWarmupReport,
  resolveRunSelector,
  type WorkloadWarmupReport,
  warmupOfRun,
} from '../../analysis/index.ts'
import { PROCESS_CLASSES, warmupClassLabel } from '../../model/index.ts'
import type { IntervalResult } from '../../stats/index.ts'
import { type CommonOptions, type Ctx, withStore } from '../context.ts'
import { formatValue, printJson, println, table } from '../output.ts'
import { runLabel } from './compare.ts'

/** Options of `langperf warmup`. */
export interface WarmupOptions extends CommonOptions {
  /** Also print every process: its class, steady iteration and figures. */
  readonly perProcess?: boolean
}

/** An estimate with its interval, `12 [8, 15]`; `–` with the reason's gist when insufficient. */
function withInterval(r: IntervalResult, show: (x: number) => string): string {
  if (r.kind === 'insufficient') return '– (one process)'
  return `${show(r.estimate)} [${show(r.low)}, ${show(r.high)}]`
}

/** How many processes in each class, `F 2 · W 8`, in the order of PROCESS_CLASSES. */
function countsText(w: Extract<WorkloadWarmupReport, { state: 'classified' }>): string {
  const short = { flat: 'flat', warmup: 'warm-up', slowdown: 'slow-down', 'no-steady-state': 'none' } as const
  return PROCESS_CLASSES.filter((c) => w.counts[c] > 0)
    .map((c) => `${w.counts[c]} ${short[c]}`)
    .join(', ')
}

/** The table of a run's workloads: class, process classes, steady iteration, time to it, steady mean. */
export function renderWarmupTable(report: RunWarmupReport): string {
  const rows = report.workloads.map((w) => {
    if (w.state === 'not-classified') return [w.workload.name, 'not classified', '', w.reason.slice(0, 100)]
    const steady =
      w.steady.kind === 'no-steady-state'
        ? [`no steady state (${w.steady.processes} of ${w.processes.length} processes)`]
        : [
            withInterval(w.steady.iteration, (x) => String(Math.round(x))),
            withInterval(w.steady.timeToSteady, (x) => formatValue(x, w.unit)),
            withInterval(w.steady.mean, (x) => formatValue(x, w.unit)),
          ]
    return [w.workload.name, warmupClassLabel(w.class), countsText(w), ...steady]
  })
  return table(
    [
      'workload',
      'class',
      'processes',
      'steady iteration [95 %]',
      'time to steady [95 %]',
      'steady performance [95 %]',
    ],
    rows,
  )
}

/** One workload's processes: class, steady iteration, time to it, steady mean, outliers, segments. */
function renderProcesses(w: Extract<WorkloadWarmupReport, { state: 'classified' }>): string {
  const row = (p: ProcessWarmupReport) => [
    String(p.process),
    warmupClassLabel(p.class),
    p.steady === null ? '–' : String(p.steady.iteration),
    p.steady === null ? '–' : formatValue(p.steady.timeToSteady, w.unit),
    p.steady === null ? '–' : formatValue(p.steady.mean, w.unit),
    String(p.outliers.length),
    p.changepoints.map((c) => c + 1).join(' ') || '–',
    p.segments.map((s) => `${s.start + 1}: ${formatValue(s.mean, w.unit)}`).join(' · '),
  ]
  return table(
    [
      'process',
      'class',
      'steady it.',
      'time to steady',
      'steady mean',
      'outliers',
      'change points (iteration)',
      'segments (first iteration: mean)',
    ],
    w.processes.map(row),
    ['right', 'left', 'right', 'right', 'right', 'right'],
  )
}

/** `langperf warmup RUN`: each workload's warm-up class and steady state (Barrett et al. 2017). */
export async function warmupCommand(ctx: Ctx, selector: string, options: WarmupOptions): Promise<number> {
  const io = ctx.io
  return withStore(options, async (store) => {
    const id = await resolveRunSelector(store, selector)
    const run = (await store.getRun(id))!
    const report = await warmupOfRun(store, id)
    if (options.json) {
      printJson(io, { run, ...report })
      return 0
    }
    const iterations = report.workloads.flatMap((w) =>
      w.state === 'classified' ? w.processes.map((p) => p.iterations) : [],
    )
    println(io, `Warm-up of ${runLabel(run)}, preset ${run.preset}`)
    if (iterations.length > 0)
      println(
        io,
        `${Math.min(...iterations)}–${Math.max(...iterations)} iterations per process; classes after Barrett et al. (OOPSLA 2017), docs/stats.md "Warm-up"`,
      )
    println(io)
    println(io, renderWarmupTable(report))
    if (options.perProcess) {
      for (const w of report.workloads) {
        if (w.state !== 'classified') continue
        println(io)
        println(io, `${w.workload.name}: ${warmupClassLabel(w.class)}`)
        println(io, renderProcesses(w))
      }
    }
    println(io)
    println(
      io,
      'Steady iteration and time to steady: medians over processes; steady performance: mean of the processes’ steady means;' +
        ' intervals by bootstrap over processes. "No steady state" is a status: some process never settled.',
    )
    return 0
  })
}
