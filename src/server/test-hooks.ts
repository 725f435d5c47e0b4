import { setTimeout as sleep } from 'node:timers/promises'

// A seam for the farm's crash test (src/cli/farm-crash.e2e.test.ts), off unless its environment
// variable is set: LANGPERF_TEST_STORE_DELAY_MS=N makes the server wait N ms before it stores an
// uploaded result (an upload or a job's completion) and N ms after storing it, before answering,
// and say on stderr when the result is stored. A test that kills the server then knows that one
// result is stored and not yet acknowledged, and others are received and not yet stored. No
// product path reads it; docs/farm.md names it.

/** The variable that turns the seam on. */
export const STORE_DELAY_ENV = 'LANGPERF_TEST_STORE_DELAY_MS'

/** How long to wait around a store, from the environment; 0 (off) when unset or not a number. */
function delayMs(env: NodeJS.ProcessEnv): number {
  const raw = env[STORE_DELAY_ENV]
  if (raw === undefined || !/^\d+$/.test(raw)) return 0
  return Math.min(Number(raw), 60_000)
}

/**
 * Runs `store` (which stores a result once and answers its run id) between the seam's two waits
 * when it is on; else just runs it. `what` names the result in the stderr line.
 */
export async function aroundStore<R extends { readonly runId: number; readonly stored: boolean }>(
  what: string,
  store: () => Promise<R>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<R> {
  const ms = delayMs(env)
  if (ms === 0) return store()
  await sleep(ms)
  const result = await store()
  process.stderr.write(
    `langperf test hook: ${what} ${result.stored ? 'stored' : 'found stored'} as run ${result.runId}; answering in ${ms} ms\n`,
  )
  await sleep(ms)
  return result
}
