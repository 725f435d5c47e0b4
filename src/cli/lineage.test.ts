import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { after, test } from 'node:test'
import { gitMissing, initGitRepo } from '../build/index.ts'
import { createRng } from '../lib/index.ts'
import { openSqliteStore } from '../store/index.ts'
import { main } from './main.ts'

// `langperf import pyperf` places builds on their lines and `langperf detect` follows, as a user
// meets it: pyperf files of a real git repository's commits, imported with and without --repo,
// then re-keyed, with triage kept.

const root = mkdtempSync(join(tmpdir(), 'langperf-lineage-cli-'))
after(() => rmSync(root, { recursive: true, force: true }))

const skip = gitMissing()

const repo = join(root, 'cpython')

/** 24 commits on main whose commit dates run backwards for the last twelve; returns the shas. */
function makeRepo(): { shas: string[]; dates: string[] } {
  const { commit } = initGitRepo(repo)
  const shas: string[] = []
  const dates: string[] = []
  for (let i = 0; i < 24; i++) {
    // Dates go forward, then (a rebased stretch) backwards: ancestry is the only true order.
    const date = new Date(Date.UTC(2024, 3, i < 12 ? 1 + i : 40 - i, 12)).toISOString()
    shas.push(commit({ f: String(i) }, `c${i}`, { date }))
    dates.push(date)
  }
  return { shas, dates }
}

/** A stream that keeps what is written to it. */
function sink(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = []
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(Buffer.from(chunk))
      cb()
    },
  })
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') }
}

/** Runs the CLI on the database `db`: its exit code and what it wrote. */
function cliOn(db: string) {
  return async (...args: string[]) => {
    const out = sink()
    const err = sink()
    const code = await main(['node', 'langperf', ...args, '--db', db], {
      out: out.stream,
      err: err.stream,
      isTty: false,
    })
    return { code, out: out.text(), err: err.text() }
  }
}

const rng = createRng(5)
/** A pyperf file of one build: workloads `a`…`l`, `a` 30 % slower from build 18 on. */
function pyperfFile(i: number, sha: string, date: string, ref: string): string {
  const benchmarks = 'abcdefghijkl'.split('').map((name) => {
    const level = 0.01 * (name === 'a' && i >= 18 ? 1.3 : 1) * (1 + 0.003 * (rng() - 0.5))
    return {
      metadata: { name, python_version: '3.14.0a0+', loops: 1 },
      runs: Array.from({ length: 8 }, () => ({
        metadata: {},
        values: [0, 1, 2].map(() => level * (1 + 0.004 * (rng() - 0.5))),
      })),
    }
  })
  const path = join(root, 'files', `bm-2024-3.14.0a0+-${sha.slice(0, 7)}.json`)
  writeFileSync(
    path,
    JSON.stringify({
      version: '1.0',
      metadata: {
        hostname: 'box',
        commit_id: sha.slice(0, 7),
        commit_branch: ref,
        commit_date: date,
        commit_fork: 'python',
        performance_version: '1.11.0',
        platform: 'Linux-6.1',
      },
      benchmarks,
    }),
  )
  return path
}

