import {
  BISECT_PURPOSE,
  detectAndRecord,
  PAIR_ROUND_PURPOSE,
  pairOnly,
  REFERENCE_PURPOSE,
} from '../analysis/index.ts'
import { type Artifact, type CommitInfo, listCommits, type Mirror } from '../build/index.ts'
import { type JsonObject, LangperfError, quote } from '../lib/index.ts'
import type {
  BuildConfigDefinition,
  BuildSpec,
  LangperfConfig,
  NightlyReference,
  RuntimeConfig,
  WorkloadDefinition,
} from '../model/index.ts'
import { alertMessageFrom, createTransport, repositoryLinks, type Transport } from '../notify/index.ts'
import type { Interpreter } from '../runner/index.ts'
import type { DetectOptions } from '../stats/index.ts'
import type { PipelineStepRow, RunRow } from '../store/index.ts'
import { BISECT_DEFAULTS } from './bisect.ts'
import { bisectAlert, type RunBisectOptions } from './bisect-run.ts'
import { acquireLock, type HeldLock } from './lock.ts'
import { growPair } from './pair.ts'
import { DEFAULT_MAX_NEW_COMMITS, planCommits } from './select.ts'
import { errorText, type Journal, runStep, type StepOutcome } from './steps.ts'
import {
  buildCommit,
  buildIdentity,
  buildMetadata,
  buildSpecOf,
  defaultLockPath,
  interpreterOf,
  measureBuilds,
  mirrorOf,
  type PipelineDeps,
  pickWorkloads,
  presetOf,
  type SamplingOptions,
  storeFailedBuild,
  type World,
  workloadsOf,
  worldOf,
} from './world.ts'

// The nightly cycle (docs/nightly.md). Under a lock, for each runtime × branch: fetch the mirror,
// plan the new first-parent commits (or a backfill, every k-th), and for each commit × config
// build (cached) → measure the suite → store; a failed build is stored as a run whose results
// failed with `build-failed`. Each new commit is measured interleaved with a reference build, the
// newest commit of that branch × config measured before it here (`[nightly] reference`), in one
// run: both runs are stored, and detection judges the newest build's step by that pair, which the
// machine's drift between nights cannot move (docs/real-cpython.md). Then detect over the branch's series on this machine, notify every
// target of each new or newly confirmed alert, and bisect new commit alerts (a capped number per
// night), notifying again when a culprit is found.
//
// Every step is journalled in the store (steps.ts): a nightly that crashed is resumed by the
// next one without redoing what finished. A measure step that died half-way keeps the workloads
// it stored; its runs are closed as interrupted and only the missing workloads are measured. A
// notification is one step per alert × target × event, so none is sent twice.

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
}

/** The nightly's world: the pipeline's, plus the notification transports. */
export interface NightlyDeps extends PipelineDeps {
  /** Default: one transport per `[[notify]]` target, its secrets read from `env`. */
  readonly transports?: readonly Transport[]
}

/** One commit × config planned. */
export interface PlannedBuild {
  readonly runtime: string
  readonly branch: string
  readonly config: string
  readonly sha: string
  readonly subject: string
  readonly commitDateUtc: string
  /** The commit measured beside it, interleaved (the newest measured before it), or null. */
  readonly reference: string | null
}

/** What happened to one commit × config. */
export interface CommitReport extends PlannedBuild {
  readonly build: 'ok' | 'failed' | 'unsupported' | 'skipped' | 'error'
  readonly measure: 'measured' | 'build-failed' | 'done-before' | 'failed' | 'busy'
  /** The commit's own runs. */
  readonly runIds: readonly number[]
  /** The runs of the reference build measured beside it (purpose `reference`). */
  readonly referenceRunIds: readonly number[]
  /** Why it was measured without a reference, when it was. */
  readonly referenceSkipped?: string
  /** Measured twice, interleaved with itself, for want of a reference (the first build of a history). */
  readonly besideItself?: boolean
  /** How its pair grew (adaptive pair): rounds, extra processes, and the workloads the budget left undecided. */
  readonly pair?: PairReport
  readonly error?: string
}

/** What the adaptive pair of one commit did (pair.ts). */
export interface PairReport {
  readonly rounds: number
  readonly budget: number
  /** Processes measured beyond the first round, summed over workloads and both builds. */
  readonly addedProcesses: number
  /** Workloads still undecided when the budget ran out. */
  readonly undecided: readonly string[]
  readonly budgetExhausted: boolean
}

/** One detection pass of a runtime × branch. */
export interface DetectionReport {
  readonly runtime: string
  readonly branch: string
  readonly state: 'done' | 'done-before' | 'failed' | 'skipped'
  readonly newAlertIds: readonly number[]
  readonly confirmedAlertIds: readonly number[]
  /** Provisional changes recorded as confirmed at once because their interleaved pair showed them. */
  readonly confirmedByPair: number
  /** Changes not raised (or withdrawn) because their interleaved pair showed no such step. */
  readonly dismissedByPair: number
  /** Provisional changes raised by a decisive pair where the history showed none yet. */
  readonly raisedByPair: number
  readonly error?: string
}

/** One notification of one alert to one target. */
export interface NotificationReport {
  readonly alertId: number
  readonly target: string
  readonly event: NotifyEvent
  readonly state: 'delivered' | 'done-before' | 'failed' | 'gave-up' | 'busy'
  readonly detail: string
}

/** One bisection of an alert. */
export interface BisectionReport {
  readonly alertId: number
  readonly state:
    | 'culprit'
    | 'inconclusive'
    | 'single-commit'
    | 'skipped'
    | 'done-before'
    | 'failed'
    | 'capped'
  readonly culprit: string | null
  readonly note: string
}

