// Evaluates langperf's change-point detector on real, published CPython history (pyperformance
// on the Faster CPython team's machine pythonperf2) against a naive baseline (≥ 5 % against the
// previous build), side by side. Nothing here tunes the detector: it runs with its defaults.
//
//   node --import tsx bench/eval-detection.ts [--data DIR] [--seeds N] [--aa-cuts benchmark|config]
//                                             [--set option=value …] [--json]
//
// Figures (definitions in docs/stats.md, "Evaluation"):
//   recall       ground_truth_observations.csv: a hit is a change in that (config, benchmark) whose
//                first bad build lies in (run_before, run_after] and whose direction matches
//   A/A          real between-build noise: residuals from stretch medians (dense period, one epoch,
//                no documented event), pooled per workload, randomly permuted (several seeds)
//   power        steps of 1, 2, 5, 10 % injected into the A/A series, replayed build by build
//   unexplained  changes in the real history matching neither a documented event nor an epoch
//   newest       how many builds after the first bad one the first report comes, replaying history
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createRng, type Rng } from '../src/lib/index.ts'
import {
  type Detection,
  detectChanges,
  epochKey,
  orderFromCommitDate,
  type SeriesPoint,
} from '../src/stats/changepoint/index.ts'
import { parseCsv } from './csv.ts'

const args = process.argv.slice(2)
const argValue = (name: string) => {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : undefined
}
const DATA =
  argValue('--data') ??
  `${process.env.LANGPERF_SHARED_DATA ?? '/work/shared/data'}/cpython-pyperformance-pythonperf2`
const SEEDS = Number(argValue('--seeds') ?? 5)
const LONG_SEEDS = Number(argValue('--long-seeds') ?? 2)
const JSON_OUT = args.includes('--json')
const AA_CUTS = argValue('--aa-cuts') === 'config' ? 'config' : 'benchmark'
// --set name=value (repeatable): detector options, for sensitivity runs; defaults otherwise.
const OPTIONS: Record<string, number | boolean> = {}
args.forEach((a, i) => {
  if (a !== '--set') return
  const [name, value] = (args[i + 1] ?? '').split('=')
  if (name) OPTIONS[name] = value === 'true' ? true : value === 'false' ? false : Number(value)
})
const detect = (points: readonly SeriesPoint[]): Detection => detectChanges(points, OPTIONS)
const EPOCH_FIELDS = ['workloadVersion', 'suiteVersion', 'kernel', 'cpuConfig'] as const
// The dense, daily main-line period (README of the data set); before it, mostly release tags
// months apart, whose differences are development, not noise.
const DENSE_FROM = orderFromCommitDate('2024-03-20T00:00:00Z')
const NAIVE_THRESHOLD = Math.log(1.05)
const STEPS = [0.01, 0.02, 0.05, 0.1] as const

const log = (line: string) => {
  if (!JSON_OUT) console.log(line)
}

// ---------------------------------------------------------------------------------------------
// Loading

interface Run {
  readonly runId: string
  readonly config: string
  readonly order: number
  readonly epoch: string
  readonly commit: string
}

interface Obs {
  readonly event: string
  readonly kind: 'regression' | 'improvement'
  readonly key: string
  readonly runBefore: string
  readonly runAfter: string
}

const runsCsv = parseCsv(readFileSync(join(DATA, 'runs.csv'), 'utf8'))
const runs = new Map<string, Run>()
for (const r of runsCsv) {
  // Main line only; partial runs (a result file with a handful of benchmarks) are skipped.
  if (r.lineage !== 'main' || Number(r.n_benchmarks) < 10) continue
  const runId = r.run_id ?? ''
  runs.set(runId, {
    runId,
    config: r.config ?? '',
    order: orderFromCommitDate(r.commit_date_utc ?? ''),
    commit: r.commit ?? '',
    epoch: epochKey(
      {
        workloadVersion: r.benchmark_hash,
        suiteVersion: r.pyperformance_version,
        kernel: r.platform,
        cpuConfig: r.cpu_config,
      },
      EPOCH_FIELDS,
    ),
  })
}

