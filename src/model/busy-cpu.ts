import type { JsonObject } from '../lib/index.ts'

// How busy the CPUs a run's workers were pinned to were with other work, as measure.ts records it
// (runner/cpu-share.ts measures it): one sentence the CLI (`run`, `show`), `compare` and the
// dashboard's run page share.

/** Share of the pinned CPUs' time taken by other work from which a run says so. */
export const BUSY_SHARE_WARNING = 0.1

/** The share of its pinned CPUs other work took during a run (`pinned_cpus_other_share`), or null. */
export function busyShareOf(metadata: JsonObject): number | null {
  const share = metadata.pinned_cpus_other_share
  return typeof share === 'number' && Number.isFinite(share) && share >= 0 && share <= 1 ? share : null
}

/**
 * What a run says when other work took at least BUSY_SHARE_WARNING of the CPUs its workers were
 * pinned to (runner/cpu-share.ts), or null: `run` prints it at the end, `show` with the run.
 */
export function busyCpuWarning(metadata: JsonObject): string | null {
  const share = busyShareOf(metadata)
  if (share === null || share < BUSY_SHARE_WARNING) return null
  const list = typeof metadata.cpu_list === 'string' ? metadata.cpu_list : '?'
  const seconds = metadata.pinned_cpus_other_s
  const spent =
    typeof seconds === 'number' && Number.isFinite(seconds) ? ` (${seconds.toFixed(1)} CPU s)` : ''
  const factor = slowFactor(share)
  return `other work took ${Math.round(100 * share)} % of CPU ${list}, where the workers were pinned, during this run${spent}: a value measured while it ran may be up to ${factor} slow. Measure again when that CPU is idle, or pass --cpus none (or another --cpus list) to let the workers leave it.`
}

/** How much slower a value measured with `share` of its CPU taken may be: `×2.0`, or `many times`. */
function slowFactor(share: number): string {
  return share < 0.95 ? `×${(1 / (1 - share)).toFixed(1)}` : 'many times'
}

/**
 * What an alert says of a run at one end of its blame range whose pinned CPUs other work took at
 * least BUSY_SHARE_WARNING of (the nightly's and `notify`'s messages), or null.
 * @example busyCpuCaveat({ pinned_cpus_other_share: 0.51, cpu_list: '1' }, 'first bad', 42, 'm1') // 'the first bad build's run 42 on m1: other work took 51 % of CPU 1 …'
 */
export function busyCpuCaveat(
  metadata: JsonObject,
  end: string,
  runId: number,
  machine: string,
): string | null {
  const share = busyShareOf(metadata)
  if (share === null || share < BUSY_SHARE_WARNING) return null
  const list = typeof metadata.cpu_list === 'string' ? metadata.cpu_list : '?'
  return `the ${end} build's run ${runId} on ${machine}: other work took ${Math.round(100 * share)} % of CPU ${list}, where its workers were pinned, so its values may be up to ${slowFactor(share)} slow; re-measure that build before acting on this alert`
}
