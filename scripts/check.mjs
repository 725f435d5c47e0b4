#!/usr/bin/env node
// The fast gate: format + lint (biome), types (tsc), the import rule. Under a minute.
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const steps = [
  ['biome', ['node_modules/.bin/biome', ['check', '.']]],
  ['types', ['node_modules/.bin/tsc', ['-p', 'tsconfig.json']]],
  ['imports', [process.execPath, ['scripts/check-imports.mjs']]],
  ['python', ['python3', ['-m', 'py_compile', 'harness/python/langperf_harness.py']]],
]
let failed = 0
for (const [name, [cmd, args]] of steps) {
  const t0 = Date.now()
  const res = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' })
  const ok = res.status === 0
  if (!ok) failed++
  console.error(`${ok ? 'ok  ' : 'FAIL'} ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`)
}
process.exit(failed ? 1 : 0)
