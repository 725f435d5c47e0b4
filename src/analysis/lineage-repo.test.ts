import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { type GitFixture, gitMissing, initGitRepo } from '../build/index.ts'
import { LangperfError } from '../lib/index.ts'
import { type LineageFacts, placeByRules } from '../model/index.ts'
import { type LineageRepository, openLineageRepository, placeInRepository } from './lineage-repo.ts'

// A real repository shaped like a runtime's history (oldest first; depth = first-parent ancestors):
//
//   main:  c0 ─ c1 ─ c2 ─ c3 ─ c4 ─ c5 ─ m ─ c6        c2 tagged v3.13.0a1 (annotated);
//                    │         │         │            c2's commit date is earlier than c1's
//   3.13:            │         └ b1 ─ b2 │             b1 tagged v3.13.0b1; 3.13 forks at c3
//   side (deleted):  │           └─ s1 ──┘             merged into main by m (--no-ff)

const skip = gitMissing()

const root = mkdtempSync(join(tmpdir(), 'langperf-lineage-'))
after(() => rmSync(root, { recursive: true, force: true }))
const origin = join(root, 'origin')
/** The repository of the history drawn above; made by makeHistory(). */
let fixture: GitFixture | undefined

/** Runs git in the fixture's work tree (another with `-C dir`), with a fixed identity and dates. */
function git(...args: string[]): string {
  return (fixture as GitFixture).git(...args)
}

/** Commits a file change at `minute` past midnight (commit and author date); returns the sha. */
function commit(name: string, minute: number): string {
  return (fixture as GitFixture).commit({ [name]: name }, name, {
    date: `2024-01-01T00:${String(minute).padStart(2, '0')}:00Z`,
  })
}

/** Builds the history drawn above. */
function makeHistory() {
  fixture = initGitRepo(origin, {
    GIT_AUTHOR_DATE: '2024-01-01T00:00:00Z',
    GIT_COMMITTER_DATE: '2024-01-01T00:00:00Z',
  })
  const c0 = commit('c0', 1)
  const c1 = commit('c1', 5)
  const c2 = commit('c2', 3)
  git('tag', '-a', '-m', 'Python 3.13.0a1', 'v3.13.0a1')
  const c3 = commit('c3', 6)
  git('checkout', '--quiet', '-b', '3.13')
  const b1 = commit('b1', 7)
  git('tag', 'v3.13.0b1')
  const b2 = commit('b2', 8)
  git('checkout', '--quiet', 'main')
  const c4 = commit('c4', 9)
  git('checkout', '--quiet', '-b', 'side')
  const s1 = commit('s1', 10)
  git('checkout', '--quiet', 'main')
  const c5 = commit('c5', 11)
  git('merge', '--quiet', '--no-ff', '-m', 'Merge side', 'side')
  const m = git('rev-parse', 'HEAD')
  git('branch', '--quiet', '-D', 'side')
  const c6 = commit('c6', 12)
  return { c0, c1, c2, c3, b1, b2, c4, s1, c5, m, c6 }
}

const shas = skip ? null : makeHistory()
/** The fixture's commits (the tests are skipped when git is missing). */
const h = shas as NonNullable<typeof shas>

/** Facts with only what a test sets. */
function facts(over: Partial<LineageFacts>): LineageFacts {
  return { version: null, ref: null, fork: null, commitSha: null, ...over }
}

let opened: LineageRepository | undefined
/** The work tree's repository, opened once (its lines are read once). */
async function repo(): Promise<LineageRepository> {
  opened ??= await openLineageRepository(origin)
  return opened
}

test('the fixture has commit dates out of ancestry order', { skip }, () => {
  const date = (sha: string) => Number(git('show', '-s', '--format=%ct', sha))
  assert.ok(date(h.c2) < date(h.c1))
})

test('placeInRepository() orders main by ancestry, not by commit date', { skip }, async () => {
  const r = await repo()
  const line = [h.c0, h.c1, h.c2, h.c3, h.c4, h.c5, h.m, h.c6]
  const placed = await Promise.all(line.map((sha) => placeInRepository(r, facts({ commitSha: sha }))))
  assert.deepEqual(
    placed.map((p) => p.historyOrder),
    [0, 1, 2, 3, 4, 5, 6, 7],
  )
  for (const [i, p] of placed.entries()) {
    assert.equal(p.placement.branch, 'main')
    assert.equal(p.placement.rule, 'repository')
    assert.equal(p.fullSha, line[i])
    assert.deepEqual(p.warnings, [])
  }
})

