import assert from 'node:assert/strict'
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { discoverInterpreters } from '../runner/index.ts'
import { cli } from './toy-runtime.ts'

// Workloads of one's own (`workloads new`, `run --workloads DIR`) and workloads with requirements
// run through the command line, in-process, on real interpreters.

const scratch = await mkdtemp(join(tmpdir(), 'langperf-own-workloads-'))
after(() => rm(scratch, { recursive: true, force: true }))

/** The measuring options of these tests: few processes, short values. */
const SHORT = [
  '--fast',
  '--processes',
  '2',
  '--values',
  '1',
  '--warmups',
  '0',
  '--min-time',
  '0.01',
  '--no-progress',
]

interface ShownResult {
  readonly workload: { readonly name: string; readonly version: string }
  readonly outcome: { readonly state: string; readonly message?: string }
  readonly metadata: Record<string, unknown>
}

/** The results of run `id` in database `db`, as `show --json` prints them. */
async function shownResults(db: string, id: string): Promise<ShownResult[]> {
  const shown = await cli('show', id, '--db', db, '--json')
  assert.equal(shown.code, 0, shown.err)
  return (JSON.parse(shown.out) as { results: ShownResult[] }).results
}

test('workloads new writes a skeleton that passes validation and runs as is with --workloads', async () => {
  const dir = join(scratch, 'mine')
  const made = await cli('workloads', 'new', 'my_service', '--dir', dir)
  assert.equal(made.code, 0, made.err)
  assert.match(made.out, /Wrote .*my_service\/manifest\.json and .*my_service\/workload\.py/)
  const listed = await cli('workloads', '--workloads', dir)
  assert.match(listed.out, /^my_service +[0-9a-f]{12} +py3\.6\+/m)
  const db = join(scratch, 'mine.db')
  const run = await cli('run', '--workloads', dir, '--python', 'python3', '--db', db, ...SHORT)
  assert.equal(run.code, 0, run.err)
  assert.match(run.err, /suite custom \(1 workloads\)/)
  const [result] = await shownResults(db, '1')
  assert.equal(result?.workload.name, 'my_service')
  assert.equal(result?.outcome.state, 'measured')
})

test('workloads new refuses a built-in name, a bad name and an existing directory', async () => {
  const dir = join(scratch, 'refused')
  const builtIn = await cli('workloads', 'new', 'nbody', '--dir', dir)
  assert.equal(builtIn.code, 2)
  assert.match(
    builtIn.err,
    /Cannot create workload "nbody": expected a name of its own, found a built-in workload/,
  )
  const bad = await cli('workloads', 'new', 'My App', '--dir', dir)
  assert.match(bad.err, /Cannot create workload "My App": expected a name matching/)
  assert.equal((await cli('workloads', 'new', 'twice', '--dir', dir)).code, 0)
  const again = await cli('workloads', 'new', 'twice', '--dir', dir)
  assert.match(again.err, /Cannot create workload "twice": ".*twice" exists already/)
})

test('run --workloads rejects a folder whose workload has the name of a built-in one', async () => {
  const dir = join(scratch, 'clash')
  // A skeleton renamed after a built-in workload, directory and manifest alike.
  assert.equal((await cli('workloads', 'new', 'mine', '--dir', dir)).code, 0)
  await rename(join(dir, 'mine'), join(dir, 'sieve'))
  const manifest = JSON.parse(await readFile(join(dir, 'sieve', 'manifest.json'), 'utf8'))
  await writeFile(join(dir, 'sieve', 'manifest.json'), JSON.stringify({ ...manifest, name: 'sieve' }))
  const run = await cli(
    'run',
    '--workloads',
    dir,
    '--python',
    'python3',
    '--db',
    join(scratch, 'clash.db'),
    ...SHORT,
  )
  assert.equal(run.code, 2)
  assert.match(
    run.err,
    /Cannot load workload "sieve" from ".*clash": expected a name of its own, found it in the built-in workloads already/,
  )
})

