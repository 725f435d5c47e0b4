import { execFile } from 'node:child_process'
import { mkdir, rename, rm, stat } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { LangperfError, quote, sha256Hex } from '../lib/index.ts'
import { isSafeRefName } from '../model/index.ts'

// Git for the build room: a cached bare mirror per remote, commit listings in first-parent
// order, ranges and midpoints for bisection, and a worktree per commit. Every call is
// `execFile('git', args)`: no shell, nothing interpolated into a command string; revisions are
// checked (`isSafeRefName` or a hex sha) and passed after `--end-of-options` where git takes it,
// so a ref can never be read as an option. Commit subjects are untrusted data: they are parsed
// from NUL/unit-separator framed output and never fed back to a command.

/** A bare mirror of one remote, kept under the cache directory. */
export interface Mirror {
  readonly remote: string
  /** Absolute path of the bare repository. */
  readonly gitDir: string
}

/** One commit as listed from a branch. */
export interface CommitInfo {
  readonly sha: string
  /** First parent first. */
  readonly parents: readonly string[]
  /** Author date, ISO 8601 in UTC (`2024-05-01T12:00:00Z`). */
  readonly authorDateUtc: string
  /** The subject line: untrusted text, for display only. */
  readonly subject: string
  /**
   * Position on the branch's first-parent line (its first-parent ancestors; the root is 0), when
   * listed from a branch: the history order of the commit, which dates are not.
   */
  readonly firstParentPosition?: number
}

/** Options for git calls. */
export interface GitOptions {
  /** Kill git after this long (a clone of a large remote takes minutes). */
  readonly timeoutMs?: number
  /** Receives a line per git command run, for logs. */
  readonly onLog?: (line: string) => void
}

const DEFAULT_TIMEOUT_MS = 30 * 60 * 1000
const SHA_RE = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/
/** Field and record separators of `git log` output: a subject cannot contain NUL. */
const FIELD = '\x1f'

/** The environment of every git call: never prompt for credentials, stable messages. */
function gitEnv(): NodeJS.ProcessEnv {
  return { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: '', LC_ALL: 'C', GIT_OPTIONAL_LOCKS: '0' }
}

/** Runs git with `args`; resolves with stdout, rejects with a LangperfError carrying stderr. */
export function runGit(
  args: readonly string[],
  options: GitOptions & { readonly cwd?: string } = {},
): Promise<string> {
  options.onLog?.(`git ${args.join(' ')}`)
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      [...args],
      {
        cwd: options.cwd,
        env: gitEnv(),
        timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        killSignal: 'SIGKILL',
        maxBuffer: 256 * 1024 * 1024,
        encoding: 'utf8',
      },
      (error, stdout, stderr) => {
        if (error === null) {
          resolve(stdout)
          return
        }
        const code = (error as NodeJS.ErrnoException).code
        if (code === 'ENOENT') {
          reject(
            new LangperfError(
              'unavailable',
              'Cannot run git: expected a "git" executable on PATH, found none',
              { cause: error },
            ),
          )
          return
        }
        const why = error.killed
          ? `killed after ${options.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms`
          : `exit status ${String(error.code)}`
        const detail = stderr.trim().split('\n').slice(-5).join(' | ')
        reject(new GitError(args, `${why}${detail ? `: ${detail}` : ''}`, error))
      },
    )
  })
}

/** A git command that failed; `message` names the command and carries git's last lines. */
export class GitError extends LangperfError {
  readonly args: readonly string[]
  readonly detail: string
  constructor(args: readonly string[], detail: string, cause: unknown) {
    super('unavailable', `Cannot run ${quote(`git ${args.join(' ')}`, 200)}: ${detail}`, { cause })
    this.args = args
    this.detail = detail
  }
}

/** Directory name of the mirror of `remote`: a readable slug plus a hash, so two remotes never share one. */
export function mirrorDirName(remote: string): string {
  const base =
    remote
      .replace(/\.git$/, '')
      .split(/[/:]/)
      .filter(Boolean)
      .pop() ?? 'repo'
  const slug = base.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 40) || 'repo'
  return `${slug}-${sha256Hex(remote, 12)}.git`
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch {
    return false
  }
}

function checkRemote(remote: string): void {
  if (remote === '' || remote.startsWith('-') || /^(ext|fd)::/.test(remote)) {
    throw new LangperfError(
      'bad-input',
      `Cannot mirror remote ${quote(remote)}: expected a URL or a path, not an option or an ext::/fd:: transport`,
    )
  }
}

/**
 * Makes sure a bare mirror of `remote` exists under `<mirrorsDir>` and is up to date:
 * `git clone --mirror` the first time (into a temporary name, renamed when complete, so an
 * interrupted clone never looks like a mirror), then `git remote update --prune`.
 */
