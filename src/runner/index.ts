/** Runs interpreters under test with the harness: discovery, environment, workloads, measurement. */
export * from './discovery.ts'
export * from './environment.ts'
export * from './presets.ts'
export * from './process.ts'
export * from './protocol.ts'
export * from './pyspy.ts'
export * from './suite.ts'
export * from './workloads.ts'