test('import places builds by ancestry with --repo, re-keys them later, and detect supersedes with triage kept', {
  skip,
}, async () => {
  const { shas, dates } = makeRepo()
  mkdirSync(join(root, 'files'))
  // The producer recorded an alpha tag name as the ref of every build (as if each were tagged):
  // by the rules each is placed on main, ordered by (misleading) commit dates.
  const files = shas.map((sha, i) => pyperfFile(i, sha, dates[i]!, sha))
  const db = join(root, 'lineage.db')
  const cli = cliOn(db)
  // 1. A user's first import put everything on a branch of its own (an old rule or --branch).
  const first = await cli('import', 'pyperf', ...files, '--branch', 'v3.14.0a0')
  assert.equal(first.code, 0, first.err)
  const d1 = await cli('detect', '--json')
  assert.equal(d1.code, 0, d1.err)
  const alert = JSON.parse(d1.out).newAlerts.find((a: { branch: string }) => a.branch === 'v3.14.0a0')
  assert.ok(alert, d1.out.slice(0, 500))
  const triage = await cli('alerts', 'triage', String(alert.id), 'acknowledged', '--note', 'looking')
  assert.equal(triage.code, 0, triage.err)

  // 2. Strict import refuses a batch with a file the repository contradicts; nothing is stored.
  const stranger = pyperfFile(99, 'f'.repeat(40), dates[0]!, 'f'.repeat(40))
  const strict = await cli('import', 'pyperf', ...files.slice(0, 3), stranger, '--repo', repo, '--strict')
  assert.equal(strict.code, 2)
  assert.match(strict.err, /--strict: 1 warning\(s\), nothing imported/)
  assert.match(strict.err, /is not in the repository/)

  // 3. Re-import with the repository: nothing new stored, every build re-keyed to main with its
  // first-parent position.
  const again = await cli('import', 'pyperf', ...files, '--repo', repo)
  assert.equal(again.code, 0, again.err)
  assert.match(again.err, /Imported 0 file\(s\); 24 already imported/)
  assert.match(again.err, /re-keyed build \d+: line v3\.14\.0a0 → main/)
  assert.match(again.err, /lineage repository: 24 file\(s\)/)
  const store = await openSqliteStore(db, { readonly: true })
  try {
    const builds = await store.findBuilds({ runtime: 'cpython', limit: 100 })
    assert.equal(builds.length, 24)
    for (const b of builds) {
      assert.equal(b.branch, 'main')
      assert.equal(b.metadata.history_order, shas.indexOf(b.commitSha!), `${b.commitSha} by ancestry`)
    }
  } finally {
    await store.close()
  }

  // 4. Detect follows: the old series' changes are superseded, the old alert keeps its triage, and
  // the step is found on main, ordered by ancestry, at the commit that made it.
  const d2 = await cli('detect', '--json')
  assert.equal(d2.code, 0, d2.err)
  const report = JSON.parse(d2.out)
  assert.ok(report.superseded >= 1)
  assert.equal(report.orders.ancestry, 12)
  const onMain = report.newAlerts.filter((a: { branch: string }) => a.branch === 'main')
  assert.deepEqual(
    onMain.map((a: { firstBadCommit: string; changes: { series: { workload: string } }[] }) => [
      a.firstBadCommit,
      a.changes.map((c) => c.series.workload),
    ]),
    [[shas[18], ['a']]],
  )
  const old = await cli('alerts', 'show', String(alert.id), '--json')
  const shown = JSON.parse(old.out)
  assert.equal(shown.triage, 'acknowledged')
  assert.equal(shown.triageNote, 'looking')
  assert.equal(shown.status, 'withdrawn')
  assert.match(String(shown.changes[0].details.superseded), /no longer exists/)
})

/**
 * bench_runner's layout, results/bm-<date>-<version>-<sha7>[-JIT]/bm-…-<sha7>.json (the flags only
 * in the directory name), with a pystats file beside each JIT result; written once. The default
 * build slows `a` by 30 % from build 18 on, the JIT build slows `b`: mixed into one build per
 * commit (the configs unread), neither step would stand out of the other's values.
 */
