import { Agent, request } from 'node:http'
import type { HttpDriver } from '../model/index.ts'
import { delay } from './services.ts'

// An open-loop load generator: requests sent at a fixed arrival rate whatever the server's
// answers, each latency counted from the time the request was due, not from when it was sent.
// A closed loop (wrk) waits for an answer before the next request, so a stalled server is sent
// less and its queueing hides from the latencies (coordinated omission, Tene 2013); here a late
// request still counts its wait. It runs in langperf's own event loop: at the rates of a Python
// server on a few cores (hundreds per second) Node keeps its schedule within a millisecond or so,
// and its lateness is reported (`late_p99_ms`) so that a generator that fell behind shows.

/** 1-based request indices, `sum(weights)` long, each `weights[i]` times, interleaved (smooth weighted round robin). */
export function weightedOrder(weights: readonly number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0)
  const current = weights.map(() => 0)
  const out: number[] = []
  for (let n = 0; n < total; n++) {
    let best = 0
    for (let i = 0; i < weights.length; i++) {
      current[i] = (current[i] ?? 0) + (weights[i] ?? 0)
      if ((current[i] ?? 0) > (current[best] ?? 0)) best = i
    }
    current[best] = (current[best] ?? 0) - total
    out.push(best + 1)
  }
  return out
}

/** What one open-loop window measured. */
export interface OpenLoopReport {
  /** Requests per second asked for. */
  readonly rate_per_s: number
  readonly sent: number
  readonly completed: number
  readonly latency_p50_ms: number
  readonly latency_p99_ms: number
  /** How late the generator sent its requests, 99th percentile (its own lag, not the server's). */
  readonly late_p99_ms: number
  readonly errors: number
  readonly non2xx: number
}

/** The `q` quantile (0–1) of ascending `sorted`, nearest rank; 0 when empty. */
function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0
}

/**
 * Sends the driver's request mix to `127.0.0.1:port` at `ratePerS` for `seconds`, one request
 * every 1/rate seconds, and reports latency percentiles from each request's due time.
 */
export async function openLoop(
  port: number,
  driver: HttpDriver,
  options: { readonly ratePerS: number; readonly seconds: number },
): Promise<OpenLoopReport> {
  const order = weightedOrder(driver.requests.map((r) => r.weight))
  const agent = new Agent({ keepAlive: true, maxSockets: 512 })
  const total = Math.max(1, Math.round(options.ratePerS * options.seconds))
  const intervalMs = 1000 / options.ratePerS
  const latencies: number[] = []
  const lateness: number[] = []
  let errors = 0
  let non2xx = 0
  const inFlight: Promise<void>[] = []
  const t0 = performance.now() + 20
  try {
    for (let i = 0; i < total; i++) {
      const due = t0 + i * intervalMs
      const wait = due - performance.now()
      if (wait > 1) await delay(wait)
      lateness.push(Math.max(0, performance.now() - due))
      const spec = driver.requests[(order[i % order.length] ?? 1) - 1]
      if (spec === undefined) continue
      inFlight.push(
        send(agent, port, spec).then(
          (status) => {
            latencies.push(performance.now() - due)
            if (status < 200 || status > 299) non2xx++
          },
          () => {
            errors++
          },
        ),
      )
    }
    await Promise.all(inFlight)
  } finally {
    agent.destroy()
  }
  latencies.sort((a, b) => a - b)
  lateness.sort((a, b) => a - b)
  const ms = (x: number) => Math.round(x * 1000) / 1000
  return {
    rate_per_s: Math.round(options.ratePerS * 10) / 10,
    sent: total,
    completed: latencies.length,
    latency_p50_ms: ms(quantile(latencies, 0.5)),
    latency_p99_ms: ms(quantile(latencies, 0.99)),
    late_p99_ms: ms(quantile(lateness, 0.99)),
    errors,
    non2xx,
  }
}

function send(agent: Agent, port: number, spec: HttpDriver['requests'][number]): Promise<number> {
  return new Promise((resolve, reject) => {
    const body = spec.method === 'POST' ? (spec.body ?? '') : undefined
    const headers: Record<string, string | number> =
      body === undefined
        ? {}
        : { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body) }
    const req = request(
      { host: '127.0.0.1', port, path: spec.path, method: spec.method, agent, headers, timeout: 10_000 },
      (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode ?? 0))
        res.on('error', reject)
      },
    )
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', reject)
    req.end(body)
  })
}
