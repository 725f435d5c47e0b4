import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { z } from 'zod'
import {
  buildOpenApiDocument,
  documentToRun,
  exampleRunDocument,
  fillPath,
  formatIssues,
  type LangperfRunDocumentInput,
  LangperfRunDocumentSchema,
  queryString,
  ROUTE_NAMES,
  ROUTES,
} from './index.ts'

/** A small valid langperf-run document: the minimum a CI script sends. */
function exampleDocument(overrides: Partial<LangperfRunDocumentInput> = {}): LangperfRunDocumentInput {
  return {
    format: 'langperf-run',
    version: 1,
    run: {
      machine: 'bench-1',
      build: { runtime: 'cpython', version: '3.14.0a1+', commitSha: 'abc123' },
      startedAt: '2024-10-01T10:00:00Z',
    },
    results: [
      {
        workload: { name: 'nbody', version: 'v1' },
        processes: [{ values: [0.1, 0.11] }, { values: [0.12], warmups: [[1, 0.2]] }],
      },
    ],
    ...overrides,
  }
}

describe('formatIssues()', () => {
  test('spells out the first problem with its place, what was expected and what was found, and counts the rest', () => {
    const schema = z.object({ limit: z.number().max(1000), name: z.string() })
    const parsed = schema.safeParse({ limit: 5000, name: 3 }, { reportInput: true })
    assert.equal(parsed.success, false)
    assert.equal(
      formatIssues(parsed.error?.issues ?? [], { action: 'list runs', location: 'query' }),
      'Cannot list runs: expected query parameter "limit" to be at most 1000, found 5000 (and 1 more problem)',
    )
  })

  test('names nested body paths with indexes and quotes strings it found', () => {
    const parsed = LangperfRunDocumentSchema.safeParse(
      exampleDocument({
        results: [
          {
            workload: { name: 'nbody', version: 'v1' },
            processes: [{ values: [0.1, 'fast' as unknown as number] }],
          },
        ],
      }),
      { reportInput: true },
    )
    assert.equal(parsed.success, false)
    assert.equal(
      formatIssues(parsed.error?.issues ?? [], { action: 'ingest run', location: 'body' }),
      'Cannot ingest run: expected "results[0].processes[0].values[1]" to be a number, found "fast"',
    )
  })

  test('says which keys are unknown and which discriminator values exist', () => {
    const unknownKey = LangperfRunDocumentSchema.safeParse(
      { ...exampleDocument(), finishedat: null },
      { reportInput: true },
    )
    assert.match(
      formatIssues(unknownKey.error?.issues ?? [], { action: 'ingest run', location: 'body' }),
      /expected the body to have no other keys, found "finishedat"/,
    )
    const badOutcome = LangperfRunDocumentSchema.safeParse(
      exampleDocument({
        results: [
          {
            workload: { name: 'nbody', version: 'v1' },
            processes: [],
            outcome: { state: 'exploded' } as never,
          },
        ],
      }),
      { reportInput: true },
    )
    assert.match(
      formatIssues(badOutcome.error?.issues ?? [], { action: 'ingest run', location: 'body' }),
      /expected "results\[0\]\.outcome\.state" to be one of "measured", "failed", "skipped", found "exploded"/,
    )
  })
})

