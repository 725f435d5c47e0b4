import { type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely'
import { LangperfError, quote } from '../../lib/index.ts'
import type { StoreDialect } from '../types.ts'
import { initialMigration } from './0001_initial.ts'
import { tokensMigration } from './0002_tokens.ts'
import { changesAlertsMigration } from './0003_changes_alerts.ts'
import { pipelineMigration } from './0004_pipeline.ts'
import { lineageMigration } from './0005_lineage.ts'
import { profilesMigration } from './0006_profiles.ts'
import { acknowledgedUntilMigration } from './0007_acknowledged_until.ts'
import { seriesMigration } from './0008_series.ts'
import { farmMigration } from './0009_farm.ts'
import { alertProfilesMigration } from './0010_alert_profiles.ts'
import { machineAlertsMigration } from './0011_machine_alerts.ts'
import { seriesPointsIndexMigration } from './0012_series_points_index.ts'
import { runsMachineBuildIndexMigration } from './0013_runs_machine_build_index.ts'
import { changeMeasureMigration } from './0014_change_measure.ts'

// Migrations are registered here in code, not found by scanning a directory: the list is
// checked by the compiler, survives bundling, and needs no filesystem access at run time.
// Names sort in the order they apply (Kysely orders by name).

/** Every migration, by name, for `dialect`. Add new ones at the end; never edit a released one. */
export function migrations(dialect: StoreDialect): Readonly<Record<string, Migration>> {
  return {
    '0001_initial': initialMigration(dialect),
    '0002_tokens': tokensMigration(dialect),
    '0003_changes_alerts': changesAlertsMigration(dialect),
    '0004_pipeline': pipelineMigration(dialect),
    '0005_lineage': lineageMigration(dialect),
    '0006_profiles': profilesMigration(dialect),
    '0007_acknowledged_until': acknowledgedUntilMigration(dialect),
    '0008_series': seriesMigration(dialect),
    '0009_farm': farmMigration(dialect),
    '0010_alert_profiles': alertProfilesMigration(dialect),
    '0011_machine_alerts': machineAlertsMigration(dialect),
    '0012_series_points_index': seriesPointsIndexMigration(dialect),
    '0013_runs_machine_build_index': runsMachineBuildIndexMigration(dialect),
    '0014_change_measure': changeMeasureMigration(dialect),
  }
}

/** Kysely's provider over `migrations(dialect)`. */
export function migrationProvider(dialect: StoreDialect): MigrationProvider {
  return { getMigrations: async () => ({ ...migrations(dialect) }) }
}

/** Name of the newest migration the code knows. */
export function latestMigrationName(dialect: StoreDialect): string {
  const names = Object.keys(migrations(dialect)).sort()
  const last = names.at(-1)
  if (last === undefined) throw new LangperfError('internal', 'No migration is registered')
  return last
}

/** Options of the migration functions. */
export interface MigrationOptions {
  /**
   * PostgreSQL schema holding the store (and Kysely's migration tables); the connection's
   * search_path must name it first. Without it Kysely would take a migration table found in any
   * schema as its own.
   */
  readonly schema?: string
}

/** Applies every pending migration; returns the names applied (empty when up to date). */
export async function migrateToLatest(
  db: Kysely<unknown>,
  dialect: StoreDialect,
  options: MigrationOptions = {},
): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: migrationProvider(dialect),
    ...(options.schema === undefined ? {} : { migrationTableSchema: options.schema }),
  })
  const { error, results } = await migrator.migrateToLatest()
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName
    const what = failed === undefined ? 'the database' : `migration ${quote(failed)}`
    const detail = error instanceof Error ? error.message : String(error)
    throw new LangperfError('unavailable', `Cannot migrate ${what}: ${detail}`, { cause: error })
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName)
}

/**
 * Names of migrations not yet applied, read without writing anything (works on a read-only
 * connection, unlike Kysely's Migrator, which first creates its tables).
 */
export async function pendingMigrations(
  db: Kysely<unknown>,
  dialect: StoreDialect,
  options: MigrationOptions = {},
): Promise<string[]> {
  const known = Object.keys(migrations(dialect)).sort()
  const tables = await db.introspection.getTables({ withInternalKyselyTables: true })
  const isOurs = (t: { name: string; schema?: string }) =>
    t.name === 'kysely_migration' && (options.schema === undefined || t.schema === options.schema)
  if (!tables.some(isOurs)) return known
  const typed = db as Kysely<{ kysely_migration: { name: string } }>
  const rows = await (options.schema === undefined ? typed : typed.withSchema(options.schema))
    .selectFrom('kysely_migration')
    .select('name')
    .execute()
  const done = new Set(rows.map((r) => r.name))
  return known.filter((n) => !done.has(n))
}
