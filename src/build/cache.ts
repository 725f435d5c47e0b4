import { lstat, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { canonicalJson, LangperfError, quote, sha256Hex } from '../lib/index.ts'
import type { RecipeDefinition } from '../model/index.ts'
import { type Mirror, resolveCommit, withWorktree } from './git.ts'
import { type RecipeEvent, runRecipe, type StepRecord } from './recipes.ts'

// The artifact cache: one directory per (commit, config hash) under `<cacheDir>/artifacts/`,
// holding `prefix/` (the installed runtime), `build.log` and `manifest.json`. A failed build is
// cached too, with its log, so the nightly records "failed build" on the timeline instead of a
// gap, and does not retry it every night (`rebuild: true` forces). Eviction keeps the total size
// under a bound, least recently used first, never touching an artifact in use.
//
// CPython bakes its prefix into the binary (sys.prefix), so a build installs straight into its
// final directory and an artifact is never moved.

/**
 * Version of the recipes' behaviour, part of the config hash: bump it when a recipe's steps
 * change meaning, so old artifacts are not mistaken for new ones.
 */
export const RECIPE_VERSION = 1

/** Manifest format version. History: 1 — first version. */
export const MANIFEST_VERSION = 1

/** How a cached build ended. */
export const ARTIFACT_STATUSES = ['ok', 'failed', 'unsupported'] as const
/** One of ARTIFACT_STATUSES. */
export type ArtifactStatus = (typeof ARTIFACT_STATUSES)[number]

/** `manifest.json` of one artifact. */
export interface ArtifactManifest {
  readonly manifestVersion: typeof MANIFEST_VERSION
  /** `<commit>-<first 16 hex of the config hash>`: the directory name. */
  readonly key: string
  readonly runtime: string
  readonly config: string
  readonly commit: string
  readonly configHash: string
  readonly recipe: RecipeDefinition
  readonly status: ArtifactStatus
  /** Why it is not `ok`: the step, a reason, the last lines of output. */
  readonly failure: { readonly step: string; readonly reason: string; readonly logTail: string } | null
  readonly steps: readonly StepRecord[]
  /** Wall time of the whole build (worktree, steps, size). */
  readonly buildDurationMs: number
  /** Bytes on disk: prefix and log. */
  readonly sizeBytes: number
  readonly prefixDir: string
  readonly logPath: string
  /** The executable to measure; null unless `ok`. */
  readonly executablePath: string | null
  readonly createdAtUtc: string
  readonly lastUsedAtUtc: string
}

/** An artifact found or built by ensureBuilt. */
export interface Artifact {
  readonly dir: string
  readonly manifest: ArtifactManifest
  /** True when it came from the cache rather than a build just now. */
  readonly cached: boolean
}

/** What to build. */
export interface BuildRequest {
  /** Runtime name, as in the configuration. */
  readonly runtime: string
  /** Build config name. */
  readonly config: string
  readonly recipe: RecipeDefinition
  readonly mirror: Mirror
  /** A sha (or a ref, resolved in the mirror). */
  readonly commit: string
}

/** Progress of ensureBuilt. */
export type BuildEvent =
  | { readonly kind: 'cache-hit'; readonly key: string; readonly status: ArtifactStatus }
  | {
      readonly kind: 'build-start'
      readonly key: string
      readonly runtime: string
      readonly config: string
      readonly commit: string
    }
  | (RecipeEvent & { readonly key: string })
  | {
      readonly kind: 'build-end'
      readonly key: string
      readonly status: ArtifactStatus
      readonly durationMs: number
    }
  | { readonly kind: 'evicted'; readonly key: string; readonly sizeBytes: number }

/** Options of ensureBuilt. */
export interface EnsureBuiltOptions {
  /** Holds `artifacts/` and `worktrees/`. */
  readonly cacheDir: string
  readonly jobs: number
  readonly stepTimeoutMs: number
  /** After a build, artifacts are evicted until the total is at most this. */
  readonly maxCacheBytes: number
  /** Build again even when an artifact (ok or failed) exists. */
  readonly rebuild?: boolean
  readonly onEvent?: (event: BuildEvent) => void
  readonly onOutput?: (chunk: string) => void
  /** The clock, for created/last-used times (tests pass a fixed one). */
  readonly now?: () => Date
}

const MANIFEST_FILE = 'manifest.json'
const BUILDING_FILE = 'building.json'
const LOG_FILE = 'build.log'
const PREFIX_DIR = 'prefix'
const IN_USE_PREFIX = 'in-use.'

/** sha256 of the canonical JSON of the recipe (with RECIPE_VERSION): equal definitions, equal hashes. */
export function configHash(recipe: RecipeDefinition): string {
  return sha256Hex(canonicalJson({ recipeVersion: RECIPE_VERSION, recipe }))
}

/** The directory name of the artifact of `commit` built with the config of hash `hash`. */
export function artifactKey(commit: string, hash: string): string {
  return `${commit}-${hash.slice(0, 16)}`
}

/** The cache's directories: bare mirrors, build worktrees, artifacts. */
export function cachePaths(cacheDir: string): {
  readonly mirrors: string
  readonly worktrees: string
  readonly artifacts: string
} {
  return {
    mirrors: join(cacheDir, 'mirrors'),
    worktrees: join(cacheDir, 'worktrees'),
    artifacts: join(cacheDir, 'artifacts'),
  }
}

function artifactsDir(cacheDir: string): string {
  return cachePaths(cacheDir).artifacts
}

/** The pid of a live process building into `dir`, or null. */
async function livingBuilder(dir: string): Promise<number | null> {
  try {
    const { pid } = JSON.parse(await readFile(join(dir, BUILDING_FILE), 'utf8')) as { pid: number }
    return Number.isInteger(pid) && isAlive(pid) ? pid : null
  } catch {
    return null
  }
}

function isoUtc(date: Date): string {
  return date.toISOString()
}

/** Writes JSON atomically (temporary file, then rename), so a reader never sees half a manifest. */
async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`)
  await rename(tmp, path)
}

async function readManifest(dir: string): Promise<ArtifactManifest | null> {
  let text: string
  try {
    text = await readFile(join(dir, MANIFEST_FILE), 'utf8')
  } catch {
    return null
  }
  try {
    const manifest = JSON.parse(text) as ArtifactManifest
    return manifest.manifestVersion === MANIFEST_VERSION ? manifest : null
  } catch {
    // A damaged manifest is treated as no artifact: it will be rebuilt.
    return null
  }
}

/** Total bytes of the files under `path` (symlinks counted as links, not followed). */
export async function diskSizeBytes(path: string): Promise<number> {
  let st: Awaited<ReturnType<typeof lstat>>
  try {
    st = await lstat(path)
  } catch {
    return 0
  }
  if (!st.isDirectory()) return st.size
  let total = 0
  for (const name of await readdir(path)) total += await diskSizeBytes(join(path, name))
  return total
}

/** The cached artifact of (`commit`, `recipe`), or null when there is none. Does not touch its last-used time. */
export async function findArtifact(
  cacheDir: string,
  commit: string,
  recipe: RecipeDefinition,
): Promise<Artifact | null> {
  const dir = join(artifactsDir(cacheDir), artifactKey(commit, configHash(recipe)))
  const manifest = await readManifest(dir)
  return manifest === null ? null : { dir, manifest, cached: true }
}

/** Every complete artifact in the cache, least recently used first. */
export async function listArtifacts(cacheDir: string): Promise<ArtifactManifest[]> {
  let names: string[]
  try {
    names = await readdir(artifactsDir(cacheDir))
  } catch {
    return []
  }
  const manifests = await Promise.all(names.map((n) => readManifest(join(artifactsDir(cacheDir), n))))
  return manifests
    .filter((m): m is ArtifactManifest => m !== null)
    .sort(
      (a, b) =>
        a.lastUsedAtUtc.localeCompare(b.lastUsedAtUtc) || a.createdAtUtc.localeCompare(b.createdAtUtc),
    )
}

// --- in use -----------------------------------------------------------------------------------

const inUse = new Map<string, number>()

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** True when this process or another live one is using the artifact in `dir`. */
async function isInUse(dir: string, key: string): Promise<boolean> {
  if ((inUse.get(key) ?? 0) > 0) return true
  let names: string[]
  try {
    names = await readdir(dir)
  } catch {
    return false
  }
  for (const name of names) {
    if (!name.startsWith(IN_USE_PREFIX)) continue
    const pid = Number(name.slice(IN_USE_PREFIX.length))
    if (Number.isInteger(pid) && isAlive(pid)) return true
  }
  return false
}

/**
 * Runs `fn` with the artifact marked in use (in this process and, through an `in-use.<pid>`
 * file, for other processes), so eviction cannot delete it meanwhile; updates its last-used time.
 */
export async function useArtifact<T>(
  artifact: Artifact,
  fn: (artifact: Artifact) => Promise<T>,
  options: { now?: () => Date } = {},
): Promise<T> {
  const key = artifact.manifest.key
  const marker = join(artifact.dir, `${IN_USE_PREFIX}${process.pid}`)
  const count = inUse.get(key) ?? 0
  inUse.set(key, count + 1)
  if (count === 0) await writeFile(marker, '')
  try {
    await touch(artifact.dir, (options.now ?? (() => new Date()))())
    return await fn(artifact)
  } finally {
    const left = (inUse.get(key) ?? 1) - 1
    if (left === 0) {
      inUse.delete(key)
      await rm(marker, { force: true })
    } else inUse.set(key, left)
  }
}

async function touch(dir: string, now: Date): Promise<ArtifactManifest | null> {
  const manifest = await readManifest(dir)
  if (manifest === null) return null
  const updated: ArtifactManifest = { ...manifest, lastUsedAtUtc: isoUtc(now) }
  await writeJsonAtomic(join(dir, MANIFEST_FILE), updated)
  return updated
}

// --- eviction ---------------------------------------------------------------------------------

/**
 * Deletes artifacts, least recently used first, until the total size is at most `maxBytes`;
 * never one in use (this process or another live one) nor one in `keep`. Directories left by
 * a build whose process died are removed too. Returns the evicted manifests.
 */
export async function evictArtifacts(
  cacheDir: string,
  maxBytes: number,
  options: { readonly keep?: readonly string[]; readonly onEvent?: (event: BuildEvent) => void } = {},
): Promise<ArtifactManifest[]> {
  await removeAbandonedBuilds(cacheDir)
  const manifests = await listArtifacts(cacheDir)
  let total = manifests.reduce((sum, m) => sum + m.sizeBytes, 0)
  const keep = new Set(options.keep ?? [])
  const evicted: ArtifactManifest[] = []
  for (const manifest of manifests) {
    if (total <= maxBytes) break
    const dir = join(artifactsDir(cacheDir), manifest.key)
    if (keep.has(manifest.key) || (await isInUse(dir, manifest.key))) continue
    await rm(dir, { recursive: true, force: true })
    total -= manifest.sizeBytes
    evicted.push(manifest)
    options.onEvent?.({ kind: 'evicted', key: manifest.key, sizeBytes: manifest.sizeBytes })
  }
  return evicted
}

async function removeAbandonedBuilds(cacheDir: string): Promise<void> {
  let names: string[]
  try {
    names = await readdir(artifactsDir(cacheDir))
  } catch {
    return
  }
  for (const name of names) {
    const dir = join(artifactsDir(cacheDir), name)
    if ((await readManifest(dir)) !== null || (await livingBuilder(dir)) !== null) continue
    await rm(dir, { recursive: true, force: true })
  }
}

// --- building -----------------------------------------------------------------------------------

const pending = new Map<string, Promise<Artifact>>()

/**
 * The artifact of `request`: from the cache when it was built before (ok, failed or
 * unsupported alike, unless `rebuild`), else built now in a fresh worktree (removed after) and
 * cached. Then evicts down to `maxCacheBytes`, sparing this artifact. Concurrent calls for the
 * same artifact in one process share one build.
 */
export async function ensureBuilt(request: BuildRequest, options: EnsureBuiltOptions): Promise<Artifact> {
  if (!Number.isInteger(options.jobs) || options.jobs < 1) {
    throw new LangperfError(
      'bad-input',
      `Cannot build with jobs ${quote(options.jobs)}: expected a positive integer`,
    )
  }
  const commit = await resolveCommit(request.mirror, request.commit)
  const hash = configHash(request.recipe)
  const key = artifactKey(commit, hash)
  const running = pending.get(key)
  if (running !== undefined) return running
  const promise = buildOrReuse(request, { commit, hash, key }, options).finally(() => pending.delete(key))
  pending.set(key, promise)
  return promise
}

/** What names an artifact: its resolved commit, its recipe's config hash, and the cache key of both. */
interface ArtifactId {
  readonly commit: string
  readonly hash: string
  readonly key: string
}

/** ensureBuilt's work once no other call in this process is at artifact `id`: reuse it from the cache, or build it now. */
async function buildOrReuse(
  request: BuildRequest,
  id: ArtifactId,
  options: EnsureBuiltOptions,
): Promise<Artifact> {
  const { commit, hash, key } = id
  const now = options.now ?? (() => new Date())
  const dir = join(artifactsDir(options.cacheDir), key)
  if (options.rebuild !== true) {
    const touched = await touch(dir, now())
    if (touched !== null) {
      options.onEvent?.({ kind: 'cache-hit', key, status: touched.status })
      return { dir, manifest: touched, cached: true }
    }
  } else if (await isInUse(dir, key)) {
    throw new LangperfError('conflict', `Cannot rebuild ${quote(key)}: the artifact is in use`)
  }
  const builder = await livingBuilder(dir)
  if (builder !== null) {
    // Another process is building the same artifact: building over it would corrupt both.
    throw new LangperfError('conflict', `Cannot build ${quote(key)}: process ${builder} is building it now`)
  }
  const t0 = performance.now()
  await rm(dir, { recursive: true, force: true })
  await mkdir(dir, { recursive: true })
  await writeJsonAtomic(join(dir, BUILDING_FILE), { pid: process.pid, startedAtUtc: isoUtc(now()) })
  options.onEvent?.({ kind: 'build-start', key, runtime: request.runtime, config: request.config, commit })
  const prefixDir = join(dir, PREFIX_DIR)
  const logPath = join(dir, LOG_FILE)
  const worktreeDir = join(cachePaths(options.cacheDir).worktrees, key)
  let outcome: Awaited<ReturnType<typeof runRecipe>>
  try {
    outcome = await withWorktree({ mirror: request.mirror, sha: commit, dir: worktreeDir }, (worktree) =>
      runRecipe(
        request.recipe,
        { srcDir: worktree.dir, prefix: prefixDir, jobs: options.jobs, commit },
        {
          logFile: logPath,
          stepTimeoutMs: options.stepTimeoutMs,
          onEvent: (event) => options.onEvent?.({ ...event, key }),
          ...(options.onOutput ? { onOutput: options.onOutput } : {}),
        },
      ),
    )
  } catch (error) {
    // Not a failed build but a failure to try (git, disk): nothing is cached, the caller sees the error.
    await rm(dir, { recursive: true, force: true })
    throw error
  }
  // A failed or unsupported build keeps only its log: a half-installed prefix is of no use.
  if (outcome.status !== 'ok') await rm(prefixDir, { recursive: true, force: true })
  const createdAtUtc = isoUtc(now())
  const manifest: ArtifactManifest = {
    manifestVersion: MANIFEST_VERSION,
    key,
    runtime: request.runtime,
    config: request.config,
    commit,
    configHash: hash,
    recipe: request.recipe,
    status: outcome.status,
    failure:
      outcome.status === 'failed'
        ? { step: outcome.failedStep, reason: outcome.reason, logTail: outcome.logTail }
        : outcome.status === 'unsupported'
          ? { step: 'configure', reason: outcome.reason, logTail: '' }
          : null,
    steps: outcome.steps,
    buildDurationMs: Math.round(performance.now() - t0),
    sizeBytes: (await diskSizeBytes(prefixDir)) + (await diskSizeBytes(logPath)),
    prefixDir,
    logPath,
    executablePath: outcome.status === 'ok' ? outcome.executablePath : null,
    createdAtUtc,
    lastUsedAtUtc: createdAtUtc,
  }
  await writeJsonAtomic(join(dir, MANIFEST_FILE), manifest)
  await rm(join(dir, BUILDING_FILE), { force: true })
  options.onEvent?.({ kind: 'build-end', key, status: manifest.status, durationMs: manifest.buildDurationMs })
  await evictArtifacts(options.cacheDir, options.maxCacheBytes, {
    keep: [key],
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
  })
  return { dir, manifest, cached: false }
}
