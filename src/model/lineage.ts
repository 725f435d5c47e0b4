// Lineage: the line of development a build belongs to. A series follows one line — a branch
// (main, 3.13) of one runtime in one config on one machine — so that "previous build" and "first
// bad build" mean what an engineer means by them. Where a repository is known, git ancestry
// places a commit (analysis/lineage.ts); without one, these documented rules do, from what the
// producer recorded (docs/lineage.md).

/** The name langperf gives the trunk when a rule says "main" and nothing recorded names it. */
export const TRUNK = 'main'

/** How a build's line of development was decided. */
export const LINEAGE_RULES = [
  /** The user said so (`--branch`). */
  'override',
  /** The git repository: the branch whose first-parent history holds the commit. */
  'repository',
  /** The producer recorded a branch name (`commit_branch: main`). */
  'recorded-branch',
  /** A pre-release tag `vX.Y.0aN`: alphas are tagged on the trunk. */
  'tag-alpha',
  /** Any other release tag (`vX.Y.0bN`, `rcN`, `vX.Y.Z`): the X.Y maintenance branch. */
  'tag-release',
  /** A commit hash; the interpreter's version `X.Y.0aN[+]` is only built from the trunk. */
  'version-alpha',
  /** A commit hash; any other version (`X.Y.0b1+`, `X.Y.Z+`) comes from the X.Y branch. */
  'version-release',
  /** A fork's commit: its own line, `fork/branch`, never the upstream history. */
  'fork',
  /** No commit at all: an interpreter found on a machine; its version is its line. */
  'released-interpreter',
  /** Nothing recorded places it. */
  'unplaced',
] as const

export type LineageRule = (typeof LINEAGE_RULES)[number]

/** What a producer recorded about a build, as far as placing it goes. */
export interface LineageFacts {
  /** The interpreter's version (`3.13.0a5+`); may carry a suffix after a space. */
  readonly version: string | null
  /** What the producer recorded as the ref built: a branch, a tag or a commit hash. */
  readonly ref: string | null
  /** The fork the commit came from (`python` for CPython's own repository), when recorded. */
  readonly fork: string | null
  readonly commitSha: string | null
}

/** Where a build was placed and why. */
export interface Placement {
  /** The line of development; null when nothing places it. */
  readonly branch: string | null
  readonly rule: LineageRule
  /** One sentence a user can check: what was read and what it meant. */
  readonly note: string
}

const HEX_RE = /^[0-9a-f]{7,64}$/i
/** `v3.13.0a4`, `3.12.0rc2`, `v3.11.4`, `v2.7.18`. */
const TAG_RE = /^v?(\d+)\.(\d+)(?:\.(\d+))?(?:(a|b|rc|c)(\d+))?$/
/** `3.13.0a5+`, `3.14.0a0`, `3.13.0b1+`, `3.11.7`, `3.12.0rc3+`. */
const VERSION_RE = /^(\d+)\.(\d+)(?:\.(\d+))?(?:(a|b|rc|c)(\d+))?\+?$/
/** Forks whose commits are the upstream history of their runtime (bench_runner writes `python`). */
const UPSTREAM_FORKS = new Set(['python', 'cpython', 'pypy', 'upstream', 'origin'])

/** True when `ref` reads as a commit hash rather than a name. */
export function isCommitHash(ref: string): boolean {
  return HEX_RE.test(ref) && /\d/.test(ref) && /[a-f]/i.test(ref)
}

/** Reads `ref` as a release tag: its line (trunk for alphas, `X.Y` otherwise); null when it is no tag. */
export function lineOfTag(ref: string): { readonly branch: string; readonly alpha: boolean } | null {
  const m = TAG_RE.exec(ref)
  if (!m) return null
  // A bare `3.13` is a branch name, not a tag: a tag has a micro version or a pre-release.
  if (m[3] === undefined && m[4] === undefined) return null
  const alpha = m[4] === 'a'
  return { branch: alpha ? TRUNK : `${m[1]}.${m[2]}`, alpha }
}

/** Reads an interpreter version as its line (trunk for `X.Y.0aN`), null when unreadable. */
export function lineOfVersion(version: string): { readonly branch: string; readonly alpha: boolean } | null {
  const m = VERSION_RE.exec(version.trim().split(/\s/)[0] ?? '')
  if (!m) return null
  const alpha = m[4] === 'a'
  return { branch: alpha ? TRUNK : `${m[1]}.${m[2]}`, alpha }
}

