import { readdir, readFile, stat } from 'node:fs/promises'
import { isAbsolute, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { z } from 'zod'
import { LangperfError, quote, sha256Hex } from '../lib/index.ts'
import {
  type HttpDriver,
  REQUIREMENT_RE,
  requirementName,
  SERVICE_KINDS,
  type SuiteDefinition,
  WORKLOAD_NAME_RE,
  type WorkloadDefinition,
  type WorkloadManifest,
} from '../model/index.ts'

// Finds the workloads on disk (`<dir>/<name>/manifest.json`), validates their manifests and
// gives each a version: a hash of the directory's files, so that a changed workload starts a
// new series instead of being silently compared with its old self (DESIGN.md, "Workload").
// The contract for writing a workload is in workloads/README.md.

/** Absolute path of the repository's built-in `workloads/` directory. */
export const WORKLOADS_DIR = resolve(fileURLToPath(new URL('../../workloads/', import.meta.url)))

/** The closed vocabulary of workload tags (documented in workloads/README.md). */
export const WORKLOAD_TAGS = [
  'micro',
  'macro',
  'oo',
  'numeric',
  'float',
  'string',
  'regex',
  'json',
  'generators',
  'coroutines',
  'exceptions',
  'calls',
  'closures',
  'dict',
  'set',
  'recursion',
  'interpreter',
  'templating',
  'algorithms',
  'startup',
  'allocation',
  'gc',
  'serialization',
  'native',
  'web',
] as const

/** One tag of WORKLOAD_TAGS. */
export type WorkloadTag = (typeof WORKLOAD_TAGS)[number]

const MANIFEST_FILE = 'manifest.json'
const SUITES_FILE = 'suites.json'
const VERSION_CHARS = 12
const PYTHON_VERSION_RE = /^(\d+)\.(\d+)$/
/** Leading `X.Y` of a language version such as `3.11.7` or `3.14.0a1`. */
const LANGUAGE_VERSION_RE = /^(\d+)\.(\d+)(?:$|[.a-z+-])/

/** Most requirements one manifest may list. */
export const MAX_REQUIREMENTS = 50
/** Largest manifest.json read, in bytes (a manifest is a few hundred bytes). */
export const MAX_MANIFEST_BYTES = 64 * 1024

/** What each manifest field must hold, for error messages. */
const MANIFEST_EXPECTATIONS: Readonly<Record<keyof WorkloadManifest, string>> = {
  name: `a name matching ${WORKLOAD_NAME_RE}`,
  description: 'a non-empty string',
  tags: `a non-empty array of tags from ${WORKLOAD_TAGS.join(', ')}`,
  language: '"python"',
  entry: 'the path of a file inside the workload directory, such as "workload.py"',
  parameters: 'an object of JSON values',
  innerLoops: 'a positive integer',
  requiresPython: 'a version "X.Y" such as "2.7" or "3.6"',
  requirements: `an array of at most ${MAX_REQUIREMENTS} pinned requirements such as "numpy==2.0.2" (name, optional [extras], ==, version; each distribution once; no options, URLs or paths)`,
  systemRequirements:
    'an array of distribution names of "requirements", each once, such as ["scikit-learn", "numpy"] (those that must be present with --system-packages)',
  services: `an array of services from ${SERVICE_KINDS.join(', ')}, each once, such as [{ "name": "memcached" }]`,
  driver:
    'an http driver { "kind": "http", "workers": 1–16, "connections": 1–256, "durationS": whole seconds 1–600, "warmupS": whole seconds 0–60, "readyTimeoutS": 1–300, "readyPath": "/…", "requests": [{ "method": "GET" or "POST", "path": "/…", "weight": 1–100, "body"?: "a=1" }] with weights adding up to 100, and optionally "openLoopFractions": at most 4 fractions 0.05–1 of the measured throughput',
}

/** A URL path of a driver's request: a slash, then unreserved characters, `/`, `?`, `=`, `&`, `%`. */
const HTTP_PATH_RE = /^\/[A-Za-z0-9/_.~?=&%-]{0,200}$/
/** A POST body: form-encoded characters only, so it goes into wrk's Lua script without escaping. */
const HTTP_BODY_RE = /^[A-Za-z0-9_.~=&%+-]{0,1000}$/

const servicesSchema = z
  .array(z.strictObject({ name: z.enum(SERVICE_KINDS) }))
  .max(SERVICE_KINDS.length)
  .refine((list) => new Set(list.map((s) => s.name)).size === list.length, { message: 'each service once' })

const driverSchema = z.strictObject({
  kind: z.literal('http'),
  workers: z.number().int().min(1).max(16),
  connections: z.number().int().min(1).max(256),
  durationS: z.number().int().min(1).max(600),
  warmupS: z.number().int().min(0).max(60),
  readyTimeoutS: z.number().min(1).max(300),
  readyPath: z.string().regex(HTTP_PATH_RE),
  requests: z
    .array(
      z.strictObject({
        method: z.enum(['GET', 'POST']),
        path: z.string().regex(HTTP_PATH_RE),
        weight: z.number().int().min(1).max(100),
        body: z.string().regex(HTTP_BODY_RE).optional(),
      }),
    )
    .min(1)
    .max(20)
    .refine((list) => list.reduce((sum, r) => sum + r.weight, 0) === 100, {
      message: 'weights adding up to 100',
    }),
  openLoopFractions: z.array(z.number().min(0.05).max(1)).max(4).optional(),
})

/** One pinned requirement and its distribution's name (model/workload.ts), here for the runner's callers. */
export { REQUIREMENT_RE, requirementName }

const requirementsSchema = z
  .array(z.string().max(200).regex(REQUIREMENT_RE))
  .max(MAX_REQUIREMENTS)
  .refine((list) => new Set(list.map(requirementName)).size === list.length, {
    message: 'each distribution once',
  })

const manifestSchema = z.strictObject({
  name: z.string().regex(WORKLOAD_NAME_RE),
  description: z.string().min(1),
  tags: z.array(z.enum(WORKLOAD_TAGS)).min(1),
  language: z.literal('python'),
  entry: z.string().min(1),
  parameters: z.record(z.string(), z.json()),
  innerLoops: z.number().int().positive(),
  requiresPython: z.string().regex(PYTHON_VERSION_RE),
  requirements: requirementsSchema.optional(),
  systemRequirements: z
    .array(z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,98}[A-Za-z0-9])?$/))
    .min(1)
    .max(MAX_REQUIREMENTS)
    .refine((list) => new Set(list.map(requirementName)).size === list.length, {
      message: 'each distribution once',
    })
    .optional(),
  services: servicesSchema.optional(),
  driver: driverSchema.optional(),
})

