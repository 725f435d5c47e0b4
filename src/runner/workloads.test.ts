import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { LangperfError } from '../lib/index.ts'
import type { SuiteDefinition, WorkloadDefinition } from '../model/index.ts'
import {
  loadSuites,
  loadWorkloadSets,
  loadWorkloads,
  MAX_MANIFEST_BYTES,
  overrideRequirements,
  parseManifest,
  resolveSuite,
  supportsPython,
  WORKLOAD_TAGS,
  WORKLOADS_DIR,
  workloadVersion,
} from './workloads.ts'

const scratch = await mkdtemp(join(tmpdir(), 'langperf-workloads-'))
after(() => rm(scratch, { recursive: true, force: true }))
let scratchCount = 0

/** A fresh directory under the scratch root. */
async function freshDir(): Promise<string> {
  const dir = join(scratch, `case-${scratchCount++}`)
  await mkdir(dir, { recursive: true })
  return dir
}

const VALID = {
  name: 'demo',
  description: 'A demo workload.',
  tags: ['micro'],
  language: 'python',
  entry: 'workload.py',
  parameters: { n: 3 },
  innerLoops: 1,
  requiresPython: '2.7',
} as const

/** Writes `<root>/<dirName>/manifest.json` (an object or raw text) and a workload.py. */
async function writeWorkload(root: string, dirName: string, manifest: unknown): Promise<string> {
  const dir = join(root, dirName)
  await mkdir(dir, { recursive: true })
  await writeFile(
    join(dir, 'manifest.json'),
    typeof manifest === 'string' ? manifest : JSON.stringify(manifest),
  )
  await writeFile(join(dir, 'workload.py'), 'def make(params):\n    return lambda: params["n"]\n')
  return dir
}

/** The LangperfError that `fn` rejects with; fails the test if it resolves or throws something else. */
async function rejection(fn: () => Promise<unknown>): Promise<LangperfError> {
  try {
    await fn()
  } catch (error) {
    assert.ok(error instanceof LangperfError, `expected a LangperfError, got ${String(error)}`)
    return error
  }
  assert.fail('expected a rejection')
}

function thrown(fn: () => unknown): LangperfError {
  try {
    fn()
  } catch (error) {
    assert.ok(error instanceof LangperfError, `expected a LangperfError, got ${String(error)}`)
    return error
  }
  assert.fail('expected a throw')
}

// --- the repository's workloads and suites -------------------------------------------------

const builtIn = await loadWorkloads()
const builtInSuites = await loadSuites()

test('loadWorkloads() finds at least 22 valid built-in workloads, sorted by name', () => {
  assert.ok(builtIn.length >= 22, `found only ${builtIn.length}`)
  const names = builtIn.map((w) => w.manifest.name)
  assert.deepEqual(names, [...names].sort())
  for (const w of builtIn) {
    assert.match(w.version, /^[0-9a-f]{12}$/)
    assert.equal(w.dir, join(WORKLOADS_DIR, w.manifest.name))
    assert.ok(existsSync(w.entryPath), `${w.entryPath} is missing`)
    assert.ok(w.manifest.description.length > 20, `${w.manifest.name} needs a real description`)
    assert.ok(Object.keys(w.manifest.parameters).length > 0, `${w.manifest.name} has no parameters`)
  }
})

test('every built-in workload is tagged exactly one of micro or macro', () => {
  for (const w of builtIn) {
    const scale = w.manifest.tags.filter((t) => t === 'micro' || t === 'macro')
    assert.equal(scale.length, 1, `${w.manifest.name} has tags ${w.manifest.tags.join(', ')}`)
  }
})

test('the built-in workloads cover every category the suite promises', () => {
  const tags = new Set(builtIn.flatMap((w) => w.manifest.tags))
  for (const needed of WORKLOAD_TAGS.filter((t) => t !== 'web')) {
    assert.ok(tags.has(needed), `no workload is tagged ${needed}`)
  }
})

