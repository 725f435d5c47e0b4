/**
 * langperf's persistence: the Store interface, its SQLite implementation, migrations, and the
 * helpers a new implementation needs. The contract tests live in `contract.ts` (imported by
 * tests only, since it registers node:test tests).
 */
export { createKyselyStore, type KyselyStoreOptions } from './kysely-store.ts'
export {
  latestMigrationName,
  migrateToLatest,
  migrationProvider,
  migrations,
  pendingMigrations,
} from './migrations/index.ts'
export type { Database } from './schema.ts'
export { openSqliteStore, type SqliteStoreOptions } from './sqlite/index.ts'
export { summarizeProcesses } from './summary.ts'
export * from './types.ts'
