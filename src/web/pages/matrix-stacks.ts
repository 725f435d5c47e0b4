import { readStack, type StackFacts } from '../../model/index.ts'
import {
  clientErrorMessage,
  compareFinished,
  type Out,
  type OverviewRow,
  type PageContext,
} from '../context.ts'

// The matrix split by numeric stack (`/matrix?split=stack`): two runs of one build and config
// on two stacks (NumPy wheels of two versions, or Debian's numpy on two BLAS) are one overview
// row, so the plain matrix shows only the newest stack. Split, each row's recent runs are read
// and each result put in the column of the stack it recorded (runner/suite: `stack`,
// `requirements`, `blas`, `thread_env` in its metadata); rows of the table match by workload
// name, since each stack's results have a workload version of their own (docs/decisions/0004).

/** Runs of a row read for their stacks, newest first. */
export const STACK_RUNS_READ = 10
/** The longest stack label shown (the metadata is the uploader's). */
const LABEL_CHARS = 120

type Json = unknown

/** How BLAS implementations are written (threadpoolctl's internal_api, --blas variants). */
const BLAS_NAMES: Readonly<Record<string, string>> = {
  openblas: 'OpenBLAS',
  blis: 'BLIS',
  mkl: 'MKL',
  reference: 'reference BLAS',
}

/** The kernel-choosing variables a label names when set (part of the version, decision 0004). */
const KERNEL_VARIABLES = ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE', 'BLIS_ARCH_TYPE'] as const

/**
 * A short name of the third-party stack a result ran on, from its metadata: "numpy 1.26.4 ·
 * OpenBLAS 0.3.21 Haswell · 1 thread", "system numpy 1.24.2 · BLIS 0.9.0 skx · 1 thread"
 * (`--system-packages`), the modules' versions for a stack without numpy; null for a result
 * that recorded no stack (a workload without requirements).
 */
export function stackLabel(metadata: Json): string | null {
  const stack = readStack(metadata)
  if (stack === null) return null
  const modules = new Map(stack.modules)
  const installed = stack.requirements?.installed ?? []
  const versionOf = (name: string) =>
    modules.get(name) ||
    installed.find((i) => i.toLowerCase().startsWith(`${name}==`))?.slice(name.length + 2) ||
    null
  const parts: string[] = []
  const system = stack.requirements?.mode === 'system' ? 'system ' : ''
  if (modules.has('numpy') || versionOf('numpy') !== null) {
    parts.push(`${system}numpy ${versionOf('numpy') ?? '?'}`)
    parts.push(...blasParts(stack))
  } else {
    const names = [...modules.keys()].sort()
    const listed = names.length > 0 ? names : installed.map((i) => i.split('==')[0]!)
    parts.push(`${system}${listed.map((n) => `${n} ${versionOf(n) ?? '?'}`).join(', ') || 'packages'}`)
  }
  for (const v of KERNEL_VARIABLES) {
    const value = stack.threadEnv[v]
    if (value) parts.push(`${v}=${value}`)
  }
  const label = parts.join(' · ')
  return label.length > LABEL_CHARS ? `${label.slice(0, LABEL_CHARS - 1)}…` : label
}

/** The BLAS part of a numpy stack's label: implementation, version, kernel set; its threads. */
function blasParts(stack: StackFacts): string[] {
  const blas = stack.libraries.find((l) => l.api === 'blas') ?? stack.libraries[0]
  const chosen = stack.chosen?.variant || null
  const reported = blas?.implementation?.toLowerCase() || null
  // --blas says what the loader was sent to (threadpoolctl does not know reference BLAS).
  const implementation = chosen !== null && chosen !== 'path' ? chosen : reported
  if (implementation === null) return []
  const sameLibrary = reported === implementation
  const version = sameLibrary ? blas?.version || null : null
  const arch = stack.blisArch || (sameLibrary ? blas?.architecture || null : null)
  const name = BLAS_NAMES[implementation] ?? implementation
  const out = [[name, version, arch].filter((p) => p !== null).join(' ')]
  const threads = blas?.threads ?? null
  if (threads !== null) out.push(`${threads} thread${threads === 1 ? '' : 's'}`)
  return out
}

/** A run as the split matrix keeps it: what compareFinished needs and the version shown. */
export interface SourceRun {
  readonly id: number
  readonly status: string
  readonly version: string
}

/** One column of the split matrix: a row's runs on one stack (null: the results without one). */
export interface StackColumn {
  readonly row: OverviewRow
  readonly stack: string | null
  /** Workload name → the run holding this stack's newest result of it. */
  readonly cells: ReadonlyMap<string, SourceRun>
  /** The newest run among the cells. */
  readonly newest: SourceRun
}

/**
 * The columns of each row: one per stack its recent runs recorded (newest first), each cell the
 * stack's newest measured result of the workload, and one for the latest run's results without a
 * stack (unless there are none and stacks are found).
 */
