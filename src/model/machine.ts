/** Stable facts about a machine; a change in any of them is a new fingerprint. */
export interface MachineFingerprint {
  readonly hostname: string
  readonly cpuModel: string
  /** Logical CPUs the OS sees. */
  readonly logicalCpus: number
  /** Physical cores, when /proc/cpuinfo or sysfs tells; null otherwise. */
  readonly physicalCores: number | null
  readonly memoryBytes: number
  /** `uname -r`, e.g. `6.1.0-18-amd64`. */
  readonly kernel: string
  /** `os.platform()` and `os.arch()`, e.g. `linux`, `x64`. */
  readonly os: string
  readonly arch: string
}

/** Whether a CPU feature is on, off, or could not be read. */
export type OnOff = 'on' | 'off' | 'unknown'

/** How the machine was set up when a run started: what decides whether timings can be trusted. */
export interface MachineTuning {
  /** cpufreq scaling governors in use (deduplicated), empty when there is no cpufreq. */
  readonly governors: readonly string[]
  readonly turbo: OnOff
  readonly smt: OnOff
  /** 0 off, 1 partial, 2 full randomisation, null unknown (`/proc/sys/kernel/randomize_va_space`). */
  readonly aslr: number | null
  readonly loadAverage1m: number
  /** `/sys/devices/system/cpu/isolated`, e.g. `2-3`, empty when none. */
  readonly isolatedCpus: string
  /** Current CPU frequencies in MHz where readable. */
  readonly cpuFrequenciesMhz: readonly number[]
  /** True when a hypervisor flag is set in /proc/cpuinfo. */
  readonly virtualized: boolean
  /** Whether `perf` can read hardware counters here; null when not probed. */
  readonly perfCounters: boolean | null
}

/** Codes of the warnings a run carries when the machine is not set up for benchmarking. */
export const ENVIRONMENT_WARNING_CODES = [
  'no-cpufreq',
  'governor',
  'turbo',
  'smt',
  'aslr',
  'load',
  'no-isolated-cpus',
  'virtualized',
  'no-perf-counters',
] as const
/** One of ENVIRONMENT_WARNING_CODES. */
export type EnvironmentWarningCode = (typeof ENVIRONMENT_WARNING_CODES)[number]

/** A reason to distrust timings, with the advice that fixes it. */
export interface EnvironmentWarning {
  readonly code: EnvironmentWarningCode
  readonly message: string
  readonly advice: string
}

/** Everything recorded about the machine for one run. */
export interface MachineEnvironment {
  readonly fingerprint: MachineFingerprint
  readonly tuning: MachineTuning
  readonly warnings: readonly EnvironmentWarning[]
}