/** The summary of a nightly (printed, or as JSON with `--json`). */
export interface NightlyReport {
  readonly machine: string
  readonly startedAt: string
  readonly finishedAt: string
  readonly dryRun: boolean
  readonly interrupted: boolean
  readonly planned: readonly PlannedBuild[]
  readonly commits: readonly CommitReport[]
  readonly detections: readonly DetectionReport[]
  readonly notifications: readonly NotificationReport[]
  readonly bisections: readonly BisectionReport[]
  /** Steps that failed; the nightly went on with the others. */
  readonly errors: readonly { readonly step: string; readonly message: string }[]
}

/** Why an alert is notified: it is new, newly confirmed, or bisection named its culprit. */
export type NotifyEvent = 'new' | 'confirmed' | 'culprit'

const DEFAULT_MAX_BISECTIONS = 3
const DEFAULT_MAX_ATTEMPTS = 3
const DEFAULT_PORTAL_URL = 'http://127.0.0.1:8080'

class Interrupted extends Error {}

interface State {
  readonly world: World
  readonly journal: Journal
  readonly options: NightlyOptions
  readonly transports: readonly Transport[]
  readonly report: {
    planned: PlannedBuild[]
    commits: CommitReport[]
    detections: DetectionReport[]
    notifications: NotificationReport[]
    bisections: BisectionReport[]
    errors: { step: string; message: string }[]
  }
  bisectionsStarted: number
}

function checkInterrupt(world: World): void {
  if (world.signal?.aborted) throw new Interrupted('interrupted')
}

/**
 * Runs one nightly cycle and returns its summary. Throws NightlyLockedError when another nightly
 * holds the lock; a step that fails is recorded in the summary and the others go on.
 */
export async function runNightly(
  config: LangperfConfig,
  deps: NightlyDeps,
  options: NightlyOptions = {},
): Promise<NightlyReport> {
  const world = worldOf(config, deps, options.machine)
  const startedAt = world.now().toISOString()
  const runtimes =
    options.runtimes === undefined
      ? config.runtimes
      : options.runtimes.map((name) => {
          const r = config.runtimes.find((x) => x.name === name)
          if (r === undefined) {
            throw new LangperfError(
              'not-found',
              `Cannot run the nightly for runtime ${quote(name)}: expected one of ${config.runtimes.map((x) => x.name).join(', ')}`,
            )
          }
          return r
        })
  const every = options.every ?? config.schedule.backfillEvery
  if (!Number.isInteger(every) || every < 1) {
    throw new LangperfError(
      'bad-input',
      `Cannot measure every ${quote(every)}th commit: expected a positive integer`,
    )
  }
  presetOf(options.sampling ?? {}) // Validates the sampling before anything is fetched.
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
  let lock: HeldLock | null = null
  if (!options.dryRun) {
    lock = await acquireLock(options.lockPath ?? defaultLockPath(config), { now: world.now, log: world.log })
  }
  const state: State = {
    world,
    journal: {
      store: world.store,
      now: world.now,
      staleBefore: lock?.owner.startedAt ?? startedAt,
      maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    },
    options: { ...options, every },
    transports: deps.transports ?? config.notify.map((t) => createTransport(t, world.env)),
    report: { planned: [], commits: [], detections: [], notifications: [], bisections: [], errors: [] },
    bisectionsStarted: 0,
  }
  let interrupted = false
  try {
    world.log(
      `langperf nightly on ${quote(world.machine)}: ${runtimes.length} runtime(s)${options.backfill ? `, backfill ${options.backfill} every ${every}` : every > 1 ? `, every ${every}` : ''}${options.dryRun ? ' (dry run)' : ''}`,
    )
    for (const runtime of runtimes) {
      try {
        await nightlyRuntime(state, runtime)
      } catch (error) {
        if (error instanceof Interrupted) throw error
        state.report.errors.push({ step: `runtime:${runtime.name}`, message: errorText(error) })
        world.log(`  ${runtime.name}: ${errorText(error)}`)
      }
    }
  } catch (error) {
    if (!(error instanceof Interrupted)) throw error
    interrupted = true
    world.log('Interrupted: what finished is stored; the next nightly resumes the rest')
  } finally {
    await lock?.release()
  }
  return {
    machine: world.machine,
    startedAt,
    finishedAt: world.now().toISOString(),
    dryRun: options.dryRun === true,
    interrupted,
    ...state.report,
  }
}

/** What this machine measured of a runtime × config × branch. */
interface MeasuredHistory {
  /** Shas measured: done measure steps and complete nightly runs (failed builds included). */
  readonly measured: Set<string>
  /** Those whose build failed or was unsupported: stored as failed builds, nothing to run. */
  readonly failed: Set<string>
}

/** Shas measured for runtime × config on this machine: done measure steps and complete nightly runs. */
async function measuredShas(
  state: State,
  runtime: RuntimeConfig,
  config: string,
  branch: string,
): Promise<MeasuredHistory> {
  const { world } = state
  const out = new Set<string>()
  const failed = new Set<string>()
  const prefix = `measure:${world.machine}:${runtime.name}:${config}:`
  for (let offset = 0; ; offset += 1000) {
    const page = await world.store.listPipelineSteps({
      kind: 'measure',
      status: ['done'],
      keyPrefix: prefix,
      limit: 1000,
      offset,
    })
    for (const s of page.rows) {
      out.add(s.key.slice(prefix.length))
      if (s.detail.status === 'build-failed') failed.add(s.key.slice(prefix.length))
    }
    if (page.rows.length < 1000) break
  }
  // Runs stored without the journal (an earlier tool, a journal reset): the newest thousand suffice
  // to find where the history stands.
  const runs = await world.store.listRuns({
    machine: world.machine,
    runtime: runtime.name,
    config,
    branch,
    limit: 1000,
  })
  for (const r of runs.rows) {
    if (r.status === 'complete' && r.build.commitSha !== null && r.metadata.purpose !== BISECT_PURPOSE) {
      out.add(r.build.commitSha)
      const status = r.metadata.build_status
      if (typeof status === 'string' && status !== 'ok') failed.add(r.build.commitSha)
    }
  }
  return { measured: out, failed }
}

