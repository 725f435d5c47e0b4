import { resolve } from 'node:path'
import { LangperfError, quote } from '../../lib/index.ts'
import { NIGHTLY_REFERENCES, type NightlyReference } from '../../model/index.ts'
import {
  NIGHTLY_LOCKED_EXIT_STATUS,
  NightlyLockedError,
  type NightlyReport,
  runNightly,
} from '../../pipeline/index.ts'
import type { Ctx } from '../context.ts'
import { log, printJson, println, table } from '../output.ts'
import { withInterrupt } from './interrupt.ts'
import {
  type ConfigOptions,
  loadConfigFile,
  openConfiguredStore,
  type SamplingCliOptions,
  samplingFrom,
} from './pipeline-options.ts'

// `langperf nightly`: one cycle of the nightly pipeline (src/pipeline, docs/nightly.md) over the
// runtimes of a langperf.toml. Progress on stderr, the summary on stdout (`--json` for programs).
// Exit status: 0 the cycle completed (failed builds are data, not errors); 1 a step failed and
// was recorded (the next nightly retries it); 2 bad input; 3 something needed is unavailable;
// 75 another nightly holds the lock (EX_TEMPFAIL); 130 interrupted (the next nightly resumes).

/** Options of `langperf nightly`. */
export interface NightlyCommandOptions extends ConfigOptions, SamplingCliOptions {
  readonly backfill?: number
  readonly every?: number
  readonly dryRun?: boolean
  readonly runtime?: readonly string[]
  readonly workload?: readonly string[]
  readonly processes?: number
  readonly bisect?: boolean
  readonly maxBisections?: number
  readonly bisectProcesses?: number
  readonly portalUrl?: string
  readonly lock?: string
  readonly reference?: string
  readonly pairBudget?: number
  readonly pairThreshold?: number
  readonly profile?: boolean
  readonly profileDuration?: number
  readonly profileProcesses?: number
}

/** The `--reference` value, checked. */
function referenceFrom(value: string): NightlyReference {
  if (!(NIGHTLY_REFERENCES as readonly string[]).includes(value)) {
    throw new LangperfError(
      'bad-input',
      `Cannot use --reference ${quote(value)}: expected one of ${NIGHTLY_REFERENCES.join(', ')}`,
    )
  }
  return value as NightlyReference
}

function printReport(ctx: Ctx, r: NightlyReport): void {
  const io = ctx.io
  if (r.dryRun) {
    println(io, `Plan on ${r.machine}: ${r.planned.length} build(s) to measure`)
    if (r.planned.length > 0) {
      println(
        io,
        table(
          ['runtime', 'branch', 'config', 'commit', 'date (UTC)', 'reference', 'subject'],
          r.planned.map((p) => [
            p.runtime,
            p.branch,
            p.config,
            p.sha.slice(0, 12),
            p.commitDateUtc,
            p.reference?.slice(0, 12) ?? '—',
            p.subject.slice(0, 60),
          ]),
        ),
      )
    }
    return
  }
  const measured = r.commits.filter((c) => c.measure === 'measured').length
  const failedBuilds = r.commits.filter((c) => c.measure === 'build-failed').length
  println(
    io,
    `Nightly on ${r.machine}${r.interrupted ? ' (interrupted)' : ''}: ${measured} build(s) measured, ${failedBuilds} failed build(s) recorded, ${r.commits.length - measured - failedBuilds} other`,
  )
  if (r.commits.length > 0) {
    println(
      io,
      table(
        ['runtime', 'config', 'commit', 'build', 'measure', 'runs', 'reference (runs)'],
        r.commits.map((c) => [
          c.runtime,
          c.config,
          c.sha.slice(0, 12),
          c.build,
          c.measure,
          c.runIds.join(' '),
          c.reference
            ? `${c.reference.slice(0, 12)} (${c.referenceRunIds.join(' ')})`
            : c.besideItself
              ? 'itself'
              : '—',
        ]),
      ),
    )
  }
  for (const c of r.commits) {
    if (c.pair?.budgetExhausted) {
      println(
        io,
        `pair ${c.sha.slice(0, 12)}: the budget of ${c.pair.budget} rounds ran out with ${c.pair.undecided.join(', ')} undecided`,
      )
    }
  }
  for (const d of r.detections) {
    println(
      io,
      `detect ${d.runtime}/${d.branch}: ${d.state}; new alerts ${d.newAlertIds.join(', ') || 'none'}${d.confirmedAlertIds.length ? `; confirmed ${d.confirmedAlertIds.join(', ')}` : ''}${d.confirmedByPair || d.dismissedByPair ? `; by interleaved pairs: ${d.confirmedByPair} confirmed at once, ${d.dismissedByPair} dismissed` : ''}${d.raisedByPair ? `; ${d.raisedByPair} raised by a decisive pair alone (provisional)` : ''}`,
    )
  }
  for (const n of r.notifications)
    println(io, `notify alert ${n.alertId} → ${n.target} (${n.event}): ${n.state}`)
  for (const b of r.bisections) {
    println(
      io,
      `bisect alert ${b.alertId}: ${b.state}${b.culprit ? ` ${b.culprit.slice(0, 12)}` : ''} — ${b.note}`,
    )
  }
  for (const p of r.profiles) {
    println(io, `profile alert ${p.alertId} at ${p.culprit.slice(0, 12)}: ${p.state} — ${p.note}`)
    for (const pair of p.pairs)
      println(io, `  ${pair.workload}: ${pair.headline ?? `${pair.state}: ${pair.message ?? ''}`}`)
  }
  for (const e of r.errors) println(io, `error in ${e.step}: ${e.message}`)
}

