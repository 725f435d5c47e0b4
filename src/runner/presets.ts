import { badInput } from '../lib/index.ts'

/** How many processes, warm-ups and values one workload gets. */
export interface Sampling {
  readonly processes: number
  readonly warmups: number
  readonly values: number
}

/** A named sampling plan, with a separate plan for JIT interpreters. */
export interface Preset {
  readonly name: PresetName | typeof WARMUP_PRESET | typeof INSTRUCTIONS_PRESET
  /** Interpreters without a JIT (CPython without its experimental JIT). */
  readonly plain: Sampling
  /** JIT interpreters (PyPy, CPython with the JIT on): fewer processes, more warm-ups and values. */
  readonly jit: Sampling
  /** Minimum duration of one timed value; loops are calibrated to reach it. */
  readonly minTimeS: number
}

/** The preset names, from cheapest to most careful. */
export const PRESET_NAMES = ['fast', 'default', 'rigorous'] as const
/** One of PRESET_NAMES. */
export type PresetName = (typeof PRESET_NAMES)[number]

// pyperf's defaults: 20 processes × (1 warm-up + 3 values), values ≥ 100 ms; --fast is 6 × (1 + 3);
// --rigorous doubles the processes. JIT interpreters: pyperf documents 6 processes × 10 values with
// 10 warm-ups (pyperf docs, "Runner class"; pyperf 2.10 runs one, psf/pyperf#245 restores them);
// Barrett et al. ("Virtual machine warmup blows hot and cold", OOPSLA 2017) show many never
// settle, so warm-ups are generous here and the values after them are kept for steady-state
// analysis.
const PRESETS: Readonly<Record<PresetName, Preset>> = {
  fast: {
    name: 'fast',
    plain: { processes: 6, warmups: 1, values: 3 },
    jit: { processes: 4, warmups: 6, values: 4 },
    minTimeS: 0.1,
  },
  default: {
    name: 'default',
    plain: { processes: 20, warmups: 1, values: 3 },
    jit: { processes: 6, warmups: 10, values: 10 },
    minTimeS: 0.1,
  },
  rigorous: {
    name: 'rigorous',
    plain: { processes: 40, warmups: 1, values: 3 },
    jit: { processes: 12, warmups: 20, values: 10 },
    minTimeS: 0.1,
  },
}

/** The name of the preset of `warmupPreset`, recorded on its runs. */
export const WARMUP_PRESET = 'warmup'

/** Processes of a warm-up series by default (Barrett et al. ran 30; 10 fit a shared 2-CPU machine). */
export const WARMUP_DEFAULT_PROCESSES = 10

/** The most in-process iterations a warm-up series may ask for (Barrett et al. ran 2000). */
export const WARMUP_MAX_ITERATIONS = 10_000

/**
 * The sampling of a warm-up series (`langperf run --warmup-series N`): every process runs N timed
 * iterations and none is dropped as a warm-up, JIT or not, so each process's whole history is kept
 * for the classification of stats/warmup.ts (Barrett et al., OOPSLA 2017: 30 processes × 2000
 * in-process iterations). `minTimeS` only matters when loops are calibrated (`--min-time`); 0
 * (the default) says they are not: one call per iteration.
 */
export function warmupPreset(
  iterations: number,
  options: { readonly processes?: number; readonly minTimeS?: number } = {},
): Preset {
  const processes = options.processes ?? WARMUP_DEFAULT_PROCESSES
  if (!Number.isInteger(iterations) || iterations < 2 || iterations > WARMUP_MAX_ITERATIONS)
    throw badInput(
      `Cannot use --warmup-series ${iterations}: expected an integer from 2 to ${WARMUP_MAX_ITERATIONS}`,
    )
  if (!Number.isInteger(processes) || processes < 1 || processes > 1000)
    throw badInput(`Cannot use --processes ${processes}: expected an integer from 1 to 1000`)
  const sampling = { processes, warmups: 0, values: iterations }
  return { name: WARMUP_PRESET, plain: sampling, jit: sampling, minTimeS: options.minTimeS ?? 0 }
}

/** The name of the preset of `instructionsPreset`, recorded on its runs (`--measure instructions`). */
export const INSTRUCTIONS_PRESET = 'instructions'

/**
 * The sampling of an instruction count (`langperf run --measure instructions`): one measuring
 * process per interpreter and workload (a count under callgrind is exactly repeatable, so more
 * processes would repeat it), its warm-up value and one value; loops calibrated to `minTimeS` of
 * wall time as for timing (or frozen from earlier runs), so that both modes run the same loops.
 */
export function instructionsPreset(minTimeS = 0.1): Preset {
  const sampling = { processes: 1, warmups: 1, values: 1 }
  return { name: INSTRUCTIONS_PRESET, plain: sampling, jit: sampling, minTimeS }
}

/** The preset with that name, or a clear error listing the valid ones. */
export function getPreset(name: string): Preset {
  if ((PRESET_NAMES as readonly string[]).includes(name)) return PRESETS[name as PresetName]
  throw badInput(`Cannot use preset "${name}": expected one of ${PRESET_NAMES.join(', ')}`)
}

/** A preset with some of its numbers overridden from the command line (validated). */
export function customizePreset(
  preset: Preset,
  overrides: {
    readonly processes?: number
    readonly warmups?: number
    readonly values?: number
    readonly minTimeS?: number
  },
): Preset {
  const check = (label: string, v: number | undefined, min: number, max: number): void => {
    if (
      v !== undefined &&
      (!Number.isFinite(v) || v < min || v > max || (label !== 'min-time' && !Number.isInteger(v)))
    )
      throw badInput(
        `Cannot use --${label} ${v}: expected ${label === 'min-time' ? 'a number' : 'an integer'} from ${min} to ${max}`,
      )
  }
  check('processes', overrides.processes, 1, 1000)
  check('warmups', overrides.warmups, 0, 1000)
  check('values', overrides.values, 1, 1000)
  check('min-time', overrides.minTimeS, 0.0001, 60)
  const apply = (s: Sampling): Sampling => ({
    processes: overrides.processes ?? s.processes,
    warmups: overrides.warmups ?? s.warmups,
    values: overrides.values ?? s.values,
  })
  return {
    ...preset,
    plain: apply(preset.plain),
    jit: apply(preset.jit),
    minTimeS: overrides.minTimeS ?? preset.minTimeS,
  }
}
