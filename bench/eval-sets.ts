// Data for bench/eval-detection.ts: the ground truth of the published pythonperf2 history
// (runs.csv, ground_truth_observations.csv, benchmark_results.csv) and synthetic pyperf result
// files built from the real per-process values of a stretch of real builds (A/A sets and injected
// steps). Bench-only: nothing here is part of the product; the product sees only the files.
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { gunzipSync, gzipSync } from 'node:zlib'
import type { Rng } from '../src/lib/rng.ts'
import { parseCsv } from './csv.ts'

// ---------------------------------------------------------------------------------------------
// Ground truth

/** One row of runs.csv that counts: CPython's own fork, not a partial (one-benchmark) run. */
export interface TruthRun {
  readonly runId: string
  readonly config: string
  readonly lineage: string
  /** First 7 hex characters, lower case. */
  readonly commit: string
  readonly commitDateUtc: string
  readonly benchStart: string
  /** What must not change inside an A/A stretch. */
  readonly environment: string
  readonly sourcePath: string
}

/** One (event × config × benchmark) observation of ground_truth_observations.csv. */
export interface Observation {
  readonly event: string
  readonly kind: string
  readonly lineage: string
  readonly config: string
  readonly benchmark: string
  readonly commitBefore: string
  readonly commitAfter: string
  readonly ratio: number
  readonly title: string
}

/** The truth directory, read once. */
export interface Truth {
  readonly runs: readonly TruthRun[]
  readonly observations: readonly Observation[]
  /** Rows of benchmark_results.csv whose run counts (see TruthRun). */
  readonly points: number
  /** Commit order of one (config, lineage): commit → position (first run of that commit). */
  order(config: string, lineage: string): ReadonlyMap<string, number>
}

/** A commit as the scoring compares it: its first 7 hex characters, lower case. */
export const commitKey = (sha: string | null | undefined): string =>
  (sha ?? '').trim().toLowerCase().slice(0, 7)

const byHistory = (a: TruthRun, b: TruthRun) =>
  Date.parse(a.commitDateUtc) - Date.parse(b.commitDateUtc) || a.benchStart.localeCompare(b.benchStart)

/** Reads runs.csv, ground_truth_observations.csv and benchmark_results.csv of `dir`. */
export function loadTruth(dir: string): Truth {
  const runs: TruthRun[] = []
  for (const r of parseCsv(readFileSync(join(dir, 'runs.csv'), 'utf8'))) {
    if (r.fork !== 'python' || r.n_benchmarks === '1') continue
    runs.push({
      runId: r.run_id ?? '',
      config: r.config ?? '',
      lineage: r.lineage ?? '',
      commit: commitKey(r.commit),
      commitDateUtc: r.commit_date_utc ?? '',
      benchStart: r.bench_start ?? '',
      environment: [
        r.platform,
        r.cpu_config,
        r.pyperf_version,
        r.pyperformance_version,
        r.benchmark_hash,
      ].join(' | '),
      sourcePath: r.source_path ?? '',
    })
  }
  runs.sort(byHistory)
  const counted = new Set(runs.map((r) => r.runId))
  let points = 0
  for (const r of parseCsv(readFileSync(join(dir, 'benchmark_results.csv'), 'utf8'))) {
    if (counted.has(r.run_id ?? '')) points++
  }
  const observations: Observation[] = parseCsv(
    readFileSync(join(dir, 'ground_truth_observations.csv'), 'utf8'),
  ).map((o) => ({
    event: o.event_id ?? '',
    kind: o.kind ?? '',
    lineage: o.lineage ?? '',
    config: o.config ?? '',
    benchmark: o.benchmark ?? '',
    commitBefore: commitKey(o.commit_before),
    commitAfter: commitKey(o.commit_after),
    ratio: Number(o.ratio_after_over_before),
    title: o.title ?? '',
  }))
  const orders = new Map<string, Map<string, number>>()
  return {
    runs,
    observations,
    points,
    order(config, lineage) {
      const key = `${config.toLowerCase()}|${lineage}`
      let order = orders.get(key)
      if (order === undefined) {
        order = new Map()
        for (const r of runs) {
          if (r.config.toLowerCase() !== config.toLowerCase() || r.lineage !== lineage) continue
          if (!order.has(r.commit)) order.set(r.commit, order.size)
        }
        orders.set(key, order)
      }
      return order
    },
  }
}

/**
 * The longest stretch of consecutive builds of one config and lineage (in commit order) that
 * share one environment (kernel, CPU configuration, pyperf and pyperformance versions,
 * benchmark_hash) and follow each other within `maxGapDays` (a nightly-like stretch, not release
 * tags months apart whose differences are development); the newest of the longest ones.
 */
