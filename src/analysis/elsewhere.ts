import { formatInterval, formatRatio } from '../lib/index.ts'
import { geometricMean, logTRatioInterval } from '../stats/index.ts'
import type { AlertDetail, AlertLog, ChangeRow, SeriesPoint, SeriesReader } from '../store/index.ts'
import { HISTORY_POINTS } from './detect-series.ts'

// Does an alert's step show on the other machines? For each of its changes (the largest first),
// every other machine's series of the same workload version, runtime, config and branch is read
// across the alert's blame range by commit date: its builds up to the last good commit's date
// against its builds from the first bad commit's date, the step there with its 95 % interval (the
// builds are the samples, so the interval carries that machine's noise between builds), and any
// change that machine's detection recorded in an overlapping range. Hardware differs, and so may
// a commit's effect: "moved" asks only for a step in the same direction, "not moved" for one
// clearly smaller than half of this one; between the two it is "unclear".

/** Builds read on each side of the range on another machine. */
export const ELSEWHERE_POINTS = 5
/** Changes of one alert looked at on the other machines, the largest first. */
export const ELSEWHERE_CHANGES = 20

/** What another machine's series says of a step. */
export type ElsewhereVerdict = 'moved' | 'not moved' | 'unclear' | 'not measured'

/** One other machine's reading of one change. */
export interface ElsewhereCell {
  readonly machine: string
  readonly verdict: ElsewhereVerdict
  /**
   * After over before on that machine; its 95 % interval when each side has two builds or more
   * (null bounds otherwise); null when a side has none.
   */
  readonly ratio: {
    readonly estimate: number
    readonly low: number | null
    readonly high: number | null
  } | null
  /** Builds read before and after the range. */
  readonly before: number
  readonly after: number
  /** A change in the same direction that machine's detection recorded in an overlapping range. */
  readonly change: { readonly id: number; readonly alertId: number; readonly ratio: number } | null
}

/** One change of the alert and what the other machines say of it. */
export interface ElsewhereRow {
  readonly changeId: number
  readonly workload: string
  readonly config: string
  readonly machine: string
  readonly ratio: number
  readonly direction: ChangeRow['direction']
  /** One cell per other machine measuring the workload there, by machine name. */
  readonly others: readonly ElsewhereCell[]
}

/** An alert's changes on the other machines. */
export interface AlertElsewhere {
  /** The other machines with a series of any of the changes' workloads, by name. */
  readonly machines: readonly string[]
  readonly rows: readonly ElsewhereRow[]
  /** Changes not looked at: instruction counts, and those past ELSEWHERE_CHANGES. */
  readonly omitted: number
  /** Why nothing could be read, when nothing could (the range's commits have no dates). */
  readonly reason: string | null
}

/** What is read: the series and the changes recorded on them. */
export type ElsewhereStore = SeriesReader & Pick<AlertLog, 'listChanges'>

/** The alert's changes (ELSEWHERE_CHANGES largest timing steps) on every other machine. */
export async function alertElsewhere(store: ElsewhereStore, alert: AlertDetail): Promise<AlertElsewhere> {
  const live = alert.changes.filter((c) => c.status !== 'withdrawn')
  const timed = live
    .filter((c) => c.measure === 'time')
    .sort((a, b) => Math.abs(Math.log(b.ratio)) - Math.abs(Math.log(a.ratio)))
  const looked = timed.slice(0, ELSEWHERE_CHANGES)
  const omitted = live.length - looked.length
  const from = alert.lastGoodCommitDate
  const to = alert.firstBadCommitDate
  if (from === null || to === null) {
    return {
      machines: [],
      rows: [],
      omitted: live.length,
      reason: 'the blame range has a commit without a date: other machines cannot be read across it',
    }
  }
  const rows: ElsewhereRow[] = []
  const machines = new Set<string>()
  for (const c of looked) {
    const { series } = c
    const others = (
      await store.listSeries({
        runtime: series.runtime,
        config: series.config,
        branch: series.branch,
        workload: series.workload,
      })
    ).filter((s) => s.machine !== series.machine && s.workloadVersion === series.workloadVersion)
    const cells: ElsewhereCell[] = []
    for (const s of others) {
      const { points: _, ...key } = s
      const points = await store.getSeriesPoints(key, HISTORY_POINTS)
      const recorded = (await store.listChanges({ series: key, status: ['provisional', 'confirmed'] })).rows
      cells.push(readAcross(c, s.machine, points, recorded, { from, to }))
      machines.add(s.machine)
    }
    rows.push({
      changeId: c.id,
      workload: series.workload,
      config: series.config,
      machine: series.machine,
      ratio: c.ratio,
      direction: c.direction,
      others: cells.sort((a, b) => (a.machine < b.machine ? -1 : a.machine > b.machine ? 1 : 0)),
    })
  }
  return { machines: [...machines].sort(), rows, omitted, reason: null }
}

