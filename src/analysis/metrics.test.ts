import assert from 'node:assert/strict'
import { test } from 'node:test'
import { resultMetrics } from './metrics.ts'

// A server workload's result keeps, per measuring process, its requests/s and latencies in
// `metadata.http` (runner/suite.ts httpMetadata); the metrics are read from there.

test('resultMetrics() reads the closed-loop figures per process, requests/s higher-is-better', () => {
  const metrics = resultMetrics({
    http: {
      primary: 'cpu_ms_per_request',
      requests_per_s: [410.5, 398.1, 402],
      latency_p50_ms: [9.1, 9.4, 9.0],
      latency_p99_ms: [30, null, 31],
      cpu_ms_per_request: [2.1, 2.2, 2.0],
    },
  })
  assert.deepEqual(
    metrics.map((m) => [m.name, m.unit, m.lowerIsBetter, m.values]),
    [
      ['requests_per_s', 'request/s', false, [410.5, 398.1, 402]],
      ['latency_p50_ms', 'ms', true, [9.1, 9.4, 9.0]],
      // A process without the figure is left out of that metric only.
      ['latency_p99_ms', 'ms', true, [30, 31]],
    ],
  )
})

test('resultMetrics() reads the open-loop latencies per arrival rate, in rising order', () => {
  const window = (fraction: number, p50: number, p99: number) => ({
    fraction,
    rate_per_s: 100 * fraction,
    latency_p50_ms: p50,
    latency_p99_ms: p99,
  })
  const metrics = resultMetrics({
    http: {
      open_loop: [
        [window(0.9, 12, 60), window(0.7, 8, 20)],
        [window(0.7, 8.5, 22), window(0.9, 13, 65)],
      ],
    },
  })
  assert.deepEqual(
    metrics.map((m) => [m.name, m.label, m.values]),
    [
      ['latency_p50_ms@70%', 'Latency p50 at 70 % of saturation', [8, 8.5]],
      ['latency_p99_ms@70%', 'Latency p99 at 70 % of saturation', [20, 22]],
      ['latency_p50_ms@90%', 'Latency p50 at 90 % of saturation', [12, 13]],
      ['latency_p99_ms@90%', 'Latency p99 at 90 % of saturation', [60, 65]],
    ],
  )
})

test('resultMetrics() finds none in a result measured in-process, and ignores malformed figures', () => {
  assert.deepEqual(resultMetrics({}), [])
  assert.deepEqual(resultMetrics({ http: 'fast' }), [])
  assert.deepEqual(
    resultMetrics({
      http: { requests_per_s: [Number.NaN, -1, 0, '400', { x: 1 }], open_loop: 'none', latency_p50_ms: 3 },
    }),
    [],
  )
  assert.deepEqual(resultMetrics({ http: { open_loop: [[{ fraction: 'x', latency_p99_ms: 3 }], null] } }), [])
})
