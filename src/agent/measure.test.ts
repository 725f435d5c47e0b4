import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import type { ClaimedJob } from '../api/index.ts'
import { parseConfig } from '../config/index.ts'
import { loadWorkloadCatalog, testWorkload } from '../runner/index.ts'
import { jobWorkloads } from './measure.ts'

// A farm job names a suite (or workloads); the agent finds them in its catalog: the built-in
// workloads and the suites its langperf.toml defines.

const scratch = await mkdtemp(join(tmpdir(), 'langperf-agent-catalog-'))
after(() => rm(scratch, { recursive: true, force: true }))

const job = (suite: string, workloads: readonly string[] = []) =>
  ({ id: 'j1', key: { suite }, measure: { workloads } }) as unknown as ClaimedJob

test("a job of a suite the agent's configuration defines gets that suite's workloads", async () => {
  // A folder of one workload, its manifest on disk as the catalog reads it.
  const def = testWorkload(
    join(scratch, 'shop'),
    'checkout',
    'def make(params):\n    return lambda: sum(range(10))\n',
  )
  await writeFile(join(def.dir, 'manifest.json'), JSON.stringify({ ...def.manifest, tags: ['micro'] }))
  const config = parseConfig(
    `[[suites.define]]\nname = "shop"\npath = "${join(scratch, 'shop')}"\n`,
    join(scratch, 'langperf.toml'),
  )
  const catalog = await loadWorkloadCatalog(config)
  assert.deepEqual(
    (await jobWorkloads(job('shop'), catalog)).map((w) => w.manifest.name),
    ['checkout'],
  )
  assert.deepEqual(
    (await jobWorkloads(job('default', ['checkout', 'nbody']), catalog)).map((w) => w.manifest.name),
    ['checkout', 'nbody'],
  )
  // An agent without that configuration knows only the built-in suites, and says so.
  await assert.rejects(() => jobWorkloads(job('shop')), /shop/)
  await assert.rejects(
    () => jobWorkloads(job('default', ['checkout'])),
    /this agent has no workload "checkout"/,
  )
})
