/**
 * The harness protocol seen from the runner: the types of the one JSON document the Python
 * harness (harness/python/langperf_harness.py) writes on its result descriptor, a parser that
 * validates it and never throws, and the command lines that ask for it.
 * The protocol itself, with its version history, is docs/harness-protocol.md.
 */
import { fileURLToPath } from 'node:url'
import { z } from 'zod'
import { assertNever, type JsonObject, quote } from '../lib/index.ts'
import { FEATURE_STATES, type FeatureState, type InterpreterInfo } from '../model/index.ts'

/** The protocol version this runner reads (`"protocol"` in every harness document). */
export const HARNESS_PROTOCOL_VERSION = 1

/** Absolute path of the Python harness file the runner hands to every interpreter. */
export const HARNESS_PATH: string = fileURLToPath(
  new URL('../../harness/python/langperf_harness.py', import.meta.url),
)

/**
 * The harness's functions that hold a timed value (`_time_step`: the loop of `step()` calls
 * between two clock reads; `_time_with_time_loops`: the workload's own timing): a sampled stack
 * through one of them was taken inside the timed part of the process, not in its start-up.
 */
export const HARNESS_TIMED_FUNCTIONS = ['_time_step', '_time_with_time_loops'] as const

/** The file descriptor the runner opens for results (`stdio[3]` of the child). */
export const HARNESS_RESULT_FD = 3

/** Exit statuses of the harness, by meaning. */
export const HARNESS_EXIT_STATUS = {
  ok: 0,
  /** The workload failed (an error document says how). */
  workloadFailed: 1,
  /** Bad command line (an error document with phase `arguments`, when the descriptor works). */
  usage: 2,
  /** The result descriptor could not be used; nothing was written, stderr says why. */
  resultFd: 3,
  /** A bug in the harness itself (an error document with phase `internal`). */
  internal: 4,
} as const

/** Where a failure happened: `arguments`, loading the file, `make()`, or one of the timed phases. */
export const HARNESS_ERROR_PHASES = [
  'arguments',
  'load',
  'make',
  'calibration',
  'warmup',
  'value',
  'internal',
] as const
/** One of HARNESS_ERROR_PHASES. */
export type HarnessErrorPhase = (typeof HARNESS_ERROR_PHASES)[number]

/** How the harness timed the workload: calls of `step()` or the workload's own `time_loops()`. */
export const HARNESS_TIMINGS = ['step', 'time_loops'] as const
/** One of HARNESS_TIMINGS. */
export type HarnessTiming = (typeof HARNESS_TIMINGS)[number]

/** The interpreter as `describe` reports it (wire names, snake_case). */
export interface HarnessInterpreter {
  readonly implementation: string
  readonly version: string
  readonly implementation_version: string
  readonly sys_version: string
  readonly executable: string
  readonly compiler: string
  readonly pointer_bits: number
  readonly build_flags: Readonly<Record<string, string>>
  readonly jit: FeatureState
  readonly free_threading: FeatureState
  readonly extra: JsonObject
}

/** The document of `describe`. */
export interface HarnessDescribe {
  readonly protocol: typeof HARNESS_PROTOCOL_VERSION
  readonly kind: 'describe'
  readonly harness_version: string
  readonly interpreter: HarnessInterpreter
}

