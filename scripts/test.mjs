#!/usr/bin/env node
// Runs every test file with node:test under tsx.
// Node 20's `node --test dir/` and globs find no `.ts` files and exit 0 having run nothing,
// so this script lists the files itself and refuses to pass when it found none.
// Usage: node scripts/test.mjs [substring…]   (only files whose path contains a substring)
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const roots = ['src', 'harness', 'workloads', 'bench', 'scripts']
const skipDirs = new Set(['node_modules', '.git', 'dist'])

/** Every `*.test.ts` / `*.test.tsx` below `dir`, sorted. */
function find(dir) {
  let out = []
  let entries
  try {
    entries = readdirSync(dir)
  } catch {
    return out
  }
  for (const name of entries.sort()) {
    if (skipDirs.has(name)) continue
    const path = join(dir, name)
    if (statSync(path).isDirectory()) out = out.concat(find(path))
    else if (/\.test\.tsx?$/.test(name)) out.push(relative(root, path))
  }
  return out
}

const filters = process.argv.slice(2)
const files = roots
  .flatMap((r) => find(join(root, r)))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
if (files.length === 0) {
  console.error(`No test files found${filters.length ? ` matching ${filters.join(', ')}` : ''}`)
  process.exit(1)
}
console.error(`Running ${files.length} test files`)
// The published data in ../shared/data lets tests check importers and the detector on real
// history. Tests read its location from LANGPERF_SHARED_DATA; when unset, the first of the
// repository's sibling shared/data and /work/shared/data that exists (a clone elsewhere, as CI
// may make, still finds it); tests that need it skip with the reason when it is absent.
const sharedData =
  process.env.LANGPERF_SHARED_DATA ??
  [join(root, '..', 'shared', 'data'), '/work/shared/data'].find((p) => existsSync(p))
const res = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, LANGPERF_TEST: '1', ...(sharedData ? { LANGPERF_SHARED_DATA: sharedData } : {}) },
})
process.exit(res.status ?? 1)