test('placeInRepository() places a release branch commit on it, after the fork point', { skip }, async () => {
  const p = await placeInRepository(await repo(), facts({ commitSha: h.b2, version: '3.13.0b1+' }))
  assert.equal(p.placement.branch, '3.13')
  assert.equal(p.placement.rule, 'repository')
  assert.equal(p.historyOrder, 5)
  assert.deepEqual(p.warnings, [])
})

test('placeInRepository() places tags by where their commits lie', { skip }, async () => {
  const r = await repo()
  const alpha = await placeInRepository(r, facts({ ref: 'v3.13.0a1' }))
  assert.equal(alpha.fullSha, h.c2)
  assert.equal(alpha.placement.branch, 'main')
  assert.equal(alpha.placement.rule, 'repository')
  assert.equal(alpha.historyOrder, 2)
  assert.deepEqual(alpha.warnings, [])
  const beta = await placeInRepository(r, facts({ ref: 'v3.13.0b1', commitSha: h.b1.slice(0, 7) }))
  assert.equal(beta.fullSha, h.b1)
  assert.equal(beta.placement.branch, '3.13')
  assert.equal(beta.historyOrder, 4)
  assert.deepEqual(beta.warnings, [])
})

test('placeInRepository() puts a commit before the fork on the recorded branch, else on main', {
  skip,
}, async () => {
  const r = await repo()
  const recorded = await placeInRepository(r, facts({ commitSha: h.c1, ref: '3.13' }))
  assert.equal(recorded.placement.branch, '3.13')
  assert.equal(recorded.historyOrder, 1)
  assert.deepEqual(recorded.warnings, [])
  const hash = await placeInRepository(r, facts({ commitSha: h.c1, ref: h.c1 }))
  assert.equal(hash.placement.branch, 'main')
  assert.equal(hash.historyOrder, 1)
  assert.deepEqual(hash.warnings, [])
  const alpha = await placeInRepository(r, facts({ commitSha: h.c1, version: '3.13.0a1+' }))
  assert.equal(alpha.placement.branch, 'main')
  // The rules' branch wins over the trunk when both hold the commit.
  const release = await placeInRepository(r, facts({ commitSha: h.c1, version: '3.13.0b2+' }))
  assert.equal(release.placement.branch, '3.13')
})

test('placeInRepository() warns about a commit the repository lacks and falls back to the rules', {
  skip,
}, async () => {
  const f = facts({ commitSha: 'deadbeef'.repeat(5), version: '3.13.0a4+' })
  const p = await placeInRepository(await repo(), f)
  assert.deepEqual(p.placement, placeByRules(f))
  assert.equal(p.fullSha, null)
  assert.equal(p.historyOrder, null)
  assert.equal(p.warnings.length, 1)
  assert.match(p.warnings[0] ?? '', /commit "deadbeef.*" is not in the repository .*origin/)
})

test('placeInRepository() warns when the recorded branch does not contain the commit', { skip }, async () => {
  const p = await placeInRepository(await repo(), facts({ commitSha: h.b2, ref: 'main' }))
  assert.equal(p.placement.branch, '3.13')
  assert.equal(p.placement.rule, 'repository')
  assert.equal(p.historyOrder, 5)
  assert.deepEqual(p.warnings, [`branch main in ${origin} does not contain commit ${h.b2.slice(0, 10)}`])
})

test('placeInRepository() warns about a tag on another commit and a ref the repository lacks', {
  skip,
}, async () => {
  const r = await repo()
  const tag = await placeInRepository(r, facts({ commitSha: h.b2, ref: 'v3.13.0b1' }))
  assert.equal(tag.placement.branch, '3.13')
  assert.deepEqual(tag.warnings, [
    `tag v3.13.0b1 in ${origin} points at commit ${h.b1.slice(0, 10)}, not ${h.b2.slice(0, 10)}`,
  ])
  const missing = await placeInRepository(r, facts({ commitSha: h.c6, ref: 'feature-x' }))
  assert.equal(missing.placement.branch, 'main')
  assert.deepEqual(missing.warnings, [`recorded ref "feature-x" names no branch or tag in ${origin}`])
})

