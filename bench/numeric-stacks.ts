// NumPy stacks side by side on one interpreter, through the product's own commands: one
// `langperf run --requirements-override numpy==X` per NumPy version (each stack in a virtual
// environment of its own, made on first use from pip's configured index, its own series), then
// `langperf compare` of each run against the first stack. Prints each stack's median and mean
// per workload, the BLAS that numpy loaded, and the ratio to the first stack with its 95 %
// interval (separate runs, so compare's between-run noise is in the interval).
//
//   node --import tsx bench/numeric-stacks.ts [--python python3.11] [--numpy 1.26.4,2.0.2,2.4.6]
//        [--workloads np_matmul,np_fft] [--processes 8] [--cache-dir DIR]
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { langperf } from './shared.ts'

const { values } = parseArgs({
  options: {
    python: { type: 'string', default: 'python3.11' },
    numpy: { type: 'string', default: '1.26.4,2.0.2,2.4.6' },
    workloads: { type: 'string', default: 'np_matmul,np_fft' },
    processes: { type: 'string', default: '8' },
    'cache-dir': { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
})
const versions = values.numpy.split(',').filter(Boolean)
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

const runIds: number[] = []
for (const v of versions) {
  const out = JSON.parse(
    cli([
      'run',
      '--python',
      values.python,
      ...workloads.flatMap((w) => ['-w', w]),
      '--requirements-override',
      `numpy==${v}`,
      '--cache-dir',
      cacheDir,
      '--fast',
      '--processes',
      values.processes,
      '--no-progress',
      '--json',
    ]),
  ) as { runIds: number[] }
  runIds.push(out.runIds[0]!)
}

console.log(
  `numpy stacks on ${values.python}, ${values.processes} processes each, separate runs (load ${loadavg()[0]!.toFixed(1)})`,
)
const shown = runIds.map((id) => JSON.parse(cli(['show', String(id), '--json'])) as Shown)
const blas = shown[0]?.results[0]?.metadata.stack?.blas?.libraries?.[0]
for (const [i, s] of shown.entries()) {
  const lib = s.results.find((r) => r.metadata.stack)?.metadata.stack?.blas?.libraries?.[0]
  console.log(
    `  numpy ${versions[i]} (run ${runIds[i]}): ${lib ? `${lib.implementation} ${lib.version} ${lib.architecture ?? ''}, ${lib.threads} thread(s)` : 'no BLAS recorded'}`,
  )
}
if (blas === undefined) console.log('  (no stack recorded: was the install skipped? see `langperf show`)')
const compared = runIds
  .slice(1)
  .map(
    (id) =>
      JSON.parse(
        cli(['compare', String(runIds[0]), String(id), '--allow-version-mismatch', '--json']),
      ) as Compared,
  )
console.log()
console.log(
  [
    'workload',
    ...versions.map((v) => `numpy ${v} median / mean`),
    ...versions.slice(1).map((v) => `${v} ÷ ${versions[0]} [95 %]`),
  ].join(' | '),
)
for (const w of workloads) {
  const cells = shown.map((s) => {
    const r = s.results.find((x) => x.workload.name === w)
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
  console.log([w, ...cells, ...ratios].join(' | '))
}
if (values.keep) console.log(`\nkept ${dir}`)
else rmSync(dir, { recursive: true, force: true })