const suitesSchema = z.strictObject({
  suites: z.array(
    z.strictObject({
      name: z.string().regex(WORKLOAD_NAME_RE),
      description: z.string().min(1),
      workloads: z.array(z.string().min(1)).min(1),
    }),
  ),
})

const SUITES_EXPECTATIONS: Readonly<Record<string, string>> = {
  suites: 'an array of suites',
  name: `a suite name matching ${WORKLOAD_NAME_RE}`,
  description: 'a non-empty string',
  workloads: 'a non-empty array of workload names',
}

/**
 * Loads every workload under `dir` (each `<dir>/<name>/manifest.json`), sorted by name.
 * Directories without a manifest are skipped; an invalid manifest throws `bad-input`.
 */
export async function loadWorkloads(dir: string = WORKLOADS_DIR): Promise<WorkloadDefinition[]> {
  const root = resolve(dir)
  let entries: string[]
  try {
    entries = await readdir(root)
  } catch (error) {
    throw new LangperfError(
      'not-found',
      `Cannot read workloads directory ${quote(root, 200)}: ${errorText(error)}`,
      {
        cause: error,
      },
    )
  }
  const found = await Promise.all(
    entries.sort().map(async (entry) => {
      const workloadDir = join(root, entry)
      const manifestPath = join(workloadDir, MANIFEST_FILE)
      if (!(await isDirectory(workloadDir)) || !(await isFile(manifestPath))) return undefined
      return loadWorkload(workloadDir)
    }),
  )
  return found
    .filter((w): w is WorkloadDefinition => w !== undefined)
    .sort((a, b) => compareText(a.manifest.name, b.manifest.name))
}

