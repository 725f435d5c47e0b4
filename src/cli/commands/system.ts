import { readEnvironment } from '../../runner/index.ts'
import type { CommonOptions, Ctx } from '../context.ts'
import { printJson, println } from '../output.ts'

/** `langperf system check`: how the machine is set up, and what to fix before benchmarking. */
export async function systemCheck(
  ctx: Ctx,
  options: CommonOptions & { readonly strict?: boolean },
): Promise<number> {
  const env = await readEnvironment({ probePerf: true })
  if (options.json) {
    printJson(ctx.io, env)
    return options.strict && env.warnings.length > 0 ? 1 : 0
  }
  const f = env.fingerprint
  const t = env.tuning
  const io = ctx.io
  println(io, `Machine      ${f.hostname}`)
  println(
    io,
    `CPU          ${f.cpuModel} (${f.logicalCpus} logical${f.physicalCores ? `, ${f.physicalCores} physical cores` : ''})`,
  )
  println(io, `Memory       ${(f.memoryBytes / 2 ** 30).toFixed(1)} GiB`)
  println(io, `Kernel       ${f.os} ${f.kernel} ${f.arch}`)
  println(io, `Governor     ${t.governors.length ? t.governors.join(', ') : 'unknown (no cpufreq)'}`)
  println(io, `Turbo        ${t.turbo}`)
  println(io, `SMT          ${t.smt}`)
  println(io, `ASLR         ${t.aslr === null ? 'unknown' : ['off', 'partial', 'full'][t.aslr]}`)
  println(io, `Load (1 min) ${t.loadAverage1m.toFixed(2)}`)
  println(io, `Isolated     ${t.isolatedCpus || 'none'}`)
  println(
    io,
    `Frequencies  ${t.cpuFrequenciesMhz.length ? `${Math.min(...t.cpuFrequenciesMhz)}–${Math.max(...t.cpuFrequenciesMhz)} MHz` : 'unknown'}`,
  )
  println(io, `Virtualized  ${t.virtualized ? 'yes' : 'no'}`)
  println(
    io,
    `Perf counters ${t.perfCounters === null ? 'not probed' : t.perfCounters ? 'available' : 'not available'}`,
  )
  println(io)
  if (env.warnings.length === 0) {
    println(io, 'No warnings: this machine is set up for benchmarking.')
    return 0
  }
  println(io, `${env.warnings.length} warning(s): results from this machine are noisier than they could be.`)
  println(io)
  for (const w of env.warnings) {
    println(io, `! ${w.code}: ${w.message}`)
    println(io, `    fix: ${w.advice}`)
  }
  return options.strict ? 1 : 0
}