test('the default suite lists every built-in workload without requirements and every suite resolves', () => {
  const names = builtIn.filter((w) => w.manifest.requirements === undefined).map((w) => w.manifest.name)
  const defaults = resolveSuite('default', builtIn, builtInSuites).map((w) => w.manifest.name)
  assert.deepEqual([...defaults].sort(), names)
  for (const suite of builtInSuites) {
    assert.equal(resolveSuite(suite.name, builtIn, builtInSuites).length, suite.workloads.length)
  }
})

test('the quick suite has 4 or 5 workloads that run on Python 2.7 and none spawns processes', () => {
  const quick = resolveSuite('quick', builtIn, builtInSuites)
  assert.ok(quick.length >= 4 && quick.length <= 5, `quick has ${quick.length} workloads`)
  for (const w of quick) {
    assert.ok(
      supportsPython(w.manifest, '2.7'),
      `${w.manifest.name} needs Python ${w.manifest.requiresPython}`,
    )
    assert.ok(!w.manifest.tags.includes('startup'), `${w.manifest.name} is a start-up workload`)
  }
})

// --- version hash ---------------------------------------------------------------------------

test('workloadVersion() is the same for a copy and ignores __pycache__ and .pyc files', async () => {
  const original = builtIn.find((w) => w.manifest.name === 'nbody')
  assert.ok(original)
  const copy = join(await freshDir(), 'nbody')
  await cp(original.dir, copy, { recursive: true })
  await mkdir(join(copy, '__pycache__'), { recursive: true })
  await writeFile(join(copy, '__pycache__', 'workload.cpython-311.pyc'), 'bytecode')
  await writeFile(join(copy, 'stray.pyc'), 'bytecode')
  assert.equal(await workloadVersion(copy), original.version)
  const [loaded] = await loadWorkloads(join(copy, '..'))
  assert.equal(loaded?.version, original.version)
})

test('workloadVersion() changes when a file changes, is added or is renamed', async () => {
  const dir = await writeWorkload(await freshDir(), 'demo', VALID)
  const before = await workloadVersion(dir)
  await writeFile(join(dir, 'workload.py'), 'def make(params):\n    return lambda: params["n"] + 1\n')
  const edited = await workloadVersion(dir)
  assert.notEqual(edited, before)
  await writeFile(join(dir, 'data.txt'), '')
  const added = await workloadVersion(dir)
  assert.notEqual(added, edited)
  await rm(join(dir, 'data.txt'))
  await mkdir(join(dir, 'sub'))
  await writeFile(join(dir, 'sub', 'data.txt'), '')
  assert.notEqual(await workloadVersion(dir), added)
  await rm(join(dir, 'sub'), { recursive: true })
  assert.equal(await workloadVersion(dir), edited)
})

// --- bad manifests --------------------------------------------------------------------------

test('a missing field is reported with the file, the field and what was expected', async () => {
  const root = await freshDir()
  const { innerLoops: _, ...rest } = VALID
  await writeWorkload(root, 'demo', rest)
  const error = await rejection(() => loadWorkloads(root))
  assert.equal(error.code, 'bad-input')
  assert.match(error.message, /demo\/manifest\.json/)
  assert.match(error.message, /field "innerLoops" is missing, expected a positive integer/)
})

test('a wrongly typed field is reported with what was found', async () => {
  const root = await freshDir()
  await writeWorkload(root, 'demo', { ...VALID, innerLoops: 'many', requiresPython: '3' })
  const error = await rejection(() => loadWorkloads(root))
  assert.match(error.message, /field "innerLoops" expected a positive integer, found "many"/)
  assert.match(error.message, /field "requiresPython" expected a version "X\.Y".*found "3"/)
})

test('a tag outside the vocabulary is reported with its index and the valid tags', async () => {
  const root = await freshDir()
  await writeWorkload(root, 'demo', { ...VALID, tags: ['micro', 'gpu'] })
  const error = await rejection(() => loadWorkloads(root))
  assert.match(error.message, /field "tags\[1\]" expected one of micro, macro, .*found "gpu"/)
})

test('an unknown field is rejected so that typos do not pass silently', async () => {
  const root = await freshDir()
  await writeWorkload(root, 'demo', { ...VALID, inner_loops: 2 })
  const error = await rejection(() => loadWorkloads(root))
  assert.match(error.message, /unexpected field "inner_loops", expected only name, description/)
})

