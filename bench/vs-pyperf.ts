// Certainty per machine second, langperf against pyperf (issue 13): the same workload code on the
// same interpreter, timed by `langperf run` (the product's own command line) and by pyperf's
// Runner (bench/vs-pyperf-driver.py, which loads the workload as the harness does and times the
// same step() with the harness's loop). Pairs alternate their order (langperf settings then
// pyperf, then pyperf then the settings reversed). For each command: its wall time (the machine
// time it took), the mean and the 95 % half-width of the mean computed the same way for both
// (t interval of the per-process means, docs/stats.md), processes, values and loops.
//
// The figure of merit: the machine time each tool needs for the same half-width. With n processes
// hw² ∝ 1/n and wall ∝ n, so time for equal half-width ∝ hw² × wall, and the ratio
// (hw_l / hw_p)² × (wall_l / wall_p) of one pair says how much of pyperf's machine time langperf
// needs for pyperf's certainty. Printed per workload: its geometric mean over pairs with a t
// interval, and a pooled estimate (variances of the process means pooled over pairs) with a
// bootstrap interval over pairs; then the geometric mean over workloads. Also printed, from the
// stored values: what each process costs beyond its timed values, the within- and
// between-process spread, and the bias of a process's first value (is a warm-up needed?).
//
//   node --import tsx bench/vs-pyperf.ts --pyperf DIR [--python ~/.pyenv/versions/3.11.7/bin/python3.11]
//        [--pairs 6] [--workloads nbody,generators,json_roundtrip] [--settings default,1+1,0+1]
//        [--out records.json] [--keep] [--pyperf-arg=--affinity=1 …]
//
// DIR is a pyperf source tree (its `pyperf/` package is put on PYTHONPATH); pyperf is not part of
// langperf and none of it is copied here. psutil is optional for pyperf (metadata, affinity): to
// give pyperf the install it normally has, `python -m pip install --target DIR psutil`.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { homedir, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createRng } from '../src/lib/index.ts'
import { mean, meanTInterval, median, studentTQuantile, variance } from '../src/stats/index.ts'
import { langperf } from './shared.ts'

const { values } = parseArgs({
  options: {
    pyperf: { type: 'string' },
    python: { type: 'string', default: join(homedir(), '.pyenv/versions/3.11.7/bin/python3.11') },
    pairs: { type: 'string', default: '6' },
    workloads: { type: 'string', default: 'nbody,generators,json_roundtrip' },
    settings: { type: 'string', default: 'default,1+1,0+1' },
    out: { type: 'string' },
    from: { type: 'string' },
    keep: { type: 'boolean', default: false },
    // Passed to pyperf's Runner as given, e.g. --pyperf-arg=--affinity=1 to place pyperf's workers
    // on the CPU langperf's default puts its own on (langperf run --cpus auto).
    'pyperf-arg': { type: 'string', multiple: true, default: [] },
  },
})

/** langperf settings compared with pyperf's default; `default` is langperf's own. */
const SETTINGS: Readonly<Record<string, readonly string[]>> = {
  default: [],
  // One value per process: cheaper processes, where between-process spread dominates the
  // within-process one (the variance components are printed below). Measured on 2026-12-06 it
  // did not pay: a process's untimed start-up is 1.4–4 values long (docs/stats.md).
  '1+1': ['--processes', '30', '--warmups', '1', '--values', '1'],
  // And no warm-up: honest only where a warm-up value is not biased (printed below).
  '0+1': ['--processes', '40', '--warmups', '0', '--values', '1'],
}

const HOW_TO_GET_PYPERF = `Give a pyperf source tree with --pyperf DIR, e.g.
  mkdir -p /tmp/pyperf && git --git-dir=/work/.mirror/psf+pyperf/repo archive HEAD | tar -x -C /tmp/pyperf
  (or: git clone https://github.com/psf/pyperf /tmp/pyperf)
and optionally psutil beside it, as a pip install of pyperf would bring:
  ${values.python} -m pip install --target /tmp/pyperf psutil`

