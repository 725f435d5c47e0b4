import { readFile } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { LangperfError } from '../lib/index.ts'
import type { MachineEnvironment } from '../model/index.ts'
import { onPath } from './discovery.ts'
import { parseCpuList } from './environment.ts'
import { CPU_LIST_PATTERN } from './process.ts'

// Where worker processes run. A process's CPU is part of what it measures: on the 2-vCPU VM this
// project develops on, nbody's process means fell into two groups a third apart by the vCPU the
// scheduler gave each process (pinned: CPU 0 0.0152 s, CPU 1 0.0117 s, each within 3 %); hybrid
// CPUs (performance and efficiency cores) do the same by design. So by default every worker of a
// run goes to one CPU, the same one every run: the CPUs isolated from the scheduler when the
// machine has some, else the highest-numbered CPU this process may use (CPU 0 takes most of the
// kernel's housekeeping). `none` leaves placement to the scheduler; a list pins to it.

/** How the workers of a run are placed, and why: recorded with each result and said by the run. */
export interface WorkerPinning {
  /** `taskset -c` list the workers run on; absent: the scheduler places them. */
  readonly cpuList?: string
  /** `asked` (--cpus LIST), `isolated` (the machine's isolated CPUs), `one-cpu` (the default), `none`. */
  readonly source: 'asked' | 'isolated' | 'one-cpu' | 'none'
  /** One sentence for the run's plan. */
  readonly note: string
}

/** The CPUs this process may run on (`Cpus_allowed_list`), else every CPU the OS reports. */
export async function allowedCpus(): Promise<number[]> {
  const status = await readFile('/proc/self/status', 'utf8').catch(() => '')
  const list = /^Cpus_allowed_list:\s*(\S+)/m.exec(status)?.[1]
  const cpus = list === undefined ? [] : parseCpuList(list)
  return cpus.length > 0 ? cpus : Array.from({ length: availableParallelism() }, (_, i) => i)
}

/**
 * The default placement when nothing was asked (`auto`), from the isolated CPUs and the CPUs this
 * process may use; pure, so the rule is tested without a machine.
 */
export function autoPinning(
  isolated: string,
  allowed: readonly number[],
  hasTaskset: boolean,
): WorkerPinning {
  if (!hasTaskset)
    return { source: 'none', note: 'workers not pinned: `taskset` (util-linux) is not installed' }
  if (isolated !== '' && CPU_LIST_PATTERN.test(isolated))
    return { cpuList: isolated, source: 'isolated', note: `workers pinned to the isolated CPUs ${isolated}` }
  const sorted = [...new Set(allowed)].sort((a, b) => a - b)
  const last = sorted.at(-1)
  if (sorted.length < 2 || last === undefined)
    return { source: 'none', note: 'workers not pinned: this process may use one CPU' }
  return {
    cpuList: String(last),
    source: 'one-cpu',
    note: `every worker on CPU ${last}, the same each run (--cpus none lets the scheduler place them)`,
  }
}

/** The part of a suite plan that places its workers as `pinning` says (measureAndStore records it). */
export function pinnedPlan(pinning: WorkerPinning): {
  readonly cpuList?: string
  readonly cpuPinning: WorkerPinning['source']
} {
  return pinning.cpuList === undefined
    ? { cpuPinning: pinning.source }
    : { cpuList: pinning.cpuList, cpuPinning: pinning.source }
}

/**
 * The placement of a run's workers from `--cpus` (`auto` when absent): `auto` as `autoPinning`,
 * `none`, or a list checked against the machine's CPUs.
 */
export async function workerPinning(
  value: string,
  environment: MachineEnvironment,
  env: NodeJS.ProcessEnv,
): Promise<WorkerPinning> {
  if (value === 'none') return { source: 'none', note: 'workers not pinned (--cpus none)' }
  const hasTaskset = (await onPath('taskset', env)) !== null
  if (value === 'auto') return autoPinning(environment.tuning.isolatedCpus, await allowedCpus(), hasTaskset)
  if (!CPU_LIST_PATTERN.test(value)) {
    throw new LangperfError(
      'bad-input',
      `Cannot pin to --cpus ${value}: expected auto, none or a list like 1 or 2-3,5`,
    )
  }
  const cpus = environment.fingerprint.logicalCpus
  const highest = Math.max(...value.split(/[,-]/).map(Number))
  if (highest >= cpus) {
    throw new LangperfError('bad-input', `Cannot pin to CPU ${highest}: this machine has CPUs 0-${cpus - 1}`)
  }
  if (!hasTaskset)
    throw new LangperfError(
      'unavailable',
      'Cannot pin workers to CPUs: `taskset` (util-linux) is not installed',
    )
  return { cpuList: value, source: 'asked', note: `workers pinned to CPUs ${value} (--cpus)` }
}
