/** Generic helpers with no knowledge of langperf's domain. */
export * from './errors.ts'
export * from './folded-frames.ts'
export * from './format.ts'
export * from './hash.ts'
export * from './json.ts'
export * from './memo.ts'
export * from './rng.ts'
