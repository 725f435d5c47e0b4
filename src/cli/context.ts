import { resolve } from 'node:path'
import { openSqliteStore, type Store } from '../store/index.ts'
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

/** Opens the store, runs `fn`, and closes it whatever happens. */
export async function withStore<T>(options: CommonOptions, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openSqliteStore(dbPath(options))
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
