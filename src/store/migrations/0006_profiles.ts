import { type Kysely, type Migration, sql } from 'kysely'
import type { StoreDialect } from '../types.ts'
import { FLOAT_TYPE, idColumn, idType, JSON_TYPE, REF_TYPE, textType, timeType } from './helpers.ts'

/*
 * Profiles: where a workload's time goes, sampled by a profiler. Frozen once released: add 0007_….
 *
 * profiles   one row per profile of one workload version on one build on one machine (the
 *            processes of one interpreter in one `langperf profile`, merged). machine_id,
 *            fingerprint_id (the machine's fingerprint then, null without an environment),
 *            build_id, workload_id; run_id when it was taken for a run (null for a profile of its
 *            own; set null if the run is deleted); group_id shared by the profiles of one
 *            invocation (A and B of a differential). tool and tool_version (`py-spy`, `0.4.2`),
 *            rate_hz, processes profiled, state profiled|unavailable|failed with a message when
 *            not profiled, sample_count, stacks (the collapsed stacks, gzip-compressed: a blob on
 *            SQLite, bytea on PostgreSQL; present exactly when profiled), stacks_bytes (their
 *            compressed size, so listings need not read them), metadata JSON (how it was taken:
 *            loops, values, per-process facts) and created_at. A profile's machine is upserted as
 *            a run's is, so its seen-times now cover profiles too.
 */

/** The profiles table for `dialect`. */
export function profilesMigration(dialect: StoreDialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      const text = textType(dialect)
      await db.schema
        .createTable('profiles')
        .addColumn('id', idType(dialect), idColumn(dialect))
        .addColumn('machine_id', REF_TYPE, (c) => c.notNull().references('machines.id'))
        .addColumn('fingerprint_id', REF_TYPE, (c) => c.references('machine_fingerprints.id'))
        .addColumn('build_id', REF_TYPE, (c) => c.notNull().references('builds.id'))
        .addColumn('workload_id', REF_TYPE, (c) => c.notNull().references('workloads.id'))
        .addColumn('run_id', REF_TYPE, (c) => c.references('runs.id').onDelete('set null'))
        .addColumn('group_id', text)
        .addColumn('tool', text, (c) => c.notNull())
        .addColumn('tool_version', text, (c) => c.notNull())
        .addColumn('rate_hz', FLOAT_TYPE, (c) => c.notNull())
        .addColumn('processes', 'integer', (c) => c.notNull())
        .addColumn('state', text, (c) => c.notNull())
        .addColumn('message', text)
        .addColumn('sample_count', 'bigint', (c) => c.notNull())
        .addColumn('stacks', dialect === 'sqlite' ? 'blob' : 'bytea')
        .addColumn('stacks_bytes', 'bigint', (c) => c.notNull())
        .addColumn('metadata', JSON_TYPE, (c) => c.notNull())
        .addColumn('created_at', timeType(dialect), (c) => c.notNull())
        .addCheckConstraint('profiles_state_check', sql`state in ('profiled', 'unavailable', 'failed')`)
        .addCheckConstraint(
          'profiles_stacks_check',
          sql`(state = 'profiled' and stacks is not null) or (state <> 'profiled' and stacks is null)`,
        )
        .execute()
      await db.schema
        .createIndex('profiles_created_idx')
        .on('profiles')
        .columns(['created_at', 'id'])
        .execute()
      await db.schema
        .createIndex('profiles_workload_build_idx')
        .on('profiles')
        .columns(['workload_id', 'build_id'])
        .execute()
      await db.schema.createIndex('profiles_group_idx').on('profiles').columns(['group_id']).execute()
    },
  }
}
