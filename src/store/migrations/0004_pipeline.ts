import { type Kysely, type Migration, sql } from 'kysely'
import type { StoreDialect } from '../types.ts'
import { idColumn, idType, JSON_TYPE, textType, timeType } from './helpers.ts'

/*
 * The nightly pipeline's step journal. Frozen once released: add 0005_….
 *
 * pipeline_steps  one row per step of the nightly cycle, named by a unique `key` that says what it
 *                 is about (`build:<runtime>:<config>:<sha>:<machine>`, `measure:…`, `detect:…`,
 *                 `notify:<alert>:<target>:<event>`, `bisect:<alert>`). `kind` (build|measure|detect|
 *                 notify|bisect), `status` (running|done|failed), `detail` JSON (what the step made or
 *                 why it failed), `attempts` (starts, redos after a crash included), the start and
 *                 end of the latest attempt. A step marked done is skipped by the next nightly; one
 *                 left running by a dead process is redone (src/pipeline/steps.ts).
 */

/** The pipeline step journal for `dialect`. */
export function pipelineMigration(dialect: StoreDialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      const text = textType(dialect)
      const time = timeType(dialect)
      await db.schema
        .createTable('pipeline_steps')
        .addColumn('id', idType(dialect), idColumn(dialect))
        .addColumn('kind', text, (c) => c.notNull())
        .addColumn('key', text, (c) => c.notNull())
        .addColumn('status', text, (c) => c.notNull())
        .addColumn('detail', JSON_TYPE, (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('started_at', time, (c) => c.notNull())
        .addColumn('finished_at', time)
        .addUniqueConstraint('pipeline_steps_key_unique', ['key'])
        .addCheckConstraint(
          'pipeline_steps_kind_check',
          sql`kind in ('build', 'measure', 'detect', 'notify', 'bisect')`,
        )
        .addCheckConstraint('pipeline_steps_status_check', sql`status in ('running', 'done', 'failed')`)
        .addCheckConstraint('pipeline_steps_attempts_check', sql`attempts >= 1`)
        .execute()
      await db.schema
        .createIndex('pipeline_steps_started_idx')
        .on('pipeline_steps')
        .columns(['started_at', 'id'])
        .execute()
    },
  }
}
