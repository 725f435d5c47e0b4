import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { parseConfig } from '../config/index.ts'
import { LangperfError } from '../lib/index.ts'
import { loadWorkloadCatalog } from './defined-suites.ts'
import { loadWorkloadSets } from './workloads.ts'

// The suites langperf.toml defines ([[suites.define]]): folders of one's own workloads under a
// suite name, checked against the disk with the configuration's own messages.

const scratch = await mkdtemp(join(tmpdir(), 'langperf-defined-suites-'))
after(() => rm(scratch, { recursive: true, force: true }))

/** Writes workload `name` into `dir`, with `requirements` when given. */
async function writeWorkload(dir: string, name: string, requirements?: readonly string[]): Promise<void> {
  await mkdir(join(dir, name), { recursive: true })
  const manifest = {
    name,
    description: 'Sums squares.',
    tags: ['micro', 'numeric'],
    language: 'python',
    entry: 'workload.py',
    parameters: { size: 10 },
    innerLoops: 1,
    requiresPython: '3.6',
    ...(requirements ? { requirements } : {}),
  }
  await writeFile(join(dir, name, 'manifest.json'), JSON.stringify(manifest))
  await writeFile(
    join(dir, name, 'workload.py'),
    'def make(params):\n    return lambda: sum(i * i for i in range(params["size"]))\n',
  )
}

const shop = join(scratch, 'shop')
await writeWorkload(shop, 'checkout', ['numpy==2.0.2'])
await writeWorkload(shop, 'search')
await writeWorkload(shop, 'cart')
const file = join(scratch, 'langperf.toml')

/** The error message of loading the catalog of configuration `toml`. */
async function catalogError(toml: string): Promise<string> {
  try {
    await loadWorkloadCatalog(parseConfig(toml, file))
  } catch (error) {
    assert.ok(error instanceof LangperfError, String(error))
    assert.equal(error.code, 'bad-input')
    return error.message
  }
  assert.fail('expected the catalog to be refused')
}

test('a defined suite runs the workloads it lists from its folder, in its order, with its overrides', async () => {
  const config = parseConfig(
    [
      '[[suites.define]]',
      'name = "shop"',
      'path = "shop"',
      'workloads = ["search", "checkout"]',
      'requirements_override = ["numpy==1.26.4"]',
      '[[suites.define]]',
      'name = "shop-all"',
      'path = "shop"',
      'workloads = ["cart", "search"]',
      'description = "The shop without its numpy."',
    ].join('\n'),
    file,
  )
  const catalog = await loadWorkloadCatalog(config)
  const picked = catalog.suiteWorkloads('shop')
  assert.deepEqual(
    picked.map((w) => w.manifest.name),
    ['search', 'checkout'],
  )
  assert.deepEqual(picked[1]?.manifest.requirements, ['numpy==1.26.4'])
  const plain = (await loadWorkloadSets([shop])).workloads.find((w) => w.manifest.name === 'checkout')
  assert.notEqual(picked[1]?.version, plain?.version, 'another stack is another version')
  assert.equal(picked[0]?.version, catalog.workloads.find((w) => w.manifest.name === 'search')?.version)
  const suite = catalog.suites.find((s) => s.name === 'shop-all')
  assert.deepEqual(suite, {
    name: 'shop-all',
    description: 'The shop without its numpy.',
    workloads: ['cart', 'search'],
  })
  const every = await loadWorkloadCatalog(
    parseConfig('[[suites.define]]\nname = "every"\npath = "shop"\n', file),
  )
  assert.deepEqual(
    every.suiteWorkloads('every').map((w) => w.manifest.name),
    ['cart', 'checkout', 'search'],
    'without a list, every workload of the folder',
  )
  assert.ok(
    catalog.suites.some((s) => s.name === 'quick'),
    'the built-in suites stay',
  )
  assert.equal(catalog.suiteWorkloads('quick').length, 5)
})

test('a defined suite with a missing folder, a built-in name, an absent workload or a stray override is refused, naming the file and key', async () => {
  assert.match(
    await catalogError('[[suites.define]]\nname = "gone"\npath = "no/such/folder"\n'),
    /^Cannot load configuration ".*langperf\.toml": suites\.define\.gone\.path expected a folder of workloads \(one <name>\/manifest\.json each\), found no such directory ".*no\/such\/folder"$/,
  )
  await writeFile(file, '')
  assert.match(
    await catalogError('[[suites.define]]\nname = "file"\npath = "langperf.toml"\n'),
    /suites\.define\.file\.path expected a folder of workloads .*found a file that is not a directory/,
  )
  assert.match(
    await catalogError('[[suites.define]]\nname = "quick"\npath = "shop"\n'),
    /suites\.define\.quick\.name repeats suite "quick", which the built-in workloads or a folder's suites\.json define; expected a name of its own/,
  )
  assert.match(
    await catalogError('[[suites.define]]\nname = "shop"\npath = "shop"\nworkloads = ["pay"]\n'),
    /suites\.define\.shop\.workloads names "pay", expected a workload of ".*shop": cart, checkout, search/,
  )
  assert.match(
    await catalogError(
      '[[suites.define]]\nname = "shop"\npath = "shop"\nworkloads = ["search"]\nrequirements_override = ["numpy==1.26.4"]\n',
    ),
    /suites\.define\.shop\.requirements_override overrides "numpy", expected a distribution the suite's workloads list \(they list no requirements\)/,
  )
  assert.match(
    await catalogError(
      '[[suites.define]]\nname = "a"\npath = "shop"\nrequirements_override = ["numpy==1.26.4"]\n[[suites.define]]\nname = "b"\npath = "shop"\n',
    ),
    /suites\.define\.b\.requirements_override gives workload "checkout" other requirements than suite "a" does/,
  )
  const empty = join(scratch, 'empty')
  await mkdir(empty, { recursive: true })
  assert.match(
    await catalogError('[[suites.define]]\nname = "none"\npath = "empty"\n'),
    /suites\.define\.none\.path expected a folder holding workloads, found none/,
  )
})
