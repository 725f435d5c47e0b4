// Instruction counts against wall time, through the product's own command: `langperf run` of one
// interpreter three times with `--measure instructions` and three times timed (`--fast`), all in
// one database so that every run after the first reuses its loop counts. Prints, per workload,
// the spread of the three results of each mode (max / min − 1; goal for instructions 0.000 %) and
// the machine time of each mode (median wall time of a run command).
//
//   node --import tsx bench/instructions.ts [--python ~/.pyenv/versions/3.12.1/bin/python3.12]
//        [--workloads generators,nbody,json_roundtrip] [--runs 3]
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, homedir, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { geometricMean } from '../src/stats/index.ts'
import { openSqliteStore } from '../src/store/index.ts'
import { langperf } from './shared.ts'

const { values } = parseArgs({
  options: {
    python: { type: 'string', default: join(homedir(), '.pyenv/versions/3.12.1/bin/python3.12') },
    runs: { type: 'string', default: '3' },
    workloads: { type: 'string', default: 'generators,nbody,json_roundtrip' },
  },
})
const runs = Number(values.runs)
if (!Number.isInteger(runs) || runs < 2) throw new Error('--runs must be an integer ≥ 2')
const workloads = values.workloads.split(',').filter(Boolean)
const dir = mkdtempSync(join(tmpdir(), 'langperf-instructions-'))
const db = join(dir, 'runs.db')

/** One run command: its run id and how long it took. */
function run(extra: readonly string[]): { id: number; seconds: number } {
  const t0 = performance.now()
  const out = JSON.parse(
    langperf(db, [
      'run',
      '--python',
      values.python,
      ...workloads.flatMap((w) => ['-w', w]),
      '--no-progress',
      '--json',
      '--cpus',
      'none',
      ...extra,
    ]),
  ) as { runIds: number[] }
  return { id: out.runIds[0]!, seconds: (performance.now() - t0) / 1000 }
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

try {
  const version = execFileSync('valgrind', ['--version'], { encoding: 'utf8' }).trim()
  const modes = { instructions: ['--measure', 'instructions'], time: ['--fast'] } as const
  // Interleaved: instructions, time, instructions, time… so that drift of the machine hits both.
  const done: Record<keyof typeof modes, { id: number; seconds: number }[]> = { instructions: [], time: [] }
  for (let i = 0; i < runs; i++)
    for (const mode of ['instructions', 'time'] as const) {
      done[mode].push(run(modes[mode]))
      process.stderr.write(`${mode} run ${i + 1}/${runs} done\n`)
    }
  const store = await openSqliteStore(db)
  const means = new Map<string, Record<string, number[]>>()
  for (const mode of ['instructions', 'time'] as const)
    for (const r of done[mode])
      for (const res of await store.getResults(r.id)) {
        if (res.outcome.state !== 'measured') continue
        const row = means.get(res.workload.name) ?? { instructions: [], time: [], loops: [] }
        row[mode]!.push(geometricMean(res.processMeans))
        if (mode === 'instructions') row.loops!.push(res.loops)
        means.set(res.workload.name, row)
      }
  await store.close()
  const spread = (xs: readonly number[]) =>
    xs.length < 2 ? 'n/a' : `${((Math.max(...xs) / Math.min(...xs) - 1) * 100).toFixed(3)} %`
  console.log(
    `${values.python}, ${version}, ${runs} runs of each mode, one database (loops frozen after the first run)`,
  )
  console.log(
    'workload          instr/loop (first)  instr spread  wall spread (--fast, 6 processes)  wall per loop, each run',
  )
  for (const [name, row] of means)
    console.log(
      `${name.padEnd(16)}  ${Math.round(row.instructions![0] ?? Number.NaN)
        .toLocaleString('en-US')
        .padStart(
          18,
        )}  ${spread(row.instructions!).padStart(12)}  ${spread(row.time!).padStart(33)}  ${row.time!.map((s) => `${(s * 1000).toFixed(1)} ms`).join(', ')}`,
    )
  for (const [name, row] of means) {
    const xs = row.instructions!
    console.log(
      `${name}: instructions per loop ${xs.map((x) => x.toFixed(2)).join(', ')} at loops ${row.loops!.join(', ')} (max − min ${(Math.max(...xs) - Math.min(...xs)).toFixed(2)})`,
    )
  }
  console.log(
    `load average at the end: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')} on ${cpus().length} CPUs`,
  )
  for (const mode of ['instructions', 'time'] as const)
    console.log(
      `machine time of a run, ${mode === 'time' ? 'wall clock (--fast)' : 'instruction count'}: median ${median(done[mode].map((r) => r.seconds)).toFixed(0)} s (${done[mode].map((r) => r.seconds.toFixed(0)).join(', ')} s)`,
    )
} finally {
  rmSync(dir, { recursive: true, force: true })
}