/** What a new commit is measured beside: a reference commit, or nothing and why. */
type ReferenceChoice =
  | { readonly kind: 'commit'; readonly commit: CommitInfo }
  | { readonly kind: 'none'; readonly reason: string }

/**
 * The reference of `sha` (`[nightly] reference = "previous"`): the newest commit before it in
 * first-parent order that this machine measured with a working build. A commit whose build failed
 * is passed over: it has nothing to run, and the detector's last good build is the newest one that ran.
 */
function referenceOf(
  commits: readonly CommitInfo[],
  sha: string,
  history: MeasuredHistory,
  mode: NightlyReference,
  label: string,
): ReferenceChoice {
  switch (mode) {
    case 'none':
      return { kind: 'none', reason: 'no reference: [nightly] reference = "none"' }
    case 'previous': {
      const at = commits.findIndex((c) => c.sha === sha)
      for (let j = at - 1; j >= 0; j--) {
        const c = commits[j] as CommitInfo
        if (history.measured.has(c.sha) && !history.failed.has(c.sha)) return { kind: 'commit', commit: c }
      }
      return {
        kind: 'none',
        reason: `no reference: no earlier commit of ${label} among the ${commits.length} listed was measured with a working build on this machine`,
      }
    }
    default:
      return mode satisfies never
  }
}

async function nightlyRuntime(state: State, runtime: RuntimeConfig): Promise<void> {
  const { world, options } = state
  world.log(`${runtime.name}: fetching ${quote(runtime.remote, 200)}`)
  const mirror = await mirrorOf(world, runtime)
  const { suite, workloads } = await workloadsOf(world.config, runtime, options.workloads)
  const maxNew = options.maxNewCommits ?? DEFAULT_MAX_NEW_COMMITS
  for (const branch of runtime.branches) {
    checkInterrupt(world)
    const commits = await listCommits(mirror, branch, { limit: Math.max(options.backfill ?? 0, maxNew) + 1 })
    const measured = new Map<string, Set<string>>()
    const histories = new Map<string, MeasuredHistory>()
    const plannedByConfig = new Map<string, Set<string>>()
    const referenceMode = options.reference ?? world.config.nightly.reference
    for (const cfg of runtime.configs) {
      const history = await measuredShas(state, runtime, cfg.name, branch)
      const done = history.measured
      measured.set(cfg.name, done)
      histories.set(cfg.name, history)
      const planned = planCommits(commits, {
        measured: done,
        every: options.every ?? 1,
        maxNew,
        ...(options.backfill !== undefined ? { backfill: options.backfill } : {}),
      })
      plannedByConfig.set(cfg.name, new Set(planned.map((c) => c.sha)))
    }
    const ordered = commits.filter((c) =>
      runtime.configs.some((cfg) => plannedByConfig.get(cfg.name)?.has(c.sha)),
    )
    world.log(
      `${runtime.name} ${branch}: ${commits.length} recent commits, ${ordered.length} to measure${ordered.length ? ` (${ordered[0]!.sha.slice(0, 12)} … ${ordered.at(-1)!.sha.slice(0, 12)})` : ''}`,
    )
    // The plan's references assume every planned build works; the live choice below knows better.
    const simulated = new Map(
      runtime.configs.map((cfg) => {
        const h = histories.get(cfg.name) as MeasuredHistory
        return [cfg.name, { measured: new Set(h.measured), failed: new Set(h.failed) }] as const
      }),
    )
    for (const c of ordered) {
      for (const cfg of runtime.configs) {
        if (!plannedByConfig.get(cfg.name)?.has(c.sha)) continue
        const sim = simulated.get(cfg.name) as MeasuredHistory
        const ref = referenceOf(commits, c.sha, sim, referenceMode, `${branch} × ${cfg.name}`)
        sim.measured.add(c.sha)
        state.report.planned.push({
          runtime: runtime.name,
          branch,
          config: cfg.name,
          sha: c.sha,
          subject: c.subject,
          commitDateUtc: c.authorDateUtc,
          reference: ref.kind === 'commit' ? ref.commit.sha : null,
        })
      }
    }
    if (options.dryRun) continue
    for (const [i, c] of ordered.entries()) {
      for (const cfg of runtime.configs) {
        if (!plannedByConfig.get(cfg.name)?.has(c.sha)) continue
        checkInterrupt(world)
        world.log(
          `[${i + 1}/${ordered.length}] ${runtime.name} ${cfg.name} ${c.sha.slice(0, 12)} ${quote(c.subject, 60)}`,
        )
        const history = histories.get(cfg.name) as MeasuredHistory
        const reference = referenceOf(commits, c.sha, history, referenceMode, `${branch} × ${cfg.name}`)
        const r = await buildAndMeasure(state, {
          runtime,
          cfg,
          branch,
          commit: c,
          mirror,
          suite,
          workloads,
          reference,
        })
        state.report.commits.push(r)
        if (r.measure === 'measured' || r.measure === 'build-failed' || r.measure === 'done-before') {
          history.measured.add(c.sha)
        }
        if (r.measure === 'build-failed' || r.build === 'failed' || r.build === 'unsupported') {
          history.failed.add(c.sha)
        }
      }
    }
    checkInterrupt(world)
    await detectNotifyBisect(state, runtime, branch, commits, measured)
  }
}

interface CommitJob {
  readonly runtime: RuntimeConfig
  readonly cfg: BuildConfigDefinition
  readonly branch: string
  readonly commit: CommitInfo
  readonly mirror: Mirror
  readonly suite: string
  readonly workloads: readonly WorkloadDefinition[]
  readonly reference: ReferenceChoice
}

function stepKey(kind: string, world: World, job: Pick<CommitJob, 'runtime' | 'cfg' | 'commit'>): string {
  return `${kind}:${world.machine}:${job.runtime.name}:${job.cfg.name}:${job.commit.sha}`
}