const processMeansOf = new Map<string, number[]>()
for (const line of readFileSync(join(DATA, 'raw_values.jsonl'), 'utf8').split('\n')) {
  if (line.trim() === '') continue
  const rec = JSON.parse(line) as { run_id: string; benchmark: string; values: number[][] }
  const means = rec.values.filter((v) => v.length > 0).map((v) => v.reduce((a, b) => a + b, 0) / v.length)
  processMeansOf.set(`${rec.run_id}|${rec.benchmark}`, means)
}

interface Point extends SeriesPoint {
  readonly runId: string
}

const seriesOf = new Map<string, Point[]>()
for (const r of parseCsv(readFileSync(join(DATA, 'benchmark_results.csv'), 'utf8'))) {
  const run = runs.get(r.run_id ?? '')
  if (run === undefined) continue
  const key = `${run.config}|${r.benchmark}`
  const means = processMeansOf.get(`${run.runId}|${r.benchmark}`)
  const mean = means !== undefined ? means.reduce((a, b) => a + b, 0) / means.length : Number(r.mean)
  const sd = Number(r.stdev_of_process_means)
  const nProc = Number(r.n_processes)
  const point: Point = {
    id: run.runId,
    runId: run.runId,
    order: run.order,
    epoch: run.epoch,
    value: mean,
    ...(Number.isFinite(sd) && nProc > 1 ? { stderr: sd / Math.sqrt(nProc) } : {}),
    ...(means !== undefined ? { processMeans: means } : {}),
  }
  const list = seriesOf.get(key) ?? []
  list.push(point)
  seriesOf.set(key, list)
}
for (const list of seriesOf.values()) list.sort((a, b) => a.order - b.order || a.id.localeCompare(b.id))

const observations: Obs[] = parseCsv(readFileSync(join(DATA, 'ground_truth_observations.csv'), 'utf8'))
  .filter((o) => o.lineage === 'main')
  .map((o) => ({
    event: o.event_id ?? '',
    kind: o.kind === 'improvement' ? 'improvement' : 'regression',
    key: `${o.config}|${o.benchmark}`,
    runBefore: o.run_before ?? '',
    runAfter: o.run_after ?? '',
  }))

const windowsOf = new Map<string, { lo: number; hi: number; obs: Obs }[]>()
for (const o of observations) {
  const lo = runs.get(o.runBefore)?.order
  const hi = runs.get(o.runAfter)?.order
  if (lo === undefined || hi === undefined) continue
  const list = windowsOf.get(o.key) ?? []
  list.push({ lo, hi, obs: o })
  windowsOf.set(o.key, list)
}
const inDocumentedWindow = (key: string, order: number) =>
  (windowsOf.get(key) ?? []).some((w) => order > w.lo && order <= w.hi)

// ---------------------------------------------------------------------------------------------
// The two detectors, as lists of reported steps on one series

interface Report {
  readonly firstBadOrder: number
  readonly firstBadId: string
  readonly logRatio: number
  /** 'change' = blamed on commits; 'boundary' = reported as an infrastructure step. */
  readonly kind: 'change' | 'boundary'
  readonly state: 'confirmed' | 'provisional' | 'boundary'
  /** True when the previous measured build ran on another epoch. */
  readonly acrossEpochs: boolean
}

function langperfReports(d: Detection): Report[] {
  const out: Report[] = []
  for (const c of d.changes) {
    const bad = d.points[c.firstBadIndex]
    const good = d.points[c.lastGoodIndex]
    out.push({
      firstBadOrder: bad?.order ?? 0,
      firstBadId: c.firstBadId,
      logRatio: c.step.logRatio,
      kind: 'change',
      state: c.state,
      acrossEpochs: good?.epoch !== bad?.epoch,
    })
  }
  for (const b of d.epochs) {
    if (!b.significant || b.step === null) continue
    out.push({
      firstBadOrder: d.points[b.index]?.order ?? 0,
      firstBadId: b.id,
      logRatio: b.step.logRatio,
      kind: 'boundary',
      state: 'boundary',
      acrossEpochs: true,
    })
  }
  return out
}

