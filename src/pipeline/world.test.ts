import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { parseConfig } from '../config/index.ts'
import { WORKLOADS_DIR } from '../runner/index.ts'
import { configuredWorkloads, workloadsOf } from './world.ts'

const scratch = await mkdtemp(join(tmpdir(), 'langperf-world-'))
after(() => rm(scratch, { recursive: true, force: true }))

test("the nightly's workloads include a suite langperf.toml defines, after the built-in one it lists first", async () => {
  // The built-in folder serves as "one's own" folder here: a defined suite of two of its workloads.
  const config = parseConfig(
    [
      '[[runtimes]]',
      'name = "cpython"',
      'family = "cpython"',
      'remote = "https://example.org/cpython.git"',
      'branches = ["main"]',
      '[suites]',
      'default = ["startup", "mine"]',
      '[[suites.define]]',
      'name = "mine"',
      `path = ${JSON.stringify(WORKLOADS_DIR)}`,
      'workloads = ["sieve", "startup"]',
    ].join('\n'),
    join(scratch, 'langperf.toml'),
  )
  const runtime = config.runtimes[0]
  assert.ok(runtime)
  const { suite, workloads } = await workloadsOf(config, runtime, undefined)
  assert.equal(suite, 'startup+mine')
  assert.deepEqual(
    workloads.map((w) => w.manifest.name),
    ['startup', 'startup_site', 'sieve'],
  )
  assert.ok((await configuredWorkloads(config)).some((w) => w.manifest.name === 'sieve'))
})
