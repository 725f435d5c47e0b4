import { createRng, type JsonObject } from '../lib/index.ts'
import type {
  BuildSpec,
  InterpreterInfo,
  MachineEnvironment,
  MachineFingerprint,
  ProcessSamples,
  ResultOutcome,
  RunSpec,
  RunWithResults,
  WorkloadResult,
} from '../model/index.ts'
import type { AlertDetail, BlameEnd, ChangeInput } from './alert-types.ts'
import type { SeriesKey } from './types.ts'

// Example values for the contract tests and the write benchmark: realistic shapes, every field
// filled (so a round trip proves each one survives), deterministic (seeded) samples.

/** A machine fingerprint; override any field. */
export function exampleFingerprint(overrides: Partial<MachineFingerprint> = {}): MachineFingerprint {
  return {
    hostname: 'bench-1',
    cpuModel: 'AMD EPYC 7B13',
    logicalCpus: 2,
    physicalCores: 1,
    memoryBytes: 8_340_000_768,
    kernel: '6.1.0-18-amd64',
    os: 'linux',
    arch: 'x64',
    ...overrides,
  }
}

/** A machine environment with one warning. */
export function exampleEnvironment(
  fingerprint: MachineFingerprint = exampleFingerprint(),
): MachineEnvironment {
  return {
    fingerprint,
    tuning: {
      governors: [],
      turbo: 'unknown',
      smt: 'on',
      aslr: 2,
      loadAverage1m: 0.42,
      isolatedCpus: '',
      cpuFrequenciesMhz: [2450.001, 2450.002],
      virtualized: true,
      perfCounters: false,
    },
    warnings: [{ code: 'no-cpufreq', message: 'No cpufreq directory', advice: 'Use a bare-metal machine' }],
  }
}

/** An interpreter self-report. */
export function exampleInterpreter(overrides: Partial<InterpreterInfo> = {}): InterpreterInfo {
  return {
    implementation: 'cpython',
    version: '3.13.0',
    implementationVersion: '3.13.0',
    sysVersion: '3.13.0 (main, Oct  8 2024, 10:00:00) [GCC 12.2.0]',
    executable: '/opt/python/3.13/bin/python3.13',
    compiler: 'GCC 12.2.0',
    pointerBits: 64,
    buildFlags: { CONFIG_ARGS: "'--enable-optimizations' '--with-lto'" },
    jit: 'absent',
    freeThreading: 'absent',
    extra: { hashSeed: null, nested: { list: [1, 'two', false] } },
    ...overrides,
  }
}

/** A CPython build of commit `sha` (identity derived from it); override any field. */
export function exampleBuild(
  sha = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678',
  overrides: Partial<BuildSpec> = {},
): BuildSpec {
  return {
    runtime: 'cpython',
    version: '3.14.0a1+',
    config: 'pgo-lto',
    commitSha: sha,
    commitDateUtc: '2024-10-01T08:30:00Z',
    branch: 'main',
    mergeBase: null,
    identity: `cpython:pgo-lto:${sha}`,
    interpreter: exampleInterpreter(),
    metadata: { configure: ['--enable-optimizations', '--with-lto'], ccache: true },
    ...overrides,
  }
}

/** A run spec on machine `bench-1`; override any field. */
export function exampleRunSpec(overrides: Partial<RunSpec> = {}): RunSpec {
  return {
    machine: 'bench-1',
    environment: exampleEnvironment(),
    build: exampleBuild(),
    suite: 'default',
    preset: 'default',
    harnessVersion: '1',
    source: 'langperf',
    startedAt: '2024-10-01T10:00:00.000Z',
    groupId: null,
    metadata: { note: 'example', cpuAffinity: [0, 1] },
    ...overrides,
  }
}

/** Options of `exampleResult`. */
export interface ExampleResultOptions {
  readonly version?: string
  readonly processes?: number
  readonly valuesPerProcess?: number
  readonly warmupsPerProcess?: number
  /** Centre of the values, in seconds. */
  readonly meanS?: number
  readonly seed?: number
  readonly outcome?: ResultOutcome
  readonly metadata?: JsonObject
}

/** A result of workload `name` with seeded values around `meanS` (± 5 %). */
export function exampleResult(name: string, options: ExampleResultOptions = {}): WorkloadResult {
  const rng = createRng(options.seed ?? 1)
  const meanS = options.meanS ?? 0.01
  const nProcesses = options.processes ?? 3
  const nValues = options.valuesPerProcess ?? 3
  const nWarmups = options.warmupsPerProcess ?? 1
  const value = () => meanS * (0.95 + 0.1 * rng())
  const processes: ProcessSamples[] = []
  for (let p = 0; p < nProcesses; p++) {
    processes.push({
      warmups: Array.from({ length: nWarmups }, (_, i) => [2 ** (i + 4), value()] as const),
      values: Array.from({ length: nValues }, value),
      metadata: { date: `2024-10-01T10:00:0${p % 10}.123456`, maxRssBytes: 12_345_678 + p, loadAvg1m: 0.25 },
    })
  }
  return {
    workload: { name, version: options.version ?? 'v1hash000000' },
    unit: 'second',
    loops: 16,
    innerLoops: 1,
    processes,
    outcome: options.outcome ?? { state: 'measured' },
    metadata: options.metadata ?? { tags: ['micro'], description: `The ${name} workload` },
  }
}

