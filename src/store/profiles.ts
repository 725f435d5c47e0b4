import { badInput, type JsonObject, LangperfError, quote } from '../lib/index.ts'
import { upsertBuild, upsertWorkload } from './builds.ts'
import { upsertMachine } from './machines.ts'
import {
  MAX_PROFILE_STACKS_BYTES,
  type NewProfile,
  PROFILE_STATES,
  type ProfilePage,
  type ProfileQuery,
  type ProfileRow,
  type ProfileState,
  type ProfileWithStacks,
} from './profile-types.ts'
import {
  BUILD_COLUMNS,
  type BuildColumns,
  checkLimit,
  checkOffset,
  type Db,
  json,
  num,
  numOrNull,
  toBuildRow,
} from './rows.ts'
import { checkBuild, checkEnvironment, checkId, checkIsoUtc, checkJsonObject, checkName } from './validate.ts'

// Profiles (ProfileStore): what a profiler sampled of a workload on a build, its collapsed stacks
// kept as the gzip bytes they came in. The machine, build and workload are upserted as a run's
// are; a profile taken for a run must name a run of the same machine and build.

const DEFAULT_PROFILE_LIMIT = 50

/** gzip's first two bytes (RFC 1952, section 2.3.1). */
const GZIP_MAGIC = [0x1f, 0x8b] as const

/** Throws unless `p` can be stored as it is. */
function checkProfile(p: NewProfile, what: string): void {
  checkName(p.machine, 'machine', what)
  if (p.environment !== null) checkEnvironment(p.environment, what)
  checkBuild(p.build, what)
  checkName(p.workload?.name, 'workload.name', what)
  checkName(p.workload?.version, 'workload.version', what)
  if (p.runId !== null) checkId(p.runId, 'runId', what)
  if (p.groupId !== null) checkName(p.groupId, 'groupId', what)
  checkName(p.tool, 'tool', what)
  checkName(p.toolVersion, 'toolVersion', what)
  if (typeof p.rateHz !== 'number' || !Number.isFinite(p.rateHz) || p.rateHz <= 0)
    throw badInput(`Cannot ${what}: expected rateHz to be a positive number, found ${quote(p.rateHz)}`)
  for (const [field, value] of [
    ['processes', p.processes],
    ['sampleCount', p.sampleCount],
  ] as const) {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
      throw badInput(`Cannot ${what}: expected ${field} to be an integer ≥ 0, found ${quote(value)}`)
  }
  if (!(PROFILE_STATES as readonly unknown[]).includes(p.state))
    throw badInput(
      `Cannot ${what}: expected state to be one of ${PROFILE_STATES.join(', ')}, found ${quote(p.state)}`,
    )
  checkJsonObject(p.metadata, 'metadata', what)
  checkIsoUtc(p.createdAt, 'createdAt', what)
  if (p.state === 'profiled') checkStacks(p, what)
  else {
    checkName(p.message, 'message', what)
    if (p.stacksGzip !== null || p.sampleCount !== 0)
      throw badInput(`Cannot ${what}: a profile ${p.state} has no stacks and no samples`)
  }
}

/** Throws unless a profiled profile has gzip stacks within the cap, samples, and no message. */
function checkStacks(p: NewProfile, what: string): void {
  if (p.message !== null)
    throw badInput(`Cannot ${what}: expected no message on a profiled profile, found ${quote(p.message)}`)
  const bytes = p.stacksGzip
  if (!(bytes instanceof Uint8Array))
    throw badInput(`Cannot ${what}: expected stacksGzip to be bytes, found ${quote(bytes)}`)
  if (bytes.length > MAX_PROFILE_STACKS_BYTES)
    throw new LangperfError(
      'too-large',
      `Cannot ${what}: expected compressed stacks of at most ${MAX_PROFILE_STACKS_BYTES} bytes, found ${bytes.length}`,
    )
  if (bytes.length < 2 || bytes[0] !== GZIP_MAGIC[0] || bytes[1] !== GZIP_MAGIC[1])
    throw badInput(`Cannot ${what}: expected stacksGzip to be gzip data (1f 8b …), found other bytes`)
  if (p.sampleCount < 1)
    throw badInput(`Cannot ${what}: expected a profiled profile to have samples, found ${p.sampleCount}`)
}