if (!values.pyperf || !existsSync(join(values.pyperf, 'pyperf', '__init__.py'))) {
  // Skipped, with the reason and the way to get pyperf (it is not part of langperf).
  const why = values.pyperf ? `no pyperf package in ${values.pyperf}/pyperf` : 'no --pyperf DIR given'
  console.error(`vs-pyperf skipped: ${why}.\n${HOW_TO_GET_PYPERF}`)
  process.exit(0)
}
const pyperfDir = values.pyperf
const python = values.python
const pairs = Number(values.pairs)
if (!Number.isInteger(pairs) || pairs < 2) throw new Error('--pairs must be an integer ≥ 2')
const workloads = values.workloads.split(',').filter(Boolean)
const settings = values.settings.split(',').filter(Boolean)
for (const s of settings)
  if (!SETTINGS[s]) throw new Error(`Unknown setting "${s}": expected ${Object.keys(SETTINGS).join(', ')}`)

const repo = new URL('..', import.meta.url).pathname
const driver = join(repo, 'bench/vs-pyperf-driver.py')
const dir = mkdtempSync(join(tmpdir(), 'langperf-vs-pyperf-'))
/** The bench's own database: langperf reuses the loops of its earlier runs there. */
const db = join(dir, 'langperf.db')
const pyEnv = { ...process.env, PYTHONPATH: pyperfDir }
const probe = execFileSync(
  python,
  [
    '-c',
    'import pyperf, sys\ntry:\n import psutil; p = psutil.__version__\nexcept ImportError:\n p = None\nprint(pyperf.__version__, p, sys.version.split()[0])',
  ],
  { env: pyEnv, encoding: 'utf8' },
)
const [pyperfVersion, psutilVersion, pythonVersion] = probe.trim().split(' ')

/** One command's figures. */
interface Side {
  readonly tool: string
  readonly wallS: number
  readonly load1: number
  readonly processMeans: readonly number[]
  /** Values of each process, in order (warm-ups left out), for the variance components. */
  readonly values: readonly (readonly number[])[]
  /** The first warm-up of each process that had one. */
  readonly firstWarmups: readonly (number | null)[]
  readonly loops: number
  /** Wall time of each worker process as the runner saw it (langperf only). */
  readonly workerWallS: readonly number[]
  /** What the tool itself says. */
  readonly reported: string
}

/** Relative 95 % half-width of the mean of the process means (t interval, as langperf's summary). */
function relHalfWidth(means: readonly number[]): number {
  const i = meanTInterval(means, { confidence: 0.95 })
  return i.kind === 'interval' ? (i.high - i.low) / 2 / i.estimate : Number.NaN
}

const time = <T>(f: () => T): { value: T; wallS: number } => {
  const t0 = performance.now()
  const value = f()
  return { value, wallS: (performance.now() - t0) / 1000 }
}

interface ExportedRun {
  readonly values?: readonly number[]
  readonly warmups?: readonly (readonly [number, number])[]
  readonly metadata?: Readonly<Record<string, unknown>>
}
interface PyperfFile {
  readonly metadata?: Readonly<Record<string, unknown>>
  readonly benchmarks: readonly {
    readonly metadata?: Readonly<Record<string, unknown>>
    readonly runs: readonly ExportedRun[]
  }[]
}

/** The JSON of `langperf run` of one workload with a setting, into the bench's database. */
function langperfRun(setting: string, workload: string): string {
  const options = SETTINGS[setting] ?? []
  const bin = join(repo, 'bin/langperf.mjs')
  return inOwnSession(process.execPath, [
    bin,
    'run',
    '--python',
    python,
    '-w',
    workload,
    '--no-progress',
    '--json',
    ...options,
    '--db',
    db,
  ])
}

