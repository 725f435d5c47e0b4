import BetterSqlite3 from 'better-sqlite3'
import {
  CompiledQuery,
  type DatabaseConnection,
  Kysely,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
} from 'kysely'
import { LangperfError, quote } from '../../lib/index.ts'
import { createKyselyStore } from '../kysely-store.ts'
import { latestMigrationName, migrateToLatest, pendingMigrations } from '../migrations/index.ts'
import type { Store } from '../roles.ts'
import type { Database } from '../schema.ts'

/** Options of `openSqliteStore`. */
export interface SqliteStoreOptions {
  /** Open without writing anything; the file must exist and be migrated. False when absent. */
  readonly readonly?: boolean
  /** How long a write waits for another process's lock before failing, in ms; 5000 when absent. */
  readonly busyTimeoutMs?: number
  /**
   * The connection's page cache in MB (better-sqlite3's default is 16 MB): a server gives it room for what
   * its pages read (`langperf serve --cache-mb`; store/prime.ts). From 2 to 65,536.
   */
  readonly cacheMb?: number
}

/**
 * Opens (creating if needed) a SQLite store and migrates it to the latest schema: migrations
 * run on open, so a store is always current. A read-only open migrates nothing and fails with
 * 'unavailable' when migrations are pending.
 * @example const store = await openSqliteStore('langperf.db'); … await store.close()
 */
export async function openSqliteStore(path: string, options: SqliteStoreOptions = {}): Promise<Store> {
  const readonly = options.readonly ?? false
  const cacheMb = options.cacheMb
  if (cacheMb !== undefined && !(Number.isInteger(cacheMb) && cacheMb >= 2 && cacheMb <= 65_536)) {
    throw new LangperfError(
      'bad-input',
      `Cannot open a SQLite store with a page cache of ${quote(cacheMb)} MB: expected a whole number from 2 to 65536`,
    )
  }
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000
  if (typeof path !== 'string' || path === '') {
    throw new LangperfError(
      'bad-input',
      `Cannot open a SQLite store: expected a file path or ":memory:", found ${quote(path)}`,
    )
  }
  if (readonly && path === ':memory:') {
    throw new LangperfError(
      'bad-input',
      'Cannot open ":memory:" read-only: an in-memory database starts empty',
    )
  }
  let sqlite: BetterSqlite3.Database
  try {
    sqlite = new BetterSqlite3(path, { readonly, fileMustExist: readonly, timeout: busyTimeoutMs })
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error)
    throw new LangperfError('unavailable', `Cannot open SQLite store ${quote(path)}: ${detail}`, {
      cause: error,
    })
  }
  // No safeIntegers: every integer the store writes is a row id, a count or a loop count, all
  // checked to be safe integers (< 2^53) on the way in, so plain numbers are exact and callers
  // need no BigInt. Large numbers inside JSON columns are text to SQLite and unaffected.
  sqlite.pragma('foreign_keys = ON')
  // A negative cache_size is in KiB (https://sqlite.org/pragma.html#pragma_cache_size); cacheMb is
  // a checked integer, so the pragma text is made from a number only.
  if (cacheMb !== undefined) sqlite.pragma(`cache_size = -${cacheMb * 1024}`)
  if (!readonly) {
    // WAL lets readers (the web server) read while a run is written; NORMAL sync is safe from
    // corruption in WAL mode and loses at most the last commits on power loss, never on a
    // process crash (https://sqlite.org/pragma.html#pragma_synchronous).
    sqlite.pragma('journal_mode = WAL')
    sqlite.pragma('synchronous = NORMAL')
  }
  const db = new Kysely<Database>({
    dialect: new ImmediateSqliteDialect({ database: cachedStatements(sqlite) }),
  })
  try {
    if (readonly) {
      const pending = await pendingMigrations(db as Kysely<unknown>, 'sqlite')
      if (pending.length > 0) {
        throw new LangperfError(
          'unavailable',
          `Cannot open SQLite store ${quote(path)} read-only: migration ${quote(pending[0])} is pending, expected the schema at ${quote(latestMigrationName('sqlite'))}; open it once read-write to migrate`,
        )
      }
    } else {
      await migrateToLatest(db as Kysely<unknown>, 'sqlite')
    }
  } catch (error) {
    await db.destroy()
    throw error
  }
  return createKyselyStore(db, 'sqlite', {
    readonly,
    ...(cacheMb === undefined ? {} : { cacheBytes: cacheMb * 1_048_576 }),
  })
}

/**
 * Kysely's SQLite dialect with write transactions started by BEGIN IMMEDIATE. A plain BEGIN
 * takes the write lock only at the first write; when another process holds it then, SQLite
 * fails at once with SQLITE_BUSY instead of waiting for the busy timeout, because waiting could
 * deadlock (https://sqlite.org/lang_transaction.html). IMMEDIATE takes the lock up front, so the
 * busy timeout applies and concurrent writers queue.
 */
class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig
  constructor(config: SqliteDialectConfig) {
    super(config)
    this.#config = config
  }
  override createDriver(): SqliteDriver {
    return new ImmediateSqliteDriver(this.#config)
  }
}

class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'))
  }
}

/** Most distinct SQL texts kept prepared; queries with `in (…)` lists vary, the rest do not. */
const STATEMENT_CACHE_SIZE = 200

/**
 * The database as Kysely's SqliteDialect sees it, with prepared statements reused: Kysely
 * prepares every query anew, and preparing costs more than running a small insert.
 */
function cachedStatements(sqlite: BetterSqlite3.Database): SqliteDialectConfig['database'] {
  const cache = new Map<string, BetterSqlite3.Statement>()
  return {
    close: () => sqlite.close(),
    prepare(sql: string) {
      let stmt = cache.get(sql)
      if (stmt === undefined) {
        stmt = sqlite.prepare(sql)
        if (cache.size >= STATEMENT_CACHE_SIZE) {
          const oldest = cache.keys().next()
          if (oldest.done !== true) cache.delete(oldest.value)
        }
        cache.set(sql, stmt)
      }
      return stmt
    },
  }
}
