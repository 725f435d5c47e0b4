/** Use cases over stored data: measure, ingest, compare, export. */
export * from './compare.ts'
export * from './detect.ts'
export * from './epochs.ts'
export * from './ingest.ts'
export * from './measure.ts'
export * from './paired.ts'
export * from './pyperf.ts'
export * from './select.ts'
