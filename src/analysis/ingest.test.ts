import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { gunzipSync, gzipSync } from 'node:zlib'
import { LangperfError } from '../lib/index.ts'
import { openSqliteStore } from '../store/index.ts'
import { exportPyperf, importPyperfFiles } from './ingest.ts'

const DATA_DIR = `${process.env.LANGPERF_SHARED_DATA ?? new URL('../../../shared/data', import.meta.url).pathname}/pyperf-json-pythonperf2/`
const realFiles = existsSync(DATA_DIR)
  ? readdirSync(DATA_DIR)
      .filter((f) => f.endsWith('.json.gz'))
      .map((f) => join(DATA_DIR, f))
  : []

const tmp = mkdtempSync(join(tmpdir(), 'langperf-ingest-'))

function doc(name: string, values: number[]) {
  return {
    version: '1.0',
    metadata: { hostname: 'box', commit_id: name, commit_date: '2024-01-01T00:00:00+00:00' },
    benchmarks: [
      { metadata: { name: 'w', loops: 1, python_version: '3.12.0' }, runs: [{ metadata: {}, values }] },
    ],
  }
}

test('a real pyperformance history imports completely and exports back unchanged', {
  skip: realFiles.length === 0 && `no data in ${DATA_DIR}`,
}, async () => {
  const store = await openSqliteStore(join(tmp, 'real.db'))
  try {
    const { runIds } = await importPyperfFiles(store, realFiles)
    assert.equal(runIds.length, realFiles.length)
    for (const [i, file] of realFiles.entries()) {
      const original = JSON.parse(gunzipSync(readFileSync(file)).toString('utf8'))
      const results = await store.getResults(runIds[i]!)
      assert.equal(results.length, original.benchmarks.length, 'every benchmark stored')
      const exported = JSON.parse((await exportPyperf(store, runIds[i]!)).toString('utf8'))
      assert.deepEqual(exported, original, `${file}: export of the stored run is the original document`)
      // Re-import of the export gives identical values and metadata again.
      const again = join(tmp, `again-${i}.json.gz`)
      writeFileSync(again, await exportPyperf(store, runIds[i]!, { gzip: true }))
      const [id2] = (await importPyperfFiles(store, [again])).runIds
      const twice = JSON.parse((await exportPyperf(store, id2!)).toString('utf8'))
      assert.deepEqual(twice, original)
    }
    const run = await store.getRun(runIds[0]!)
    assert.equal(run?.metadata.benchmark_hash, '9983f9')
    assert.equal(run?.metadata.performance_version, '1.10.0')
    assert.equal(run?.build.commitSha?.startsWith('a74f117'), true)
    assert.equal(run?.build.mergeBase?.length, 40)
  } finally {
    await store.close()
  }
})

test('a batch with one bad file stores nothing and names the bad file', async () => {
  const good = join(tmp, 'good.json')
  const bad = join(tmp, 'bad.json.gz')
  writeFileSync(good, JSON.stringify(doc('aaaa111', [0.1, 0.2])))
  writeFileSync(bad, gzipSync(JSON.stringify(doc('bbbb222', [0.1, -1]))))
  const store = await openSqliteStore(join(tmp, 'batch.db'))
  try {
    await assert.rejects(
      importPyperfFiles(store, [good, bad]),
      (err: unknown) =>
        err instanceof LangperfError && err.message.includes(bad) && /found -1/.test(err.message),
    )
    assert.equal((await store.listRuns()).total, 0, 'nothing stored')
    await assert.rejects(
      importPyperfFiles(store, [good, join(tmp, 'missing.json')]),
      /missing\.json": expected a readable file/,
    )
    assert.equal((await store.listRuns()).total, 0)
    const { runIds } = await importPyperfFiles(store, [good])
    assert.equal(runIds.length, 1)
  } finally {
    await store.close()
  }
})

test('truncated files and other format versions are refused with the file name', async () => {
  const truncated = join(tmp, 'truncated.json')
  writeFileSync(truncated, JSON.stringify(doc('cccc333', [0.1])).slice(0, 60))
  const old = join(tmp, 'old.json')
  writeFileSync(old, JSON.stringify({ ...doc('dddd444', [0.1]), version: '0.8' }))
  const store = await openSqliteStore(':memory:')
  try {
    await assert.rejects(
      importPyperfFiles(store, [truncated]),
      /truncated\.json": expected pyperf JSON, found truncated JSON/,
    )
    await assert.rejects(
      importPyperfFiles(store, [old]),
      /old\.json": expected pyperf format version 1\.0, found "0\.8"/,
    )
    assert.equal((await store.listRuns()).total, 0)
  } finally {
    await store.close()
  }
})