function naiveReports(points: readonly SeriesPoint[]): Report[] {
  const measured = points.filter((p) => p.value !== null && p.value > 0)
  const out: Report[] = []
  for (let i = 1; i < measured.length; i++) {
    const a = measured[i - 1] as SeriesPoint
    const b = measured[i] as SeriesPoint
    const logRatio = Math.log((b.value ?? 1) / (a.value ?? 1))
    if (Math.abs(logRatio) >= NAIVE_THRESHOLD) {
      out.push({
        firstBadOrder: b.order,
        firstBadId: b.id,
        logRatio,
        kind: 'change',
        state: 'confirmed',
        acrossEpochs: a.epoch !== b.epoch,
      })
    }
  }
  return out
}

const directionOk = (kind: Obs['kind'], logRatio: number) => (kind === 'regression') === logRatio > 0

// ---------------------------------------------------------------------------------------------
// 1. Real history: recall, unexplained changes, epochs blamed on commits, run time

interface HistoryFigures {
  observations: number
  hitsAsChange: number
  hitsAsBoundary: number
  hits: number
  misses: string[]
  points: number
  series: number
  changes: number
  provisional: number
  unexplained: number
  /** Unexplained changes whose first bad build is in the dense, daily period. */
  unexplainedDense: number
  pointsDense: number
  explainedByEvent: number
  boundaryReports: number
  blamedAcrossEpochs: number
}

function emptyHistory(): HistoryFigures {
  return {
    observations: 0,
    hitsAsChange: 0,
    hitsAsBoundary: 0,
    hits: 0,
    misses: [],
    points: 0,
    series: 0,
    changes: 0,
    provisional: 0,
    unexplained: 0,
    unexplainedDense: 0,
    pointsDense: 0,
    explainedByEvent: 0,
    boundaryReports: 0,
    blamedAcrossEpochs: 0,
  }
}

const history = { langperf: emptyHistory(), naive: emptyHistory() }
// Unexplained langperf changes, to check which recur at the same commit in another build config
// (a hint that they are real but undocumented events rather than noise).
const unexplainedChanges: { key: string; commit: string; logRatio: number }[] = []
const detections = new Map<string, Detection>()
let historyMs = 0
for (const [key, points] of seriesOf) {
  const t0 = performance.now()
  const d = detect(points)
  historyMs += performance.now() - t0
  detections.set(key, d)
  for (const [name, reports] of [
    ['langperf', langperfReports(d)],
    ['naive', naiveReports(points)],
  ] as const) {
    const h = history[name]
    h.series++
    h.points += points.length
    h.pointsDense += points.filter((p) => p.order >= DENSE_FROM).length
    for (const r of reports) {
      if (r.kind === 'boundary') {
        h.boundaryReports++
        continue
      }
      h.changes++
      if (r.state === 'provisional') h.provisional++
      if (r.acrossEpochs) h.blamedAcrossEpochs++
      if (inDocumentedWindow(key, r.firstBadOrder)) h.explainedByEvent++
      else if (!r.acrossEpochs) {
        h.unexplained++
        if (r.firstBadOrder >= DENSE_FROM) h.unexplainedDense++
        if (name === 'langperf') {
          unexplainedChanges.push({ key, commit: runs.get(r.firstBadId)?.commit ?? '', logRatio: r.logRatio })
        }
      }
    }
  }
}

for (const o of observations) {
  const points = seriesOf.get(o.key)
  const d = detections.get(o.key)
  const lo = runs.get(o.runBefore)?.order
  const hi = runs.get(o.runAfter)?.order
  if (points === undefined || d === undefined || lo === undefined || hi === undefined) {
    for (const h of Object.values(history)) {
      h.observations++
      h.misses.push(`${o.event} ${o.key} (no series)`)
    }
    continue
  }
  for (const [name, reports] of [
    ['langperf', langperfReports(d)],
    ['naive', naiveReports(points)],
  ] as const) {
    const h = history[name]
    h.observations++
    const hit = reports.filter(
      (r) => r.firstBadOrder > lo && r.firstBadOrder <= hi && directionOk(o.kind, r.logRatio),
    )
    if (hit.some((r) => r.kind === 'change')) h.hitsAsChange++
    else if (hit.some((r) => r.kind === 'boundary')) h.hitsAsBoundary++
    if (hit.length > 0) h.hits++
    else h.misses.push(`${o.event} ${o.key}`)
  }
}

