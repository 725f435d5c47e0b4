import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { gzipSync } from 'node:zlib'
import { LangperfError } from '../lib/index.ts'
import {
  configFromFileName,
  configFromPath,
  decodePyperfBytes,
  encodePyperf,
  parsePyperf,
  pyperfToRun,
  runToPyperf,
  toUtcIso,
} from './pyperf.ts'

const DATA_DIR = `${process.env.LANGPERF_SHARED_DATA ?? new URL('../../../shared/data', import.meta.url).pathname}/pyperf-json-pythonperf2/`

const minimal = {
  version: '1.0',
  metadata: {
    hostname: 'box',
    unit: 'second',
    commit_id: 'abc1234',
    commit_date: '2024-04-14T00:08:03+01:00',
  },
  benchmarks: [
    {
      metadata: { name: 'nbody', loops: 4, python_version: '3.12.1 (64-bit)' },
      runs: [
        {
          metadata: { calibrate_loops: 4 },
          warmups: [
            [1, 0.5],
            [2, 0.25],
          ],
        },
        { metadata: { date: '2024-04-14 01:00:00' }, warmups: [[4, 0.11]], values: [0.1, 0.1025, 0.099] },
      ],
    },
  ],
}

function rejects(text: string, pattern: RegExp): void {
  assert.throws(
    () => parsePyperf(text, 'bad.json'),
    (err: unknown) => err instanceof LangperfError && err.code === 'bad-input' && pattern.test(err.message),
  )
}

test('parsePyperf() reads a minimal document and keeps every level of metadata', () => {
  const doc = parsePyperf(JSON.stringify(minimal), 'm.json')
  assert.equal(doc.benchmarks.length, 1)
  assert.deepEqual(doc.benchmarks[0]?.runs[1]?.values, [0.1, 0.1025, 0.099])
  const run = pyperfToRun(doc, 'm.json')
  assert.equal(run.run.machine, 'box')
  assert.equal(run.run.build.version, '3.12.1')
  assert.equal(run.run.build.commitSha, 'abc1234')
  assert.equal(run.run.build.commitDateUtc, '2024-04-13T23:08:03.000Z')
  assert.equal(run.results[0]?.loops, 4)
  assert.deepEqual(run.results[0]?.processes[0]?.warmups, [
    [1, 0.5],
    [2, 0.25],
  ])
  assert.deepEqual(run.results[0]?.processes[0]?.values, [])
})

test('parsePyperf() names the file, the place, what was expected and what was found', () => {
  rejects('', /^Cannot import "bad.json": expected pyperf JSON, found an empty file$/)
  rejects('{"version": "1.0", "benchmarks": [', /expected pyperf JSON, found truncated JSON/)
  rejects(
    'Mean +- std dev: 10.2 ms +- 0.3 ms\n',
    /expected pyperf JSON, found text that is not JSON \(it begins "Mean \+- std dev: 10.2 ms"\)/,
  )
  rejects('[1, 2]', /expected a pyperf JSON object, found an array/)
  rejects(JSON.stringify({ ...minimal, version: '0.9' }), /expected pyperf format version 1\.0, found "0\.9"/)
  rejects(JSON.stringify({ metadata: {}, benchmarks: [] }), /no "version" field/)
  rejects(JSON.stringify({ ...minimal, benchmarks: [] }), /expected at least one benchmark/)
  const negative = JSON.stringify(minimal).replace('0.1025', '-0.1025')
  rejects(
    negative,
    /expected a finite non-negative number at benchmark "nbody" run 1 value 1, found -0\.1025/,
  )
  const nan = JSON.stringify(minimal).replace('0.1025', 'NaN')
  rejects(nan, /benchmark "nbody" run 1 value 1, found NaN/)
  const inf = JSON.stringify(minimal).replace('0.099', 'Infinity')
  rejects(inf, /value 2, found Infinity/)
  const str = JSON.stringify(minimal).replace('0.099', '"0.099"')
  rejects(str, /value 2, found "0\.099"/)
})

test('parsePyperf() leaves NaN-looking text inside strings alone', () => {
  const doc = { ...minimal, metadata: { ...minimal.metadata, note: 'NaN and Infinity in prose' } }
  const parsed = parsePyperf(JSON.stringify(doc), 'ok.json')
  assert.equal(parsed.metadata.note, 'NaN and Infinity in prose')
})

test('decodePyperfBytes() reads gzip by its magic number and rejects a damaged one', () => {
  const gz = gzipSync(JSON.stringify(minimal))
  assert.equal(JSON.parse(decodePyperfBytes(gz, 'x.json')).version, '1.0')
  assert.throws(
    () => decodePyperfBytes(gz.subarray(0, gz.length - 10), 'cut.json.gz'),
    /Cannot import "cut.json.gz"/,
  )
})

test('toUtcIso() converts offsets to UTC and reads naive pyperf dates as UTC', () => {
  assert.equal(toUtcIso('2024-04-14T00:08:03+01:00'), '2024-04-13T23:08:03.000Z')
  assert.equal(toUtcIso('2023-03-24 17:12:43.949289'), '2023-03-24T17:12:43.949Z')
  assert.equal(toUtcIso('garbage'), null)
})

