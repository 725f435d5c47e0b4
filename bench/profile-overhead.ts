// What the profiler (py-spy, or perf) costs the process it samples. Prints figures; asserts nothing.
//   node --import tsx bench/profile-overhead.ts [--python PATH]… [--workload NAME] [--pairs N] [--rate HZ]
//                                              [--profiler py-spy|perf]
// For each interpreter (default python3): one calibration process finds the loops of the workload
// (default nbody, 100 ms per value), then N pairs (default 6) of worker processes with the same
// loops and 10 values each, one plain and one under `py-spy record --rate HZ` (default 250) or
// `perf record` as `langperf profile --profiler perf` runs it (with -X perf_jit / -X perf on
// CPython 3.13 / 3.12), alternating which goes first. With perf it also prints the median time of
// reading the recording (perf inject --jit and perf script) after the process ended. Prints per pair the mean time per operation of each and their
// ratio, then the median ratio: the slowdown a profile's own timings carry (profiles never feed
// the timed results; this says how far the profiled process is from the measured one).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  classifyWorker,
  describeInterpreter,
  ensurePySpy,
  findPerf,
  loadWorkloads,
  perfPythonSupport,
  runPerfWorker,
  runProfiledWorker,
  runWorker,
  workerEnv,
  workloadHarnessArgs,
} from '../src/runner/index.ts'

function opt(name: string): string[] {
  const out: string[] = []
  for (let i = 0; i < process.argv.length; i++)
    if (process.argv[i] === `--${name}`) out.push(process.argv[i + 1] ?? '')
  return out
}

const pythons = opt('python').length > 0 ? opt('python') : ['python3']
const workloadName = opt('workload')[0] ?? 'nbody'
const pairs = Number(opt('pairs')[0] ?? 6)
const rateHz = Number(opt('rate')[0] ?? 250)
const profiler = opt('profiler')[0] ?? 'py-spy'
if (profiler !== 'py-spy' && profiler !== 'perf') throw new Error(`--profiler ${profiler}: py-spy or perf`)
const cache = join(tmpdir(), 'langperf-test-cache')
const tool =
  profiler === 'perf' ? await findPerf(process.env) : await ensurePySpy(cache, { env: process.env })
if (!tool.ok) throw new Error(tool.reason)
const def = (await loadWorkloads()).find((w) => w.manifest.name === workloadName)
if (def === undefined) throw new Error(`no workload ${workloadName}`)
const env = workerEnv(process.env)
const work = mkdtempSync(join(tmpdir(), 'langperf-overhead-'))
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? (s[m] ?? Number.NaN) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2
}
const meanOf = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length

for (const python of pythons) {
  const d = await describeInterpreter(python)
  if (!d.ok) throw new Error(`${python}: ${d.reason}`)
  const exe = d.info.executable
  const cal = classifyWorker(
    await runWorker(
      exe,
      workloadHarnessArgs(def, { loopMode: { mode: 'calibrate', minTimeS: 0.1 }, warmups: 0, values: 0 }),
      { timeoutMs: 600_000, env },
    ),
  )
  if (!cal.ok) throw new Error(cal.message)
  const args = workloadHarnessArgs(def, {
    loopMode: { mode: 'fixed', loops: cal.result.loops },
    warmups: 1,
    values: 10,
  })
  const ratios: number[] = []
  const readingS: number[] = []
  const support = perfPythonSupport(d.info)
  console.log(
    `${python} (${d.info.version}), ${workloadName}, ${cal.result.loops} loops × 10 values, ${profiler}${profiler === 'perf' ? ` (${support})` : ''} at ${rateHz} Hz`,
  )
  for (let i = 0; i < pairs; i++) {
    const plain = async () => {
      const c = classifyWorker(await runWorker(exe, args, { timeoutMs: 600_000, env }))
      if (!c.ok) throw new Error(c.message)
      return meanOf(c.result.values)
    }
    const profiled = async () => {
      if (profiler === 'perf') {
        const t0 = performance.now()
        const r = await runPerfWorker(
          tool.path,
          { executable: exe, args },
          { timeoutMs: 600_000, env, rateHz, workDir: work, name: `pair${i}`, support },
        )
        readingS.push((performance.now() - t0 - r.outcome.wallTimeMs) / 1000)
        const c = classifyWorker(r.outcome)
        if (!c.ok || r.stacks === null) throw new Error(c.ok ? (r.error ?? 'no stacks') : c.message)
        return meanOf(c.result.values)
      }
      const r = await runProfiledWorker(
        tool.path,
        { executable: exe, args },
        {
          timeoutMs: 600_000,
          env,
          rateHz,
          outFile: join(work, 'o.txt'),
        },
      )
      const c = classifyWorker(r.outcome)
      if (!c.ok) throw new Error(c.message)
      return meanOf(c.result.values)
    }
    let a: number
    let b: number
    if (i % 2 === 0) {
      a = await plain()
      b = await profiled()
    } else {
      b = await profiled()
      a = await plain()
    }
    ratios.push(b / a)
    console.log(
      `  pair ${i + 1}: plain ${(a * 1000).toFixed(2)} ms, profiled ${(b * 1000).toFixed(2)} ms, ratio ${(b / a).toFixed(3)}`,
    )
  }
  console.log(
    `  median ratio ${median(ratios).toFixed(3)} (min ${Math.min(...ratios).toFixed(3)}, max ${Math.max(...ratios).toFixed(3)})`,
  )
  if (readingS.length > 0)
    console.log(`  reading the recording (inject, script): median ${median(readingS).toFixed(2)} s`)
}
rmSync(work, { recursive: true, force: true })