test('a name that differs from its directory is rejected', async () => {
  const root = await freshDir()
  await writeWorkload(root, 'other', VALID)
  const error = await rejection(() => loadWorkloads(root))
  assert.equal(error.code, 'bad-input')
  assert.match(error.message, /field "name" expected the directory name "other", found "demo"/)
})

test('an entry that is missing or outside the workload directory is rejected', async () => {
  const missing = await freshDir()
  await writeWorkload(missing, 'demo', { ...VALID, entry: 'main.py' })
  assert.match(
    (await rejection(() => loadWorkloads(missing))).message,
    /field "entry" expected an existing file, found "main\.py"/,
  )
  const escaping = await freshDir()
  await writeWorkload(escaping, 'demo', { ...VALID, entry: '../shared.py' })
  await writeFile(join(escaping, 'shared.py'), 'def make(params):\n    return lambda: None\n')
  assert.match(
    (await rejection(() => loadWorkloads(escaping))).message,
    /field "entry" expected the path of a file inside/,
  )
})

test('a manifest that is not JSON is reported as such', async () => {
  const root = await freshDir()
  await writeWorkload(root, 'demo', '{ "name": "demo", }')
  const error = await rejection(() => loadWorkloads(root))
  assert.equal(error.code, 'bad-input')
  assert.match(error.message, /Cannot parse ".*demo\/manifest\.json": expected JSON/)
})

test('parseManifest() accepts a valid manifest and rejects a non-object', () => {
  assert.deepEqual(parseManifest(VALID, 'x.json'), VALID)
  assert.match(thrown(() => parseManifest([], 'x.json')).message, /"x\.json": expected a JSON object/)
})

// --- requirements ---------------------------------------------------------------------------

test('a manifest may list pinned requirements, extras included', () => {
  const manifest = {
    ...VALID,
    requirements: ['numpy==2.0.2', 'scikit_learn[benchmark]==1.9.1', 'pkg==1.0.post1+local'],
  }
  assert.deepEqual(parseManifest(manifest, 'x.json').requirements, manifest.requirements)
  assert.equal(parseManifest(VALID, 'x.json').requirements, undefined)
})

test('systemRequirements names distributions of requirements, each once; another is rejected', () => {
  const manifest = {
    ...VALID,
    requirements: ['scikit-learn==1.9.1', 'numpy==2.0.2', 'narwhals==2.26.0'],
    systemRequirements: ['scikit_learn', 'numpy'],
  }
  assert.deepEqual(parseManifest(manifest, 'x.json').systemRequirements, ['scikit_learn', 'numpy'])
  assert.match(
    thrown(() => parseManifest({ ...manifest, systemRequirements: ['scipy'] }, 'x.json')).message,
    /field "systemRequirements" expected an array of distribution names of "requirements".*found "scipy", which "requirements" does not list/,
  )
  assert.match(
    thrown(() => parseManifest({ ...manifest, systemRequirements: ['numpy', 'NumPy'] }, 'x.json')).message,
    /systemRequirements/,
  )
  assert.match(
    thrown(() => parseManifest({ ...manifest, systemRequirements: ['numpy==2.0.2'] }, 'x.json')).message,
    /systemRequirements/,
  )
})

test('requirements that are pip options, URLs, paths, open versions or markers are rejected', () => {
  for (const bad of [
    '--index-url=https://evil.example/simple',
    '-e .',
    '-r other.txt',
    'git+https://github.com/numpy/numpy',
    'numpy @ https://example.com/numpy.whl',
    './local/numpy',
    '/tmp/numpy-2.0.2.whl',
    'numpy',
    'numpy>=2',
    'numpy==2.*',
    'numpy==2.0.2; python_version>"3.9"',
    'numpy==2.0.2 --hash=sha256:00',
    '',
  ]) {
    const error = thrown(() => parseManifest({ ...VALID, requirements: [bad] }, 'x.json'))
    assert.equal(error.code, 'bad-input', bad)
    assert.match(
      error.message,
      /field "requirements\[0\]" expected a pinned requirement such as "numpy==2\.0\.2"/,
      bad,
    )
  }
})