/** Loads and validates the one workload in `workloadDir`; throws `bad-input` when it is invalid. */
export async function loadWorkload(workloadDir: string): Promise<WorkloadDefinition> {
  const dir = resolve(workloadDir)
  const manifestPath = join(dir, MANIFEST_FILE)
  const manifest = parseManifest(await readJson(manifestPath), manifestPath)
  const dirName = dir.split(sep).pop() ?? ''
  if (manifest.name !== dirName) {
    throw new LangperfError(
      'bad-input',
      `Cannot load workload manifest ${quote(manifestPath, 200)}: field "name" expected the directory name ${quote(dirName)}, found ${quote(manifest.name)}`,
    )
  }
  const entryPath = resolve(dir, manifest.entry)
  const inside = relative(dir, entryPath)
  if (isAbsolute(manifest.entry) || inside === '' || inside.startsWith('..') || isAbsolute(inside)) {
    throw new LangperfError(
      'bad-input',
      `Cannot load workload manifest ${quote(manifestPath, 200)}: field "entry" expected ${MANIFEST_EXPECTATIONS.entry}, found ${quote(manifest.entry)}`,
    )
  }
  if (!(await isFile(entryPath))) {
    throw new LangperfError(
      'bad-input',
      `Cannot load workload manifest ${quote(manifestPath, 200)}: field "entry" expected an existing file, found ${quote(manifest.entry)} (no file at ${quote(entryPath, 200)})`,
    )
  }
  return { manifest, dir, entryPath, version: await workloadVersion(dir) }
}

/**
 * Validates a parsed manifest; `file` only names it in error messages.
 * @example parseManifest(JSON.parse(text), 'workloads/nbody/manifest.json')
 */
export function parseManifest(raw: unknown, file: string): WorkloadManifest {
  const parsed = manifestSchema.safeParse(raw)
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => describeIssue(issue, raw, manifestExpectation))
    throw new LangperfError(
      'bad-input',
      `Cannot load workload manifest ${quote(file, 200)}: ${problems.join('; ')}`,
    )
  }
  const { requirements, systemRequirements, services, driver, ...rest } = parsed.data
  const listed = new Set((requirements ?? []).map(requirementName))
  const stray = (systemRequirements ?? []).find((n) => !listed.has(requirementName(n)))
  if (stray !== undefined)
    throw new LangperfError(
      'bad-input',
      `Cannot load workload manifest ${quote(file, 200)}: field "systemRequirements" expected ${MANIFEST_EXPECTATIONS.systemRequirements}, found ${quote(stray)}, which "requirements" does not list`,
    )
  return {
    ...(systemRequirements === undefined ? {} : { systemRequirements }),
    ...rest,
    ...(requirements === undefined ? {} : { requirements }),
    ...(services === undefined ? {} : { services }),
    ...(driver === undefined ? {} : { driver: withoutUndefinedBodies(driver) }),
  }
}

/** The driver as the model has it: a request without a body has no `body` key (exactOptionalPropertyTypes). */
function withoutUndefinedBodies(driver: z.infer<typeof driverSchema>): HttpDriver {
  const { openLoopFractions, ...rest } = driver
  return {
    ...rest,
    ...(openLoopFractions === undefined ? {} : { openLoopFractions }),
    requests: driver.requests.map(({ body, ...r }) => (body === undefined ? r : { ...r, body })),
  }
}

/**
 * The version of the workload in `dir`: the first 12 hex characters of the SHA-256 of every
 * file in it (relative path and content, sorted by path), ignoring `__pycache__` and `*.pyc`.
 * A copy of the directory elsewhere has the same version; any edit gives a new one.
 */
export async function workloadVersion(dir: string): Promise<string> {
  const root = resolve(dir)
  const files = (await listFiles(root, '')).sort(compareText)
  const parts: Buffer[] = []
  for (const rel of files) {
    const content = await readFile(join(root, ...rel.split('/')))
    // Length-prefixed framing, so no two different file sets can produce the same byte stream.
    parts.push(Buffer.from(`${rel}\0${content.length}\0`, 'utf8'), content)
  }
  return sha256Hex(Buffer.concat(parts), VERSION_CHARS)
}

/**
 * The built-in workloads and suites, plus those of each of `extraDirs` (folders in the same
 * format, `langperf run --workloads DIR`). A name given twice, by a built-in and a folder or by
 * two folders, throws `bad-input` naming both places.
 */
