/** Warm-up of JIT runtimes over in-process iterations (Barrett et al. 2017): pure, seeded, documented in docs/stats.md ("Warm-up"). */
export {
  type ClassifyOptions,
  classifyProcess,
  EQUIVALENCE_FLOOR,
  equivalent,
  type ProcessWarmup,
  type Segment,
  STEADY_SHARE,
  type SteadyState,
} from './classify.ts'
export {
  MIN_OUTLIER_WINDOW,
  markOutliers,
  OUTLIER_MULTIPLIER,
  type OutlierOptions,
  outlierWindow,
} from './outliers.ts'
export {
  DEFAULT_MIN_SEGMENT,
  MeanVarCost,
  type PeltOptions,
  peltMeanVar,
  segmentationCost,
  WARMUP_PENALTY_PER_LOG_N,
  warmupPenalty,
} from './pelt.ts'
export {
  type ClassCounts,
  type NoSteadyState,
  summarizeWarmup,
  type WarmupSummaryOptions,
  type WorkloadSteady,
  type WorkloadWarmup,
  workloadClass,
} from './summary.ts'
