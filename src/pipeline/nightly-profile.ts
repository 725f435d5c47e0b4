import type { JsonObject } from '../lib/index.ts'
import { type CulpritProfileOptions, profileCulprit } from './culprit-profile.ts'
import { checkInterrupt, Interrupted, type NightlyContext } from './nightly-context.ts'
import type { ProfileReport } from './nightly-report.ts'
import { runStep } from './steps.ts'
import { presetOf } from './world.ts'

// The nightly's step after a culprit is named: profile it against its parent (culprit-profile.ts)
// in a journalled step, before the culprit is notified, so the notification carries where the
// time went. A profile that cannot be taken is recorded on the alert with its reason and the
// nightly goes on: it never fails the nightly (its report lists it, its errors do not).

/** Default profiled processes per build and workload (as `langperf profile`). */
export const DEFAULT_CULPRIT_PROFILE_PROCESSES = 2
/** The profiler's rate, as `langperf profile` samples. */
const RATE_HZ = 250

/** The profile options of this nightly: the configuration's `[bisect] profile_*` overridden by the options. */
export function culpritProfileOptions(context: NightlyContext): CulpritProfileOptions {
  const { world, options } = context
  return {
    workloads: options.profileWorkloads ?? world.config.bisect.profileWorkloads,
    durationS: options.profileDurationS ?? world.config.bisect.profileDurationS,
    processes: options.profileProcesses ?? DEFAULT_CULPRIT_PROFILE_PROCESSES,
    rateHz: RATE_HZ,
    minTimeS: presetOf(options.sampling ?? {}).minTimeS,
  }
}

/**
 * Profiles the culprit of alert `alertId` against its parent in step
 * `profile:<machine>:<alert>:<culprit>` (done once), unless profiling is off; reports it.
 */
export async function profileAtCulprit(
  context: NightlyContext,
  alertId: number,
  culprit: string,
): Promise<void> {
  const { world, journal, options } = context
  if (!(options.profile ?? world.config.bisect.profile)) return
  checkInterrupt(world)
  const key = `profile:${world.machine}:${alertId}:${culprit}`
  const ran = await runStep(journal, { kind: 'profile', key }, () => profileStep(context, alertId, culprit))
  if (ran.state === 'failed' && ran.error === 'interrupted') throw new Interrupted('interrupted')
  const report: ProfileReport =
    ran.state === 'done' || ran.state === 'done-before'
      ? reportOf(alertId, culprit, ran.detail, ran.state === 'done-before')
      : {
          alertId,
          culprit,
          state: 'failed',
          note: ran.state === 'busy' ? 'busy' : ran.error,
          pairs: [],
        }
  if (report.state === 'failed')
    world.log(`  profiling the culprit of alert ${alertId} failed: ${report.note}`)
  context.report.profiles.push(report)
}

/** The step: profiles and records; its detail says what was recorded and how long it took. */
async function profileStep(context: NightlyContext, alertId: number, culprit: string): Promise<JsonObject> {
  const { world } = context
  const alert = await world.store.getAlert(alertId)
  if (alert === undefined) return { state: 'skipped', note: `alert ${alertId} is gone`, pairs: [] }
  const options = culpritProfileOptions(context)
  world.log(
    `${alert.runtime}: profiling the culprit ${culprit.slice(0, 12)} of alert ${alertId} against its parent (at most ${options.workloads} workload(s), ${options.durationS} s each per build)`,
  )
  const started = performance.now()
  let r: Awaited<ReturnType<typeof profileCulprit>>
  try {
    r = await profileCulprit(world, alert, culprit, options)
  } catch (error) {
    if (world.signal?.aborted) throw new Error('interrupted')
    throw error
  }
  const seconds = Math.round((performance.now() - started) / 100) / 10
  if (r.kind === 'skipped') return { state: 'skipped', note: r.reason, pairs: [], seconds }
  return {
    state: 'recorded',
    note: `${r.pairs.filter((p) => p.state === 'profiled').length} of ${r.pairs.length} workload(s) profiled against ${r.parent.slice(0, 12)}`,
    parent: r.parent,
    pairs: r.pairs.map((p) => ({ ...p })),
    seconds,
  }
}

/** The report of a profile step from its journalled detail. */
function reportOf(alertId: number, culprit: string, d: JsonObject, before: boolean): ProfileReport {
  const pairs = Array.isArray(d.pairs)
    ? d.pairs.flatMap((p) => {
        if (p === null || typeof p !== 'object' || Array.isArray(p)) return []
        const o = p as JsonObject
        return [
          {
            workload: String(o.workload),
            state: String(o.state),
            headline: typeof o.headline === 'string' ? o.headline : null,
            message: typeof o.message === 'string' ? o.message : null,
          },
        ]
      })
    : []
  return {
    alertId,
    culprit,
    state: before ? 'done-before' : d.state === 'skipped' ? 'skipped' : 'recorded',
    note: String(d.note ?? ''),
    pairs,
    ...(typeof d.seconds === 'number' ? { seconds: d.seconds } : {}),
  }
}
