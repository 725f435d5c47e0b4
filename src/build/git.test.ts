import assert from 'node:assert/strict'
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { LangperfError } from '../lib/index.ts'
import {
  addWorktree,
  commitsBetween,
  ensureMirror,
  findGitDir,
  firstParentShas,
  isAncestor,
  listBranchTips,
  listCommits,
  midpointCommit,
  midpointOf,
  mirrorDirName,
  parseLog,
  rangeCommits,
  removeWorktree,
  resolveCommit,
  runGit,
} from './git.ts'
import { makeTestRepo } from './testing.ts'

const repo = makeTestRepo()
after(() => repo.cleanup())
const mirrorsDir = join(repo.root, 'mirrors')

test('ensureMirror() clones a bare mirror once, then fetches new commits into it', async () => {
  const first = await ensureMirror(repo.origin, mirrorsDir)
  assert.equal(first.gitDir, join(mirrorsDir, mirrorDirName(repo.origin)))
  assert.equal(
    (await runGit(['--git-dir', first.gitDir, 'rev-parse', '--is-bare-repository'])).trim(),
    'true',
  )
  const before = await resolveCommit(first, 'main')
  const added = repo.commit({ 'runtime.in': '#!/bin/sh\necho 2\n' }, 'Print 2')
  assert.notEqual(added, before)
  const again = await ensureMirror(repo.origin, mirrorsDir)
  assert.equal(again.gitDir, first.gitDir)
  assert.equal(await resolveCommit(again, 'main'), added)
})

test('listCommits() lists a branch since a commit in first-parent order, oldest first, in UTC', async () => {
  const mirror = await ensureMirror(repo.origin, mirrorsDir)
  const since = await resolveCommit(mirror, 'main')
  const a = repo.commit({ a: '1' }, 'Add a', { date: '2024-05-01T14:00:00+02:00' })
  // A side branch merged with --no-ff: first-parent history shows the merge, not the side commits.
  repo.git('checkout', '--quiet', '-b', 'side')
  repo.commit({ side: '1' }, 'Side work')
  repo.git('checkout', '--quiet', 'main')
  repo.git(
    '-c',
    'user.name=T',
    '-c',
    'user.email=t@example.org',
    'merge',
    '--quiet',
    '--no-ff',
    '-m',
    'Merge side',
    'side',
  )
  const merge = repo.git('rev-parse', 'HEAD')
  const hostile = repo.commit({ b: '1' }, 'Subject with $(rm -rf /) `x` and a \x1f separator')
  await ensureMirror(repo.origin, mirrorsDir)
  const commits = await listCommits(mirror, 'main', { since })
  assert.deepEqual(
    commits.map((c) => c.sha),
    [a, merge, hostile],
  )
  assert.equal(commits[0]?.authorDateUtc, '2024-05-01T12:00:00Z')
  assert.equal(commits[0]?.parents[0], since)
  assert.equal(commits[1]?.parents.length, 2)
  assert.equal(commits[1]?.parents[0], a)
  assert.equal(commits[2]?.subject, 'Subject with $(rm -rf /) `x` and a \x1f separator')
  const newestTwo = await listCommits(mirror, 'main', { limit: 2 })
  assert.deepEqual(
    newestTwo.map((c) => c.sha),
    [merge, hostile],
  )
  // Positions on the first-parent line: the side branch's commit is not on it.
  const all = await listCommits(mirror, 'main', { limit: 1000 })
  assert.deepEqual(
    all.map((c) => c.firstParentPosition),
    all.map((_, i) => i),
  )
  assert.equal(commits[2]?.firstParentPosition, all.length - 1)
  assert.equal(newestTwo[0]?.firstParentPosition, all.length - 2)
})

