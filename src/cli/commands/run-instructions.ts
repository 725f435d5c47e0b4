import type { JsonObject } from '../../lib/index.ts'
import { LangperfError } from '../../lib/index.ts'
import {
  findValgrind,
  instructionsPreset,
  type Preset,
  probeHardwareCounters,
  probeRapl,
  type Valgrind,
} from '../../runner/index.ts'

// `langperf run --measure instructions`: the preset, the options it refuses, valgrind, and what
// the run records about the machine's counters (runner/instructions.ts, runner/counters.ts).

/** The measurement modes of `--measure`. */
export const MEASURE_MODES = ['time', 'instructions'] as const

/** What `--measure` asks of a run. */
export interface MeasureOptions {
  readonly measure?: string
  readonly fast?: boolean
  readonly rigorous?: boolean
  readonly warmupSeries?: number
  readonly cpuTime?: boolean
  readonly precision?: number
  readonly processes?: number
  readonly warmups?: number
  readonly values?: number | 'auto'
  readonly minTime?: number
}

/** True for `--measure instructions`; refuses a mode that is not one of MEASURE_MODES. */
export function countsInstructions(options: MeasureOptions): boolean {
  const mode = options.measure ?? 'time'
  if (!(MEASURE_MODES as readonly string[]).includes(mode))
    throw new LangperfError(
      'bad-input',
      `Cannot use --measure ${mode}: expected one of ${MEASURE_MODES.join(', ')}`,
    )
  return mode === 'instructions'
}

/** The preset of an instruction count, refusing the options that describe timing. */
export function instructionsPresetFrom(options: MeasureOptions): Preset {
  const clash = (
    [
      ['--fast', options.fast],
      ['--rigorous', options.rigorous],
      ['--warmup-series', options.warmupSeries !== undefined],
      ['--cpu-time', options.cpuTime],
      ['--precision', options.precision !== undefined],
      ['--processes', options.processes !== undefined],
      ['--warmups', options.warmups !== undefined],
      ['--values', options.values !== undefined],
    ] as const
  ).find(([, given]) => given)
  if (clash)
    throw new LangperfError(
      'bad-input',
      `Cannot use ${clash[0]} with --measure instructions: an instruction count is one process pair per interpreter and workload (a warm-up value and one counted value), exactly repeatable`,
    )
  return instructionsPreset(options.minTime ?? 0.1)
}

/** valgrind, and the run's metadata: valgrind's version, hardware counters and energy as probed. */
export async function instructionSetup(
  env: NodeJS.ProcessEnv,
): Promise<{ readonly valgrind: Valgrind; readonly metadata: JsonObject }> {
  const valgrind = await findValgrind(env)
  const [hardware, energy] = await Promise.all([probeHardwareCounters(env), probeRapl()])
  return {
    valgrind,
    metadata: {
      measure: 'instructions',
      instructions: { tool: 'callgrind', valgrind: valgrind.version, hash_seed: 0 },
      hardware_counters: hardware,
      energy,
    },
  }
}
