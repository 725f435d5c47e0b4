/**
 * langperf's statistics: pure and seeded (no clock, no Math.random, no I/O; randomness comes
 * in as an Rng). Functions returning one number answer NaN for unusable data; those returning
 * an interval or a test answer `{ kind: 'insufficient', reason }`. The maths: docs/stats.md;
 * change-point detection (./changepoint/) in docs/stats.md ("Change-point detection"); warm-up
 * classification (./warmup/) in docs/stats.md ("Warm-up").
 */
export * from './allocation.ts'
export * from './bootstrap.ts'
export * from './changepoint/index.ts'
export * from './compare.ts'
export * from './descriptive.ts'
export * from './distributions.ts'
export * from './geomean.ts'
export * from './mannwhitney.ts'
export * from './ratio.ts'
export * from './result.ts'
export * from './summary.ts'
export * from './ttest.ts'
export * from './warmup/index.ts'
