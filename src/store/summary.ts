import { type ProcessSamples, processMeans } from '../model/index.ts'
import type { ResultSummary } from './types.ts'

// The few numbers stored beside each result so that series queries never parse samples.
// Computed inline rather than with src/stats: store and stats sit on the same layer and may not
// import each other (scripts/check-imports.mjs), and these are textbook formulas.

/** The summary columns of a result, and the per-process means they derive from. */
export function summarizeProcesses(processes: readonly ProcessSamples[]): {
  readonly summary: ResultSummary
  readonly processMeans: number[]
} {
  // Average per process first: values inside one process share cache and JIT state, so the
  // spread of process means is the honest noise (pyperf's documentation, "Runs, values, warmups, outer and inner loops").
  const means = processMeans(processes)
  const values: number[] = []
  for (const p of processes) for (const v of p.values) values.push(v)
  if (values.length === 0) {
    const empty = { mean: null, stdevProcessMeans: null, min: null, max: null, median: null }
    return { summary: { nProcesses: 0, nValues: 0, ...empty }, processMeans: means }
  }
  const mean = meanOf(means)
  values.sort((a, b) => a - b)
  const mid = values.length >> 1
  const median = values.length % 2 === 1 ? values[mid]! : (values[mid - 1]! + values[mid]!) / 2
  return {
    summary: {
      nProcesses: means.length,
      nValues: values.length,
      mean,
      stdevProcessMeans: means.length < 2 ? null : sampleStdev(means, mean),
      min: values[0]!,
      max: values[values.length - 1]!,
      median,
    },
    processMeans: means,
  }
}

function meanOf(xs: readonly number[]): number {
  let sum = 0
  for (const x of xs) sum += x
  return sum / xs.length
}

/** Sample standard deviation (Bessel's n − 1), two-pass around a known mean for accuracy. */
function sampleStdev(xs: readonly number[], mean: number): number {
  let ss = 0
  for (const x of xs) ss += (x - mean) ** 2
  return Math.sqrt(ss / (xs.length - 1))
}