// Newest-point lateness: replay each observed series build by build and note how many builds
// after the first bad one (0 = on the first bad build itself) the first report in the window comes.
const lateness: { obs: string; buildsLate: number | null; via: string }[] = []
for (const o of observations) {
  const points = seriesOf.get(o.key)
  const lo = runs.get(o.runBefore)?.order
  const hi = runs.get(o.runAfter)?.order
  if (points === undefined || lo === undefined || hi === undefined) continue
  const firstBad = points.findIndex((p) => p.order > lo)
  let result: { buildsLate: number | null; via: string } = { buildsLate: null, via: 'never' }
  for (let end = firstBad; end < points.length && end >= 0; end++) {
    const prefix = points.slice(0, end + 1)
    const reports = langperfReports(detect(prefix)).filter(
      (r) => r.firstBadOrder > lo && r.firstBadOrder <= hi && directionOk(o.kind, r.logRatio),
    )
    const first = reports[0]
    if (first !== undefined) {
      result = { buildsLate: end - firstBad, via: first.state }
      break
    }
  }
  lateness.push({ obs: `${o.event} ${o.key}`, ...result })
}

// ---------------------------------------------------------------------------------------------
// 2. A/A series from real between-build noise

interface Residual {
  readonly r: number
  readonly relStderr: number | undefined
  readonly relProcessMeans: readonly number[] | undefined
}

function residualPools(): Map<string, Residual[]> {
  const pools = new Map<string, Residual[]>()
  for (const [key, points] of seriesOf) {
    // Cut the series into stretches: same epoch, dense period, never across a documented event
    // of this benchmark. With --aa-cuts config, every event of the build config cuts and the
    // builds inside its window are left out: an event (a broken build, a GC redesign) can move
    // benchmarks it does not list. That removes such undocumented moves from the "noise" but
    // leaves far fewer points.
    const config = key.split('|')[0]
    const cuts = new Set<number>()
    const inEvent = new Set<number>()
    for (const [otherKey, windows] of windowsOf) {
      if (AA_CUTS === 'config' ? otherKey.split('|')[0] !== config : otherKey !== key) continue
      for (const w of windows) {
        const i = points.findIndex((p) => p.order > w.lo)
        if (i >= 0) cuts.add(i)
        if (AA_CUTS !== 'config') continue
        points.forEach((p, j) => {
          if (p.order > w.lo && p.order <= w.hi) inEvent.add(j)
        })
      }
    }
    const stretches: Point[][] = []
    let current: Point[] = []
    points.forEach((p, i) => {
      const prev = points[i - 1]
      if (p.order < DENSE_FROM || p.value === null) return
      if (current.length > 0 && (prev?.epoch !== p.epoch || cuts.has(i))) {
        stretches.push(current)
        current = []
      }
      if (!inEvent.has(i)) current.push(p)
    })
    if (current.length > 0) stretches.push(current)
    const pool: Residual[] = []
    for (const s of stretches) {
      // Centring on the median of fewer than 4 builds would shrink the noise too much.
      if (s.length < 4) continue
      const logs = s.map((p) => Math.log(p.value ?? 1))
      const sorted = [...logs].sort((a, b) => a - b)
      const mid = sorted.length >> 1
      const centre =
        sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2
      s.forEach((p, i) => {
        const v = p.value ?? 1
        pool.push({
          r: (logs[i] ?? 0) - centre,
          relStderr: p.stderr === undefined ? undefined : p.stderr / v,
          relProcessMeans: p.processMeans?.map((m) => m / v),
        })
      })
    }
    if (pool.length >= 8) pools.set(key, pool)
  }
  return pools
}

function shuffled<T>(items: readonly T[], rng: Rng): T[] {
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1))
    const t = out[i] as T
    out[i] = out[j] as T
    out[j] = t
  }
  return out
}

/** A series drawn from a pool: a permutation (short, as in the data) or a bootstrap resample. */
type Draw = (pool: readonly Residual[], rng: Rng) => Residual[]
const permute: Draw = (pool, rng) => shuffled(pool, rng)
const LONG_BUILDS = 100
const resample: Draw = (pool, rng) =>
  Array.from({ length: LONG_BUILDS }, () => pool[Math.floor(rng() * pool.length)] as Residual)

