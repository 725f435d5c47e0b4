import { gunzipSync, gzipSync } from 'node:zlib'
import { badInput, isJsonObject, type JsonObject, type JsonValue, quote, sha256Hex } from '../lib/index.ts'
import {
  type BuildSpec,
  type LineageFacts,
  type Placement,
  type ProcessSamples,
  placeByRules,
  type RunWithResults,
  type WorkloadResult,
} from '../model/index.ts'

// pyperf JSON, format version "1.0" (the format pyperformance writes; pyperf's own docs call it
// "version 1.0" of the JSON file format):
//   root      {version: "1.0", metadata: {…}, benchmarks: [benchmark…]}
//   benchmark {metadata: {name, loops?, inner_loops?, unit?, …}, runs: [run…]}
//   run       {metadata: {…}, warmups?: [[loops, value]…], values?: [value…]}
// Values are seconds (or the unit) per inner iteration. A run without values is a calibration
// run. Effective metadata of a run = root ∪ benchmark ∪ run metadata (later wins).
// langperf keeps the three levels apart (run.metadata, result.metadata, process.metadata), so an
// imported file exports back to the same document.

/** The only pyperf format version langperf reads and writes. */
export const PYPERF_FORMAT_VERSION = '1.0'

/** Largest file accepted (decompressed): pyperformance files are a few MB. */
export const MAX_PYPERF_BYTES = 256 * 1024 * 1024

/** A validated pyperf document. */
export interface PyperfDocument {
  readonly version: string
  readonly metadata: JsonObject
  readonly benchmarks: readonly PyperfBenchmark[]
}

/** One benchmark of a pyperf document. */
export interface PyperfBenchmark {
  readonly metadata: JsonObject
  readonly runs: readonly PyperfRun[]
}

/** One worker process of a pyperf benchmark. */
export interface PyperfRun {
  readonly metadata: JsonObject
  readonly warmups?: readonly (readonly [number, number])[]
  readonly values?: readonly number[]
}

// Python's json module writes NaN and ±Infinity as bare tokens, which JSON.parse rejects with an
// unhelpful message. Turn them into marker strings outside string literals, so validation can say
// "found NaN" and name the benchmark.
const NON_FINITE_MARKER = '\u0000langperf-nonfinite:'
const TOKEN_RE = /"(?:[^"\\]|\\.)*"|-?Infinity\b|\bNaN\b/g

function parseJsonLenient(text: string): unknown {
  const replaced = text.replace(TOKEN_RE, (m) => (m.startsWith('"') ? m : `"\\u0000langperf-nonfinite:${m}"`))
  return JSON.parse(replaced)
}

function describeFound(v: unknown): string {
  if (typeof v === 'string' && v.startsWith(NON_FINITE_MARKER)) return v.slice(NON_FINITE_MARKER.length)
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  if (typeof v === 'object') return 'an object'
  return quote(v, 40)
}

/** Decodes bytes that may be gzipped (detected by the magic number, not the name). */
export function decodePyperfBytes(bytes: Uint8Array, name: string): string {
  let raw = bytes
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      raw = gunzipSync(bytes, { maxOutputLength: MAX_PYPERF_BYTES })
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err)
      throw badInput(`Cannot import "${name}": expected a complete gzip file, found a damaged one (${why})`)
    }
  }
  if (raw.length > MAX_PYPERF_BYTES) {
    throw badInput(`Cannot import "${name}": expected at most ${MAX_PYPERF_BYTES} bytes, found ${raw.length}`)
  }
  return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8')
}

/**
 * Parses and validates a pyperf document; every problem names the file, what was expected and
 * what was found.
 */
