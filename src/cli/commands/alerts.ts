import {
  alertElsewhere,
  type DetectReport,
  detectAndRecord,
  elsewhereLines,
  HISTORY_CONTRADICTS_AFTER,
  INSTRUCTION_MIN_EFFECT,
  RETRACT_AFTER,
} from '../../analysis/index.ts'
import { LangperfError } from '../../lib/index.ts'
import { boundaryNote, boundaryOf, changeMagnitude, differentialHeadline } from '../../model/index.ts'
import {
  type AlertDetail,
  type AlertRow,
  CHANGE_KINDS,
  type ChangeKind,
  TRIAGE_STATES,
  type TriageState,
} from '../../store/index.ts'
import { type CommonOptions, type Ctx, withStore } from '../context.ts'
import { log, printJson, println, table } from '../output.ts'

/** Options of `langperf detect`. */
export interface DetectCommandOptions extends CommonOptions {
  readonly machine?: string
  readonly runtime?: string
  readonly config?: string
  readonly branch?: string
  readonly workload?: string
  readonly pValue?: number
  readonly minMagnitude?: number
  readonly noiseMultiplier?: number
  readonly window?: number
  readonly exactThreshold?: number
}

const short = (sha: string) => (/^[0-9a-f]{12,}$/i.test(sha) ? sha.slice(0, 10) : sha)

/** `abc1234567..def8901234` — the blame range (last good, first bad]. */
export function blameRange(a: Pick<AlertRow, 'lastGoodCommit' | 'firstBadCommit'>): string {
  return `${short(a.lastGoodCommit)}..${short(a.firstBadCommit)}`
}

/** One line per alert, for lists. */
function alertLine(a: AlertRow): string[] {
  return [
    String(a.id),
    a.triage,
    a.status,
    a.kind === 'infrastructure' ? `infrastructure ${a.direction}` : a.direction,
    `${a.runtime}${a.branch ? `/${a.branch}` : ''}`,
    blameRange(a),
    String(a.changeCount),
    a.largest ? `${a.largest.workload} ${changeMagnitude(a.largest)}` : '–',
    a.createdAt.slice(0, 10),
  ]
}

const ALERT_HEADER = [
  'alert',
  'triage',
  'status',
  'direction',
  'runtime',
  'blame (good..bad]',
  'changes',
  'largest change [95 % interval, or exact]',
  'created',
]

/** An alert with its changes, for people. */
export function renderAlert(a: AlertDetail, maxChanges = 50): string {
  const infra = a.kind === 'infrastructure'
  const lines = [
    `Alert ${a.id}: ${infra ? 'infrastructure change, ' : ''}${a.direction} on ${a.runtime}${a.branch ? ` ${a.branch}` : ''}, ${a.status}, triage ${a.triage}`,
    `${infra ? 'Range' : 'Blame'}: after ${a.lastGoodCommit} (last good), up to and including ${a.firstBadCommit} (first bad)`,
    `${a.changeCount} change(s): ${a.regressions} regression(s), ${a.improvements} improvement(s) on ${a.machines.join(', ') || '–'} (${a.configs.join(', ') || '–'})`,
  ]
  const crossing = a.changes.find((c) => c.kind === a.kind && boundaryOf(c) !== null)
  const boundary = crossing ? boundaryOf(crossing) : null
  if (boundary) lines.push(boundaryNote(a.kind, boundary))
  if (a.triageNote || a.triageLink)
    lines.push(`Note: ${a.triageNote ?? ''}${a.triageLink ? ` ${a.triageLink}` : ''}`)
  if (a.culpritCommit || a.culpritNote)
    lines.push(`Culprit: ${a.culpritCommit ?? 'not found'}${a.culpritNote ? ` (${a.culpritNote})` : ''}`)
  for (const p of a.profiles.filter((x) => x.culpritCommit === a.culpritCommit))
    lines.push(
      `Profile against its parent, ${p.workload} (${p.machine}): ${p.summary !== null ? differentialHeadline(p.summary) : `not profiled: ${p.message ?? p.state}`} (profiles ${p.parentProfileId ?? '–'} → ${p.culpritProfileId ?? '–'})`,
    )
  const sorted = [...a.changes].sort((x, y) => Math.abs(Math.log(y.ratio)) - Math.abs(Math.log(x.ratio)))
  lines.push('')
  lines.push(
    table(
      ['workload', 'config', 'machine', 'change [95 % interval, or exact]', 'p', 'direction', 'status'],
      sorted
        .slice(0, maxChanges)
        .map((c) => [
          c.series.workload,
          c.series.config,
          c.series.machine,
          changeMagnitude(c),
          c.measure === 'instructions'
            ? '–'
            : c.pValue < 1e-4
              ? c.pValue.toExponential(1)
              : c.pValue.toFixed(4),
          c.direction,
          c.status,
        ]),
    ),
  )
  if (sorted.length > maxChanges) lines.push(`… and ${sorted.length - maxChanges} more (--json for all)`)
  return lines.join('\n')
}

