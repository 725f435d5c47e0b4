#!/usr/bin/env node
// The fast gate: format + lint (biome), types (tsc), the import rule. Under a minute.
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const pythonFiles = [
  'harness/python/langperf_harness.py',
  ...readdirSync(new URL('../workloads/', import.meta.url), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => `workloads/${d.name}/workload.py`),
]
const steps = [
  ['biome', ['node_modules/.bin/biome', ['check', '.']]],
  ['types', ['node_modules/.bin/tsc', ['-p', 'tsconfig.json']]],
  // The dashboard's browser code (DOM types, no Node): its own program.
  ['types (browser)', ['node_modules/.bin/tsc', ['-p', 'src/web/client/tsconfig.json']]],
  ['imports', [process.execPath, ['scripts/check-imports.mjs']]],
  // Syntax of the harness and every workload (compiled only, nothing runs).
  [
    'python',
    [
      'python3',
      ['-c', 'import sys\nfor f in sys.argv[1:]: compile(open(f, "rb").read(), f, "exec")', ...pythonFiles],
    ],
  ],
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
