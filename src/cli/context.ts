import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { LangperfError } from '../lib/index.ts'
import { openStore, type Store } from '../store/index.ts'
import type { Io } from './output.ts'

/** Options every command accepts. */
export interface CommonOptions {
  readonly db?: string
  readonly json?: boolean
}

/** The database path: `--db`, else $LANGPERF_DB, else ./langperf.db. */
export function dbPath(options: CommonOptions, env: NodeJS.ProcessEnv = process.env): string {
  // An empty $LANGPERF_DB (`LANGPERF_DB= langperf …`) is unset, not the current directory.
  return resolve(options.db ?? (env.LANGPERF_DB || undefined) ?? 'langperf.db')
}

const POSTGRES_URL_RE = /^postgres(?:ql)?:\/\//

/** The store location: a postgres:// URL as given (`--db` or $LANGPERF_DB), else a SQLite path. */
export function storeLocation(options: CommonOptions, env: NodeJS.ProcessEnv = process.env): string {
  const given = options.db ?? (env.LANGPERF_DB || undefined)
  if (given !== undefined && POSTGRES_URL_RE.test(given)) return given
  return dbPath(options, env)
}

/** The store location for logs: a URL's password is never printed. */
export function displayLocation(location: string): string {
  return POSTGRES_URL_RE.test(location) ? location.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@') : location
}

/** Whether a command may create the database: only those that store something new do. */
export type StoreAccess = 'create' | 'existing'

/**
 * The store location, checked: a command that only reads (or works on what is stored) refuses an
 * SQLite file that does not exist rather than create an empty one and report nothing.
 */
export function existingStoreLocation(options: CommonOptions, env: NodeJS.ProcessEnv = process.env): string {
  const location = storeLocation(options, env)
  if (!POSTGRES_URL_RE.test(location) && !location.endsWith(':memory:') && !existsSync(location)) {
    throw new LangperfError(
      'not-found',
      `Cannot open the database ${location}: no such file. Nothing is stored there yet (\`langperf run\` or \`langperf import\` create it); --db PATH or $LANGPERF_DB names another`,
    )
  }
  return location
}

/**
 * Opens the store (SQLite or PostgreSQL), runs `fn`, and closes it whatever happens. With
 * `access` 'existing' (the default) a missing SQLite file is an error, never created.
 */
export async function withStore<T>(
  options: CommonOptions,
  fn: (store: Store) => Promise<T>,
  env: NodeJS.ProcessEnv = process.env,
  access: StoreAccess = 'existing',
): Promise<T> {
  const location = access === 'create' ? storeLocation(options, env) : existingStoreLocation(options, env)
  const store = await openStore(location)
  try {
    return await fn(store)
  } finally {
    await store.close()
  }
}

/** `withStore` for the commands that store something new (run, import, token create): creates the database. */
export function withStoreCreating<T>(
  options: CommonOptions,
  fn: (store: Store) => Promise<T>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<T> {
  return withStore(options, fn, env, 'create')
}

/** What a command needs from the world. */
export interface Ctx {
  readonly io: Io
  readonly env: NodeJS.ProcessEnv
}