/** A complete run of `workloads` (default three) with every field filled. */
export function exampleRunWithResults(
  overrides: Partial<RunSpec> = {},
  options: { readonly workloads?: readonly string[]; readonly result?: ExampleResultOptions } = {},
): RunWithResults {
  const names = options.workloads ?? ['nbody', 'richards', 'json_dumps']
  return {
    run: exampleRunSpec(overrides),
    status: 'complete',
    finishedAt: '2024-10-01T10:45:00.000Z',
    results: names.map((n, i) => exampleResult(n, { seed: i + 1, ...options.result })),
  }
}

/**
 * A complete run of the `warmup` preset (`langperf run --warmup-series`): 4 processes × 120
 * iterations of one call (loops 1) per workload, each shaped by hand, with ± 2 % seeded noise:
 * `jit_warm` 3× slower for its first 20 iterations, then steady at 1 ms (warm-up in every
 * process); `steady` flat at 2 ms; `late` flat at 1 ms but 1.5× slower over the last 15 iterations
 * in one process (no steady state there, so the workload is bad inconsistent).
 */
export function exampleWarmupRun(overrides: Partial<RunSpec> = {}): RunWithResults {
  const rng = createRng(17)
  const noisy = (meanS: number) => meanS * (0.98 + 0.04 * rng())
  const series = (shape: (i: number) => number) => Array.from({ length: 120 }, (_, i) => noisy(shape(i)))
  const shapes: Readonly<Record<string, (p: number) => (i: number) => number>> = {
    jit_warm: () => (i) => (i < 20 ? 0.003 : 0.001),
    steady: () => () => 0.002,
    late: (p) => (i) => (p === 3 && i >= 105 ? 0.0015 : 0.001),
  }
  return {
    run: exampleRunSpec({
      preset: 'warmup',
      metadata: { warmup_series: { iterations: 120, loops: 'one' } },
      ...overrides,
    }),
    status: 'complete',
    finishedAt: '2024-10-01T10:45:00.000Z',
    results: Object.entries(shapes).map(([name, shape]) => ({
      workload: { name, version: `${name}-v1` },
      unit: 'second',
      loops: 1,
      innerLoops: 1,
      processes: [0, 1, 2, 3].map((p) => ({ warmups: [], values: series(shape(p)), metadata: {} })),
      outcome: { state: 'measured' },
      metadata: { sampling: { processes: 4, warmups: 0, values: 120 } },
    })),
  }
}

/**
 * A confirmed commit change of `series` between two stored builds (a regression when `ratio` >
 * 1), its interval ±0.1 around the ratio: what a detection would record, for tests that need an
 * alert.
 */
export function exampleCommitChange(
  series: SeriesKey,
  ends: { readonly lastGood: BlameEnd; readonly firstBad: BlameEnd },
  ratio: number,
): ChangeInput {
  return {
    kind: 'commit',
    series,
    ...ends,
    unit: 'second',
    ratio,
    ratioLow: ratio - 0.1,
    ratioHigh: ratio + 0.1,
    pValue: 0.0001,
    direction: ratio > 1 ? 'regression' : 'improvement',
    status: 'confirmed',
    details: {},
  }
}

/**
 * The instruction-count change beside a time change: same series, blame range, direction and
 * status, measure `instructions`, exact (the interval is the ratio, no p-value).
 */
export function exampleCountChange(time: ChangeInput, ratio: number): ChangeInput {
  return {
    ...time,
    measure: 'instructions',
    unit: 'instruction',
    ratio,
    ratioLow: ratio,
    ratioHigh: ratio,
    pValue: 0,
    details: { method: 'exact' },
  }
}

/**
 * An alert as `getAlert` answers it: confirmed regression of commit a…a → b…b on main, untriaged,
 * no culprit, no changes or profiles; override any field (its counts do not follow `changes`).
 */
export function exampleAlertDetail(overrides: Partial<AlertDetail> = {}): AlertDetail {
  return {
    id: 1,
    runtime: 'cpython',
    branch: 'main',
    lastGoodCommit: 'a'.repeat(40),
    firstBadCommit: 'b'.repeat(40),
    kind: 'commit',
    lastGoodBuildId: 1,
    firstBadBuildId: 2,
    status: 'confirmed',
    direction: 'regression',
    triage: 'new',
    triageNote: null,
    triageLink: null,
    triagedAt: null,
    acknowledgedUntil: null,
    lastGoodCommitDate: null,
    firstBadCommitDate: null,
    culpritCommit: null,
    culpritNote: null,
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-01T00:00:00.000Z',
    changeCount: 0,
    regressions: 0,
    improvements: 0,
    machines: ['bench-1'],
    configs: ['default'],
    largest: null,
    changes: [],
    profiles: [],
    ...overrides,
  }
}