export function parsePyperf(text: string, name: string): PyperfDocument {
  const fail = (where: string, expected: string, found: string): never => {
    throw badInput(
      `Cannot import "${name}": expected ${expected}${where ? ` at ${where}` : ''}, found ${found}`,
    )
  }
  let doc: unknown
  try {
    doc = parseJsonLenient(text)
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err)
    const trimmed = text.trimEnd()
    const start = trimmed.trimStart()
    const found =
      trimmed.length === 0
        ? 'an empty file'
        : !/^[{[]/.test(start)
          ? `text that is not JSON (it begins ${JSON.stringify(start.slice(0, 24))})`
          : /[}\]]$/.test(trimmed)
            ? `invalid JSON (${why})`
            : `truncated JSON (${why})`
    return fail('', 'pyperf JSON', found)
  }
  if (!isJsonObject(doc)) return fail('', 'a pyperf JSON object', describeFound(doc))
  if (!('version' in doc))
    return fail(
      '',
      `pyperf format version ${PYPERF_FORMAT_VERSION} (a "version" field)`,
      'no "version" field',
    )
  if (doc.version !== PYPERF_FORMAT_VERSION) {
    return fail('', `pyperf format version ${PYPERF_FORMAT_VERSION}`, describeFound(doc.version))
  }
  const metadata = doc.metadata ?? {}
  if (!isJsonObject(metadata)) return fail('"metadata"', 'an object', describeFound(metadata))
  checkMetadata(metadata, 'metadata', fail)
  if (!Array.isArray(doc.benchmarks)) return fail('"benchmarks"', 'an array', describeFound(doc.benchmarks))
  if (doc.benchmarks.length === 0) return fail('"benchmarks"', 'at least one benchmark', 'none')
  const seen = new Set<string>()
  const benchmarks = doc.benchmarks.map((b: unknown, bi: number): PyperfBenchmark => {
    const where = `benchmarks[${bi}]`
    if (!isJsonObject(b)) return fail(where, 'an object', describeFound(b))
    const bmeta = b.metadata ?? {}
    if (!isJsonObject(bmeta)) return fail(`${where}.metadata`, 'an object', describeFound(bmeta))
    checkMetadata(bmeta, `${where}.metadata`, fail)
    const bname = bmeta.name ?? metadata.name
    if (typeof bname !== 'string' || bname.length === 0) {
      return fail(`${where}.metadata.name`, 'a benchmark name', describeFound(bname))
    }
    if (seen.has(bname)) return fail(where, 'each benchmark name once', `"${bname}" twice`)
    seen.add(bname)
    const label = `benchmark "${bname}"`
    if (!Array.isArray(b.runs)) return fail(`${label}.runs`, 'an array', describeFound(b.runs))
    const runs = b.runs.map((r: unknown, ri: number): PyperfRun => {
      const rwhere = `${label} run ${ri}`
      if (!isJsonObject(r)) return fail(rwhere, 'an object', describeFound(r))
      const rmeta = r.metadata ?? {}
      if (!isJsonObject(rmeta)) return fail(`${rwhere} metadata`, 'an object', describeFound(rmeta))
      checkMetadata(rmeta, `${rwhere} metadata`, fail)
      const out: { metadata: JsonObject; warmups?: [number, number][]; values?: number[] } = {
        metadata: rmeta,
      }
      if (r.values !== undefined) {
        if (!Array.isArray(r.values)) return fail(`${rwhere} values`, 'an array', describeFound(r.values))
        out.values = r.values.map((v: unknown, vi: number) => checkValue(v, `${rwhere} value ${vi}`, fail))
      }
      if (r.warmups !== undefined) {
        if (!Array.isArray(r.warmups)) return fail(`${rwhere} warmups`, 'an array', describeFound(r.warmups))
        out.warmups = r.warmups.map((w: unknown, wi: number): [number, number] => {
          if (!Array.isArray(w) || w.length !== 2) {
            return fail(`${rwhere} warmup ${wi}`, 'a [loops, value] pair', describeFound(w))
          }
          const loops = w[0]
          if (typeof loops !== 'number' || !Number.isInteger(loops) || loops < 1) {
            return fail(`${rwhere} warmup ${wi}`, 'a positive integer loop count', describeFound(loops))
          }
          return [loops, checkValue(w[1], `${rwhere} warmup ${wi}`, fail)]
        })
      }
      return out
    })
    return { metadata: bmeta, runs }
  })
  return { version: PYPERF_FORMAT_VERSION, metadata, benchmarks }
}

type Fail = (where: string, expected: string, found: string) => never

function checkValue(v: unknown, where: string, fail: Fail): number {
  if (typeof v !== 'number') return fail(where, 'a finite non-negative number', describeFound(v))
  if (v < 0) return fail(where, 'a finite non-negative number', String(v))
  return v
}

// Metadata may hold any JSON, but a NaN marker there would silently become a string.
function checkMetadata(meta: JsonObject, where: string, fail: Fail): void {
  for (const [k, v] of Object.entries(meta)) {
    if (typeof v === 'string' && v.startsWith(NON_FINITE_MARKER)) {
      fail(`${where}.${k}`, 'a finite value', v.slice(NON_FINITE_MARKER.length))
    }
  }
}

/** What the user may impose on an import instead of what the metadata implies. */
export interface PyperfImportOverrides {
  readonly runtime?: string
  readonly config?: string
  readonly machine?: string
  readonly branch?: string
}

const FULL_SHA_RE = /^[0-9a-f]{40}$/i

function str(v: JsonValue | undefined): string | null {
  if (typeof v === 'string' && v.length > 0) return v
  if (typeof v === 'number') return String(v)
  return null
}

