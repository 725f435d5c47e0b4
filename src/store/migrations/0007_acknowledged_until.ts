import type { Kysely, Migration } from 'kysely'
import type { StoreDialect } from '../types.ts'
import { timeType } from './helpers.ts'

/*
 * An acknowledgement with an expiry. Frozen once released: add 0008_….
 *
 * alerts.acknowledged_until   ISO UTC text, null for none: an alert triaged `acknowledged` with
 *                             an expiry ("known, expected until …") is hidden from the default
 *                             alerts list until then, and shown again, marked expired, after.
 *                             Only an `acknowledged` alert has one; triaging it again clears it.
 */

/** The alerts.acknowledged_until column for `dialect`. */
export function acknowledgedUntilMigration(dialect: StoreDialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('alerts').addColumn('acknowledged_until', timeType(dialect)).execute()
    },
  }
}
