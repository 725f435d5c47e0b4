import { LangperfError, quote } from '../lib/index.ts'
import type { LangperfConfig, NightlyReference, RuntimeConfig } from '../model/index.ts'
import { createTransport, type Transport } from '../notify/index.ts'
import type { DetectOptions } from '../stats/index.ts'
import type {
  BisectionReport,
  CommitReport,
  DetectionReport,
  NotificationReport,
  PlannedBuild,
  ProfileReport,
} from './nightly-report.ts'
import type { Journal } from './steps.ts'
import { type PipelineDeps, presetOf, type SamplingOptions, type World } from './world.ts'

// What every step of a nightly is handed: its options (checked once, before anything is
// fetched), the world, the step journal, the notification transports and the report it fills.

/** What a nightly may be told. */
export interface NightlyOptions {
  /** Machine name recorded on runs (default: the host name). */
  readonly machine?: string
  /** Fill the history of the last N commits of each branch instead of only the new ones. */
  readonly backfill?: number
  /** Measure every k-th commit (default: `[schedule] backfill_every`). */
  readonly every?: number
  /** Print the plan (fetching the mirrors), build and measure nothing. */
  readonly dryRun?: boolean
  /** Only these runtimes (default: every runtime of the configuration). */
  readonly runtimes?: readonly string[]
  /** Only these workloads instead of the runtime's suites. */
  readonly workloads?: readonly string[]
  /** How each build is measured (default: the `default` preset, as pyperf). */
  readonly sampling?: SamplingOptions
  /** Bisect new commit alerts (default: `[bisect] enabled`). */
  readonly bisect?: boolean
  /** At most this many bisections per nightly (default 3). */
  readonly maxBisections?: number
  /** Processes per build in a bisection's first round (default 10; the rounds double it). */
  readonly bisectStartProcesses?: number
  /** The portal's public URL, for links in notifications (default $LANGPERF_PORTAL_URL or http://127.0.0.1:8080). */
  readonly portalUrl?: string
  /** The lock file (default `<build cache>/nightly.lock`). */
  readonly lockPath?: string
  /** A failed step is retried by later nightlies until it failed this often (default 3). */
  readonly maxAttempts?: number
  /** Commits considered when the last measured one is not among the newest (default 100). */
  readonly maxNewCommits?: number
  /** Change-point detection settings (default: docs/stats.md). */
  readonly detect?: DetectOptions
  /** The build measured beside each new commit (default: `[nightly] reference`). */
  readonly reference?: NightlyReference
  /** Rounds a pair may measure at most, doubling its processes (default: `[nightly] pair_budget`; 1 = never grow). */
  readonly pairBudget?: number
  /** The practical threshold of a pair, |ratio − 1| (default: `[nightly] pair_threshold`). */
  readonly pairThreshold?: number
  /** Profile each culprit against its parent (default: `[bisect] profile`). */
  readonly profile?: boolean
  /** Seconds of profiled workload per build and workload (default: `[bisect] profile_duration`). */
  readonly profileDurationS?: number
  /** Profiled processes per build and workload (default 2). */
  readonly profileProcesses?: number
  /** Workloads profiled per alert at most (default: `[bisect] profile_workloads`). */
  readonly profileWorkloads?: number
}

/** The nightly's world: the pipeline's, plus the notification transports. */
export interface NightlyDeps extends PipelineDeps {
  /** Default: one transport per `[[notify]]` target, its secrets read from `env`. */
  readonly transports?: readonly Transport[]
}

/** The report of a nightly as its steps fill it in. */
export interface ReportSoFar {
  planned: PlannedBuild[]
  commits: CommitReport[]
  detections: DetectionReport[]
  notifications: NotificationReport[]
  bisections: BisectionReport[]
  profiles: ProfileReport[]
  errors: { step: string; message: string }[]
}

/** What every step of a nightly is handed. */
export interface NightlyContext {
  readonly world: World
  readonly journal: Journal
  /** The options as told, with `every` resolved. */
  readonly options: NightlyOptions
  readonly transports: readonly Transport[]
  readonly report: ReportSoFar
  /** Bisections started by this nightly, against `maxBisections`. */
  bisectionsStarted: number
}

const DEFAULT_MAX_ATTEMPTS = 3

/** Thrown when the nightly's signal aborts it: it ends the nightly, not one step. */
export class Interrupted extends Error {}

/** Throws Interrupted when the nightly was told to stop: called between steps. */
export function checkInterrupt(world: World): void {
  if (world.signal?.aborted) throw new Interrupted('interrupted')
}

/** The options a nightly checked before it fetches anything: its runtimes and `every`. */
export interface CheckedOptions {
  readonly runtimes: readonly RuntimeConfig[]
  readonly every: number
}

/**
 * Checks the options of a nightly against the configuration, so that a typo fails at once with
 * what was expected rather than after an hour of building: the runtimes named, `every`, the
 * sampling, and the pair's budget and threshold.
 */
export function checkOptions(config: LangperfConfig, options: NightlyOptions): CheckedOptions {
  const runtimes =
    options.runtimes === undefined ? config.runtimes : options.runtimes.map((name) => runtimeOf(config, name))
  const every = options.every ?? config.schedule.backfillEvery
  if (!Number.isInteger(every) || every < 1) {
    throw new LangperfError(
      'bad-input',
      `Cannot measure every ${quote(every)}th commit: expected a positive integer`,
    )
  }
  presetOf(options.sampling ?? {}) // Validates the sampling before anything is fetched.
  checkPairOptions(config, options)
  return { runtimes, every }
}

/** The runtime of the configuration called `name`, or a not-found error listing them. */
function runtimeOf(config: LangperfConfig, name: string): RuntimeConfig {
  const r = config.runtimes.find((x) => x.name === name)
  if (r === undefined) {
    throw new LangperfError(
      'not-found',
      `Cannot run the nightly for runtime ${quote(name)}: expected one of ${config.runtimes.map((x) => x.name).join(', ')}`,
    )
  }
  return r
}

/** Checks the pair's budget (whole rounds, 1 to 10) and threshold (a fraction). */
function checkPairOptions(config: LangperfConfig, options: NightlyOptions): void {
  const pairBudget = options.pairBudget ?? config.nightly.pairBudget
  if (!Number.isInteger(pairBudget) || pairBudget < 1 || pairBudget > 10) {
    throw new LangperfError(
      'bad-input',
      `Cannot grow pairs with a budget of ${quote(pairBudget)} rounds: expected an integer from 1 to 10`,
    )
  }
  const pairThreshold = options.pairThreshold ?? config.nightly.pairThreshold
  if (!(pairThreshold > 0 && pairThreshold < 1)) {
    throw new LangperfError(
      'bad-input',
      `Cannot use a pair threshold of ${quote(pairThreshold)}: expected a fraction between 0 and 1, such as 0.1 for 10 %`,
    )
  }
}

/**
 * The context of a nightly's steps, its report empty. `staleBefore` is the start of this
 * nightly's lock: journal steps left running from before it are abandoned.
 */
export function contextOf(input: {
  readonly world: World
  readonly deps: NightlyDeps
  readonly options: NightlyOptions
  readonly staleBefore: string
}): NightlyContext {
  const { world, deps, options } = input
  return {
    world,
    journal: {
      store: world.store,
      now: world.now,
      staleBefore: input.staleBefore,
      maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    },
    options,
    transports: deps.transports ?? world.config.notify.map((t) => createTransport(t, world.env)),
    report: {
      planned: [],
      commits: [],
      detections: [],
      notifications: [],
      bisections: [],
      profiles: [],
      errors: [],
    },
    bisectionsStarted: 0,
  }
}