test('commitsBetween() gives the commits strictly between good and bad, and midpointCommit() the middle one', async () => {
  const mirror = await ensureMirror(repo.origin, mirrorsDir)
  const good = await resolveCommit(mirror, 'main')
  const shas = [1, 2, 3, 4, 5].map((i) => repo.commit({ [`f${i}`]: String(i) }, `Step ${i}`))
  await ensureMirror(repo.origin, mirrorsDir)
  const bad = shas[4] as string
  const between = await commitsBetween(mirror, good, bad)
  assert.deepEqual(
    between.map((c) => c.sha),
    shas.slice(0, 4),
  )
  assert.equal((await midpointCommit(mirror, good, bad))?.sha, shas[1])
  assert.equal(await midpointCommit(mirror, shas[3] as string, bad), null)
  assert.equal(await isAncestor(mirror, good, bad), true)
  assert.equal(await isAncestor(mirror, bad, good), false)
  await assert.rejects(
    commitsBetween(mirror, bad, good),
    (e) => e instanceof LangperfError && e.code === 'bad-input',
  )
})

test('midpointOf() picks the lower middle and null for no candidates', () => {
  assert.equal(midpointOf([]), null)
  assert.equal(midpointOf(['a']), 'a')
  assert.equal(midpointOf(['a', 'b']), 'a')
  assert.equal(midpointOf(['a', 'b', 'c']), 'b')
  assert.equal(midpointOf(['a', 'b', 'c', 'd', 'e', 'f']), 'c')
})

test('resolveCommit() refuses option-like refs and reports unknown ones as not found', async () => {
  const mirror = await ensureMirror(repo.origin, mirrorsDir)
  await assert.rejects(
    resolveCommit(mirror, '--upload-pack=touch /tmp/x'),
    (e) => e instanceof LangperfError && e.code === 'bad-input',
  )
  await assert.rejects(
    resolveCommit(mirror, 'no-such-branch'),
    (e) => e instanceof LangperfError && e.code === 'not-found',
  )
})

test('ensureMirror() refuses ext:: remotes and reports an unreachable remote as unavailable', async () => {
  await assert.rejects(
    ensureMirror('ext::sh -c touch% /tmp/pwned', mirrorsDir),
    (e) => e instanceof LangperfError && e.code === 'bad-input',
  )
  await assert.rejects(
    ensureMirror(join(repo.root, 'does-not-exist'), mirrorsDir),
    (e) => e instanceof LangperfError && e.code === 'unavailable' && /git clone --mirror/.test(e.message),
  )
  assert.equal(existsSync(join(mirrorsDir, mirrorDirName(join(repo.root, 'does-not-exist')))), false)
})

test('addWorktree() checks out one commit detached and removeWorktree() cleans it up', async () => {
  const mirror = await ensureMirror(repo.origin, mirrorsDir)
  const initial = (await listCommits(mirror, 'main', { limit: 1000 }))[0]?.sha as string
  const dir = join(repo.root, 'worktrees', 'one')
  const worktree = await addWorktree(mirror, initial, dir)
  assert.equal(readFileSync(join(dir, 'runtime.in'), 'utf8'), '#!/bin/sh\necho 1\n')
  assert.equal((await runGit(['rev-parse', 'HEAD'], { cwd: dir })).trim(), initial)
  await removeWorktree(worktree)
  assert.equal(existsSync(dir), false)
  const listed = await runGit(['--git-dir', mirror.gitDir, 'worktree', 'list', '--porcelain'])
  assert.doesNotMatch(listed, /worktrees\/one/)
})

test('parseLog() reads NUL-separated records and rejects garbage', () => {
  const sha = 'a'.repeat(40)
  const parsed = parseLog(`${sha}\x1f\x1f0\x1fFirst\0`)
  assert.deepEqual(parsed, [{ sha, parents: [], authorDateUtc: '1970-01-01T00:00:00Z', subject: 'First' }])
  assert.throws(
    () => parseLog('not a record\0'),
    (e) => e instanceof LangperfError && e.code === 'internal',
  )
})

test("findGitDir() finds a work tree's .git and a bare repository, and null for a plain directory", async () => {
  const scratch = makeTestRepo('langperf-gitdir-')
  try {
    assert.equal(await findGitDir(scratch.origin), join(scratch.origin, '.git'))
    assert.equal(await findGitDir(join(scratch.origin, '.git')), join(scratch.origin, '.git'))
    const mirror = await ensureMirror(scratch.origin, join(scratch.root, 'mirrors'))
    assert.equal(await findGitDir(mirror.gitDir), mirror.gitDir)
    // A directory inside a work tree is no repository of its own: git does not search upwards.
    mkdirSync(join(scratch.origin, 'sub'))
    assert.equal(await findGitDir(join(scratch.origin, 'sub')), null)
    assert.equal(await findGitDir(join(scratch.root, 'missing')), null)
  } finally {
    scratch.cleanup()
  }
})