async function buildAndMeasure(state: State, job: CommitJob): Promise<CommitReport> {
  const { world, journal } = state
  const base: PlannedBuild = {
    runtime: job.runtime.name,
    branch: job.branch,
    config: job.cfg.name,
    sha: job.commit.sha,
    subject: job.commit.subject,
    commitDateUtc: job.commit.authorDateUtc,
    reference: job.reference.kind === 'commit' ? job.reference.commit.sha : null,
  }
  const measureKey = stepKey('measure', world, job)
  const before = await world.store.getPipelineStep(measureKey)
  if (before?.status === 'done') {
    return { ...pairOf(base, before.detail), build: 'skipped', measure: 'done-before' }
  }
  let artifact: Artifact | undefined
  const buildKey = stepKey('build', world, job)
  const built = await runStep(journal, 'build', buildKey, async () => {
    artifact = await buildCommit(world, job.runtime, job.cfg, job.mirror, job.commit.sha)
    const m = artifact.manifest
    return {
      status: m.status,
      artifact: m.key,
      cached: artifact.cached,
      log: m.logPath,
      duration_ms: m.buildDurationMs,
      ...(m.failure ? { failed_step: m.failure.step, reason: m.failure.reason } : {}),
    } satisfies JsonObject
  })
  if (built.state === 'done-before') {
    // Built by a nightly that stopped before measuring: the cache has it (or builds it again).
    artifact = await buildCommit(world, job.runtime, job.cfg, job.mirror, job.commit.sha)
  }
  if (artifact === undefined) {
    const message = built.state === 'failed' || built.state === 'gave-up' ? built.error : built.state
    state.report.errors.push({ step: buildKey, message })
    return { ...base, build: 'error', measure: 'failed', runIds: [], referenceRunIds: [], error: message }
  }
  const a = artifact
  // The claim records the reference chosen, so a later attempt can find this one's runs.
  const measured = await runStep(
    journal,
    'measure',
    measureKey,
    (previous) => measureStep(state, job, a, measureKey, previous),
    job.reference.kind === 'commit' ? { detail: { reference_commit: job.reference.commit.sha } } : {},
  )
  const build = a.manifest.status
  return reportOf(state, base, build, measureKey, measured)
}

function numbers(v: unknown): number[] {
  return Array.isArray(v) ? v.filter((x): x is number => typeof x === 'number') : []
}

/** The run ids and reference of a measure step's detail, over the planned build. */
function pairOf(
  base: PlannedBuild,
  detail: JsonObject,
): Pick<CommitReport, 'runIds' | 'referenceRunIds' | 'referenceSkipped'> & PlannedBuild {
  return {
    ...base,
    reference: typeof detail.reference === 'string' ? detail.reference : null,
    runIds: numbers(detail.runIds),
    referenceRunIds: numbers(detail.referenceRunIds),
    ...(typeof detail.referenceSkipped === 'string' ? { referenceSkipped: detail.referenceSkipped } : {}),
    ...(detail.besideItself === true ? { besideItself: true } : {}),
    ...(pairReportOf(detail.pair) ? { pair: pairReportOf(detail.pair) as PairReport } : {}),
  }
}

/** The adaptive pair's account in a measure step's detail, as reported. */
function pairReportOf(v: unknown): PairReport | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null
  const d = v as JsonObject
  return {
    rounds: Number(d.rounds ?? 1),
    budget: Number(d.budget ?? 1),
    addedProcesses: Number(d.addedProcesses ?? 0),
    undecided: Array.isArray(d.undecided)
      ? d.undecided.filter((x): x is string => typeof x === 'string')
      : [],
    budgetExhausted: d.budgetExhausted === true,
  }
}

function reportOf(
  state: State,
  base: PlannedBuild,
  build: CommitReport['build'],
  key: string,
  outcome: StepOutcome<JsonObject>,
): CommitReport {
  switch (outcome.state) {
    case 'done':
      return {
        ...pairOf(base, outcome.detail),
        build,
        measure: outcome.detail.status === 'build-failed' ? 'build-failed' : 'measured',
      }
    case 'done-before':
      return { ...pairOf(base, outcome.detail), build, measure: 'done-before' }
    case 'busy':
      return { ...base, build, measure: 'busy', runIds: [], referenceRunIds: [] }
    case 'failed':
    case 'gave-up':
      if (outcome.error === 'interrupted') throw new Interrupted('interrupted')
      state.report.errors.push({ step: key, message: outcome.error })
      return { ...base, build, measure: 'failed', runIds: [], referenceRunIds: [], error: outcome.error }
    default:
      return outcome satisfies never
  }
}

/** The runs an earlier attempt of step `key` stored for this build (a crash leaves them). */
async function runsOfStep(state: State, identity: string, key: string): Promise<RunRow[]> {
  const { world } = state
  const [build] = await world.store.findBuilds({ identity, limit: 1 })
  if (build === undefined) return []
  const page = await world.store.listRuns({ buildId: build.id, machine: world.machine, limit: 1000 })
  return page.rows.filter((r) => r.metadata.pipeline_step === key)
}

