import { resolveRunSelector } from '../../analysis/index.ts'
import { createRng, type JsonObject } from '../../lib/index.ts'
import { busyCpuWarning } from '../../model/index.ts'
import { summarize } from '../../stats/index.ts'
import type { ResultRow } from '../../store/index.ts'
import { type CommonOptions, type Ctx, withStore } from '../context.ts'
import { formatValue, printJson, println, table } from '../output.ts'
import { runLabel } from './compare.ts'
import { stackLine } from './stack-line.ts'

/** Options of `langperf show`. */
export interface ShowOptions extends CommonOptions {
  readonly limit?: number
  readonly offset?: number
  readonly samples?: boolean
}

/** The results of one run as a table: mean, 95 % interval of the mean, processes, values, or why not. */
export function renderResultsTable(results: readonly ResultRow[]): string {
  const rng = createRng(1)
  const rows = results.map((r) => {
    if (r.outcome.state !== 'measured') {
      const why =
        r.outcome.state === 'failed' ? `${r.outcome.reason}: ${r.outcome.message}` : r.outcome.message
      return [r.workload.name, r.outcome.state, '', '', '', '', why.slice(0, 120)]
    }
    const s = summarize(r.processMeans, { rng })
    const ci =
      s.kind === 'summary' && Number.isFinite(s.relativeHalfWidth)
        ? `±${(s.relativeHalfWidth * 100).toFixed(1)} %`
        : '–'
    const incomplete = incompleteOf(r.metadata)
    return [
      r.workload.name,
      incomplete ? 'incomplete' : 'measured',
      formatValue(r.summary.mean, r.unit),
      ci,
      String(r.summary.nProcesses),
      String(r.summary.nValues),
      incomplete ? `${incomplete.reason}: ${incomplete.processes} of ${incomplete.planned} processes` : '',
    ]
  })
  return table(['workload', 'state', 'mean', '95 % CI', 'processes', 'values', 'reason'], rows, [
    'left',
    'left',
    'right',
    'right',
    'right',
    'right',
  ])
}

/** A result's `incomplete` mark (an interrupted run kept what it measured), or null. */
function incompleteOf(metadata: JsonObject): { reason: string; processes: number; planned: number } | null {
  const m = metadata.incomplete
  if (m === null || typeof m !== 'object' || Array.isArray(m)) return null
  const o = m as JsonObject
  return {
    reason: typeof o.reason === 'string' ? o.reason : 'incomplete',
    processes: typeof o.processes === 'number' ? o.processes : 0,
    planned: typeof o.planned === 'number' ? o.planned : 0,
  }
}

/** `langperf show [RUN]`: the list of runs, or one run with its environment and results. */
export async function showCommand(
  ctx: Ctx,
  selector: string | undefined,
  options: ShowOptions,
): Promise<number> {
  const io = ctx.io
  return withStore(options, async (store) => {
    if (selector === undefined) {
      const page = await store.listRuns({ limit: options.limit ?? 20, offset: options.offset ?? 0 })
      if (options.json) {
        printJson(io, page)
        return 0
      }
      if (page.total === 0) {
        println(
          io,
          'No runs yet: measure with `langperf run --suite quick --fast` or import with `langperf import pyperf FILE`.',
        )
        return 0
      }
      println(
        io,
        table(
          ['run', 'started (UTC)', 'machine', 'build', 'config', 'suite', 'preset', 'status', 'results'],
          page.rows.map((r) => [
            String(r.id),
            r.startedAt.replace('T', ' ').slice(0, 19),
            r.machine,
            `${r.build.runtime}-${r.build.version}${r.build.commitSha ? ` ${r.build.commitSha.slice(0, 10)}` : ''}`,
            r.build.config,
            r.suite,
            r.preset,
            r.status,
            String(r.resultCount),
          ]),
          ['right'],
        ),
      )
      println(
        io,
        `${page.rows.length} of ${page.total} runs${page.total > page.rows.length ? ' (--limit, --offset for more)' : ''}`,
      )
      return 0
    }
    const id = await resolveRunSelector(store, selector)
    const run = (await store.getRun(id))!
    if (options.json) {
      const results = options.samples
        ? await store.getResults(id, { withSamples: true })
        : await store.getResults(id)
      printJson(io, { run, results })
      return 0
    }
    const results = await store.getResults(id)
    println(io, runLabel(run))
    println(
      io,
      `Status ${run.status}; suite ${run.suite}; preset ${run.preset}; ${run.harnessVersion}; source ${run.source}`,
    )
    if (run.build.interpreter)
      println(
        io,
        `Interpreter ${run.build.interpreter.executable}: ${run.build.interpreter.sysVersion.split('\n')[0]}`,
      )
    if (run.environment) {
      const f = run.environment.fingerprint
      println(io, `Machine ${f.cpuModel}, ${f.logicalCpus} CPUs, kernel ${f.kernel}`)
      for (const w of run.environment.warnings) println(io, `  warning: ${w.message}`)
    }
    const busy = busyCpuWarning(run.metadata)
    if (busy !== null) println(io, `  warning: ${busy}`)
    println(io)
    println(io, renderResultsTable(results))
    const stacks = results.flatMap((r) => {
      const line = stackLine(r.metadata)
      return line === null ? [] : [`  ${r.workload.name}: ${line}`]
    })
    if (stacks.length > 0) {
      println(io)
      println(io, 'Stacks (third-party modules loaded; BLAS/LAPACK and threads)')
      println(io, stacks.join('\n'))
    }
    const failed = results.filter((r) => r.outcome.state === 'failed')
    for (const r of failed) {
      if (r.outcome.state === 'failed' && r.outcome.stderrTail.trim()) {
        println(io)
        println(io, `${r.workload.name}: last lines of stderr`)
        println(
          io,
          r.outcome.stderrTail
            .trim()
            .split('\n')
            .slice(-8)
            .map((l) => `  ${l}`)
            .join('\n'),
        )
      }
    }
    return 0
  })
}