let treeFiles: string[] | undefined
function benchRunnerTree(): string[] {
  if (treeFiles) return treeFiles
  treeFiles = []
  const tree = join(root, 'bench-runner', 'results')
  const treeRng = createRng(11)
  for (let i = 0; i < 24; i++) {
    const sha = (0xabc0000 + i).toString(16).padEnd(40, '0')
    const date = new Date(Date.UTC(2024, 3, 1 + i, 12)).toISOString()
    const day = `202404${String(1 + i).padStart(2, '0')}`
    for (const flags of ['', '-JIT']) {
      const dir = join(tree, `bm-${day}-3.14.0a0+-${sha.slice(0, 7)}${flags}`)
      mkdirSync(dir, { recursive: true })
      const slow = flags ? 'b' : 'a'
      const benchmarks = 'abcdefghijkl'.split('').map((name) => ({
        metadata: { name, python_version: '3.14.0a0+', loops: 1 },
        runs: Array.from({ length: 8 }, () => ({
          metadata: {},
          values: [0, 1, 2].map(
            () => 0.01 * (name === slow && i >= 18 ? 1.3 : 1) * (1 + 0.004 * (treeRng() - 0.5)),
          ),
        })),
      }))
      const meta = { hostname: 'box', commit_id: sha.slice(0, 7), commit_branch: 'main', commit_date: date }
      const file = `bm-${day}-box-x86_64-python-${sha.slice(0, 20)}-3.14.0a0+-${sha.slice(0, 7)}.json`
      writeFileSync(join(dir, file), JSON.stringify({ version: '1.0', metadata: meta, benchmarks }))
      treeFiles.push(join(dir, file))
      if (flags)
        writeFileSync(join(dir, `${file.slice(0, -5)}-pystats.json`), JSON.stringify({ opcodes: {} }))
    }
  }
  return treeFiles
}

test("import of bench_runner's results tree: each config its own series, pystats skipped, as the import says", async () => {
  benchRunnerTree()
  const cli = cliOn(join(root, 'tree.db'))
  const imported = await cli('import', 'pyperf', join(root, 'bench-runner'))
  assert.equal(imported.code, 0, imported.err)
  assert.match(imported.err, /config from the directory: jit 24/)
  assert.match(imported.err, /config default \(no flags named\): default 24/)
  assert.match(imported.err, /skipped .*-pystats\.json: not a pyperf result/)
  assert.match(imported.err, /Imported 48 file\(s\); skipped 24 that are no pyperf result/)
  const detected = await cli('detect', '--json')
  assert.equal(detected.code, 0, detected.err)
  const found = JSON.parse(detected.out)
    .newAlerts.flatMap((a: { changes: { series: { config: string; workload: string } }[] }) => a.changes)
    .map((c: { series: { config: string; workload: string } }) => `${c.series.config}/${c.series.workload}`)
    .sort()
  assert.deepEqual(found, ['default/a', 'jit/b'])
})

test('a database imported from a copy that lost the flags is mended by importing the tree: runs move, detect re-judges', async () => {
  // A flat copy (every file in one directory, the flags gone with the directories) imported as an
  // older langperf would have read the tree: JIT and default results of a commit in one build.
  const flat = join(root, 'flat-copy')
  mkdirSync(flat)
  benchRunnerTree().forEach((f, i) => {
    writeFileSync(join(flat, `${i}-${f.split(/[\\/]/).at(-1)}`), readFileSync(f))
  })
  const db = join(root, 'mended.db')
  const cli = cliOn(db)
  assert.equal((await cli('import', 'pyperf', flat)).code, 0)
  assert.equal((await cli('detect')).code, 0)
  const live = async () => {
    const store = await openSqliteStore(db)
    try {
      const rows = (await store.listChanges({ status: ['provisional', 'confirmed'], limit: 1000 })).rows
      return rows.map((c) => `${c.series.config}/${c.series.workload}`).sort()
    } finally {
      await store.close()
    }
  }
  assert.ok(!(await live()).includes('jit/b'), 'no JIT series before the tree is read')
  const mended = await cli('import', 'pyperf', join(root, 'bench-runner'))
  assert.equal(mended.code, 0, mended.err)
  assert.equal(
    mended.err.match(
      /^moved run \d+: build cpython:abc[0-9a-f]{4}:default \(default on box\) → cpython:abc[0-9a-f]{4}:jit \(jit on box, config from the directory\)/gm,
    )?.length,
    24,
  )
  assert.match(mended.err, /Imported 0 file\(s\); 48 already imported/)
  assert.equal((await cli('detect')).code, 0)
  assert.deepEqual(await live(), ['default/a', 'jit/b'], 'the same changes as a fresh import of the tree')
})