function toSeries(draw: readonly Residual[], step = 0, stepAt = Number.POSITIVE_INFINITY): SeriesPoint[] {
  return draw.map((res, i) => {
    const value = Math.exp(res.r) * (i >= stepAt ? 1 + step : 1)
    return {
      id: `b${i}`,
      order: i,
      epoch: 'aa',
      value,
      ...(res.relStderr !== undefined ? { stderr: res.relStderr * value } : {}),
      ...(res.relProcessMeans !== undefined
        ? { processMeans: res.relProcessMeans.map((m) => m * value) }
        : {}),
    }
  })
}

interface PowerRow {
  step: number
  trials: number
  found: number
  within3: number
  latencies: number[]
  confirmedWithin3: number
  naiveFound: number
  /** Trials and finds within 3 builds by the series' own noise σ (from the step-free series). */
  bySigma: Record<SigmaBand, { trials: number; within3: number }>
}

const SIGMA_BANDS = ['σ < 1 %', '1–2 %', '≥ 2 %'] as const
type SigmaBand = (typeof SIGMA_BANDS)[number]
const bandOf = (sigma: number): SigmaBand => (sigma < 0.01 ? 'σ < 1 %' : sigma < 0.02 ? '1–2 %' : '≥ 2 %')

interface AaStudy {
  series: number
  points: number
  confirmed: number
  provisional: number
  naive: number
  nightlyVerdicts: number
  nightlyProvisional: number
  power: PowerRow[]
}

/**
 * False alarms on A/A series drawn from each pool, and power for steps injected into them.
 * Nightly replays (one detection per prefix) cover the newest `replayTail` builds of each series.
 */
function aaStudy(
  pools: ReadonlyMap<string, Residual[]>,
  draw: Draw,
  seeds: number,
  replayTail: number,
): AaStudy {
  const study: AaStudy = {
    series: 0,
    points: 0,
    confirmed: 0,
    provisional: 0,
    naive: 0,
    nightlyVerdicts: 0,
    nightlyProvisional: 0,
    power: STEPS.map((step) => ({
      step,
      trials: 0,
      found: 0,
      within3: 0,
      latencies: [],
      confirmedWithin3: 0,
      naiveFound: 0,
      bySigma: Object.fromEntries(
        SIGMA_BANDS.map((b) => [b, { trials: 0, within3: 0 }]),
      ) as PowerRow['bySigma'],
    })),
  }
  let seed = 1
  for (const pool of pools.values()) {
    for (let s = 0; s < seeds; s++) {
      const drawn = draw(pool, createRng(seed++))
      const points = toSeries(drawn)
      study.series++
      study.points += points.length
      const d = detect(points)
      const band = bandOf(d.noise.buildSigmaLog)
      for (const c of d.changes) {
        if (c.state === 'confirmed') study.confirmed++
        else study.provisional++
      }
      study.naive += naiveReports(points).length
      // Nightly replay: how often does the newest build raise a provisional alert on pure noise?
      for (let end = Math.max(2, points.length - replayTail); end < points.length; end++) {
        const v = detect(points.slice(0, end + 1)).newest
        study.nightlyVerdicts++
        if (v.kind === 'provisional') study.nightlyProvisional++
      }
      // Power: a step with at least 4 builds before it (mid-series, or replayTail from the end).
      const at = Math.max(4, Math.floor(points.length / 2), points.length - replayTail)
      for (const row of study.power) {
        const stepped = toSeries(drawn, row.step, at)
        row.trials++
        let first: number | null = null
        let firstConfirmed: number | null = null
        for (let end = at; end < stepped.length; end++) {
          const found = detect(stepped.slice(0, end + 1))
          const hit = found.changes.find((c) => c.firstBadId === `b${at}` && c.step.logRatio > 0)
          if (hit !== undefined && first === null) first = end - at + 1
          if (hit?.state === 'confirmed') {
            firstConfirmed = end - at + 1
            break
          }
        }
        row.bySigma[band].trials++
        if (first !== null) {
          row.found++
          row.latencies.push(first)
          if (first <= 3) {
            row.within3++
            row.bySigma[band].within3++
          }
        }
        if (firstConfirmed !== null && firstConfirmed <= 3) row.confirmedWithin3++
        if (naiveReports(stepped).some((r) => r.firstBadId === `b${at}` && r.logRatio > 0)) row.naiveFound++
      }
    }
  }
  return study
}

