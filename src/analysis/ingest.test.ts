import assert from 'node:assert/strict'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { test } from 'node:test'
import { gunzipSync, gzipSync } from 'node:zlib'
import { LangperfError } from '../lib/index.ts'
import { openSqliteStore } from '../store/index.ts'
import { expandImportPaths, exportPyperf, importPyperfFiles } from './ingest.ts'

const DATA_DIR = `${process.env.LANGPERF_SHARED_DATA ?? new URL('../../../shared/data', import.meta.url).pathname}/pyperf-json-pythonperf2/`
// Every tenth real file (tags, hashes, branches, every config) and the one the assertions name:
// the store round trip of each takes a second, and pyperf.test.ts reads all of them without one.
const realFiles = existsSync(DATA_DIR)
  ? readdirSync(DATA_DIR)
      .filter((f) => f.endsWith('.json.gz'))
      .sort()
      .filter((f, i) => i % 10 === 0 || f.includes('-a74f117.') || f.includes('-dcaf33a-JIT.'))
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
      // Under its own name: the name carries the build config (-JIT).
      mkdirSync(join(tmp, `again-${i}`))
      const again = join(tmp, `again-${i}`, basename(file))
      writeFileSync(again, await exportPyperf(store, runIds[i]!, { gzip: true }))
      const reimport = await importPyperfFiles(store, [again])
      assert.deepEqual(reimport.runIds, [runIds[i]], 'its own export is the same results, stored once')
      assert.deepEqual(reimport.alreadyImported, [0])
    }
    const at = (name: string) => runIds[realFiles.findIndex((f) => f.includes(name))]!
    const run = await store.getRun(at('-a74f117.'))
    assert.equal(run?.metadata.benchmark_hash, '9983f9')
    assert.equal(run?.metadata.performance_version, '1.10.0')
    assert.equal(run?.build.commitSha?.startsWith('a74f117'), true)
    assert.equal(run?.build.mergeBase?.length, 40)
    // Placed on main by its alpha version (its ref is a hash); the config read from the file name.
    assert.equal(run?.build.branch, 'main')
    assert.equal(run?.build.metadata.lineage_rule, 'version-alpha')
    const jit = await store.getRun(at('-dcaf33a-JIT.'))
    assert.equal(jit?.build.config, 'jit')
    assert.equal(jit?.build.branch, 'main')
    // A suite upgrade does not split series: the workload version is the suite's name.
    const results = await store.getResults(at('-a74f117.'))
    assert.ok(results.every((r) => r.workload.version === 'pyperformance'))
    // Importing the same files again stores nothing and names the runs stored before.
    const again = await importPyperfFiles(store, realFiles)
    assert.equal(again.alreadyImported.length, realFiles.length)
    assert.deepEqual(again.runIds, runIds)
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

test('a batch larger than what is held between the passes stores the same runs, read file by file', async () => {
  const files = ['eeee555', 'ffff666', 'abab777'].map((sha, i) => {
    const path = join(tmp, `held-${sha}.json`)
    writeFileSync(path, JSON.stringify(doc(sha, [0.1 + i / 100, 0.2, 0.3])))
    return path
  })
  const held = await openSqliteStore(':memory:')
  const reread = await openSqliteStore(':memory:')
  try {
    const a = await importPyperfFiles(held, files)
    const phases: string[] = []
    const b = await importPyperfFiles(reread, files, {
      holdBytes: 0,
      onProgress: (phase, done, total) => phases.push(`${phase} ${done}/${total}`),
    })
    assert.deepEqual(phases, ['read 1/3', 'read 2/3', 'read 3/3', 'store 1/3', 'store 2/3', 'store 3/3'])
    assert.equal(b.runIds.length, 3)
    for (const [i, file] of files.entries()) {
      const original = JSON.parse(readFileSync(file, 'utf8'))
      assert.deepEqual(JSON.parse((await exportPyperf(reread, b.runIds[i]!)).toString('utf8')), original)
      assert.deepEqual(
        (await reread.getRun(b.runIds[i]!))?.metadata,
        (await held.getRun(a.runIds[i]!))?.metadata,
        'the same run, held or read again',
      )
    }
  } finally {
    await held.close()
    await reread.close()
  }
})

