import { test } from 'node:test'

// The PostgreSQL store will run the same contract as SQLite (../contract.ts) against a real
// server named by LANGPERF_TEST_PG_URL, each test in a fresh schema. Until it exists, say why
// nothing runs here rather than passing silently.
const url = process.env.LANGPERF_TEST_PG_URL

test('Store contract: PostgreSQL', {
  skip:
    url === undefined || url === ''
      ? 'no PostgreSQL: set LANGPERF_TEST_PG_URL'
      : 'the PostgreSQL store is not implemented yet',
})