export async function loadWorkloadSets(
  extraDirs: readonly string[],
  builtInDir: string = WORKLOADS_DIR,
): Promise<{ workloads: WorkloadDefinition[]; suites: SuiteDefinition[] }> {
  const workloads: WorkloadDefinition[] = []
  const suites: SuiteDefinition[] = []
  const workloadFrom = new Map<string, string>()
  const suiteFrom = new Map<string, string>()
  for (const dir of [builtInDir, ...extraDirs.map((d) => resolve(d))]) {
    const where = dir === builtInDir ? 'the built-in workloads' : quote(dir, 200)
    for (const w of await loadWorkloads(dir)) {
      const earlier = workloadFrom.get(w.manifest.name)
      if (earlier !== undefined) throw nameClash('workload', w.manifest.name, earlier, where)
      workloadFrom.set(w.manifest.name, where)
      workloads.push(w)
    }
    for (const s of await loadSuites(dir)) {
      const earlier = suiteFrom.get(s.name)
      if (earlier !== undefined) throw nameClash('suite', s.name, earlier, where)
      suiteFrom.set(s.name, where)
      suites.push(s)
    }
  }
  return { workloads: workloads.sort((a, b) => compareText(a.manifest.name, b.manifest.name)), suites }
}

function nameClash(kind: string, name: string, earlier: string, later: string): LangperfError {
  return new LangperfError(
    'bad-input',
    `Cannot load ${kind} ${quote(name)} from ${later}: expected a name of its own, found it in ${earlier} already (rename the directory and its manifest's "name")`,
  )
}

/**
 * The workloads with their requirements changed by `overrides` (pinned requirements such as
 * `numpy==1.26.4`): each replaces the pin of the same distribution in every workload that lists
 * it. A workload whose requirements change gets a version of its own (the directory's version
 * and the requirements hashed together), so that each stack is its own series; one left as it
 * was keeps its version. An override that no workload lists throws `bad-input`.
 */
export function overrideRequirements(
  workloads: readonly WorkloadDefinition[],
  overrides: readonly string[],
): WorkloadDefinition[] {
  const byName = new Map<string, string>()
  for (const o of overrides) {
    if (o.length > 200 || !REQUIREMENT_RE.test(o)) {
      throw new LangperfError(
        'bad-input',
        `Cannot use --requirements-override ${quote(o)}: expected a pinned requirement such as "numpy==1.26.4" (name, optional [extras], ==, version)`,
      )
    }
    byName.set(requirementName(o), o)
  }
  const used = new Set<string>()
  const out = workloads.map((w) => {
    const current = w.manifest.requirements
    if (current === undefined) return w
    const next = current.map((r) => {
      const o = byName.get(requirementName(r))
      if (o !== undefined) used.add(requirementName(r))
      return o ?? r
    })
    if (next.every((r, i) => r === current[i])) return w
    return {
      ...w,
      manifest: { ...w.manifest, requirements: next },
      version: sha256Hex(`${w.version}\0${[...next].sort(compareText).join('\n')}`, VERSION_CHARS),
    }
  })
  const unused = [...byName.keys()].filter((n) => !used.has(n))
  if (unused.length > 0) {
    const listed = [...new Set(workloads.flatMap((w) => w.manifest.requirements ?? []).map(requirementName))]
    throw new LangperfError(
      'bad-input',
      `Cannot use --requirements-override for ${unused.map((n) => quote(n)).join(', ')}: expected a distribution the selected workloads list, found ${listed.length > 0 ? listed.join(', ') : 'no requirements in them'}`,
    )
  }
  return out
}

/**
 * The workloads as run on an interpreter's own packages (`--system-packages`), with `blasLabel`
 * the BLAS chosen (`--blas`), if any: each workload with requirements gets a version of its own,
 * the directory's version, `system` and the BLAS hashed together, so that the distribution's
 * stack, and each BLAS under it, is a series apart from the pip-pinned one. The versions the
 * interpreter has are not known before it is asked; they are recorded with each result.
 */
export function onSystemPackages(
  workloads: readonly WorkloadDefinition[],
  blasLabel: string | undefined,
): WorkloadDefinition[] {
  return workloads.map((w) =>
    w.manifest.requirements?.length
      ? { ...w, version: sha256Hex(`${w.version}\0system\0${blasLabel ?? 'default'}`, VERSION_CHARS) }
      : w,
  )
}

/**
 * The version of a workload with requirements as one interpreter runs it: `version` (the
 * directory's, re-versioned by overrides or `--system-packages` and the BLAS) with the stack that
 * cannot be read from the manifest hashed in: on system packages the distributions' versions the
 * interpreter has (`installed`, `name==version`), and the BLAS variables its workers get that
 * choose kernels or threads (`OPENBLAS_CORETYPE=Haswell`, `BLIS_ARCH_TYPE=0`, a thread count
 * other than 1). A python3-numpy upgrade or another kernel set is so another series, not a step
 * in one. Neither present: `version` unchanged, so the pip-pinned series keep their versions.
 */