export function longestStretch(
  truth: Truth,
  options: { config?: string; lineage?: string; maxGapDays?: number } = {},
): TruthRun[] {
  const { config = 'default', lineage = 'main', maxGapDays = 14 } = options
  const line = truth.runs.filter((r) => r.config === config && r.lineage === lineage)
  let best: TruthRun[] = []
  let current: TruthRun[] = []
  for (const r of line) {
    const last = current.at(-1)
    if (current.some((c) => c.commit === r.commit)) continue // a re-run of a commit is no new build
    if (
      last !== undefined &&
      (last.environment !== r.environment ||
        Date.parse(r.commitDateUtc) - Date.parse(last.commitDateUtc) > maxGapDays * 24 * 3600 * 1000)
    ) {
      current = []
    }
    current.push(r)
    if (current.length >= best.length) best = [...current]
  }
  return best
}

// ---------------------------------------------------------------------------------------------
// pyperf JSON 1.0, as much of it as this needs

/** A pyperf run: per-process values after warm-ups (`[loops, value]`). */
export interface PyperfRun {
  metadata?: Record<string, unknown>
  values?: number[]
  warmups?: [number, number][]
}

export interface PyperfBenchmark {
  metadata: Record<string, unknown>
  runs: PyperfRun[]
}

export interface PyperfDoc {
  version: string
  metadata: Record<string, unknown>
  benchmarks: PyperfBenchmark[]
}

export const benchmarkName = (b: PyperfBenchmark): string => String(b.metadata.name ?? '')

export function readPyperfFile(path: string): PyperfDoc {
  const bytes = readFileSync(path)
  const text = (path.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8')
  const doc = JSON.parse(text) as PyperfDoc
  if (doc.version !== '1.0' || !Array.isArray(doc.benchmarks)) {
    throw new Error(`${path}: not a pyperf JSON 1.0 file`)
  }
  return doc
}

/**
 * The result file of a runs.csv row in the files directory: the original repository's
 * `results/<dir>/<file>.json` is `<dir>.json.gz` there; else any file ending in `-<commit>.json.gz`.
 */
export function fileOfRun(filesDir: string, run: TruthRun): string {
  const direct = join(filesDir, `${basename(dirname(run.sourcePath))}.json.gz`)
  if (existsSync(direct)) return direct
  const suffix = `-${run.commit}.json.gz`
  const found = readdirSync(filesDir).find((f) => f.endsWith(suffix))
  if (found === undefined) throw new Error(`no result file for run ${run.runId} in ${filesDir}`)
  return join(filesDir, found)
}

// ---------------------------------------------------------------------------------------------
// Statistics of a stretch

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const n = s.length
  if (n === 0) return Number.NaN
  return n % 2 ? (s[n >> 1] as number) : ((s[(n >> 1) - 1] as number) + (s[n >> 1] as number)) / 2
}

/** Every value of one benchmark in one build (all processes, warm-ups excluded). */
const allValues = (b: PyperfBenchmark): number[] => b.runs.flatMap((r) => r.values ?? [])

/** Mean of the per-process means of one benchmark in one build (the level detection reads). */
function processMeanLevel(b: PyperfBenchmark): number {
  const means = b.runs.filter((r) => (r.values?.length ?? 0) > 0).map((r) => mean(r.values ?? []))
  return mean(means)
}

/** The real builds of a stretch, as read from their files, and what is known of each benchmark. */
export interface Stretch {
  readonly runs: readonly TruthRun[]
  readonly docs: readonly PyperfDoc[]
  /** Benchmarks with values in every build of the stretch. */
  readonly benchmarks: readonly string[]
  /**
   * Robust between-build noise of each benchmark over the stretch, in its real order:
   * 1.4826 · median |Δ log level| / √2 (level = mean of the process means).
   */
  readonly sigma: ReadonlyMap<string, number>
  /** Median of all values of each (build index, benchmark). */
  readonly buildMedian: ReadonlyMap<string, number>
  /** Median over the stretch's builds of those medians, per benchmark. */
  readonly stretchMedian: ReadonlyMap<string, number>
}

const cell = (build: number, benchmark: string) => `${build}|${benchmark}`