async function measureStep(
  state: State,
  job: CommitJob,
  artifact: Artifact,
  key: string,
  previous: PipelineStepRow | undefined,
): Promise<JsonObject> {
  const { world, options } = state
  const identity = buildIdentity(job.runtime.name, job.commit.sha, job.cfg.name)
  // A step that ran before and died: close its runs as interrupted, keep their complete results.
  // Its reference runs belong to the reference build, named in the step's claim.
  // Its own build's runs of purpose `reference` (measured beside itself) and `pair-round` are
  // closed too, but only its nightly runs say which workloads are done.
  const stepRuns = previous ? await runsOfStep(state, identity, key) : []
  const earlier = stepRuns.filter((r) => !pairOnly(r.metadata.purpose))
  const earlierReferences: RunRow[] = []
  const earlierRounds: RunRow[] = stepRuns.filter((r) => pairOnly(r.metadata.purpose))
  if (previous) {
    const shas = new Set<string>()
    if (typeof previous.detail.reference_commit === 'string') shas.add(previous.detail.reference_commit)
    if (job.reference.kind === 'commit') shas.add(job.reference.commit.sha)
    shas.delete(job.commit.sha)
    for (const sha of shas) {
      for (const r of await runsOfStep(state, buildIdentity(job.runtime.name, sha, job.cfg.name), key))
        (r.metadata.purpose === PAIR_ROUND_PURPOSE ? earlierRounds : earlierReferences).push(r)
    }
  }
  for (const r of [...earlier, ...earlierReferences, ...earlierRounds]) {
    if (r.status === 'running') await world.store.finishRun(r.id, 'interrupted', world.now().toISOString())
  }
  const metadata: JsonObject = { purpose: 'nightly', pipeline_step: key }
  if (artifact.manifest.status !== 'ok') {
    const stored = earlier.find(
      (r) => r.metadata.build_status !== undefined && r.metadata.build_status !== 'ok',
    )
    if (stored) return { status: 'build-failed', runIds: [stored.id], referenceRunIds: [] }
    const [previousBuild] = await world.store.findBuilds({
      runtime: job.runtime.name,
      config: job.cfg.name,
      limit: 1,
    })
    const spec = buildSpecOf(
      job.runtime,
      job.cfg.name,
      job.branch,
      job.commit,
      artifact,
      null,
      previousBuild?.version ?? 'unknown',
    )
    const runId = await storeFailedBuild(world, spec, artifact, job.suite, job.workloads, metadata)
    world.log(`  build ${artifact.manifest.status}: stored as a failed build (run ${runId})`)
    return { status: 'build-failed', runIds: [runId], referenceRunIds: [] }
  }
  const done = new Set<string>()
  for (const r of earlier) {
    for (const res of await world.store.getResults(r.id)) {
      if (res.outcome.state !== 'skipped') done.add(res.workload.name)
    }
  }
  const todo = job.workloads.filter((w) => !done.has(w.manifest.name))
  if (earlier.length > 0)
    world.log(`  resuming: ${done.size} workload(s) stored before, ${todo.length} to measure`)
  const earlierIds = earlier.map((r) => r.id)
  const earlierReferenceIds = earlierReferences.map((r) => r.id)
  const pairDetail = (reference: ReferencePrepared | null, skipped: string | null): JsonObject => ({
    reference: reference?.commit.sha ?? null,
    ...(skipped !== null ? { referenceSkipped: skipped } : {}),
  })
  if (todo.length === 0) {
    return {
      status: 'measured',
      runIds: earlierIds,
      referenceRunIds: earlierReferenceIds,
      resumed: true,
      reference:
        typeof previous?.detail.reference_commit === 'string' ? previous.detail.reference_commit : null,
    }
  }
  const interpreter = await interpreterOf(world, artifact)
  const spec = buildSpecOf(
    job.runtime,
    job.cfg.name,
    job.branch,
    job.commit,
    artifact,
    interpreter,
    interpreter.info.version,
  )
  const sampling = options.sampling ?? {}
  const preset = presetOf(sampling)
  const prepared = await prepareReference(state, job, preset.minTimeS)
  const reference = prepared.kind === 'pair' ? prepared : null
  const skipped = prepared.kind === 'alone' ? prepared.reason : null
  // Without a reference (the first build of a history), the build is measured twice, interleaved
  // with itself, unless pairs are off: its run then has the shape of every other night's (two
  // interpreters alternating, twice the wall time), not a run of its own under other conditions.
  const referenceMode = options.reference ?? world.config.nightly.reference
  const besideItself = reference === null && referenceMode !== 'none'
  if (reference) world.log(`  interleaved with ${reference.commit.sha.slice(0, 12)} (reference)`)
  else if (besideItself) world.log(`  measured twice, interleaved with itself (${skipped})`)
  else world.log(`  measured alone (${skipped})`)
  const resumes = (ids: readonly number[]): JsonObject => (ids.length > 0 ? { resumes_runs: [...ids] } : {})
  const paired = reference !== null || besideItself
  const outcome = await measureBuilds(world, {
    interpreters: reference
      ? [reference.interpreter, interpreter]
      : besideItself
        ? [interpreter, interpreter]
        : [interpreter],
    builds: reference ? [reference.spec, spec] : besideItself ? [spec, spec] : [spec],
    workloads: todo,
    preset,
    suite: job.suite,
    timeoutMs: sampling.timeoutMs ?? 600_000,
    metadata: {
      ...metadata,
      ...buildMetadata(artifact),
      ...(options.workloads ? { workloads_filter: [...options.workloads] } : {}),
    },
    // The reference's run says what it is and whose reference it was; the commit's run names
    // the reference run of its pair, which detection judges its step by (analysis/paired.ts).
    runMetadata: (index, group) => {
      if (reference === null && besideItself) {
        if (index === 0) {
          return {
            purpose: REFERENCE_PURPOSE,
            pair_group: group.groupId,
            reference_for: job.commit.sha,
            beside_itself: true,
          }
        }
        return {
          ...resumes(earlierIds),
          reference_skipped: skipped,
          beside_itself: true,
          pair_group: group.groupId,
        }
      }
      if (reference === null) return { ...resumes(earlierIds), reference_skipped: skipped }
      if (index === 0) {
        return {
          ...buildMetadata(reference.artifact),
          purpose: REFERENCE_PURPOSE,
          pair_group: group.groupId,
          reference_for: job.commit.sha,
          ...resumes(earlierReferenceIds),
        }
      }
      return {
        reference_run_id: group.runIds[0] ?? null,
        reference_commit: reference.commit.sha,
        pair_group: group.groupId,
        // The looks its pair may take: detection judges it at α / pair_budget (analysis/paired.ts).
        pair_budget: options.pairBudget ?? world.config.nightly.pairBudget,
        ...resumes(earlierIds),
      }
    },
    ...(reference?.frozenLoops ? { frozenLoops: reference.frozenLoops } : {}),
  })
  for (const f of outcome.failures) world.log(`  failed: ${f}`)
  if (outcome.status === 'interrupted') throw new Interrupted('interrupted')
  const own = paired ? outcome.runIds.slice(1) : outcome.runIds
  const theirs = reference ? outcome.runIds.slice(0, 1) : []
  const growth = reference
    ? await growReferencePair(state, job, {
        reference,
        interpreter,
        spec,
        workloads: todo,
        outcome,
        metadata: { ...metadata, ...buildMetadata(artifact) },
      })
    : null
  return {
    status: 'measured',
    runIds: [...earlierIds, ...own],
    referenceRunIds: [...earlierReferenceIds, ...theirs],
    ...pairDetail(reference, skipped),
    ...(besideItself ? { besideItself: true, selfReferenceRunIds: outcome.runIds.slice(0, 1) } : {}),
    ...(growth ? { pair: growth } : {}),
    failures: [...outcome.failures],
  }
}

