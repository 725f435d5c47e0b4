import type { JsonObject, JsonValue } from '../lib/index.ts'

// The secondary metrics of a result: figures a workload records per measuring process besides its
// value. A server workload's value is the server's CPU time per request (steady on a shared
// machine); its requests/s at saturation and its latency percentiles, closed loop and at fixed
// arrival rates, are kept per process in the result's metadata (`http`, runner/suite.ts) and read
// here as metrics: one value per process, so that each gets an interval over the processes as
// the value does.

/** One metric of one result: its values per measuring process (those with a usable figure). */
export interface ResultMetric {
  /** Stable key, e.g. `requests_per_s`, `latency_p99_ms@90%`. */
  readonly name: string
  /** For people: `Requests/s`, `Latency p99 at 90 % of saturation`. */
  readonly label: string
  readonly unit: string
  readonly lowerIsBetter: boolean
  readonly values: readonly number[]
}

/** The closed-loop figures of a server workload's processes, in the order shown. */
const CLOSED_LOOP = [
  { key: 'requests_per_s', label: 'Requests/s (saturation)', unit: 'request/s', lowerIsBetter: false },
  { key: 'latency_p50_ms', label: 'Latency p50 (saturation)', unit: 'ms', lowerIsBetter: true },
  { key: 'latency_p99_ms', label: 'Latency p99 (saturation)', unit: 'ms', lowerIsBetter: true },
] as const

/** The open-loop figures, per fixed arrival rate (a fraction of the saturation throughput). */
const OPEN_LOOP = [
  { key: 'latency_p50_ms', label: 'Latency p50', unit: 'ms' },
  { key: 'latency_p99_ms', label: 'Latency p99', unit: 'ms' },
] as const

/**
 * The metrics a result's metadata records per process; empty for a result that records none (a
 * workload measured in-process). Values that are not positive finite numbers are left out, so a
 * metric may have fewer values than the result has processes; a metric with none is left out.
 */
export function resultMetrics(metadata: JsonObject): ResultMetric[] {
  const http = metadata.http
  if (!isObject(http)) return []
  const out: ResultMetric[] = []
  for (const m of CLOSED_LOOP) {
    const values = positives(asArray(http[m.key]))
    if (values.length > 0)
      out.push({ name: m.key, label: m.label, unit: m.unit, lowerIsBetter: m.lowerIsBetter, values })
  }
  // open_loop: per process, a list of windows { fraction, latency_p50_ms, latency_p99_ms, … }.
  const perProcess = asArray(http.open_loop).map((w) => asArray(w).filter(isObject))
  const fractions = [
    ...new Set(perProcess.flatMap((ws) => ws.map((w) => w.fraction).filter(isPositive))),
  ].sort((a, b) => a - b)
  for (const fraction of fractions) {
    const pct = `${Math.round(fraction * 100)}%`
    for (const m of OPEN_LOOP) {
      const values = positives(
        perProcess.map((ws) => ws.find((w) => w.fraction === fraction)?.[m.key] ?? null),
      )
      if (values.length > 0)
        out.push({
          name: `${m.key}@${pct}`,
          label: `${m.label} at ${pct.replace('%', ' %')} of saturation`,
          unit: m.unit,
          lowerIsBetter: true,
          values,
        })
    }
  }
  return out
}

function isObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function asArray(v: JsonValue | undefined): readonly JsonValue[] {
  return Array.isArray(v) ? v : []
}

function isPositive(v: JsonValue | undefined): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0
}

function positives(values: readonly (JsonValue | undefined)[]): number[] {
  return values.filter(isPositive)
}