describe('the langperf-run format', () => {
  test('a minimal document gets its defaults and becomes a RunWithResults with a derived build identity', () => {
    const run = documentToRun(LangperfRunDocumentSchema.parse(exampleDocument()))
    assert.equal(run.status, 'complete')
    assert.equal(run.finishedAt, null)
    assert.equal(run.run.source, 'api')
    assert.equal(run.run.environment, null)
    assert.deepEqual(run.run.build, {
      runtime: 'cpython',
      version: '3.14.0a1+',
      config: 'default',
      commitSha: 'abc123',
      commitDateUtc: null,
      branch: null,
      mergeBase: null,
      identity: 'cpython:abc123:default',
      interpreter: null,
      metadata: {},
    })
    const [result] = run.results
    assert.deepEqual(result?.outcome, { state: 'measured' })
    assert.equal(result?.unit, 'second')
    assert.deepEqual(result?.processes[0], { warmups: [], values: [0.1, 0.11], metadata: {} })
  })

  test('another format name or version is refused, naming what is read', () => {
    const v2 = LangperfRunDocumentSchema.safeParse(
      { ...exampleDocument(), version: 2 },
      { reportInput: true },
    )
    assert.equal(
      formatIssues(v2.error?.issues ?? [], { action: 'ingest run', location: 'body' }),
      'Cannot ingest run: expected "version" to be 1, found 2',
    )
    assert.equal(
      LangperfRunDocumentSchema.safeParse({ ...exampleDocument(), format: 'pyperf' }).success,
      false,
    )
  })

  test('names with control characters are refused (they could rewrite a terminal line)', () => {
    const doc = exampleDocument({ run: { ...exampleDocument().run, machine: 'bench\u001b[2J' } })
    const parsed = LangperfRunDocumentSchema.safeParse(doc, { reportInput: true })
    assert.match(
      formatIssues(parsed.error?.issues ?? [], { action: 'ingest run', location: 'body' }),
      /expected "run\.machine" to be a non-empty name without control characters/,
    )
  })

  test('timestamps must be UTC and values finite and not negative', () => {
    const local = LangperfRunDocumentSchema.safeParse(
      exampleDocument({ run: { ...exampleDocument().run, startedAt: '2024-10-01T12:00:00+02:00' } }),
      { reportInput: true },
    )
    assert.match(
      formatIssues(local.error?.issues ?? [], { action: 'ingest run', location: 'body' }),
      /expected "run\.startedAt" to be an ISO 8601 UTC time like "2024-05-01T12:00:00Z", found "2024-10-01T12:00:00\+02:00"/,
    )
    const negative = LangperfRunDocumentSchema.safeParse(
      exampleDocument({
        results: [{ workload: { name: 'nbody', version: 'v1' }, processes: [{ values: [-1] }] }],
      }),
    )
    assert.equal(negative.success, false)
  })
})

describe('the OpenAPI document', () => {
  const doc = buildOpenApiDocument() as {
    openapi: string
    paths: Record<string, Record<string, { operationId: string; security?: unknown }>>
    components: { schemas: Record<string, unknown> }
  }

  test('is OpenAPI 3.1 JSON with one operation per route', () => {
    assert.equal(doc.openapi, '3.1.0')
    const operations = Object.values(doc.paths).flatMap((p) => Object.values(p).map((o) => o.operationId))
    assert.deepEqual(operations.sort(), [...ROUTE_NAMES].sort())
    assert.doesNotThrow(() => JSON.parse(JSON.stringify(doc)))
  })

  test('asks for a bearer token exactly on the routes that need one', () => {
    for (const name of ROUTE_NAMES) {
      const def = ROUTES[name]
      const path = def.path.replace(/:(\w+)/g, '{$1}')
      const op = doc.paths[path]?.[def.method.toLowerCase()]
      assert.ok(op, `${name} is documented`)
      assert.equal(op.security !== undefined, def.auth !== 'public', name)
    }
  })

  test('every $ref points to a schema or response it defines', () => {
    const text = JSON.stringify(doc)
    for (const m of text.matchAll(/"\$ref":"#\/components\/(schemas|responses)\/([^"]+)"/g)) {
      const section = (doc.components as Record<string, Record<string, unknown>>)[m[1] ?? '']
      assert.ok(section?.[m[2] ?? ''] !== undefined, `${m[0]} resolves`)
    }
    assert.ok(doc.components.schemas.LangperfRunDocument, 'the ingest format is a named schema')
  })
})

describe('exampleRunDocument()', () => {
  test('is a valid document', () => {
    assert.equal(LangperfRunDocumentSchema.safeParse(exampleRunDocument()).success, true)
  })
})

describe('client helpers', () => {
  test('fillPath() encodes each parameter and refuses a missing one', () => {
    assert.equal(fillPath('/api/v1/machines/:name', { name: 'a b/c' }), '/api/v1/machines/a%20b%2Fc')
    assert.throws(() => fillPath('/api/v1/runs/:id', {}), /Missing path parameter "id"/)
  })

  test('queryString() repeats arrays, skips undefined and writes booleans', () => {
    assert.equal(
      queryString({ tag: ['a', 'b'], x: undefined, raw: true, limit: 5 }),
      '?tag=a&tag=b&raw=true&limit=5',
    )
    assert.equal(queryString({}), '')
  })
})
