import { after, test } from 'node:test'
import pg from 'pg'
import { storeContract } from '../contract.ts'
import { openPostgresStore } from './index.ts'

// The same contract as SQLite, against the real server named by LANGPERF_TEST_PG_URL
// (e.g. postgres://langperf:langperf@127.0.0.1:5432/langperf_test). Every test gets a fresh
// schema, dropped at the end; nothing else in the database is touched.
const url = process.env.LANGPERF_TEST_PG_URL

if (url === undefined || url === '') {
  test('Store contract: PostgreSQL', { skip: 'no PostgreSQL: set LANGPERF_TEST_PG_URL' })
} else {
  const schemas: string[] = []
  after(async () => {
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    try {
      for (const s of schemas) await client.query(`drop schema if exists ${s} cascade`)
    } finally {
      await client.end()
    }
  })
  storeContract('PostgreSQL', () => {
    const schema = `langperf_test_${process.pid}_${schemas.length + 1}`
    schemas.push(schema)
    return openPostgresStore(url, { schema, maxConnections: 4 })
  })
}
