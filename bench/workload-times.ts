// Prints how long one step() of each built-in workload takes, to tune their parameters to the
// 2–50 ms target of workloads/README.md. Each workload runs in its own process: make() once,
// one untimed step, then --steps timed steps (time_loops(1, params) for start-up workloads).
//
// Usage: node --import tsx bench/workload-times.ts [--python EXE] [--steps N] [name…]
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadWorkloads, supportsPython } from '../src/runner/index.ts'

const TARGET_MS = { low: 2, high: 50 } as const

const DRIVER = `
import json, os, sys
try:
    from time import perf_counter as clock
except ImportError:
    from time import time as clock

job = json.loads(sys.stdin.read())
sys.path.insert(0, os.path.dirname(job["entry"]))
with open(job["entry"], "rb") as f:
    code = compile(f.read(), job["entry"], "exec", 0, True)
module = type(sys)("langperf_workload")
module.__file__ = job["entry"]
sys.modules["langperf_workload"] = module
exec(code, module.__dict__)
params = job["params"]
t0 = clock()
if hasattr(module, "time_loops"):
    step = lambda: module.time_loops(1, params)
else:
    step = module.make(params)
make_s = clock() - t0
step()
times = []
for _ in range(job["steps"]):
    t = clock()
    step()
    times.append(clock() - t)
with open(job["report"], "w") as out:
    out.write(json.dumps({"make_s": make_s, "step_s": times, "time_loops": hasattr(module, "time_loops")}))
`

function parseArgs(argv: readonly string[]): { python: string; steps: number; names: string[] } {
  let python = 'python3'
  let steps = 11
  const names: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? ''
    if (arg === '--python') python = argv[++i] ?? python
    else if (arg === '--steps') steps = Number(argv[++i])
    else names.push(arg)
  }
  if (!Number.isInteger(steps) || steps < 1)
    throw new Error(`Cannot use --steps ${steps}: expected a positive integer`)
  return { python, steps, names }
}

function median(sorted: readonly number[]): number {
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2
}

const { python, steps, names } = parseArgs(process.argv.slice(2))
const versionRun = spawnSync(python, ['-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3])'], {
  encoding: 'utf8',
})
if (versionRun.status !== 0) throw new Error(`Cannot run ${python}: ${versionRun.stderr || versionRun.error}`)
const version = versionRun.stdout.trim()
const scratch = mkdtempSync(join(tmpdir(), 'langperf-times-'))

// Server workloads (a `driver`) have no step to time: bench/django-spread.ts measures the web one.
const workloads = (await loadWorkloads()).filter(
  (w) => w.manifest.driver === undefined && (names.length === 0 || names.includes(w.manifest.name)),
)
console.log(
  `${python} ${version}: median of ${steps} steps after one untimed step (target ${TARGET_MS.low}–${TARGET_MS.high} ms)`,
)
console.log(
  `${'workload'.padEnd(16)} ${'median ms'.padStart(10)} ${'min ms'.padStart(8)} ${'max ms'.padStart(8)} ${'make ms'.padStart(8)}`,
)
try {
  for (const w of workloads) {
    const name = w.manifest.name.padEnd(16)
    if (!supportsPython(w.manifest, version)) {
      console.log(`${name} skipped: requires Python ${w.manifest.requiresPython}`)
      continue
    }
    const report = join(scratch, `${w.manifest.name}.json`)
    const res = spawnSync(python, ['-c', DRIVER], {
      input: JSON.stringify({ entry: w.entryPath, params: w.manifest.parameters, steps, report }),
      encoding: 'utf8',
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
    })
    if (res.status !== 0) {
      console.log(`${name} FAILED: ${res.stderr.trim().split('\n').slice(-1)[0] ?? ''}`)
      continue
    }
    const out = JSON.parse(readFileSync(report, 'utf8')) as {
      make_s: number
      step_s: number[]
      time_loops: boolean
    }
    const ms = out.step_s.map((s) => s * 1000).sort((a, b) => a - b)
    const med = median(ms)
    // A time_loops workload's "step" is one operation it times itself (a process spawn): no target.
    const outside = !out.time_loops && (med < TARGET_MS.low || med > TARGET_MS.high)
    const flag = out.time_loops ? '  (time_loops, 1 loop)' : outside ? '  <- outside target' : ''
    console.log(
      `${name} ${med.toFixed(2).padStart(10)} ${(ms[0] ?? 0).toFixed(2).padStart(8)} ${(ms[ms.length - 1] ?? 0).toFixed(2).padStart(8)} ${(out.make_s * 1000).toFixed(1).padStart(8)}${flag}`,
    )
  }
} finally {
  rmSync(scratch, { recursive: true, force: true })
}
