/**
 * The nightly pipeline and bisection (docs/nightly.md): `runNightly` builds and measures the new
 * commits of every tracked branch, detects changes, notifies and bisects, resuming after a crash
 * and holding a lock; `runFarmNightly` plans the same per machine of a farm and enqueues build
 * jobs for its agents (docs/farm.md); `bisect` narrows a range to the commit that changed performance.
 */
export {
  BISECT_DEFAULTS,
  type BisectCommit,
  type BisectOptions,
  type BisectOutcome,
  type BisectProbe,
  type BisectRequest,
  type BisectStep,
  bisectWith,
} from './bisect.ts'
export {
  type AlertBisectPlan,
  type AlertBisectResult,
  alertMeasure,
  bisect,
  bisectAlert,
  type ManualBisectRequest,
  type ManualBisectResult,
  planAlertBisect,
  type RunBisectOptions,
} from './bisect-run.ts'
export {
  type CulpritPair,
  type CulpritProfileOptions,
  type CulpritProfileResult,
  movedWorkloads,
  profileCulprit,
} from './culprit-profile.ts'
export {
  type FarmJobReport,
  type FarmNightlyDeps,
  type FarmNightlyOptions,
  type FarmNightlyReport,
  type FarmScheduler,
  runFarmNightly,
} from './farm-nightly.ts'
export {
  acquireLock,
  type HeldLock,
  type LockOptions,
  type LockOwner,
  NIGHTLY_LOCKED_EXIT_STATUS,
  NightlyLockedError,
} from './lock.ts'
export { runNightly } from './nightly.ts'
export type { NightlyDeps, NightlyOptions } from './nightly-context.ts'
export type {
  BisectionReport,
  CommitReport,
  DetectionReport,
  NightlyReport,
  NotificationReport,
  NotifyEvent,
  PairReport,
  PlannedBuild,
  ProfileReport,
} from './nightly-report.ts'
export { type BuildProbe, type BuildProbeOptions, createBuildProbe } from './probe.ts'
export { DEFAULT_MAX_NEW_COMMITS, everyKth, type PlanCommitsOptions, planCommits } from './select.ts'
export * from './verdict.ts'
export {
  defaultLockPath,
  type PipelineDeps,
  type ProfilerInstall,
  type SamplingOptions,
  type World,
  worldOf,
} from './world.ts'
