import { badInput, isJsonObject, quote } from '../lib/index.ts'
import {
  type BuildSpec,
  FAILURE_REASONS,
  type MachineEnvironment,
  type ProcessSamples,
  RUN_SOURCES,
  RUN_STATUSES,
  type RunSpec,
  type RunStatus,
  type WorkloadResult,
} from '../model/index.ts'

// Checks at the store's edge: what is cheap to verify and would otherwise be stored wrong or
// fail obscurely later (NaN turns into null in JSON, an offset in a date breaks ordering as
// text). Each throws LangperfError 'bad-input' naming the action (`what`), the field and the
// value found. Deeper checks (schemas of the whole payload) belong to the API room.

// ISO 8601 in UTC as toISOString() writes it, with any number of fraction digits. Timestamps
// are ordered as text, which is only right when every one is UTC with the same layout.
const ISO_UTC_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/

/** Throws unless `value` is an ISO 8601 UTC timestamp ending in `Z`. */
export function checkIsoUtc(value: unknown, field: string, what: string): string {
  if (typeof value !== 'string' || !ISO_UTC_RE.test(value) || Number.isNaN(Date.parse(value))) {
    throw badInput(
      `Cannot ${what}: expected ${field} to be an ISO 8601 UTC time like "2024-05-01T12:00:00Z", found ${quote(value)}`,
    )
  }
  return value
}

/** Throws unless `value` is a non-empty string without NUL characters. */
export function checkName(value: unknown, field: string, what: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw badInput(`Cannot ${what}: expected ${field} to be a non-empty string, found ${quote(value)}`)
  }
  return checkNoNul(value, field, what)
}

/**
 * Throws when a string holds a NUL character: PostgreSQL text cannot store one, so both
 * dialects refuse it alike (JSON columns are unaffected: JSON escapes it as \u0000).
 */
function checkNoNul(value: string, field: string, what: string): string {
  if (value.includes('\u0000')) {
    throw badInput(`Cannot ${what}: ${field} contains a NUL character (\\u0000); remove it before storing`)
  }
  return value
}

function checkOptionalName(value: unknown, field: string, what: string): void {
  if (value !== null) checkName(value, field, what)
}

/** Throws unless `value` is a positive safe integer (a row id). */
export function checkId(value: unknown, field: string, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw badInput(`Cannot ${what}: expected ${field} to be a positive integer, found ${quote(value)}`)
  }
  return value
}

function checkCount(value: unknown, field: string, what: string): void {
  // Safe integers only: integer columns are read back as JS numbers (better-sqlite3 without
  // safeIntegers), exact only below 2^53.
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw badInput(`Cannot ${what}: expected ${field} to be an integer ≥ 1, found ${quote(value)}`)
  }
}

function checkValue(value: unknown, field: string, what: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw badInput(`Cannot ${what}: expected ${field} to be a finite number ≥ 0, found ${quote(value)}`)
  }
}

/**
 * Throws unless `value` is a JSON object that survives JSON.stringify unchanged: no NaN or
 * Infinity (they become null), no undefined, functions or other non-JSON values.
 */
export function checkJsonObject(value: unknown, field: string, what: string): void {
  if (!isJsonObject(value)) {
    throw badInput(`Cannot ${what}: expected ${field} to be a JSON object, found ${quote(value)}`)
  }
  checkJsonValue(value, field, what, 0)
}

function checkJsonValue(value: unknown, path: string, what: string, depth: number): void {
  if (depth > 64) throw badInput(`Cannot ${what}: ${path} is nested deeper than 64 levels`)
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return
    case 'number':
      if (!Number.isFinite(value)) {
        throw badInput(`Cannot ${what}: expected ${path} to be a finite number, found ${String(value)}`)
      }
      return
    case 'object':
      if (value === null) return
      if (Array.isArray(value)) {
        for (const [i, v] of value.entries()) checkJsonValue(v, `${path}[${i}]`, what, depth + 1)
        return
      }
      for (const [k, v] of Object.entries(value)) checkJsonValue(v, `${path}.${k}`, what, depth + 1)
      return
    default:
      throw badInput(`Cannot ${what}: expected ${path} to be a JSON value, found a ${typeof value}`)
  }
}

/** Throws unless a BuildSpec can be stored as it is. */
export function checkBuild(build: BuildSpec, what: string): void {
  if (!isJsonObject(build))
    throw badInput(`Cannot ${what}: expected build to be an object, found ${quote(build)}`)
  checkName(build.runtime, 'build.runtime', what)
  checkName(build.version, 'build.version', what)
  checkName(build.config, 'build.config', what)
  checkName(build.identity, 'build.identity', what)
  checkOptionalName(build.commitSha, 'build.commitSha', what)
  if (build.commitDateUtc !== null) checkIsoUtc(build.commitDateUtc, 'build.commitDateUtc', what)
  checkOptionalName(build.branch, 'build.branch', what)
  checkOptionalName(build.mergeBase, 'build.mergeBase', what)
  if (build.interpreter !== null) checkJsonObject(build.interpreter, 'build.interpreter', what)
  checkJsonObject(build.metadata, 'build.metadata', what)
}

