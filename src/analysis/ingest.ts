import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { canonicalJson, type JsonObject, LangperfError, sha256Hex } from '../lib/index.ts'
import type { LineageFacts, RunSpec, RunWithResults } from '../model/index.ts'
import type { BuildCatalog, BuildRow, RunReader, RunRow, RunWriter } from '../store/index.ts'
import {
  decodePyperfBytes,
  encodePyperf,
  type ImportLineage,
  MAX_PYPERF_BYTES,
  type PyperfImportOverrides,
  parsePyperf,
  pyperfLineageFacts,
  pyperfToRun,
  runToPyperf,
} from './pyperf.ts'

/** Places a build in its runtime's history from a repository (analysis/lineage-repo.ts). */
export type LineagePlacer = (
  facts: LineageFacts,
) => Promise<{ readonly lineage: ImportLineage; readonly warnings: readonly string[] }>

/** Options of a pyperf import. */
export interface PyperfImportOptions {
  readonly overrides?: PyperfImportOverrides
  /** Places each build by git ancestry; without it the rules of model/lineage.ts do. */
  readonly place?: LineagePlacer
  /** Refuse the whole batch when any file has a warning (facts that contradict each other). */
  readonly strict?: boolean
  /** The clock, to tell a commit date in the future. */
  readonly now?: () => Date
  /** Progress of the two passes: reading every file, then storing the new runs. */
  readonly onProgress?: (phase: 'read' | 'store', done: number, total: number) => void
  /**
   * Files found by walking a directory (expandImportPaths): one of them that is no pyperf
   * document at all (bench_runner's pystats, a summary) is skipped and reported, not refused.
   */
  readonly walked?: ReadonlySet<string>
  /**
   * Bytes of documents (decompressed) whose converted runs are kept between reading and storing
   * (HOLD_BYTES by default); the files past it are read again, one at a time, when stored.
   */
  readonly holdBytes?: number
}

/** Documents up to this many bytes in all are kept converted between the passes of an import. */
export const HOLD_BYTES = 128 * 1024 * 1024

/**
 * One file read and converted, with what the import inferred and what it doubts. Its results
 * are not kept (a bench_runner tree is gigabytes of samples): the import reads the file again,
 * one at a time, when it stores the run (readRunAgain).
 */
export interface ConvertedFile {
  readonly path: string
  /** The run without its results: build, machine, environment, metadata (with the digest). */
  readonly spec: RunSpec
  /** How many workloads and values the file holds. */
  readonly workloads: number
  readonly values: number
  /** SHA-256 of the canonical document: the same results imported twice are one run. */
  readonly digest: string
  /** SHA-256 of the file's bytes as read, to tell a file changed between reading and storing. */
  readonly bytesDigest: string
  /** Where the repository placed the build, when one was given (kept so storing needs no git). */
  readonly lineage?: ImportLineage
  readonly warnings: readonly string[]
}

/** Metadata key of an imported run holding its file's digest (removed again on export). */
export const IMPORT_DIGEST_KEY = 'langperf_import_digest'

/** Commit dates later than this past the clock are not believed. */
const FUTURE_TOLERANCE_MS = 24 * 3600 * 1000

/** Most files a directory given to import may hold (a bench_runner repository holds a few thousand). */
export const MAX_WALKED_FILES = 100_000

/** The files an import reads: each path as given, a directory walked for `.json` and `.json.gz`. */
export interface ImportPaths {
  readonly files: readonly string[]
  /** Files found by walking a directory (not named): one that is no pyperf document is skipped. */
  readonly walked: ReadonlySet<string>
}

/**
 * Expands directories among the paths: every `.json` and `.json.gz` file beneath, in name order
 * (links to files followed, links to directories not), so a whole bench_runner `results/` tree
 * imports with one path.
 * Files named directly are kept as they are, even with another extension.
 */
export async function expandImportPaths(paths: readonly string[]): Promise<ImportPaths> {
  const files: string[] = []
  const walked = new Set<string>()
  const walk = async (dir: string): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    )
    for (const e of entries) {
      const full = join(dir, e.name)
      if (e.isDirectory()) await walk(full)
      else if (
        (e.isFile() || (e.isSymbolicLink() && (await isFileBehind(full)))) &&
        /\.json(?:\.gz)?$/i.test(e.name)
      ) {
        if (walked.size >= MAX_WALKED_FILES)
          throw new LangperfError(
            'too-large',
            `Cannot import "${dir}": expected at most ${MAX_WALKED_FILES} result files under the directories given, found more`,
          )
        files.push(full)
        walked.add(full)
      }
    }
  }
  for (const path of paths) {
    let isDir = false
    try {
      isDir = (await stat(path)).isDirectory()
    } catch {
      // Reported as unreadable when it is read, with the other files' errors.
    }
    if (isDir) await walk(path)
    else files.push(path)
  }
  return { files, walked }
}

