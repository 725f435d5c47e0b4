import { type Kysely, type Migration, sql } from 'kysely'
import type { StoreDialect } from '../types.ts'
import { FLOAT_TYPE, idColumn, idType, JSON_TYPE, REF_TYPE, textType, timeType } from './helpers.ts'

/*
 * The initial schema. A migration is frozen once released: never edit it, add 0002_….ts.
 * Literal values (check constraints) are written out here rather than taken from src/model so
 * that a later change to the model cannot silently change what this migration creates.
 *
 * machines              one row per machine name; `fingerprint`/`fingerprint_hash` are the
 *                       current ones (of the run with the latest started_at); first/last_seen_at
 *                       are the earliest/latest started_at of its runs
 * machine_fingerprints  the history: one row per (machine, fingerprint hash) with the span of
 *                       runs that carried it; a new fingerprint adds a row, an old one widens its span
 * runtimes              runtime families (`cpython`, `pypy`, `node`)
 * builds                one row per `identity` (unique); runtime, version, config, commit
 *                       (sha, date UTC, branch, merge base), interpreter self-report and metadata
 *                       as JSON
 * workloads             one row per (name, version); `manifest` JSON when one was given
 * runs                  one build × suite × machine: status running|complete|interrupted,
 *                       started/finished_at, group_id, `environment` JSON ({fingerprint, tuning}),
 *                       `warnings` JSON (the environment's warnings, kept apart so lists can show
 *                       them without parsing the environment), metadata JSON, and fingerprint_id
 *                       linking to the machine's fingerprint of that run
 * results               one workload in one run (unique per run and workload): state
 *                       measured|failed|skipped, failure reason, message, stderr tail, unit,
 *                       loops, inner loops, metadata JSON; summary columns computed at write time
 *                       so series queries never read samples: n_processes (with values), n_values,
 *                       mean (of per-process means), stdev_process_means, min, max, median (of all
 *                       values), process_means (JSON array, small: one number per process)
 * result_samples        one row per result: JSON of every process's warm-ups, values and metadata.
 *                       One row per result rather than per value: 100 workloads × 20 processes ×
 *                       4 values is 8,000 values per run, which as rows would dwarf everything else
 *
 * Deleting a run deletes its results and samples (on delete cascade); nothing else cascades.
 * Room is left for later migrations: changes (detected steps in a series), alerts (changes
 * grouped by commit range) and tokens (per-machine API tokens) will reference builds, results
 * and machines by id.
 */

