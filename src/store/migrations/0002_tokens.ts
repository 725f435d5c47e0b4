import { type Kysely, type Migration, sql } from 'kysely'
import type { StoreDialect } from '../types.ts'
import { idColumn, idType, JSON_TYPE, textType, timeType } from './helpers.ts'

/*
 * API tokens. Frozen once released: add 0003_….
 *
 * api_tokens   one row per token: name (for people), role agent|admin, scopes (JSON list of
 *              machine names the token may write for; empty = every machine), the SHA-256 of the
 *              secret as 64 hex characters (unique; the secret itself is shown once and never
 *              stored), created_at, last_used_at (null until first use) and revoked_at (null
 *              while valid). A revoked token is kept, so `token list` still shows who had access.
 */

/** API tokens for `dialect`. */
export function tokensMigration(dialect: StoreDialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      const text = textType(dialect)
      const time = timeType(dialect)
      await db.schema
        .createTable('api_tokens')
        .addColumn('id', idType(dialect), idColumn(dialect))
        .addColumn('name', text, (c) => c.notNull())
        .addColumn('role', text, (c) => c.notNull())
        .addColumn('scopes', JSON_TYPE, (c) => c.notNull())
        .addColumn('hash', text, (c) => c.notNull().unique())
        .addColumn('created_at', time, (c) => c.notNull())
        .addColumn('last_used_at', time)
        .addColumn('revoked_at', time)
        .addCheckConstraint('api_tokens_role_check', sql`role in ('agent', 'admin')`)
        .execute()
    },
  }
}
