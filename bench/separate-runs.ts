// A/A across separate runs, through the product's own commands: `langperf run` of one
// interpreter N times (each its own run, minutes apart, on whatever load the machine has), then
// `langperf compare` of consecutive runs. Prints how often the 95 % interval covers 1.0 (it
// should, ≥ 90 %: the runs are of one build) with the interval compare gives — between-run noise
// included — and with the within-run interval alone (Welch on the process means, what compare
// said before). With --against, also runs a second interpreter in separate runs and prints how
// many of its workloads compare calls changed, beside the truth from one interleaved run of
// both with more processes, and what the separate runs said per workload.
//
//   node --import tsx bench/separate-runs.ts [--python python3] [--runs 8]
//        [--workloads nbody,generators,json_roundtrip,regex_logs] [--against python3.12]
//        [--preset fast|default|rigorous]   (fast when absent, as the first figures were taken)
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { studentTQuantile } from '../src/stats/index.ts'
import { langperf } from './shared.ts'

const { values } = parseArgs({
  options: {
    python: { type: 'string', default: 'python3' },
    against: { type: 'string' },
    runs: { type: 'string', default: '8' },
    workloads: { type: 'string', default: 'nbody,generators,json_roundtrip,regex_logs' },
    keep: { type: 'boolean', default: false },
    preset: { type: 'string', default: 'fast' },
  },
})
const PRESET_FLAGS: Readonly<Record<string, readonly string[]>> = {
  fast: ['--fast'],
  default: [],
  rigorous: ['--rigorous'],
}
const presetFlag = PRESET_FLAGS[values.preset]
if (presetFlag === undefined) throw new Error('--preset must be fast, default or rigorous')
const runs = Number(values.runs)
if (!Number.isInteger(runs) || runs < 2) throw new Error('--runs must be an integer ≥ 2')
const workloads = values.workloads.split(',').filter(Boolean)
const dir = mkdtempSync(join(tmpdir(), 'langperf-separate-'))
const db = join(dir, 'runs.db')
const cli = (args: readonly string[]): string => langperf(db, args)

interface RunOut {
  readonly runIds: readonly number[]
}

function run(pythons: readonly string[], extra: readonly string[] = []): number[] {
  const w = workloads.flatMap((x) => ['-w', x])
  const out = JSON.parse(
    cli([
      'run',
      ...pythons.flatMap((p) => ['--python', p]),
      ...w,
      ...(presetFlag ?? []),
      '--no-progress',
      '--json',
      ...extra,
    ]),
  ) as RunOut
  return [...out.runIds]
}

interface Row {
  readonly workload: string
  readonly comparison: {
    readonly kind: string
    readonly verdict: string
    readonly ratio: number
    readonly low: number
    readonly high: number
    readonly welch?: { readonly meanDifference: number; readonly stderr: number; readonly dof: number }
  }
  readonly betweenRuns: { readonly source: string; readonly sigma: number } | null
}

function compare(a: number, b: number): readonly Row[] {
  return (JSON.parse(cli(['compare', String(a), String(b), '--json'])) as { rows: Row[] }).rows
}

/** The within-run 95 % interval alone (Welch on log process means), from compare's JSON. */
function withinOnly(r: Row): { low: number; high: number } | null {
  const w = r.comparison.welch
  if (!w || !(w.stderr > 0)) return null
  const half = studentTQuantile(0.975, w.dof) * w.stderr
  return { low: Math.exp(w.meanDifference - half), high: Math.exp(w.meanDifference + half) }
}

const covers = (i: { low: number; high: number }) => i.low <= 1 && i.high >= 1

try {
  const ids: number[] = []
  const loads: number[] = []
  const others: number[] = []
  for (let i = 0; i < runs; i++) {
    loads.push(loadavg()[0] ?? 0)
    ids.push(...run([values.python]))
    if (values.against) others.push(...run([values.against]))
    console.error(`run ${i + 1} of ${runs} done (load ${loads.at(-1)?.toFixed(2)})`)
  }
  let n = 0
  let coveredNow = 0
  let coveredWithin = 0
  const sources = new Map<string, number>()
  for (let i = 0; i + 1 < ids.length; i++) {
    for (const r of compare(ids[i]!, ids[i + 1]!)) {
      if (r.comparison.kind !== 'comparison') continue
      n += 1
      coveredNow += covers(r.comparison) ? 1 : 0
      const w = withinOnly(r)
      coveredWithin += w && covers(w) ? 1 : 0
      const s = r.betweenRuns?.source ?? 'interleaved'
      sources.set(s, (sources.get(s) ?? 0) + 1)
    }
  }
  const pct = (k: number) => `${((100 * k) / Math.max(1, n)).toFixed(0)} %`
  const sortedLoads = [...loads].sort((a, b) => a - b)
  console.log(
    `A/A, ${values.python}, ${runs} separate runs × ${workloads.length} workloads (--preset ${values.preset}), ${n} comparisons of consecutive runs; load average (1 min) at the starts: median ${sortedLoads[Math.floor(sortedLoads.length / 2)]?.toFixed(2)}, max ${sortedLoads.at(-1)?.toFixed(2)}`,
  )
  console.log(`  95 % interval of compare covers 1.0:       ${coveredNow}/${n} = ${pct(coveredNow)}`)
  console.log(`  within-run interval alone covers 1.0:      ${coveredWithin}/${n} = ${pct(coveredWithin)}`)
  console.log(`  between-run noise: ${[...sources].map(([s, k]) => `${s} ${k}`).join(', ')}`)
  if (values.against && others.length > 0) {
    // The truth: one interleaved run of both, four times the processes of --fast.
    const [t0, t1] = run([values.python, values.against], ['--processes', '24'])
    const truth = new Map(compare(t0!, t1!).map((r) => [r.workload, r.comparison]))
    let called = 0
    let calls = 0
    const verdicts = new Map<string, { ratios: number[]; said: Map<string, number> }>()
    for (let i = 0; i < Math.min(ids.length, others.length); i++) {
      for (const r of compare(ids[i]!, others[i]!)) {
        if (r.comparison.kind !== 'comparison') continue
        const v = verdicts.get(r.workload) ?? { ratios: [], said: new Map<string, number>() }
        v.ratios.push(r.comparison.ratio)
        v.said.set(r.comparison.verdict, (v.said.get(r.comparison.verdict) ?? 0) + 1)
        verdicts.set(r.workload, v)
        const t = truth.get(r.workload)
        if (t?.kind !== 'comparison') continue
        if (Math.abs(Math.log(t.ratio)) < Math.log(1.1) || t.verdict === 'no-difference') continue
        calls += 1
        called += r.comparison.verdict === t.verdict ? 1 : 0
      }
    }
    console.log(
      `${values.python} vs ${values.against}: of the workload comparisons whose interleaved truth differs by ≥ 10 %, separate runs called ${called}/${calls} the same way`,
    )
    for (const [w, v] of verdicts) {
      const sorted = [...v.ratios].sort((a, b) => a - b)
      console.log(
        `  separate runs, ${w}: median ratio ${sorted[Math.floor(sorted.length / 2)]?.toFixed(3)}; ${[...v.said].map(([k, n]) => `${k} ${n}`).join(', ')}`,
      )
    }
    for (const [w, t] of truth) {
      if (t.kind === 'comparison')
        console.log(`  truth ${w}: ${t.ratio.toFixed(3)} [${t.low.toFixed(3)}, ${t.high.toFixed(3)}]`)
    }
  }
} finally {
  if (!values.keep) rmSync(dir, { recursive: true, force: true })
  else console.error(`kept ${db}`)
}
