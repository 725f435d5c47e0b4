/**
 * langperf's persistence: the Store interface and its role interfaces (roles.ts), its SQLite and
 * PostgreSQL implementations (`openStore` picks one by location), migrations, and what a new
 * implementation needs. The contract tests live in `contract.ts`, imported by tests only since it
 * registers node:test tests.
 */

export * from './alert-types.ts'
export * from './farm-types.ts'
/** Example machine environments for tests and bench scripts (pure data). */
export {
  exampleAlertDetail,
  exampleBuild,
  exampleCommitChange,
  exampleCountChange,
  exampleEnvironment,
  exampleFingerprint,
  exampleRunSpec,
  exampleRunWithResults,
  exampleWarmupRun,
} from './fixtures.ts'
export { createKyselyStore, type KyselyStoreOptions } from './kysely-store.ts'
export {
  latestMigrationName,
  type MigrationOptions,
  migrateToLatest,
  migrationProvider,
  migrations,
  pendingMigrations,
} from './migrations/index.ts'
export { type OpenStoreOptions, openPostgresStore, openStore } from './open.ts'
export * from './pipeline-types.ts'
export type { PostgresStoreOptions } from './postgres/index.ts'
export type { PrimeOutcome } from './prime.ts'
export * from './profile-types.ts'
export type * from './roles.ts'
export type { Database } from './schema.ts'
export { openSqliteStore, type SqliteStoreOptions } from './sqlite/index.ts'
export { summarizeProcesses } from './summary.ts'
export * from './types.ts'
