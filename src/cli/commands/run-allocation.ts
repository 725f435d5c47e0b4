import { buildFromInterpreter, storedSamplingAdvice } from '../../analysis/index.ts'
import type { WorkloadDefinition } from '../../model/index.ts'
import type { Interpreter } from '../../runner/index.ts'
import type { BuildCatalog, RunReader } from '../../store/index.ts'
import type { Ctx } from '../context.ts'
import { log } from '../output.ts'

// `langperf run --values auto` (docs/stats.md, "Values per process"): each workload gets the
// values per process that the two-stage allocation finds best from its newest earlier result on
// this machine (its within- and between-process noise, what a process and a value cost), read
// from the first interpreter of the run that has one; a workload without an earlier result keeps
// the preset's values. Interpreters with a JIT keep theirs (runner/suite.ts).

/**
 * Values per process `--values auto` chooses between: at least 2, so that every run still measures
 * the within-process noise the next allocation is made from (with one value per process there is
 * none to learn, and the next run would fall back to the preset's).
 */
export const AUTO_BOUNDS = { min: 2, max: 20 } as const

/** What a run reads of its builds' earlier runs on the machine (loops, values per process). */
export interface RunHistoryPlan {
  readonly interpreters: readonly Interpreter[]
  readonly workloads: readonly WorkloadDefinition[]
  readonly machine: string
  readonly minTimeS: number
}

/** Values per process by workload name for `--values auto`, saying where each came from. */
export async function allocatedValues(
  ctx: Ctx,
  store: BuildCatalog & RunReader,
  plan: RunHistoryPlan & { readonly presetValues: number },
): Promise<Readonly<Record<string, number>>> {
  const versions = new Map(plan.workloads.map((w) => [w.manifest.name, w.version]))
  const out: Record<string, number> = {}
  const said: string[] = []
  for (const interp of plan.interpreters) {
    if (Object.keys(out).length === plan.workloads.length) break
    const advice = await storedSamplingAdvice(
      store,
      {
        identity: buildFromInterpreter(interp).identity,
        machine: plan.machine,
        minTimeS: plan.minTimeS,
        versions,
      },
      AUTO_BOUNDS,
    )
    for (const [name, a] of advice) {
      if (out[name] !== undefined) continue
      out[name] = a.allocation.values
      said.push(
        `${name} ${a.allocation.values} (σ within ${(Math.sqrt(a.components.within) * 100).toFixed(1)} %, between ${(Math.sqrt(a.components.between) * 100).toFixed(1)} %; a process ${a.costs.processS.toFixed(2)} s, a value ${a.costs.valueS.toFixed(2)} s)`,
      )
    }
  }
  const rest = plan.workloads.length - Object.keys(out).length
  log(
    ctx.io,
    said.length === 0
      ? `  --values auto: no earlier run of these builds on ${plan.machine} to learn from; ${plan.presetValues} values per process (the preset's) this time`
      : `  --values auto, values per process from earlier runs on ${plan.machine}: ${said.join('; ')}${rest > 0 ? `; ${rest} other workloads keep the preset's ${plan.presetValues}` : ''}`,
  )
  return out
}
