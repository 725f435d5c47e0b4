import { isJsonObject, type JsonObject, LangperfError, quote } from '../lib/index.ts'
import type { BuildSpec, WorkloadKey } from '../model/index.ts'
import {
  BUILD_COLUMNS,
  byteOrder,
  checkLimit,
  checkOffset,
  type Db,
  jsonOrNull,
  num,
  selectOrInsert,
  toBuildRow,
} from './rows.ts'
import { bumpGeneration, moveBuildSeries } from './series-index.ts'
import type {
  BuildLineageInput,
  BuildPage,
  BuildQuery,
  BuildRow,
  ManifestInput,
  RuntimeConfigInfo,
  RuntimeInfo,
  WorkloadRow,
} from './types.ts'
import { checkId, checkName } from './validate.ts'

// Runtimes, their builds and workload versions (BuildCatalog): the catalogue of what was
// measured, the lineage of a build, and the upserts that fill it as runs are stored.

const DEFAULT_BUILD_LIMIT = 100

/** Builds joined with their runtime, filtered as `query` says (no order, no limit). */
function buildsQuery(db: Db, query: BuildQuery, what: string) {
  let q = db.selectFrom('builds as b').innerJoin('runtimes as rt', 'rt.id', 'b.runtime_id')
  if (query.runtime !== undefined) q = q.where('rt.name', '=', query.runtime)
  if (query.version !== undefined) q = q.where('b.version', '=', query.version)
  if (query.config !== undefined) q = q.where('b.config', '=', query.config)
  if (query.branch !== undefined) q = q.where('b.branch', '=', query.branch)
  if (query.identity !== undefined) q = q.where('b.identity', '=', query.identity)
  if (query.commitPrefix !== undefined) {
    const prefix = checkName(query.commitPrefix, 'commitPrefix', what)
    // substr rather than LIKE: LIKE is case-insensitive on SQLite and treats `_`/`%` specially.
    q = q.where((eb) => eb(eb.fn('substr', ['b.commit_sha', eb.val(1), eb.val(prefix.length)]), '=', prefix))
  }
  return q
}

/** Builds matching the filters, newest commit date first (builds without one last). */
export async function findBuilds(db: Db, query: BuildQuery = {}): Promise<BuildRow[]> {
  const what = 'find builds'
  const limit = checkLimit(query.limit, DEFAULT_BUILD_LIMIT, what)
  const offset = checkOffset(query.offset, what)
  const rows = await buildsQuery(db, query, what)
    .select(BUILD_COLUMNS)
    .orderBy('b.commit_date_utc', (ob) => ob.desc().nullsLast())
    .orderBy('b.id', 'desc')
    .limit(limit)
    .offset(offset)
    .execute()
  return rows.map(toBuildRow)
}

/** One page of `findBuilds` with the count of every match. */
export async function listBuilds(db: Db, query: BuildQuery = {}): Promise<BuildPage> {
  const what = 'list builds'
  const [rows, count] = await Promise.all([
    findBuilds(db, query),
    buildsQuery(db, query, what)
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow(),
  ])
  return { rows, total: num(count.n) }
}

/** Sets a build's branch and merges `input.metadata` into its metadata, in one transaction. */
export async function setBuildLineage(db: Db, buildId: number, input: BuildLineageInput): Promise<BuildRow> {
  const what = 'set the lineage of a build'
  checkId(buildId, 'buildId', what)
  if (input.branch !== null) checkName(input.branch, 'branch', what)
  if (!isJsonObject(input.metadata)) {
    throw new LangperfError(
      'bad-input',
      `Cannot ${what}: expected metadata to be an object, found ${quote(input.metadata)}`,
    )
  }
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('builds as b')
      .innerJoin('runtimes as rt', 'rt.id', 'b.runtime_id')
      .select(BUILD_COLUMNS)
      .where('b.id', '=', buildId)
      .executeTakeFirst()
    if (row === undefined) throw new LangperfError('not-found', `Cannot ${what}: no build ${buildId}`)
    const stored = toBuildRow(row)
    const metadata = { ...stored.metadata, ...input.metadata }
    await trx
      .updateTable('builds')
      .set({ branch: input.branch, metadata: JSON.stringify(metadata) })
      .where('id', '=', buildId)
      .execute()
    await bumpGeneration(trx, 'builds')
    if (stored.branch !== input.branch) await moveBuildSeries(trx, buildId, stored.branch)
    return { ...stored, branch: input.branch, metadata }
  })
}

/** Every runtime family with its configs and their build and run counts, by name. */
export async function listRuntimes(db: Db): Promise<RuntimeInfo[]> {
  // Builds and runs are counted in two grouped queries rather than one join, so a build with
  // many runs counts once.
  const [builds, runs] = await Promise.all([
    db
      .selectFrom('builds as b')
      .innerJoin('runtimes as rt', 'rt.id', 'b.runtime_id')
      .select(['rt.name as runtime', 'b.config'])
      .select((eb) => eb.fn.countAll().as('n'))
      .groupBy(['rt.name', 'b.config'])
      .execute(),
    db
      .selectFrom('runs as r')
      .innerJoin('builds as b', 'b.id', 'r.build_id')
      .innerJoin('runtimes as rt', 'rt.id', 'b.runtime_id')
      .select(['rt.name as runtime', 'b.config'])
      .select((eb) => [eb.fn.countAll().as('n'), eb.fn.max('r.started_at').as('last')])
      .groupBy(['rt.name', 'b.config'])
      .execute(),
  ])
  const runsOf = new Map(runs.map((r) => [`${r.runtime}\u0000${r.config}`, r]))
  const byRuntime = new Map<string, RuntimeConfigInfo[]>()
  for (const b of builds) {
    const r = runsOf.get(`${b.runtime}\u0000${b.config}`)
    const list = byRuntime.get(b.runtime) ?? []
    list.push({
      config: b.config,
      builds: num(b.n),
      runs: r === undefined ? 0 : num(r.n),
      lastRunAt: r?.last ?? null,
    })
    byRuntime.set(b.runtime, list)
  }
  return [...byRuntime.keys()].sort(byteOrder).map((name) => {
    const configs = (byRuntime.get(name) ?? []).sort((a, b) => byteOrder(a.config, b.config))
    return { name, builds: configs.reduce((n, c) => n + c.builds, 0), configs }
  })
}