test('listBranchTips() lists branches and remote-tracking branches, not tags or symbolic refs', async () => {
  const scratch = makeTestRepo('langperf-tips-')
  try {
    const first = scratch.git('rev-parse', 'HEAD')
    scratch.git('branch', '3.13')
    scratch.git('tag', 'v1.0')
    const second = scratch.commit({ a: '1' }, 'Second')
    const clone = join(scratch.root, 'clone')
    scratch.git('clone', '--quiet', scratch.origin, clone)
    const tips = await listBranchTips({ remote: clone, gitDir: join(clone, '.git') })
    assert.deepEqual(
      [...tips].sort((a, b) => a.ref.localeCompare(b.ref)),
      [
        { ref: 'refs/heads/main', sha: second },
        { ref: 'refs/remotes/origin/3.13', sha: first },
        { ref: 'refs/remotes/origin/main', sha: second },
      ],
    )
  } finally {
    scratch.cleanup()
  }
})

test('firstParentShas() lists first parents newest first, root last, and refuses option-like revisions', async () => {
  const scratch = makeTestRepo('langperf-fp-')
  try {
    const mirror = { remote: scratch.origin, gitDir: join(scratch.origin, '.git') }
    const root = scratch.git('rev-parse', 'HEAD')
    scratch.git('checkout', '--quiet', '-b', 'side')
    const side = scratch.commit({ side: '1' }, 'Side')
    scratch.git('checkout', '--quiet', 'main')
    const a = scratch.commit({ a: '1' }, 'A')
    scratch.git(
      '-c',
      'user.name=T',
      '-c',
      'user.email=t@example.org',
      'merge',
      '--quiet',
      '--no-ff',
      '-m',
      'Merge',
      'side',
    )
    const merge = scratch.git('rev-parse', 'HEAD')
    assert.deepEqual(await firstParentShas(mirror, 'main'), [merge, a, root])
    assert.deepEqual(await firstParentShas(mirror, side), [side, root])
    await assert.rejects(
      firstParentShas(mirror, '--output=/tmp/x'),
      (e) => e instanceof LangperfError && e.code === 'bad-input',
    )
  } finally {
    scratch.cleanup()
  }
})

test('rangeCommits() lists (good, bad] newest first with author and subject as written, capped, with the total', async () => {
  const mirror = await ensureMirror(repo.origin, mirrorsDir)
  const good = await resolveCommit(mirror, 'main')
  const subjects = ['Add <b>bold</b> & "quotes"', 'Speed up \u001f dicts', 'Third']
  const shas = subjects.map((subject, i) => repo.commit({ [`r${i}`]: String(i) }, subject))
  await ensureMirror(repo.origin, mirrorsDir)
  const bad = shas[2] as string
  const all = await rangeCommits(mirror, good, bad, { limit: 200 })
  assert.equal(all.total, 3)
  assert.deepEqual(
    all.commits.map((c) => c.sha),
    [...shas].reverse(),
  )
  assert.equal(
    all.commits[2]?.subject,
    'Add <b>bold</b> & "quotes"',
    'data, kept as written; escaping is the page’s job',
  )
  assert.equal(all.commits[1]?.subject, 'Speed up \u001f dicts', 'a separator in a subject is rejoined')
  assert.match(all.commits[0]?.author ?? '', /\S/)
  assert.match(all.commits[0]?.authorDateUtc ?? '', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/)
  const capped = await rangeCommits(mirror, good, bad, { limit: 2 })
  assert.deepEqual([capped.commits.length, capped.total], [2, 3])
  await assert.rejects(
    rangeCommits(mirror, good, 'f'.repeat(40), { limit: 2 }),
    (e) => e instanceof LangperfError && e.code === 'not-found',
  )
  await assert.rejects(rangeCommits(mirror, good, bad, { limit: 0 }), /limit 1–1000/)
})
