import { writeFile } from 'node:fs/promises'
import { exportPyperf, importPyperfFiles, resolveRunSelector } from '../../analysis/index.ts'
import { LangperfError } from '../../lib/index.ts'
import { type CommonOptions, type Ctx, withStore } from '../context.ts'
import { log, printJson, println } from '../output.ts'

/** The formats `import` and `export` know. */
export const INTERCHANGE_FORMATS = ['pyperf'] as const

function checkFormat(format: string, verb: string): void {
  if (!(INTERCHANGE_FORMATS as readonly string[]).includes(format)) {
    throw new LangperfError(
      'bad-input',
      `Cannot ${verb} format "${format}": expected one of ${INTERCHANGE_FORMATS.join(', ')}`,
    )
  }
}

/** Options of `langperf import`. */
export interface ImportOptions extends CommonOptions {
  readonly runtime?: string
  readonly config?: string
  readonly machine?: string
  readonly branch?: string
}

/** `langperf import pyperf FILE…`: all files or none. */
export async function importCommand(
  ctx: Ctx,
  format: string,
  files: readonly string[],
  options: ImportOptions,
): Promise<number> {
  checkFormat(format, 'import')
  if (files.length === 0) throw new LangperfError('bad-input', 'Cannot import: expected at least one FILE')
  const overrides = {
    ...(options.runtime ? { runtime: options.runtime } : {}),
    ...(options.config ? { config: options.config } : {}),
    ...(options.machine ? { machine: options.machine } : {}),
    ...(options.branch ? { branch: options.branch } : {}),
  }
  return withStore(options, async (store) => {
    const { runIds, runs } = await importPyperfFiles(store, files, overrides)
    if (options.json) {
      printJson(
        ctx.io,
        runIds.map((id, i) => ({
          runId: id,
          file: files[i],
          workloads: runs[i]?.results.length,
          build: runs[i]?.run.build,
        })),
      )
      return 0
    }
    for (const [i, id] of runIds.entries()) {
      const r = runs[i]!
      const values = r.results.reduce((n, x) => n + x.processes.reduce((m, p) => m + p.values.length, 0), 0)
      println(
        ctx.io,
        `run ${id}: ${files[i]} → ${r.run.build.runtime}-${r.run.build.version} ${r.run.build.config}${r.run.build.commitSha ? ` ${r.run.build.commitSha.slice(0, 10)}` : ''} on ${r.run.machine}, ${r.results.length} benchmarks, ${values} values`,
      )
    }
    log(ctx.io, `Imported ${runIds.length} file(s)`)
    return 0
  })
}

/** Options of `langperf export`. */
export interface ExportOptions extends CommonOptions {
  readonly out?: string
  readonly gzip?: boolean
}

/** `langperf export pyperf RUN`: to a file or to stdout. */
export async function exportCommand(
  ctx: Ctx,
  format: string,
  selector: string,
  options: ExportOptions,
): Promise<number> {
  checkFormat(format, 'export')
  const gzip = options.gzip ?? Boolean(options.out?.endsWith('.gz'))
  if (gzip && !options.out && (ctx.io.out as NodeJS.WriteStream).isTTY) {
    throw new LangperfError(
      'bad-input',
      'Cannot write gzip to a terminal: give --out FILE or redirect stdout',
    )
  }
  return withStore(options, async (store) => {
    const id = await resolveRunSelector(store, selector)
    const bytes = await exportPyperf(store, id, { gzip })
    if (options.out) {
      await writeFile(options.out, bytes)
      log(ctx.io, `Wrote run ${id} to ${options.out} (${bytes.length} bytes)`)
    } else ctx.io.out.write(bytes)
    return 0
  })
}
