import assert from 'node:assert/strict'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { LangperfError } from '../lib/index.ts'
import type { GenericRecipe } from '../model/index.ts'
import {
  type ArtifactManifest,
  artifactKey,
  type BuildEvent,
  cachePaths,
  configHash,
  type EnsureBuiltOptions,
  ensureBuilt,
  evictArtifacts,
  listArtifacts,
  useArtifact,
} from './cache.ts'
import { ensureMirror, type Mirror } from './git.ts'
import { makeTestRepo } from './testing.ts'

const repo = makeTestRepo('langperf-cache-')
after(() => repo.cleanup())

/** The fixture's generic recipe: `make`, `make install PREFIX=$PREFIX`, measure bin/runtime. */
function recipe(extra: Partial<GenericRecipe> = {}): GenericRecipe {
  return {
    kind: 'generic',
    fetch: [],
    build: ['make'],
    install: ['make install PREFIX="$PREFIX"'],
    env: {},
    executable: 'bin/runtime',
    ...extra,
  }
}

/** A fixed clock that advances one minute per call, so last-used order is deterministic. */
function clock(): () => Date {
  let minutes = 0
  return () => new Date(Date.UTC(2024, 0, 1, 0, minutes++))
}

async function setup(
  name: string,
): Promise<{ mirror: Mirror; options: EnsureBuiltOptions; events: BuildEvent[] }> {
  const cacheDir = join(repo.root, name)
  const mirror = await ensureMirror(repo.origin, join(cacheDir, 'mirrors'))
  const events: BuildEvent[] = []
  return {
    mirror,
    events,
    options: {
      cacheDir,
      jobs: 2,
      stepTimeoutMs: 60_000,
      maxCacheBytes: 1e9,
      now: clock(),
      onEvent: (e) => events.push(e),
    },
  }
}

test('configHash() is the same for equal recipes written in any key order and differs otherwise', () => {
  const a = recipe({ env: { A: '1', B: '2' } })
  const b = { ...recipe(), executable: 'bin/runtime', env: { B: '2', A: '1' } }
  assert.equal(configHash(a), configHash(b))
  assert.notEqual(configHash(a), configHash(recipe({ env: { A: '1' } })))
  assert.match(configHash(a), /^[0-9a-f]{64}$/)
  assert.equal(artifactKey('c'.repeat(40), configHash(a)), `${'c'.repeat(40)}-${configHash(a).slice(0, 16)}`)
})

test('ensureBuilt() builds a commit with the generic recipe in a worktree, keeps the log and removes the worktree', async () => {
  const { mirror, options, events } = await setup('cache-build')
  const artifact = await ensureBuilt(
    {
      runtime: 'toy',
      config: 'default',
      recipe: recipe({ fetch: ['echo "src=$SRC commit=$COMMIT jobs=$JOBS"'] }),
      mirror,
      commit: 'main',
    },
    options,
  )
  const m = artifact.manifest
  assert.equal(artifact.cached, false)
  assert.equal(m.status, 'ok')
  assert.equal(m.failure, null)
  assert.equal(m.commit, repo.git('rev-parse', 'main'))
  assert.deepEqual(
    m.steps.map((s) => [s.name, s.exitCode]),
    [
      ['fetch[0]', 0],
      ['build[0]', 0],
      ['install[0]', 0],
    ],
  )
  assert.equal(m.executablePath, join(artifact.dir, 'prefix', 'bin', 'runtime'))
  assert.equal(readFileSync(m.executablePath as string, 'utf8'), '#!/bin/sh\necho 1\n')
  const log = readFileSync(m.logPath, 'utf8')
  assert.match(log, new RegExp(`commit=${m.commit} jobs=2`))
  assert.match(log, /\$ \/bin\/sh -c make\n/)
  assert.ok(m.sizeBytes > 0)
  assert.deepEqual(readdirSync(join(options.cacheDir, 'worktrees')), [])
  assert.deepEqual(
    events.map((e) => e.kind),
    [
      'build-start',
      'step-start',
      'step-end',
      'step-start',
      'step-end',
      'step-start',
      'step-end',
      'build-end',
    ],
  )
  assert.equal(JSON.parse(readFileSync(join(artifact.dir, 'manifest.json'), 'utf8')).status, 'ok')
})