/** Whether a symbolic link leads to a file (links to directories are not walked: no cycles). */
async function isFileBehind(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile()
  } catch {
    return false
  }
}

/**
 * Whether a text is some other JSON document than a pyperf result: valid JSON without `version`
 * and `benchmarks`. A damaged file (not JSON at all) is not: it may be a truncated result.
 */
function otherJson(text: string): boolean {
  try {
    const doc: unknown = JSON.parse(text)
    return !(typeof doc === 'object' && doc !== null && 'version' in doc && 'benchmarks' in doc)
  } catch {
    return false
  }
}

/** A file read whole: its document, what it converts to, and how it was read. */
interface ReadFile {
  readonly run: RunWithResults
  readonly digest: string
  readonly bytesDigest: string
  /** The document's size decompressed (what its converted run takes in memory, roughly). */
  readonly size: number
  readonly lineage: ImportLineage | undefined
  readonly placeWarnings: readonly string[]
}

/** Reads, checks and converts one file; null for a walked file that is another JSON document. */
async function readOneFile(
  path: string,
  options: PyperfImportOptions,
  lineage: ImportLineage | undefined | 'place',
  known?: { readonly digest: string; readonly bytesDigest: string },
): Promise<ReadFile | null> {
  let size: number
  try {
    size = (await stat(path)).size
  } catch {
    throw new LangperfError(
      'bad-input',
      `Cannot import "${path}": expected a readable file, found nothing there`,
    )
  }
  if (size > MAX_PYPERF_BYTES) {
    throw new LangperfError(
      'too-large',
      `Cannot import "${path}": expected at most ${MAX_PYPERF_BYTES} bytes, found ${size}`,
    )
  }
  const bytes = await readFile(path)
  const bytesDigest = sha256Hex(bytes)
  if (known && known.bytesDigest !== bytesDigest) {
    throw new LangperfError(
      'conflict',
      `Cannot import "${path}": the file changed while the batch was imported; nothing imported, import again`,
    )
  }
  const text = decodePyperfBytes(bytes, path)
  let doc: ReturnType<typeof parsePyperf>
  try {
    doc = parsePyperf(text, path)
  } catch (err) {
    // A file the user named must be a result; one a directory walk found may be another
    // document (pystats), skipped, but a damaged or broken result still refuses the batch.
    if (!options.walked?.has(path) || !otherJson(text)) throw err
    return null
  }
  let placed: ImportLineage | undefined
  const placeWarnings: string[] = []
  if (lineage === 'place') {
    if (options.place && !options.overrides?.branch) {
      const p = await options.place(pyperfLineageFacts(doc))
      placed = p.lineage
      placeWarnings.push(...p.warnings)
    }
  } else placed = lineage
  // The path, not only the name: bench_runner's repository names the config in the directory.
  const run = pyperfToRun(doc, path, options.overrides ?? {}, placed)
  // Of the document, not the bytes: the same results re-exported or re-compressed are one run.
  // The same bytes read again (known) are the same document.
  const digest = known?.digest ?? sha256Hex(canonicalJson(doc))
  return {
    run: { ...run, run: { ...run.run, metadata: { ...run.run.metadata, [IMPORT_DIGEST_KEY]: digest } } },
    digest,
    bytesDigest,
    size: text.length,
    lineage: placed,
    placeWarnings,
  }
}

/**
 * Reads, validates and converts pyperf files without storing anything (all must be valid, but a
 * walked file that is another JSON document, which is skipped and named). Of each file its run
 * without results is kept, and whole runs only up to `holdBytes` of documents (`held`), so memory
 * does not grow with the samples of the whole batch.
 */
