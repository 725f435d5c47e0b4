import { BUSY_SHARE_WARNING, busyCpuCaveat, busyShareOf } from '../model/index.ts'
import type { AlertDetail, RunReader, RunRow } from '../store/index.ts'
import { measuredTogether } from './between-runs.ts'

// What two separately measured runs did not share besides their infrastructure: the calibrated
// loop counts and the machine's load. Either moves a build's mean from run to run by more than
// its interval says (a value of 2 loops and one of 4 amortise the loop's overhead differently; a
// load above the CPU count makes the processes wait for a CPU).

/** A fact the two runs of a comparison do not share, and what it may do to the ratios. */
export interface CompareCaveat {
  readonly field: string
  readonly base: string
  readonly candidate: string
  /** What the difference may do; absent for infrastructure ("part of a difference may be infrastructure"). */
  readonly note?: string
}

/** Workloads named in a loops caveat before "and N more". */
const NAMED_WORKLOADS = 4

/** The load average (1 min) a run recorded and its machine's CPU count, when known. */
function loadOf(run: RunRow): { load: number; cpus: number | null } | null {
  const env = run.environment
  if (env) return { load: env.tuning.loadAverage1m, cpus: env.fingerprint.logicalCpus }
  const fromMeta = run.metadata.load_avg_1min
  return typeof fromMeta === 'number' && Number.isFinite(fromMeta) ? { load: fromMeta, cpus: null } : null
}

/**
 * Load was high or very different: above the CPU count on either side, or one side more than
 * twice the other with the higher above half the CPUs.
 */
export function loadsDiffer(
  a: { readonly load: number; readonly cpus: number | null },
  b: { readonly load: number; readonly cpus: number | null },
): boolean {
  const cpus = a.cpus ?? b.cpus
  if (cpus === null) return false
  const hi = Math.max(a.load, b.load)
  const lo = Math.min(a.load, b.load)
  return hi > cpus || (hi > cpus / 2 && hi > 2 * lo)
}

/** The caveats of comparing runs that were not measured together; none when they were. */
export function separateRunCaveats(
  base: RunRow,
  candidate: RunRow,
  rows: readonly { readonly workload: string; readonly loops: { base: number; candidate: number } | null }[],
): CompareCaveat[] {
  if (measuredTogether(base, candidate)) return []
  const out: CompareCaveat[] = []
  const differ = rows.filter((r) => r.loops !== null)
  if (differ.length > 0) {
    const named = differ.slice(0, NAMED_WORKLOADS)
    const more = differ.length > named.length ? ` and ${differ.length - named.length} more` : ''
    const side = (pick: (l: { base: number; candidate: number }) => number) =>
      named.map((r) => `${r.workload} ${r.loops ? pick(r.loops) : '?'}`).join(', ') + more
    out.push({
      field: 'loops',
      base: side((l) => l.base),
      candidate: side((l) => l.candidate),
      note: 'the runs calibrated different loop counts, which moves a mean by itself; freeze the loops (run both in one `langperf run`) to compare like with like',
    })
  }
  const busyBase = busyShareOf(base.metadata)
  const busyCandidate = busyShareOf(candidate.metadata)
  if ((busyBase ?? 0) >= BUSY_SHARE_WARNING || (busyCandidate ?? 0) >= BUSY_SHARE_WARNING) {
    const pct = (x: number | null) => (x === null ? '?' : `${Math.round(100 * x)} %`)
    out.push({
      field: 'pinned CPU busy',
      base: pct(busyBase),
      candidate: pct(busyCandidate),
      note: 'share of the pinned CPUs taken by other work during the run: a value measured while it ran took up to 1 / (1 − share) as long',
    })
  }
  const a = loadOf(base)
  const b = loadOf(candidate)
  if (a && b && loadsDiffer(a, b)) {
    const cpus = a.cpus ?? b.cpus
    out.push({
      field: 'load',
      base: a.load.toFixed(2),
      candidate: b.load.toFixed(2),
      note: `load average (1 min) on ${cpus} CPUs: other work competed with one run or both, which moves means between runs`,
    })
  }
  return out
}

/** Runs read per build and machine when looking for an alert's caveats. */
const CAVEAT_RUNS = 50

/**
 * What an alert's message should warn of in its evidence: each run, at either end of a live
 * change's blame range on that change's machine, whose pinned CPUs other work kept busy
 * (model/busy-cpu.ts). The first bad build first; one line per run.
 */
export async function alertRunCaveats(store: RunReader, alert: AlertDetail): Promise<string[]> {
  const live = alert.changes.filter((c) => c.status !== 'withdrawn')
  // Each build at an end of a live change, on that change's machine, once: first bad ends first.
  const ends = new Map<string, { end: string; buildId: number; machine: string }>()
  const sides = [
    ...live.map((c) => ({ end: 'first bad', buildId: c.firstBad.buildId, machine: c.series.machine })),
    ...live.map((c) => ({ end: 'last good', buildId: c.lastGood.buildId, machine: c.series.machine })),
  ]
  for (const side of sides) {
    const key = `${side.buildId}\u0000${side.machine}`
    if (!ends.has(key)) ends.set(key, side)
  }
  const out: string[] = []
  for (const { end, buildId, machine } of ends.values()) {
    const runs = await store.listRuns({ buildId, machine, limit: CAVEAT_RUNS })
    for (const r of runs.rows) {
      const caveat = busyCpuCaveat(r.metadata, end, r.id, machine)
      if (caveat !== null) out.push(caveat)
    }
  }
  return out
}