/** Per-process metadata of a result: the fields below plus any other JSON the harness adds. */
export type HarnessRunMetadata = JsonObject & {
  /** Harness start, ISO 8601 UTC. */
  readonly date: string
  /** Wall time from harness start to the end of measurement. */
  readonly duration_s: number
  readonly calibrated: boolean
  readonly timing: HarnessTiming
  /** Clock name: `perf_counter`, or `time` / `clock` on Python 2. */
  readonly clock: string
  readonly clock_resolution_s?: number
  /** Peak resident set size of the process, in bytes. */
  readonly max_rss_bytes?: number
  /** `VmHWM` (Linux /proc/self/status) or `ru_maxrss` (elsewhere; on Linux it would include the parent's peak). */
  readonly max_rss_source?: string
  /** User + system CPU time of the harness process. */
  readonly cpu_time_s?: number
  /** User + system CPU time of the children it waited for (time_loops workloads that spawn). */
  readonly children_cpu_time_s?: number
  readonly load_avg_1min?: number
  /** Calibration stopped at --max-loops before a value lasted --min-time. */
  readonly calibration_capped?: boolean
  readonly min_time_s?: number
  readonly max_loops?: number
  /**
   * The third-party stack the workload loaded (modules from site-packages with their versions,
   * BLAS thread variables, numpy's BLAS/LAPACK); absent for a standard-library workload.
   */
  readonly stack?: JsonObject
}

/** The document of a successful `run`: values in seconds per inner iteration. */
export interface HarnessResult {
  readonly protocol: typeof HARNESS_PROTOCOL_VERSION
  readonly kind: 'result'
  readonly harness_version: string
  readonly unit: 'second'
  readonly loops: number
  readonly inner_loops: number
  /** Calibration values first (changing loops), then the requested warm-ups. */
  readonly warmups: readonly (readonly [loops: number, value: number])[]
  readonly values: readonly number[]
  readonly metadata: HarnessRunMetadata
}

/** The document of a failed command. */
export interface HarnessError {
  readonly protocol: typeof HARNESS_PROTOCOL_VERSION
  readonly kind: 'error'
  readonly harness_version: string
  readonly phase: HarnessErrorPhase
  /** Exception class name, or UsageError / WorkloadApiError / TimerResolutionError / InvalidTimingError. */
  readonly error_type: string
  readonly message: string
  /** Python traceback (tail kept, at most about 4,000 characters); empty when there is none. */
  readonly traceback: string
}

/** Any document the harness writes, told apart by `kind`. */
export type HarnessMessage = HarnessDescribe | HarnessResult | HarnessError

/** What parseHarnessOutput() found: a valid message, or a sentence saying what is wrong. */
export type HarnessParseOutcome =
  | { readonly ok: true; readonly message: HarnessMessage }
  | { readonly ok: false; readonly problem: string }

// Schemas. Unknown fields are dropped, not refused: adding a field keeps the protocol number
// (docs/harness-protocol.md, "Compatibility").
const text = z.string()
const positiveSeconds = z.number().positive()
const count = z.int().nonnegative()
const positiveCount = z.int().positive()
const featureState = z.enum(FEATURE_STATES)

const describeSchema = z.object({
  protocol: z.literal(HARNESS_PROTOCOL_VERSION),
  kind: z.literal('describe'),
  harness_version: text,
  interpreter: z.object({
    implementation: text.min(1),
    version: text.min(1),
    implementation_version: text.min(1),
    sys_version: text,
    executable: text,
    compiler: text,
    pointer_bits: positiveCount,
    build_flags: z.record(z.string(), z.string()),
    jit: featureState,
    free_threading: featureState,
    extra: z.record(z.string(), z.json()),
  }),
})

const metadataSchema = z
  .object({
    date: text,
    duration_s: positiveSeconds,
    calibrated: z.boolean(),
    timing: z.enum(HARNESS_TIMINGS),
    clock: text,
    clock_resolution_s: positiveSeconds.exactOptional(),
    max_rss_bytes: count.exactOptional(),
    cpu_time_s: z.number().nonnegative().exactOptional(),
    children_cpu_time_s: z.number().nonnegative().exactOptional(),
    max_rss_source: text.exactOptional(),
    load_avg_1min: z.number().nonnegative().exactOptional(),
    calibration_capped: z.boolean().exactOptional(),
    min_time_s: positiveSeconds.exactOptional(),
    max_loops: positiveCount.exactOptional(),
  })
  .catchall(z.json())

