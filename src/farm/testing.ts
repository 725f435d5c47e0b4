import pg from 'pg'
import type { NewFarmJob } from '../api/index.ts'

// Test support shared by the farm's, the server's and the agent's tests: fresh PostgreSQL schemas
// (dropped at the end) and example jobs.

/** The PostgreSQL URL of the tests, or undefined (tests then skip, saying so). */
export const TEST_PG_URL: string | undefined = process.env.LANGPERF_TEST_PG_URL || undefined

/** Why farm tests skip without PostgreSQL. */
export const NO_PG_REASON = 'no PostgreSQL: set LANGPERF_TEST_PG_URL (.ci/run does)'

/** Hands out fresh schema names and drops them all with `dropAll()`. */
export function schemaPool(prefix: string): { next(): string; dropAll(url: string): Promise<void> } {
  const names: string[] = []
  return {
    next() {
      const name = `${prefix}_${process.pid}_${names.length + 1}`
      names.push(name)
      return name
    },
    async dropAll(url: string) {
      const client = new pg.Client({ connectionString: url })
      await client.connect()
      try {
        for (const s of names) await client.query(`drop schema if exists "${s}" cascade`)
      } finally {
        await client.end()
      }
    },
  }
}

/** A measure job for `machine` at `commit` (fast, one workload, the python3 on PATH). */
export function exampleFarmJob(
  machine: string,
  commit = 'v3.11',
  overrides: Partial<NewFarmJob['measure']> = {},
): NewFarmJob {
  return {
    key: { runtime: 'cpython', commit, config: 'default', machine, suite: 'default', purpose: 'measure' },
    measure: { python: 'python3', workloads: ['nbody'], preset: 'fast', timeoutS: 600, ...overrides },
  }
}