test('a file that changes between reading and storing refuses the batch, nothing stored', async () => {
  const first = join(tmp, 'changing-1.json')
  const second = join(tmp, 'changing-2.json')
  writeFileSync(first, JSON.stringify(doc('cdcd888', [0.1, 0.2])))
  writeFileSync(second, JSON.stringify(doc('efef999', [0.1, 0.2])))
  const store = await openSqliteStore(':memory:')
  try {
    await assert.rejects(
      importPyperfFiles(store, [first, second], {
        holdBytes: 0,
        // Before the second file is read again: another process rewrites it.
        onProgress: (phase, done) => {
          if (phase === 'store' && done === 1)
            writeFileSync(second, JSON.stringify(doc('efef999', [0.5, 0.6])))
        },
      }),
      (err: unknown) =>
        err instanceof LangperfError &&
        err.code === 'conflict' &&
        err.message.includes(second) &&
        /changed while the batch was imported/.test(err.message),
    )
    assert.equal((await store.listRuns()).total, 0, 'the first run rolled back with the batch')
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

test('a commit date in the future and an unplaceable build are warnings naming the file; --strict refuses', async () => {
  const future = join(tmp, 'future.json')
  const d = doc('cccc333', [0.1, 0.2])
  writeFileSync(
    future,
    JSON.stringify({ ...d, metadata: { ...d.metadata, commit_date: '2031-01-01T00:00:00+00:00' } }),
  )
  const plain = join(tmp, 'plain.json')
  // A hash with a version no rule reads: no line of development.
  const p = doc('dddd444', [0.1, 0.2])
  writeFileSync(
    plain,
    JSON.stringify({ ...p, benchmarks: [{ ...p.benchmarks[0]!, metadata: { name: 'w' } }] }),
  )
  const store = await openSqliteStore(join(tmp, 'warn.db'))
  const now = () => new Date('2026-01-01T00:00:00Z')
  try {
    await assert.rejects(
      importPyperfFiles(store, [future, plain], { strict: true, now }),
      (err: unknown) =>
        err instanceof LangperfError &&
        err.message.includes('2 warning(s), nothing imported') &&
        err.message.includes(`${future}: commit date 2031-01-01T00:00:00.000Z is in the future`) &&
        err.message.includes(`${plain}: commit dddd444, no ref and no version: no rule places it`),
    )
    assert.equal((await store.listRuns()).total, 0, 'nothing stored')
    const report = await importPyperfFiles(store, [future, plain], { now })
    assert.equal(report.runIds.length, 2)
    assert.equal(report.warnings.length, 2)
    const placed = report.files.map((f) => [f.spec.build.branch, f.spec.build.metadata.lineage_rule])
    assert.deepEqual(placed, [
      ['3.12', 'version-release'],
      [null, 'unplaced'],
    ])
  } finally {
    await store.close()
  }
})

test("a directory imports as bench_runner's results tree: configs from directory names, pystats skipped", async () => {
  // results/<run directory named with the flags>/<file named without them>, as bench_runner keeps them.
  const root = join(tmp, 'tree', 'results')
  const put = (dir: string, name: string, body: string) => {
    mkdirSync(join(root, dir), { recursive: true })
    writeFileSync(join(root, dir, name), body)
  }
  const file = 'bm-20240320-box-x86_64-python-eeee5556666-3.13.0a5+-eeee555.json'
  put('bm-20240320-3.13.0a5+-eeee555', file, JSON.stringify(doc('eeee555', [0.1, 0.11])))
  put('bm-20240320-3.13.0a5+-eeee555-JIT', file, JSON.stringify(doc('eeee555', [0.2, 0.21])))
  put('bm-20240320-3.13.0a5+-eeee555-JIT', 'bm-20240320-box-pystats.json', JSON.stringify({ calls: 1 }))
  put('bm-20240320-3.13.0a5+-eeee555', 'README.md', '# not a result')
  // A link to a file is read; a link to a directory is not walked (no cycles).
  writeFileSync(join(tmp, 'elsewhere.json'), '{}')
  symlinkSync(join(tmp, 'elsewhere.json'), join(root, 'linked.json'))
  symlinkSync(root, join(root, 'loop'))
  const listed = await expandImportPaths([join(tmp, 'tree')])
  assert.deepEqual(
    listed.files.map((f) => basename(f)),
    [file, 'bm-20240320-box-pystats.json', file, 'linked.json'],
    'the .json files beneath in name order, nothing else',
  )
  assert.equal(listed.walked.size, 4)
  rmSync(join(root, 'linked.json'))
  const paths = await expandImportPaths([join(tmp, 'tree')])
  assert.equal(paths.files.length, 3)
  const store = await openSqliteStore(':memory:')
  try {
    const report = await importPyperfFiles(store, paths.files, { walked: paths.walked })
    assert.deepEqual(
      report.skipped.map((k) => basename(k.path)),
      ['bm-20240320-box-pystats.json'],
    )
    assert.match(report.skipped[0]!.why, /not a pyperf result/)
    const builds = report.files.map((f) => [f.spec.build.config, f.spec.build.metadata.config_source])
    assert.deepEqual(builds, [
      ['default', 'none named'],
      ['jit', 'directory'],
    ])
    assert.notEqual(report.runIds[0], report.runIds[1])
    assert.equal(report.warnings.length, 0, 'two configs of one commit are two builds, no doubt')
    // The same non-result named on its own is refused: the user said it is a result.
    const pystats = join(root, 'bm-20240320-3.13.0a5+-eeee555-JIT', 'bm-20240320-box-pystats.json')
    await assert.rejects(importPyperfFiles(store, [pystats]), /pystats\.json": expected pyperf format/)
    // A walked file that claims to be pyperf and is broken still refuses the batch.
    put(
      'bm-20240321-3.13.0a5+-ffff666',
      'broken.json',
      JSON.stringify({ ...doc('ffff666', [0.1]), benchmarks: 'x' }),
    )
    const again = await expandImportPaths([root])
    await assert.rejects(
      importPyperfFiles(store, again.files, { walked: again.walked }),
      /broken\.json": expected an array at "benchmarks"/,
    )
    // A truncated file (not JSON at all) may be a damaged result: refused too, never skipped.
    rmSync(join(root, 'bm-20240321-3.13.0a5+-ffff666', 'broken.json'))
    put('bm-20240321-3.13.0a5+-ffff666', 'cut.json', JSON.stringify(doc('ffff666', [0.1])).slice(0, 50))
    const cut = await expandImportPaths([root])
    await assert.rejects(
      importPyperfFiles(store, cut.files, { walked: cut.walked }),
      /cut\.json": expected pyperf JSON, found truncated JSON/,
    )
    assert.equal((await store.listRuns()).total, 2, 'nothing of the refused batches stored')
  } finally {
    await store.close()
  }
})

test('files of one commit that name no config are one build, with a warning on each', async () => {
  // A JIT and a default result copied under names that lost the flags.
  const a = join(tmp, 'twin-a.json')
  const b = join(tmp, 'twin-b.json')
  writeFileSync(a, JSON.stringify(doc('abab121', [0.1, 0.11])))
  writeFileSync(b, JSON.stringify(doc('abab121', [0.2, 0.21])))
  const store = await openSqliteStore(':memory:')
  try {
    await assert.rejects(
      importPyperfFiles(store, [a, b], { strict: true }),
      /2 warning\(s\), nothing imported/,
    )
    const report = await importPyperfFiles(store, [a, b])
    assert.equal(report.warnings.length, 2)
    assert.ok(
      report.warnings[0]!.startsWith(
        `${a}: 2 files record commit abab121 on box and none names a build config`,
      ),
    )
    const [ra, rb] = await Promise.all(report.runIds.map((id) => store.getRun(id)))
    assert.equal(ra?.build.id, rb?.build.id, 'stored as runs of one build, as the warning says')
    // The same file twice is no doubt: one document, one run.
    const other = await openSqliteStore(':memory:')
    const once = await importPyperfFiles(other, [a, a])
    await other.close()
    assert.equal(once.warnings.length, 0)
  } finally {
    await store.close()
  }
})

test('a run whose config reads better than when it was imported moves to that build, once; a worse reading leaves it', async () => {
  // First imported from a copy that lost the flags (a default build), then from bench_runner's tree.
  const flat = join(tmp, 'renamed-jit.json')
  writeFileSync(flat, JSON.stringify(doc('cdcd343', [0.3, 0.31])))
  const dir = join(tmp, 'again-tree', 'bm-20240101-3.13.0a5+-cdcd343-JIT')
  mkdirSync(dir, { recursive: true })
  const named = join(dir, 'bm-20240101-box-x86_64-python-cdcd343-3.13.0a5+-cdcd343.json')
  writeFileSync(named, readFileSync(flat))
  const store = await openSqliteStore(':memory:')
  try {
    const first = await importPyperfFiles(store, [flat])
    const stale = (await store.getRun(first.runIds[0]!))!.build
    assert.equal(stale.config, 'default')
    const again = await importPyperfFiles(store, [named])
    assert.deepEqual(again.alreadyImported, [0])
    assert.deepEqual(again.runIds, first.runIds)
    assert.equal((await store.listRuns()).total, 1, 'stored once')
    assert.deepEqual(again.warnings, [])
    assert.deepEqual(
      again.moved.map((m) => [m.file, m.runId, m.from.config, m.to.config, m.to.configSource]),
      [[0, first.runIds[0], 'default', 'jit', 'directory']],
    )
    const run = await store.getRun(first.runIds[0]!)
    assert.equal(run?.build.identity, 'cpython:cdcd343:jit')
    assert.deepEqual(
      await store.findBuilds({ identity: stale.identity }),
      [],
      'the emptied default build is gone',
    )
    assert.deepEqual(
      (await store.listSeries()).map((s) => s.config),
      ['jit'],
    )
    // Importing the tree again finds it where it is now; the flat copy names no config as surely
    // as the directory did, so it leaves the run in its jit build and says why.
    const third = await importPyperfFiles(store, [named])
    assert.deepEqual([third.moved, third.warnings, third.alreadyImported], [[], [], [0]])
    const flatAgain = await importPyperfFiles(store, [flat])
    assert.deepEqual(flatAgain.moved, [])
    assert.equal(flatAgain.warnings.length, 1)
    assert.match(
      flatAgain.warnings[0]!,
      /imported before as run \d+ of build cpython:cdcd343:jit \(config jit, from the directory\); this copy names no config as surely \(none named\): nothing stored again/,
    )
    assert.equal((await store.getRun(first.runIds[0]!))?.build.config, 'jit')
    assert.equal((await store.listRuns()).total, 1)
  } finally {
    await store.close()
  }
})