const resultSchema = z.object({
  protocol: z.literal(HARNESS_PROTOCOL_VERSION),
  kind: z.literal('result'),
  harness_version: text,
  unit: z.literal('second'),
  loops: positiveCount,
  inner_loops: positiveCount,
  warmups: z.array(z.tuple([positiveCount, positiveSeconds])),
  values: z.array(positiveSeconds),
  metadata: metadataSchema,
})

const errorSchema = z.object({
  protocol: z.literal(HARNESS_PROTOCOL_VERSION),
  kind: z.literal('error'),
  harness_version: text,
  phase: z.enum(HARNESS_ERROR_PHASES),
  error_type: text.min(1),
  message: text,
  traceback: text,
})

const KINDS = ['describe', 'result', 'error'] as const

/**
 * Parse and validate what the harness wrote on its result descriptor. Never throws: empty or
 * truncated output, two documents, another protocol version, missing fields or values that are
 * not finite and positive each give `{ ok: false, problem }` with one sentence.
 */
export function parseHarnessOutput(output: string): HarnessParseOutcome {
  if (typeof output !== 'string')
    return fail(`Cannot read harness output: expected text, found ${typeof output}`)
  const lines = output.split('\n').filter((line) => line.trim() !== '')
  if (lines.length === 0) {
    return fail(
      'Cannot read harness output: expected one JSON document, found nothing (did the process die?)',
    )
  }
  if (lines.length > 1) {
    return fail(
      `Cannot read harness output: expected one JSON document on one line, found ${lines.length} lines starting ${quote(lines[0])}`,
    )
  }
  const line = lines[0] ?? ''
  let doc: unknown
  try {
    doc = JSON.parse(line)
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    // A document cut short (the process died while writing) no longer ends with its brace.
    const end = line.trimEnd()
    const truncated =
      end.startsWith('{') && !end.endsWith('}') ? ` (truncated? it ends ${quote(end.slice(-40))})` : ''
    return fail(`Cannot parse harness output ${quote(line)}: invalid JSON${truncated}: ${reason}`)
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    return fail(`Cannot read harness output ${quote(line)}: expected a JSON object`)
  }
  const record = doc as Record<string, unknown>
  if (!('protocol' in record)) {
    return fail(`Cannot read harness output ${quote(line)}: expected a "protocol" field`)
  }
  if (record.protocol !== HARNESS_PROTOCOL_VERSION) {
    return fail(
      `Cannot read harness output: expected protocol ${HARNESS_PROTOCOL_VERSION}, found ${quote(record.protocol)} (harness and runner versions differ)`,
    )
  }
  if (!('kind' in record)) {
    return fail(`Cannot read harness output ${quote(line)}: expected a "kind" field`)
  }
  const kind = record.kind
  switch (kind) {
    case 'describe':
      return validate(describeSchema, kind, doc)
    case 'result':
      return validate(resultSchema, kind, doc)
    case 'error':
      return validate(errorSchema, kind, doc)
    default:
      return fail(`Cannot read harness output: expected kind ${KINDS.join(', ')}, found ${quote(kind)}`)
  }
}

function fail(problem: string): HarnessParseOutcome {
  return { ok: false, problem }
}

