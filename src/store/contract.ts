import { describe, test } from 'node:test'
import { alertsContract } from './contract-alerts.ts'
import { buildsContract } from './contract-builds.ts'
import { farmContract } from './contract-farm.ts'
import { type OpenStore, rejectsWith } from './contract-helpers.ts'
import { machinesContract } from './contract-machines.ts'
import { pipelineContract } from './contract-pipeline.ts'
import { profilesContract } from './contract-profiles.ts'
import { runMoveContract } from './contract-run-move.ts'
import { runsContract } from './contract-runs.ts'
import { seriesContract } from './contract-series.ts'
import { tokensContract } from './contract-tokens.ts'
import { validationContract } from './contract-validation.ts'
import { exampleRunSpec } from './fixtures.ts'

// The definition of a correct Store: every implementation registers these tests with its own
// `open`, which must return a new, empty, migrated store each time (a fresh SQLite file, a fresh
// PostgreSQL schema). Tests use only the Store interface, never SQL, so they hold for any engine.
// Each part lives in its own file, one per role interface (roles.ts); this registers them all.

/** Registers every contract test of the Store interface, each part under `Store contract: <name>: <part>`. */
export function storeContract(name: string, open: OpenStore): void {
  alertsContract(name, open)
  pipelineContract(name, open)
  profilesContract(name, open)
  runsContract(name, open)
  runMoveContract(name, open)
  validationContract(name, open)
  buildsContract(name, open)
  machinesContract(name, open)
  seriesContract(name, open)
  tokensContract(name, open)
  farmContract(name, open)
  lifecycleContract(name, open)
}

/** Registers the lifecycle part: a closed store refuses every further call. */
function lifecycleContract(name: string, open: OpenStore): void {
  describe(`Store contract: ${name}`, () => {
    describe('lifecycle', () => {
      test('a closed store refuses further use with unavailable', async () => {
        const store = await open()
        await store.close()
        await store.close()
        await rejectsWith(store.listRuns(), 'unavailable', /closed/)
        await rejectsWith(store.beginRun(exampleRunSpec()), 'unavailable', /closed/)
      })
    })
  })
}
