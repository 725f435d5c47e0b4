import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { gitMissing, initGitRepo } from '../build/index.ts'
import type { AlertDetail } from '../store/index.ts'
import { alertCommits } from './alert-commits.ts'
import type { RuntimeSource } from './types.ts'

// The commits of a blame range from a local mirror (here a scratch repository), linked from the
// runtime's templates; without a mirror the answer says why and still links the two ends.

const root = mkdtempSync(join(tmpdir(), 'langperf-alert-commits-'))
after(() => rmSync(root, { recursive: true, force: true }))

const alertOf = (lastGoodCommit: string, firstBadCommit: string) =>
  ({ runtime: 'cpython', lastGoodCommit, firstBadCommit }) as unknown as AlertDetail

const source = (gitDir: string | null): RuntimeSource => ({
  name: 'cpython',
  remote: 'https://github.com/python/cpython.git',
  gitDir,
  commitUrl: 'https://github.com/python/cpython/commit/{sha}',
  compareUrl: 'https://github.com/python/cpython/compare/{from}...{to}',
})

test('the commits of (last good, first bad] come newest first, capped, with links and the total', {
  skip: gitMissing(),
}, async () => {
  const repo = initGitRepo(join(root, 'cpython'))
  const good = repo.commit({ a: '1' }, 'Base')
  const shas = ['<script>alert(1)</script> faster dicts', 'Second', 'Third'].map((s, i) =>
    repo.commit({ [`f${i}`]: String(i) }, s),
  )
  const bad = shas[2]!
  const out = await alertCommits(alertOf(good, bad), [source(join(repo.dir, '.git'))], 2)
  assert.equal(out.listed, true, String(out.reason))
  assert.equal(out.total, 3)
  assert.deepEqual(
    out.commits.map((c) => c.sha),
    [shas[2], shas[1]],
  )
  assert.equal(out.commits[0]?.url, `https://github.com/python/cpython/commit/${bad}`)
  assert.equal(out.compareUrl, `https://github.com/python/cpython/compare/${good}...${bad}`)
  const all = await alertCommits(alertOf(good, bad), [source(join(repo.dir, '.git'))], 200)
  assert.equal(all.commits[2]?.subject, '<script>alert(1)</script> faster dicts', 'kept as written')
  const missing = await alertCommits(alertOf(good, 'f'.repeat(40)), [source(join(repo.dir, '.git'))], 2)
  assert.equal(missing.listed, false)
  assert.match(String(missing.reason), /does not hold both ends/)
})

test('without a mirror or a configured runtime the answer says why and links the two ends', async () => {
  const good = 'a'.repeat(40)
  const bad = 'b'.repeat(40)
  const none = await alertCommits(alertOf(good, bad), [source(null)], 200)
  assert.equal(none.listed, false)
  assert.match(String(none.reason), /No local mirror of "https:\/\/github\.com\/python\/cpython\.git" yet/)
  assert.equal(none.firstBadUrl, `https://github.com/python/cpython/commit/${bad}`)
  assert.deepEqual(none.commits, [])
  const unknown = await alertCommits(alertOf(good, bad), [], 200)
  assert.match(String(unknown.reason), /not in the server's configuration/)
  assert.equal(unknown.compareUrl, null)
  const noShas = await alertCommits(alertOf('build:1', 'build:2'), [source(join(root, 'x'))], 200)
  assert.match(String(noShas.reason), /without commits/)
  assert.equal(noShas.lastGoodUrl, null)
})