const pools = residualPools()
const shortStudy = aaStudy(pools, permute, SEEDS, Number.POSITIVE_INFINITY)
const longStudy = aaStudy(pools, resample, LONG_SEEDS, 10)

// ---------------------------------------------------------------------------------------------
// Report

const per1000 = (count: number, points: number) => (points === 0 ? 0 : (1000 * count) / points)
const pct = (a: number, b: number) => (b === 0 ? '–' : `${((100 * a) / b).toFixed(1)} %`)
const fmt = (x: number) => x.toFixed(2)
const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? Number.NaN : (s[Math.floor((s.length - 1) / 2)] ?? Number.NaN)
}
const lp = history.langperf
const nv = history.naive
const lateKnown = lateness.filter((l) => l.buildsLate !== null).map((l) => l.buildsLate as number)

const aaSummary = (study: AaStudy) => ({
  series: study.series,
  points: study.points,
  confirmedPer1000: per1000(study.confirmed, study.points),
  provisionalPer1000: per1000(study.provisional, study.points),
  naivePer1000: per1000(study.naive, study.points),
  nightlyVerdicts: study.nightlyVerdicts,
  nightlyProvisionalPer1000: per1000(study.nightlyProvisional, study.nightlyVerdicts),
  power: study.power.map((p) => ({
    step: p.step,
    trials: p.trials,
    found: p.found / p.trials,
    within3: p.within3 / p.trials,
    confirmedWithin3: p.confirmedWithin3 / p.trials,
    medianBuilds: median(p.latencies),
    naiveFound: p.naiveFound / p.trials,
    within3BySigma: Object.fromEntries(
      SIGMA_BANDS.map((b) => [
        b,
        { trials: p.bySigma[b].trials, within3: p.bySigma[b].within3 / p.bySigma[b].trials },
      ]),
    ),
  })),
})

const summary = {
  data: DATA,
  options: OPTIONS,
  aaCuts: AA_CUTS,
  history: {
    series: lp.series,
    points: lp.points,
    runTimeMs: Math.round(historyMs),
    langperf: lp,
    naive: nv,
  },
  newestLateness: lateness,
  unexplainedChanges,
  aaShort: { seeds: SEEDS, ...aaSummary(shortStudy) },
  aaLong: { seeds: LONG_SEEDS, builds: LONG_BUILDS, ...aaSummary(longStudy) },
}

function logAa(title: string, a: ReturnType<typeof aaSummary>) {
  log(title)
  log(
    `  false alarms per 1,000 points             ${fmt(a.confirmedPer1000).padEnd(16)}${fmt(a.naivePer1000)}   (confirmed; + provisional at the newest build: ${fmt(a.provisionalPer1000)})`,
  )
  log(
    `  provisional alerts per 1,000 nightly verdicts ${fmt(a.nightlyProvisionalPer1000)}   (${a.nightlyVerdicts} replayed nights)`,
  )
  log('  power (step injected, replayed build by build; found = reported with the right blame)')
  log('  step    found    within 3 builds   confirmed within 3   median builds   naive found')
  for (const p of a.power) {
    log(
      `  ${`${(p.step * 100).toFixed(0)} %`.padEnd(8)}${pct(p.found, 1).padEnd(9)}${pct(p.within3, 1).padEnd(18)}${pct(p.confirmedWithin3, 1).padEnd(21)}${String(p.medianBuilds).padEnd(16)}${pct(p.naiveFound, 1)}`,
    )
  }
  log("  found within 3 builds, by the workload's own between-build σ:")
  for (const p of a.power) {
    log(
      `  ${`${(p.step * 100).toFixed(0)} %`.padEnd(8)}${SIGMA_BANDS.map((b) => `${b}: ${pct(p.within3BySigma[b]?.within3 ?? 0, 1)} of ${p.within3BySigma[b]?.trials}`).join('   ')}`,
    )
  }
}