/**
 * Places a build by the documented rules, without a repository:
 * 1. a commit from a fork other than the upstream one → `fork/ref` (an experiment);
 * 2. a recorded branch name → that branch;
 * 3. a release tag: `vX.Y.0aN` → the trunk (`main`), any other → `X.Y`;
 * 4. a commit hash (or nothing) with a version: `X.Y.0aN[+]` → the trunk, any other → `X.Y`;
 * 5. no commit at all → the interpreter's version (a released interpreter is its own line);
 * otherwise unplaced.
 * @example placeByRules({ version: '3.13.0a5+', ref: 'dcaf33a4…', fork: 'python', commitSha: 'dcaf33a' }).branch === 'main'
 */
export function placeByRules(facts: LineageFacts): Placement {
  const version = facts.version?.trim().split(/\s/)[0] || null
  const ref = facts.ref?.trim() || null
  // A ref that is the recorded commit itself is a hash, even one of digits only (1 in 27 short ones).
  const sha = facts.commitSha?.toLowerCase() ?? null
  const refIsHash =
    ref !== null &&
    (isCommitHash(ref) ||
      (HEX_RE.test(ref) &&
        sha !== null &&
        (ref.toLowerCase().startsWith(sha) || sha.startsWith(ref.toLowerCase()))))
  if (facts.fork && !UPSTREAM_FORKS.has(facts.fork.toLowerCase())) {
    const name = ref && !refIsHash ? ref : (facts.commitSha?.slice(0, 10) ?? 'unknown')
    return {
      branch: `${facts.fork}/${name}`,
      rule: 'fork',
      note: `commit of fork "${facts.fork}": its own line, not upstream history`,
    }
  }
  if (ref && !refIsHash) {
    const tag = lineOfTag(ref)
    if (tag) {
      return tag.alpha
        ? { branch: tag.branch, rule: 'tag-alpha', note: `tag ${ref} is an alpha, tagged on ${TRUNK}` }
        : {
            branch: tag.branch,
            rule: 'tag-release',
            note: `tag ${ref} is a release of the ${tag.branch} branch`,
          }
    }
    return { branch: ref, rule: 'recorded-branch', note: `branch ${ref} as recorded` }
  }
  if (facts.commitSha || ref) {
    const line = version ? lineOfVersion(version) : null
    if (line) {
      const what = ref ? 'a commit hash' : 'no ref'
      return line.alpha
        ? {
            branch: line.branch,
            rule: 'version-alpha',
            note: `${what} recorded; version ${version} is only built from ${TRUNK}`,
          }
        : {
            branch: line.branch,
            rule: 'version-release',
            note: `${what} recorded; version ${version} comes from the ${line.branch} branch`,
          }
    }
    return {
      branch: null,
      rule: 'unplaced',
      note: `commit ${(facts.commitSha ?? ref ?? '').slice(0, 10)}, ${ref ? 'a hash as its ref' : 'no ref'} and ${version ? `version "${version}"` : 'no version'}: no rule places it (give --repo or --branch)`,
    }
  }
  if (version) {
    return {
      branch: version,
      rule: 'released-interpreter',
      note: `no commit: interpreter ${version} is a line of its own`,
    }
  }
  return { branch: null, rule: 'unplaced', note: 'no commit, ref or version recorded' }
}

/** Names of a repository's trunk: a fork's line of that name is its own history, not an experiment. */
const TRUNK_NAMES = new Set(['main', 'master', 'trunk'])

/**
 * Whether a build placed on `branch` by `rule` is an experiment: a fork's branch other than its
 * trunk (`someone/faster-calls`), judged against its merge base rather than as a history. A
 * fork's trunk (`someone/main`, a fork benchmarked nightly) is a line of development like any.
 * @example isExperiment('someone/faster-calls', 'fork') === true
 * @example isExperiment('someone/main', 'fork') === false
 */
export function isExperiment(branch: string | null, rule: unknown): boolean {
  if (rule !== 'fork' || branch === null) return false
  const name = branch.slice(branch.indexOf('/') + 1)
  return !TRUNK_NAMES.has(name.toLowerCase())
}