test('placeInRepository() gives a merged side commit no order and warns', { skip }, async () => {
  const f = facts({ commitSha: h.s1, ref: 'main' })
  const p = await placeInRepository(await repo(), f)
  assert.equal(p.fullSha, h.s1)
  assert.equal(p.historyOrder, null)
  assert.equal(p.placement.branch, placeByRules(f).branch)
  assert.equal(p.placement.rule, 'recorded-branch')
  assert.match(p.placement.note, /on no branch's first-parent history/)
  // main contains it (through the merge), so only the missing order is reported.
  assert.deepEqual(p.warnings, [
    `commit ${h.s1.slice(0, 10)} is on no branch's first-parent history in ${origin}: it cannot be ordered along a line`,
  ])
})

test('placeInRepository() never passes hostile recorded values to git as options', { skip }, async () => {
  const p = await placeInRepository(
    await repo(),
    facts({ commitSha: '--upload-pack=touch x', ref: '--output=x' }),
  )
  assert.equal(p.fullSha, null)
  assert.match(p.warnings[0] ?? '', /commit "--upload-pack=touch x" is not in the repository/)
  const q = await placeInRepository(await repo(), facts({ commitSha: h.c6, ref: '--output=x' }))
  assert.equal(q.placement.branch, 'main')
  assert.deepEqual(q.warnings, [`recorded ref "--output=x" names no branch or tag in ${origin}`])
})

test('openLineageRepository() opens PATH/.git, a bare repository and a clone with remote-tracking branches', {
  skip,
}, async () => {
  const dotGit = await openLineageRepository(join(origin, '.git'))
  assert.equal(dotGit.gitDir, join(origin, '.git'))
  const bare = join(root, 'bare.git')
  git('-C', root, 'clone', '--quiet', '--bare', origin, bare)
  const fromBare = await placeInRepository(await openLineageRepository(bare), facts({ commitSha: h.b1 }))
  assert.equal(fromBare.placement.branch, '3.13')
  assert.equal(fromBare.historyOrder, 4)
  // A clone has local main plus origin/main, origin/3.13 and origin/HEAD: names without the prefix.
  const clone = join(root, 'clone')
  git('-C', root, 'clone', '--quiet', origin, clone)
  const fromClone = await openLineageRepository(clone)
  const b2 = await placeInRepository(fromClone, facts({ commitSha: h.b2, ref: '3.13' }))
  assert.equal(b2.placement.branch, '3.13')
  assert.deepEqual(b2.warnings, [])
  const c4 = await placeInRepository(fromClone, facts({ commitSha: h.c4, ref: 'HEAD' }))
  assert.equal(c4.placement.branch, 'main')
  assert.equal(c4.historyOrder, 4)
})

test('placeInRepository() takes the first branch by name when several non-trunk lines hold a commit', {
  skip,
}, async () => {
  const bare = join(root, 'ambiguous.git')
  git('-C', root, 'clone', '--quiet', '--bare', origin, bare)
  git('-C', bare, 'branch', '3.13-fixes', h.b2)
  const p = await placeInRepository(await openLineageRepository(bare), facts({ commitSha: h.b1 }))
  assert.equal(p.placement.branch, '3.13')
  assert.equal(p.placement.rule, 'repository')
  assert.match(p.placement.note, /ambiguous: also on 3\.13-fixes/)
  assert.equal(p.historyOrder, 4)
})

test('openLineageRepository() refuses a directory that is no repository and a missing path', {
  skip,
}, async () => {
  const plain = join(root, 'plain')
  mkdirSync(plain)
  await assert.rejects(
    openLineageRepository(plain),
    (e) => e instanceof LangperfError && e.code === 'bad-input' && e.message.includes(plain),
  )
  await assert.rejects(
    openLineageRepository(join(root, 'missing')),
    (e) => e instanceof LangperfError && e.code === 'bad-input' && /found nothing/.test(e.message),
  )
})
