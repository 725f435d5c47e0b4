import { type Kysely, type Migration, sql } from 'kysely'
import type { StoreDialect } from '../types.ts'
import { idColumn, idType, JSON_TYPE, REF_TYPE, textType } from './helpers.ts'

/*
 * The series index. Frozen once released: add 0009_….
 *
 * series   one row per series that has at least one result: machine_id × runtime_id × config ×
 *          branch × workload_id (a workload version). branch is the builds' branch, null for
 *          builds without one; branch_key is the same with '' for null, so that the unique index
 *          holds on both dialects (a null never equals another null in a unique index; branch names
 *          are never empty). results counts its results of every state, points those measured.
 *          revision grows by one at every change of the row (a result added, a build moved in or
 *          out by a new branch), so derived data can say which revision it was made from.
 *          summary is such derived data: the workloads index's summary of the series (newest means,
 *          latest point, noise floor) as JSON, made at summary_revision; it is current only while
 *          summary_revision = revision, and recomputed by whoever reads it otherwise.
 *          Maintained in the transaction of every write that adds results or changes a build's
 *          branch (store/series-index.ts), so listing series reads this table, not the results.
 *          Filled here from the results already stored.
 *
 * generations   named counters that grow at every change of something cached elsewhere, so a
 *               cache can tell from the database alone that it is stale (two servers over one
 *               database included). `builds`: every update of a stored build (its branch or
 *               metadata set by lineage, or columns filled by a later run of it).
 */

/** The series table for `dialect`, filled from the stored results. */
export function seriesMigration(dialect: StoreDialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      const text = textType(dialect)
      await db.schema
        .createTable('series')
        .addColumn('id', idType(dialect), idColumn(dialect))
        .addColumn('machine_id', REF_TYPE, (c) => c.notNull().references('machines.id'))
        .addColumn('runtime_id', REF_TYPE, (c) => c.notNull().references('runtimes.id'))
        .addColumn('config', text, (c) => c.notNull())
        .addColumn('branch', text)
        .addColumn('branch_key', text, (c) => c.notNull())
        .addColumn('workload_id', REF_TYPE, (c) => c.notNull().references('workloads.id'))
        .addColumn('results', 'bigint', (c) => c.notNull())
        .addColumn('points', 'bigint', (c) => c.notNull())
        .addColumn('revision', 'bigint', (c) => c.notNull())
        .addColumn('summary', JSON_TYPE)
        .addColumn('summary_revision', 'bigint')
        .execute()
      await db.schema
        .createIndex('series_key_idx')
        .on('series')
        .columns(['machine_id', 'runtime_id', 'config', 'branch_key', 'workload_id'])
        .unique()
        .execute()
      await db.schema.createIndex('series_workload_idx').on('series').column('workload_id').execute()
      await db.schema
        .createTable('generations')
        .addColumn('name', text, (c) => c.primaryKey())
        .addColumn('value', 'bigint', (c) => c.notNull())
        .execute()
      await sql`insert into generations (name, value) values ('builds', 0)`.execute(db)
      await sql`
        insert into series (machine_id, runtime_id, config, branch, branch_key, workload_id, results, points, revision)
        select ru.machine_id, b.runtime_id, b.config, b.branch, coalesce(b.branch, ''), r.workload_id,
               count(*), sum(case when r.state = 'measured' then 1 else 0 end), 1
        from results r
        join runs ru on ru.id = r.run_id
        join builds b on b.id = ru.build_id
        group by ru.machine_id, b.runtime_id, b.config, b.branch, r.workload_id
      `.execute(db)
    },
  }
}
