import type { ExpressionBuilder } from 'kysely'
import { LangperfError } from '../lib/index.ts'
import { supersedeChanges } from './alerts.ts'
import { upsertBuild } from './builds.ts'
import { upsertMachine } from './machines.ts'
import { type Db, num } from './rows.ts'
import type { Database } from './schema.ts'
import { addToSeries, bumpGeneration, removeFromSeries } from './series-index.ts'
import type { MovedRun, RunPlacement } from './types.ts'
import { checkBuild, checkEnvironment, checkId, checkIsoUtc, checkName } from './validate.ts'

// Moving a stored run to the build and machine a better reading of its source names (an import
// that now reads the build config from bench_runner's directory name, or a 32-bit interpreter
// that used to share the 64-bit build): the run, its results and their samples stay as they are;
// the series index follows, and the changes recorded on the series it left and joined are
// superseded, since the evidence they were judged on held the run, or lacked it.

/**
 * Moves run `runId` into the build `to.build` names (upserted by identity, as an insert would)
 * on machine `to.machine`, in one transaction. The results leave their series for those of the
 * new build; the changes recorded on the series they left and joined are withdrawn as superseded
 * (their alerts keep their triage; the next detection re-judges those series and revives the
 * changes it finds again); an old build left with no run, change, alert or profile is deleted.
 * `not-found` for an unknown run; a run already there is left alone (nothing superseded).
 */
export async function moveRun(db: Db, runId: number, to: RunPlacement): Promise<MovedRun> {
  const what = `move run ${runId}`
  checkId(runId, 'runId', what)
  checkName(to.machine, 'machine', what)
  checkBuild(to.build, what)
  if (to.environment !== null) checkEnvironment(to.environment, what)
  checkIsoUtc(to.startedAt, 'startedAt', what)
  checkIsoUtc(to.at, 'at', what)
  checkName(to.reason, 'reason', what)
  return db.transaction().execute(async (trx) => {
    const run = await trx
      .selectFrom('runs as ru')
      .innerJoin('builds as b', 'b.id', 'ru.build_id')
      .innerJoin('runtimes as rt', 'rt.id', 'b.runtime_id')
      .innerJoin('machines as m', 'm.id', 'ru.machine_id')
      .select([
        'ru.build_id',
        'ru.machine_id',
        'b.config',
        'b.branch',
        'rt.name as runtime',
        'm.name as machine',
      ])
      .where('ru.id', '=', runId)
      .executeTakeFirst()
    if (run === undefined) throw new LangperfError('not-found', `Cannot ${what}: no run ${runId}`)
    const fromBuildId = num(run.build_id)
    const fromMachineId = num(run.machine_id)
    const { machineId, fingerprintId } = await upsertMachine(trx, to.machine, to.environment, to.startedAt)
    const toBuildId = await upsertBuild(trx, to.build, what)
    const moved: MovedRun = {
      runId,
      fromBuildId,
      toBuildId,
      fromMachine: run.machine,
      toMachine: to.machine,
      supersededChangeIds: [],
      removedBuild: false,
    }
    if (toBuildId === fromBuildId && machineId === fromMachineId) return moved
    await removeFromSeries(trx, { runId })
    await trx
      .updateTable('runs')
      .set({ build_id: toBuildId, machine_id: machineId, fingerprint_id: fingerprintId })
      .where('id', '=', runId)
      .execute()
    await addToSeries(trx, { runIds: [runId] })
    // The changes recorded on the series the run left and on those it joined: judged on evidence
    // that held the run, or lacked it. Superseded, they are re-judged by the next detection,
    // which revives those it finds again (same change, same alert, its triage kept).
    const workloads = await trx
      .selectFrom('results as r')
      .innerJoin('workloads as w', 'w.id', 'r.workload_id')
      .select(['w.name', 'w.version'])
      .where('r.run_id', '=', runId)
      .execute()
    const held = new Set(workloads.map((w) => `${w.name}\u0000${w.version}`))
    const ends = [
      { machine: run.machine, config: run.config, branch: run.branch ?? '' },
      { machine: to.machine, config: to.build.config, branch: to.build.branch ?? '' },
    ]
    const recorded = await trx
      .selectFrom('changes')
      .select(['id', 'workload', 'workload_version'])
      .where('runtime', '=', run.runtime)
      .where('status', '!=', 'withdrawn')
      .where((eb) =>
        eb.or(
          ends.map((e) =>
            eb.and([eb('machine', '=', e.machine), eb('config', '=', e.config), eb('branch', '=', e.branch)]),
          ),
        ),
      )
      .orderBy('id')
      .execute()
    const superseded = recorded
      .filter((c) => held.has(`${c.workload}\u0000${c.workload_version}`))
      .map((c) => num(c.id))
    await supersedeChanges(trx, superseded, to.reason, to.at)
    const removedBuild = await deleteIfUnused(trx, fromBuildId)
    await bumpGeneration(trx, 'builds')
    return { ...moved, supersededChangeIds: superseded, removedBuild }
  })
}

/** Deletes a build nothing refers to any more (runs, profiles, changes, alerts); whether it did. */
async function deleteIfUnused(trx: Db, buildId: number): Promise<boolean> {
  const either = (eb: ExpressionBuilder<Database, 'changes' | 'alerts'>) =>
    eb.or([eb('last_good_build_id', '=', buildId), eb('first_bad_build_id', '=', buildId)])
  const uses = [
    () => trx.selectFrom('runs').select('id').where('build_id', '=', buildId).limit(1).executeTakeFirst(),
    () => trx.selectFrom('profiles').select('id').where('build_id', '=', buildId).limit(1).executeTakeFirst(),
    () => trx.selectFrom('changes').select('id').where(either).limit(1).executeTakeFirst(),
    () => trx.selectFrom('alerts').select('id').where(either).limit(1).executeTakeFirst(),
  ]
  for (const use of uses) if ((await use()) !== undefined) return false
  await trx.deleteFrom('builds').where('id', '=', buildId).execute()
  return true
}