export async function stackColumns(ctx: PageContext, rows: readonly OverviewRow[]): Promise<StackColumn[]> {
  const out: StackColumn[] = []
  for (const row of rows) {
    const runs = await recentRuns(ctx, row)
    const stacks = new Map<string, Map<string, SourceRun>>()
    const plain = new Map<string, SourceRun>()
    const stacked = new Set<string>()
    for (const [i, { run, results }] of runs.entries()) {
      for (const r of results) {
        if (r.stack === null) {
          if (i === 0) plain.set(r.name, run)
          continue
        }
        stacked.add(r.name)
        if (!r.measured) continue
        const cells = stacks.get(r.stack) ?? new Map<string, SourceRun>()
        stacks.set(r.stack, cells)
        if (!cells.has(r.name)) cells.set(r.name, run)
      }
    }
    for (const name of stacked) plain.delete(name)
    const latest = runs[0]?.run ?? {
      id: row.latest.id,
      status: row.latest.status,
      version: row.latest.version,
    }
    if (plain.size > 0 || stacks.size === 0) out.push({ row, stack: null, cells: plain, newest: latest })
    for (const [stack, cells] of stacks) {
      const newest = [...cells.values()].reduce((a, b) => (b.id > a.id ? b : a))
      out.push({ row, stack, cells, newest })
    }
  }
  return out
}

/** What the split reads of one result: its workload, its stack's label and whether it was measured. */
export interface ResultStack {
  readonly name: string
  readonly stack: string | null
  readonly measured: boolean
}

/** Each result's stack of run `run`, read once per memo for a finished run (its results are final). */
export async function runStacks(
  ctx: PageContext,
  run: { readonly id: number; readonly status: string },
): Promise<readonly ResultStack[]> {
  const read = async () =>
    (await ctx.api.getRun({ params: { id: run.id }, query: {} })).results.map((r) => ({
      name: r.workload.name,
      stack: stackLabel(r.metadata),
      measured: r.outcome.state === 'measured',
    }))
  return ctx.memo === undefined || run.status === 'running'
    ? read()
    : ctx.memo.get(`run-stacks:${run.id}`, read)
}

/** A row's newest runs (up to its latest), with their results' stacks. */
async function recentRuns(
  ctx: PageContext,
  row: OverviewRow,
): Promise<{ readonly run: SourceRun; readonly results: readonly ResultStack[] }[]> {
  const page = await ctx.api.listRuns({
    query: { machine: row.machine, runtime: row.runtime, config: row.config, limit: 100 },
  })
  const runs = page.items
    .filter((r) => r.build.branch === row.branch && r.id <= row.latest.id)
    .sort((a, b) => b.id - a.id)
    .slice(0, STACK_RUNS_READ)
  return Promise.all(
    runs.map(async (r) => ({
      run: { id: r.id, status: r.status, version: r.build.version },
      results: await runStacks(ctx, r),
    })),
  )
}

/** The cells a baseline column gives each workload, and the run for the others. */
export interface SplitBaseline {
  readonly run: SourceRun
  readonly column: StackColumn | null
}

/** A column's cells against the baseline: the API's comparison row of each workload, or why not. */
export interface SplitCompared {
  readonly column: StackColumn
  readonly rows: ReadonlyMap<string, Out<'compare'>['rows'][number]>
  /** Workload name → the id of the baseline's run it is compared with. */
  readonly bases: ReadonlyMap<string, number>
  /** The comparisons the cells came from (one when the column's and the baseline's cells are one run each). */
  readonly pairs: readonly { readonly base: number; readonly candidate: number }[]
  readonly errors: readonly string[]
}

/**
 * Each column against the baseline: per workload, the comparison of the baseline column's run of
 * it (else the baseline run) with the column's run of it, by workload name whatever the versions.
 */
export async function compareColumns(
  ctx: PageContext,
  columns: readonly StackColumn[],
  baseline: SplitBaseline,
): Promise<SplitCompared[]> {
  return Promise.all(
    columns.map(async (column) => {
      const byPair = new Map<string, { base: SourceRun; candidate: SourceRun; workloads: string[] }>()
      const bases = new Map<string, number>()
      for (const [w, run] of column.cells) {
        const base = baseline.column?.cells.get(w) ?? baseline.run
        bases.set(w, base.id)
        const key = `${base.id}:${run.id}`
        const pair = byPair.get(key) ?? { base, candidate: run, workloads: [] }
        byPair.set(key, pair)
        pair.workloads.push(w)
      }
      const rows = new Map<string, Out<'compare'>['rows'][number]>()
      const errors: string[] = []
      for (const pair of byPair.values()) {
        try {
          const result = await compareFinished(ctx, pair.base, pair.candidate, { allowVersionMismatch: true })
          for (const r of result.rows) if (pair.workloads.includes(r.workload)) rows.set(r.workload, r)
        } catch (error) {
          const message = clientErrorMessage(error)
          if (message === undefined) throw error
          errors.push(message)
        }
      }
      const pairs = [...byPair.values()].map((p) => ({ base: p.base.id, candidate: p.candidate.id }))
      return { column, rows, bases, pairs, errors }
    }),
  )
}

/** The geometric mean of a column's ratios (a point estimate: its cells may come from several runs). */
export function columnGeometricMean(
  compared: SplitCompared,
): { readonly value: number; readonly n: number } | null {
  const ratios = [...compared.rows.values()]
    .map((r) => r.ratio)
    .filter((r): r is number => r !== null && r > 0)
  if (ratios.length === 0) return null
  return { value: Math.exp(ratios.reduce((s, r) => s + Math.log(r), 0) / ratios.length), n: ratios.length }
}
