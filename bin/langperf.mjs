#!/usr/bin/env node
// Entry point: runs the TypeScript CLI through tsx's loader (no build step).
import { register } from 'tsx/esm/api'

// `langperf show | head` closes stdout early: that is not an error.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0)
  throw err
})
register()
const { main } = await import('../src/cli/main.ts')
process.exitCode = await main(process.argv)
