import { resolve } from 'node:path'
import { FarmQueue } from '../../farm/index.ts'
import { LangperfError } from '../../lib/index.ts'
import {
  type FarmNightlyReport,
  NIGHTLY_LOCKED_EXIT_STATUS,
  NightlyLockedError,
  runFarmNightly,
} from '../../pipeline/index.ts'
import type { Ctx } from '../context.ts'
import { log, printJson, println, table } from '../output.ts'
import { withInterrupt } from './interrupt.ts'
import { type NightlyCommandOptions, referenceFrom } from './nightly.ts'
import {
  configuredStoreLocation,
  loadConfigFile,
  openConfiguredStore,
  samplingFrom,
} from './pipeline-options.ts'

// `langperf nightly --farm`: the farm's nightly, run on the server's host (a systemd timer or
// cron beside `langperf serve --farm`, docs/farm.md). It opens the portal's PostgreSQL store and
// the farm's queue in it (the schema `serve --farm` uses), plans each machine's commits and
// enqueues their build jobs, then detects and notifies over what the agents have sent (with
// --wait, once this night's jobs have finished). Exit status as `langperf nightly`.

/** The options of `nightly` that only the farm's takes. */
export interface FarmNightlyCliOptions {
  readonly farm?: boolean
  readonly wait?: boolean
  readonly waitTimeout?: number
  readonly farmMachine?: readonly string[]
  readonly pgSchema?: string
}

function printFarmReport(ctx: Ctx, r: FarmNightlyReport): void {
  const io = ctx.io
  if (r.dryRun) {
    println(
      io,
      `Plan on the farm (${r.machines.join(', ') || 'no machine'}): ${r.planned.length} build(s) to enqueue`,
    )
    if (r.planned.length > 0) {
      println(
        io,
        table(
          ['machine', 'runtime', 'branch', 'config', 'commit', 'date (UTC)', 'reference', 'subject'],
          r.planned.map((p) => [
            p.machine,
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
  const added = r.jobs.filter((j) => j.added).length
  const waited =
    r.waited === null
      ? ''
      : `; waited ${(r.waited.ms / 1000).toFixed(0)} s${r.waited.timedOut ? ' (timed out)' : ''}`
  println(
    io,
    `Farm nightly on ${r.machines.length} machine(s)${r.interrupted ? ' (interrupted)' : ''}: ${added} build job(s) enqueued, ${r.jobs.length - added} enqueued before${waited}`,
  )
  if (r.jobs.length > 0) {
    println(
      io,
      table(
        ['machine', 'runtime', 'config', 'commit', 'reference', 'job', 'new', 'state'],
        r.jobs.map((j) => [
          j.machine,
          j.runtime,
          j.config,
          j.sha.slice(0, 12),
          j.reference?.slice(0, 12) ?? '—',
          j.jobId.slice(0, 12),
          j.added ? 'yes' : 'no',
          j.state,
        ]),
      ),
    )
  }
  for (const d of r.detections) {
    println(
      io,
      `detect ${d.machine} ${d.runtime}/${d.branch}: ${d.state}; new alerts ${d.newAlertIds.join(', ') || 'none'}${d.confirmedAlertIds.length ? `; confirmed ${d.confirmedAlertIds.join(', ')}` : ''}`,
    )
  }
  for (const n of r.notifications)
    println(io, `notify alert ${n.alertId} → ${n.target} (${n.event}): ${n.state}`)
  for (const b of r.bisections) {
    println(
      io,
      `bisect alert ${b.alertId} on ${b.machine}: ${b.state}${b.culprit ? ` ${b.culprit.slice(0, 12)}` : ''} — ${b.note}`,
    )
  }
  for (const e of r.errors) println(io, `error in ${e.step}: ${e.message}`)
}

/** `langperf nightly --farm`: one farm nightly; returns the exit status. */
export async function farmNightlyCommand(
  ctx: Ctx,
  options: NightlyCommandOptions & FarmNightlyCliOptions,
): Promise<number> {
  if (options.machine !== undefined) {
    throw new LangperfError(
      'bad-input',
      'Cannot use --machine with --farm: the farm nightly plans for every farm machine; --farm-machine NAME picks some',
    )
  }
  const config = await loadConfigFile(options)
  const location = configuredStoreLocation(config, options, ctx.env)
  if (!/^postgres(?:ql)?:\/\//.test(location)) {
    throw new LangperfError(
      'bad-input',
      'Cannot run the farm nightly: expected the store to be PostgreSQL (the farm\'s queue lives there, as for `serve --farm`), found an SQLite file; give --db postgres://… or [store] location = "postgres://…"',
    )
  }
  const schema = options.pgSchema
  const store = await openConfiguredStore(config, options, ctx.env, schema === undefined ? {} : { schema })
  const farm = new FarmQueue({
    connectionString: location,
    ...(schema === undefined ? {} : { schema: `${schema}_farm` }),
  })
  try {
    const report = await withInterrupt(ctx, (signal) =>
      runFarmNightly(
        config,
        {
          store,
          farm,
          env: ctx.env,
          log: (line) => log(ctx.io, line),
          signal,
          pollMs: 1000,
        },
        {
          ...(options.backfill !== undefined ? { backfill: options.backfill } : {}),
          ...(options.every !== undefined ? { every: options.every } : {}),
          ...(options.dryRun ? { dryRun: true } : {}),
          ...(options.runtime ? { runtimes: options.runtime } : {}),
          ...(options.workload ? { workloads: options.workload } : {}),
          sampling: samplingFrom(options, options.processes),
          ...(options.portalUrl !== undefined ? { portalUrl: options.portalUrl } : {}),
          ...(options.lock !== undefined ? { lockPath: resolve(options.lock) } : {}),
          ...(options.pairBudget !== undefined ? { pairBudget: options.pairBudget } : {}),
          ...(options.pairThreshold !== undefined ? { pairThreshold: options.pairThreshold } : {}),
          ...(options.reference !== undefined ? { reference: referenceFrom(options.reference) } : {}),
          ...(options.farmMachine ? { machines: options.farmMachine } : {}),
          ...(options.wait ? { wait: true } : {}),
          ...(options.bisect === false ? { bisect: false } : {}),
          ...(options.maxBisections !== undefined ? { maxBisections: options.maxBisections } : {}),
          ...(options.bisectProcesses !== undefined ? { bisectStartProcesses: options.bisectProcesses } : {}),
          ...(options.waitTimeout !== undefined ? { waitTimeoutMs: options.waitTimeout * 1000 } : {}),
        },
      ),
    )
    if (options.json) printJson(ctx.io, report)
    else printFarmReport(ctx, report)
    if (report.interrupted) return 130
    const failedJobs = report.jobs.filter((j) => j.state === 'failed').length
    return report.errors.length > 0 || failedJobs > 0 || report.waited?.timedOut ? 1 : 0
  } catch (error) {
    if (error instanceof NightlyLockedError) {
      log(ctx.io, `langperf: ${error.message}`)
      return NIGHTLY_LOCKED_EXIT_STATUS
    }
    throw error
  } finally {
    await farm.close()
    await store.close()
  }
}
