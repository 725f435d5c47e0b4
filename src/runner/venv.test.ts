import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import type { WorkloadDefinition, WorkloadResult } from '../model/index.ts'
import { discoverInterpreters, type Interpreter } from './discovery.ts'
import { getPreset } from './presets.ts'
import { measureSuite } from './suite.ts'
import { ensureVenv, VENV_STAMP, venvDir, venvKey } from './venv.ts'

// Virtual environments for workloads with requirements. The installs use pip's configured index
// (the machine's wheel store); threadpoolctl is a small pure-Python wheel, so they take seconds.

const scratch = await mkdtemp(join(tmpdir(), 'langperf-venv-'))
after(() => rm(scratch, { recursive: true, force: true }))

/** CPython 3.11 (the numeric wheels exist for it only), or undefined when it is absent. */
async function python311(): Promise<Interpreter | undefined> {
  const { interpreters } = await discoverInterpreters({ explicit: ['python3.11'] })
  return interpreters.find((i) => i.info.version.startsWith('3.11'))
}

const SMALL = ['threadpoolctl==3.7.0']

test('venvKey() depends on the interpreter and the requirements, not on their order', () => {
  const key = venvKey('abc123', ['numpy==2.0.2', 'threadpoolctl==3.7.0'])
  assert.equal(key, venvKey('abc123', ['threadpoolctl==3.7.0', 'numpy==2.0.2']))
  assert.notEqual(key, venvKey('abc124', ['numpy==2.0.2', 'threadpoolctl==3.7.0']))
  assert.notEqual(key, venvKey('abc123', ['numpy==1.26.4', 'threadpoolctl==3.7.0']))
  assert.match(key, /^abc123-[0-9a-f]{12}$/)
  assert.equal(
    venvDir('/cache', 'abc123', ['numpy==2.0.2']),
    join('/cache', 'venvs', venvKey('abc123', ['numpy==2.0.2'])),
  )
})

test('ensureVenv() says Python 2.7 has no venv, without running anything', async () => {
  const got = await ensureVenv(
    scratch,
    { identity: 'py27', info: { executable: '/nonexistent/python2.7', version: '2.7.18' } },
    SMALL,
  )
  assert.deepEqual(got, { ok: false, reason: 'Python 2.7 has no venv module' })
})

test('ensureVenv() installs once, reuses the environment, and redoes one without its stamp', async (t) => {
  const py = await python311()
  if (!py) return t.skip('python3.11 is not installed')
  const cache = join(scratch, 'reuse')
  const first = await ensureVenv(cache, py, SMALL)
  assert.ok(first.ok, first.ok ? '' : first.reason)
  assert.equal(first.created, true)
  assert.ok(first.installed.includes('threadpoolctl==3.7.0'), first.installed.join(', '))
  assert.ok(existsSync(join(first.dir, VENV_STAMP)))
  const second = await ensureVenv(cache, py, SMALL)
  assert.ok(second.ok)
  assert.equal(second.created, false)
  assert.deepEqual(second.installed, first.installed)
  // An install interrupted before its stamp: the directory is made anew, leftovers gone.
  await rm(join(first.dir, VENV_STAMP))
  await writeFile(join(first.dir, 'leftover'), 'half an install')
  const third = await ensureVenv(cache, py, SMALL)
  assert.ok(third.ok)
  assert.equal(third.created, true)
  assert.ok(!existsSync(join(first.dir, 'leftover')))
})

test('two makers of one environment at once: one makes it, the other waits and reuses it', async (t) => {
  const py = await python311()
  if (!py) return t.skip('python3.11 is not installed')
  const cache = join(scratch, 'together')
  const [a, b] = await Promise.all([ensureVenv(cache, py, SMALL), ensureVenv(cache, py, SMALL)])
  assert.ok(a.ok && b.ok, JSON.stringify([a, b]))
  assert.deepEqual([a.created, b.created].sort(), [false, true])
  assert.ok(!existsSync(`${a.dir}.lock`), 'the lock is removed')
})

