// Memory and time of `langperf import pyperf` on a directory of results. Prints figures; asserts
// nothing.
//   node --expose-gc --import tsx bench/import-memory.ts DIR [rounds=3]
// Imports DIR (a bench_runner results tree, examples/pyperf/ …) into a fresh temporary SQLite
// store in three ways, alternating them each round so the machine's drift falls on all alike:
//   held     every converted run kept between reading and storing (holdBytes: Infinity)
//   default  runs kept up to HOLD_BYTES of documents, the rest read again when stored
//   reread   every file read again when stored (holdBytes: 0)
// and reports for each the median wall time, its ratio to `held`, and the heap still live once
// every file is read (after a forced collection): what the batch holds between its two passes.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expandImportPaths, HOLD_BYTES, importPyperfFiles } from '../src/analysis/index.ts'
import { openSqliteStore } from '../src/store/index.ts'

const dir = process.argv[2]
const rounds = Number(process.argv[3] ?? 3)
const gc = (globalThis as { gc?: () => void }).gc
if (!dir || !gc || !(rounds >= 1)) {
  console.error('usage: node --expose-gc --import tsx bench/import-memory.ts DIR [rounds=3]')
  process.exit(2)
}

const modes = { held: Number.POSITIVE_INFINITY, default: HOLD_BYTES, reread: 0 } as const
type Mode = keyof typeof modes
const times: Record<Mode, number[]> = { held: [], default: [], reread: [] }
const live: Record<Mode, number[]> = { held: [], default: [], reread: [] }
const paths = await expandImportPaths([dir])
const tmp = mkdtempSync(join(tmpdir(), 'langperf-import-memory-'))
let files = 0
try {
  for (let r = 0; r < rounds; r++) {
    for (const mode of Object.keys(modes) as Mode[]) {
      const store = await openSqliteStore(join(tmp, `${mode}-${r}.db`))
      gc()
      const base = process.memoryUsage().heapUsed
      let measured = false
      const t0 = performance.now()
      const report = await importPyperfFiles(store, paths.files, {
        walked: paths.walked,
        holdBytes: modes[mode],
        onProgress: (phase) => {
          // Every file read, nothing stored yet: what the first pass keeps for the second.
          if (phase === 'store' && !measured) {
            measured = true
            gc()
            live[mode].push(process.memoryUsage().heapUsed - base)
          }
        },
      })
      times[mode].push(performance.now() - t0)
      files = report.files.length
      await store.close()
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true })
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(0)} MiB`
console.log(`import of ${files} files from ${dir}, ${rounds} round(s), median of each:`)
for (const mode of Object.keys(modes) as Mode[]) {
  const ratio = median(times[mode]) / median(times.held)
  console.log(
    `  ${mode.padEnd(8)} ${(median(times[mode]) / 1000).toFixed(1)} s  ×${ratio.toFixed(2)} of held  live between passes ${live[mode].length > 0 ? mb(median(live[mode])) : '(nothing new to store)'}`,
  )
}
