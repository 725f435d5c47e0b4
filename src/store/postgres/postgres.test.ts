import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import pg from 'pg'
import { LangperfError } from '../../lib/index.ts'
import { storeContract } from '../contract.ts'
import { exampleRunSpec, exampleRunWithResults } from '../fixtures.ts'
import { openStore } from '../open.ts'
import { openPostgresStore } from './index.ts'

// The same contract as SQLite, against the real server named by LANGPERF_TEST_PG_URL
// (e.g. postgres://langperf:langperf@127.0.0.1:5432/langperf_test). Every test gets a fresh
// schema, dropped at the end; nothing else in the database is touched.
const url = process.env.LANGPERF_TEST_PG_URL

if (url === undefined || url === '') {
  test('Store contract: PostgreSQL', { skip: 'no PostgreSQL: set LANGPERF_TEST_PG_URL' })
} else {
  const schemas: string[] = []
  /** A new schema name, dropped after the tests. */
  const newSchema = () => {
    const schema = `langperf_test_${process.pid}_${schemas.length + 1}`
    schemas.push(schema)
    return schema
  }
  after(async () => {
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    try {
      for (const s of schemas) await client.query(`drop schema if exists ${s} cascade`)
    } finally {
      await client.end()
    }
  })

  storeContract('PostgreSQL', () => openPostgresStore(url, { schema: newSchema(), maxConnections: 4 }))

  describe('openPostgresStore()', () => {
    test('openStore() opens PostgreSQL for a postgres:// URL', async () => {
      // A page cache size is SQLite's: PostgreSQL ignores it and primes nothing, saying why.
      const store = await openStore(url, { schema: newSchema(), cacheMb: 64 })
      try {
        assert.equal(store.dialect, 'postgres')
        assert.deepEqual(await store.primeReads(), {
          primed: false,
          note: 'not primed: PostgreSQL keeps its own buffers (shared_buffers)',
        })
      } finally {
        await store.close()
      }
    })

    test('concurrent writers of the same machine and build race safely into one row each', async () => {
      const schema = newSchema()
      const a = await openPostgresStore(url, { schema, maxConnections: 4 })
      const b = await openPostgresStore(url, { schema, maxConnections: 4 })
      try {
        const ids = await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            (i % 2 === 0 ? a : b).insertRuns([
              exampleRunWithResults({ startedAt: `2024-10-0${i + 1}T00:00:00Z` }),
            ]),
          ),
        )
        assert.equal(new Set(ids.flat()).size, 8)
        assert.equal((await a.listRuns()).total, 8)
        assert.equal((await a.listMachines()).length, 1)
        assert.equal((await a.findBuilds()).length, 1)
        assert.equal((await a.listWorkloads()).length, 3)
        assert.equal((await a.getMachine('bench-1'))?.fingerprints.length, 1)
      } finally {
        await Promise.all([a.close(), b.close()])
      }
    })

    test('a read-only store reads, refuses writes, and refuses a schema with pending migrations', async () => {
      const schema = newSchema()
      const writer = await openPostgresStore(url, { schema })
      await writer.insertRuns([exampleRunWithResults()])
      await writer.close()
      const reader = await openPostgresStore(url, { schema, readonly: true })
      try {
        assert.equal((await reader.listRuns()).total, 1)
        await assert.rejects(reader.beginRun(exampleRunSpec()), isCode('unavailable', /read-only/))
      } finally {
        await reader.close()
      }
      await assert.rejects(
        openPostgresStore(url, { schema: newSchema(), readonly: true }),
        isCode('unavailable', /0001_initial.*pending/),
      )
      await assert.rejects(openPostgresStore(url, { schema: 'Bad-Name' }), isCode('bad-input', /Bad-Name/))
    })
  })
}

/** An assert.rejects validator for a LangperfError with `code` and a message matching `re`. */
function isCode(code: LangperfError['code'], re: RegExp): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof LangperfError, `expected a LangperfError, got ${String(error)}`)
    assert.equal(error.code, code, error.message)
    assert.match(error.message, re)
    return true
  }
}
