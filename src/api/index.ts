/**
 * The HTTP contract of langperf: zod schemas of every request and response, the routes as data,
 * the langperf ingest format, a typed client and the OpenAPI document generated from them.
 * Browser-safe: the dashboard (web/) imports it too.
 */
export * from './client.ts'
export * from './elsewhere-schemas.ts'
export * from './errors.ts'
export * from './farm.ts'
export * from './fixtures.ts'
export * from './ingest.ts'
export * from './openapi.ts'
export * from './profile-schemas.ts'
export * from './routes.ts'
export * from './schemas.ts'
export * from './warmup-schemas.ts'
