import { resolve } from 'node:path'
import { openStore, type Store } from '../store/index.ts'
import type { Io } from './output.ts'

/** Options every command accepts. */
export interface CommonOptions {
  readonly db?: string
  readonly json?: boolean
}

/** The database path: `--db`, else $LANGPERF_DB, else ./langperf.db. */
export function dbPath(options: CommonOptions, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(options.db ?? env.LANGPERF_DB ?? 'langperf.db')
}

const POSTGRES_URL_RE = /^postgres(?:ql)?:\/\//

/** The store location: a postgres:// URL as given (`--db` or $LANGPERF_DB), else a SQLite path. */
export function storeLocation(options: CommonOptions, env: NodeJS.ProcessEnv = process.env): string {
  const given = options.db ?? env.LANGPERF_DB
  if (given !== undefined && POSTGRES_URL_RE.test(given)) return given
  return dbPath(options, env)
}

/** The store location for logs: a URL's password is never printed. */
export function displayLocation(location: string): string {
  return POSTGRES_URL_RE.test(location) ? location.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@') : location
}

/** Opens the store (SQLite or PostgreSQL), runs `fn`, and closes it whatever happens. */
export async function withStore<T>(
  options: CommonOptions,
  fn: (store: Store) => Promise<T>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<T> {
  const store = await openStore(storeLocation(options, env))
  try {
    return await fn(store)
  } finally {
    await store.close()
  }
}

/** What a command needs from the world. */
export interface Ctx {
  readonly io: Io
  readonly env: NodeJS.ProcessEnv
}
