#!/usr/bin/env node
// The import rule (see ARCHITECTURE.md, "Rooms and layers"): a room under src/ imports only
// rooms of a lower layer, and only through their index.ts. Tests may import their own room
// freely. Prints each violation with the file, the import and the rule it breaks.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const src = join(root, 'src')

/**
 * Layer of each room: a room may import rooms with a strictly smaller number. `config` (the
 * parser of langperf.toml) sits just above `model`, whose configuration types it fills, and
 * below every room that reads a configuration file, tests included (notify, build, pipeline, cli).
 * `farm` (the job queue) sits with the use cases, below the server that serves it and the
 * `agent` that runs its jobs on each machine.
 */
export const LAYERS = {
  lib: 0,
  model: 1,
  config: 2,
  stats: 3,
  store: 3,
  build: 3,
  runner: 3,
  api: 3,
  notify: 3,
  analysis: 4,
  web: 4,
  farm: 4,
  agent: 5,
  pipeline: 5,
  server: 5,
  cli: 6,
}

/**
 * Rooms that may import only some lower rooms. `web` renders pages from API data only, so it
 * stays usable in the browser and in the static report: it talks to the rest through `api/`.
 * `notify` holds messages and transports only; its tests build targets from a configuration
 * text with `config`.
 */
export const ONLY = {
  web: ['lib', 'model', 'api'],
  notify: ['lib', 'model', 'config'],
}

function walk(dir) {
  let out = []
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) out = out.concat(walk(p))
    else if (/\.(ts|tsx)$/.test(name)) out.push(p)
  }
  return out
}

const problems = []
for (const file of walk(src)) {
  const rel = relative(src, file)
  const room = rel.split(sep)[0]
  if (!(room in LAYERS)) {
    problems.push(
      `${relative(root, file)}: room "${room}" is not in the layer table of scripts/check-imports.mjs`,
    )
    continue
  }
  const text = readFileSync(file, 'utf8')
  const re = /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g
  for (const m of text.matchAll(re)) {
    const spec = m[1] ?? m[2]
    if (!spec.startsWith('.')) continue
    const target = resolve(dirname(file), spec)
    const trel = relative(src, target)
    if (trel.startsWith('..')) {
      // Outside src/ (e.g. harness or workloads paths are read as files, never imported).
      problems.push(`${relative(root, file)}: imports "${spec}" from outside src/`)
      continue
    }
    const troom = trel.split(sep)[0]
    if (troom === room) continue
    const tlayer = LAYERS[troom]
    if (tlayer === undefined) {
      problems.push(`${relative(root, file)}: imports unknown room "${troom}"`)
      continue
    }
    if (ONLY[room] && !ONLY[room].includes(troom)) {
      problems.push(
        `${relative(root, file)}: room "${room}" may import only ${ONLY[room].join(', ')}, not "${troom}"`,
      )
    }
    if (tlayer >= LAYERS[room]) {
      problems.push(
        `${relative(root, file)}: room "${room}" (layer ${LAYERS[room]}) may not import "${troom}" (layer ${tlayer})`,
      )
    }
    const inner = trel.split(sep).slice(1).join('/')
    // lib has no inner structure to protect, and browser bundles must import its pure files
    // (lib/format.ts) directly: lib/index.ts brings node:crypto along.
    if (troom === 'lib') continue
    if (inner !== 'index.ts' && inner !== 'index.js' && inner !== 'index' && inner !== '') {
      problems.push(
        `${relative(root, file)}: imports "${spec}"; import room "${troom}" only through its index.ts`,
      )
    }
  }
}
if (problems.length) {
  console.error(problems.join('\n'))
  console.error(`\n${problems.length} import rule violation(s): see ARCHITECTURE.md, "Rooms and layers"`)
  process.exit(1)
}
