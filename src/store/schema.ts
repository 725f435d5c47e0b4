import type { Generated } from 'kysely'

// Kysely's view of the tables that migrations/0001_initial.ts creates (the schema is documented
// there). Columns are snake_case; JSON columns are `string` (text on every dialect); timestamps
// are ISO 8601 UTC text. Integer columns are typed `number | string` where PostgreSQL's `bigint`
// arrives as a string: row mappers in kysely-store.ts normalise with Number().

/** An integer that pg may return as a decimal string (bigint, count). */
type DbInt = number | string
/** A float that pg may return as a string (numeric); double precision arrives as a number. */
type DbFloat = number | string

/** `machines`: one row per machine name. */
export interface MachinesTable {
  id: Generated<DbInt>
  name: string
  fingerprint_hash: string | null
  fingerprint: string | null
  first_seen_at: string
  last_seen_at: string
}

/** `machine_fingerprints`: the history of each machine's fingerprints. */
export interface MachineFingerprintsTable {
  id: Generated<DbInt>
  machine_id: DbInt
  hash: string
  fingerprint: string
  first_seen_at: string
  last_seen_at: string
}

/** `runtimes`: runtime families (`cpython`, `pypy`, …). */
export interface RuntimesTable {
  id: Generated<DbInt>
  name: string
}

/** `builds`: one row per build identity. */
export interface BuildsTable {
  id: Generated<DbInt>
  runtime_id: DbInt
  version: string
  config: string
  commit_sha: string | null
  commit_date_utc: string | null
  branch: string | null
  merge_base: string | null
  identity: string
  interpreter: string | null
  metadata: string
}

/** `workloads`: one row per (name, version). */
export interface WorkloadsTable {
  id: Generated<DbInt>
  name: string
  version: string
  manifest: string | null
}

/** `runs`: one build × suite × machine. */
export interface RunsTable {
  id: Generated<DbInt>
  machine_id: DbInt
  build_id: DbInt
  fingerprint_id: DbInt | null
  suite: string
  preset: string
  harness_version: string
  source: string
  status: string
  started_at: string
  finished_at: string | null
  group_id: string | null
  environment: string | null
  warnings: string
  metadata: string
}

/** `results`: one workload in one run, with summary columns for series queries. */
export interface ResultsTable {
  id: Generated<DbInt>
  run_id: DbInt
  workload_id: DbInt
  state: string
  failure_reason: string | null
  message: string | null
  stderr_tail: string | null
  unit: string
  loops: DbInt
  inner_loops: DbInt
  metadata: string
  n_processes: DbInt
  n_values: DbInt
  mean: DbFloat | null
  stdev_process_means: DbFloat | null
  min: DbFloat | null
  max: DbFloat | null
  median: DbFloat | null
  process_means: string
}

/** `result_samples`: every process's warm-ups, values and metadata of one result, as JSON. */
export interface ResultSamplesTable {
  result_id: DbInt
  processes: string
}

/** `api_tokens`: API tokens, their role, scopes and the hash of their secret (0002_tokens). */
export interface ApiTokensTable {
  id: Generated<DbInt>
  name: string
  role: string
  scopes: string
  hash: string
  created_at: string
  last_used_at: string | null
  revoked_at: string | null
}

/** `alerts`: changes grouped by blame range (0003_changes_alerts). */
export interface AlertsTable {
  id: Generated<DbInt>
  runtime: string
  branch: string
  last_good_commit: string
  first_bad_commit: string
  kind: string
  last_good_build_id: DbInt
  first_bad_build_id: DbInt
  status: string
  direction: string
  triage: string
  triage_note: string | null
  triage_link: string | null
  triaged_at: string | null
  /** 0007_acknowledged_until. */
  acknowledged_until: string | null
  culprit_commit: string | null
  culprit_note: string | null
  created_at: string
  updated_at: string
}