test('run --suite runs a suite langperf.toml defines ([[suites.define]]); workloads lists it; a missing folder names the file and key', async () => {
  const dir = join(scratch, 'team')
  assert.equal((await cli('workloads', 'new', 'team_a', '--dir', dir)).code, 0)
  assert.equal((await cli('workloads', 'new', 'team_b', '--dir', dir)).code, 0)
  const config = join(scratch, 'team.toml')
  const db = join(scratch, 'team.db')
  await writeFile(
    config,
    `[store]\nlocation = "team.db"\n[[suites.define]]\nname = "team"\npath = "team"\nworkloads = ["team_b"]\ndescription = "The team's own."\n`,
  )
  const listed = await cli('workloads', '--config', config)
  assert.equal(listed.code, 0, listed.err)
  assert.match(listed.out, /^team_b +[0-9a-f]{12} /m)
  assert.match(listed.out, /^suite team \(1\): The team's own\.$/m)
  const runTeam = () =>
    cli('run', '--suite', 'team', '--config', config, '--python', 'python3', '--db', db, ...SHORT)
  const run = await runTeam()
  assert.equal(run.code, 0, run.err)
  assert.match(run.err, /suite team \(1 workloads\)/)
  assert.deepEqual(
    (await shownResults(db, '1')).map((r) => [r.workload.name, r.outcome.state]),
    [['team_b', 'measured']],
  )
  await writeFile(config, '[[suites.define]]\nname = "team"\npath = "gone"\n')
  const refused = await runTeam()
  assert.equal(refused.code, 2)
  assert.match(
    refused.err,
    /Cannot load configuration ".*team\.toml": suites\.define\.team\.path expected a folder of workloads \(one <name>\/manifest\.json each\), found no such directory ".*gone"/,
  )
})

test('np_matmul runs in a 3.11 virtual environment with numpy, and another numpy is another series', async (t) => {
  const { interpreters } = await discoverInterpreters({ explicit: ['python3.11'] })
  if (!interpreters.some((i) => i.info.version.startsWith('3.11')))
    return t.skip('python3.11 is not installed (the numpy wheels exist for CPython 3.11 only)')
  const db = join(scratch, 'numeric.db')
  const cache = join(scratch, 'cache')
  const common = [
    '--workload',
    'np_matmul',
    '--python',
    'python3.11',
    '--db',
    db,
    '--cache-dir',
    cache,
    ...SHORT,
  ]
  const first = await cli('run', ...common)
  assert.equal(first.code, 0, first.err)
  const second = await cli('run', ...common, '--requirements-override', 'numpy==1.26.4')
  assert.equal(second.code, 0, second.err)
  const [a] = await shownResults(db, '1')
  const [b] = await shownResults(db, '2')
  for (const [r, numpy] of [
    [a, '2.0.2'],
    [b, '1.26.4'],
  ] as const) {
    assert.equal(r?.outcome.state, 'measured', JSON.stringify(r?.outcome))
    const stack = r?.metadata.stack as {
      modules: Record<string, string>
      blas: { libraries: { threads: number }[] }
    }
    assert.equal(stack.modules.numpy, numpy)
    assert.ok(stack.blas.libraries.length >= 1)
    assert.equal(stack.blas.libraries[0]?.threads, 1)
  }
  assert.notEqual(a?.workload.version, b?.workload.version)
  const shown = await cli('show', '2', '--db', db)
  assert.match(shown.out, /np_matmul: numpy 1\.26\.4; blas openblas/)
  const compared = await cli('compare', '1', '2', '--db', db, '--allow-version-mismatch')
  assert.equal(compared.code, 0, compared.err)
  assert.match(compared.out, /np_matmul \(versions differ\)/)
  assert.match(compared.out, /np_matmul: numpy 2\.0\.2; blas openblas .* → numpy 1\.26\.4; blas openblas/)
})

test('profile refuses a workload with requirements, saying why', async () => {
  const got = await cli('profile', 'np_matmul', '--python', 'python3', '--db', join(scratch, 'profile.db'))
  assert.equal(got.code, 3)
  assert.match(
    got.err,
    /Cannot profile workload "np_matmul": workloads with requirements are not profiled yet/,
  )
})

test('run refuses --blas without --system-packages, and --system-packages with --requirements-override', async () => {
  const db = join(scratch, 'blas-refused.db')
  const matmul = (...flags: string[]) =>
    cli('run', '-w', 'np_matmul', '--python', 'python3', ...flags, '--db', db, ...SHORT)
  const blasAlone = await matmul('--blas', 'openblas')
  assert.equal(blasAlone.code, 2)
  assert.match(
    blasAlone.err,
    /Cannot use --blas openblas without --system-packages: .*bundle their own OpenBLAS/,
  )
  const both = await matmul('--system-packages', '--requirements-override', 'numpy==1.26.4')
  assert.equal(both.code, 2)
  assert.match(both.err, /Cannot use --requirements-override with --system-packages/)
  const unknown = await matmul('--system-packages', '--blas', 'mkl')
  assert.match(unknown.err, /Cannot use --blas "mkl": expected reference, openblas, blis or a directory/)
})

test("run --system-packages --blas measures Debian's numpy on that BLAS, a series apart, and show names what it loaded", async (t) => {
  const { resolveBlas } = await import('../runner/index.ts')
  try {
    resolveBlas('openblas')
    resolveBlas('reference')
  } catch (error) {
    return t.skip((error as Error).message)
  }
  const onSystem = (db: string, ...flags: string[]) =>
    cli(
      'run',
      '-w',
      'np_matmul',
      '--python',
      '/usr/bin/python3',
      '--system-packages',
      ...flags,
      '--db',
      db,
      ...SHORT,
    )
  const probe = await onSystem(join(scratch, 'probe.db'))
  const [probed] = await shownResults(join(scratch, 'probe.db'), '1')
  if (probed?.outcome.state === 'skipped') return t.skip(probed.outcome.message ?? 'skipped')
  assert.equal(probe.code, 0, probe.err)
  const db = join(scratch, 'blas.db')
  for (const variant of ['openblas', 'reference']) {
    const run = await onSystem(db, '--blas', variant)
    assert.equal(run.code, 0, run.err)
  }
  const [openblas] = await shownResults(db, '1')
  const [reference] = await shownResults(db, '2')
  assert.equal(openblas?.outcome.state, 'measured', JSON.stringify(openblas?.outcome))
  assert.notEqual(openblas?.workload.version, reference?.workload.version)
  assert.notEqual(openblas?.workload.version, probed?.workload.version)
  assert.match(
    (openblas?.metadata.requirements as { installed: string[] } | undefined)?.installed.join(' ') ?? '',
    /numpy==\d/,
  )
  const shown = await cli('show', '2', '--db', db)
  assert.match(shown.out, /np_matmul: numpy [\d.]+; --blas reference: loaded blas\/libblas\.so\.3/)
})

test("run --system-packages measures the scikit-learn workloads on Debian's python3-sklearn, and skips an interpreter without it, saying why", async (t) => {
  const { interpreters } = await discoverInterpreters({ explicit: ['/usr/bin/python3', 'python3.12'] })
  const debian = interpreters.find((i) => i.info.executable.startsWith('/usr/bin/'))
  const other = interpreters.find((i) => !i.info.executable.startsWith('/usr/bin/'))
  if (debian === undefined || other === undefined)
    return t.skip("Debian's python3 or a python3.12 is not installed")
  const db = join(scratch, 'sklearn.db')
  const run = await cli(
    'run',
    '-w',
    'sklearn_kmeans',
    '-w',
    'sklearn_random_forest',
    '--python',
    debian.info.executable,
    '--python',
    other.info.executable,
    '--system-packages',
    '--db',
    db,
    ...SHORT,
  )
  assert.equal(run.code, 0, run.err)
  const onDebian = await shownResults(db, '1')
  if (onDebian.every((r) => /lacks scikit-learn/.test(r.outcome.message ?? '')))
    return t.skip("Debian's python3-sklearn is not installed (apt-get install python3-sklearn)")
  for (const r of onDebian) {
    assert.equal(r.outcome.state, 'measured', `${r.workload.name}: ${JSON.stringify(r.outcome)}`)
    const installed = (r.metadata.requirements as { installed: string[] }).installed.join(' ')
    // The distribution's own scikit-learn, without the pinned wheels' cloudpickle and narwhals.
    assert.match(installed, /scikit-learn==\d/)
    assert.doesNotMatch(installed, /narwhals/)
  }
  for (const r of await shownResults(db, '2')) {
    assert.equal(r.outcome.state, 'skipped', JSON.stringify(r.outcome))
    assert.match(
      r.outcome.message ?? '',
      /^Requirements unavailable for Python 3\.12 \(system packages\): .* lacks scikit-learn .*python3-sklearn/,
    )
  }
})
