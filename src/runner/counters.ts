import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { JsonObject } from '../lib/index.ts'
import { onPath } from './discovery.ts'
import { exec } from './tool-exec.ts'

// What the machine can say beyond instruction counts, asked once per run of `--measure
// instructions` and recorded in the run's metadata: hardware counters through `perf stat`
// (cycles, instructions, branch and i-cache misses; a virtual machine without a PMU answers
// "<not supported>") and energy through RAPL's powercap tree. Where either is missing the run
// records "not available on this machine" with the reason: a figure is never guessed.

/** The hardware events asked of `perf stat`. */
export const HARDWARE_EVENTS = ['cycles', 'instructions', 'branch-misses', 'L1-icache-load-misses'] as const

/** One event of `perf stat -x ,`: its count, or why there is none (`not supported`, `not counted`). */
export type PerfEventReading = { readonly count: number } | { readonly missing: string }

/**
 * Reads `perf stat -x ,` output (CSV: value, unit, event, …); `<not supported>` and
 * `<not counted>` become the reason. Lines that are not events (comments, blanks) are skipped.
 */
export function parsePerfStat(text: string): Map<string, PerfEventReading> {
  const out = new Map<string, PerfEventReading>()
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue
    const fields = line.split(',')
    const [value, , event] = fields
    if (value === undefined || event === undefined || event === '') continue
    const name = event.replace(/:u$/, '')
    const m = /^<(.+)>$/.exec(value.trim())
    if (m) out.set(name, { missing: m[1]! })
    else if (/^\d+(\.\d+)?$/.test(value.trim())) out.set(name, { count: Number(value) })
  }
  return out
}

/** Runs a command, returning what it printed (stderr included) and whether it succeeded. */
export type ExecSeam = (
  file: string,
  args: readonly string[],
) => Promise<{ readonly ok: boolean; readonly stdout: string; readonly stderr: string }>

/**
 * The hardware counters of this machine: `perf stat` of `true` with HARDWARE_EVENTS; available
 * only when every event was counted, else "not available on this machine" with perf's answer.
 */
export async function probeHardwareCounters(
  env: NodeJS.ProcessEnv,
  run: ExecSeam = (file, args) => exec(file, args, { env, timeoutMs: 30_000 }),
): Promise<JsonObject> {
  const perf = await onPath('perf', env)
  if (perf === null)
    return { available: false, reason: 'not available on this machine: perf is not installed' }
  const r = await run(perf, ['stat', '-x', ',', '-e', HARDWARE_EVENTS.join(','), '--', 'true'])
  const readings = parsePerfStat(`${r.stdout}\n${r.stderr}`)
  const missing = HARDWARE_EVENTS.map((e) => [e, readings.get(e)] as const).filter(
    ([, v]) => v === undefined || 'missing' in v,
  )
  if (missing.length === 0)
    return { available: true, events: [...HARDWARE_EVENTS], probe: 'perf stat -- true' }
  const said = missing.map(([e, v]) => `${e} ${v && 'missing' in v ? v.missing : 'not reported'}`).join(', ')
  const why = r.ok || readings.size > 0 ? said : (r.stderr.trim().split('\n').slice(-1)[0] ?? 'perf failed')
  return {
    available: false,
    reason: `not available on this machine: perf stat says ${why} (a virtual machine usually has no PMU)`,
  }
}

/** Where the kernel exposes RAPL energy counters. */
export const POWERCAP_DIR = '/sys/class/powercap'

/** RAPL energy: available when the powercap tree has an `intel-rapl` zone with a readable counter. */
export async function probeRapl(dir: string = POWERCAP_DIR): Promise<JsonObject> {
  let zones: string[]
  try {
    zones = (await readdir(dir)).filter((z) => z.startsWith('intel-rapl'))
  } catch {
    return { available: false, reason: `not available on this machine: there is no ${dir} (no RAPL)` }
  }
  for (const zone of zones) {
    const text = await readFile(join(dir, zone, 'energy_uj'), 'utf8').catch(() => null)
    if (text !== null && /^\d+\s*$/.test(text)) return { available: true, zone }
  }
  return {
    available: false,
    reason: `not available on this machine: no readable intel-rapl energy_uj under ${dir}`,
  }
}
