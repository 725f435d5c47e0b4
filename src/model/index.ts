/** langperf's domain vocabulary: pure types and small pure helpers. */
export * from './build.ts'
export * from './config.ts'
export * from './interpreter.ts'
export * from './lineage.ts'
export * from './machine.ts'
export * from './result.ts'
export * from './run.ts'
export * from './workload.ts'