/**
 * Runs a command in a session of its own (`setsid -w`) and returns its stdout. Linux's autogroup
 * scheduling (kernel.sched_autogroup_enabled = 1 on this machine) shares the CPUs between
 * sessions first: a process in the session of other busy processes gets their group's share, not
 * its own. langperf starts each worker detached (a session of its own), pyperf's manager starts
 * its workers in its own session; so each tool's command gets a session of its own here, and
 * neither is slowed by what else runs in the session of whoever started the bench (measured: with
 * two busy loops in the caller's session, nbody's step took ~100 ms in that session, ~31 ms in
 * its own).
 */
function inOwnSession(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): string {
  return execFileSync('setsid', ['-w', command, ...args], {
    env,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
}

/** `langperf run` of one workload with a setting, then what it stored (show, export). */
function runLangperf(setting: string, workload: string): Side {
  const load1 = loadavg()[0] ?? 0
  const { value: out, wallS } = time(() => langperfRun(setting, workload))
  const runId = (JSON.parse(out) as { runIds: number[] }).runIds[0]
  const file = JSON.parse(langperf(db, ['export', 'pyperf', String(runId)])) as PyperfFile
  const runs = (file.benchmarks[0]?.runs ?? []).filter((r) => (r.values?.length ?? 0) > 0)
  const shown = JSON.parse(langperf(db, ['show', String(runId), '--json'])) as {
    results: { loops: number; processMeans: number[]; summary: { mean: number } }[]
  }
  const result = shown.results[0]!
  const hw = relHalfWidth(result.processMeans)
  return {
    tool: `langperf ${setting}`,
    wallS,
    load1,
    processMeans: result.processMeans,
    values: runs.map((r) => r.values ?? []),
    firstWarmups: runs.map((r) => r.warmups?.[0]?.[1] ?? null),
    loops: result.loops,
    workerWallS: runs.map((r) => Number(r.metadata?.worker_wall_ms) / 1000),
    reported: `${(result.summary.mean * 1e3).toFixed(2)} ms ± ${(hw * 100).toFixed(1)} %`,
  }
}

/** pyperf's default run of the driver on one workload. */
function runPyperf(workload: string, n: number): Side {
  const out = join(dir, `pyperf-${workload}-${n}.json`)
  const load1 = loadavg()[0] ?? 0
  const { value: said, wallS } = time(() =>
    inOwnSession(
      python,
      [driver, '--workload-dir', join(repo, 'workloads', workload), '-o', out, ...values['pyperf-arg']],
      pyEnv,
    ),
  )
  const file = JSON.parse(readFileSync(out, 'utf8')) as PyperfFile
  const bench = file.benchmarks[0]!
  const runs = bench.runs.filter((r) => (r.values?.length ?? 0) > 0)
  const vals = runs.map((r) => r.values ?? [])
  const loops = Number(
    bench.metadata?.loops ?? file.metadata?.loops ?? runs[0]?.metadata?.loops ?? Number.NaN,
  )
  return {
    tool: 'pyperf',
    wallS,
    load1,
    processMeans: vals.map((v) => mean(v)),
    values: vals,
    firstWarmups: runs.map((r) => r.warmups?.[0]?.[1] ?? null),
    loops,
    workerWallS: [],
    // pyperf's own summary: mean ± standard deviation of all values, pooled over processes.
    reported: said.trim().split('\n').at(-1) ?? '',
  }
}

interface Pair {
  readonly workload: string
  readonly index: number
  readonly sides: Readonly<Record<string, Side>>
}

/** With --from, the records of an earlier run (its --out file) are analysed, nothing measured. */
const saved = values.from
  ? (JSON.parse(readFileSync(values.from, 'utf8')) as { seeds: typeof seeds; records: Pair[] })
  : null
const records: Pair[] = saved ? saved.records : []
const seeds: { workload: string; setting: string; wallS: number }[] = saved ? saved.seeds : []
const fmtS = (s: number) => `${s.toFixed(1)} s`
const pct = (x: number) => `${(x * 100).toFixed(2)} %`

/** Geometric mean of ratios with a t interval over them (log scale). */
function geoT(ratios: readonly number[]): { est: number; low: number; high: number; n: number } {
  const logs = ratios.map(Math.log)
  const m = mean(logs)
  const h = studentTQuantile(0.975, logs.length - 1) * Math.sqrt(variance(logs) / logs.length)
  return { est: Math.exp(m), low: Math.exp(m - h), high: Math.exp(m + h), n: logs.length }
}

/**
 * The pooled ratio over a workload's pairs: Σ hw²-equivalent (s²/n / mean² × t²) and mean walls of
 * each side, the machine time for equal half-width as their product ratio; bootstrap over pairs.
 */
function pooledRatio(ps: readonly Pair[], setting: string, seed: number) {
  const est = (sample: readonly Pair[]) => {
    const side = (k: string) => {
      const hw2 = mean(sample.map((p) => relHalfWidth(p.sides[k]!.processMeans) ** 2))
      const wall = mean(sample.map((p) => p.sides[k]!.wallS))
      return hw2 * wall
    }
    return side(`langperf ${setting}`) / side('pyperf')
  }
  return { est: est(ps), ...bootstrapOverPairs(ps, est, seed) }
}

/** 95 % percentile interval of `statistic` over 2000 resamples of the pairs (non-finite ones dropped). */
function bootstrapOverPairs(
  ps: readonly Pair[],
  statistic: (sample: readonly Pair[]) => number,
  seed: number,
): { low: number; high: number } {
  const rng = createRng(seed)
  const boots: number[] = []
  for (let b = 0; b < 2000; b++) boots.push(statistic(ps.map(() => ps[Math.floor(rng() * ps.length)]!)))
  const sorted = boots.filter(Number.isFinite).sort((a, b) => a - b)
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN
  return { low: at(0.025), high: at(0.975) }
}

/** Within- and between-process spread of log values, over every process of the given runs. */
function spread(sides: readonly Side[]) {
  const procs = sides.flatMap((s) => s.values).filter((v) => v.length >= 2)
  if (procs.length < 3) return null
  const logs = procs.map((v) => v.map(Math.log))
  const within = mean(logs.map((l) => variance(l)))
  const v = mean(logs.map((l) => l.length))
  // Between: per run, the variance of the process means less the within part they carry.
  const between = mean(
    sides
      .filter((s) => s.values.length >= 3 && s.values.every((x) => x.length >= 2))
      .map((s) => variance(s.values.map((x) => mean(x.map(Math.log)))) - within / v),
  )
  const firstBias = logs.map((l) => l[0]! - mean(l.slice(1)))
  const warmBias = sides.flatMap((s) =>
    s.values.flatMap((x, i) => {
      const w = s.firstWarmups[i]
      return w && x.length > 0 ? [Math.log(w) - mean(x.map(Math.log))] : []
    }),
  )
  const ci = (xs: readonly number[]) => {
    const m = mean(xs)
    const h = studentTQuantile(0.975, xs.length - 1) * Math.sqrt(variance(xs) / xs.length)
    return `${pct(Math.expm1(m))} [${pct(Math.expm1(m - h))}, ${pct(Math.expm1(m + h))}]`
  }
  return {
    sdWithin: Math.sqrt(within),
    sdBetween: Math.sqrt(Math.max(0, between)),
    firstValue: ci(firstBias),
    warmup: warmBias.length >= 3 ? ci(warmBias) : 'n/a',
    processes: procs.length,
  }
}

try {
  console.log(
    `vs-pyperf: python ${pythonVersion} (${python}), pyperf ${pyperfVersion} from ${pyperfDir}, psutil ${psutilVersion === 'None' ? 'absent' : psutilVersion}; ${pairs} pairs × ${workloads.join(', ')}; langperf settings ${settings.map((s) => `${s} [${SETTINGS[s]!.join(' ') || 'no options'}]`).join(', ')}; pyperf ${values['pyperf-arg'].length > 0 ? values['pyperf-arg'].join(' ') : 'with no options'}`,
  )
  console.log(`load average at start: ${readFileSync('/proc/loadavg', 'utf8').trim()}`)
  // One database for every setting: the first run of a workload calibrates its loops, as any
  // earlier run on this machine would have, and every later run reuses them (so the settings
  // differ in their design only); that first run's wall time is shown apart.
  for (const workload of saved ? [] : workloads) {
    const setting = settings[0]!
    seeds.push({ workload, setting, wallS: time(() => langperfRun(setting, workload)).wallS })
  }
  // Pairs round by round over the workloads, so that an interrupted bench (its --out file is
  // written after every pair; --from analyses it) leaves every workload with as many pairs.
  for (let i = 0; i < (saved ? 0 : pairs); i++) {
    for (const workload of workloads) {
      const order = [...settings.map((s) => `langperf ${s}`), 'pyperf']
      if (i % 2 === 1) order.reverse()
      const sides: Record<string, Side> = {}
      for (const tool of order) {
        sides[tool] = tool === 'pyperf' ? runPyperf(workload, i) : runLangperf(tool.slice(9), workload)
      }
      records.push({ workload, index: i, sides })
      if (values.out) writeFileSync(values.out, JSON.stringify({ seeds, records }))
      console.error(
        `${workload} pair ${i + 1}/${pairs}: ${order.map((t) => `${t} ${fmtS(sides[t]!.wallS)} ±${pct(relHalfWidth(sides[t]!.processMeans))}`).join(', ')} (load ${sides[order[0]!]!.load1.toFixed(2)})`,
      )
    }
  }
  console.log(`load average at end: ${readFileSync('/proc/loadavg', 'utf8').trim()}`)

  const tools = ['pyperf', ...settings.map((s) => `langperf ${s}`)]
  /** Per setting, each workload's mean log ratio over pairs and its squared standard error. */
  const perSetting = new Map<string, { m: number; se2: number; n: number }[]>()
  for (const workload of workloads.filter((w) => records.some((r) => r.workload === w))) {
    const ps = records.filter((r) => r.workload === workload)
    const loads = ps.flatMap((p) => Object.values(p.sides).map((s) => s.load1)).sort((a, b) => a - b)
    console.log(
      `\n${workload}: ${ps.length} pairs; load average (1 min) at the commands' starts: median ${median(loads).toFixed(2)}, max ${loads.at(-1)?.toFixed(2)}`,
    )
    console.log(
      '  tool                processes×values  loops  median ±hw   median wall  median mean     machine time for equal hw vs pyperf: per-pair geo mean [95 % t]  | pooled [bootstrap 95 %]',
    )
    for (const tool of tools) {
      const sides = ps.map((p) => p.sides[tool]!)
      const hw = median(sides.map((s) => relHalfWidth(s.processMeans)))
      const wall = median(sides.map((s) => s.wallS))
      const m = median(sides.map((s) => mean(s.processMeans)))
      const shape = `${median(sides.map((s) => s.values.length))}×${median(sides.map((s) => median(s.values.map((v) => v.length))))}`
      const loops = [...new Set(sides.map((s) => s.loops))].join('/')
      let tail = ''
      if (tool !== 'pyperf') {
        const ratios = ps.map((p) => {
          const l = p.sides[tool]!
          const q = p.sides.pyperf!
          return (relHalfWidth(l.processMeans) / relHalfWidth(q.processMeans)) ** 2 * (l.wallS / q.wallS)
        })
        const g = geoT(ratios)
        const setting = tool.slice(9)
        const pooled = pooledRatio(ps, setting, 13)
        const logs = ratios.map(Math.log)
        perSetting.set(setting, [
          ...(perSetting.get(setting) ?? []),
          { m: mean(logs), se2: variance(logs) / logs.length, n: logs.length },
        ])
        tail = `${g.est.toFixed(2)} [${g.low.toFixed(2)}, ${g.high.toFixed(2)}]  | ${pooled.est.toFixed(2)} [${pooled.low.toFixed(2)}, ${pooled.high.toFixed(2)}]`
      }
      console.log(
        `  ${tool.padEnd(18)}  ${shape.padStart(16)}  ${loops.padStart(5)}  ${pct(hw).padStart(10)}  ${fmtS(wall).padStart(11)}  ${(m * 1e3).toFixed(3).padStart(8)} ms  ${tail}`,
      )
    }
    // Where the time goes and what the spread is made of.
    for (const tool of tools) {
      const sides = ps.map((p) => p.sides[tool]!)
      const sp = spread(sides)
      const perProcess = sides.flatMap((s) => s.workerWallS).filter((x) => x > 0)
      const timed = sides.flatMap((s) =>
        s.values.map((v, i) => (v.length + (s.firstWarmups[i] ? 1 : 0)) * mean(v) * s.loops),
      )
      const cost =
        perProcess.length > 0
          ? `; per process ${(median(perProcess) * 1e3).toFixed(0)} ms wall, ${(median(timed) * 1e3).toFixed(0)} ms of it timed; per run outside the processes ${fmtS(median(sides.map((s) => s.wallS - s.workerWallS.reduce((a, b) => a + b, 0))))}`
          : `; per process (wall / processes) ${(median(sides.map((s) => s.wallS / s.values.length)) * 1e3).toFixed(0)} ms, ${(median(timed) * 1e3).toFixed(0)} ms of it timed`
      console.log(
        `  ${tool}: ${sp ? `σ within a process ${pct(sp.sdWithin)}, between processes ${pct(sp.sdBetween)}; first value vs the rest ${sp.firstValue}; warm-up vs the values ${sp.warmup}` : 'one value per process'}${cost}`,
      )
    }
    // Run-to-run spread: how far one command's mean moves from pair to pair (σ of log means),
    // and each setting's against pyperf's, with a bootstrap interval over pairs.
    const sdLogMean = (sample: readonly Pair[], tool: string) =>
      Math.sqrt(variance(sample.map((p) => Math.log(mean(p.sides[tool]!.processMeans)))))
    const spreadLine = tools.map((tool) => {
      const sd = sdLogMean(ps, tool)
      if (tool === 'pyperf') return `pyperf ${pct(sd)}`
      const ci = bootstrapOverPairs(ps, (x) => sdLogMean(x, tool) / sdLogMean(x, 'pyperf'), 17)
      return `${tool} ${pct(sd)} (${(sd / sdLogMean(ps, 'pyperf')).toFixed(2)}× [${ci.low.toFixed(2)}, ${ci.high.toFixed(2)}])`
    })
    console.log(`  run-to-run σ of the mean: ${spreadLine.join(', ')}`)
    console.log(`  pyperf says (last pair): ${ps.at(-1)?.sides.pyperf?.reported}`)
    const seedLine = seeds.filter((s) => s.workload === workload)
    console.log(
      `  first langperf run (calibrates the loops every setting reuses; not counted above): ${seedLine.map((s) => `${s.setting} ${fmtS(s.wallS)}`).join(', ')}`,
    )
  }
  // Over workloads: the mean of their mean log ratios, its standard error from theirs (the
  // workloads are fixed; only the pairs are a sample), Welch–Satterthwaite dof, as stats' geomean.
  console.log('\nmachine time for equal hw vs pyperf, geometric mean over workloads [95 % interval]:')
  for (const [setting, ws] of perSetting) {
    const k = ws.length
    const m = mean(ws.map((w) => w.m))
    const se2 = ws.reduce((a, w) => a + w.se2, 0) / k ** 2
    const dof = ws.reduce((a, w) => a + w.se2, 0) ** 2 / ws.reduce((a, w) => a + w.se2 ** 2 / (w.n - 1), 0)
    const h = studentTQuantile(0.975, dof) * Math.sqrt(se2)
    console.log(
      `  langperf ${setting}: ${Math.exp(m).toFixed(2)} [${Math.exp(m - h).toFixed(2)}, ${Math.exp(m + h).toFixed(2)}] over ${k} workloads × ${ws.map((w) => w.n).join('/')} pairs`,
    )
  }
} finally {
  if (!values.keep) rmSync(dir, { recursive: true, force: true })
  else console.error(`kept ${dir}`)
}
