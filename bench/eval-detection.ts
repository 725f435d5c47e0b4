// Evaluates change detection the way a user meets it: the raw pyperf result files of a real,
// published history (pyperformance on the Faster CPython team's machine pythonperf2) go through
// `langperf import pyperf` and `langperf detect`, run as child processes of the product's own CLI
// into a fresh database, and what `detect --json` reports is scored against the documented events.
// Nothing is told to the importer (no --config, --machine or --branch): it must infer them.
//
//   node --import tsx bench/eval-detection.ts                     # every figure: 2–2.5 min on 2 cores
//   node --import tsx bench/eval-detection.ts --json              # one JSON object on stdout
//   node --import tsx bench/eval-detection.ts --only history      # the real history only (~30 s)
//   node --import tsx bench/eval-detection.ts --only synthetic --align build --seeds 5
//   node --import tsx bench/eval-detection.ts --only history --accumulate 10   # as a nightly (~1 min)
//
// Options: --files DIR (the pyperf files; default $LANGPERF_SHARED_DATA/pyperf-json-pythonperf2,
// else /work/shared/data/…), --truth DIR (the CSVs; default …/cpython-pyperformance-pythonperf2),
// --seeds N (3), --rounds N (step sets per seed, 2), --step-share F (share of the benchmarks
// stepped per step size in a step set, 0.1), --align benchmark|build|none (benchmark),
// --max-gap-days D (the stretch's builds at most D days apart, 14), --jobs N (imports and detects
// run at once, 2), --only history|synthetic, --keep (keep the temporary
// directory with every file and database), --json, --partial-runs (import beside the history one
// one-benchmark run per main-line default observation, at the new level on a commit midway
// through the event's window, as bench_runner histories hold them: the figures must not move),
// --accumulate N (the history as a nightly meets it: N files at a time in the order of their
// names, bench_runner's bm-<commit date>: commit order, `detect` after each, and the changes open
// at the end, read through `langperf serve`'s GET /api/v1/changes, scored instead; one pass over
// everything is what the figures below assume), --newest-first (with --accumulate: a backfill).
// Progress goes to stderr.
//
// Figures
//
// Real history (every file of the files directory, all configs, main, branches and tags):
//   recall        ground_truth_observations.csv rows of lineage main (event × config × benchmark).
//                 An observation is hit when `detect` reports a change of that benchmark and config
//                 (configs compared lower-cased), not withdrawn, whose first bad commit lies in the
//                 window (commit_before, commit_after], or whose blame range (last good, first bad]
//                 holds commit_after. Positions are in the commit order of the observation's
//                 lineage: runs.csv rows of that config and lineage, CPython's own fork, not
//                 one-benchmark runs, ordered by commit_date_utc then bench_start. Commits compare
//                 by their first 7 hex characters. Direction is not required (counted apart).
//   by commit     observations hit by a change of kind `commit` (blamed on a commit) rather than
//                 only by an `infrastructure` change (a step across an epoch boundary).
//   unexplained   `commit` changes that hit no observation, per 1,000 points; points = rows of
//                 benchmark_results.csv whose run counts as above (the whole history, 12,298).
//                 Not all are false: the data set documents only some events.
//   infrastructure  changes of kind `infrastructure`, counted apart (never blamed on a commit).
//
// Synthetic sets, from real values: the longest stretch of consecutive main-line `default` builds
// on one environment (kernel, CPU configuration, pyperf, pyperformance, benchmark_hash) in
// runs.csv, at most --max-gap-days apart (so daily builds, not release tags months apart: on this
// data d610d82..550483b, 9 builds, 99 benchmarks). Their real result files are rewritten with fake
// but well-formed commits (hash, date one a day, parent) in a new order, keeping every other
// metadata key and every per-process value. Levels are aligned first (--align). The default,
// `benchmark`, divides each build's values of a benchmark by the ratio of that build's median to
// the stretch median: real development inside the stretch goes, and so does most between-build
// noise (what remains is the real process-to-process residual): optimistic. `build` divides each
// build by one build-wide factor and keeps each benchmark's own between-build differences,
// undocumented real moves included (the stretch holds GT05, for one): pessimistic. Each set is
// imported and detected alone, into its own database.
//   A/A           whole builds shuffled (seeded, src/lib/rng.ts); any change reported is a false
//                 alarm: per 1,000 points (benchmark × build) of the A/A sets.
//   steps         in a step set (builds shuffled anew), disjoint random shares of the benchmarks get
//                 a 2, 5 or 10 % slowdown from the third-last build on, so that 3 builds of the new
//                 level exist. Found = a regression change of that benchmark whose first bad build
//                 is one of those 3, or whose blame range (last good, first bad] holds the first
//                 stepped build. Reported per step size, and for 5 % steps of quiet benchmarks:
//                 between-build noise over the stretch (real order, before alignment)
//                 σ = 1.4826 · median |Δ log mean| / √2 below 1.5 %.
//   extra         changes on the unstepped benchmarks of step sets (false alarms there).
//
// The former evaluation through a side loader that read runs.csv (and so knew each run's line
// and config) is gone: it measured the detector, not the product.
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRng } from '../src/lib/rng.ts'
import {
  ALIGNMENTS,
  type Alignment,
  commitKey,
  type Injection,
  loadTruth,
  longestStretch,
  readStretch,
  type SyntheticSet,
  shuffled,
  writePartialRuns,
  writeSet,
} from './eval-sets.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const BIN = join(ROOT, 'bin', 'langperf.mjs')

