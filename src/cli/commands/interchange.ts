import { writeFile } from 'node:fs/promises'
import {
  expandImportPaths,
  exportPyperf,
  importPyperfFiles,
  openLineageRepository,
  placeInRepository,
  resolveRunSelector,
} from '../../analysis/index.ts'
import { LangperfError } from '../../lib/index.ts'
import { type CommonOptions, type Ctx, withStore, withStoreCreating } from '../context.ts'
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
  readonly repo?: string
  readonly strict?: boolean
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
  const repository = options.repo ? await openLineageRepository(options.repo) : null
  const paths = await expandImportPaths(files)
  if (paths.files.length === 0)
    throw new LangperfError(
      'bad-input',
      `Cannot import: expected result files (.json, .json.gz) in ${files.map((f) => `"${f}"`).join(', ')}, found none`,
    )
  return withStoreCreating(options, async (store) => {
    // Progress on stderr for a batch long enough to wait for (a results tree): each pass in tenths.
    let shown = -1
    const report = await importPyperfFiles(store, paths.files, {
      overrides,
      walked: paths.walked,
      onProgress: (phase, done, total) => {
        if (options.json || total < 100) return
        const tenth = Math.floor((10 * done) / total)
        if ((tenth === 0 || tenth === shown) && done !== total) return
        shown = done === total ? -1 : tenth
        log(
          ctx.io,
          `  ${phase === 'read' ? 'read' : 'stored'} ${done}/${total} ${phase === 'read' ? 'files' : 'new runs'}`,
        )
      },
      ...(repository
        ? {
            place: async (facts) => {
              const p = await placeInRepository(repository, facts)
              return {
                lineage: { placement: p.placement, historyOrder: p.historyOrder, fullSha: p.fullSha },
                warnings: p.warnings,
              }
            },
          }
        : {}),
      ...(options.strict ? { strict: true } : {}),
    })
    const { runIds } = report
    const already = new Set(report.alreadyImported)
    const movedFiles = new Set(report.moved.map((m) => m.file))
    if (options.json) {
      printJson(ctx.io, {
        runs: report.files.map((f, i) => ({
          runId: runIds[i],
          file: f.path,
          alreadyImported: already.has(i),
          workloads: f.workloads,
          build: f.spec.build,
          warnings: f.warnings,
        })),
        rekeyed: report.rekeyed,
        moved: report.moved,
        warnings: report.warnings,
        skipped: report.skipped,
      })
      return 0
    }
    for (const [i, f] of report.files.entries()) {
      const b = f.spec.build
      println(
        ctx.io,
        `run ${runIds[i]}: ${f.path} → ${b.runtime}-${b.version} ${b.config}${b.commitSha ? ` ${b.commitSha.slice(0, 10)}` : ''} on ${f.spec.machine}, line ${b.branch ?? '(unplaced)'}, ${f.workloads} benchmarks, ${f.values} values${movedFiles.has(i) ? ' (imported before: moved to this build)' : already.has(i) ? ' (already imported: nothing stored)' : ''}`,
      )
    }
    for (const w of report.warnings) log(ctx.io, `warning: ${w}`)
    for (const k of report.skipped) log(ctx.io, `skipped ${k.path}: ${k.why}`)
    // Where each build's config came from, so a copy that lost bench_runner's names shows.
    const bySource = new Map<string, Map<string, number>>()
    for (const f of report.files) {
      const b = f.spec.build
      const source = String(b.metadata.config_source ?? 'none named')
      const configs = bySource.get(source) ?? new Map<string, number>()
      configs.set(b.config, (configs.get(b.config) ?? 0) + 1)
      bySource.set(source, configs)
    }
    for (const [source, configs] of bySource)
      log(
        ctx.io,
        `config ${source === 'none named' ? 'default (no flags named)' : `from the ${source === 'option' ? '--config option' : source}`}: ${[...configs].map(([c, n]) => `${c} ${n}`).join(', ')}`,
      )
    // What the placement inferred, by rule: the user can check the rules against the files.
    const byRule = new Map<string, { count: number; example: string }>()
    for (const f of report.files) {
      const rule = String(f.spec.build.metadata.lineage_rule ?? 'unplaced')
      const seen = byRule.get(rule)
      if (seen) seen.count++
      else byRule.set(rule, { count: 1, example: `${f.path}: ${String(f.spec.build.metadata.lineage_note)}` })
    }
    for (const [rule, { count, example }] of byRule)
      log(ctx.io, `lineage ${rule}: ${count} file(s), e.g. ${example}`)
    for (const k of report.rekeyed)
      log(
        ctx.io,
        `re-keyed build ${k.buildId}: line ${k.from ?? '(none)'} → ${k.to ?? '(none)'} (run \`langperf detect\` to follow)`,
      )
    for (const m of report.moved)
      log(
        ctx.io,
        `moved run ${m.runId}: build ${m.from.identity} (${m.from.config} on ${m.from.machine}) → ${m.to.identity} (${m.to.config} on ${m.to.machine}, config ${m.to.configSource === 'none named' ? 'named by nobody' : `from the ${m.to.configSource}`})${m.superseded > 0 ? `; ${m.superseded} change(s) recorded on the series it left and joined superseded` : ''} (run \`langperf detect\` to re-judge)`,
      )
    const stored = runIds.length - report.alreadyImported.length
    log(
      ctx.io,
      `Imported ${stored} file(s)${report.alreadyImported.length > 0 ? `; ${report.alreadyImported.length} already imported` : ''}${report.skipped.length > 0 ? `; skipped ${report.skipped.length} that are no pyperf result` : ''}`,
    )
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