/** Stores a profile with its machine, build and workload upserted, in one transaction; returns its id. */
export async function addProfile(db: Db, profile: NewProfile): Promise<{ readonly profileId: number }> {
  const what = `store a profile of ${quote(profile?.workload?.name)}`
  checkProfile(profile, what)
  return db.transaction().execute(async (trx) => {
    const { machineId, fingerprintId } = await upsertMachine(
      trx,
      profile.machine,
      profile.environment,
      profile.createdAt,
    )
    const buildId = await upsertBuild(trx, profile.build, what)
    if (profile.runId !== null) {
      const run = await trx
        .selectFrom('runs')
        .select(['machine_id', 'build_id'])
        .where('id', '=', profile.runId)
        .executeTakeFirst()
      if (run === undefined)
        throw new LangperfError('not-found', `Cannot ${what}: no run has id ${profile.runId}`)
      if (num(run.machine_id) !== machineId || num(run.build_id) !== buildId)
        throw new LangperfError(
          'conflict',
          `Cannot ${what}: run ${profile.runId} is of another machine or build than the profile`,
        )
    }
    const workloadId = await upsertWorkload(trx, profile.workload, null)
    const stacks = profile.stacksGzip === null ? null : Buffer.from(profile.stacksGzip)
    const row = await trx
      .insertInto('profiles')
      .values({
        machine_id: machineId,
        fingerprint_id: fingerprintId,
        build_id: buildId,
        workload_id: workloadId,
        run_id: profile.runId,
        group_id: profile.groupId,
        tool: profile.tool,
        tool_version: profile.toolVersion,
        rate_hz: profile.rateHz,
        processes: profile.processes,
        state: profile.state,
        message: profile.message,
        sample_count: profile.sampleCount,
        stacks,
        stacks_bytes: stacks?.length ?? 0,
        metadata: JSON.stringify(profile.metadata),
        created_at: profile.createdAt,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
    return { profileId: num(row.id) }
  })
}

/** Profiles joined with their machine, build (and runtime) and workload. */
function profilesQuery(db: Db) {
  return db
    .selectFrom('profiles as p')
    .innerJoin('machines as m', 'm.id', 'p.machine_id')
    .innerJoin('builds as b', 'b.id', 'p.build_id')
    .innerJoin('runtimes as rt', 'rt.id', 'b.runtime_id')
    .innerJoin('workloads as w', 'w.id', 'p.workload_id')
}

const PROFILE_COLUMNS = [
  'p.id',
  'm.name as machine',
  'w.name as workload_name',
  'w.version as workload_version',
  'p.run_id',
  'p.group_id',
  'p.tool',
  'p.tool_version',
  'p.rate_hz',
  'p.processes',
  'p.state',
  'p.message',
  'p.sample_count',
  'p.stacks_bytes',
  'p.metadata',
  'p.created_at',
  ...BUILD_COLUMNS,
] as const

/** A profile from its joined row. */
function toProfileRow(
  r: BuildColumns & {
    id: number | string
    machine: string
    workload_name: string
    workload_version: string
    run_id: number | string | null
    group_id: string | null
    tool: string
    tool_version: string
    rate_hz: number | string
    processes: number | string
    state: string
    message: string | null
    sample_count: number | string
    stacks_bytes: number | string
    metadata: string
    created_at: string
  },
): ProfileRow {
  const state = PROFILE_STATES.find((s) => s === r.state)
  if (state === undefined)
    throw new LangperfError('internal', `Unexpected profile state ${quote(r.state)} in the store`)
  return {
    id: num(r.id),
    machine: r.machine,
    build: toBuildRow(r),
    workload: { name: r.workload_name, version: r.workload_version },
    runId: numOrNull(r.run_id),
    groupId: r.group_id,
    tool: r.tool,
    toolVersion: r.tool_version,
    rateHz: num(r.rate_hz),
    processes: num(r.processes),
    state: state satisfies ProfileState,
    message: r.message,
    sampleCount: num(r.sample_count),
    stacksBytes: num(r.stacks_bytes),
    metadata: json<JsonObject>(r.metadata),
    createdAt: r.created_at,
  }
}

/** One profile with its compressed stacks, or undefined. */
export async function getProfile(db: Db, id: number): Promise<ProfileWithStacks | undefined> {
  checkId(id, 'id', `get profile ${quote(id)}`)
  const row = await profilesQuery(db)
    .select(PROFILE_COLUMNS)
    .select('p.stacks')
    .where('p.id', '=', id)
    .executeTakeFirst()
  if (row === undefined) return undefined
  const stacks = row.stacks === null ? null : new Uint8Array(row.stacks)
  return { ...toProfileRow(row), stacksGzip: stacks }
}

/** Profiles matching the filters, newest first (by creation, then id), without their stacks. */
export async function listProfiles(db: Db, query: ProfileQuery = {}): Promise<ProfilePage> {
  const what = 'list profiles'
  const limit = checkLimit(query.limit, DEFAULT_PROFILE_LIMIT, what)
  const offset = checkOffset(query.offset, what)
  let q = profilesQuery(db)
  if (query.machine !== undefined) q = q.where('m.name', '=', query.machine)
  if (query.workload !== undefined) q = q.where('w.name', '=', query.workload)
  if (query.buildId !== undefined) q = q.where('p.build_id', '=', checkId(query.buildId, 'buildId', what))
  if (query.runId !== undefined) q = q.where('p.run_id', '=', checkId(query.runId, 'runId', what))
  if (query.groupId !== undefined) q = q.where('p.group_id', '=', query.groupId)
  if (query.state !== undefined) q = q.where('p.state', '=', query.state)
  const [rows, count] = await Promise.all([
    q
      .select(PROFILE_COLUMNS)
      .orderBy('p.created_at', 'desc')
      .orderBy('p.id', 'desc')
      .limit(limit)
      .offset(offset)
      .execute(),
    q.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow(),
  ])
  return { rows: rows.map(toProfileRow), total: num(count.n) }
}