function validate(
  schema: z.ZodType<HarnessMessage>,
  kind: (typeof KINDS)[number],
  doc: unknown,
): HarnessParseOutcome {
  const parsed = schema.safeParse(doc)
  if (parsed.success) return { ok: true, message: parsed.data }
  const issues = parsed.error.issues
  const first = issues[0]
  if (first === undefined) return fail(`Cannot read harness ${kind} document: invalid`)
  const path = first.path.map(String).join('.')
  const found = valueAt(doc, first.path)
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problems)` : ''
  if (!found.present)
    return fail(`Cannot read harness ${kind} document: field ${quote(path)} is missing${more}`)
  const where = path === '' ? '' : ` at ${quote(path)}`
  return fail(
    `Cannot read harness ${kind} document${where}: ${describeIssue(first.message)}, found ${quote(found.value)}${more}`,
  )
}

/** Zod's message without its "Invalid input: " prefix, starting lower-case. */
function describeIssue(message: string): string {
  const trimmed = message.replace(/^Invalid input: /, '')
  return trimmed.charAt(0).toLowerCase() + trimmed.slice(1)
}

function valueAt(doc: unknown, path: readonly PropertyKey[]): { present: boolean; value: unknown } {
  let current: unknown = doc
  for (const key of path) {
    if (typeof current !== 'object' || current === null || !(key in current)) {
      return { present: false, value: undefined }
    }
    current = (current as Record<PropertyKey, unknown>)[key]
  }
  return { present: true, value: current }
}

/** The model's InterpreterInfo from a `describe` document (snake_case wire names → camelCase). */
export function toInterpreterInfo(describe: HarnessDescribe): InterpreterInfo {
  const i = describe.interpreter
  return {
    implementation: i.implementation,
    version: i.version,
    implementationVersion: i.implementation_version,
    sysVersion: i.sys_version,
    executable: i.executable,
    compiler: i.compiler,
    pointerBits: i.pointer_bits,
    buildFlags: i.build_flags,
    jit: i.jit,
    freeThreading: i.free_threading,
    extra: i.extra,
  }
}

/** How `run` should measure: fixed loops, or calibration that doubles loops up to a minimum time. */
export type HarnessLoopMode =
  | { readonly mode: 'fixed'; readonly loops: number }
  | { readonly mode: 'calibrate'; readonly minTimeS?: number; readonly maxLoops?: number }

/** Options of harnessRunArgs(); omitted numbers take the harness's defaults. */
export interface HarnessRunOptions {
  readonly loopMode: HarnessLoopMode
  /** Passed to the workload's `make(params)` / `time_loops(loops, params)`. */
  readonly params?: JsonObject
  readonly warmups?: number
  readonly values?: number
  readonly innerLoops?: number
  readonly resultFd?: number
  /** `process`: values in the process's CPU time (`--clock process`); the wall clock otherwise. */
  readonly clock?: HarnessClock
}

/** The harness's clocks: `wall` (perf_counter, the default) or `process` (CPU time, 3.3+). */
export type HarnessClock = 'wall' | 'process'

/** Arguments after the harness path for `describe`. */
export function harnessDescribeArgs(resultFd: number = HARNESS_RESULT_FD): string[] {
  return ['--result-fd', String(resultFd), 'describe']
}

/**
 * Arguments after the harness path for `run`: the one spelling of the harness's command line,
 * used by measureSuite for calibration and measurement processes alike.
 * @example
 * spawn(python, [HARNESS_PATH, ...harnessRunArgs(entryPath, { loopMode: { mode: 'fixed', loops: 64 } })],
 *   { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] })
 */
export function harnessRunArgs(workloadPath: string, options: HarnessRunOptions): string[] {
  const args = [
    '--result-fd',
    String(options.resultFd ?? HARNESS_RESULT_FD),
    'run',
    '--workload',
    workloadPath,
  ]
  if (options.params !== undefined) args.push('--params', JSON.stringify(options.params))
  if (options.innerLoops !== undefined) args.push('--inner-loops', String(options.innerLoops))
  const mode = options.loopMode
  switch (mode.mode) {
    case 'fixed':
      args.push('--loops', String(mode.loops))
      break
    case 'calibrate':
      args.push('--calibrate')
      if (mode.minTimeS !== undefined) args.push('--min-time', String(mode.minTimeS))
      if (mode.maxLoops !== undefined) args.push('--max-loops', String(mode.maxLoops))
      break
    default:
      return assertNever(mode)
  }
  if (options.warmups !== undefined) args.push('--warmups', String(options.warmups))
  if (options.values !== undefined) args.push('--values', String(options.values))
  if (options.clock === 'process') args.push('--clock', 'process')
  return args
}
