import { readdirSync, readFileSync } from 'node:fs'

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