export async function ensureMirror(
  remote: string,
  mirrorsDir: string,
  options: GitOptions = {},
): Promise<Mirror> {
  checkRemote(remote)
  const gitDir = join(mirrorsDir, mirrorDirName(remote))
  if (await exists(gitDir)) {
    await runGit(['--git-dir', gitDir, 'remote', 'update', '--prune'], options)
    return { remote, gitDir }
  }
  await mkdir(mirrorsDir, { recursive: true })
  const partial = `${gitDir}.partial-${process.pid}`
  await rm(partial, { recursive: true, force: true })
  try {
    await runGit(['clone', '--mirror', '--quiet', '--', remote, partial], options)
    await rename(partial, gitDir)
  } catch (error) {
    await rm(partial, { recursive: true, force: true })
    throw error
  }
  return { remote, gitDir }
}

function checkRev(rev: string, action: string): void {
  if (!SHA_RE.test(rev) && !isSafeRefName(rev)) {
    throw new LangperfError(
      'bad-input',
      `Cannot ${action} ${quote(rev)}: expected a commit sha, branch or tag`,
    )
  }
}

/** The full sha of `rev` (a branch, tag or sha) in the mirror; `not-found` when it does not exist. */
export async function resolveCommit(mirror: Mirror, rev: string, options: GitOptions = {}): Promise<string> {
  checkRev(rev, 'resolve')
  try {
    const out = await runGit(
      ['--git-dir', mirror.gitDir, 'rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`],
      options,
    )
    return out.trim()
  } catch (error) {
    if (error instanceof GitError) {
      throw new LangperfError(
        'not-found',
        `Cannot find commit ${quote(rev)} in ${quote(mirror.remote, 200)}: no such branch, tag or commit`,
        { cause: error },
      )
    }
    throw error
  }
}

/** Parses `git log -z --format=%H%x1f%P%x1f%at%x1f%s` output. */
export function parseLog(text: string): CommitInfo[] {
  const out: CommitInfo[] = []
  for (const record of text.split('\0')) {
    const trimmed = record.replace(/^\n/, '')
    if (trimmed === '') continue
    const [sha, parents, at, ...subject] = trimmed.split(FIELD)
    if (sha === undefined || parents === undefined || at === undefined || !SHA_RE.test(sha)) {
      throw new LangperfError(
        'internal',
        `Cannot parse git log record ${quote(trimmed)}: expected sha, parents, date, subject`,
      )
    }
    out.push({
      sha,
      parents: parents === '' ? [] : parents.split(' '),
      authorDateUtc: new Date(Number(at) * 1000).toISOString().replace(/\.000Z$/, 'Z'),
      // A subject holding the separator itself is rejoined: it is data, kept as written.
      subject: subject.join(FIELD),
    })
  }
  return out
}

async function log(
  mirror: Mirror,
  revs: readonly string[],
  options: GitOptions & { readonly limit?: number },
): Promise<CommitInfo[]> {
  const args = [
    '--git-dir',
    mirror.gitDir,
    'log',
    '-z',
    '--first-parent',
    '--no-color',
    `--format=%H${FIELD}%P${FIELD}%at${FIELD}%s`,
  ]
  if (options.limit !== undefined) args.push(`--max-count=${options.limit}`)
  args.push('--end-of-options', ...revs, '--')
  return parseLog(await runGit(args, options))
}

/**
 * The commits of `branch` in first-parent order, oldest first: those after `since` (exclusive)
 * when given, else the newest `limit` (default 100).
 */
export async function listCommits(
  mirror: Mirror,
  branch: string,
  options: GitOptions & { readonly since?: string; readonly limit?: number } = {},
): Promise<CommitInfo[]> {
  checkRev(branch, 'list commits of')
  if (options.since !== undefined) checkRev(options.since, 'list commits since')
  const head = await resolveCommit(mirror, branch, options)
  const revs =
    options.since === undefined ? [head] : [head, `^${await resolveCommit(mirror, options.since, options)}`]
  const limit = options.since === undefined ? (options.limit ?? 100) : options.limit
  const commits = await log(mirror, revs, { ...options, ...(limit === undefined ? {} : { limit }) })
  // The listing is the newest stretch of head's first-parent line, so each commit's position
  // follows from head's.
  const count = Number(
    (
      await runGit(['--git-dir', mirror.gitDir, 'rev-list', '--first-parent', '--count', head], options)
    ).trim(),
  )
  return commits
    .reverse()
    .map((c, i, all) =>
      Number.isInteger(count) && count > 0 ? { ...c, firstParentPosition: count - all.length + i } : c,
    )
}

/** True when `ancestor` is `descendant` or one of its ancestors. */
export async function isAncestor(
  mirror: Mirror,
  ancestor: string,
  descendant: string,
  options: GitOptions = {},
): Promise<boolean> {
  const [a, d] = [
    await resolveCommit(mirror, ancestor, options),
    await resolveCommit(mirror, descendant, options),
  ]
  try {
    await runGit(['--git-dir', mirror.gitDir, 'merge-base', '--is-ancestor', a, d], options)
    return true
  } catch (error) {
    if (error instanceof GitError && /^exit status 1(:|$)/.test(error.detail)) return false
    throw error
  }
}

/**
 * The commits strictly between `good` and `bad` on `bad`'s first-parent line, oldest first
 * (bisection's candidates: `bad` itself is known bad, `good` known good). `good` must be an
 * ancestor of `bad`; otherwise `bad-input`.
 */
export async function commitsBetween(
  mirror: Mirror,
  good: string,
  bad: string,
  options: GitOptions = {},
): Promise<CommitInfo[]> {
  const [g, b] = [await resolveCommit(mirror, good, options), await resolveCommit(mirror, bad, options)]
  if (!(await isAncestor(mirror, g, b, options))) {
    throw new LangperfError(
      'bad-input',
      `Cannot list commits between ${quote(good)} and ${quote(bad)}: expected the first to be an ancestor of the second`,
    )
  }
  const inRange = (await log(mirror, [b, `^${g}`], options)).reverse()
  return inRange.filter((c) => c.sha !== b)
}

/** One commit of a blame range, for people to read. */
export interface RangeCommit {
  readonly sha: string
  /** Author date, ISO 8601 UTC. */
  readonly authorDateUtc: string
  /** Untrusted text, at most 200 characters. */
  readonly author: string
  /** Untrusted text, at most 300 characters. */
  readonly subject: string
}

/**
 * The commits of the range (`good`, `bad`] on `bad`'s first-parent line, newest first, at most
 * `limit` (1–1000) of them, and how many there are in all. One `git log -z` with a NUL-separated
 * format (never a shell); `not-found` when an end is not in the mirror.
 */
export async function rangeCommits(
  mirror: Mirror,
  good: string,
  bad: string,
  options: GitOptions & { readonly limit: number },
): Promise<{ readonly commits: readonly RangeCommit[]; readonly total: number }> {
  if (!(Number.isSafeInteger(options.limit) && options.limit >= 1 && options.limit <= 1000)) {
    throw new LangperfError(
      'bad-input',
      `Cannot list a range: expected limit 1–1000, found ${quote(options.limit)}`,
    )
  }
  const [g, b] = [await resolveCommit(mirror, good, options), await resolveCommit(mirror, bad, options)]
  const git = ['--git-dir', mirror.gitDir]
  const out = await runGit(
    [
      ...git,
      'log',
      '-z',
      '--first-parent',
      '--no-color',
      `--max-count=${options.limit}`,
      `--format=%H${FIELD}%at${FIELD}%an${FIELD}%s`,
      '--end-of-options',
      b,
      `^${g}`,
      '--',
    ],
    options,
  )
  const commits: RangeCommit[] = []
  for (const record of out.split('\0')) {
    const [sha, at, author, ...subject] = record.replace(/^\n/, '').split(FIELD)
    if (sha === undefined || !SHA_RE.test(sha) || at === undefined) continue
    commits.push({
      sha,
      authorDateUtc: new Date(Number(at) * 1000).toISOString().replace(/\.000Z$/, 'Z'),
      author: (author ?? '').slice(0, 200),
      subject: subject.join(FIELD).slice(0, 300),
    })
  }
  const total = Number(
    (
      await runGit(
        [...git, 'rev-list', '--first-parent', '--count', '--end-of-options', b, `^${g}`, '--'],
        options,
      )
    ).trim(),
  )
  return { commits, total: Number.isSafeInteger(total) ? total : commits.length }
}

/**
 * The commit to test next when bisecting `candidates` (oldest first, as `commitsBetween`
 * gives them): the middle one, the lower middle for an even count; null when there is none
 * (then `bad` is the first bad commit).
 */
export function midpointOf<T>(candidates: readonly T[]): T | null {
  if (candidates.length === 0) return null
  return candidates[Math.floor((candidates.length - 1) / 2)] as T
}

/** The middle commit strictly between `good` and `bad` in first-parent order, or null when they are adjacent. */
export async function midpointCommit(
  mirror: Mirror,
  good: string,
  bad: string,
  options: GitOptions = {},
): Promise<CommitInfo | null> {
  return midpointOf(await commitsBetween(mirror, good, bad, options))
}

/** A checked-out commit; remove it with `removeWorktree`. */
export interface Worktree {
  readonly mirror: Mirror
  readonly dir: string
  readonly sha: string
}

/** `git worktree add --detach <dir> <sha>`: a clean checkout of one commit, sharing the mirror's objects. */
export async function addWorktree(
  mirror: Mirror,
  sha: string,
  dir: string,
  options: GitOptions = {},
): Promise<Worktree> {
  const full = await resolveCommit(mirror, sha, options)
  await rm(dir, { recursive: true, force: true })
  await runGit(['--git-dir', mirror.gitDir, 'worktree', 'prune'], options)
  await mkdir(dirname(dir), { recursive: true })
  await runGit(
    ['--git-dir', mirror.gitDir, 'worktree', 'add', '--detach', '--force', '--quiet', dir, full],
    options,
  )
  return { mirror, dir, sha: full }
}

/** Removes a worktree's files and its registration in the mirror. */
export async function removeWorktree(worktree: Worktree, options: GitOptions = {}): Promise<void> {
  await rm(worktree.dir, { recursive: true, force: true })
  await runGit(['--git-dir', worktree.mirror.gitDir, 'worktree', 'prune'], options)
}

/**
 * Runs `fn` in a fresh worktree of `checkout.sha` from `checkout.mirror` under `checkout.dir`,
 * removing it afterwards whatever happens.
 */
export async function withWorktree<T>(
  checkout: { readonly mirror: Mirror; readonly sha: string; readonly dir: string },
  fn: (worktree: Worktree) => Promise<T>,
  options: GitOptions = {},
): Promise<T> {
  const worktree = await addWorktree(checkout.mirror, checkout.sha, checkout.dir, options)
  try {
    return await fn(worktree)
  } finally {
    await removeWorktree(worktree, options)
  }
}

/**
 * The absolute git directory of `path`: a bare repository or a `.git` directory itself, or a
 * work tree whose `.git` is one; null when it is none. Passed as `--git-dir`, so git never
 * searches the parent directories for another repository.
 */
export async function findGitDir(path: string, options: GitOptions = {}): Promise<string | null> {
  for (const candidate of [path, join(path, '.git')]) {
    try {
      const out = await runGit(['--git-dir', candidate, 'rev-parse', '--absolute-git-dir'], options)
      return out.trim()
    } catch (error) {
      if (!(error instanceof GitError)) throw error
    }
  }
  return null
}

/** A branch or remote-tracking branch: its full ref name (untrusted data) and the commit it points at. */
export interface BranchTip {
  /** `refs/heads/main`, `refs/remotes/origin/3.13`. */
  readonly ref: string
  readonly sha: string
}

/**
 * Every branch (`refs/heads/*`) and remote-tracking branch (`refs/remotes/*`) that points at a
 * commit, symbolic refs (`origin/HEAD`) skipped. Ref names are untrusted: read from NUL-framed
 * output, and only names `isSafeRefName` accepts are kept.
 */
export async function listBranchTips(mirror: Mirror, options: GitOptions = {}): Promise<BranchTip[]> {
  const out = await runGit(
    [
      '--git-dir',
      mirror.gitDir,
      'for-each-ref',
      '--format=%(objectname)%00%(objecttype)%00%(symref)%00%(refname)',
      'refs/heads/',
      'refs/remotes/',
    ],
    options,
  )
  const tips: BranchTip[] = []
  for (const line of out.split('\n')) {
    const [sha, type, symref, ref] = line.split('\0')
    if (sha === undefined || ref === undefined || !SHA_RE.test(sha)) continue
    if (type !== 'commit' || symref !== '' || !isSafeRefName(ref)) continue
    tips.push({ ref, sha })
  }
  return tips
}

/**
 * The first-parent history of `rev`, newest first (`git rev-list --first-parent`): full shas,
 * the root last, so a commit's index from the end is its number of first-parent ancestors.
 */
export async function firstParentShas(
  mirror: Mirror,
  rev: string,
  options: GitOptions = {},
): Promise<string[]> {
  checkRev(rev, 'list the first-parent history of')
  const out = await runGit(
    ['--git-dir', mirror.gitDir, 'rev-list', '--first-parent', '--end-of-options', rev, '--'],
    options,
  )
  const shas = out.split('\n').filter((line) => line !== '')
  for (const sha of shas) {
    if (!SHA_RE.test(sha)) {
      throw new LangperfError(
        'internal',
        `Cannot parse git rev-list line ${quote(sha)}: expected a commit sha`,
      )
    }
  }
  return shas
}