/** Throws unless a machine environment can be stored as it is. */
export function checkEnvironment(env: MachineEnvironment, what: string): void {
  checkJsonObject(env, 'environment', what)
  if (!isJsonObject(env.fingerprint)) {
    throw badInput(
      `Cannot ${what}: expected environment.fingerprint to be an object, found ${quote(env.fingerprint)}`,
    )
  }
  if (!isJsonObject(env.tuning)) {
    throw badInput(`Cannot ${what}: expected environment.tuning to be an object, found ${quote(env.tuning)}`)
  }
  if (!Array.isArray(env.warnings)) {
    throw badInput(
      `Cannot ${what}: expected environment.warnings to be an array, found ${quote(env.warnings)}`,
    )
  }
}

/** Throws unless a RunSpec can be stored as it is. */
export function checkRunSpec(spec: RunSpec, what: string): void {
  if (!isJsonObject(spec)) throw badInput(`Cannot ${what}: expected a run object, found ${quote(spec)}`)
  checkName(spec.machine, 'machine', what)
  if (spec.environment !== null) checkEnvironment(spec.environment, what)
  checkBuild(spec.build, what)
  checkName(spec.suite, 'suite', what)
  checkName(spec.preset, 'preset', what)
  checkName(spec.harnessVersion, 'harnessVersion', what)
  if (!(RUN_SOURCES as readonly unknown[]).includes(spec.source)) {
    throw badInput(
      `Cannot ${what}: expected source to be one of ${RUN_SOURCES.join(', ')}, found ${quote(spec.source)}`,
    )
  }
  checkIsoUtc(spec.startedAt, 'startedAt', what)
  checkOptionalName(spec.groupId, 'groupId', what)
  checkJsonObject(spec.metadata, 'metadata', what)
}

/** Throws unless a run's final status and finish time agree (a running run has no finish time). */
export function checkRunEnd(status: RunStatus, finishedAt: string | null, what: string): void {
  if (!(RUN_STATUSES as readonly unknown[]).includes(status)) {
    throw badInput(
      `Cannot ${what}: expected status to be one of ${RUN_STATUSES.join(', ')}, found ${quote(status)}`,
    )
  }
  if (finishedAt === null) return
  if (status === 'running') {
    throw badInput(`Cannot ${what}: a running run has no finishedAt, found ${quote(finishedAt)}`)
  }
  checkIsoUtc(finishedAt, 'finishedAt', what)
}

function checkProcess(p: ProcessSamples, field: string, what: string): void {
  if (!isJsonObject(p) || !Array.isArray(p.warmups) || !Array.isArray(p.values)) {
    throw badInput(`Cannot ${what}: expected ${field} to have warmups and values arrays, found ${quote(p)}`)
  }
  p.warmups.forEach((w, i) => {
    if (!Array.isArray(w) || w.length !== 2) {
      throw badInput(
        `Cannot ${what}: expected ${field}.warmups[${i}] to be [loops, value], found ${quote(w)}`,
      )
    }
    checkCount(w[0], `${field}.warmups[${i}][0] (loops)`, what)
    checkValue(w[1], `${field}.warmups[${i}][1]`, what)
  })
  for (let i = 0; i < p.values.length; i++) checkValue(p.values[i], `${field}.values[${i}]`, what)
  checkJsonObject(p.metadata, `${field}.metadata`, what)
}

/** Throws unless a WorkloadResult can be stored as it is. */
export function checkResult(result: WorkloadResult, what: string): void {
  if (!isJsonObject(result) || !isJsonObject(result.workload)) {
    throw badInput(`Cannot ${what}: expected a result with a workload, found ${quote(result)}`)
  }
  checkName(result.workload.name, 'workload.name', what)
  checkName(result.workload.version, 'workload.version', what)
  checkName(result.unit, 'unit', what)
  checkCount(result.loops, 'loops', what)
  checkCount(result.innerLoops, 'innerLoops', what)
  if (!Array.isArray(result.processes)) {
    throw badInput(`Cannot ${what}: expected processes to be an array, found ${quote(result.processes)}`)
  }
  for (const [i, p] of result.processes.entries()) checkProcess(p, `processes[${i}]`, what)
  checkJsonObject(result.metadata, 'metadata', what)
  const outcome = result.outcome
  if (!isJsonObject(outcome))
    throw badInput(`Cannot ${what}: expected an outcome object, found ${quote(outcome)}`)
  switch (outcome.state) {
    case 'measured':
      if (!result.processes.some((p) => p.values.length > 0)) {
        throw badInput(`Cannot ${what}: a measured result needs at least one value, found none`)
      }
      return
    case 'failed':
      if (!(FAILURE_REASONS as readonly unknown[]).includes(outcome.reason)) {
        throw badInput(
          `Cannot ${what}: expected outcome.reason to be one of ${FAILURE_REASONS.join(', ')}, found ${quote(outcome.reason)}`,
        )
      }
      checkString(outcome.message, 'outcome.message', what)
      checkString(outcome.stderrTail, 'outcome.stderrTail', what)
      return
    case 'skipped':
      checkString(outcome.message, 'outcome.message', what)
      return
    default:
      throw badInput(
        `Cannot ${what}: expected outcome.state to be measured, failed or skipped, found ${quote((outcome as { state: unknown }).state)}`,
      )
  }
}

function checkString(value: unknown, field: string, what: string): void {
  if (typeof value !== 'string') {
    throw badInput(`Cannot ${what}: expected ${field} to be a string, found ${quote(value)}`)
  }
  checkNoNul(value, field, what)
}
