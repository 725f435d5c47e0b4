import { readFile, stat } from 'node:fs/promises'
import { basename } from 'node:path'
import { LangperfError } from '../lib/index.ts'
import type { RunWithResults } from '../model/index.ts'
import type { Store } from '../store/index.ts'
import {
  decodePyperfBytes,
  encodePyperf,
  MAX_PYPERF_BYTES,
  type PyperfImportOverrides,
  parsePyperf,
  pyperfToRun,
  runToPyperf,
} from './pyperf.ts'

/** Reads, validates and converts pyperf files without storing anything (all must be valid). */
export async function readPyperfFiles(
  paths: readonly string[],
  overrides: PyperfImportOverrides = {},
): Promise<RunWithResults[]> {
  const runs: RunWithResults[] = []
  for (const path of paths) {
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
    runs.push(pyperfToRun(parsePyperf(text, path), basename(path), overrides))
  }
  return runs
}

/**
 * Imports pyperf files as one batch: every file is validated before anything is written, and the
 * batch is stored in one transaction, so a bad file leaves the database unchanged.
 */
export async function importPyperfFiles(
  store: Store,
  paths: readonly string[],
  overrides: PyperfImportOverrides = {},
): Promise<{ runIds: number[]; runs: RunWithResults[] }> {
  const runs = await readPyperfFiles(paths, overrides)
  const runIds = await store.insertRuns(runs)
  return { runIds, runs }
}

/** A stored run as pyperf JSON (gzipped on request). */
export async function exportPyperf(
  store: Store,
  runId: number,
  options: { readonly gzip?: boolean } = {},
): Promise<Buffer> {
  const run = await store.getRunWithResults(runId)
  if (!run) throw new LangperfError('not-found', `Cannot export run ${runId}: no such run`)
  return encodePyperf(runToPyperf(run), options)
}