test('configFromFileName() reads the flags bench_runner puts after the commit hash', () => {
  assert.equal(configFromFileName('bm-20240320-x-3.13.0a5+-dcaf33a+JIT.json'), 'jit')
  assert.equal(configFromFileName('bm-20240320-3.13.0a5+-dcaf33a-JIT.json.gz'), 'jit')
  assert.equal(configFromFileName('bm-20231122-3.13.0a2-9c4347e-PYTHON_UOPS.json.gz'), 'python_uops')
  assert.equal(configFromFileName('bm-20240622-3.14.0a0-4717aaa-JIT,NOGIL.json'), 'jit,nogil')
  // The producer's spelling, whatever order a copy wrote the flags in: one config.
  assert.equal(configFromFileName('bm-20240622-3.14.0a0-4717aaa-NOGIL,JIT,JIT.json'), 'jit,nogil')
  assert.equal(configFromFileName('bm-20240414-3.13.0a6+-a74f117.json.gz'), null)
  assert.equal(configFromFileName('results.json'), null)
})

test('configFromPath() reads the flags from the file name, else from the bench_runner directory name', () => {
  // bench_runner's repository: results/<run directory with the flags>/<file without them>.json
  const dir = 'results/bm-20240320-3.13.0a5+-dcaf33a-JIT'
  const file = 'bm-20240320-pythonperf2-x86_64-python-dcaf33a41d5d220523d7-3.13.0a5+-dcaf33a.json'
  assert.deepEqual(configFromPath(`${dir}/${file}`), { config: 'jit', source: 'directory' })
  assert.deepEqual(configFromPath(`C:\\data\\bm-20240622-3.14.0a0-4717aaa-JIT,NOGIL\\${file}`), {
    config: 'jit,nogil',
    source: 'directory',
  })
  // The file's own flags win; a default build's directory names none.
  assert.deepEqual(configFromPath(`${dir}/bm-20240320-3.13.0a5+-dcaf33a-NOGIL.json.gz`), {
    config: 'nogil',
    source: 'file name',
  })
  assert.equal(configFromPath(`results/bm-20240629-3.14.0a0-6b280a8/${file}`), null)
  // Only a directory named the bench_runner way counts: any other name says nothing of the build.
  assert.equal(configFromPath(`my-results-abcdef1-JIT/${file}`), null)
  assert.equal(configFromPath(file), null)
  assert.equal(configFromPath(''), null)
})

test('pyperfToRun() records where the config came from', () => {
  const doc = parsePyperf(JSON.stringify(minimal), 'm.json')
  const source = (name: string, config?: string) =>
    pyperfToRun(doc, name, config ? { config } : {}).run.build.metadata.config_source
  assert.equal(source('results/bm-20240320-3.13.0a5+-dcaf33a-JIT/m.json'), 'directory')
  assert.equal(source('bm-20240320-3.13.0a5+-dcaf33a-JIT.json'), 'file name')
  assert.equal(source('results/bm-20240320-3.13.0a5+-dcaf33a-JIT/m.json', 'pgo'), 'option')
  assert.equal(source('m.json'), 'none named')
  const run = pyperfToRun(doc, 'results/bm-20240320-3.13.0a5+-dcaf33a-JIT/m.json')
  assert.equal(run.run.build.config, 'jit')
  assert.equal(run.run.metadata.langperf_import_file, 'm.json', 'the file name, not the path, is kept')
})

test('a 32-bit interpreter on a host is its own build and machine, not the 64-bit one of the commit', () => {
  const as = (bits: string) => {
    const d = structuredClone(minimal)
    d.benchmarks[0]!.metadata.python_version = `3.13.0a5+ (${bits}) revision dcaf33a`
    return pyperfToRun(parsePyperf(JSON.stringify(d), 'm.json'), 'm.json').run
  }
  const [wide, narrow] = [as('64-bit'), as('32-bit')]
  assert.equal(wide.machine, 'box')
  assert.equal(narrow.machine, 'box-32bit')
  assert.notEqual(wide.build.identity, narrow.build.identity)
  assert.equal(wide.build.config, narrow.build.config, 'the same config: compared across machines')
})

test('overrides win over what the metadata implies', () => {
  const doc = parsePyperf(JSON.stringify(minimal), 'm.json')
  const run = pyperfToRun(doc, 'm.json', { runtime: 'pypy', config: 'jit', machine: 'lab-1', branch: 'main' })
  assert.equal(run.run.machine, 'lab-1')
  assert.equal(run.run.build.runtime, 'pypy')
  assert.equal(run.run.build.config, 'jit')
  assert.equal(run.run.build.branch, 'main')
})

const files = existsSync(DATA_DIR) ? readdirSync(DATA_DIR).filter((f) => f.endsWith('.json.gz')) : []

test('every real pyperf file exports back to the document it came from', {
  skip: files.length === 0 && `no data in ${DATA_DIR}`,
}, () => {
  for (const f of files) {
    const text = decodePyperfBytes(readFileSync(join(DATA_DIR, f)), f)
    const original = JSON.parse(text)
    const run = pyperfToRun(parsePyperf(text, f), f)
    // The full hash is recovered where the producer recorded it as the ref; a tag names none.
    const ref = String(original.metadata.commit_branch ?? '')
    const expected = /^[0-9a-f]{40}$/.test(ref) ? ref : original.metadata.commit_id
    assert.equal(run.run.build.commitSha, expected, `${f}: commit recovered`)
    const back = JSON.parse(encodePyperf(runToPyperf(run)).toString('utf8'))
    assert.deepEqual(back, original, `${f} round-trips`)
  }
})
