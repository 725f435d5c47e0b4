import type { JsonObject, JsonValue } from '../lib/index.ts'
import type { ProcessSamples, WorkloadDefinition } from '../model/index.ts'

// What a result records about its processes besides their values: the memory they needed and, for a
// server workload, the load's figures per process (read again as metrics by analysis/metrics.ts).

/**
 * The largest peak resident set size of the result's processes (each worker's `max_rss_bytes`,
 * VmHWM or ru_maxrss), the memory the workload needed; nothing when no process measured it.
 */
export function peakRssMetadata(processes: readonly ProcessSamples[]): JsonObject {
  let peak = -1
  for (const p of processes) {
    const v = p.metadata.max_rss_bytes
    if (typeof v === 'number' && Number.isFinite(v) && v > peak) peak = v
  }
  return peak >= 0 ? { peak_rss_bytes: peak } : {}
}

/**
 * What a result of a server workload records besides its values (the server's CPU seconds per
 * request, one per process): each process's requests/s, latency p50/p99 and CPU ms/request, in
 * process order, and the versions of the services it ran with.
 */
export function httpMetadata(def: WorkloadDefinition, processes: readonly ProcessSamples[]): JsonObject {
  if (def.manifest.driver === undefined) return {}
  const figures = processes.map((p) => p.metadata.http).filter((h): h is JsonObject => isJsonObject(h))
  const column = (key: string) => figures.map((h) => h[key] ?? null)
  const services = processes.find((p) => p.metadata.services !== undefined)?.metadata.services
  return {
    http: {
      primary: 'cpu_ms_per_request',
      duration_s: def.manifest.driver.durationS,
      workers: def.manifest.driver.workers,
      connections: def.manifest.driver.connections,
      requests_per_s: column('requests_per_s'),
      cpu_ms_per_request: column('cpu_ms_per_request'),
      latency_p50_ms: column('latency_p50_ms'),
      latency_p99_ms: column('latency_p99_ms'),
      ...(def.manifest.driver.openLoopFractions?.length ? { open_loop: column('open_loop') } : {}),
    },
    ...(services === undefined ? {} : { services }),
  }
}

function isJsonObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