test('requirements naming one distribution twice, or too many, are rejected', () => {
  const twice = thrown(() =>
    parseManifest({ ...VALID, requirements: ['numpy==2.0.2', 'NumPy==1.26.4'] }, 'x.json'),
  )
  assert.match(twice.message, /field "requirements" expected .*each distribution once/)
  const many = Array.from({ length: 51 }, (_, i) => `pkg${i}==1.0`)
  assert.match(thrown(() => parseManifest({ ...VALID, requirements: many }, 'x.json')).message, /at most 50/)
})

test('an unknown field beside requirements is still rejected', () => {
  const error = thrown(() =>
    parseManifest({ ...VALID, requirements: ['numpy==2.0.2'], index_url: 'x' }, 'x.json'),
  )
  assert.match(error.message, /unexpected field "index_url", expected only .*requiresPython, requirements/)
})

test('a manifest larger than the cap is rejected before it is parsed', async () => {
  const root = await freshDir()
  await writeWorkload(root, 'demo', { ...VALID, description: 'x'.repeat(MAX_MANIFEST_BYTES) })
  const error = await rejection(() => loadWorkloads(root))
  assert.match(error.message, new RegExp(`expected at most ${MAX_MANIFEST_BYTES} bytes`))
})

test('the requirements are part of the version: a changed pin starts a new series', async () => {
  const root = await freshDir()
  const dir = await writeWorkload(root, 'demo', { ...VALID, requirements: ['numpy==2.0.2'] })
  const before = await workloadVersion(dir)
  await writeFile(join(dir, 'manifest.json'), JSON.stringify({ ...VALID, requirements: ['numpy==1.26.4'] }))
  assert.notEqual(await workloadVersion(dir), before)
})

test('overrideRequirements() replaces a pin, gives a version per stack and keeps the rest', async () => {
  const root = await freshDir()
  await writeWorkload(root, 'demo', { ...VALID, requirements: ['numpy==2.0.2', 'threadpoolctl==3.7.0'] })
  await writeWorkload(root, 'plain', { ...VALID, name: 'plain' })
  const workloads = await loadWorkloads(root)
  const [demo, plain] = overrideRequirements(workloads, ['NumPy==1.26.4'])
  assert.deepEqual(demo?.manifest.requirements, ['NumPy==1.26.4', 'threadpoolctl==3.7.0'])
  assert.notEqual(demo?.version, workloads[0]?.version)
  assert.equal(plain, workloads[1])
  const again = overrideRequirements(workloads, ['numpy==1.26.4'])[0]
  assert.notEqual(again?.version, workloads[0]?.version)
  // The manifest's own pin changes nothing, so the series stays the same.
  assert.equal(overrideRequirements(workloads, ['numpy==2.0.2'])[0]?.version, workloads[0]?.version)
  assert.match(
    thrown(() => overrideRequirements(workloads, ['scipy==1.13.1'])).message,
    /"scipy": expected a distribution the selected workloads list, found numpy, threadpoolctl/,
  )
  assert.match(
    thrown(() => overrideRequirements(workloads, ['--index-url=x'])).message,
    /Cannot use --requirements-override "--index-url=x"/,
  )
})

test('loadWorkloadSets() adds folders of own workloads and rejects a name a built-in has', async () => {
  const own = await freshDir()
  await writeWorkload(own, 'demo', VALID)
  const sets = await loadWorkloadSets([own])
  assert.ok(sets.workloads.some((w) => w.manifest.name === 'demo'))
  assert.ok(sets.workloads.some((w) => w.manifest.name === 'nbody'))
  const clash = await freshDir()
  await writeWorkload(clash, 'nbody', { ...VALID, name: 'nbody' })
  const error = await rejection(() => loadWorkloadSets([clash]))
  assert.equal(error.code, 'bad-input')
  assert.match(
    error.message,
    /Cannot load workload "nbody" from ".*": expected a name of its own, found it in the built-in workloads already/,
  )
  const twice = await rejection(() => loadWorkloadSets([own, own]))
  assert.match(twice.message, /workload "demo" .* found it in ".*" already/)
})