test('a lock just created, its pid not yet written, is waited for rather than taken', async (t) => {
  const py = await python311()
  if (!py) return t.skip('python3.11 is not installed')
  const cache = join(scratch, 'fresh-lock')
  const dir = venvDir(cache, py.identity, SMALL)
  await mkdir(join(cache, 'venvs'), { recursive: true })
  await writeFile(`${dir}.lock`, '')
  const outcome = await ensureVenv(cache, py, SMALL, { timeoutMs: 600 })
  assert.equal(outcome.ok, false)
  assert.match(outcome.ok ? '' : outcome.reason, /for too long/)
  assert.ok(existsSync(`${dir}.lock`), 'the other maker keeps its lock')
  await rm(`${dir}.lock`)
})

test('a lock left by a process that is gone is taken over', async (t) => {
  const py = await python311()
  if (!py) return t.skip('python3.11 is not installed')
  const cache = join(scratch, 'stale-lock')
  const gone = spawnSync('true').pid
  await mkdir(join(cache, 'venvs'), { recursive: true })
  await writeFile(`${venvDir(cache, py.identity, SMALL)}.lock`, String(gone))
  const got = await ensureVenv(cache, py, SMALL)
  assert.ok(got.ok && got.created, JSON.stringify(got))
})

test('ensureVenv() returns pip reason for a requirement the index lacks and leaves no directory', async (t) => {
  const py = await python311()
  if (!py) return t.skip('python3.11 is not installed')
  const cache = join(scratch, 'missing')
  const got = await ensureVenv(cache, py, ['langperf-no-such-package==1.0'])
  assert.equal(got.ok, false)
  assert.match(
    got.ok ? '' : got.reason,
    /^No matching distribution found for langperf-no-such-package==1\.0 \(pip install of 1 requirements: .*Could not find a version/,
  )
  assert.ok(!existsSync(venvDir(cache, py.identity, ['langperf-no-such-package==1.0'])))
})

/** A workload with requirements in a directory of its own, checking which python runs it. */
async function workloadNeeding(name: string, requirements: readonly string[]): Promise<WorkloadDefinition> {
  const dir = join(scratch, 'workloads', name)
  await mkdir(dir, { recursive: true })
  await writeFile(
    join(dir, 'workload.py'),
    'import sys, threadpoolctl\ndef make(params):\n    assert "venvs" in sys.prefix, sys.prefix\n    return lambda: sum(range(100))\n',
  )
  return {
    manifest: {
      name,
      description: name,
      tags: ['micro'],
      language: 'python',
      entry: 'workload.py',
      parameters: {},
      innerLoops: 1,
      requiresPython: '3.6',
      requirements,
    },
    dir,
    entryPath: join(dir, 'workload.py'),
    version: 'test',
  }
}

test('a suite skips, with pip reason, an interpreter whose requirements cannot be installed, and goes on', async (t) => {
  const py = await python311()
  if (!py) return t.skip('python3.11 is not installed')
  const missing = await workloadNeeding('needs_missing', ['langperf-no-such-package==1.0'])
  const fine = await workloadNeeding('needs_threadpoolctl', SMALL)
  const results: WorkloadResult[] = []
  await measureSuite(
    {
      interpreters: [py],
      workloads: [missing, fine],
      preset: { ...getPreset('fast'), plain: { processes: 2, warmups: 0, values: 1 }, minTimeS: 0.002 },
      timeoutMs: 60_000,
      cacheDir: join(scratch, 'suite'),
    },
    { onEvent: (e) => void (e.kind === 'result' && results.push(e.result)) },
  )
  const [skipped, measured] = results
  assert.equal(skipped?.outcome.state, 'skipped')
  assert.match(
    skipped?.outcome.state === 'skipped' ? skipped.outcome.message : '',
    /^Requirements unavailable for Python 3\.11: No matching distribution found for langperf-no-such-package==1\.0 /,
  )
  assert.equal(measured?.outcome.state, 'measured', JSON.stringify(measured?.outcome))
  const requirements = measured?.metadata.requirements as { requested: string[]; installed: string[] }
  assert.deepEqual(requirements.requested, SMALL)
  assert.ok(requirements.installed.includes('threadpoolctl==3.7.0'))
  assert.deepEqual(measured?.metadata.thread_env, {
    ...{ OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' },
    ...Object.fromEntries(
      ['OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS', 'OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE']
        .filter((k) => process.env[k] !== undefined)
        .map((k) => [k, process.env[k]]),
    ),
  })
  const stack = measured?.metadata.stack as { modules: Record<string, string | null> } | undefined
  assert.equal(stack?.modules.threadpoolctl, '3.7.0')
})