// ---------------------------------------------------------------------------------------------
// Arguments

const args = process.argv.slice(2)
const argValue = (name: string) => {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : undefined
}
const SHARED = process.env.LANGPERF_SHARED_DATA ?? '/work/shared/data'
const FILES_DIR = argValue('--files') ?? join(SHARED, 'pyperf-json-pythonperf2')
const TRUTH_DIR = argValue('--truth') ?? join(SHARED, 'cpython-pyperformance-pythonperf2')
const numberArg = (name: string, fallback: number, integer: boolean, min: number) => {
  const v = Number(argValue(name) ?? fallback)
  if (!Number.isFinite(v) || v < min || (integer && !Number.isInteger(v))) {
    throw new Error(`${name}: expected ${integer ? 'an integer' : 'a number'} of at least ${min}`)
  }
  return v
}
const SEEDS = numberArg('--seeds', 3, true, 1)
const ROUNDS = numberArg('--rounds', 2, true, 0)
const STEP_SHARE = numberArg('--step-share', 0.1, false, 0)
const JOBS = numberArg('--jobs', 2, true, 1)
const ALIGN = (argValue('--align') ?? 'benchmark') as Alignment
const ONLY = argValue('--only')
const KEEP = args.includes('--keep')
const JSON_OUT = args.includes('--json')
const PARTIAL = args.includes('--partial-runs')
/** Files a night when the history is accumulated as a nightly meets it (0: one import, one detect). */
const ACCUMULATE = numberArg('--accumulate', 0, true, 0)
const NEWEST_FIRST = args.includes('--newest-first')
const STEPS = [0.02, 0.05, 0.1] as const
/** Builds of the new level a step set holds (the step starts at the third-last build). */
const AFTER = 3
const QUIET_SIGMA = 0.015
const MAX_GAP_DAYS = numberArg('--max-gap-days', 14, false, 0)

if (!ALIGNMENTS.includes(ALIGN)) throw new Error(`--align: expected one of ${ALIGNMENTS.join(', ')}`)
if (ONLY !== undefined && ONLY !== 'history' && ONLY !== 'synthetic') {
  throw new Error('--only: expected history or synthetic')
}
if (ACCUMULATE > 0 && PARTIAL) throw new Error('--accumulate and --partial-runs: choose one')

