import { readFile, stat } from 'node:fs/promises'
import { basename } from 'node:path'
import { canonicalJson, type JsonObject, LangperfError, sha256Hex } from '../lib/index.ts'
import type { LineageFacts, RunWithResults } from '../model/index.ts'
import type { BuildCatalog, BuildRow, RunReader, RunWriter } from '../store/index.ts'
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
  readonly onProgress?: (done: number, total: number) => void
}

/** One file read and converted, with what the import inferred and what it doubts. */
export interface ConvertedFile {
  readonly path: string
  readonly run: RunWithResults
  /** SHA-256 of the canonical document: the same results imported twice are one run. */
  readonly digest: string
  readonly warnings: readonly string[]
}

/** Metadata key of an imported run holding its file's digest (removed again on export). */
export const IMPORT_DIGEST_KEY = 'langperf_import_digest'

/** Commit dates later than this past the clock are not believed. */
const FUTURE_TOLERANCE_MS = 24 * 3600 * 1000

/** Reads, validates and converts pyperf files without storing anything (all must be valid). */
export async function readPyperfFiles(
  paths: readonly string[],
  options: PyperfImportOptions = {},
): Promise<ConvertedFile[]> {
  const out: ConvertedFile[] = []
  const now = (options.now ?? (() => new Date()))()
  for (const [i, path] of paths.entries()) {
    options.onProgress?.(i, paths.length)
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
    const text = decodePyperfBytes(await readFile(path), path)
    const doc = parsePyperf(text, path)
    const warnings: string[] = []
    let lineage: ImportLineage | undefined
    if (options.place && !options.overrides?.branch) {
      const placed = await options.place(pyperfLineageFacts(doc))
      lineage = placed.lineage
      warnings.push(...placed.warnings)
    }
    const run = pyperfToRun(doc, basename(path), options.overrides ?? {}, lineage)
    // Of the document, not the bytes: the same results re-exported or re-compressed are one run.
    const digest = sha256Hex(canonicalJson(doc))
    const date = run.run.build.commitDateUtc
    if (date && Date.parse(date) > now.getTime() + FUTURE_TOLERANCE_MS) {
      warnings.push(`commit date ${date} is in the future`)
    }
    if (run.run.build.commitSha && !date)
      warnings.push('commit has no readable commit_date: it cannot be ordered')
    if (run.run.build.branch === null) warnings.push(String(run.run.build.metadata.lineage_note))
    out.push({
      path,
      run: { ...run, run: { ...run.run, metadata: { ...run.run.metadata, [IMPORT_DIGEST_KEY]: digest } } },
      digest,
      warnings: warnings.map((w) => `${path}: ${w}`),
    })
  }
  options.onProgress?.(paths.length, paths.length)
  return out
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
  readonly warnings: readonly string[]
}

/** The stored run of an earlier import of the same file, if any. */
async function storedImport(
  store: RunReader & BuildCatalog,
  file: ConvertedFile,
): Promise<{ runId: number; build: BuildRow } | null> {
  const [build] = await store.findBuilds({ identity: file.run.run.build.identity, limit: 1 })
  if (!build) return null
  const runs = await store.listRuns({ buildId: build.id, limit: 1000 })
  const name = file.run.run.metadata.langperf_import_file
  for (const r of runs.rows) {
    if (r.source !== 'pyperf-import' || r.machine !== file.run.run.machine) continue
    const digest = r.metadata[IMPORT_DIGEST_KEY]
    // Runs imported before digests were kept: the same file name, start and build.
    if (
      digest === file.digest ||
      (digest === undefined &&
        r.metadata.langperf_import_file === name &&
        r.startedAt === file.run.run.startedAt)
    )
      return { runId: r.id, build: r.build }
  }
  return null
}

/**
 * Imports pyperf files as one batch: every file is validated before anything is written, and the
 * batch is stored in one transaction, so a bad file leaves the database unchanged. A file stored
 * before (same content) is not stored again; a build whose line of development the placement now
 * reads differently is moved (re-keyed). With `strict`, any warning refuses the whole batch.
 */
export async function importPyperfFiles(
  store: RunWriter & RunReader & BuildCatalog,
  paths: readonly string[],
  options: PyperfImportOptions = {},
): Promise<PyperfImportReport> {
  const files = await readPyperfFiles(paths, options)
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
  const moved = new Set<number>()
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
      fresh.push(i)
      continue
    }
    alreadyImported.push(i)
    runIds[i] = stored.runId
    const b = f.run.run.build
    // Re-keying writes before the batch's insert: a lineage is derived from the files and the
    // rules, so a batch refused after it loses no data (the same import re-keys the same way).
    // Unfinished: a new file of a build stored under an older placement joins that build's line;
    // only files imported before re-key their build.
    if (
      !moved.has(stored.build.id) &&
      (stored.build.branch !== b.branch || stored.build.metadata.history_order !== b.metadata.history_order)
    ) {
      moved.add(stored.build.id)
      const lineageKeys = ['ref', 'lineage_rule', 'lineage_note', 'history_order'] as const
      const metadata: Record<string, JsonObject[string]> = {}
      for (const k of lineageKeys) if (b.metadata[k] !== undefined) metadata[k] = b.metadata[k]
      await store.setBuildLineage(stored.build.id, { branch: b.branch, metadata })
      rekeyed.push({ buildId: stored.build.id, from: stored.build.branch, to: b.branch })
    }
  }
  const ids = await store.insertRuns(fresh.map((i) => files[i]!.run))
  fresh.forEach((fileIndex, k) => {
    runIds[fileIndex] = ids[k]!
  })
  // A file given twice in one batch points at its first copy's run.
  for (const [i, id] of runIds.entries()) if (id < 0) runIds[i] = runIds[-1 - id]!
  return { files, runIds, alreadyImported, rekeyed, warnings }
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