/**
 * Grows the pair just measured (pair.ts): the workloads whose interval cannot yet tell a change of
 * the practical threshold from none are measured again on both builds, interleaved, doubling
 * their processes, within `[nightly] pair_budget` rounds. Each round stores one run per build of
 * purpose `pair-round` naming the run it extends; detection adds their processes to the pair.
 * Returns the step journal's account: rounds, processes, states, and where the budget ran out.
 */
async function growReferencePair(
  state: State,
  job: CommitJob,
  input: {
    readonly reference: ReferencePrepared
    readonly interpreter: Interpreter
    readonly spec: BuildSpec
    readonly workloads: readonly WorkloadDefinition[]
    readonly outcome: Awaited<ReturnType<typeof measureBuilds>>
    readonly metadata: JsonObject
  },
): Promise<JsonObject> {
  const { world, options } = state
  const sampling = options.sampling ?? {}
  const budget = options.pairBudget ?? world.config.nightly.pairBudget
  const threshold = options.pairThreshold ?? world.config.nightly.pairThreshold
  const { outcome, reference } = input
  const [referenceRunId, candidateRunId] = outcome.runIds
  // The first round's processes per build, as measured (the preset's, plain or JIT).
  const firstCounts = [...(outcome.means.get(1)?.values() ?? [])].map((xs) => xs.length)
  const startProcesses =
    firstCounts.length > 0 ? Math.max(2, ...firstCounts) : presetOf(sampling).plain.processes
  const roundRunIds: number[] = []
  const loops = { ...(reference.frozenLoops ?? {}), ...outcome.loops }
  const growth = await growPair(
    async (names, processes, round) => {
      const o = await measureBuilds(world, {
        interpreters: [reference.interpreter, input.interpreter],
        builds: [reference.spec, input.spec],
        workloads: pickWorkloads(input.workloads, names),
        preset: presetOf(sampling, processes),
        suite: job.suite,
        timeoutMs: sampling.timeoutMs ?? 600_000,
        metadata: input.metadata,
        runMetadata: (index, group) => ({
          ...(index === 0 ? buildMetadata(reference.artifact) : {}),
          purpose: PAIR_ROUND_PURPOSE,
          pair_round: round,
          pair_budget: budget,
          pair_group: group.groupId,
          extends_run_id: (index === 0 ? referenceRunId : candidateRunId) ?? null,
        }),
        frozenLoops: loops,
      })
      roundRunIds.push(...o.runIds)
      for (const f of o.failures) world.log(`  failed: ${f}`)
      if (o.status === 'interrupted') throw new Interrupted('interrupted')
      return { reference: o.means.get(0) ?? new Map(), candidate: o.means.get(1) ?? new Map() }
    },
    { reference: outcome.means.get(0) ?? new Map(), candidate: outcome.means.get(1) ?? new Map() },
    {
      budget,
      startProcesses,
      threshold,
      log: world.log,
      ...(world.signal ? { signal: world.signal } : {}),
    },
  )
  if (growth.interrupted) throw new Interrupted('interrupted')
  const decided = Object.entries(growth.states)
    .map(([w, s]) => `${w} ${s} (${growth.processes[w]} processes)`)
    .join(', ')
  world.log(
    `  pair: ${decided}${growth.budgetExhausted ? `; budget of ${budget} rounds ran out with ${growth.undecided.join(', ')} undecided` : ''}`,
  )
  return {
    rounds: growth.rounds,
    budget,
    threshold,
    states: { ...growth.states },
    processes: { ...growth.processes },
    undecided: [...growth.undecided],
    budgetExhausted: growth.budgetExhausted,
    addedProcesses: growth.addedProcesses,
    roundRunIds,
  }
}

/** A reference build ready to measure beside the new commit. */
interface ReferencePrepared {
  readonly kind: 'pair'
  readonly commit: CommitInfo
  readonly artifact: Artifact
  readonly interpreter: Interpreter
  readonly spec: BuildSpec
  /** Its loop counts from its newest stored run, for both builds of the pair. */
  readonly frozenLoops: Readonly<Record<string, number>> | undefined
}

/**
 * The reference build of `job`, from the build cache (rebuilt if it was evicted) and described,
 * or why the commit is measured alone. Nothing here fails the step: without its reference the
 * commit is still measured, as before pairs existed.
 */
async function prepareReference(
  state: State,
  job: CommitJob,
  minTimeS: number,
): Promise<ReferencePrepared | { readonly kind: 'alone'; readonly reason: string }> {
  const { world } = state
  if (job.reference.kind === 'none') return { kind: 'alone', reason: job.reference.reason }
  const commit = job.reference.commit
  const label = `reference ${commit.sha.slice(0, 12)}`
  try {
    const artifact = await buildCommit(world, job.runtime, job.cfg, job.mirror, commit.sha)
    if (artifact.manifest.status !== 'ok') {
      return { kind: 'alone', reason: `${label}: its build is ${artifact.manifest.status} now` }
    }
    const interpreter = await interpreterOf(world, artifact)
    const spec = buildSpecOf(
      job.runtime,
      job.cfg.name,
      job.branch,
      commit,
      artifact,
      interpreter,
      interpreter.info.version,
    )
    const frozenLoops = await storedLoops(state, spec.identity, minTimeS)
    return { kind: 'pair', commit, artifact, interpreter, spec, frozenLoops }
  } catch (error) {
    return { kind: 'alone', reason: `${label}: ${errorText(error)}` }
  }
}

