// Values per process against processes, measured (issue 13; docs/stats.md "Values per process"):
// one `langperf run` of the chosen workloads (default preset: 20 processes × 3 values), then for
// each workload its within- and between-process noise, what a process costs besides its
// values and what a value costs, the values per process that reach the same interval for the
// least machine time (two-stage allocation) and that machine time against the measured one.
// Prints figures; asserts nothing.
//
//   node --import tsx bench/allocation.ts [--python python3] [--workloads nbody,generators,json_roundtrip,regex_logs]
//        [--preset fast|default|rigorous] [--db FILE (read its newest run instead of running)]
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { samplingAdvice } from '../src/analysis/index.ts'
import { openSqliteStore } from '../src/store/index.ts'
import { langperf } from './shared.ts'

const { values } = parseArgs({
  options: {
    python: { type: 'string', default: 'python3' },
    workloads: { type: 'string', default: 'nbody,generators,json_roundtrip,regex_logs' },
    preset: { type: 'string', default: 'default' },
    db: { type: 'string' },
  },
})
const flags: Readonly<Record<string, readonly string[]>> = {
  fast: ['--fast'],
  default: [],
  rigorous: ['--rigorous'],
}
const presetFlags = flags[values.preset]
if (presetFlags === undefined) throw new Error('--preset must be fast, default or rigorous')

const dir = values.db === undefined ? mkdtempSync(join(tmpdir(), 'langperf-allocation-')) : undefined
const db = values.db ?? join(dir as string, 'runs.db')
try {
  if (values.db === undefined) {
    const load = loadavg()[0] ?? Number.NaN
    const started = performance.now()
    langperf(db, [
      'run',
      '--python',
      values.python,
      ...values.workloads.split(',').flatMap((w) => ['-w', w]),
      ...presetFlags,
      '--no-progress',
      '--json',
    ])
    console.log(
      `one run of ${values.python} (--preset ${values.preset}) in ${((performance.now() - started) / 1000).toFixed(0)} s; load average at its start ${load.toFixed(2)}`,
    )
  }
  const store = await openSqliteStore(db)
  try {
    const [run] = (await store.listRuns({ limit: 1, status: 'complete' })).rows
    if (run === undefined) throw new Error(`no complete run in ${db}`)
    const pct = (variance: number) => `${(Math.sqrt(variance) * 100).toFixed(2)} %`
    for (const r of await store.getResults(run.id, { withSamples: true })) {
      const a = samplingAdvice(r)
      if ('reason' in a) {
        console.log(`${r.workload.name.padEnd(16)} no advice: ${a.reason}`)
        continue
      }
      console.log(
        `${r.workload.name.padEnd(16)} σ within ${pct(a.components.within)}, between ${pct(a.components.between)} ` +
          `(${a.components.processes} processes); a process costs ${a.costs.processS.toFixed(2)} s besides its values, a value ${a.costs.valueS.toFixed(3)} s; ` +
          `values per process: measured ${a.measuredValues.toFixed(0)}, best ${a.allocation.values} (optimum ${a.allocation.optimum.toFixed(1)}, ${a.allocation.reason}); ` +
          `machine time for the same interval ${a.timeRatio.toFixed(2)}× the measured allocation's`,
      )
    }
  } finally {
    await store.close()
  }
} finally {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
}
