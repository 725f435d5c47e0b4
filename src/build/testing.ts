import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

// Test support (not part of the room's surface): a tiny git repository whose "runtime" is a
// shell script built by a Makefile, made in a temporary directory by the test itself.

/** A scratch git repository and helpers to commit to it. */
export interface TestRepo {
  /** Root of the scratch area (the repository is `<root>/origin`). */
  readonly root: string
  readonly origin: string
  /** Writes files (relative path → content) and commits them; returns the new sha. */
  commit(
    files: Readonly<Record<string, string>>,
    subject: string,
    options?: { readonly date?: string },
  ): string
  git(...args: string[]): string
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
  mkdirSync(origin)
  const env = {
    ...process.env,
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'Test',
    GIT_AUTHOR_EMAIL: 'test@example.org',
    GIT_COMMITTER_NAME: 'Test',
    GIT_COMMITTER_EMAIL: 'test@example.org',
  }
  const git = (...args: string[]) => execFileSync('git', args, { cwd: origin, env, encoding: 'utf8' }).trim()
  git('init', '--quiet', '--initial-branch=main')
  let tick = 0
  const commit = (
    files: Readonly<Record<string, string>>,
    subject: string,
    options: { date?: string } = {},
  ) => {
    for (const [rel, content] of Object.entries(files)) {
      const path = join(origin, rel)
      mkdirSync(join(path, '..'), { recursive: true })
      writeFileSync(path, content)
      git('add', '--', rel)
    }
    tick++
    const date = options.date ?? `2024-01-01T00:${String(tick).padStart(2, '0')}:00Z`
    execFileSync('git', ['commit', '--quiet', '--allow-empty', '-m', subject], {
      cwd: origin,
      env: { ...env, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
    })
    return git('rev-parse', 'HEAD')
  }
  commit({ Makefile: FIXTURE_MAKEFILE, 'runtime.in': '#!/bin/sh\necho 1\n' }, 'Initial runtime')
  return { root, origin, commit, git, cleanup: () => rmSync(root, { recursive: true, force: true }) }
}
