import { sql } from 'kysely'
import { type JsonObject, LangperfError, quote } from '../lib/index.ts'
import type { ResultState, RunStatus } from '../model/index.ts'
import {
  type Db,
  json,
  jsonKeyText,
  num,
  RESULT_STATES,
  SUMMARY_COLUMNS,
  toState,
  toSummary,
} from './rows.ts'
import { namedSeries, resultsWithBuilds, SERIES_KEY_COLUMNS } from './series-index.ts'
import type {
  SeriesInfo,
  SeriesKey,
  SeriesPoint,
  SeriesPointQuery,
  SeriesQuery,
  StoreDialect,
} from './types.ts'
import { checkName } from './validate.ts'

// Series (SeriesReader): one workload version × runtime × config × branch on one machine, as
// detection and the dashboard's charts read them. Results are summarised at write time, so no
// query here reads samples.

/** Distinct series matching the filters with their count of measured points, ordered by their key. */
export async function listSeries(db: Db, query: SeriesQuery = {}): Promise<SeriesInfo[]> {
  // The series index (series-index.ts), kept on write: no result is read here.
  let q = namedSeries(db)
  if (query.machine !== undefined) q = q.where('m.name', '=', query.machine)
  if (query.runtime !== undefined) q = q.where('rt.name', '=', query.runtime)
  if (query.config !== undefined) q = q.where('s.config', '=', query.config)
  if (query.branch !== undefined) q = q.where('s.branch', query.branch === null ? 'is' : '=', query.branch)
  if (query.workload !== undefined) q = q.where('w.name', '=', query.workload)
  const rows = await q
    .select([...SERIES_KEY_COLUMNS, 's.points'])
    .orderBy('m.name')
    .orderBy('rt.name')
    .orderBy('s.config')
    .orderBy('s.branch', (ob) => ob.asc().nullsFirst())
    .orderBy('w.name')
    .orderBy('w.version')
    .execute()
  return rows.map((r) => ({
    machine: r.machine,
    runtime: r.runtime,
    config: r.config,
    branch: r.branch,
    workload: r.workload,
    workloadVersion: r.workloadVersion,
    points: num(r.points),
  }))
}

/** The points of one series, ordered by commit date (UTC, none last), run start and run id. */
export async function getSeriesPoints(
  db: Db,
  dialect: StoreDialect,
  key: SeriesKey,
  options: SeriesPointQuery = {},
): Promise<SeriesPoint[]> {
  const what = 'get series points'
  checkName(key.machine, 'machine', what)
  checkName(key.runtime, 'runtime', what)
  checkName(key.config, 'config', what)
  checkName(key.workload, 'workload', what)
  checkName(key.workloadVersion, 'workloadVersion', what)
  const states = options.states ?? ['measured']
  if (states.length === 0) return []
  for (const s of states) toStateOrBadInput(s, what)
  const withMeans = options.withProcessMeans === true
  const purposes = options.excludePurposes ?? []
  for (const p of purposes) checkName(p, 'excludePurposes', what)
  // Driven from the series' runs, not from the workload: a workload has results in every run
  // of every machine and config (33 k for 5 years of 18 daily runs), a series only in its own
  // (1.8 k). The planners pick the workload index for the plain join, so the runs come as an
  // IN subquery (builds of the runtime × config × branch, then their runs on the machine) and
  // each result is found by its (run, workload) key.
  const seriesRuns = db
    .selectFrom('runs as sr')
    .select('sr.id')
    .where('sr.machine_id', '=', (eb) =>
      eb.selectFrom('machines').select('id').where('name', '=', key.machine),
    )
    .where('sr.build_id', 'in', (eb) => {
      const builds = eb
        .selectFrom('builds as sb')
        .innerJoin('runtimes as srt', 'srt.id', 'sb.runtime_id')
        .select('sb.id')
        .where('srt.name', '=', key.runtime)
        .where('sb.config', '=', key.config)
      return key.branch === null
        ? builds.where('sb.branch', 'is', null)
        : builds.where('sb.branch', '=', key.branch)
    })
    // A run without a purpose is history; coalesce keeps it (NOT IN over a null is never true).
    .$if(purposes.length > 0, (q) =>
      q.where(sql<string>`coalesce(${jsonKeyText(dialect, 'sr.metadata', 'purpose')}, '')`, 'not in', [
        ...purposes,
      ]),
    )
  const rows = await resultsWithBuilds(db)
    .select([
      'r.id',
      'r.run_id',
      'b.id as build_id',
      'b.commit_sha',
      'b.commit_date_utc',
      'ru.started_at',
      'ru.status as run_status',
      'r.state',
      'r.unit',
      ...SUMMARY_COLUMNS,
    ])
    .$if(withMeans, (q) => q.select('r.process_means'))
    .$if(options.withMetadata === true, (q) => q.select('r.metadata'))
    .where('r.workload_id', '=', (eb) =>
      eb
        .selectFrom('workloads')
        .select('id')
        .where('name', '=', key.workload)
        .where('version', '=', key.workloadVersion),
    )
    .where('r.run_id', 'in', seriesRuns)
    // Every state asked for (a timeline's failed builds drawn): no filter, one index seek per run
    // instead of one per state.
    .$if(!RESULT_STATES.every((s) => states.includes(s)), (q) => q.where('r.state', 'in', [...states]))
    .$if((options.excludeSuites ?? []).length > 0, (q) =>
      q.where('ru.suite', 'not in', [...(options.excludeSuites ?? [])]),
    )
    .$if((options.excludePresets ?? []).length > 0, (q) =>
      q.where('ru.preset', 'not in', [...(options.excludePresets ?? [])]),
    )
    .orderBy('b.commit_date_utc', (ob) => ob.asc().nullsLast())
    .orderBy('ru.started_at')
    .orderBy('ru.id')
    .execute()
  return rows.map((r) => {
    const point: SeriesPoint = {
      resultId: num(r.id),
      runId: num(r.run_id),
      buildId: num(r.build_id),
      commitSha: r.commit_sha,
      commitDateUtc: r.commit_date_utc,
      runStartedAt: r.started_at,
      runStatus: r.run_status as RunStatus,
      state: toState(r.state),
      unit: r.unit,
      summary: toSummary(r),
    }
    return {
      ...point,
      ...(withMeans ? { processMeans: json<number[]>(r.process_means) } : {}),
      ...(options.withMetadata === true ? { metadata: json<JsonObject>(r.metadata) } : {}),
    }
  })
}

/** Throws bad-input unless `value` is a result state. */
function toStateOrBadInput(value: unknown, what: string): void {
  if (!RESULT_STATES.includes(value as ResultState)) {
    throw new LangperfError(
      'bad-input',
      `Cannot ${what}: expected states among ${RESULT_STATES.join(', ')}, found ${quote(value)}`,
    )
  }
}