/** The culprit profile's duration and processes, checked. */
function profileOptionsFrom(options: NightlyCommandOptions): {
  profileDurationS?: number
  profileProcesses?: number
} {
  if (options.profileDuration !== undefined && !(options.profileDuration > 0))
    throw new LangperfError(
      'bad-input',
      `Cannot profile for --profile-duration ${quote(options.profileDuration)}: expected seconds > 0`,
    )
  if (options.profileProcesses !== undefined && options.profileProcesses < 1)
    throw new LangperfError(
      'bad-input',
      `Cannot profile in --profile-processes ${quote(options.profileProcesses)}: expected 1 or more`,
    )
  return {
    ...(options.profileDuration !== undefined ? { profileDurationS: options.profileDuration } : {}),
    ...(options.profileProcesses !== undefined ? { profileProcesses: options.profileProcesses } : {}),
  }
}

/** `langperf nightly`: one nightly cycle; returns the exit status. */
export async function nightlyCommand(ctx: Ctx, options: NightlyCommandOptions): Promise<number> {
  const config = await loadConfigFile(options)
  const store = await openConfiguredStore(config, options, ctx.env)
  try {
    const report = await withInterrupt(ctx, (signal) =>
      runNightly(
        config,
        { store, env: ctx.env, log: (line) => log(ctx.io, line), signal },
        {
          ...(options.machine !== undefined ? { machine: options.machine } : {}),
          ...(options.backfill !== undefined ? { backfill: options.backfill } : {}),
          ...(options.every !== undefined ? { every: options.every } : {}),
          ...(options.dryRun ? { dryRun: true } : {}),
          ...(options.runtime ? { runtimes: options.runtime } : {}),
          ...(options.workload ? { workloads: options.workload } : {}),
          sampling: samplingFrom(options, options.processes),
          ...(options.bisect === false ? { bisect: false } : {}),
          ...(options.maxBisections !== undefined ? { maxBisections: options.maxBisections } : {}),
          ...(options.bisectProcesses !== undefined ? { bisectStartProcesses: options.bisectProcesses } : {}),
          ...(options.portalUrl !== undefined ? { portalUrl: options.portalUrl } : {}),
          ...(options.lock !== undefined ? { lockPath: resolve(options.lock) } : {}),
          ...(options.reference !== undefined ? { reference: referenceFrom(options.reference) } : {}),
          ...(options.pairBudget !== undefined ? { pairBudget: options.pairBudget } : {}),
          ...(options.pairThreshold !== undefined ? { pairThreshold: options.pairThreshold } : {}),
          ...(options.profile === false ? { profile: false } : {}),
          ...profileOptionsFrom(options),
        },
      ),
    )
    if (options.json) printJson(ctx.io, report)
    else printReport(ctx, report)
    if (report.interrupted) return 130
    return report.errors.length > 0 ? 1 : 0
  } catch (error) {
    if (error instanceof NightlyLockedError) {
      log(ctx.io, `langperf: ${error.message}`)
      return NIGHTLY_LOCKED_EXIT_STATUS
    }
    throw error
  } finally {
    await store.close()
  }
}