export async function readPyperfFiles(
  paths: readonly string[],
  options: PyperfImportOptions = {},
): Promise<{
  files: ConvertedFile[]
  skipped: { path: string; why: string }[]
  /** Runs kept whole, by index in files, while their documents' sizes add up to holdBytes at most. */
  held: Map<number, RunWithResults>
}> {
  const out: ConvertedFile[] = []
  const skipped: { path: string; why: string }[] = []
  const held = new Map<number, RunWithResults>()
  let heldBytes = 0
  const holdBytes = options.holdBytes ?? HOLD_BYTES
  const now = (options.now ?? (() => new Date()))()
  for (const [i, path] of paths.entries()) {
    if (i > 0) options.onProgress?.('read', i, paths.length)
    const read = await readOneFile(path, options, 'place')
    if (read === null) {
      skipped.push({ path, why: 'not a pyperf result (no "version" and "benchmarks")' })
      continue
    }
    const { run } = read
    const warnings = [...read.placeWarnings]
    const date = run.run.build.commitDateUtc
    if (date && Date.parse(date) > now.getTime() + FUTURE_TOLERANCE_MS) {
      warnings.push(`commit date ${date} is in the future`)
    }
    if (run.run.build.commitSha && !date)
      warnings.push('commit has no readable commit_date: it cannot be ordered')
    if (run.run.build.branch === null) warnings.push(String(run.run.build.metadata.lineage_note))
    if (heldBytes + read.size <= holdBytes) {
      heldBytes += read.size
      held.set(out.length, run)
    }
    out.push({
      path,
      spec: run.run,
      workloads: run.results.length,
      values: run.results.reduce((n, x) => n + x.processes.reduce((m, p) => m + p.values.length, 0), 0),
      digest: read.digest,
      bytesDigest: read.bytesDigest,
      ...(read.lineage ? { lineage: read.lineage } : {}),
      warnings: warnings.map((w) => `${path}: ${w}`),
    })
  }
  options.onProgress?.('read', paths.length, paths.length)
  warnUnnamedTwins(out)
  return { files: out, skipped, held }
}

/**
 * The run of a file read before (readPyperfFiles), read again to be stored: the same bytes, or
 * the batch is refused (the file changed in between).
 */
async function readRunAgain(file: ConvertedFile, options: PyperfImportOptions): Promise<RunWithResults> {
  const read = await readOneFile(file.path, options, file.lineage, file)
  if (read === null) {
    throw new LangperfError(
      'conflict',
      `Cannot import "${file.path}": the file changed while the batch was imported; nothing imported, import again`,
    )
  }
  return read.run
}

/**
 * Files of one commit on one machine that name no build config become runs of one default build.
 * That is right for re-runs, wrong for a JIT or free-threaded build copied without bench_runner's
 * flags in its name: each such file gets a warning saying so (and --strict refuses them).
 */
function warnUnnamedTwins(files: ConvertedFile[]): void {
  const groups = new Map<string, number[]>()
  for (const [i, f] of files.entries()) {
    const b = f.spec.build
    if (b.commitSha === null || b.metadata.config_source !== 'none named') continue
    const key = `${f.spec.machine}\u0000${b.identity}`
    const g = groups.get(key)
    if (g) g.push(i)
    else groups.set(key, [i])
  }
  for (const g of groups.values()) {
    const digests = new Set(g.map((i) => files[i]!.digest))
    if (digests.size < 2) continue
    for (const i of g) {
      const f = files[i]!
      const note = `${digests.size} files record commit ${f.spec.build.commitSha!.slice(0, 10)} on ${f.spec.machine} and none names a build config (flags such as -JIT in its file or directory name, or --config): they are stored as runs of one ${f.spec.build.config} build; if they are different builds, import each with its --config`
      files[i] = { ...f, warnings: [...f.warnings, `${f.path}: ${note}`] }
    }
  }
}

/** What one pyperf import did. */
export interface PyperfImportReport {
  readonly files: readonly ConvertedFile[]
  /** Run id of each file, in input order: new or, for a file imported before, the stored one. */
  readonly runIds: readonly number[]
  /** Files already stored (same content), by input index. */
  readonly alreadyImported: readonly number[]
  /** Stored builds moved to another line of development by this import's placement. */
  readonly rekeyed: readonly {
    readonly buildId: number
    readonly from: string | null
    readonly to: string | null
  }[]
  /**
   * Runs stored before under another build of their commit, moved to the build their file reads
   * as now (config named where it was not, a 32-bit interpreter), by input index.
   */
  readonly moved: readonly MovedImport[]
  readonly warnings: readonly string[]
  /** Files a directory walk found that are no pyperf result, with why (nothing stored of them). */
  readonly skipped: readonly { readonly path: string; readonly why: string }[]
}

