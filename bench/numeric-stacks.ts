// NumPy stacks side by side on one interpreter, through the product's own commands: one
// `langperf run --requirements-override numpy==X` per NumPy version (each stack in a virtual
// environment of its own, made on first use from pip's configured index, its own series), then
// `langperf compare` of each run against the first stack. Prints each stack's median and mean
// per workload, the BLAS that numpy loaded, and the ratio to the first stack with its 95 %
// interval (separate runs, so compare's between-run noise is in the interval). Stacks cannot be
// interleaved process by process as interpreters are, so each repeat runs them in the reverse
// order of the one before: a drift of the machine then shows as repeats that disagree.
// With --blas: the first stack is the workloads' own pip pins (a venv), the others Debian's
// python3-numpy on each BLAS variant (`--system-packages --blas V`), on the same interpreter.
//
//   node --import tsx bench/numeric-stacks.ts [--python python3.11] [--numpy 1.26.4,2.0.2,2.4.6]
//        [--workloads np_matmul,np_fft] [--processes 8] [--repeats 2] [--cache-dir DIR] [--keep]
//   node --import tsx bench/numeric-stacks.ts --blas [--variants reference,openblas,blis] [--python /usr/bin/python3]
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { langperf } from './shared.ts'

const { values } = parseArgs({
  options: {
    python: { type: 'string' },
    blas: { type: 'boolean', default: false },
    variants: { type: 'string', default: 'reference,openblas,blis' },
    numpy: { type: 'string', default: '1.26.4,2.0.2,2.4.6' },
    workloads: { type: 'string', default: 'np_matmul,np_fft' },
    processes: { type: 'string', default: '8' },
    'cache-dir': { type: 'string' },
    repeats: { type: 'string', default: '2' },
    keep: { type: 'boolean', default: false },
  },
})
/** A stack: its label and the `langperf run` options that select it. */
interface Stack {
  readonly label: string
  readonly args: readonly string[]
}
const python = values.python ?? (values.blas ? '/usr/bin/python3' : 'python3.11')
const stacks: readonly Stack[] = values.blas
  ? [
      { label: 'pip wheel', args: [] },
      ...values.variants
        .split(',')
        .filter(Boolean)
        .map((v) => ({ label: `system ${v}`, args: ['--system-packages', '--blas', v] })),
    ]
  : values.numpy
      .split(',')
      .filter(Boolean)
      .map((v) => ({ label: `numpy ${v}`, args: ['--requirements-override', `numpy==${v}`] }))
const versions = stacks.map((s) => s.label)
const stackOf = new Map(stacks.map((s) => [s.label, s]))
const repeats = Number(values.repeats)
if (!Number.isInteger(repeats) || repeats < 1) throw new Error('--repeats must be a positive integer')
const workloads = values.workloads.split(',').filter(Boolean)
const dir = mkdtempSync(join(tmpdir(), 'langperf-stacks-'))
const db = join(dir, 'runs.db')
const cacheDir = values['cache-dir'] ?? join(dir, 'cache')
const cli = (args: readonly string[]): string => langperf(db, args, true)

interface Shown {
  readonly results: readonly {
    readonly workload: { readonly name: string }
    readonly outcome: { readonly state: string; readonly message?: string }
    readonly summary: {
      readonly median: number | null
      readonly mean: number | null
      readonly nProcesses: number
    }
    readonly metadata: {
      readonly stack?: { readonly blas?: { readonly libraries?: readonly Record<string, unknown>[] } }
      readonly blas?: { readonly loaded?: readonly string[] }
      readonly requirements?: { readonly installed?: readonly string[] }
    }
  }[]
}

interface Compared {
  readonly rows: readonly {
    readonly workload: string
    readonly comparison: {
      readonly kind: string
      readonly ratio: number
      readonly low: number
      readonly high: number
      readonly verdict: string
    }
  }[]
}

const ms = (s: number | null | undefined) => (s == null ? '–' : `${(s * 1000).toFixed(3)} ms`)

/** One `langperf run` of every workload on the stack labelled `label`; its run id. */
function runStack(label: string): number {
  const out = JSON.parse(
    cli([
      'run',
      '--python',
      python,
      ...workloads.flatMap((w) => ['-w', w]),
      ...stackOf.get(label)!.args,
      '--cache-dir',
      cacheDir,
      '--fast',
      '--processes',
      values.processes,
      '--no-progress',
      '--json',
    ]),
  ) as { runIds: number[] }
  return out.runIds[0]!
}

/** Prints one repeat: each stack's BLAS, then per workload the medians and the ratios to the first stack. */
function report(repeat: number, order: readonly string[], runIds: ReadonlyMap<string, number>): void {
  const id = (v: string) => runIds.get(v)!
  console.log(
    `\nrepeat ${repeat + 1}: stacks run in the order ${order.join(', ')} (load ${loadavg()[0]!.toFixed(1)} at the end)`,
  )
  const shown = new Map(versions.map((v) => [v, JSON.parse(cli(['show', String(id(v)), '--json'])) as Shown]))
  for (const v of versions) {
    const meta = shown.get(v)?.results.find((r) => r.metadata.stack)?.metadata
    const lib = meta?.stack?.blas?.libraries?.[0]
    const numpy = meta?.requirements?.installed?.find((r) => r.startsWith('numpy=='))
    const loaded = meta?.blas?.loaded?.map((l) => l.split('/').slice(-2).join('/')).join(', ')
    console.log(
      `  ${v} (run ${id(v)}, ${numpy ?? 'numpy ?'}): ${loaded ? `loaded ${loaded}` : lib ? `${lib.implementation} ${lib.version} ${lib.architecture ?? ''}, ${lib.threads} thread(s)` : 'no BLAS recorded (install skipped? see `langperf show`)'}`,
    )
  }
  const [first, ...rest] = versions
  const compared = rest.map(
    (v) =>
      JSON.parse(
        cli(['compare', String(id(first!)), String(id(v)), '--allow-version-mismatch', '--json']),
      ) as Compared,
  )
  console.log(
    [
      '  workload',
      ...versions.map((v) => `${v} median / mean`),
      ...rest.map((v) => `${v} ÷ ${first} [95 %]`),
    ].join(' | '),
  )
  for (const w of workloads) {
    const cells = versions.map((v) => {
      const r = shown.get(v)?.results.find((x) => x.workload.name === w)
      return r?.outcome.state === 'measured'
        ? `${ms(r.summary.median)} / ${ms(r.summary.mean)}`
        : `${r?.outcome.state}: ${r?.outcome.message ?? ''}`
    })
    const ratios = compared.map((c) => {
      const row = c.rows.find((x) => x.workload === w)?.comparison
      return row?.kind === 'comparison'
        ? `${row.ratio.toFixed(3)} [${row.low.toFixed(3)}, ${row.high.toFixed(3)}] ${row.verdict}`
        : 'not compared'
    })
    console.log([`  ${w}`, ...cells, ...ratios].join(' | '))
  }
}

console.log(
  `numpy stacks on ${python}: ${values.processes} processes per workload and stack, each stack a separate run; the order of the stacks reverses every repeat`,
)
for (let repeat = 0; repeat < repeats; repeat++) {
  const order = repeat % 2 === 0 ? versions : [...versions].reverse()
  const runIds = new Map(order.map((v) => [v, runStack(v)] as const))
  report(repeat, order, runIds)
}
if (values.keep) console.log(`\nkept ${dir}`)
else rmSync(dir, { recursive: true, force: true })