test('directories without a manifest are skipped', async () => {
  const root = await freshDir()
  await writeWorkload(root, 'demo', VALID)
  await mkdir(join(root, '__pycache__'))
  await writeFile(join(root, 'README.md'), '# notes')
  assert.deepEqual(
    (await loadWorkloads(root)).map((w) => w.manifest.name),
    ['demo'],
  )
})

// --- suites ---------------------------------------------------------------------------------

function fakeWorkload(name: string): WorkloadDefinition {
  return {
    manifest: { ...VALID, name },
    dir: `/w/${name}`,
    entryPath: `/w/${name}/workload.py`,
    version: '000000000000',
  }
}

const SUITES: readonly SuiteDefinition[] = [
  { name: 'default', description: 'All.', workloads: ['b', 'a'] },
  { name: 'broken', description: 'Names a ghost.', workloads: ['a', 'ghost'] },
]

test('resolveSuite() returns the workloads in the order the suite lists them', () => {
  const got = resolveSuite('default', [fakeWorkload('a'), fakeWorkload('b')], SUITES)
  assert.deepEqual(
    got.map((w) => w.manifest.name),
    ['b', 'a'],
  )
})

test('resolveSuite() rejects an unknown suite and lists the valid suite names', () => {
  const error = thrown(() => resolveSuite('nightly', [fakeWorkload('a')], SUITES))
  assert.equal(error.code, 'not-found')
  assert.equal(error.message, 'Cannot find suite "nightly": expected one of default, broken')
})

test('resolveSuite() rejects a suite naming an unknown workload and lists the valid workloads', () => {
  const error = thrown(() => resolveSuite('broken', [fakeWorkload('b'), fakeWorkload('a')], SUITES))
  assert.equal(error.code, 'bad-input')
  assert.equal(
    error.message,
    'Cannot resolve suite "broken": workload "ghost" does not exist, expected one of a, b',
  )
})

test('loadSuites() returns no suites when the directory has no suites.json', async () => {
  assert.deepEqual(await loadSuites(await freshDir()), [])
})

test('loadSuites() rejects a malformed suites file and duplicate suite names', async () => {
  const dir = await freshDir()
  await writeFile(
    join(dir, 'suites.json'),
    JSON.stringify({ suites: [{ name: 'x', description: 'X.', workloads: [] }] }),
  )
  const empty = await rejection(() => loadSuites(dir))
  assert.equal(empty.code, 'bad-input')
  assert.match(empty.message, /field "suites\[0\]\.workloads" expected a non-empty array of workload names/)
  const suite = { name: 'x', description: 'X.', workloads: ['a'] }
  await writeFile(join(dir, 'suites.json'), JSON.stringify({ suites: [suite, suite] }))
  assert.match(
    (await rejection(() => loadSuites(dir))).message,
    /expected unique suite names, found "x" twice/,
  )
})

// --- supportsPython -------------------------------------------------------------------------

test('supportsPython() compares major and minor versions as numbers', () => {
  assert.equal(supportsPython({ requiresPython: '3.5' }, '3.11.7'), true)
  assert.equal(supportsPython({ requiresPython: '3.10' }, '3.9.18'), false)
  assert.equal(supportsPython({ requiresPython: '3.9' }, '3.10'), true)
  assert.equal(supportsPython({ requiresPython: '2.7' }, '2.7.18'), true)
  assert.equal(supportsPython({ requiresPython: '3.5' }, '2.7.18'), false)
  assert.equal(supportsPython({ requiresPython: '3.14' }, '3.14.0a1'), true)
})

test('supportsPython() rejects versions it cannot read', () => {
  assert.equal(thrown(() => supportsPython({ requiresPython: '3' }, '3.11')).code, 'bad-input')
  assert.match(
    thrown(() => supportsPython({ requiresPython: '3.6' }, 'three')).message,
    /Cannot compare Python version "three"/,
  )
})

// --- every built-in workload runs ----------------------------------------------------------