if (JSON_OUT) {
  console.log(JSON.stringify(summary, null, 2))
} else {
  log(
    `Data: ${DATA}${Object.keys(OPTIONS).length ? `  options ${JSON.stringify(OPTIONS)}` : ''}  A/A cuts per ${AA_CUTS}`,
  )
  log(`Real history: ${lp.series} series (main line, per config × benchmark), ${lp.points} points`)
  log('')
  log('                                            langperf        naive ≥5 %')
  log(
    `recall (ground-truth observations)          ${pct(lp.hits, lp.observations).padEnd(16)}${pct(nv.hits, nv.observations)}   (${lp.hits}/${lp.observations} vs ${nv.hits}/${nv.observations})`,
  )
  log(`  of which blamed on commits                ${String(lp.hitsAsChange).padEnd(16)}${nv.hitsAsChange}`)
  log(
    `  of which reported at an epoch boundary    ${String(lp.hitsAsBoundary).padEnd(16)}–   (infrastructure changed in the same range)`,
  )
  log(
    `changes reported on the history            ${String(lp.changes).padEnd(16)}${nv.changes}   (${lp.provisional} provisional)`,
  )
  log(
    `unexplained changes per 1,000 points        ${fmt(per1000(lp.unexplained, lp.points)).padEnd(16)}${fmt(per1000(nv.unexplained, nv.points))}   (${lp.unexplained} vs ${nv.unexplained})`,
  )
  log(
    `  in the dense period (daily builds)        ${fmt(per1000(lp.unexplainedDense, lp.pointsDense)).padEnd(16)}${fmt(per1000(nv.unexplainedDense, nv.pointsDense))}   (${lp.unexplainedDense} vs ${nv.unexplainedDense} in ${lp.pointsDense} points; before it, release tags months apart)`,
  )
  log(
    `epoch boundaries blamed on a commit         ${String(lp.blamedAcrossEpochs).padEnd(16)}${nv.blamedAcrossEpochs}`,
  )
  log(`infrastructure steps reported as such      ${String(lp.boundaryReports).padEnd(16)}–`)
  log('')
  logAa(
    `A/A as in the data: real residuals permuted, ${summary.aaShort.series} series, ${summary.aaShort.points} points (${SEEDS} seeds per workload)`,
    summary.aaShort,
  )
  log('')
  logAa(
    `A/A of a mature series: the same residuals resampled to ${LONG_BUILDS} builds, ${summary.aaLong.series} series (${LONG_SEEDS} seeds per workload; steps ${10} builds from the end)`,
    summary.aaLong,
  )
  log('')
  for (const via of ['provisional', 'confirmed', 'boundary', 'never']) {
    const rows = lateness.filter((l) => l.via === via)
    if (rows.length === 0) continue
    const hist = new Map<string, number>()
    for (const l of rows) {
      const k = l.buildsLate === null ? 'never' : String(l.buildsLate)
      hist.set(k, (hist.get(k) ?? 0) + 1)
    }
    log(
      `newest-point lateness, first reported as ${via}: ${rows.length} observations; builds after the first bad one (0 = on it): ${[
        ...hist.entries(),
      ]
        .sort()
        .map(([k, v]) => `${k}: ${v}`)
        .join(', ')}`,
    )
  }
  log(`  median over all reported: ${median(lateKnown)} builds`)
  const twins = unexplainedChanges.filter((u) =>
    unexplainedChanges.some(
      (o) =>
        o !== u &&
        o.commit === u.commit &&
        o.key.split('|')[1] === u.key.split('|')[1] &&
        Math.sign(o.logRatio) === Math.sign(u.logRatio),
    ),
  )
  log(
    `unexplained changes that recur at the same commit, same direction, in another build config: ${twins.length} of ${unexplainedChanges.length}`,
  )
  log(`run time, whole history once: ${historyMs.toFixed(0)} ms`)
  log('')
  log(`langperf misses: ${lp.misses.length === 0 ? 'none' : ''}`)
  for (const m of lp.misses) log(`  ${m}`)
}