/**
 * The loop count of each workload in the newest stored nightly runs of a build on this machine
 * measured with the same minimum value duration (newest first; a resumed measurement spreads a
 * build's workloads over several runs). Both builds of a pair run at these counts: the count moves
 * a workload's mean (METHODS.md: pyperf's recalibration jumps by 2× and moves the mean), so a pair
 * must share it, and reusing the reference's keeps its new observation comparable with its old
 * ones — loops frozen along the history, as the Faster CPython team does.
 */
async function storedLoops(
  state: State,
  identity: string,
  minTimeS: number,
): Promise<Readonly<Record<string, number>> | undefined> {
  const { world } = state
  const [build] = await world.store.findBuilds({ identity, limit: 1 })
  if (build === undefined) return undefined
  const page = await world.store.listRuns({ buildId: build.id, machine: world.machine, limit: 1000 })
  const runs = page.rows
    .filter(
      (r) =>
        r.status !== 'running' && r.metadata.purpose !== BISECT_PURPOSE && r.metadata.min_time_s === minTimeS,
    )
    .sort((a, b) => b.id - a.id)
    .slice(0, 10)
  const loops: Record<string, number> = {}
  for (const run of runs) {
    for (const r of await world.store.getResults(run.id)) {
      if (r.outcome.state === 'measured' && Number.isInteger(r.loops) && r.loops >= 1)
        loops[r.workload.name] ??= r.loops
    }
  }
  return Object.keys(loops).length > 0 ? loops : undefined
}

async function detectNotifyBisect(
  state: State,
  runtime: RuntimeConfig,
  branch: string,
  commits: readonly CommitInfo[],
  measured: ReadonlyMap<string, ReadonlySet<string>>,
): Promise<void> {
  const { world, journal, options } = state
  const newest = [...commits].reverse().find((c) => [...measured.values()].some((s) => s.has(c.sha)))
  if (newest === undefined) {
    state.report.detections.push({
      runtime: runtime.name,
      branch,
      state: 'skipped',
      newAlertIds: [],
      confirmedAlertIds: [],
      confirmedByPair: 0,
      dismissedByPair: 0,
      raisedByPair: 0,
    })
    return
  }
  // One detection per state of the history: keyed by the newest measured commit, so a nightly
  // that measured nothing new does not detect again, and one that crashed after measuring does.
  const key = `detect:${world.machine}:${runtime.name}:${branch}:${newest.sha}`
  const detected = await runStep(journal, 'detect', key, async () => {
    world.log(`${runtime.name} ${branch}: detecting changes`)
    const r = await detectAndRecord(world.store, {
      filter: { machine: world.machine, runtime: runtime.name, branch },
      now: world.now,
      pairThreshold: options.pairThreshold ?? world.config.nightly.pairThreshold,
      ...(options.detect ? { detect: options.detect } : {}),
    })
    const confirmed: number[] = []
    for (const id of r.updatedAlertIds) {
      const a = await world.store.getAlert(id)
      if (a?.status === 'confirmed' && a.changes.some((c) => r.confirmedChangeIds.includes(c.id)))
        confirmed.push(id)
    }
    const paired = r.pairedChanges
      ? `; ${r.pairedChanges} judged by their interleaved pair: ${r.confirmedByPair} confirmed at once, ${r.dismissedByPair.length} dismissed`
      : ''
    const raised = r.raisedByPair ? `; ${r.raisedByPair} raised by a decisive pair alone (provisional)` : ''
    world.log(
      `  ${r.seriesScanned} series: ${r.newAlerts.length} new alert(s)${confirmed.length ? `, ${confirmed.length} confirmed` : ''}, ${r.newChangeIds.length} new change(s)${paired}${raised}`,
    )
    for (const d of r.dismissedByPair) {
      world.log(
        `  dismissed ${d.series.workload} ${d.series.config} ${d.firstBadCommit?.slice(0, 12)}: history ${d.ratio.toFixed(3)}×, interleaved pair ${d.paired.ratio?.toFixed(3)}× [${d.paired.low?.toFixed(3)}, ${d.paired.high?.toFixed(3)}]`,
      )
    }
    return {
      newAlertIds: r.newAlerts.map((a) => a.id),
      confirmedAlertIds: confirmed,
      seriesScanned: r.seriesScanned,
      confirmedByPair: r.confirmedByPair,
      dismissedByPair: r.dismissedByPair.length,
      raisedByPair: r.raisedByPair,
    }
  })
  if (detected.state !== 'done' && detected.state !== 'done-before') {
    const error = detected.state === 'busy' ? 'busy' : detected.error
    state.report.errors.push({ step: key, message: error })
    state.report.detections.push({
      runtime: runtime.name,
      branch,
      state: 'failed',
      newAlertIds: [],
      confirmedAlertIds: [],
      confirmedByPair: 0,
      dismissedByPair: 0,
      raisedByPair: 0,
      error,
    })
    return
  }
  const newIds = numbers(detected.detail.newAlertIds)
  const confirmedIds = numbers(detected.detail.confirmedAlertIds)
  state.report.detections.push({
    runtime: runtime.name,
    branch,
    state: detected.state,
    newAlertIds: newIds,
    confirmedAlertIds: confirmedIds,
    confirmedByPair: Number(detected.detail.confirmedByPair ?? 0),
    dismissedByPair: Number(detected.detail.dismissedByPair ?? 0),
    raisedByPair: Number(detected.detail.raisedByPair ?? 0),
  })
  for (const id of newIds) await notify(state, runtime, id, 'new')
  for (const id of confirmedIds) await notify(state, runtime, id, 'confirmed')
  if (!(options.bisect ?? world.config.bisect.enabled)) return
  for (const id of [...newIds, ...confirmedIds.filter((x) => !newIds.includes(x))]) {
    checkInterrupt(world)
    await bisectOne(state, runtime, id)
  }
}

