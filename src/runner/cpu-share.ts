import { readFile } from 'node:fs/promises'

// How much of the pinned CPUs went to other programs while a run measured. Pinned workers cannot
// move away from a busy CPU: a compiler or a second benchmark on that CPU slows every value, and
// nothing in the values says so. The kernel's per-CPU counters (/proc/stat) give the CPUs' busy
// time over the run; the workers report their own CPU time (the harness's `cpu_time_s` and
// `children_cpu_time_s`); what remains was someone else's, or the hypervisor's (steal).

/** /proc/stat counts in USER_HZ ticks, 100 per second on every Linux architecture (proc(5)). */
export const USER_HZ = 100

/** Busy and total ticks of some CPUs, summed. */
export interface CpuTicks {
  readonly busy: number
  readonly total: number
}

/**
 * The busy and total ticks of `cpus` in a /proc/stat text (pure): busy is user, nice, system,
 * irq, softirq and steal (guest time is inside user); total adds idle and iowait. Null when a CPU
 * is missing from the text.
 * @example parseProcStat('cpu1 10 0 5 80 5 0 0 0 0 0\n', [1]) // { busy: 15, total: 100 }
 */
export function parseProcStat(text: string, cpus: readonly number[]): CpuTicks | null {
  const lines = new Map<number, number[]>()
  for (const line of text.split('\n')) {
    const m = /^cpu(\d+)\s+(.*)$/.exec(line)
    if (m) lines.set(Number(m[1]), m[2]!.trim().split(/\s+/).map(Number))
  }
  let busy = 0
  let total = 0
  for (const cpu of cpus) {
    const f = lines.get(cpu)
    if (!f || f.length < 4 || f.some((x) => !Number.isFinite(x))) return null
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f
    const b = user + nice + system + irq + softirq + steal
    busy += b
    total += b + idle + iowait
  }
  return { busy, total }
}

/** The ticks of `cpus` now; null where /proc/stat cannot be read (not Linux) or lacks one. */
export async function readCpuTicks(cpus: readonly number[]): Promise<CpuTicks | null> {
  if (cpus.length === 0) return null
  const text = await readFile('/proc/stat', 'utf8').catch(() => null)
  return text === null ? null : parseProcStat(text, cpus)
}

/** What other work took of the pinned CPUs over a run. */
export interface OtherWork {
  /** CPU seconds of the pinned CPUs not spent by the run's workers (≥ 0). */
  readonly seconds: number
  /** Those seconds over the CPUs' time in the run (0–1). */
  readonly share: number
}

/**
 * Other work on the pinned CPUs between two readings (pure): their busy seconds less the workers'
 * own CPU seconds, never below 0, and its share of the CPUs' time. Null when no time passed or
 * the counters went backwards. An estimate: the runner's own process may run there too, and a
 * worker that died before reporting its CPU time leaves its share counted as other work.
 * @example otherWork({ busy: 0, total: 0 }, { busy: 900, total: 1000 }, 6) // { seconds: 3, share: 0.3 }
 */
export function otherWork(before: CpuTicks, after: CpuTicks, workerCpuS: number): OtherWork | null {
  const busyS = (after.busy - before.busy) / USER_HZ
  const totalS = (after.total - before.total) / USER_HZ
  if (!(totalS > 0) || busyS < 0) return null
  const seconds = Math.max(0, busyS - Math.max(0, workerCpuS))
  return { seconds, share: Math.min(1, seconds / totalS) }
}

/** The CPU seconds a worker process reported (its own and its children's); 0 when it reported none. */
export function workerCpuSeconds(metadata: Readonly<Record<string, unknown>>): number {
  const own = metadata.cpu_time_s
  const children = metadata.children_cpu_time_s
  return (
    (typeof own === 'number' && Number.isFinite(own) && own > 0 ? own : 0) +
    (typeof children === 'number' && Number.isFinite(children) && children > 0 ? children : 0)
  )
}