/** Every workload version, by name then version; only those of `options.name` when given. */
export async function listWorkloads(
  db: Db,
  options: { readonly name?: string } = {},
): Promise<WorkloadRow[]> {
  let q = db.selectFrom('workloads').selectAll()
  if (options.name !== undefined) q = q.where('name', '=', options.name)
  const rows = await q.orderBy('name').orderBy('version').execute()
  return rows.map((r) => ({
    id: num(r.id),
    name: r.name,
    version: r.version,
    manifest: jsonOrNull<JsonObject>(r.manifest),
  }))
}

/** The id of the runtime family `name`, inserted when new. */
async function upsertRuntime(trx: Db, name: string): Promise<number> {
  return selectOrInsert(
    () => trx.selectFrom('runtimes').select('id').where('name', '=', name).executeTakeFirst(),
    () =>
      trx
        .insertInto('runtimes')
        .values({ name })
        .onConflict((oc) => oc.column('name').doNothing())
        .returning('id')
        .executeTakeFirst(),
    `store runtime ${quote(name)}`,
  )
}

/**
 * The build's id by identity. An existing build keeps what it was stored with; fields it lacked
 * (commit, date, branch, merge base, interpreter) are filled from `build`. The same identity with
 * another runtime, version or config is a conflict: the caller's identity is not identifying.
 */
export async function upsertBuild(trx: Db, build: BuildSpec, what: string): Promise<number> {
  const existing = await trx
    .selectFrom('builds as b')
    .innerJoin('runtimes as rt', 'rt.id', 'b.runtime_id')
    .select(BUILD_COLUMNS)
    .where('b.identity', '=', build.identity)
    .executeTakeFirst()
  if (existing === undefined) {
    const runtimeId = await upsertRuntime(trx, build.runtime)
    return selectOrInsert(
      () => trx.selectFrom('builds').select('id').where('identity', '=', build.identity).executeTakeFirst(),
      () =>
        trx
          .insertInto('builds')
          .values({
            runtime_id: runtimeId,
            version: build.version,
            config: build.config,
            commit_sha: build.commitSha,
            commit_date_utc: build.commitDateUtc,
            branch: build.branch,
            merge_base: build.mergeBase,
            identity: build.identity,
            interpreter: build.interpreter === null ? null : JSON.stringify(build.interpreter),
            metadata: JSON.stringify(build.metadata),
          })
          .onConflict((oc) => oc.column('identity').doNothing())
          .returning('id')
          .executeTakeFirst(),
      `store build ${quote(build.identity)}`,
    )
  }
  const stored = toBuildRow(existing)
  if (
    stored.runtime !== build.runtime ||
    stored.version !== build.version ||
    stored.config !== build.config
  ) {
    throw new LangperfError(
      'conflict',
      `Cannot ${what}: build identity ${quote(build.identity)} is stored as ${stored.runtime} ${stored.version} (${stored.config}), found ${build.runtime} ${build.version} (${build.config})`,
    )
  }
  const fill: {
    commit_sha?: string
    commit_date_utc?: string
    branch?: string
    merge_base?: string
    interpreter?: string
  } = {}
  if (stored.commitSha === null && build.commitSha !== null) fill.commit_sha = build.commitSha
  if (stored.commitDateUtc === null && build.commitDateUtc !== null)
    fill.commit_date_utc = build.commitDateUtc
  if (stored.branch === null && build.branch !== null) fill.branch = build.branch
  if (stored.mergeBase === null && build.mergeBase !== null) fill.merge_base = build.mergeBase
  if (stored.interpreter === null && build.interpreter !== null)
    fill.interpreter = JSON.stringify(build.interpreter)
  if (Object.keys(fill).length > 0) {
    await trx.updateTable('builds').set(fill).where('id', '=', stored.id).execute()
    await bumpGeneration(trx, 'builds')
  }
  if (fill.branch !== undefined) await moveBuildSeries(trx, stored.id, stored.branch)
  return stored.id
}

/** The id of a workload version, inserted when new; a manifest given later fills an empty one. */
export async function upsertWorkload(
  trx: Db,
  workload: WorkloadKey,
  manifest: ManifestInput | null,
): Promise<number> {
  const { name, version } = workload
  const existing = await trx
    .selectFrom('workloads')
    .select(['id', 'manifest'])
    .where('name', '=', name)
    .where('version', '=', version)
    .executeTakeFirst()
  if (existing !== undefined) {
    if (manifest !== null && existing.manifest === null) {
      await trx
        .updateTable('workloads')
        .set({ manifest: JSON.stringify(manifest) })
        .where('id', '=', existing.id)
        .execute()
    }
    return num(existing.id)
  }
  return selectOrInsert(
    () =>
      trx
        .selectFrom('workloads')
        .select('id')
        .where('name', '=', name)
        .where('version', '=', version)
        .executeTakeFirst(),
    () =>
      trx
        .insertInto('workloads')
        .values({ name, version, manifest: manifest === null ? null : JSON.stringify(manifest) })
        .onConflict((oc) => oc.columns(['name', 'version']).doNothing())
        .returning('id')
        .executeTakeFirst(),
    `store workload ${quote(name)}`,
  )
}