async function notify(
  state: State,
  runtime: RuntimeConfig,
  alertId: number,
  event: NotifyEvent,
): Promise<void> {
  const { world, journal, transports, options } = state
  if (transports.length === 0) return
  const alert = await world.store.getAlert(alertId)
  if (alert === undefined || alert.status === 'withdrawn') return
  const links = repositoryLinks(runtime.remote)
  const message = alertMessageFrom(alert, {
    portalUrl: options.portalUrl ?? world.env.LANGPERF_PORTAL_URL ?? DEFAULT_PORTAL_URL,
    commitUrl: links?.commitUrl ?? null,
    rangeUrl: links?.rangeUrl ?? null,
  })
  for (const t of transports) {
    const key = `notify:${alertId}:${t.name}:${event}`
    const sent = await runStep(journal, 'notify', key, async () => {
      const r = await t.send(message)
      if (r.state === 'failed') throw new Error(r.reason)
      return { delivered: r.detail, attempts: r.attempts, url: r.url }
    })
    if (event === 'new' && sent.state === 'done' && alert.status === 'confirmed') {
      // The first message already says "confirmed": the confirmation needs no second one.
      await runStep(journal, 'notify', `notify:${alertId}:${t.name}:confirmed`, async () => ({
        covered_by: key,
      }))
    }
    const detail =
      sent.state === 'done'
        ? String(sent.detail.delivered)
        : sent.state === 'failed' || sent.state === 'gave-up'
          ? sent.error
          : sent.state
    if (sent.state === 'failed') state.report.errors.push({ step: key, message: sent.error })
    world.log(
      `  alert ${alertId} → ${t.name} (${event}): ${sent.state === 'done' ? 'delivered' : sent.state}${detail ? `: ${detail}` : ''}`,
    )
    state.report.notifications.push({
      alertId,
      target: t.name,
      event,
      state: sent.state === 'done' ? 'delivered' : sent.state,
      detail,
    })
  }
}

/**
 * The processes per build the interleaved pair behind an alert needed to decide (the most over
 * its changes; 0 when no pair decided any). A midpoint must be told from the same two ends by the
 * same step, so the bisection starts at half of it: its second round reaches what the pair
 * needed, its third twice that. Fewer would leave it undecided on the machine where the pair
 * needed that many (a 15–20 % step on a shared machine took a pair about 90 processes).
 */
export function pairProcessesOf(alert: {
  readonly changes: readonly { readonly details: JsonObject }[]
}): number {
  let most = 0
  for (const c of alert.changes) {
    const paired = c.details.paired
    if (paired === null || typeof paired !== 'object' || Array.isArray(paired)) continue
    const processes = (paired as JsonObject).processes
    if (!Array.isArray(processes)) continue
    for (const n of processes) if (typeof n === 'number' && Number.isFinite(n)) most = Math.max(most, n)
  }
  return most
}

async function bisectOne(state: State, runtime: RuntimeConfig, alertId: number): Promise<void> {
  const { world, journal, options } = state
  const key = `bisect:${world.machine}:${alertId}`
  const previous = await world.store.getPipelineStep(key)
  if (
    previous?.status !== 'done' &&
    state.bisectionsStarted >= (options.maxBisections ?? DEFAULT_MAX_BISECTIONS)
  ) {
    state.report.bisections.push({
      alertId,
      state: 'capped',
      culprit: null,
      note: 'left for a later nightly (cap reached)',
    })
    return
  }
  if (previous?.status !== 'done') state.bisectionsStarted++
  const alert = await world.store.getAlert(alertId)
  if (alert === undefined) return
  const start = Math.max(
    options.bisectStartProcesses ?? BISECT_DEFAULTS.startProcesses,
    Math.ceil(pairProcessesOf(alert) / 2),
  )
  const bisectOptions: RunBisectOptions = {
    maxBuilds: world.config.bisect.maxBuilds,
    maxRounds: world.config.bisect.repeats,
    startProcesses: start,
    ...(options.sampling ? { sampling: options.sampling } : {}),
    log: world.log,
  }
  const ran = await runStep(journal, 'bisect', key, async () => {
    const needed = pairProcessesOf(alert)
    world.log(
      `${runtime.name}: bisecting alert ${alertId} (${alert.lastGoodCommit.slice(0, 12)}..${alert.firstBadCommit.slice(0, 12)}), ${start} processes per build in the first round${needed > 0 ? ` (its interleaved pair needed ${needed})` : ''}`,
    )
    const r = await bisectAlert(world, alert, bisectOptions)
    switch (r.kind) {
      case 'skipped':
        return { state: 'skipped', culprit: null, note: r.reason }
      case 'single-commit':
        return { state: 'single-commit', culprit: r.culprit, note: r.note }
      case 'bisected': {
        const o = r.outcome
        if (o.kind === 'inconclusive' && o.reason === 'interrupted') throw new Interrupted('interrupted')
        return {
          state: o.kind,
          culprit: o.kind === 'culprit' ? o.culprit.sha : null,
          note: o.note,
          builds: o.builds,
          runIds: [...r.runIds],
        }
      }
      default:
        return r satisfies never
    }
  })
  if (ran.state === 'failed' && ran.error === 'interrupted') throw new Interrupted('interrupted')
  if (ran.state === 'done' || ran.state === 'done-before') {
    const d = ran.detail
    const culprit = typeof d.culprit === 'string' ? d.culprit : null
    state.report.bisections.push({
      alertId,
      state: ran.state === 'done-before' ? 'done-before' : (d.state as BisectionReport['state']),
      culprit,
      note: String(d.note ?? ''),
    })
    if (culprit !== null) await notify(state, runtime, alertId, 'culprit')
    return
  }
  const error = ran.state === 'busy' ? 'busy' : ran.error
  state.report.errors.push({ step: key, message: error })
  state.report.bisections.push({ alertId, state: 'failed', culprit: null, note: error })
}