export function readStretch(filesDir: string, runs: readonly TruthRun[]): Stretch {
  const docs = runs.map((r) => readPyperfFile(fileOfRun(filesDir, r)))
  const withValues = docs.map(
    (d) => new Map(d.benchmarks.filter((b) => allValues(b).length > 0).map((b) => [benchmarkName(b), b])),
  )
  const benchmarks = [...(withValues[0]?.keys() ?? [])].filter((name) => withValues.every((m) => m.has(name)))
  benchmarks.sort()
  const sigma = new Map<string, number>()
  const buildMedian = new Map<string, number>()
  const stretchMedian = new Map<string, number>()
  for (const name of benchmarks) {
    const bs = withValues.map((m) => m.get(name) as PyperfBenchmark)
    const logs = bs.map((b) => Math.log(processMeanLevel(b)))
    const diffs = logs.slice(1).map((x, i) => Math.abs(x - (logs[i] as number)))
    sigma.set(name, (1.4826 * median(diffs)) / Math.SQRT2)
    const medians = bs.map((b) => median(allValues(b)))
    medians.forEach((m, i) => {
      buildMedian.set(cell(i, name), m)
    })
    stretchMedian.set(name, median(medians))
  }
  return { runs, docs, benchmarks, sigma, buildMedian, stretchMedian }
}

// ---------------------------------------------------------------------------------------------
// Synthetic sets

/**
 * How levels are aligned before the builds are shuffled:
 * - `benchmark`: each (build, benchmark) divided by its median's ratio to the benchmark's stretch
 *   median: every build of a benchmark gets one level, the real process-to-process residuals stay;
 * - `build`: each build divided by one factor, the median over benchmarks of those ratios (a
 *   build-wide shift goes; each benchmark's own between-build differences stay);
 * - `none`: the values as measured.
 */
export const ALIGNMENTS = ['benchmark', 'build', 'none'] as const
export type Alignment = (typeof ALIGNMENTS)[number]

/** A step injected into one benchmark of a set. */
export interface Injection {
  readonly benchmark: string
  /** Values ×(1 + size) from this position of the set on. */
  readonly size: number
  readonly at: number
}

/** What a synthetic set holds, for scoring. */
export interface SyntheticSet {
  readonly name: string
  readonly files: readonly string[]
  /** Fake commit (first 7 hex) → position in the set's history. */
  readonly position: ReadonlyMap<string, number>
  /** Stretch build index shown at each position. */
  readonly builds: readonly number[]
  readonly injections: readonly Injection[]
  /** (benchmark × build) points written. */
  readonly points: number
}

export function shuffled<T>(items: readonly T[], rng: Rng): T[] {
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1))
    const t = out[i] as T
    out[i] = out[j] as T
    out[j] = t
  }
  return out
}

/** A well-formed, deterministic fake commit hash (40 hex, with digits and letters). */
export function fakeSha(label: string): string {
  for (let salt = 0; ; salt++) {
    const sha = createHash('sha1').update(`langperf-eval ${label} ${salt}`).digest('hex')
    const short = sha.slice(0, 7)
    if (/\d/.test(short) && /[a-f]/.test(short)) return sha
  }
}

const HEX_RE = /^[0-9a-f]{7,40}$/i
/** Fake commit dates: one a day from here, in the past so that no importer doubts them. */
const FIRST_DATE_MS = Date.UTC(2023, 0, 2, 12, 0, 0)
const DAY_MS = 24 * 3600 * 1000

/**
 * Writes one synthetic set into `dir`: the stretch's builds in the order `order` (stretch build
 * indexes), each as a gzipped pyperf JSON 1.0 file with the real file's metadata and per-process
 * values, but a fake commit (hash, date, parent) at its new position; values aligned as asked and
 * multiplied by each injection's step from its position on. File names follow bench_runner
 * (`bm-<date>-<version>-<sha7>.json.gz`: no suffix, the default build).
 */
