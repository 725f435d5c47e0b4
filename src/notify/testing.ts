import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { AlertLike, ChangeLike } from './message.ts'

// Test helpers (not exported from index.ts): a real HTTP server on 127.0.0.1 that records every
// request and answers as a test scripts it, standing in for a webhook receiver or GitHub's API.

/** One request as the receiver saw it. */
export interface RecordedRequest {
  readonly method: string
  /** Path and query, e.g. `/repos/o/r/issues?state=open`. */
  readonly path: string
  readonly headers: IncomingHttpHeaders
  readonly body: string
}

/** What the receiver answers; `hang` never answers (for timeouts). */
export type Reply =
  | { readonly status: number; readonly headers?: Readonly<Record<string, string>>; readonly body?: string }
  | 'hang'

/** A running receiver. */
export interface HttpReceiver {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string
  readonly requests: RecordedRequest[]
  close(): Promise<void>
}

/** Starts a receiver on a free port of 127.0.0.1; `respond` gets each request and its 0-based index. */
export async function startHttpReceiver(
  respond: (request: RecordedRequest, index: number) => Reply,
): Promise<HttpReceiver> {
  const requests: RecordedRequest[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      }
      requests.push(recorded)
      const reply = respond(recorded, requests.length - 1)
      if (reply === 'hang') return
      res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers })
      res.end(reply.body ?? '')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** A URL on 127.0.0.1 where nothing listens: a port that was free a moment ago. */
export async function closedPortUrl(): Promise<string> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return `http://127.0.0.1:${port}`
}

/** RetryOptions for tests: sleeps return at once and are recorded. */
export function instantSleep(): {
  readonly delaysMs: number[]
  readonly sleep: (ms: number) => Promise<void>
} {
  const delaysMs: number[] = []
  return {
    delaysMs,
    sleep: async (ms: number) => {
      delaysMs.push(ms)
    },
  }
}

/** A workload name that tries to run script in an HTML mail and to mention people in chat. */
export const HOSTILE_WORKLOAD = '<img src=x onerror=alert(1)> @channel *bold* | `x`'

/** A stored-alert shape as the store gives it: 3 live changes (one hostile name), 1 withdrawn. */
export function testAlert(overrides: Partial<AlertLike> = {}): AlertLike {
  const change = (
    workload: string,
    { ratio, ratioLow, ratioHigh }: Pick<ChangeLike, 'ratio' | 'ratioLow' | 'ratioHigh'>,
    status: ChangeLike['status'] = 'confirmed',
  ): ChangeLike => ({
    series: { workload, config: 'default', machine: 'bench-1' },
    ratio,
    ratioLow,
    ratioHigh,
    direction: ratio > 1 ? 'regression' : 'improvement',
    status,
    details: {},
  })
  return {
    id: 42,
    runtime: 'cpython',
    branch: 'main',
    kind: 'commit',
    status: 'confirmed',
    direction: 'regression',
    lastGoodCommit: 'aaaaaaaaaa1111111111aaaaaaaaaa1111111111',
    firstBadCommit: 'bbbbbbbbbb2222222222bbbbbbbbbb2222222222',
    lastGoodBuildId: 7,
    firstBadBuildId: 9,
    culpritCommit: null,
    culpritNote: null,
    machines: ['bench-1'],
    configs: ['default'],
    changes: [
      change('nbody', { ratio: 1.021, ratioLow: 1.011, ratioHigh: 1.031 }),
      change(HOSTILE_WORKLOAD, { ratio: 1.083, ratioLow: 1.071, ratioHigh: 1.095 }),
      change('regex_compile', { ratio: 1.041, ratioLow: 1.029, ratioHigh: 1.053 }),
      change('withdrawn_one', { ratio: 1.5, ratioLow: 1.4, ratioHigh: 1.6 }, 'withdrawn'),
    ],
    ...overrides,
  }
}

/** Message options as the pipeline would give them for CPython on GitHub. */
export const TEST_LINKS = {
  portalUrl: 'https://perf.example.org/',
  commitUrl: 'https://github.com/python/cpython/commit/{sha}',
  rangeUrl: 'https://github.com/python/cpython/compare/{from}...{to}',
} as const
