import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import { LangperfError, quote } from '../../lib/index.ts'
import { createKyselyStore } from '../kysely-store.ts'
import { latestMigrationName, migrateToLatest, pendingMigrations } from '../migrations/index.ts'
import type { Store } from '../roles.ts'
import type { Database } from '../schema.ts'

/** Options of `openPostgresStore`. */
export interface PostgresStoreOptions {
  /** Schema holding the store's tables, created when missing; `public` when absent. */
  readonly schema?: string
  /** Most connections the pool opens; 10 when absent. */
  readonly maxConnections?: number
  /**
   * Open read-only sessions (default_transaction_read_only) and migrate nothing; fails with
   * 'unavailable' when migrations are pending. False when absent.
   */
  readonly readonly?: boolean
}

// Unquoted PostgreSQL identifiers: lower-case, at most 63 bytes. Restricting the schema name to
// them means it never needs quoting in search_path or DDL.
const SCHEMA_RE = /^[a-z_][a-z0-9_]{0,62}$/

/**
 * Opens a PostgreSQL store and migrates its schema to the latest version (migrations run on
 * open, under Kysely's advisory lock, so concurrent openers migrate once). Normalises what pg
 * returns (bigint and count as strings) through the shared Kysely store.
 * @example const store = await openPostgresStore('postgres://langperf@127.0.0.1/langperf')
 */
export async function openPostgresStore(
  connectionString: string,
  options: PostgresStoreOptions = {},
): Promise<Store> {
  const schema = options.schema ?? 'public'
  if (!SCHEMA_RE.test(schema)) {
    throw new LangperfError(
      'bad-input',
      `Cannot open a PostgreSQL store: expected a schema name of lower-case letters, digits and "_", found ${quote(schema)}`,
    )
  }
  const maxConnections = options.maxConnections ?? 10
  const readonly = options.readonly ?? false
  // search_path set per connection at startup, so every unqualified table name means this schema.
  const settings = `-c search_path=${schema}${readonly ? ' -c default_transaction_read_only=on' : ''}`
  const pool = new pg.Pool({ connectionString, max: maxConnections, options: settings })
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
  try {
    if (readonly) {
      const pending = await pendingMigrations(db as Kysely<unknown>, 'postgres', { schema })
      if (pending.length > 0) {
        throw new LangperfError(
          'unavailable',
          `Cannot open PostgreSQL schema ${quote(schema)} read-only: migration ${quote(pending[0])} is pending, expected the schema at ${quote(latestMigrationName('postgres'))}; open it once read-write to migrate`,
        )
      }
    } else {
      await db.schema.createSchema(schema).ifNotExists().execute()
      await migrateToLatest(db as Kysely<unknown>, 'postgres', { schema })
    }
  } catch (error) {
    await db.destroy()
    if (error instanceof LangperfError) throw error
    const detail = error instanceof Error ? error.message : String(error)
    throw new LangperfError(
      'unavailable',
      `Cannot open PostgreSQL store in schema ${quote(schema)}: ${detail}`,
      {
        cause: error,
      },
    )
  }
  return createKyselyStore(db, 'postgres', { readonly })
}
