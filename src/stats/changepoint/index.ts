/** Change-point detection over per-commit benchmark series: pure, deterministic, documented in docs/stats.md ("Change-point detection"). */
export { stepBetween } from './between.ts'
export { detectChanges } from './detect.ts'
export { bestSplit, type EnergyTable, energyQ, energyTable } from './energy.ts'
export {
  assignEpochs,
  DEFAULT_EPOCH_FIELDS,
  type EpochMetadata,
  epochKey,
  orderFromCommitDate,
} from './epochs.ts'
export {
  type BuildNoise,
  buildToBuildNoise,
  type SuccessiveNoise,
  successiveRunNoise,
} from './noise.ts'
export { type PreparedSeries, prepareSeries } from './prepare.ts'
export { FOLLOW_UP_OUTCOMES, type FollowUp, type FollowUpOutcome, followUpProvisional } from './track.ts'
export * from './types.ts'