test('ensureBuilt() returns the cached artifact the second time and updates its last use', async () => {
  const { mirror, options, events } = await setup('cache-hit')
  const marker = join(repo.root, 'cache-hit-count')
  const r = recipe({ fetch: [`echo built >> "${marker}"`] })
  const first = await ensureBuilt(
    { runtime: 'toy', config: 'default', recipe: r, mirror, commit: 'main' },
    options,
  )
  const second = await ensureBuilt(
    { runtime: 'toy', config: 'default', recipe: r, mirror, commit: 'main' },
    options,
  )
  assert.equal(second.cached, true)
  assert.equal(second.dir, first.dir)
  assert.ok(second.manifest.lastUsedAtUtc > first.manifest.lastUsedAtUtc)
  assert.equal(readFileSync(marker, 'utf8'), 'built\n')
  assert.deepEqual(events.at(-1), { kind: 'cache-hit', key: first.manifest.key, status: 'ok' })
  const rebuilt = await ensureBuilt(
    { runtime: 'toy', config: 'default', recipe: r, mirror, commit: 'main' },
    { ...options, rebuild: true },
  )
  assert.equal(rebuilt.cached, false)
  assert.equal(readFileSync(marker, 'utf8'), 'built\nbuilt\n')
})

test('a failed build is cached as failed with its log and is not retried until rebuild', async () => {
  const { mirror, options } = await setup('cache-failed')
  const marker = join(repo.root, 'cache-failed-count')
  // On a side branch, so main stays buildable for the other tests.
  repo.git('checkout', '--quiet', '-b', 'broken')
  const broken = repo.commit(
    { Makefile: 'runtime:\n\t@echo "error: the compiler is on strike" >&2; exit 3\n' },
    'Break the build',
  )
  repo.git('checkout', '--quiet', 'main')
  await ensureMirror(repo.origin, join(options.cacheDir, 'mirrors'))
  const r = recipe({ fetch: [`echo try >> "${marker}"`] })
  const failed = await ensureBuilt(
    { runtime: 'toy', config: 'default', recipe: r, mirror, commit: broken },
    options,
  )
  const m = failed.manifest
  assert.equal(m.status, 'failed')
  assert.equal(m.executablePath, null)
  assert.equal(m.failure?.step, 'build[0]')
  assert.match(m.failure?.reason ?? '', /Step build\[0\] failed with exit status 2/)
  assert.match(m.failure?.logTail ?? '', /the compiler is on strike/)
  assert.match(readFileSync(m.logPath, 'utf8'), /error: the compiler is on strike[\s\S]*# build\[0\]: FAILED/)
  assert.equal(existsSync(m.prefixDir), false)
  assert.equal(m.steps.length, 2, 'install never ran')
  const again = await ensureBuilt(
    { runtime: 'toy', config: 'default', recipe: r, mirror, commit: broken },
    options,
  )
  assert.equal(again.cached, true)
  assert.equal(again.manifest.status, 'failed')
  assert.equal(readFileSync(marker, 'utf8'), 'try\n')
  await ensureBuilt(
    { runtime: 'toy', config: 'default', recipe: r, mirror, commit: broken },
    { ...options, rebuild: true },
  )
  assert.equal(readFileSync(marker, 'utf8'), 'try\ntry\n')
})

test('a step that runs past its timeout is killed and the build recorded as failed', async () => {
  const { mirror, options } = await setup('cache-timeout')
  const artifact = await ensureBuilt(
    { runtime: 'toy', config: 'slow', recipe: recipe({ build: ['sleep 30'] }), mirror, commit: 'main' },
    { ...options, stepTimeoutMs: 300 },
  )
  assert.equal(artifact.manifest.status, 'failed')
  assert.equal(artifact.manifest.steps[0]?.timedOut, true)
  assert.match(artifact.manifest.failure?.reason ?? '', /timed out after 300 ms/)
})

test('a build whose executable is missing after install is failed, naming the path it expected', async () => {
  const { mirror, options } = await setup('cache-noexe')
  const artifact = await ensureBuilt(
    {
      runtime: 'toy',
      config: 'default',
      recipe: recipe({ executable: 'bin/nothing' }),
      mirror,
      commit: 'main',
    },
    options,
  )
  assert.equal(artifact.manifest.status, 'failed')
  assert.equal(artifact.manifest.failure?.step, 'executable')
  assert.match(artifact.manifest.failure?.reason ?? '', /expected "bin\/nothing"/)
})

test('eviction removes least recently used artifacts down to the size bound, never one in use', async () => {
  const { mirror, options } = await setup('cache-evict')
  // Each artifact installs a 100 kB blob next to the runtime.
  const big = (tag: string) =>
    recipe({ install: ['make install PREFIX="$PREFIX"', `head -c 100000 /dev/zero > "$PREFIX/blob-${tag}"`] })
  const build = (tag: string, extra: Partial<EnsureBuiltOptions> = {}) =>
    ensureBuilt(
      { runtime: 'toy', config: tag, recipe: big(tag), mirror, commit: 'main' },
      { ...options, ...extra },
    )
  const a = await build('a')
  const b = await build('b')
  const c = await build('c')
  assert.deepEqual(
    (await listArtifacts(options.cacheDir)).map((m) => m.config),
    ['a', 'b', 'c'],
  )
  // Using `a` makes it the most recently used: b and c go first, and eviction stops at the bound.
  await useArtifact(a, async () => {}, options)
  const evicted = await evictArtifacts(options.cacheDir, 150_000)
  assert.deepEqual(
    evicted.map((m: ArtifactManifest) => m.config),
    ['b', 'c'],
  )
  assert.equal(existsSync(b.dir), false)
  assert.equal(existsSync(c.dir), false)
  assert.equal(existsSync(a.dir), true)
  // A new build evicts down to the bound itself, sparing the artifact it just made.
  const d = await build('d', { maxCacheBytes: 150_000 })
  assert.equal(existsSync(d.dir), true)
  assert.equal(existsSync(a.dir), false)
  // An artifact in use stays even when the bound cannot be met: in this process…
  assert.deepEqual(await useArtifact(d, () => evictArtifacts(options.cacheDir, 0), options), [])
  assert.deepEqual(
    readdirSync(d.dir).filter((n) => n.startsWith('in-use.')),
    [],
  )
  // …or in another live process (its in-use.<pid> marker); a dead process's marker does not count.
  writeFileSync(join(d.dir, `in-use.${process.ppid}`), '')
  assert.deepEqual(await evictArtifacts(options.cacheDir, 0), [])
  rmSync(join(d.dir, `in-use.${process.ppid}`))
  writeFileSync(join(d.dir, 'in-use.999999999'), '')
  assert.deepEqual(
    (await evictArtifacts(options.cacheDir, 0)).map((m) => m.config),
    ['d'],
  )
})

test('concurrent ensureBuilt() calls for the same artifact share one build', async () => {
  const { mirror, options } = await setup('cache-concurrent')
  const marker = join(repo.root, 'cache-concurrent-count')
  const r = recipe({ fetch: [`echo built >> "${marker}"`] })
  const request = { runtime: 'toy', config: 'default', recipe: r, mirror, commit: 'main' }
  const [x, y] = await Promise.all([ensureBuilt(request, options), ensureBuilt(request, options)])
  assert.equal(x, y)
  assert.equal(readFileSync(marker, 'utf8'), 'built\n')
})

test('ensureBuilt() refuses to build over a build another live process is running, and eviction spares it', async () => {
  const { mirror, options } = await setup('cache-other-builder')
  const r = recipe()
  const commit = repo.git('rev-parse', 'main')
  const dir = join(cachePaths(options.cacheDir).artifacts, artifactKey(commit, configHash(r)))
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'building.json'), JSON.stringify({ pid: process.ppid }))
  await assert.rejects(
    ensureBuilt({ runtime: 'toy', config: 'default', recipe: r, mirror, commit }, options),
    (e) =>
      e instanceof LangperfError && e.code === 'conflict' && e.message.includes(`process ${process.ppid}`),
  )
  await evictArtifacts(options.cacheDir, 0)
  assert.equal(existsSync(dir), true)
  // Once that process is gone, its leftovers are abandoned: eviction removes them, a build replaces them.
  writeFileSync(join(dir, 'building.json'), JSON.stringify({ pid: 999_999_999 }))
  const built = await ensureBuilt({ runtime: 'toy', config: 'default', recipe: r, mirror, commit }, options)
  assert.equal(built.manifest.status, 'ok')
})
