import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import type { HttpDriver } from '../model/index.ts'
import { openLoop } from './open-loop.ts'
import { TINY_DRIVER } from './server-testing.ts'

// The open-loop generator against a small server of this process: a fixed arrival rate, the
// mix's methods and bodies, latencies from the due time, non-2xx answers counted.

const DRIVER: HttpDriver = {
  ...TINY_DRIVER,
  requests: [
    { method: 'GET', path: '/a', weight: 80 },
    { method: 'POST', path: '/b', weight: 20, body: 'n=1' },
  ],
}

async function withServer(slowMs: number, fn: (port: number, seen: string[]) => Promise<void>) {
  const seen: string[] = []
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => {
      body += c.toString()
    })
    req.on('end', () => {
      seen.push(`${req.method} ${req.url} ${body}`)
      setTimeout(() => {
        res.statusCode = req.url === '/fail' ? 500 : 200
        res.end('ok')
      }, slowMs)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  try {
    await fn((server.address() as AddressInfo).port, seen)
  } finally {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
}

test('openLoop() sends the mix at the rate asked, whatever the answers take', async () => {
  await withServer(30, async (port, seen) => {
    const got = await openLoop(port, DRIVER, { ratePerS: 100, seconds: 1 })
    assert.equal(got.sent, 100)
    assert.equal(got.completed, 100)
    assert.equal(got.errors + got.non2xx, 0)
    // Each answer waits 30 ms: with a closed loop of 1 connection only ~33 would fit in a second.
    assert.ok(got.latency_p50_ms >= 30, JSON.stringify(got))
    assert.ok(got.latency_p99_ms >= got.latency_p50_ms)
    assert.equal(seen.filter((s) => s === 'POST /b n=1').length, 20)
    assert.equal(seen.filter((s) => s === 'GET /a ').length, 80)
  })
})

test('openLoop() counts non-2xx answers', async () => {
  await withServer(0, async (port) => {
    const failing: HttpDriver = { ...DRIVER, requests: [{ method: 'GET', path: '/fail', weight: 100 }] }
    const got = await openLoop(port, failing, { ratePerS: 50, seconds: 0.2 })
    assert.equal(got.sent, 10)
    assert.equal(got.non2xx, 10)
  })
})
