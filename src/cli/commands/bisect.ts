import { LangperfError } from '../../lib/index.ts'
import { type BisectStep, bisect, type ManualBisectResult } from '../../pipeline/index.ts'
import type { Ctx } from '../context.ts'
import { log, printJson, println, table } from '../output.ts'
import { withInterrupt } from './interrupt.ts'
import {
  type ConfigOptions,
  loadConfigFile,
  openConfiguredStore,
  type SamplingCliOptions,
  samplingFrom,
} from './pipeline-options.ts'
import { countsInstructions, instructionsPresetFrom } from './run-instructions.ts'

// `langperf bisect --good A --bad B --workload W`: the nightly's bisection by hand. Builds the
// midpoints of (A, B] of a runtime of langperf.toml, measures the workloads interleaved with both
// ends, narrows to one commit and confirms it against its parent; each step on stderr, the
// verdict on stdout. With `--measure instructions`, each build's workloads are counted once under
// valgrind's callgrind and judged exactly (one process per build, one round). Exit status: 0 a culprit was found; 1 inconclusive; 2 bad input; 3 unavailable.

/** Options of `langperf bisect`. */
export interface BisectCommandOptions extends ConfigOptions, SamplingCliOptions {
  readonly good?: string
  readonly bad?: string
  readonly workload?: readonly string[]
  readonly runtime?: string
  readonly buildConfig?: string
  readonly branch?: string
  readonly alert?: number
  readonly processes?: number
  readonly repeats?: number
  readonly maxBuilds?: number
  readonly measure?: string
}

function printResult(ctx: Ctx, r: ManualBisectResult): void {
  const o = r.outcome
  if (o.steps.length > 0) {
    // Counts are exact: the position has no interval, and each build was counted once.
    const exact = r.measure === 'instructions'
    const position = (p: BisectStep['position']) =>
      p === null
        ? '–'
        : exact
          ? p.f.toFixed(2)
          : `${p.f.toFixed(2)} [${p.low.toFixed(2)}, ${p.high.toFixed(2)}]`
    println(
      ctx.io,
      table(
        [
          'commit',
          'subject',
          'verdict',
          exact ? 'position f (exact)' : 'position f [99 %]',
          'processes',
        ].slice(0, exact ? 4 : 5),
        o.steps.map((s) =>
          [
            s.sha.slice(0, 12),
            s.subject.slice(0, 50),
            s.outcome,
            position(s.position),
            String(s.processes),
          ].slice(0, exact ? 4 : 5),
        ),
      ),
    )
  }
  println(ctx.io, o.kind === 'culprit' ? `Culprit: ${o.note}` : `Inconclusive: ${o.reason}`)
  if (r.alert) println(ctx.io, `Recorded on alert ${r.alert.id}`)
}

/** `langperf bisect`: returns the exit status. */
export async function bisectCommand(ctx: Ctx, options: BisectCommandOptions): Promise<number> {
  if (options.good === undefined || options.bad === undefined) {
    throw new LangperfError('bad-input', 'Cannot bisect: expected both --good and --bad')
  }
  if (!options.workload || options.workload.length === 0) {
    throw new LangperfError('bad-input', 'Cannot bisect: expected at least one --workload')
  }
  const counting = countsInstructions(options)
  if (counting) {
    // Refuses the options of timing (--processes, --warmups, --values, --fast, --rigorous).
    instructionsPresetFrom(options)
    if (options.repeats !== undefined)
      throw new LangperfError(
        'bad-input',
        'Cannot use --repeats with --measure instructions: a count repeats exactly, so one round decides',
      )
  }
  const config = await loadConfigFile(options)
  const store = await openConfiguredStore(config, options, ctx.env)
  try {
    const result = await withInterrupt(ctx, (signal) =>
      bisect(
        config,
        { store, env: ctx.env, log: (line) => log(ctx.io, line), signal },
        {
          good: options.good!,
          bad: options.bad!,
          workloads: options.workload!,
          ...(options.runtime !== undefined ? { runtime: options.runtime } : {}),
          ...(options.buildConfig !== undefined ? { buildConfig: options.buildConfig } : {}),
          ...(options.branch !== undefined ? { branch: options.branch } : {}),
          ...(options.machine !== undefined ? { machine: options.machine } : {}),
          ...(options.alert !== undefined ? { alertId: options.alert } : {}),
        },
        counting
          ? {
              sampling: samplingFrom(options),
              maxBuilds: options.maxBuilds ?? config.bisect.maxBuilds,
              measure: 'instructions',
            }
          : {
              sampling: samplingFrom(options),
              maxBuilds: options.maxBuilds ?? config.bisect.maxBuilds,
              maxRounds: options.repeats ?? config.bisect.repeats,
              ...(options.processes !== undefined ? { startProcesses: options.processes } : {}),
              // Without --measure, an --alert of instruction counts is bisected by counts (bisect-run.ts).
              ...(options.measure === 'time' ? { measure: 'time' as const } : {}),
            },
      ),
    )
    if (options.json) printJson(ctx.io, result)
    else printResult(ctx, result)
    if (result.outcome.kind === 'inconclusive' && result.outcome.reason === 'interrupted') return 130
    return result.outcome.kind === 'culprit' ? 0 : 1
  } finally {
    await store.close()
  }
}