/** Converts any ISO 8601 date with an offset to UTC `…Z`; null when it cannot be read. */
export function toUtcIso(text: string | null): string | null {
  if (!text) return null
  // pyperf writes naive local times ("2024-04-14 00:21:53.101931"); without an offset, read as UTC.
  const normalised = /[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text.replace(' ', 'T')}Z`
  const ms = Date.parse(normalised.replace(' ', 'T'))
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null
}

/** The most common value of a metadata key across benchmarks (python_version lives there). */
function commonBenchmarkValue(doc: PyperfDocument, key: string): string | null {
  const root = str(doc.metadata[key])
  if (root) return root
  const counts = new Map<string, number>()
  for (const b of doc.benchmarks) {
    const v = str(b.metadata[key])
    if (v) counts.set(v, (counts.get(v) ?? 0) + 1)
  }
  let best: string | null = null
  let bestCount = 0
  for (const [v, c] of counts) {
    if (c > bestCount) {
      best = v
      bestCount = c
    }
  }
  return best
}

/**
 * bench_runner names its result files `bm-<date>-<version>-<sha7>[-FLAGS].json` (some copies write
 * `+FLAGS`): the flags after the commit hash name the build config (`JIT`, `NOGIL`, `PYTHON_UOPS`,
 * several joined by `,`); none means the default build. Named as the producer spells them, lower-cased,
 * several in name order joined by `,` (`jit,nogil`), so that the config matches bench_runner's own
 * name for it whichever order a copy wrote the flags in.
 * @example configFromFileName('bm-20240320-3.13.0a5+-dcaf33a-JIT.json.gz') === 'jit'
 */
export function configFromFileName(name: string): string | null {
  const m = /-[0-9a-f]{7,40}[-+]([A-Za-z][A-Za-z0-9_]*(?:,[A-Za-z][A-Za-z0-9_]*)*)\.json(?:\.gz)?$/.exec(name)
  return m?.[1] ? flagsToConfig(m[1]) : null
}

function flagsToConfig(flags: string): string {
  return [...new Set(flags.toLowerCase().split(','))].sort().join(',')
}

/** A path's names, `/` or `\\` separated (an upload may name a Windows path). */
function pathSegments(path: string): string[] {
  return path.split(/[\\/]+/).filter((p) => p.length > 0)
}

/** Where a file's build config was read from (kept as the build's `config_source`). */
export type ConfigSource = 'option' | 'file name' | 'directory' | 'none named'

/**
 * The build config a result file's path names, and where: the file name's flags
 * (configFromFileName), else those of the directory holding it when bench_runner named it
 * `bm-<date>-<version>-<sha7>-FLAGS` (its repository keeps `results/<that directory>/<file>.json`,
 * the flags only in the directory's name); null when neither names one (a default build, or a
 * renamed copy: `--config` tells).
 * @example configFromPath('results/bm-20240320-3.13.0a5+-dcaf33a-JIT/bm-20240320-pythonperf2-x86_64-python-dcaf33a41d5d220523d7-3.13.0a5+-dcaf33a.json') // { config: 'jit', source: 'directory' }
 */
export function configFromPath(path: string): { config: string; source: ConfigSource } | null {
  const parts = pathSegments(path)
  const named = configFromFileName(parts.at(-1) ?? '')
  if (named) return { config: named, source: 'file name' }
  const dir = parts.at(-2) ?? ''
  const m = /^bm-\d{8}-.+-[0-9a-f]{7,40}-([A-Za-z][A-Za-z0-9_]*(?:,[A-Za-z][A-Za-z0-9_]*)*)$/.exec(dir)
  return m?.[1] ? { config: flagsToConfig(m[1]), source: 'directory' } : null
}

/** Where an imported build lies in its runtime's history, when something better than the rules knows. */
export interface ImportLineage {
  readonly placement: Placement
  /** Position on the branch's first-parent line (ancestry order); null when not known. */
  readonly historyOrder: number | null
  /** The full commit sha the repository resolved, if any. */
  readonly fullSha?: string | null
}

/** What the producer recorded that places a pyperf document's build (see model/lineage.ts). */
export function pyperfLineageFacts(doc: PyperfDocument): LineageFacts {
  const meta = doc.metadata
  const commitId = str(meta.commit_id)
  const ref = str(meta.commit_branch)
  return {
    version: commonBenchmarkValue(doc, 'python_version'),
    ref,
    fork: str(meta.commit_fork),
    commitSha: commitId ?? (ref && FULL_SHA_RE.test(ref) ? ref : null),
  }
}

/**
 * Turns a validated pyperf document into a langperf run, keeping every value and every metadata
 * key at its level; the overrides win over what the metadata implies. The build's branch is its
 * line of development: `lineage` when a repository placed it, else the rules of model/lineage.ts;
 * the recorded ref, the rule and its note are kept in the build's metadata.
 */
export function pyperfToRun(
  doc: PyperfDocument,
  name: string,
  overrides: PyperfImportOverrides = {},
  lineage?: ImportLineage,
): RunWithResults {
  const meta = doc.metadata
  const pythonVersion = commonBenchmarkValue(doc, 'python_version')
  // A 32-bit interpreter measured on a 64-bit host (bench_runner's `…_win32-x86` results) is
  // another build on the same hostname: its own build and its own machine (as bench_runner names
  // it), never one build with the 64-bit results of the same commit.
  const bits = /\((32|64)-bit\)/.exec(pythonVersion ?? '')?.[1]
  const version = pythonVersion?.split(/\s/)[0] ?? 'unknown'
  const runtime = overrides.runtime ?? commonBenchmarkValue(doc, 'python_implementation') ?? 'cpython'
  const named: { config: string; source: ConfigSource } | null = overrides.config
    ? { config: overrides.config, source: 'option' }
    : configFromPath(name)
  const config = named?.config ?? 'default'
  const commitId = str(meta.commit_id)
  const commitBranch = str(meta.commit_branch)
  // Some producers put the full hash in commit_branch when the ref benchmarked was a hash.
  const recordedSha =
    commitBranch && FULL_SHA_RE.test(commitBranch) && commitId && commitBranch.startsWith(commitId)
      ? commitBranch.toLowerCase()
      : commitId
  const commitSha = lineage?.fullSha ?? recordedSha
  const placement: Placement = overrides.branch
    ? { branch: overrides.branch, rule: 'override', note: `--branch ${overrides.branch}` }
    : (lineage?.placement ?? placeByRules(pyperfLineageFacts(doc)))
  const branch = placement.branch
  const identity = commitSha
    ? `${runtime}:${commitSha}:${config}${bits === '32' ? ':32bit' : ''}`
    : `${runtime}:${version}:${config}:${sha256Hex(`${pythonVersion}|${str(meta.python_compiler) ?? ''}`, 12)}`
  const build: BuildSpec = {
    runtime,
    version,
    config,
    commitSha,
    commitDateUtc: toUtcIso(str(meta.commit_date)),
    branch,
    mergeBase: str(meta.commit_merge_base),
    identity,
    interpreter: null,
    metadata: {
      ...(pythonVersion ? { python_version: pythonVersion } : {}),
      ...(commonBenchmarkValue(doc, 'python_compiler')
        ? { python_compiler: commonBenchmarkValue(doc, 'python_compiler')! }
        : {}),
      ...(commitId ? { commit_id: commitId } : {}),
      ...(commitBranch ? { ref: commitBranch } : {}),
      lineage_rule: placement.rule,
      lineage_note: placement.note,
      config_source: named?.source ?? 'none named',
      ...(lineage?.historyOrder !== undefined && lineage.historyOrder !== null
        ? { history_order: lineage.historyOrder }
        : {}),
    },
  }
  // A pyperformance file says nothing of each benchmark's code, so the workload's version is the
  // suite's name: one series per benchmark across suite releases. The release and the suite's
  // build (performance_version, benchmark_hash) are epoch facts (analysis/epochs.ts): a suite
  // upgrade is a boundary inside the series, judged by how many workloads moved at it.
  const suite = str(meta.performance_version) ? 'pyperformance' : 'pyperf'
  const workloadVersion = suite
  let firstDate: string | null = null
  let lastDate: string | null = null
  const results: WorkloadResult[] = doc.benchmarks.map((b) => {
    const bname = String(b.metadata.name ?? meta.name)
    const processes: ProcessSamples[] = b.runs.map((r) => {
      const d = toUtcIso(str(r.metadata.date))
      if (d && (!firstDate || d < firstDate)) firstDate = d
      if (d && (!lastDate || d > lastDate)) lastDate = d
      return { warmups: r.warmups ?? [], values: r.values ?? [], metadata: r.metadata }
    })
    const loops = Number(b.metadata.loops ?? meta.loops ?? 1)
    const innerLoops = Number(b.metadata.inner_loops ?? meta.inner_loops ?? 1)
    return {
      workload: { name: bname, version: workloadVersion },
      unit: str(b.metadata.unit) ?? str(meta.unit) ?? 'second',
      loops: Number.isInteger(loops) && loops > 0 ? loops : 1,
      innerLoops: Number.isInteger(innerLoops) && innerLoops > 0 ? innerLoops : 1,
      processes,
      outcome: { state: 'measured' },
      metadata: b.metadata,
    }
  })
  const machine = overrides.machine ?? `${str(meta.hostname) ?? 'unknown'}${bits === '32' ? '-32bit' : ''}`
  const startedAt = firstDate ?? toUtcIso(str(meta.commit_date)) ?? new Date(0).toISOString()
  return {
    run: {
      machine,
      environment: null,
      build,
      suite,
      preset: 'import',
      harnessVersion: `pyperf ${str(meta.perf_version) ?? 'unknown'}`,
      source: 'pyperf-import',
      startedAt,
      groupId: null,
      metadata: { ...meta, langperf_import_file: pathSegments(name).at(-1) ?? name },
    },
    status: 'complete',
    finishedAt: lastDate,
    results,
  }
}

/** Keys langperf adds on import and removes again on export. */
const IMPORT_ONLY_KEYS = new Set(['langperf_import_file', 'langperf_import_digest'])

/** What export needs to know about a run. */
export interface ExportableRun {
  readonly run: {
    readonly machine: string
    readonly source: string
    readonly metadata: JsonObject
    readonly harnessVersion: string
    readonly build: Pick<
      BuildSpec,
      'runtime' | 'version' | 'commitSha' | 'commitDateUtc' | 'branch' | 'mergeBase'
    > & {
      readonly interpreter: BuildSpec['interpreter']
    }
    readonly environment: RunWithResults['run']['environment']
  }
  readonly results: readonly WorkloadResult[]
}

/**
 * Writes a run as a pyperf document. An imported run gives back its original document; a run
 * measured by langperf gets the metadata pyperf tools expect (name, loops, unit, hostname,
 * python_version…). Failed and skipped workloads have no place in pyperf's format and are left out.
 */
export function runToPyperf(run: ExportableRun): PyperfDocument {
  const imported = run.run.source === 'pyperf-import'
  const rootMeta: Record<string, JsonValue> = {}
  for (const [k, v] of Object.entries(run.run.metadata)) if (!IMPORT_ONLY_KEYS.has(k)) rootMeta[k] = v
  if (!imported) Object.assign(rootMeta, langperfRootMetadata(run))
  const benchmarks: PyperfBenchmark[] = []
  for (const r of run.results) {
    if (r.outcome.state !== 'measured') continue
    const bmeta: Record<string, JsonValue> = { ...r.metadata }
    if (!imported) {
      bmeta.name = r.workload.name
      bmeta.loops = r.loops
      if (r.innerLoops !== 1) bmeta.inner_loops = r.innerLoops
      bmeta.unit = r.unit
      bmeta.langperf_workload_version = r.workload.version
    }
    benchmarks.push({
      metadata: bmeta,
      runs: r.processes.map((p) => {
        const out: {
          metadata: JsonObject
          warmups?: readonly (readonly [number, number])[]
          values?: readonly number[]
        } = {
          metadata: p.metadata,
        }
        if (p.warmups.length > 0) out.warmups = p.warmups
        if (p.values.length > 0) out.values = p.values
        return out
      }),
    })
  }
  return { version: PYPERF_FORMAT_VERSION, metadata: rootMeta, benchmarks }
}

function langperfRootMetadata(run: ExportableRun): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = { hostname: run.run.machine, perf_version: run.run.harnessVersion }
  const b = run.run.build
  const interp = b.interpreter
  if (interp) {
    out.python_version = `${interp.version} (${interp.pointerBits}-bit)`
    out.python_implementation = interp.implementation
    out.python_executable = interp.executable
    out.python_compiler = interp.compiler
  } else out.python_version = b.version
  if (b.commitSha) out.commit_id = b.commitSha
  if (b.commitDateUtc) out.commit_date = b.commitDateUtc
  if (b.branch) out.commit_branch = b.branch
  if (b.mergeBase) out.commit_merge_base = b.mergeBase
  const env = run.run.environment
  if (env) {
    out.cpu_model_name = env.fingerprint.cpuModel
    out.cpu_count = env.fingerprint.logicalCpus
    out.platform = `${env.fingerprint.os}-${env.fingerprint.kernel}-${env.fingerprint.arch}`
  }
  return out
}

/** Serialises a pyperf document, gzipped when `gzip` is true. */
export function encodePyperf(doc: PyperfDocument, options: { readonly gzip?: boolean } = {}): Buffer {
  const text = `${JSON.stringify(doc)}\n`
  return options.gzip ? gzipSync(text) : Buffer.from(text, 'utf8')
}