// Loads each workload the way the harness does (compile + exec into a fresh module object,
// here NOT registered in sys.modules, the stricter case), calls make() and two steps, or
// time_loops(1) for start-up workloads, all in one process, and writes a report to a file so
// that a workload printing to stdout cannot corrupt it.
const DRIVER = `
import json, os, sys, traceback

def load(path, index):
    with open(path, "rb") as f:
        source = f.read()
    module = type(sys)("langperf_test_workload_%d" % index)
    module.__file__ = path
    exec(compile(source, path, "exec", 0, True), module.__dict__)
    return module

def run(job, index):
    sys.path.insert(0, os.path.dirname(job["entry"]))
    try:
        module = load(job["entry"], index)
        if hasattr(module, "time_loops"):
            elapsed = module.time_loops(1, job["params"])
            if not elapsed > 0:
                raise AssertionError("time_loops(1, params) returned %r, expected seconds" % (elapsed,))
        else:
            step = module.make(job["params"])
            for _ in range(job["steps"]):
                step()
    finally:
        sys.path.pop(0)

jobs = json.loads(sys.stdin.read())
report = []
for index, job in enumerate(jobs):
    try:
        run(job, index)
        report.append({"name": job["name"], "ok": True})
    except Exception:
        report.append({"name": job["name"], "ok": False, "error": traceback.format_exc()[-3000:]})
with open(sys.argv[1], "w") as out:
    out.write(json.dumps(report))
`

/** The "X.Y" language version of `python`, or undefined when it cannot be run. */
function pythonVersion(python: string): string | undefined {
  const res = spawnSync(python, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], {
    encoding: 'utf8',
    timeout: 20_000,
  })
  return res.status === 0 ? res.stdout.trim() : undefined
}

/** A Python 2.7 under pyenv's versions directory, if one is installed. */
function findPython27(): string | undefined {
  const versions = join(process.env.PYENV_ROOT ?? join(homedir(), '.pyenv'), 'versions')
  let entries: string[] = []
  try {
    entries = readdirSync(versions)
      .filter((v) => v.startsWith('2.7'))
      .sort()
  } catch {
    return undefined
  }
  return entries.map((v) => join(versions, v, 'bin', 'python2.7')).find((p) => existsSync(p))
}

/** The built-in workloads that need nothing beyond the standard library (the others: venv.test.ts). */
const standardLibraryOnly = builtIn.filter((w) => w.manifest.requirements === undefined)

async function runAll(python: string, version: string): Promise<readonly string[]> {
  const jobs = standardLibraryOnly
    .filter((w) => supportsPython(w.manifest, version))
    .map((w) => ({ name: w.manifest.name, entry: w.entryPath, params: w.manifest.parameters, steps: 2 }))
  const driver = join(await freshDir(), 'driver.py')
  const reportPath = `${driver}.json`
  await writeFile(driver, DRIVER)
  const res = spawnSync(python, [driver, reportPath], {
    input: JSON.stringify(jobs),
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
  })
  assert.equal(res.status, 0, `the driver failed on ${python}: ${res.stderr}`)
  const report = JSON.parse(await readFile(reportPath, 'utf8')) as {
    name: string
    ok: boolean
    error?: string
  }[]
  const failures = report.filter((r) => !r.ok).map((r) => `${r.name}:\n${r.error ?? ''}`)
  assert.deepEqual(failures, [], `workloads failed on ${python} ${version}`)
  assert.equal(report.length, jobs.length)
  return report.map((r) => r.name)
}

test('every built-in workload without requirements makes and steps on python3', async (t) => {
  const version = pythonVersion('python3')
  if (version === undefined) {
    t.skip('python3 is not on PATH')
    return
  }
  const ran = await runAll('python3', version)
  assert.equal(ran.length, standardLibraryOnly.filter((w) => supportsPython(w.manifest, version)).length)
  assert.ok(ran.length >= 22)
})

test('every built-in workload without requirements that allows Python 2.7 makes and steps on it', async (t) => {
  const python = findPython27()
  const version = python === undefined ? undefined : pythonVersion(python)
  if (python === undefined || version === undefined) {
    t.skip('no Python 2.7 under the pyenv versions directory')
    return
  }
  const ran = await runAll(python, version)
  assert.ok(ran.length >= 20, `only ${ran.length} workloads allow Python 2.7`)
})
