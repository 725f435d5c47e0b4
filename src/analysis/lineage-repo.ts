import { stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import {
  findGitDir,
  firstParentShas,
  isAncestor,
  listBranchTips,
  type Mirror,
  resolveCommit,
} from '../build/index.ts'
import { LangperfError, quote } from '../lib/index.ts'
import {
  isCommitHash,
  isSafeRefName,
  type LineageFacts,
  type Placement,
  placeByRules,
  TRUNK,
} from '../model/index.ts'

// Lineage from a repository: a build's commit belongs to the branch whose first-parent history
// holds it, and its place along that line is its number of first-parent ancestors (ancestry, not
// commit dates, which rebases and clock skew make non-monotonic). Without a repository, or when git
// cannot place a commit, the rules of model/lineage.ts do (docs/lineage.md).
//
// First-parent lines share their lower part (from the commit where two lines meet, both follow
// the same first parents), so every commit on a loaded line is kept once, as a spot (segment,
// depth), and a line is a short chain of segments: CPython's ~120k commits on main are held once,
// however many maintenance branches fork from it. Each branch tip costs one `git rev-list
// --first-parent`, run only when a placement needs that branch. Ref names and recorded facts are
// untrusted: revisions reach git only as full shas or checked names (build/git.ts).

/** A runtime's git repository, opened for placing builds; its first-parent lines are read on demand and kept. */
export interface LineageRepository {
  /** Absolute path of the git directory (`PATH/.git`, or the bare repository itself). */
  readonly gitDir: string
  /** The path the repository was opened by, made absolute: messages name it. */
  readonly path: string
}

/** Where the repository places one build, and what in the recorded facts contradicts it. */
export interface RepositoryPlacement {
  /** Rule `repository` when git placed the commit; else the rules' answer, with its rule. */
  readonly placement: Placement
  /** The commit's full sha; null when the repository does not have it. */
  readonly fullSha: string | null
  /** Number of first-parent ancestors (root = 0); null when the commit is on no branch's first-parent line. */
  readonly historyOrder: number | null
  /** One sentence per recorded fact that the repository contradicts. */
  readonly warnings: readonly string[]
}

/** One stretch of a line: a segment, followed from this depth down to the segment's bottom. */
interface Stretch {
  readonly segment: number
  readonly maxDepth: number
}

/** A first-parent line, tip first: the stretches it runs through. */
type Line = readonly Stretch[]

/** Where a commit sits: the segment that first listed it and its number of first-parent ancestors. */
interface Spot {
  readonly segment: number
  readonly depth: number
}

/** What one repository object has read so far. */
interface Cache {
  /** Branch name (without `refs/heads/` or `refs/remotes/<remote>/`) → its distinct tip shas. */
  branches?: Promise<ReadonlyMap<string, readonly string[]>> | undefined
  readonly spots: Map<string, Spot>
  /** Per segment, the line below its bottom commit. */
  readonly below: Line[]
  /** Per tip sha, its first-parent line. */
  readonly lines: Map<string, Promise<Line>>
}

const caches = new WeakMap<LineageRepository, Cache>()
/** A recorded commit hash, full or abbreviated. */
const HEX_RE = /^[0-9a-f]{4,64}$/i

/** Opens a repository (work tree or bare, e.g. PATH/.git or a mirror dir); bad-input LangperfError naming the path when it is not one. */
export async function openLineageRepository(path: string): Promise<LineageRepository> {
  const absolute = resolve(path)
  const gitDir = await findGitDir(absolute)
  if (gitDir === null) {
    throw new LangperfError(
      'bad-input',
      `Cannot open repository ${quote(path, 200)}: expected a git work tree or bare repository, found ${await describePath(absolute)}`,
    )
  }
  return { gitDir, path: absolute }
}

/** What is at `path`, for an error message. */
async function describePath(path: string): Promise<string> {
  try {
    return (await stat(path)).isDirectory() ? 'a directory that is not one' : 'a file'
  } catch {
    return 'nothing'
  }
}

/** Places one build's commit. `facts` as in model/lineage.ts; the recorded ref may be a branch, a tag or a hash. */
export async function placeInRepository(
  repo: LineageRepository,
  facts: LineageFacts,
): Promise<RepositoryPlacement> {
  const rules = placeByRules(facts)
  const recorded = await readRecordedRef(repo, facts.ref?.trim() || null)
  const wanted = facts.commitSha?.trim() || recorded.sha
  if (!wanted) {
    const warnings = recorded.kind === 'unknown' ? [unknownRefWarning(repo, recorded.ref)] : []
    return { placement: rules, fullSha: null, historyOrder: null, warnings }
  }
  const fullSha = HEX_RE.test(wanted) ? await tryResolve(repo, wanted.toLowerCase()) : null
  if (fullSha === null) {
    const warnings = [`commit ${quote(wanted.slice(0, 64))} is not in the repository ${repo.path}`]
    return { placement: rules, fullSha: null, historyOrder: null, warnings }
  }
  const chosen = await chooseBranch(repo, fullSha, recorded, rules)
  const warnings = await refWarnings(repo, fullSha, recorded)
  if (chosen === null) return offLine(repo, fullSha, rules, warnings)
  const placement = {
    branch: chosen.branch,
    rule: 'repository',
    note: `commit ${short(fullSha)} is on the first-parent history of ${chosen.branch} in ${repo.path} (${chosen.why})${recorded.kind === 'hash' ? '; the recorded ref is a commit hash' : ''}`,
  } as const
  const spot = cacheOf(repo).spots.get(fullSha)
  return { placement, fullSha, historyOrder: spot?.depth ?? null, warnings }
}

/** The answer for a commit the repository has but no branch's first-parent line holds (a merged side branch's commit). */
function offLine(
  repo: LineageRepository,
  fullSha: string,
  rules: Placement,
  warnings: readonly string[],
): RepositoryPlacement {
  const where = `commit ${short(fullSha)} is on no branch's first-parent history in ${repo.path}`
  return {
    placement: { ...rules, note: `${rules.note}; ${where}` },
    fullSha,
    historyOrder: null,
    warnings: [...warnings, `${where}: it cannot be ordered along a line`],
  }
}

/** What the recorded ref names in the repository. */
type RecordedRef =
  | { readonly kind: 'none'; readonly sha?: undefined }
  | { readonly kind: 'hash' | 'branch' | 'unknown'; readonly ref: string; readonly sha?: undefined }
  | { readonly kind: 'tag'; readonly ref: string; readonly sha: string }

/** Reads the recorded ref as a commit hash, an existing branch, an existing tag (with its commit), or none of them. */
async function readRecordedRef(repo: LineageRepository, ref: string | null): Promise<RecordedRef> {
  if (ref === null) return { kind: 'none' }
  if (isCommitHash(ref)) return { kind: 'hash', ref }
  if ((await branchesOf(repo)).has(ref)) return { kind: 'branch', ref }
  const tagged = isSafeRefName(ref) ? await tryResolve(repo, `refs/tags/${ref}`) : null
  return tagged === null ? { kind: 'unknown', ref } : { kind: 'tag', ref, sha: tagged }
}

/** The full sha of a checked revision; null when the repository has no such commit. */
async function tryResolve(repo: LineageRepository, rev: string): Promise<string | null> {
  try {
    return await resolveCommit(mirrorOf(repo), rev)
  } catch (error) {
    if (error instanceof LangperfError && error.code === 'not-found') return null
    throw error
  }
}

/**
 * The branch for a commit among those whose first-parent line holds it: the recorded branch,
 * else the rules' branch, else the trunk (`main`, else `master`), else the first by name; null
 * when there is none. Lines are loaded in that order, all of them only when the first three fail.
 */
async function chooseBranch(
  repo: LineageRepository,
  fullSha: string,
  recorded: RecordedRef,
  rules: Placement,
): Promise<{ readonly branch: string; readonly why: string } | null> {
  const preferred: [string | null, string][] = [
    [recorded.kind === 'branch' ? recorded.ref : null, 'the recorded branch'],
    [rules.branch, `the rules' branch: ${rules.note}`],
    [TRUNK, 'the trunk'],
    ['master', 'the trunk'],
  ]
  for (const [name, why] of preferred) {
    if (name !== null && (await holds(repo, name, fullSha))) return { branch: name, why }
  }
  const candidates: string[] = []
  for (const name of [...(await branchesOf(repo)).keys()].sort()) {
    if (await holds(repo, name, fullSha)) candidates.push(name)
  }
  const [first, ...others] = candidates
  if (first === undefined) return null
  const why =
    others.length === 0 ? 'the only branch' : `ambiguous: also on ${others.join(', ')}; the first by name`
  return { branch: first, why }
}

/** Warnings for a recorded ref the repository contradicts: a branch without the commit, a tag on another commit, a name it lacks. */
async function refWarnings(
  repo: LineageRepository,
  fullSha: string,
  recorded: RecordedRef,
): Promise<string[]> {
  switch (recorded.kind) {
    case 'none':
      return []
    case 'hash':
      return fullSha.startsWith(recorded.ref.toLowerCase())
        ? []
        : [`recorded ref ${quote(recorded.ref)} is another commit than ${short(fullSha)}`]
    case 'branch':
      return (await contains(repo, recorded.ref, fullSha))
        ? []
        : [`branch ${recorded.ref} in ${repo.path} does not contain commit ${short(fullSha)}`]
    case 'tag':
      return recorded.sha === fullSha
        ? []
        : [
            `tag ${recorded.ref} in ${repo.path} points at commit ${short(recorded.sha)}, not ${short(fullSha)}`,
          ]
    case 'unknown':
      return [unknownRefWarning(repo, recorded.ref)]
  }
}

/** The warning for a recorded ref that names neither a branch nor a tag of the repository. */
function unknownRefWarning(repo: LineageRepository, ref: string): string {
  return `recorded ref ${quote(ref)} names no branch or tag in ${repo.path}`
}

/** True when branch `name` has the commit in its history: on its first-parent line, or merged into it. */
async function contains(repo: LineageRepository, name: string, fullSha: string): Promise<boolean> {
  if (await holds(repo, name, fullSha)) return true
  for (const tip of (await branchesOf(repo)).get(name) ?? []) {
    if (await isAncestor(mirrorOf(repo), fullSha, tip)) return true
  }
  return false
}

/** True when the first-parent line of branch `name` (any of its tips) holds the commit. */
async function holds(repo: LineageRepository, name: string, fullSha: string): Promise<boolean> {
  const tips = (await branchesOf(repo)).get(name) ?? []
  const cache = cacheOf(repo)
  for (const tip of tips) {
    const line = await lineOf(repo, tip)
    const spot = cache.spots.get(fullSha)
    if (spot && line.some((s) => s.segment === spot.segment && spot.depth <= s.maxDepth)) return true
  }
  return false
}

/** The first-parent line from `tip`, read once per repository object. */
function lineOf(repo: LineageRepository, tip: string): Promise<Line> {
  const cache = cacheOf(repo)
  let line = cache.lines.get(tip)
  if (line === undefined) {
    const known = cache.spots.get(tip)
    line = known
      ? Promise.resolve(lineThrough(cache, known))
      : firstParentShas(mirrorOf(repo), tip).then((shas) => addLine(cache, shas))
    cache.lines.set(tip, line)
    line.catch(() => cache.lines.delete(tip))
  }
  return line
}

/** The line through a known commit: its own segment from there down, then what lies below that segment. */
function lineThrough(cache: Cache, spot: Spot): Line {
  return [{ segment: spot.segment, maxDepth: spot.depth }, ...(cache.below[spot.segment] ?? [])]
}

/**
 * Records a first-parent history (newest first) as a new segment, down to the first commit some
 * loaded line already holds: from there on the two lines are one. Synchronous, so concurrent
 * loads never interleave inside it.
 */
function addLine(cache: Cache, shas: readonly string[]): Line {
  const segment = cache.below.length
  const top = shas.length - 1
  for (const [i, sha] of shas.entries()) {
    const known = cache.spots.get(sha)
    if (known) {
      const rest = lineThrough(cache, known)
      if (i === 0) return rest
      cache.below.push(rest)
      return [{ segment, maxDepth: top }, ...rest]
    }
    cache.spots.set(sha, { segment, depth: top - i })
  }
  cache.below.push([])
  return top < 0 ? [] : [{ segment, maxDepth: top }]
}

/** Branch names → distinct tip shas, read once: local and remote-tracking branches, prefixes dropped, `HEAD` skipped. */
function branchesOf(repo: LineageRepository): Promise<ReadonlyMap<string, readonly string[]>> {
  const cache = cacheOf(repo)
  cache.branches ??= listBranchTips(mirrorOf(repo)).then((tips) => {
    const byName = new Map<string, string[]>()
    for (const { ref, sha } of tips) {
      const name = branchName(ref)
      if (name === null) continue
      const shas = byName.get(name) ?? []
      if (!shas.includes(sha)) shas.push(sha)
      byName.set(name, shas)
    }
    return byName
  })
  cache.branches.catch(() => {
    cache.branches = undefined
  })
  return cache.branches
}

/** `refs/heads/3.13` and `refs/remotes/origin/3.13` → `3.13`; null for `HEAD` and other refs. */
function branchName(ref: string): string | null {
  const m = /^refs\/(?:heads\/|remotes\/[^/]+\/)(.+)$/.exec(ref)
  const name = m?.[1]
  return name === undefined || name === 'HEAD' ? null : name
}

/** The cache of one repository object, made on first use. */
function cacheOf(repo: LineageRepository): Cache {
  let cache = caches.get(repo)
  if (cache === undefined) {
    cache = { spots: new Map(), below: [], lines: new Map() }
    caches.set(repo, cache)
  }
  return cache
}

/** The repository as build/git.ts addresses one. */
function mirrorOf(repo: LineageRepository): Mirror {
  return { remote: repo.path, gitDir: repo.gitDir }
}

/** A sha as messages show it. */
function short(sha: string): string {
  return sha.slice(0, 10)
}