/** `changes`: one detected step in one series (0003_changes_alerts). */
export interface ChangesTable {
  id: Generated<DbInt>
  alert_id: DbInt
  machine: string
  runtime: string
  config: string
  branch: string
  workload: string
  workload_version: string
  kind: string
  last_good_build_id: DbInt
  first_bad_build_id: DbInt
  last_good_result_id: DbInt
  first_bad_result_id: DbInt
  ratio: DbFloat
  ratio_low: DbFloat
  ratio_high: DbFloat
  p_value: DbFloat
  direction: string
  status: string
  unit: string
  details: string
  created_at: string
  updated_at: string
  /** `time` or `instructions` (0014_change_measure). */
  measure: Generated<string>
}

/** `pipeline_steps`: the nightly's step journal (0004_pipeline). */
export interface PipelineStepsTable {
  id: Generated<DbInt>
  kind: string
  key: string
  status: string
  detail: string
  attempts: DbInt
  started_at: string
  finished_at: string | null
}

/** `profiles`: sampled profiles of a workload on a build (0006_profiles). */
export interface ProfilesTable {
  id: Generated<DbInt>
  machine_id: DbInt
  fingerprint_id: DbInt | null
  build_id: DbInt
  workload_id: DbInt
  run_id: DbInt | null
  group_id: string | null
  tool: string
  tool_version: string
  rate_hz: DbFloat
  processes: DbInt
  state: string
  message: string | null
  sample_count: DbInt
  /** gzip of the collapsed stacks: a Buffer from both drivers. */
  stacks: Uint8Array | null
  stacks_bytes: DbInt
  metadata: string
  created_at: string
}

/** `series`: the series index, maintained on write (0008_series). */
export interface SeriesTable {
  id: Generated<DbInt>
  machine_id: DbInt
  runtime_id: DbInt
  config: string
  branch: string | null
  branch_key: string
  workload_id: DbInt
  results: DbInt
  points: DbInt
  revision: DbInt
  summary: string | null
  summary_revision: DbInt | null
}

/** `generations`: counters of changes to what is cached elsewhere (0008_series). */
export interface GenerationsTable {
  name: string
  value: DbInt
}

/** `farm_agents`: the farm's agents, one per machine (0009_farm). */
export interface FarmAgentsTable {
  id: Generated<DbInt>
  machine: string
  token_id: DbInt
  state: string
  registered_at: string
  last_seen_at: string
  info: string
  jobs_done: Generated<DbInt>
  jobs_failed: Generated<DbInt>
}

/** `farm_results`: the job key of each farm result stored, and its run (0009_farm). */
export interface FarmResultsTable {
  job_key: string
  run_id: DbInt
  stored_at: string
}

/** `alert_profiles`: the profiles of an alert's culprit and its parent, per workload (0010_alert_profiles). */
export interface AlertProfilesTable {
  id: Generated<DbInt>
  alert_id: DbInt
  machine_id: DbInt
  workload: string
  parent_commit: string
  culprit_commit: string
  parent_profile_id: DbInt | null
  culprit_profile_id: DbInt | null
  state: string
  message: string | null
  summary: string
  created_at: string
}

/** `machine_alerts`: alerts about a machine, such as a silent one (0011_machine_alerts). */
export interface MachineAlertsTable {
  id: Generated<DbInt>
  machine: string
  kind: string
  since: string
  raised_at: string
  cleared_at: string | null
  cleared_by: string | null
  detail: string
}

/** Every table of the store. */
export interface Database {
  machines: MachinesTable
  machine_fingerprints: MachineFingerprintsTable
  runtimes: RuntimesTable
  builds: BuildsTable
  workloads: WorkloadsTable
  runs: RunsTable
  results: ResultsTable
  result_samples: ResultSamplesTable
  api_tokens: ApiTokensTable
  alerts: AlertsTable
  changes: ChangesTable
  pipeline_steps: PipelineStepsTable
  profiles: ProfilesTable
  alert_profiles: AlertProfilesTable
  series: SeriesTable
  generations: GenerationsTable
  farm_agents: FarmAgentsTable
  farm_results: FarmResultsTable
  machine_alerts: MachineAlertsTable
}
