import { type Kysely, type RawBuilder, sql } from 'kysely'
import { type JsonObject, LangperfError, quote } from '../lib/index.ts'
import type { InterpreterInfo, ResultState } from '../model/index.ts'
import type { Database } from './schema.ts'
import type { BuildRow, ResultSummary, StoreDialect } from './types.ts'

// Helpers shared by the store's aggregate modules (runs, series, machines, builds, tokens, alerts,
// the pipeline journal): normalising what the drivers return, parsing JSON columns, paging
// limits, the build columns several queries join, and the insert-or-find of write helpers. Values
// come back through `num`/`json` because pg returns bigint and count as strings where
// better-sqlite3 returns numbers.

/** The query builder every aggregate module works over (a transaction is one too). */
export type Db = Kysely<Database>

/** Largest page any listing accepts. */
export const MAX_LIMIT = 1000

/** A normalised integer or float: numbers pass, pg's decimal strings and bigints are converted. */
export function num(value: number | string | bigint): number {
  return typeof value === 'number' ? value : Number(value)
}

/** `num` for a nullable column: null stays null. */
export function numOrNull(value: number | string | bigint | null): number | null {
  return value === null ? null : num(value)
}

/** Parses a JSON column (text everywhere today; a jsonb column would arrive parsed). */
export function json<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T
}

/** `json` for a nullable column: null (or a missing value) stays null. */
export function jsonOrNull<T>(value: unknown): T | null {
  return value === null || value === undefined ? null : json<T>(value)
}

/**
 * The text of one top-level key of a JSON text column (`runs.metadata`), in the dialect's own JSON
 * functions; null when the key is absent. `key` is a constant of the code, never input: it is
 * checked, and both it and the column are passed as SQL values and identifiers, never pasted.
 */
export function jsonKeyText(dialect: StoreDialect, column: string, key: string): RawBuilder<string | null> {
  if (!/^[a-z_]{1,40}$/.test(key)) throw new Error(`jsonKeyText: not a plain key: ${key}`)
  return dialect === 'sqlite'
    ? sql<string | null>`json_extract(${sql.ref(column)}, ${`$.${key}`})`
    : sql<string | null>`(cast(${sql.ref(column)} as jsonb) ->> cast(${key} as text))`
}

/** Result states as stored in `results.state`. */
export const RESULT_STATES: readonly ResultState[] = ['measured', 'failed', 'skipped']

/** A page size from a query: `fallback` when absent, else an integer in 1–MAX_LIMIT (bad-input otherwise). */
export function checkLimit(value: number | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value < 1 || value > MAX_LIMIT) {
    throw new LangperfError(
      'bad-input',
      `Cannot ${what}: expected limit between 1 and ${MAX_LIMIT}, found ${quote(value)}`,
    )
  }
  return value
}

/** A page offset from a query: 0 when absent, else an integer ≥ 0 (bad-input otherwise). */
export function checkOffset(value: number | undefined, what: string): number {
  if (value === undefined) return 0
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new LangperfError(
      'bad-input',
      `Cannot ${what}: expected offset to be an integer ≥ 0, found ${quote(value)}`,
    )
  }
  return value
}

/** Columns of a build joined as `b` with its runtime as `rt`, aliased so they can sit beside a run's. */
export const BUILD_COLUMNS = [
  'b.id as b_id',
  'rt.name as b_runtime',
  'b.version as b_version',
  'b.config as b_config',
  'b.commit_sha as b_commit_sha',
  'b.commit_date_utc as b_commit_date_utc',
  'b.branch as b_branch',
  'b.merge_base as b_merge_base',
  'b.identity as b_identity',
  'b.interpreter as b_interpreter',
  'b.metadata as b_metadata',
] as const

/** The row BUILD_COLUMNS select. */
export interface BuildColumns {
  b_id: number | string
  b_runtime: string
  b_version: string
  b_config: string
  b_commit_sha: string | null
  b_commit_date_utc: string | null
  b_branch: string | null
  b_merge_base: string | null
  b_identity: string
  b_interpreter: string | null
  b_metadata: string
}

/** A build as the store returns it, from its aliased columns. */
export function toBuildRow(r: BuildColumns): BuildRow {
  return {
    id: num(r.b_id),
    runtime: r.b_runtime,
    version: r.b_version,
    config: r.b_config,
    commitSha: r.b_commit_sha,
    commitDateUtc: r.b_commit_date_utc,
    branch: r.b_branch,
    mergeBase: r.b_merge_base,
    identity: r.b_identity,
    interpreter: jsonOrNull<InterpreterInfo>(r.b_interpreter),
    metadata: json<JsonObject>(r.b_metadata),
  }
}

/** The summary columns of `results` joined as `r`, in the order SummaryColumns lists them. */
export const SUMMARY_COLUMNS = [
  'r.n_processes',
  'r.n_values',
  'r.mean',
  'r.stdev_process_means',
  'r.min',
  'r.max',
  'r.median',
] as const

/** The summary columns of `results`, computed at write time. */
export interface SummaryColumns {
  n_processes: number | string
  n_values: number | string
  mean: number | string | null
  stdev_process_means: number | string | null
  min: number | string | null
  max: number | string | null
  median: number | string | null
}

/** A result's summary from its columns. */
export function toSummary(r: SummaryColumns): ResultSummary {
  return {
    nProcesses: num(r.n_processes),
    nValues: num(r.n_values),
    mean: numOrNull(r.mean),
    stdevProcessMeans: numOrNull(r.stdev_process_means),
    min: numOrNull(r.min),
    max: numOrNull(r.max),
    median: numOrNull(r.median),
  }
}

/** A stored result state; anything else in the column is a bug (internal). */
export function toState(value: string): ResultState {
  const state = RESULT_STATES.find((s) => s === value)
  if (state === undefined)
    throw new LangperfError('internal', `Unexpected result state ${quote(value)} in the store`)
  return state
}

/** Orders strings by UTF-16 code units, as the store's byte-order columns do for ASCII names. */
export function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/**
 * Selects an id, inserting the row when there is none. The insert ignores a conflict (another
 * writer inserted it meanwhile, possible on PostgreSQL) and the select then finds that row.
 */
export async function selectOrInsert(
  select: () => Promise<{ id: number | string } | undefined>,
  insert: () => Promise<{ id: number | string } | undefined>,
  what: string,
): Promise<number> {
  const found = (await select()) ?? (await insert()) ?? (await select())
  if (found === undefined)
    throw new LangperfError('internal', `Cannot ${what}: the row vanished after insert`)
  return num(found.id)
}
