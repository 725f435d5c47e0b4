import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import type { WorkloadDefinition, WorkloadResult } from '../model/index.ts'
import { discoverInterpreters } from './discovery.ts'
import { getPreset } from './presets.ts'
import { measureSuite, type SuitePlan } from './suite.ts'
import type { BlasChoice } from './system-packages.ts'
import { loadWorkloads, onSystemPackages } from './workloads.ts'

// For tests: Debian's python3-numpy measured on a chosen BLAS (.ci/run installs them).

/** The distribution's interpreter, whose packages `--system-packages` uses. */
export const SYSTEM_PYTHON = '/usr/bin/python3'

/** Why the system numpy tests cannot run here, or false when they can. */
export function systemNumpySkip(): string | false {
  if (!existsSync(SYSTEM_PYTHON)) return `${SYSTEM_PYTHON} is absent`
  try {
    execFileSync(SYSTEM_PYTHON, ['-c', 'import numpy, threadpoolctl'], { stdio: 'ignore' })
    return false
  } catch {
    return `${SYSTEM_PYTHON} lacks numpy or threadpoolctl (apt-get install python3-numpy python3-threadpoolctl)`
  }
}

/**
 * The one result of `np_matmul` measured on the system numpy under `blas` (2 processes of one
 * value each, 10 ms values), with any other plan fields given.
 */
export async function measureSystemMatmul(
  blas: BlasChoice,
  plan: Pick<SuitePlan, 'frozenLoopsByInterpreter'> = {},
): Promise<WorkloadResult> {
  const { interpreters } = await discoverInterpreters({ explicit: [SYSTEM_PYTHON] })
  const all = await loadWorkloads()
  const matmul = onSystemPackages(
    all.filter((w): w is WorkloadDefinition => w.manifest.name === 'np_matmul'),
    blas.label,
  )
  const results: WorkloadResult[] = []
  await measureSuite(
    {
      interpreters,
      workloads: matmul,
      preset: { ...getPreset('fast'), plain: { processes: 2, warmups: 0, values: 1 }, minTimeS: 0.01 },
      timeoutMs: 60_000,
      systemPackages: true,
      blas,
      ...plan,
    },
    { onEvent: (e) => void (e.kind === 'result' && results.push(e.result)) },
  )
  if (results.length !== 1) throw new Error(`expected one result, got ${results.length}`)
  return results[0] as WorkloadResult
}
