#!/usr/bin/env node
// Entry point. Runs the compiled command line (dist/cli, built by scripts/build-cli.mjs on
// `npm ci`) while every source file it was built from is unchanged, else the TypeScript sources
// through tsx's loader: an edit under src/ is never run stale, it only starts slower until
// `npm run build:cli`. $LANGPERF_CLI chooses: auto (default), dist (the build or exit 3 saying
// why), src (always the sources).
import { readFileSync, statSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const MODES = ['auto', 'dist', 'src']
const root = fileURLToPath(new URL('..', import.meta.url))
const INPUTS = 'dist/cli/inputs.json'

/** Why dist/cli cannot be run (missing, or a file it was built from changed), or null. */
function staleness() {
  let manifest
  try {
    manifest = JSON.parse(readFileSync(root + INPUTS, 'utf8'))
  } catch {
    return `${INPUTS} is missing or unreadable (not built)`
  }
  const inputs = manifest?.version === 1 ? manifest.inputs : undefined
  if (inputs === null || typeof inputs !== 'object') return `${INPUTS} is not a build manifest`
  for (const [file, recorded] of Object.entries(inputs)) {
    const s = statSync(root + file, { throwIfNoEntry: false })
    if (!Array.isArray(recorded) || s === undefined || s.mtimeMs !== recorded[0] || s.size !== recorded[1])
      return `${file} changed since the build`
  }
  return null
}

// `langperf show | head` closes stdout early: that is not an error.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0)
  throw err
})
const mode = process.env.LANGPERF_CLI || 'auto'
if (!MODES.includes(mode)) {
  process.stderr.write(`langperf: expected $LANGPERF_CLI to be one of ${MODES.join(', ')}, found "${mode}"\n`)
  process.exit(2)
}
const stale = mode === 'src' ? 'LANGPERF_CLI=src' : staleness()
if (stale !== null && mode === 'dist') {
  process.stderr.write(
    `langperf: cannot run dist/cli (LANGPERF_CLI=dist): ${stale}; build it with \`npm run build:cli\`\n`,
  )
  process.exit(3)
}
let main
if (stale === null) {
  ;({ main } = await import('../dist/cli/main.js'))
} else {
  const { register } = await import('tsx/esm/api')
  // The project's tsconfig (its JSX settings), wherever langperf is run from.
  register({ tsconfig: `${root}tsconfig.json` })
  ;({ main } = await import('../src/cli/main.ts'))
}
process.exitCode = await main(process.argv)