export function stackVersion(
  version: string,
  stack: { readonly installed: readonly string[] | null; readonly blasEnv: readonly string[] },
): string {
  if (stack.installed === null && stack.blasEnv.length === 0) return version
  const installed = [...(stack.installed ?? [])].sort(compareText).join('\n')
  const env = [...stack.blasEnv].sort(compareText).join('\n')
  return sha256Hex(`${version}\0stack\0${installed}\0${env}`, VERSION_CHARS)
}

/** Loads `<dir>/suites.json`; no file means no suites. Throws `bad-input` when it is invalid. */
export async function loadSuites(dir: string = WORKLOADS_DIR): Promise<SuiteDefinition[]> {
  const file = join(resolve(dir), SUITES_FILE)
  if (!(await isFile(file))) return []
  const raw = await readJson(file)
  const parsed = suitesSchema.safeParse(raw)
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => describeIssue(issue, raw, suitesExpectation))
    throw new LangperfError('bad-input', `Cannot load suites ${quote(file, 200)}: ${problems.join('; ')}`)
  }
  const seen = new Set<string>()
  for (const suite of parsed.data.suites) {
    if (seen.has(suite.name)) {
      throw new LangperfError(
        'bad-input',
        `Cannot load suites ${quote(file, 200)}: expected unique suite names, found ${quote(suite.name)} twice`,
      )
    }
    seen.add(suite.name)
    const duplicate = suite.workloads.find((w, i) => suite.workloads.indexOf(w) !== i)
    if (duplicate !== undefined) {
      throw new LangperfError(
        'bad-input',
        `Cannot load suites ${quote(file, 200)}: suite ${quote(suite.name)} expected each workload once, found ${quote(duplicate)} twice`,
      )
    }
  }
  return parsed.data.suites
}

/**
 * The workloads of suite `name`, in the suite's order. An unknown suite throws `not-found`;
 * a suite that names an unknown workload throws `bad-input`; both list the valid names.
 */
export function resolveSuite(
  name: string,
  workloads: readonly WorkloadDefinition[],
  suites: readonly SuiteDefinition[],
): WorkloadDefinition[] {
  const suite = suites.find((s) => s.name === name)
  if (suite === undefined) {
    const names = suites.map((s) => s.name).join(', ')
    throw new LangperfError(
      'not-found',
      `Cannot find suite ${quote(name)}: expected one of ${names || '(no suites defined)'}`,
    )
  }
  const byName = new Map(workloads.map((w) => [w.manifest.name, w]))
  return suite.workloads.map((workloadName) => {
    const found = byName.get(workloadName)
    if (found === undefined) {
      const names = [...byName.keys()].sort(compareText).join(', ')
      throw new LangperfError(
        'bad-input',
        `Cannot resolve suite ${quote(name)}: workload ${quote(workloadName)} does not exist, expected one of ${names || '(no workloads found)'}`,
      )
    }
    return found
  })
}

/**
 * True when an interpreter of language version `languageVersion` (`3.11`, `3.11.7`, `2.7.18`)
 * meets the manifest's `requiresPython`, comparing major then minor as numbers (3.10 > 3.9).
 */
export function supportsPython(
  manifest: Pick<WorkloadManifest, 'requiresPython'>,
  languageVersion: string,
): boolean {
  const required = PYTHON_VERSION_RE.exec(manifest.requiresPython)
  if (required === null) {
    throw new LangperfError(
      'bad-input',
      `Cannot compare requiresPython ${quote(manifest.requiresPython)}: expected ${MANIFEST_EXPECTATIONS.requiresPython}`,
    )
  }
  const actual = LANGUAGE_VERSION_RE.exec(languageVersion)
  if (actual === null) {
    throw new LangperfError(
      'bad-input',
      `Cannot compare Python version ${quote(languageVersion)}: expected "X.Y" or "X.Y.Z" such as "3.11.7"`,
    )
  }
  const [reqMajor, reqMinor] = [Number(required[1]), Number(required[2])]
  const [major, minor] = [Number(actual[1]), Number(actual[2])]
  return major > reqMajor || (major === reqMajor && minor >= reqMinor)
}

