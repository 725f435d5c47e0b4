// Bisection by instruction counts against bisection by wall-clock time, on the toy runtime (a tiny
// C program embedding CPython, src/cli/toy-runtime.ts) whose commit SLOW installs a Python profile
// hook: the same range bisected with `langperf bisect --measure instructions` and with the default
// (timed, processes doubling until the verdict is clear at α = 0.01). Each bisection has its own
// directory and build cache, so both include their builds. Prints per mode the machine time (wall
// time of the command; the median when --runs > 1), the builds measured, the processes run (one
// per build and workload measured, over every step and the confirmation), whether it named the
// slow commit, and the ratio of the times. The modes alternate, so drift of the shared machine
// hits both.
//
// `--min-time` (passed to both modes) sets the calibrated value's length: the loops are calibrated
// on the good end and frozen, so a build 10× slower runs its value 10× longer, under callgrind too.
//
//   node --import tsx bench/bisect-modes.ts [--commits 6] [--slow 3] [--runs 1] [--min-time 0.01]
//        [--workload calls_closures]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import {
  cli,
  makeToyRepo,
  pythonHookMain,
  TOY_BUILD_TOML,
  TOY_SKIP,
  toyConfigToml,
} from '../src/cli/toy-runtime.ts'
import { openSqliteStore } from '../src/store/index.ts'

const { values } = parseArgs({
  options: {
    commits: { type: 'string', default: '6' },
    slow: { type: 'string', default: '3' },
    'min-time': { type: 'string', default: '0.01' },
    runs: { type: 'string', default: '1' },
    workload: { type: 'string', default: 'calls_closures' },
  },
})
const commits = Number(values.commits)
const slow = Number(values.slow)
const runs = Number(values.runs)
if (!(Number.isInteger(commits) && Number.isInteger(slow) && slow >= 1 && slow < commits))
  throw new Error('--slow must be an integer in [1, --commits)')
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be an integer ≥ 1')
if (TOY_SKIP) throw new Error(`Cannot build the toy runtime here: ${TOY_SKIP}`)

const root = mkdtempSync(join(tmpdir(), 'langperf-bisect-modes-'))
const repo = makeToyRepo(root, {
  dir: 'toy',
  total: commits,
  broken: null,
  slow,
  slowMain: (version) => pythonHookMain(version, 10),
  slowSubject: 'Install a call hook',
})

interface Outcome {
  readonly seconds: number
  readonly builds: number
  readonly processes: number
  readonly found: boolean
  readonly kind: string
}

/** One bisection of the whole range in its own directory (own store and build cache). */
async function bisectOnce(mode: 'instructions' | 'time', n: number): Promise<Outcome> {
  const dir = join(root, `${mode}-${n}`)
  const config = join(dir, 'langperf.toml')
  mkdirSync(dir, { recursive: true })
  // Every bisection clones the one toy repository into its own mirror and cache.
  writeFileSync(config, `${toyConfigToml(repo.origin)}\n[suites]\ndefault = ["quick"]\n\n${TOY_BUILD_TOML}`)
  const args = [
    'bisect',
    '--config',
    config,
    '--machine',
    'bench',
    '--good',
    repo.shas[0]!,
    '--bad',
    repo.shas[commits - 1]!,
    '-w',
    values.workload,
    '--json',
    '--min-time',
    values['min-time'],
    ...(mode === 'instructions' ? ['--measure', 'instructions'] : []),
  ]
  const t0 = performance.now()
  const r = await cli(...args)
  const seconds = (performance.now() - t0) / 1000
  if (r.code !== 0 && r.code !== 1) throw new Error(`langperf bisect (${mode}) failed: ${r.err}`)
  const result = JSON.parse(r.out) as {
    runIds: number[]
    outcome: { kind: string; builds: number; culprit?: { sha: string } }
  }
  const store = await openSqliteStore(join(dir, 'langperf.db'))
  let processes = 0
  try {
    for (const id of result.runIds)
      for (const res of await store.getResults(id)) processes += res.processMeans.length
  } finally {
    await store.close()
  }
  return {
    seconds,
    builds: result.outcome.builds,
    processes,
    found: result.outcome.culprit?.sha === repo.shas[slow],
    kind: result.outcome.kind,
  }
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

try {
  const done: Record<'instructions' | 'time', Outcome[]> = { instructions: [], time: [] }
  process.stdout.write(
    `toy runtime: ${commits} commits, commit ${slow} slow; workload ${values.workload}, --min-time ${values['min-time']}; load ${loadavg()[0]!.toFixed(2)}\n`,
  )
  for (let n = 0; n < runs; n++) {
    for (const mode of n % 2 === 0
      ? (['instructions', 'time'] as const)
      : (['time', 'instructions'] as const)) {
      const o = await bisectOnce(mode, n)
      done[mode].push(o)
      process.stdout.write(
        `  run ${n + 1} ${mode.padEnd(12)} ${o.seconds.toFixed(1).padStart(7)} s  builds ${o.builds}  processes ${o.processes}  ${o.kind}${o.found ? ', the slow commit' : ', NOT the slow commit'}\n`,
      )
    }
  }
  const t = {
    instructions: median(done.instructions.map((o) => o.seconds)),
    time: median(done.time.map((o) => o.seconds)),
  }
  for (const mode of ['instructions', 'time'] as const) {
    const os = done[mode]
    process.stdout.write(
      `${mode.padEnd(12)} median ${t[mode].toFixed(1)} s over ${os.length}; builds ${os.map((o) => o.builds).join('/')}; processes ${os.map((o) => o.processes).join('/')}; found the slow commit ${os.filter((o) => o.found).length}/${os.length}\n`,
    )
  }
  process.stdout.write(
    `machine time instructions / time: ${(t.instructions / t.time).toFixed(2)}× (load now ${loadavg()[0]!.toFixed(2)})\n`,
  )
} finally {
  rmSync(root, { recursive: true, force: true })
}