export function writeSet(
  stretch: Stretch,
  options: {
    readonly name: string
    readonly dir: string
    readonly order: readonly number[]
    readonly align: Alignment
    readonly injections?: readonly Injection[]
  },
): SyntheticSet {
  const { name, dir, order, align } = options
  const injections = options.injections ?? []
  const wanted = new Set(stretch.benchmarks)
  const ratio = (build: number, benchmark: string) =>
    (stretch.buildMedian.get(cell(build, benchmark)) as number) /
    (stretch.stretchMedian.get(benchmark) as number)
  const buildFactor = stretch.docs.map((_, b) => median(stretch.benchmarks.map((k) => ratio(b, k))))
  const shas = order.map((_, j) => fakeSha(`${name} ${j}`))
  const position = new Map<string, number>()
  const files: string[] = []
  let points = 0
  order.forEach((build, j) => {
    const real = stretch.docs[build] as PyperfDoc
    const doc = structuredClone(real)
    const sha = shas[j] as string
    const date = new Date(FIRST_DATE_MS + j * DAY_MS).toISOString().replace(/\.\d{3}Z$/, '+00:00')
    const m = doc.metadata
    const recordedRef = typeof m.commit_branch === 'string' ? m.commit_branch : null
    m.commit_id = sha.slice(0, 7)
    // Keep the shape of what the producer recorded: a hash stays a hash, a branch name stays.
    if (recordedRef === null || HEX_RE.test(recordedRef)) m.commit_branch = sha
    m.commit_date = date
    if ('commit_merge_base' in m) m.commit_merge_base = j > 0 ? shas[j - 1] : fakeSha(`${name} root`)
    doc.benchmarks = doc.benchmarks.filter((b) => wanted.has(benchmarkName(b)))
    let version = ''
    for (const b of doc.benchmarks) {
      const k = benchmarkName(b)
      const pv = b.metadata.python_version
      if (typeof pv === 'string') {
        b.metadata.python_version = pv.replace(/revision [0-9a-f]+/i, `revision ${sha.slice(0, 7)}`)
        version ||= pv.split(' ')[0] ?? ''
      }
      const level =
        align === 'benchmark' ? ratio(build, k) : align === 'build' ? (buildFactor[build] as number) : 1
      const step = injections
        .filter((inj) => inj.benchmark === k && j >= inj.at)
        .reduce((f, inj) => f * (1 + inj.size), 1)
      const scale = step / level
      for (const r of b.runs) {
        if (r.values) r.values = r.values.map((v) => v * scale)
        if (r.warmups) r.warmups = r.warmups.map(([loops, v]) => [loops, v * scale])
      }
      points++
    }
    const file = join(
      dir,
      `bm-${date.slice(0, 10).replaceAll('-', '')}-${version || 'unknown'}-${sha.slice(0, 7)}.json.gz`,
    )
    writeFileSync(file, gzipSync(JSON.stringify(doc)))
    files.push(file)
    position.set(sha.slice(0, 7), j)
  })
  return { name, files, position, builds: order, injections, points }
}

/**
 * One-benchmark runs of the kind bench_runner histories hold (a benchmark re-run on its own,
 * `n_benchmarks` 1 in runs.csv), one per observation of `config` on `lineage`: the observed
 * benchmark alone, copied from the run after the event (so at the new level), on a fake commit
 * dated midway between the runs before and after. A detector that takes such a run as a history
 * point blames the event on a commit the documented order does not hold. Written into `dir` as
 * `bm-<date>-<version>-<sha7>.json.gz`; returns how many.
 */
export function writePartialRuns(
  filesDir: string,
  truth: Truth,
  dir: string,
  options: { readonly config?: string; readonly lineage?: string } = {},
): number {
  const config = (options.config ?? 'default').toLowerCase()
  const lineage = options.lineage ?? 'main'
  const runOf = new Map<string, TruthRun>()
  for (const r of truth.runs)
    if (r.config.toLowerCase() === config && r.lineage === lineage && !runOf.has(r.commit))
      runOf.set(r.commit, r)
  let n = 0
  for (const o of truth.observations) {
    if (o.config.toLowerCase() !== config || o.lineage !== lineage) continue
    const before = runOf.get(commitKey(o.commitBefore))
    const after = runOf.get(commitKey(o.commitAfter))
    if (!before || !after) continue
    const doc = readPyperfFile(fileOfRun(filesDir, after))
    const version = doc.benchmarks.map((b) => b.metadata.python_version).find((v) => typeof v === 'string')
    const alone = doc.benchmarks.filter((b) => benchmarkName(b) === o.benchmark)
    if (alone.length === 0) continue
    const sha = fakeSha(`partial ${o.event} ${o.benchmark}`)
    const at = new Date((Date.parse(before.commitDateUtc) + Date.parse(after.commitDateUtc)) / 2)
    const partial: PyperfDoc = {
      ...doc,
      metadata: {
        ...doc.metadata,
        commit_id: sha.slice(0, 7),
        commit_branch: sha,
        commit_date: at.toISOString(),
      },
      benchmarks: alone.map((b) => ({ ...b, metadata: { python_version: version, ...b.metadata } })),
    }
    const day = at.toISOString().slice(0, 10).replaceAll('-', '')
    const name = `bm-${day}-${String(version ?? 'unknown').split(' ')[0]}-${sha.slice(0, 7)}.json.gz`
    writeFileSync(join(dir, name), gzipSync(JSON.stringify(partial)))
    n++
  }
  return n
}
