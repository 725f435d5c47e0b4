import type { PostgresStoreOptions } from './postgres/index.ts'
import type { Store } from './roles.ts'
import { openSqliteStore } from './sqlite/index.ts'

/** Options of `openStore`: those of either dialect; each ignores the other's. */
export interface OpenStoreOptions {
  readonly readonly?: boolean
  /** PostgreSQL only: the schema holding the store. */
  readonly schema?: string
  /** SQLite only: the connection's page cache in MB (SqliteStoreOptions.cacheMb). */
  readonly cacheMb?: number
}

/**
 * Opens the store at `location`: a `postgres://` or `postgresql://` URL opens PostgreSQL,
 * anything else is a SQLite file path (or `:memory:`). Migrates on open unless read-only.
 * @example const store = await openStore(process.env.LANGPERF_DB ?? 'langperf.db')
 */
export async function openStore(location: string, options: OpenStoreOptions = {}): Promise<Store> {
  if (/^postgres(?:ql)?:\/\//.test(location)) {
    const pgOptions: PostgresStoreOptions = {
      ...(options.readonly === undefined ? {} : { readonly: options.readonly }),
      ...(options.schema === undefined ? {} : { schema: options.schema }),
    }
    return openPostgresStore(location, pgOptions)
  }
  return openSqliteStore(location, {
    ...(options.readonly === undefined ? {} : { readonly: options.readonly }),
    ...(options.cacheMb === undefined ? {} : { cacheMb: options.cacheMb }),
  })
}

/**
 * Opens a PostgreSQL store (see postgres/index.ts). Loaded on first use, so programs that only
 * use SQLite never load the pg driver.
 */
export async function openPostgresStore(
  connectionString: string,
  options: PostgresStoreOptions = {},
): Promise<Store> {
  const pgStore = await import('./postgres/index.ts')
  return pgStore.openPostgresStore(connectionString, options)
}