function numberOption(value: number | undefined, label: string, lo: number, hi: number): number | undefined {
  if (value === undefined) return undefined
  if (!(value > lo && value < hi))
    throw new LangperfError(
      'bad-input',
      `Cannot use ${label} ${value}: expected a number between ${lo} and ${hi}`,
    )
  return value
}

/** `langperf detect`: finds the commits that changed performance and records them as alerts. */
export async function detectCommand(ctx: Ctx, options: DetectCommandOptions): Promise<number> {
  const pValue = numberOption(options.pValue, '--p-value', 0, 1)
  const minMagnitudePct = numberOption(options.minMagnitude, '--min-magnitude', -1e-9, 100)
  const noiseMultiplier = numberOption(options.noiseMultiplier, '--noise-multiplier', 0, 100)
  const exactPct = numberOption(options.exactThreshold, '--exact-threshold', 0, 100)
  const window = options.window
  if (window !== undefined && !(Number.isInteger(window) && window >= 4)) {
    throw new LangperfError('bad-input', `Cannot use --window ${window}: expected an integer of at least 4`)
  }
  return withStore(options, async (store) => {
    const filter = {
      ...(options.machine ? { machine: options.machine } : {}),
      ...(options.runtime ? { runtime: options.runtime } : {}),
      ...(options.config ? { config: options.config } : {}),
      ...(options.branch ? { branch: options.branch } : {}),
      ...(options.workload ? { workload: options.workload } : {}),
    }
    let lastShown = 0
    const report: DetectReport = await detectAndRecord(store, {
      filter,
      detect: {
        ...(pValue !== undefined ? { maxPValue: pValue } : {}),
        ...(minMagnitudePct !== undefined ? { minMagnitude: minMagnitudePct / 100 } : {}),
        ...(noiseMultiplier !== undefined ? { noiseMultiplier } : {}),
        ...(window !== undefined ? { window } : {}),
      },
      ...(exactPct !== undefined ? { exactThreshold: exactPct / 100 } : {}),
      onProgress: (done, total) => {
        if (options.json || total < 200) return
        if (done === total || done - lastShown >= Math.max(100, total / 10)) {
          lastShown = done
          log(ctx.io, `  ${done}/${total} series`)
        }
      },
    })
    if (options.json) {
      printJson(ctx.io, report)
      return 0
    }
    println(
      ctx.io,
      `Scanned ${report.seriesScanned} series (${report.skipped.length} skipped; ${report.orders.ancestry} ordered by git ancestry, ${report.orders.commitDate} by commit date), ${report.epochBoundaries} infrastructure change(s) along them.`,
    )
    if (report.partialRuns > 0)
      println(
        ctx.io,
        `Left ${report.partialRuns} partial run(s) out of the histories (fewer than half the workloads their group's runs hold: a benchmark re-run on its own); they stay stored.`,
      )
    if (report.countSeries > 0) {
      println(
        ctx.io,
        `Judged the instruction counts of ${report.countSeries} series by the exact rule (a step of at least ${exactPct ?? INSTRUCTION_MIN_EFFECT * 100} % that the next build keeps): ${report.countChanges} count change(s).`,
      )
    }
    const judged = report.judgedAtBoundaries
    if (judged.infrastructure + judged.commit > 0) {
      println(
        ctx.io,
        `Steps across an infrastructure change: ${judged.infrastructure} judged infrastructure (the suite moved with them), ${judged.commit} blamed on a commit in the range (they stand out of how the suite moved).`,
      )
    }
    if (report.superseded > report.retracted) {
      println(
        ctx.io,
        `${report.superseded - report.retracted} change(s) superseded: their series no longer exist (builds placed on another line); their alerts keep their triage.`,
      )
    }
    if (report.retracted > 0) {
      println(
        ctx.io,
        `${report.retracted} confirmed change(s) retracted: with ${RETRACT_AFTER} or more builds since, the history no longer shows a step at their blame, or the same step is reported a build or two away as a change of its own (the reason is in each change's details); their alerts keep their triage.`,
      )
    }
    println(
      ctx.io,
      `${report.newAlerts.length} new alert(s), ${report.newChangeIds.length} new change(s), ${report.confirmedChangeIds.length} confirmed, ${report.withdrawnChangeIds.length} withdrawn; ${report.updatedAlertIds.length} existing alert(s) updated.`,
    )
    if (report.pairedChanges > 0) {
      println(
        ctx.io,
        `${report.pairedChanges} change(s) judged by their interleaved pair: ${report.confirmedByPair} provisional confirmed at once, ${report.dismissedByPair.length} dismissed (the pair showed no such step).`,
      )
    }
    if (report.raisedByPair > 0 || report.contradictedPairs > 0) {
      println(
        ctx.io,
        `Decisive interleaved pairs where the history showed no step: ${report.raisedByPair} raised a provisional change, ${report.contradictedPairs} not (the ${HISTORY_CONTRADICTS_AFTER} or more builds since stayed within the pair threshold of the old level).`,
      )
    }
    for (const a of report.newAlerts) {
      println(ctx.io)
      println(ctx.io, renderAlert(a, 10))
    }
    if (report.skipped.length > 0) {
      const reasons = new Map<string, number>()
      for (const s of report.skipped) reasons.set(s.reason, (reasons.get(s.reason) ?? 0) + 1)
      println(ctx.io)
      for (const [r, n] of reasons) println(ctx.io, `skipped ${n} series: ${r}`)
    }
    return 0
  })
}

