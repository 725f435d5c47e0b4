import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

// Test support (not part of the room's production surface): scratch git repositories made by the
// tests themselves, with git's user and system configuration left out and a fixed identity, so
// that every machine makes the same commits.

/** The environment of git in tests: no user or system configuration, a fixed identity. */
export const GIT_TEST_ENV: Readonly<Record<string, string>> = {
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.org',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.org',
}

/** Why tests that need git cannot run (`git` is not installed), or false; for `test(…, { skip })`. */
export function gitMissing(): string | false {
  try {
    execFileSync('git', ['--version'], { stdio: 'ignore' })
    return false
  } catch {
    return 'git is not installed'
  }
}

/** A scratch git repository and the helpers that commit to it. */
export interface GitFixture {
  /** The repository's work tree. */
  readonly dir: string
  /** Writes files (relative path → content) and commits them; returns the new sha. */
  commit(
    files: Readonly<Record<string, string>>,
    subject: string,
    options?: { readonly date?: string },
  ): string
  /** Runs git in the work tree with the test environment; returns its output, trimmed. */
  git(...args: string[]): string
}

/**
 * Makes `dir` (created if absent) an empty repository on branch main. Commits are dated
 * 2024-01-01 00:01, 00:02, … unless a date is given; `env` adds to GIT_TEST_ENV (fixed dates
 * for merges and tags, say).
 */
export function initGitRepo(dir: string, env: Readonly<Record<string, string>> = {}): GitFixture {
  mkdirSync(dir, { recursive: true })
  const gitEnv = { ...process.env, ...GIT_TEST_ENV, ...env }
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: dir, env: gitEnv, encoding: 'utf8' }).trim()
  git('init', '--quiet', '--initial-branch=main')
  let tick = 0
  const commit = (
    files: Readonly<Record<string, string>>,
    subject: string,
    options: { date?: string } = {},
  ) => {
    for (const [rel, content] of Object.entries(files)) {
      const path = join(dir, rel)
      mkdirSync(join(path, '..'), { recursive: true })
      writeFileSync(path, content)
      git('add', '--', rel)
    }
    tick++
    const date = options.date ?? `2024-01-01T00:${String(tick).padStart(2, '0')}:00Z`
    execFileSync('git', ['commit', '--quiet', '--allow-empty', '-m', subject], {
      cwd: dir,
      env: { ...gitEnv, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
    })
    return git('rev-parse', 'HEAD')
  }
  return { dir, commit, git }
}

/** A scratch git repository in a temporary directory, and helpers to commit to it. */
export interface TestRepo extends Pick<GitFixture, 'commit' | 'git'> {
  /** Root of the scratch area (the repository is `<root>/origin`). */
  readonly root: string
  readonly origin: string
  cleanup(): void
}

/** The Makefile of the fixture runtime: `make` writes `runtime` from `runtime.in`, `make install` copies it to `$PREFIX/bin`. */
export const FIXTURE_MAKEFILE = [
  'runtime: runtime.in',
  '\tcp runtime.in runtime && chmod +x runtime',
  'install: runtime',
  '\tmkdir -p "$(PREFIX)/bin" && cp runtime "$(PREFIX)/bin/runtime"',
  '',
].join('\n')

/** Makes a repository with one commit (Makefile and a runtime that prints `version`) on branch main. */
export function makeTestRepo(prefix = 'langperf-build-'): TestRepo {
  const root = mkdtempSync(join(tmpdir(), prefix))
  const origin = join(root, 'origin')
  const { commit, git } = initGitRepo(origin)
  commit({ Makefile: FIXTURE_MAKEFILE, 'runtime.in': '#!/bin/sh\necho 1\n' }, 'Initial runtime')
  return { root, origin, commit, git, cleanup: () => rmSync(root, { recursive: true, force: true }) }
}