const started = performance.now()
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`
const progress = (line: string) => process.stderr.write(`[${elapsed()}] ${line}\n`)

// ---------------------------------------------------------------------------------------------
// The product's CLI

/** The environment the CLI runs in: no $LANGPERF_DB, every command names its database. */
function cliEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env }
  delete env.LANGPERF_DB
  return env
}

function cli(argv: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...argv], {
      cwd: ROOT,
      env: cliEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (b: Buffer) => out.push(b))
    child.stderr.on('data', (b: Buffer) => err.push(b))
    child.on('error', reject)
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out).toString('utf8'))
      else {
        const tail = Buffer.concat(err).toString('utf8').trim().split('\n').slice(-15).join('\n')
        reject(new Error(`langperf ${argv.slice(0, 2).join(' ')} … exited with ${code}:\n${tail}`))
      }
    })
  })
}

/** A change as `detect --json` reports it (its documented fields), flattened for scoring. */
interface Found {
  readonly kind: string
  readonly status: string
  readonly config: string
  readonly branch: string | null
  readonly workload: string
  readonly lastGood: string
  readonly firstBad: string
  readonly direction: string
  readonly ratio: number
}

/** What the detect JSON lacked or held in an unexpected shape, to report. */
const jsonNotes = new Set<string>()

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null

/** The changes of a `detect --json` report: newAlerts[].changes[] (a fresh database: all are new). */
function changesOf(report: unknown): Found[] {
  if (!isObject(report) || !Array.isArray(report.newAlerts)) {
    jsonNotes.add('detect --json: no newAlerts array')
    return []
  }
  const out: Found[] = []
  const seen = new Set<unknown>()
  for (const alert of report.newAlerts) {
    if (!isObject(alert)) continue
    if (!Array.isArray(alert.changes)) {
      jsonNotes.add('newAlerts[]: no changes array')
      continue
    }
    for (const c of alert.changes) {
      if (!isObject(c)) continue
      if (c.id !== undefined) {
        if (seen.has(c.id)) continue
        seen.add(c.id)
      }
      const series = isObject(c.series) ? c.series : {}
      const lastGood = isObject(c.lastGood) ? c.lastGood : {}
      const firstBad = isObject(c.firstBad) ? c.firstBad : {}
      const text = (v: unknown, what: string): string => {
        if (typeof v === 'string') return v
        jsonNotes.add(`change without ${what}`)
        return ''
      }
      let kind = c.kind
      if (typeof kind !== 'string') {
        jsonNotes.add('change without kind (the alert kind used)')
        kind = alert.kind
      }
      out.push({
        kind: typeof kind === 'string' ? kind : '',
        status: text(c.status, 'status'),
        config: text(series.config, 'series.config'),
        branch: typeof series.branch === 'string' ? series.branch : null,
        workload: text(series.workload, 'series.workload'),
        lastGood: commitKey(text(lastGood.commitSha, 'lastGood.commitSha')),
        firstBad: commitKey(text(firstBad.commitSha, 'firstBad.commitSha')),
        direction: text(c.direction, 'direction'),
        ratio: typeof c.ratio === 'number' ? c.ratio : Number.NaN,
      })
    }
  }
  return out.filter((c) => c.status !== 'withdrawn')
}

/** The counts of a detect report (its top-level numbers and objects of numbers), as printed. */
function countsOf(report: unknown): Record<string, unknown> {
  if (!isObject(report)) return {}
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(report)) {
    if (typeof v === 'number') out[k] = v
    else if (Array.isArray(v)) out[k] = v.length
    else if (isObject(v) && Object.values(v).every((x) => typeof x === 'number')) out[k] = v
  }
  return out
}

interface Detected {
  readonly changes: readonly Found[]
  /** Counts of the detect report (seriesScanned, epochBoundaries, lengths of its lists, …). */
  readonly counts: Record<string, unknown>
  /**
   * What `detect` run again over the same database changed (new changes, alerts updated,
   * changes withdrawn): a pass over unchanged data must change nothing. Null when not asked.
   */
  readonly again: Record<string, number> | null
}

/** Imports `files` into a new database in `dir` and returns what `detect --json` reports. */
async function importAndDetect(
  label: string,
  dir: string,
  files: readonly string[],
  again = false,
): Promise<Detected> {
  mkdirSync(dir, { recursive: true })
  const db = join(dir, 'langperf.db')
  const t0 = performance.now()
  const imported = await cli(['import', 'pyperf', ...files, '--db', db])
  const t1 = performance.now()
  const detected = await cli(['detect', '--db', db, '--json'])
  if (KEEP) {
    writeFileSync(join(dir, 'import.txt'), imported)
    writeFileSync(join(dir, 'detect.json'), detected)
  }
  const report: unknown = JSON.parse(detected)
  const changes = changesOf(report)
  const t2 = performance.now()
  let second: Record<string, number> | null = null
  if (again) {
    const counts = countsOf(JSON.parse(await cli(['detect', '--db', db, '--json'])))
    second = {}
    for (const k of ['newChangeIds', 'updatedAlertIds', 'withdrawnChangeIds', 'confirmedChangeIds'])
      second[k] = typeof counts[k] === 'number' ? counts[k] : Number.NaN
  }
  progress(
    `${label}: imported (${files.length} path(s)) in ${((t1 - t0) / 1000).toFixed(1)} s, detect ${((t2 - t1) / 1000).toFixed(1)} s, ${changes.length} changes`,
  )
  return { changes, counts: countsOf(report), again: second }
}

/** Every result file of the history directory (as `langperf import` walks it), pystats left out. */
function historyFiles(): string[] {
  return readdirSync(FILES_DIR, { recursive: true })
    .map(String)
    .filter((f) => /\.json(\.gz)?$/.test(f) && !/-pystats\.json$/.test(f))
    .map((f) => join(FILES_DIR, f))
}

/**
 * The history as a nightly meets it (--accumulate N): its files imported N at a time in the
 * order of their names (bench_runner's `bm-<commit date>-…`: commit order; --newest-first, a
 * backfill), `detect` after each batch, then the changes left open (provisional and confirmed)
 * read back through the API (`langperf serve`, GET /api/v1/changes), as the inbox shows them.
 */
async function accumulateAndRead(label: string, dir: string, files: readonly string[]): Promise<Detected> {
  mkdirSync(dir, { recursive: true })
  const db = join(dir, 'langperf.db')
  const byName = [...files].sort((a, b) => basename(a).localeCompare(basename(b)))
  if (NEWEST_FIRST) byName.reverse()
  const t0 = performance.now()
  let last: unknown = null
  for (let i = 0; i < byName.length; i += ACCUMULATE) {
    await cli(['import', 'pyperf', ...byName.slice(i, i + ACCUMULATE), '--db', db])
    last = JSON.parse(await cli(['detect', '--db', db, '--json']))
    progress(
      `${label}: night ${i / ACCUMULATE + 1} of ${Math.ceil(byName.length / ACCUMULATE)} imported and detected`,
    )
  }
  const rows = await openChanges(db)
  progress(`${label}: ${rows.length} changes open after ${((performance.now() - t0) / 1000).toFixed(1)} s`)
  return { changes: changesOf({ newAlerts: [{ changes: rows }] }), counts: countsOf(last), again: null }
}

/** The provisional and confirmed changes of a database, paged out of `langperf serve`'s API. */
async function openChanges(db: string): Promise<unknown[]> {
  const server = spawn(process.execPath, [BIN, 'serve', '--db', db, '--port', '0', '--log-level', 'warn'], {
    cwd: ROOT,
    env: cliEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const closed = new Promise<void>((resolve) => server.on('close', () => resolve()))
  try {
    const base = await new Promise<string>((resolve, reject) => {
      // The address is announced on stderr (stdout stays for machine-readable output).
      let out = ''
      server.stdout.resume()
      server.stderr.on('data', (b: Buffer) => {
        out += b.toString('utf8')
        const m = /serving (http:\/\/[^\s]+)/.exec(out)
        if (m) resolve(m[1] as string)
      })
      server.on('close', (code) => reject(new Error(`langperf serve exited with ${code} before listening`)))
    })
    const rows: unknown[] = []
    for (let offset = 0; ; offset += 1000) {
      const res = await fetch(
        `${base}/api/v1/changes?status=provisional&status=confirmed&limit=1000&offset=${offset}`,
      )
      if (!res.ok) throw new Error(`GET /api/v1/changes: HTTP ${res.status}`)
      const page: unknown = await res.json()
      if (!isObject(page) || !Array.isArray(page.items) || typeof page.total !== 'number')
        throw new Error('GET /api/v1/changes: expected a page {items, total}')
      rows.push(...page.items)
      if (rows.length >= page.total || page.items.length === 0) break
    }
    return rows
  } finally {
    server.kill('SIGTERM')
    await closed
  }
}

/**
 * Runs tasks with at most `jobs` at once, results in order. After a failure no task starts and
 * the running ones are awaited (no child process outlives the script), then the first error is thrown.
 */
async function pool<T>(tasks: readonly (() => Promise<T>)[], jobs: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length)
  const errors: unknown[] = []
  let next = 0
  const worker = async () => {
    while (next < tasks.length && errors.length === 0) {
      const i = next++
      try {
        results[i] = await (tasks[i] as () => Promise<T>)()
      } catch (err) {
        errors.push(err)
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(jobs, tasks.length) }, worker))
  if (errors.length > 0) throw errors[0]
  return results
}

// ---------------------------------------------------------------------------------------------
// Scoring

const truth = loadTruth(TRUTH_DIR)
const per1000 = (n: number, points: number) => (points === 0 ? Number.NaN : (1000 * n) / points)

interface HistoryFigures {
  files: number
  observations: number
  hits: number
  hitsByCommit: number
  hitsRightDirection: number
  misses: string[]
  /** Hits only by an infrastructure change. */
  hitsOnlyInfrastructure: string[]
  changes: number
  commitChanges: number
  provisional: number
  unexplained: number
  unexplainedMain: number
  points: number
  unexplainedPer1000: number
  infrastructureChanges: number
  infrastructureHitting: number
  /** Change counts by kind × config × branch, as the product named them. */
  byLine: Record<string, number>
  /** Each observation and the changes that hit it. */
  detail: { observation: string; hitBy: string[] }[]
  /** What detect counted (seriesScanned, epochBoundaries, …). */
  detect: Record<string, unknown>
}

const describe = (c: Found) =>
  `${c.kind} ${c.status} ${c.direction} ${c.config}/${c.branch ?? '–'} ${c.workload} (${c.lastGood}..${c.firstBad}] ×${c.ratio.toFixed(3)}`

function scoreHistory({ changes, counts }: Detected, files: number): HistoryFigures {
  const observations = truth.observations.filter((o) => o.lineage === 'main')
  const hitting = new Set<Found>()
  const f: HistoryFigures = {
    files,
    observations: observations.length,
    hits: 0,
    hitsByCommit: 0,
    hitsRightDirection: 0,
    misses: [],
    hitsOnlyInfrastructure: [],
    changes: changes.length,
    commitChanges: changes.filter((c) => c.kind === 'commit').length,
    provisional: changes.filter((c) => c.status === 'provisional').length,
    unexplained: 0,
    unexplainedMain: 0,
    points: truth.points,
    unexplainedPer1000: 0,
    infrastructureChanges: changes.filter((c) => c.kind === 'infrastructure').length,
    infrastructureHitting: 0,
    byLine: {},
    detail: [],
    detect: counts,
  }
  for (const c of changes) {
    const k = `${c.kind} ${c.config} ${c.branch ?? '(none)'}`
    f.byLine[k] = (f.byLine[k] ?? 0) + 1
  }
  for (const o of observations) {
    const order = truth.order(o.config, o.lineage)
    const lo = order.get(o.commitBefore)
    const hi = order.get(o.commitAfter)
    const what = `${o.event} ${o.config} ${o.benchmark} (${o.commitBefore}..${o.commitAfter}] ×${o.ratio.toFixed(3)}`
    if (lo === undefined || hi === undefined) {
      f.misses.push(`${what}: window not in the ${o.lineage} commit order`)
      f.detail.push({ observation: what, hitBy: [] })
      continue
    }
    const hits = changes.filter((c) => {
      if (c.config.toLowerCase() !== o.config.toLowerCase() || c.workload !== o.benchmark) return false
      const bad = order.get(c.firstBad)
      const good = order.get(c.lastGood)
      if (bad === undefined) return false
      return (bad > lo && bad <= hi) || (good !== undefined && good < hi && hi <= bad)
    })
    for (const c of hits) hitting.add(c)
    f.detail.push({ observation: what, hitBy: hits.map(describe) })
    if (hits.length === 0) {
      f.misses.push(what)
      continue
    }
    f.hits++
    if (hits.some((c) => c.kind === 'commit')) f.hitsByCommit++
    else f.hitsOnlyInfrastructure.push(what)
    if (hits.some((c) => c.direction === o.kind)) f.hitsRightDirection++
  }
  for (const c of changes) {
    if (c.kind === 'infrastructure' && hitting.has(c)) f.infrastructureHitting++
    if (c.kind !== 'commit' || hitting.has(c)) continue
    f.unexplained++
    if (c.branch === 'main') f.unexplainedMain++
  }
  f.unexplainedPer1000 = per1000(f.unexplained, f.points)
  return f
}

interface StepTally {
  injected: number
  found: number
  exact: number
  byCommit: number
  quietInjected: number
  quietFound: number
}

interface SyntheticFigures {
  stretch: { builds: string[]; environment: string; benchmarks: number; quiet: number; medianSigma: number }
  align: Alignment
  seeds: number
  rounds: number
  aa: { sets: number; points: number; changes: number; commitChanges: number; per1000: number }
  steps: Record<string, StepTally>
  stepSetsUnstepped: { points: number; changes: number; per1000: number }
  /** Steps missed on quiet benchmarks (σ below QUIET_SIGMA), with what the set reported for them. */
  quietMisses: string[]
}

/** Whether a change reports an injected step: right series, slower, first bad where it belongs. */
function findsStep(c: Found, inj: Injection, set: SyntheticSet): boolean {
  if (c.workload !== inj.benchmark) return false
  const slower = c.direction ? c.direction === 'regression' : c.ratio > 1
  if (!slower) return false
  const bad = set.position.get(c.firstBad)
  const good = set.position.get(c.lastGood)
  if (bad === undefined) return false
  return (bad >= inj.at && bad < inj.at + AFTER) || (good !== undefined && good < inj.at && inj.at <= bad)
}

// ---------------------------------------------------------------------------------------------
// The evaluation

const work = mkdtempSync(join(tmpdir(), 'langperf-eval-'))
progress(`working in ${work}${KEEP ? ' (kept)' : ''}`)

/** One import + detect into its own database. */
interface Task {
  readonly label: string
  readonly files: readonly string[]
}

/**
 * The history as a user imports it: the directory itself, walked by `langperf import` (flat copies
 * named `bm-…-<sha7>-JIT.json.gz`, or bench_runner's own `results/bm-…-JIT/bm-….json` tree).
 */
function historyTask(): Task & { readonly count: number; readonly partial: number } {
  const count = historyFiles().length
  if (!PARTIAL) return { label: 'history', files: [FILES_DIR], count, partial: 0 }
  // One-benchmark runs beside the history (--partial-runs): imported with it, not scored.
  const dir = join(work, 'partial-runs')
  mkdirSync(dir, { recursive: true })
  const partial = writePartialRuns(FILES_DIR, truth, dir)
  return { label: 'history', files: [FILES_DIR, dir], count, partial }
}

/** The synthetic sets, written to disk, and how to score what detect finds in them. */
function syntheticSets() {
  const runs = longestStretch(truth, { maxGapDays: MAX_GAP_DAYS })
  if (runs.length < AFTER + 4)
    throw new Error(`the longest one-environment stretch has ${runs.length} builds`)
  const stretch = readStretch(FILES_DIR, runs)
  progress(
    `synthetic: stretch ${runs[0]?.commit}..${runs.at(-1)?.commit} (${runs.length} builds, ${stretch.benchmarks.length} benchmarks, environment ${runs[0]?.environment})`,
  )
  const indexes = runs.map((_, i) => i)
  const at = runs.length - AFTER
  const sets: { set: SyntheticSet; kind: 'aa' | 'steps' }[] = []
  for (let seed = 1; seed <= SEEDS; seed++) {
    const rng = createRng(seed)
    const aaName = `aa-${seed}`
    const aaDir = join(work, aaName)
    mkdirSync(aaDir)
    sets.push({
      kind: 'aa',
      set: writeSet(stretch, { name: aaName, dir: aaDir, order: shuffled(indexes, rng), align: ALIGN }),
    })
    for (let round = 1; round <= ROUNDS; round++) {
      const name = `steps-${seed}-${round}`
      const dir = join(work, name)
      mkdirSync(dir)
      const order = shuffled(indexes, rng)
      const picked = shuffled(stretch.benchmarks, rng)
      const share = Math.max(1, Math.round(STEP_SHARE * stretch.benchmarks.length))
      const injections: Injection[] = STEPS.flatMap((size, s) =>
        picked.slice(s * share, (s + 1) * share).map((benchmark) => ({ benchmark, size, at })),
      )
      sets.push({ kind: 'steps', set: writeSet(stretch, { name, dir, order, align: ALIGN, injections }) })
    }
  }
  if (KEEP) {
    for (const { set } of sets) {
      const { name, builds, injections, points } = set
      const positions = Object.fromEntries(set.position)
      writeFileSync(
        join(work, name, 'set.json'),
        JSON.stringify({ name, stretch: runs.map((r) => r.commit), builds, positions, injections, points }),
      )
    }
  }
  const score = (found: readonly Detected[]): SyntheticFigures => {
    const sigmas = stretch.benchmarks.map((b) => stretch.sigma.get(b) as number).sort((a, b) => a - b)
    const figures: SyntheticFigures = {
      stretch: {
        builds: runs.map((r) => r.commit),
        environment: runs[0]?.environment ?? '',
        benchmarks: stretch.benchmarks.length,
        quiet: sigmas.filter((s) => s < QUIET_SIGMA).length,
        medianSigma: sigmas[sigmas.length >> 1] ?? Number.NaN,
      },
      align: ALIGN,
      seeds: SEEDS,
      rounds: ROUNDS,
      aa: { sets: 0, points: 0, changes: 0, commitChanges: 0, per1000: 0 },
      steps: Object.fromEntries(
        STEPS.map((s) => [
          String(s),
          { injected: 0, found: 0, exact: 0, byCommit: 0, quietInjected: 0, quietFound: 0 },
        ]),
      ),
      stepSetsUnstepped: { points: 0, changes: 0, per1000: 0 },
      quietMisses: [],
    }
    sets.forEach(({ set, kind }, i) => {
      const changes = (found[i] as Detected).changes
      if (kind === 'aa') {
        figures.aa.sets++
        figures.aa.points += set.points
        figures.aa.changes += changes.length
        figures.aa.commitChanges += changes.filter((c) => c.kind === 'commit').length
        return
      }
      const stepped = new Set(set.injections.map((inj) => inj.benchmark))
      figures.stepSetsUnstepped.points += set.points - stepped.size * set.builds.length
      figures.stepSetsUnstepped.changes += changes.filter((c) => !stepped.has(c.workload)).length
      for (const inj of set.injections) {
        const t = figures.steps[String(inj.size)] as StepTally
        const hits = changes.filter((c) => findsStep(c, inj, set))
        const quiet = (stretch.sigma.get(inj.benchmark) as number) < QUIET_SIGMA
        t.injected++
        if (quiet) t.quietInjected++
        if (hits.length === 0) {
          if (quiet) {
            const seen = changes
              .filter((c) => c.workload === inj.benchmark)
              .map((c) => `×${c.ratio.toFixed(3)} at ${set.position.get(c.firstBad) ?? '?'}`)
            figures.quietMisses.push(
              `${set.name} ${inj.benchmark} +${Math.round(inj.size * 100)} % at ${inj.at} of ${set.builds.length} (σ ${(100 * (stretch.sigma.get(inj.benchmark) as number)).toFixed(2)} %): ${seen.length > 0 ? seen.join(', ') : 'nothing reported'}`,
            )
          }
          continue
        }
        t.found++
        if (quiet) t.quietFound++
        if (hits.some((c) => set.position.get(c.firstBad) === inj.at)) t.exact++
        if (hits.some((c) => c.kind === 'commit')) t.byCommit++
      }
    })
    figures.aa.per1000 = per1000(figures.aa.changes, figures.aa.points)
    figures.stepSetsUnstepped.per1000 = per1000(
      figures.stepSetsUnstepped.changes,
      figures.stepSetsUnstepped.points,
    )
    return figures
  }
  return { tasks: sets.map(({ set }): Task => ({ label: set.name, files: set.files })), score }
}

let history: (HistoryFigures & { secondPass?: Record<string, number> | null }) | null = null
let synthetic: SyntheticFigures | null = null
try {
  const tasks: Task[] = []
  const hist = ONLY === 'synthetic' ? null : historyTask()
  if (hist) {
    tasks.push(hist)
    progress(
      `history: ${hist.count} files from ${FILES_DIR}${hist.partial > 0 ? `, and ${hist.partial} one-benchmark runs (--partial-runs)` : ''}`,
    )
  }
  const synth = ONLY === 'history' ? null : syntheticSets()
  if (synth) tasks.push(...synth.tasks)
  const found = await pool(
    tasks.map((t, i) => () => {
      if (hist !== null && i === 0 && ACCUMULATE > 0)
        return accumulateAndRead(t.label, join(work, t.label), historyFiles())
      return importAndDetect(t.label, join(work, t.label), t.files, hist !== null && i === 0)
    }),
    JOBS,
  )
  if (hist)
    history = { ...scoreHistory(found[0] as Detected, hist.count), secondPass: found[0]?.again ?? null }
  if (synth) synthetic = synth.score(found.slice(hist ? 1 : 0))
} finally {
  if (!KEEP) rmSync(work, { recursive: true, force: true })
}
const seconds = (performance.now() - started) / 1000

// ---------------------------------------------------------------------------------------------
// Report

const pct = (a: number, b: number) => (b === 0 ? '–' : `${((100 * a) / b).toFixed(0)} %`)
const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '–')

if (JSON_OUT) {
  console.log(
    JSON.stringify(
      {
        filesDir: FILES_DIR,
        truthDir: TRUTH_DIR,
        seconds: Math.round(seconds * 10) / 10,
        history,
        synthetic,
        detectJsonNotes: [...jsonNotes],
      },
      null,
      2,
    ),
  )
} else {
  const rows: [string, string, string][] = []
  if (history) {
    const h = history
    rows.push(
      [
        'recall (documented observations, lineage main)',
        pct(h.hits, h.observations),
        `${h.hits}/${h.observations}`,
      ],
      [
        '  … hit by a commit change',
        pct(h.hitsByCommit, h.observations),
        `${h.hitsByCommit}/${h.observations}`,
      ],
      [
        '  … with the documented direction',
        pct(h.hitsRightDirection, h.observations),
        String(h.hitsRightDirection),
      ],
      [
        'unexplained commit changes per 1,000 points',
        fmt(h.unexplainedPer1000),
        `${h.unexplained} of ${h.commitChanges} in ${h.points} points (${h.unexplainedMain} on main)`,
      ],
      [
        'infrastructure changes (apart)',
        String(h.infrastructureChanges),
        `${h.infrastructureHitting} of them on an observation`,
      ],
      ['changes reported', String(h.changes), `${h.provisional} provisional; ${h.files} files imported`],
    )
  }
  if (synthetic) {
    const s = synthetic
    rows.push([
      'A/A false alarms per 1,000 points',
      fmt(s.aa.per1000),
      `${s.aa.changes} (${s.aa.commitChanges} commit) in ${s.aa.points} points, ${s.aa.sets} sets`,
    ])
    for (const size of STEPS) {
      const t = s.steps[String(size)] as StepTally
      rows.push([
        `${size * 100} % steps found within ${AFTER} builds`,
        pct(t.found, t.injected),
        `${t.found}/${t.injected} (${t.exact} exact first bad, ${t.byCommit} as commit changes)`,
      ])
    }
    const five = s.steps['0.05'] as StepTally
    rows.push(
      [
        `  5 % steps, benchmarks with σ < ${QUIET_SIGMA * 100} %`,
        pct(five.quietFound, five.quietInjected),
        `${five.quietFound}/${five.quietInjected}`,
      ],
      [
        'false alarms on unstepped benchmarks of step sets',
        fmt(s.stepSetsUnstepped.per1000),
        `${s.stepSetsUnstepped.changes} in ${s.stepSetsUnstepped.points} points`,
      ],
    )
  }
  const w0 = Math.max(...rows.map((r) => r[0].length))
  const w1 = Math.max(...rows.map((r) => r[1].length))
  console.log('Change detection through `langperf import pyperf` + `langperf detect` (product path)')
  console.log(`files ${FILES_DIR}\ntruth ${TRUTH_DIR}`)
  if (synthetic) {
    const st = synthetic.stretch
    console.log(
      `synthetic sets from ${st.builds.length} default builds ${st.builds[0]}..${st.builds.at(-1)}, ${st.benchmarks} benchmarks (median σ ${(100 * st.medianSigma).toFixed(2)} %, ${st.quiet} with σ < ${QUIET_SIGMA * 100} %), align ${synthetic.align}, ${synthetic.seeds} seeds × (1 A/A + ${synthetic.rounds} step sets)`,
    )
  }
  console.log('')
  for (const [a, b, c] of rows) console.log(`${a.padEnd(w0)}  ${b.padStart(w1)}  ${c}`)
  if (synthetic) {
    console.log('')
    console.log(`steps missed on quiet benchmarks (${synthetic.quietMisses.length}):`)
    for (const m of synthetic.quietMisses) console.log(`  ${m}`)
  }
  if (history) {
    console.log('')
    console.log(`misses (${history.misses.length}):`)
    for (const m of history.misses) console.log(`  ${m}`)
    console.log(`hit only by an infrastructure change (${history.hitsOnlyInfrastructure.length}):`)
    for (const m of history.hitsOnlyInfrastructure) console.log(`  ${m}`)
    console.log(
      `changes by kind, config, line: ${Object.entries(history.byLine)
        .sort()
        .map(([k, v]) => `${k} ${v}`)
        .join('; ')}`,
    )
    console.log(`detect counted: ${JSON.stringify(history.detect)}`)
    if (ACCUMULATE > 0) {
      console.log(
        `accumulated as a nightly: ${ACCUMULATE} file(s) a night${NEWEST_FIRST ? ', newest first (a backfill)' : ', in commit order'}, detect after each; the changes open at the end scored`,
      )
    } else {
      console.log(
        `detect again over the same database (must be all 0): ${JSON.stringify(history.secondPass)}`,
      )
    }
  }
  if (jsonNotes.size > 0) console.log(`detect --json: ${[...jsonNotes].join('; ')}`)
  console.log(`run time ${seconds.toFixed(1)} s`)
}
