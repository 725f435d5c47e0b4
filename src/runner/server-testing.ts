import { readdirSync, readFileSync } from 'node:fs'
import type { HttpDriver } from '../model/index.ts'

// Test support shared by the tests of server workloads (services, the http driver, the web suite):
// which processes are still alive, read from /proc, so a test can prove nothing was left behind.

/** Process ids whose command line or environment contains `text` (processes of other users are unreadable and skipped). */
export function processesMentioning(text: string): number[] {
  const found: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue
    for (const file of ['cmdline', 'environ']) {
      try {
        if (readFileSync(`/proc/${entry}/${file}`, 'latin1').includes(text)) {
          found.push(Number(entry))
          break
        }
      } catch {
        // Gone, or not ours.
      }
    }
  }
  return found
}

/** Process ids whose command (the executable's name, /proc/<pid>/comm) is `name`. */
export function processesNamed(name: string): number[] {
  const found: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === name) found.push(Number(entry))
    } catch {
      // Gone.
    }
  }
  return found
}

/** A small http driver for tests: one worker, two connections, one second, a GET and a POST, half the throughput open loop. */
export const TINY_DRIVER: HttpDriver = {
  kind: 'http',
  workers: 1,
  connections: 2,
  durationS: 1,
  warmupS: 0,
  readyTimeoutS: 20,
  readyPath: '/',
  requests: [
    { method: 'GET', path: '/a', weight: 60 },
    { method: 'POST', path: '/b', weight: 40, body: 'x=1&y=2' },
  ],
  openLoopFractions: [0.5],
}
