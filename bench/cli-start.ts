// Start time of the command line: the compiled build (dist/cli) against the sources through tsx.
// Prints figures; asserts nothing about speed.
//   node --import tsx bench/cli-start.ts [--runs N]
// Launches `node bin/langperf.mjs --help` and `node bin/langperf.mjs show` (against a small
// SQLite database it fills in a temporary directory with `langperf import pyperf
// examples/pyperf/*`) N times each (default 15) with LANGPERF_CLI=dist and LANGPERF_CLI=src,
// the two interleaved after one unmeasured launch of each, and prints p50/p95 of the wall time
// of each and the ratio of the p50s; `node -e ''` alone for the floor. Builds dist/cli first
// when it is missing or stale. Target (issue 13): `--help` and `show` compiled, p50 < 0.4 s.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { arg, percentile } from './shared.ts'

const RUNS = arg('runs', 15)
const root = fileURLToPath(new URL('..', import.meta.url))
const bin = join(root, 'bin', 'langperf.mjs')
const MODES = ['dist', 'src'] as const

/** Runs node with `args` and LANGPERF_CLI=`mode`; the wall time in seconds. Throws on failure. */
function launch(args: readonly string[], mode: string, db: string): number {
  const t0 = performance.now()
  const r = spawnSync(process.execPath, args, {
    cwd: root,
    env: { ...process.env, LANGPERF_CLI: mode, LANGPERF_DB: db },
    encoding: 'utf8',
  })
  const s = (performance.now() - t0) / 1000
  if (r.status !== 0)
    throw new Error(`node ${args.join(' ')} (LANGPERF_CLI=${mode}) exited ${r.status}: ${r.stderr}`)
  return s
}

const fmt = (s: number) => `${s.toFixed(3)} s`

function main(): void {
  const dir = mkdtempSync(join(tmpdir(), 'langperf-cli-start-'))
  const db = join(dir, 'langperf.db')
  try {
    if (
      spawnSync(process.execPath, [bin, '--version'], { env: { ...process.env, LANGPERF_CLI: 'dist' } })
        .status !== 0
    ) {
      console.log('dist/cli is missing or stale: building it (npm run build:cli)')
      const b = spawnSync(process.execPath, [join(root, 'scripts', 'build-cli.mjs')], { stdio: 'inherit' })
      if (b.status !== 0) throw new Error('the build failed')
    }
    const examples = readdirSync(join(root, 'examples', 'pyperf'))
      .filter((f) => /\.json(\.gz)?$/.test(f))
      .map((f) => join(root, 'examples', 'pyperf', f))
    launch([bin, 'import', 'pyperf', ...examples], 'dist', db)
    console.log(
      `== CLI start: ${RUNS} launches of each, dist and src interleaved (${examples.length} runs stored)`,
    )

    const commands: [string, string[]][] = [
      ['--help', [bin, '--help']],
      ['show', [bin, 'show']],
    ]
    const floor: number[] = []
    const times = new Map<string, number[]>()
    for (const [, args] of commands) for (const mode of MODES) launch(args, mode, db) // unmeasured
    for (let i = 0; i < RUNS; i++) {
      floor.push(launch(['-e', ''], 'dist', db))
      for (const [label, args] of commands) {
        const order = i % 2 === 0 ? MODES : [...MODES].reverse()
        for (const mode of order) {
          const key = `${label} ${mode}`
          times.set(key, [...(times.get(key) ?? []), launch(args, mode, db)])
        }
      }
    }
    floor.sort((a, b) => a - b)
    console.log(
      `node -e '' (the floor): p50 ${fmt(percentile(floor, 0.5))}, p95 ${fmt(percentile(floor, 0.95))}`,
    )
    for (const [label] of commands) {
      const p50: Record<string, number> = {}
      for (const mode of MODES) {
        const t = (times.get(`${label} ${mode}`) ?? []).sort((a, b) => a - b)
        p50[mode] = percentile(t, 0.5)
        const what = mode === 'dist' ? 'compiled (dist/cli)' : 'sources (tsx)'
        console.log(
          `langperf ${label}, ${what}: p50 ${fmt(percentile(t, 0.5))}, p95 ${fmt(percentile(t, 0.95))}`,
        )
      }
      console.log(`langperf ${label}: tsx / compiled p50 = ${((p50.src ?? 0) / (p50.dist ?? 1)).toFixed(1)}×`)
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

main()