/** A run an import moved to the build its file reads as now (PyperfImportReport.moved). */
export interface MovedImport {
  readonly file: number
  readonly runId: number
  readonly from: { readonly identity: string; readonly config: string; readonly machine: string }
  readonly to: {
    readonly identity: string
    readonly config: string
    readonly machine: string
    readonly configSource: string
  }
  /** Changes recorded on the series the run left and joined, withdrawn as superseded. */
  readonly superseded: number
}

/**
 * How much a reading of a build config knows: named by the user (`--config`) over named by the
 * producer (file or directory name) over named by nobody. A build stored before `config_source`
 * was kept counts as named by its file when its config is not the default.
 */
function configRank(source: unknown, config: string): number {
  if (source === 'option') return 3
  if (source === 'file name' || source === 'directory') return 2
  if (source === undefined && config !== 'default') return 2
  return 1
}

/** The stored run of an earlier import of the same file, if any. */
async function storedImport(
  store: RunReader & BuildCatalog,
  file: ConvertedFile,
): Promise<{ runId: number; build: BuildRow } | null> {
  const [build] = await store.findBuilds({ identity: file.spec.build.identity, limit: 1 })
  if (!build) return null
  const runs = await store.listRuns({ buildId: build.id, limit: 1000 })
  const name = file.spec.metadata.langperf_import_file
  for (const r of runs.rows) {
    if (r.source !== 'pyperf-import' || r.machine !== file.spec.machine) continue
    const digest = r.metadata[IMPORT_DIGEST_KEY]
    // Runs imported before digests were kept: the same file name, start and build.
    if (
      digest === file.digest ||
      (digest === undefined &&
        r.metadata.langperf_import_file === name &&
        r.startedAt === file.spec.startedAt)
    )
      return { runId: r.id, build: r.build }
  }
  return null
}

/**
 * The run of the same document stored under another build of the same commit (its config, or
 * its 32-bit-ness, reads differently now than when it was imported), if any: only that commit's
 * other builds are read, so a new file costs one lookup, not a scan of the machine's runs.
 */
async function storedUnderOtherBuild(
  store: RunReader & BuildCatalog,
  file: ConvertedFile,
): Promise<RunRow | null> {
  const b = file.spec.build
  if (b.commitSha === null) return null
  const others = await store.findBuilds({ runtime: b.runtime, commitPrefix: b.commitSha, limit: 1000 })
  for (const other of others) {
    if (other.identity === b.identity) continue
    const runs = await store.listRuns({ buildId: other.id, limit: 1000 })
    const found = runs.rows.find(
      (r) => r.source === 'pyperf-import' && r.metadata[IMPORT_DIGEST_KEY] === file.digest,
    )
    if (found) return found
  }
  return null
}

/**
 * Imports pyperf files as one batch: every file is validated before anything is written, and the
 * batch is stored in one transaction, so a bad file leaves the database unchanged. A file stored
 * before (same content) is not stored again; a build whose line of development the placement now
 * reads differently is moved (re-keyed), and a run stored under another build of its commit (its
 * config read from the directory now, a 32-bit interpreter) is moved to the build it reads as
 * (moveIfBetterRead). With `strict`, any warning refuses the whole batch.
 */