/** The initial schema for `dialect`. */
export function initialMigration(dialect: StoreDialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      const id = idType(dialect)
      const idc = idColumn(dialect)
      const text = textType(dialect)
      const time = timeType(dialect)

      await db.schema
        .createTable('machines')
        .addColumn('id', id, idc)
        .addColumn('name', text, (c) => c.notNull().unique())
        .addColumn('fingerprint_hash', text)
        .addColumn('fingerprint', JSON_TYPE)
        .addColumn('first_seen_at', time, (c) => c.notNull())
        .addColumn('last_seen_at', time, (c) => c.notNull())
        .execute()

      await db.schema
        .createTable('machine_fingerprints')
        .addColumn('id', id, idc)
        .addColumn('machine_id', REF_TYPE, (c) => c.notNull().references('machines.id'))
        .addColumn('hash', text, (c) => c.notNull())
        .addColumn('fingerprint', JSON_TYPE, (c) => c.notNull())
        .addColumn('first_seen_at', time, (c) => c.notNull())
        .addColumn('last_seen_at', time, (c) => c.notNull())
        .addUniqueConstraint('machine_fingerprints_machine_hash_key', ['machine_id', 'hash'])
        .execute()

      await db.schema
        .createTable('runtimes')
        .addColumn('id', id, idc)
        .addColumn('name', text, (c) => c.notNull().unique())
        .execute()

      await db.schema
        .createTable('builds')
        .addColumn('id', id, idc)
        .addColumn('runtime_id', REF_TYPE, (c) => c.notNull().references('runtimes.id'))
        .addColumn('version', text, (c) => c.notNull())
        .addColumn('config', text, (c) => c.notNull())
        .addColumn('commit_sha', text)
        .addColumn('commit_date_utc', time)
        .addColumn('branch', text)
        .addColumn('merge_base', text)
        .addColumn('identity', text, (c) => c.notNull().unique())
        .addColumn('interpreter', JSON_TYPE)
        .addColumn('metadata', JSON_TYPE, (c) => c.notNull())
        .execute()
      // Series select builds by runtime, config and branch, ordered by commit date.
      await db.schema
        .createIndex('builds_series_idx')
        .on('builds')
        .columns(['runtime_id', 'config', 'branch', 'commit_date_utc'])
        .execute()

      await db.schema
        .createTable('workloads')
        .addColumn('id', id, idc)
        .addColumn('name', text, (c) => c.notNull())
        .addColumn('version', text, (c) => c.notNull())
        .addColumn('manifest', JSON_TYPE)
        .addUniqueConstraint('workloads_name_version_key', ['name', 'version'])
        .execute()

      await db.schema
        .createTable('runs')
        .addColumn('id', id, idc)
        .addColumn('machine_id', REF_TYPE, (c) => c.notNull().references('machines.id'))
        .addColumn('build_id', REF_TYPE, (c) => c.notNull().references('builds.id'))
        .addColumn('fingerprint_id', REF_TYPE, (c) => c.references('machine_fingerprints.id'))
        .addColumn('suite', text, (c) => c.notNull())
        .addColumn('preset', text, (c) => c.notNull())
        .addColumn('harness_version', text, (c) => c.notNull())
        .addColumn('source', text, (c) => c.notNull())
        .addColumn('status', text, (c) => c.notNull())
        .addColumn('started_at', time, (c) => c.notNull())
        .addColumn('finished_at', time)
        .addColumn('group_id', text)
        .addColumn('environment', JSON_TYPE)
        .addColumn('warnings', JSON_TYPE, (c) => c.notNull())
        .addColumn('metadata', JSON_TYPE, (c) => c.notNull())
        .addCheckConstraint('runs_status_check', sql`status in ('running', 'complete', 'interrupted')`)
        .execute()
      await db.schema.createIndex('runs_build_idx').on('runs').columns(['build_id']).execute()
      await db.schema
        .createIndex('runs_machine_started_idx')
        .on('runs')
        .columns(['machine_id', 'started_at'])
        .execute()
      await db.schema.createIndex('runs_started_idx').on('runs').columns(['started_at']).execute()
      await db.schema.createIndex('runs_group_idx').on('runs').columns(['group_id']).execute()

      await db.schema
        .createTable('results')
        .addColumn('id', id, idc)
        .addColumn('run_id', REF_TYPE, (c) => c.notNull().references('runs.id').onDelete('cascade'))
        .addColumn('workload_id', REF_TYPE, (c) => c.notNull().references('workloads.id'))
        .addColumn('state', text, (c) => c.notNull())
        .addColumn('failure_reason', text)
        .addColumn('message', text)
        .addColumn('stderr_tail', text)
        .addColumn('unit', text, (c) => c.notNull())
        .addColumn('loops', 'bigint', (c) => c.notNull())
        .addColumn('inner_loops', 'bigint', (c) => c.notNull())
        .addColumn('metadata', JSON_TYPE, (c) => c.notNull())
        .addColumn('n_processes', 'integer', (c) => c.notNull())
        .addColumn('n_values', 'integer', (c) => c.notNull())
        .addColumn('mean', FLOAT_TYPE)
        .addColumn('stdev_process_means', FLOAT_TYPE)
        .addColumn('min', FLOAT_TYPE)
        .addColumn('max', FLOAT_TYPE)
        .addColumn('median', FLOAT_TYPE)
        .addColumn('process_means', JSON_TYPE, (c) => c.notNull())
        .addUniqueConstraint('results_run_workload_key', ['run_id', 'workload_id'])
        .addCheckConstraint('results_state_check', sql`state in ('measured', 'failed', 'skipped')`)
        .execute()
      // A series reads one workload's results across runs.
      await db.schema
        .createIndex('results_workload_run_idx')
        .on('results')
        .columns(['workload_id', 'run_id'])
        .execute()

      await db.schema
        .createTable('result_samples')
        .addColumn('result_id', id, (c) => c.primaryKey().references('results.id').onDelete('cascade'))
        .addColumn('processes', JSON_TYPE, (c) => c.notNull())
        .execute()
    },
  }
}