// --- helpers ---------------------------------------------------------------------------------

type Issue = z.core.$ZodIssue

/** One zod issue as `field "tags[1]" expected …, found …`, with the found value taken from the input. */
function describeIssue(
  issue: Issue,
  raw: unknown,
  expectation: (path: readonly PropertyKey[]) => string,
): string {
  if (issue.code === 'unrecognized_keys') {
    const where = issue.path.length > 0 ? ` in ${quote(formatPath(issue.path))}` : ''
    const keys = issue.keys.map((k) => quote(k)).join(', ')
    return `unexpected field ${keys}${where}, expected only ${expectation([...issue.path, '*'])}`
  }
  const value = valueAt(raw, issue.path)
  if (issue.path.length === 0) return `expected ${expectation(issue.path)}, found ${quote(value)}`
  const field = quote(formatPath(issue.path))
  if (value === undefined) return `field ${field} is missing, expected ${expectation(issue.path)}`
  return `field ${field} expected ${expectation(issue.path)}, found ${quote(value)}`
}

function manifestExpectation(path: readonly PropertyKey[]): string {
  const [field, index] = path
  if (field === '*') return Object.keys(MANIFEST_EXPECTATIONS).join(', ')
  if (field === 'tags' && typeof index === 'number') return `one of ${WORKLOAD_TAGS.join(', ')}`
  if (field === 'parameters' && index !== undefined) return 'a JSON value'
  if (field === 'requirements' && index !== undefined)
    return 'a pinned requirement such as "numpy==2.0.2" (name, optional [extras], ==, version)'
  if (typeof field === 'string' && field in MANIFEST_EXPECTATIONS) {
    return MANIFEST_EXPECTATIONS[field as keyof WorkloadManifest]
  }
  return 'a JSON object with the manifest fields'
}

function suitesExpectation(path: readonly PropertyKey[]): string {
  const last = path[path.length - 1]
  if (last === '*') return path.length === 1 ? 'suites' : 'name, description, workloads'
  if (path.length === 0) return 'a JSON object with a "suites" array'
  if (path[0] === 'suites' && path.length === 2) return 'a suite object with name, description and workloads'
  if (path[2] === 'workloads' && path.length === 4) return 'a workload name'
  return (typeof last === 'string' && SUITES_EXPECTATIONS[last]) || 'a valid value'
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = ''
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`
    else out += out === '' ? String(key) : `.${String(key)}`
  }
  return out
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let value = raw
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined
    value = (value as Record<PropertyKey, unknown>)[key]
  }
  return value
}

async function readJson(file: string): Promise<unknown> {
  let text: string
  try {
    const { size } = await stat(file)
    if (size > MAX_MANIFEST_BYTES) {
      throw new LangperfError(
        'bad-input',
        `Cannot read ${quote(file, 200)}: expected at most ${MAX_MANIFEST_BYTES} bytes, found ${size}`,
      )
    }
    text = await readFile(file, 'utf8')
  } catch (error) {
    if (error instanceof LangperfError) throw error
    throw new LangperfError('bad-input', `Cannot read ${quote(file, 200)}: ${errorText(error)}`, {
      cause: error,
    })
  }
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new LangperfError(
      'bad-input',
      `Cannot parse ${quote(file, 200)}: expected JSON, ${errorText(error)}`,
      {
        cause: error,
      },
    )
  }
}

/** Relative paths (with `/`) of every regular file under `dir`, skipping `__pycache__` and `*.pyc`. */
async function listFiles(root: string, rel: string): Promise<string[]> {
  const out: string[] = []
  const entries = await readdir(rel === '' ? root : join(root, ...rel.split('/')), { withFileTypes: true })
  for (const entry of entries) {
    const childRel = rel === '' ? entry.name : `${rel}/${entry.name}`
    const full = join(root, ...childRel.split('/'))
    const info = entry.isSymbolicLink() ? await stat(full) : entry
    if (info.isDirectory()) {
      if (entry.name !== '__pycache__') out.push(...(await listFiles(root, childRel)))
    } else if (info.isFile() && !entry.name.endsWith('.pyc')) {
      out.push(childRel)
    }
  }
  return out
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile()
  } catch {
    return false
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory()
  } catch {
    return false
  }
}

/** Code-unit order, the same on every machine (localeCompare depends on the locale). */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error)
  return text.charAt(0).toLowerCase() + text.slice(1)
}