/** Options of `langperf alerts`. */
export interface AlertsListOptions extends CommonOptions {
  readonly triage?: readonly string[]
  readonly all?: boolean
  readonly runtime?: string
  readonly machine?: string
  readonly kind?: string
  readonly limit?: number
  readonly offset?: number
}

function checkKind(k: string): ChangeKind {
  if (!(CHANGE_KINDS as readonly string[]).includes(k)) {
    throw new LangperfError(
      'bad-input',
      `Cannot use --kind "${k}": expected one of ${CHANGE_KINDS.join(', ')}`,
    )
  }
  return k as ChangeKind
}

function checkTriage(t: string): TriageState {
  if (!(TRIAGE_STATES as readonly string[]).includes(t)) {
    throw new LangperfError(
      'bad-input',
      `Cannot use triage state "${t}": expected one of ${TRIAGE_STATES.join(', ')}`,
    )
  }
  return t as TriageState
}

/** `langperf alerts [list]`: open alerts, newest first (new and acknowledged unless --all or --triage). */
export async function alertsListCommand(ctx: Ctx, options: AlertsListOptions): Promise<number> {
  const triage = options.all
    ? undefined
    : (options.triage?.map(checkTriage) ?? (['new', 'acknowledged'] as TriageState[]))
  return withStore(options, async (store) => {
    const page = await store.listAlerts({
      ...(triage ? { triage } : {}),
      ...(options.all ? {} : { status: ['provisional', 'confirmed'] }),
      ...(options.runtime ? { runtime: options.runtime } : {}),
      ...(options.machine ? { machine: options.machine } : {}),
      ...(options.kind ? { kind: checkKind(options.kind) } : {}),
      limit: options.limit ?? 50,
      offset: options.offset ?? 0,
    })
    if (options.json) {
      printJson(ctx.io, page)
      return 0
    }
    if (page.total === 0) {
      println(ctx.io, options.all ? 'No alerts.' : 'No open alerts (--all shows triaged and withdrawn ones).')
      return 0
    }
    println(ctx.io, table(ALERT_HEADER, page.rows.map(alertLine), ['right']))
    println(
      ctx.io,
      `${page.rows.length} of ${page.total} alerts; \`langperf alerts show ID\` for the changes`,
    )
    return 0
  })
}

/** `langperf alerts show ID`. */
export async function alertsShowCommand(ctx: Ctx, id: string, options: CommonOptions): Promise<number> {
  const n = Number(id)
  if (!Number.isSafeInteger(n) || n < 1)
    throw new LangperfError('bad-input', `Cannot show alert "${id}": expected a positive integer id`)
  return withStore(options, async (store) => {
    const a = await store.getAlert(n)
    if (!a)
      throw new LangperfError(
        'not-found',
        `Cannot show alert ${n}: no alert has that id (see \`langperf alerts --all\`)`,
      )
    if (options.json) printJson(ctx.io, a)
    else {
      println(ctx.io, renderAlert(a))
      // What the other machines measuring the same workloads saw across the range, as messages say it.
      const elsewhere = elsewhereLines(await alertElsewhere(store, a))
      if (elsewhere.length > 0)
        println(ctx.io, `\n${elsewhere.map((l) => `On other machines: ${l}`).join('\n')}`)
    }
    return 0
  })
}

/** `--until DATE|TIME`: a date is the end of that day, UTC; a time must be ISO UTC (the store checks it). */
function untilOf(until: string): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(until) && !Number.isNaN(Date.parse(`${until}T00:00:00Z`)))
    return `${until}T23:59:59.999Z`
  return until
}

/** `langperf alerts triage ID STATE [--note] [--link] [--until DATE]`. */
export async function alertsTriageCommand(
  ctx: Ctx,
  id: string,
  state: string,
  options: CommonOptions & { readonly note?: string; readonly link?: string; readonly until?: string },
): Promise<number> {
  const n = Number(id)
  if (!Number.isSafeInteger(n) || n < 1)
    throw new LangperfError('bad-input', `Cannot triage alert "${id}": expected a positive integer id`)
  const triage = checkTriage(state)
  return withStore(options, async (store) => {
    const a = await store.triageAlert(n, {
      triage,
      ...(options.note !== undefined ? { note: options.note } : {}),
      ...(options.link !== undefined ? { link: options.link } : {}),
      ...(options.until !== undefined ? { until: untilOf(options.until) } : {}),
      at: new Date().toISOString(),
    })
    if (options.json) printJson(ctx.io, a)
    else
      println(
        ctx.io,
        `Alert ${a.id} is now ${a.triage}${a.acknowledgedUntil ? ` until ${a.acknowledgedUntil}` : ''}${a.triageNote ? `: ${a.triageNote}` : ''}${a.triageLink ? ` ${a.triageLink}` : ''}`,
      )
    return 0
  })
}