export async function importPyperfFiles(
  store: RunWriter & RunReader & BuildCatalog,
  paths: readonly string[],
  options: PyperfImportOptions = {},
): Promise<PyperfImportReport> {
  const { files, skipped, held } = await readPyperfFiles(paths, options)
  const warnings = files.flatMap((f) => f.warnings)
  if (options.strict && warnings.length > 0) {
    throw new LangperfError(
      'bad-input',
      `Cannot import with --strict: ${warnings.length} warning(s), nothing imported:\n  ${warnings.slice(0, 20).join('\n  ')}${warnings.length > 20 ? `\n  … and ${warnings.length - 20} more` : ''}`,
    )
  }
  const runIds: number[] = new Array(files.length).fill(0)
  const alreadyImported: number[] = []
  const fresh: number[] = []
  const seenDigest = new Map<string, number>()
  const rekeyed: { buildId: number; from: string | null; to: string | null }[] = []
  const relined = new Set<number>()
  const moved: MovedImport[] = []
  for (const [i, f] of files.entries()) {
    const twin = seenDigest.get(f.digest)
    if (twin !== undefined) {
      alreadyImported.push(i)
      runIds[i] = -1 - twin
      continue
    }
    seenDigest.set(f.digest, i)
    const stored = await storedImport(store, f)
    if (!stored) {
      // The same document stored under another build: its config (or 32-bit-ness) reads
      // differently now than when it was imported. Never stored twice; the run stays put.
      const before = await storedUnderOtherBuild(store, f)
      if (before) {
        alreadyImported.push(i)
        runIds[i] = before.id
        const move = await moveIfBetterRead(store, f, before, options.now ?? (() => new Date()))
        if (move.moved) moved.push({ file: i, ...move.moved })
        if (move.warning) warnings.push(move.warning)
        continue
      }
      fresh.push(i)
      continue
    }
    alreadyImported.push(i)
    runIds[i] = stored.runId
    const b = f.spec.build
    // Re-keying writes before the batch's insert: a lineage is derived from the files and the
    // rules, so a batch refused after it loses no data (the same import re-keys the same way).
    // Unfinished: a new file of a build stored under an older placement joins that build's line;
    // only files imported before re-key their build.
    if (
      !relined.has(stored.build.id) &&
      (stored.build.branch !== b.branch || stored.build.metadata.history_order !== b.metadata.history_order)
    ) {
      relined.add(stored.build.id)
      const lineageKeys = ['ref', 'lineage_rule', 'lineage_note', 'history_order'] as const
      const metadata: Record<string, JsonObject[string]> = {}
      for (const k of lineageKeys) if (b.metadata[k] !== undefined) metadata[k] = b.metadata[k]
      await store.setBuildLineage(stored.build.id, { branch: b.branch, metadata })
      rekeyed.push({ buildId: stored.build.id, from: stored.build.branch, to: b.branch })
    }
  }
  // Stored one file at a time inside the store's one transaction: a run not held since the first
  // pass is read again, converted and written, so the batch is whole or absent without holding
  // all its samples.
  const again = async function* (): AsyncGenerator<RunWithResults> {
    for (const [k, i] of fresh.entries()) {
      if (k > 0) options.onProgress?.('store', k, fresh.length)
      const run = held.get(i)
      held.delete(i)
      yield run ?? (await readRunAgain(files[i]!, options))
    }
    options.onProgress?.('store', fresh.length, fresh.length)
  }
  const ids = fresh.length > 0 ? await store.insertRuns(again()) : []
  fresh.forEach((fileIndex, k) => {
    runIds[fileIndex] = ids[k]!
  })
  // A file given twice in one batch points at its first copy's run.
  for (const [i, id] of runIds.entries()) if (id < 0) runIds[i] = runIds[-1 - id]!
  return { files, runIds, alreadyImported, rekeyed, moved, warnings, skipped }
}

/**
 * A document stored before under another build of its commit: moved to the build its file reads
 * as now when that reading knows at least as much about the config (configRank), else left where
 * it is with a warning saying why. Never stored twice either way.
 */
async function moveIfBetterRead(
  store: RunWriter,
  f: ConvertedFile,
  before: RunRow,
  now: () => Date,
): Promise<{ moved?: Omit<MovedImport, 'file'>; warning?: string }> {
  const spec = f.spec
  const b = spec.build
  const source = String(b.metadata.config_source ?? 'none named')
  const old = before.build
  if (configRank(b.metadata.config_source, b.config) < configRank(old.metadata.config_source, old.config)) {
    return {
      warning: `${f.path}: imported before as run ${before.id} of build ${old.identity} (config ${old.config}, from the ${String(old.metadata.config_source ?? 'file name')}); this copy names no config as surely (${source}): nothing stored again and the run stays in its build`,
    }
  }
  const reason = `run ${before.id} moved from build ${old.identity} to ${b.identity}: its file reads as config ${b.config} (${source}) on ${spec.machine}`
  const done = await store.moveRun(before.id, {
    build: b,
    machine: spec.machine,
    environment: spec.environment,
    startedAt: spec.startedAt,
    at: now().toISOString(),
    reason,
  })
  return {
    moved: {
      runId: before.id,
      from: { identity: old.identity, config: old.config, machine: done.fromMachine },
      to: { identity: b.identity, config: b.config, machine: done.toMachine, configSource: source },
      superseded: done.supersededChangeIds.length,
    },
  }
}

/** A stored run as pyperf JSON (gzipped on request). */
export async function exportPyperf(
  store: RunReader,
  runId: number,
  options: { readonly gzip?: boolean } = {},
): Promise<Buffer> {
  const run = await store.getRunWithResults(runId)
  if (!run) throw new LangperfError('not-found', `Cannot export run ${runId}: no such run`)
  return encodePyperf(runToPyperf(run), options)
}