/**
 * One other machine's reading of change `c` across the range (from, to] of commit dates (pure):
 * its points (ordered by commit date) and the changes its detection recorded.
 */
export function readAcross(
  c: Pick<ChangeRow, 'ratio' | 'direction'>,
  machine: string,
  points: readonly SeriesPoint[],
  recorded: readonly ChangeRow[],
  range: { readonly from: string; readonly to: string },
): ElsewhereCell {
  const dated = points.filter(
    (p): p is SeriesPoint & { commitDateUtc: string } =>
      p.state === 'measured' && p.commitDateUtc !== null && (p.summary.mean ?? 0) > 0,
  )
  const at = (iso: string) => Date.parse(iso)
  const from = at(range.from)
  const to = at(range.to)
  const before = dated.filter((p) => at(p.commitDateUtc) <= from).slice(-ELSEWHERE_POINTS)
  const after = dated
    .filter((p) => at(p.commitDateUtc) >= to && at(p.commitDateUtc) > from)
    .slice(0, ELSEWHERE_POINTS)
  // A change of that machine overlaps when its own blame range (dates of its builds) meets this one.
  const dateOf = new Map(points.map((p) => [p.buildId, p.commitDateUtc]))
  const overlapping = recorded.find((r) => {
    const lg = dateOf.get(r.lastGood.buildId)
    const fb = dateOf.get(r.firstBad.buildId)
    return (
      r.direction === c.direction &&
      typeof lg === 'string' &&
      typeof fb === 'string' &&
      at(lg) < to &&
      at(fb) > from
    )
  })
  const change = overlapping
    ? { id: overlapping.id, alertId: overlapping.alertId, ratio: overlapping.ratio }
    : null
  const base = { machine, before: before.length, after: after.length, change }
  if (before.length === 0 || after.length === 0) {
    return { ...base, verdict: change ? 'moved' : 'not measured', ratio: null }
  }
  const means = (ps: readonly SeriesPoint[]) => ps.map((p) => p.summary.mean as number)
  const interval = logTRatioInterval(means(before), means(after))
  if (interval.kind !== 'interval') {
    const estimate = geometricMean(means(after)) / geometricMean(means(before))
    return { ...base, verdict: change ? 'moved' : 'unclear', ratio: { estimate, low: null, high: null } }
  }
  const ratio = { estimate: interval.estimate, low: interval.low, high: interval.high }
  const step = Math.log(c.ratio)
  const lo = Math.log(interval.low)
  const hi = Math.log(interval.high)
  const sameWay = step > 0 ? lo > 0 : hi < 0
  const lessThanHalf = step > 0 ? hi < step / 2 : lo > step / 2
  const verdict: ElsewhereVerdict =
    change !== null || sameWay ? 'moved' : lessThanHalf ? 'not moved' : 'unclear'
  return { ...base, verdict, ratio }
}

/** Steps a message says the other machines' reading of (the largest first). */
export const ELSEWHERE_MESSAGE_ROWS = 3

/**
 * The other machines' reading of an alert's largest steps, a line each, for messages: the
 * machines by verdict, each with its step there (`nbody · default, 1.201× on linux: moved on mac
 * 1.198× [1.180, 1.217]; not moved on windows 1.002× [0.990, 1.014]; not measured on arm`).
 * Steps no other machine measures are left out.
 */
export function elsewhereLines(e: AlertElsewhere, max = ELSEWHERE_MESSAGE_ROWS): string[] {
  const order: readonly ElsewhereVerdict[] = ['moved', 'unclear', 'not moved', 'not measured']
  const lines: string[] = []
  for (const r of e.rows) {
    if (lines.length >= max) break
    if (r.others.length === 0) continue
    const parts = order.flatMap((verdict) => {
      const cells = r.others.filter((o) => o.verdict === verdict)
      if (cells.length === 0) return []
      const each = cells.map((o) => `${o.machine}${o.ratio === null ? '' : ` ${ratioText(o.ratio)}`}`)
      return [`${verdict} on ${each.join(', ')}`]
    })
    lines.push(`${r.workload} · ${r.config}, ${formatRatio(r.ratio)} on ${r.machine}: ${parts.join('; ')}`)
  }
  return lines
}

function ratioText(r: NonNullable<ElsewhereCell['ratio']>): string {
  return `${formatRatio(r.estimate)}${r.low !== null && r.high !== null ? ` ${formatInterval(r.low, r.high)}` : ''}`
}
