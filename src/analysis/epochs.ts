import type { JsonValue } from '../lib/index.ts'
import type { MachineTuning } from '../model/index.ts'
import type { EpochMetadata } from '../stats/index.ts'
import type { RunFacts } from '../store/index.ts'

// What a run's infrastructure was, in the field names of the change-point detector's epochs
// (src/stats/changepoint/epochs.ts): suite and harness versions, kernel, CPU configuration and
// compiler. A change of any of them starts a new epoch, whose boundary is never blamed on a
// commit. The workload version is part of the series key already.

function text(v: JsonValue | undefined): string | null {
  return typeof v === 'string' && v.length > 0 ? v : typeof v === 'number' ? String(v) : null
}

/** The CPU configuration that matters for timings, from langperf's own tuning readings. */
function tuningKey(t: MachineTuning): string {
  return `governor=${t.governors.join('+') || '?'},turbo=${t.turbo},smt=${t.smt}`
}

/**
 * The epoch facts of a run: pyperf's metadata (`performance_version`, `perf_version`,
 * `platform`, `cpu_config`, `python_compiler`) for imported runs, langperf's environment and
 * interpreter self-report for measured ones.
 */
export function epochFacts(run: RunFacts): EpochMetadata {
  const m = run.metadata
  const env = run.environment
  const b = run.build
  return {
    suiteVersion: text(m.performance_version)
      ? `${text(m.performance_version)}${text(m.benchmark_hash) ? ` #${text(m.benchmark_hash)}` : ''}`
      : run.suite,
    harnessVersion: run.harnessVersion,
    kernel: env ? `${env.fingerprint.os} ${env.fingerprint.kernel}` : text(m.platform),
    cpuConfig: text(m.cpu_config) ?? (env ? tuningKey(env.tuning) : null),
    compiler: b.interpreter?.compiler ?? text(b.metadata.python_compiler) ?? text(m.python_compiler),
  }
}

/** Epoch facts on which two runs differ: why their comparison may mix in infrastructure. */
export function epochDifferences(
  a: RunFacts,
  b: RunFacts,
): { field: string; base: string; candidate: string }[] {
  const fa = epochFacts(a)
  const fb = epochFacts(b)
  const out: { field: string; base: string; candidate: string }[] = []
  for (const field of Object.keys(fa)) {
    const x = fa[field] ?? null
    const y = fb[field] ?? null
    if (x !== y) out.push({ field, base: String(x ?? '?'), candidate: String(y ?? '?') })
  }
  return out
}

/** True when a smaller value is better for `unit` (times, sizes); false for rates and scores. */
export function lowerIsBetter(unit: string): boolean {
  return !/per[_ -]?s(ec(ond)?)?\b|\/s\b|ops|throughput|score|rate/i.test(unit)
}
