import assert from 'node:assert/strict'
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join } from 'node:path'
import { test } from 'node:test'
import { LangperfError } from '../lib/index.ts'
import { candidatePaths, discoverInterpreters, interpreterIdentity, resolvePythonName } from './discovery.ts'

test('an explicit --python that does not exist is refused before anything runs', async () => {
  await assert.rejects(
    discoverInterpreters({ explicit: ['/nonexistent/python9'] }),
    (err: unknown) =>
      err instanceof LangperfError &&
      err.code === 'bad-input' &&
      /Cannot use --python "\/nonexistent\/python9": expected an executable file/.test(err.message),
  )
})

test('an explicit --python that is not a Python is refused with the reason', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'langperf-disc-'))
  const fake = join(dir, 'python')
  writeFileSync(fake, '#!/bin/sh\necho "I am not python" >&2\nexit 0\n')
  chmodSync(fake, 0o755)
  await assert.rejects(
    discoverInterpreters({ explicit: [fake] }),
    (err: unknown) =>
      err instanceof LangperfError &&
      /is not a Python the harness can run/.test(err.message) &&
      /I am not python/.test(err.message),
  )
})

test('a file that is not executable is refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'langperf-disc-'))
  const file = join(dir, 'python')
  writeFileSync(file, 'x')
  await assert.rejects(discoverInterpreters({ explicit: [file] }), /found a file that is not executable/)
})

test('interpreters are identified by their self-report, so two paths to one binary are one interpreter', async () => {
  const first = await discoverInterpreters({ explicit: ['python3'] })
  const py = first.interpreters[0]!
  const again = await discoverInterpreters({ explicit: ['python3', py.info.executable] })
  assert.equal(again.interpreters.length, 1)
  assert.equal(again.interpreters[0]!.identity, py.identity)
  assert.equal(interpreterIdentity(py.info), py.identity)
  assert.equal(py.info.implementation.length > 0, true)
})

test('discovery finds python3 on PATH and every pyenv version present', async () => {
  const candidates = await candidatePaths(process.env)
  assert.ok(candidates.some((c) => c.origin === 'PATH'))
  const { interpreters, rejected } = await discoverInterpreters()
  assert.ok(interpreters.length >= 1)
  const versions = new Set(interpreters.map((i) => i.info.version))
  // pyenv keeps each version in versions/<X.Y.Z>/: every one of them must be found and identified.
  for (const c of candidates.filter((x) => x.origin === 'pyenv')) {
    const dirVersion = /versions\/(\d+\.\d+\.\d+)\/bin/.exec(c.path)?.[1]
    if (!dirVersion) continue
    const refused = rejected.find((r) => r.path === c.path)
    assert.ok(versions.has(dirVersion) || refused, `pyenv ${dirVersion} found (${c.path})`)
  }
})

/** A fake machine: PATH dirs and a pyenv root holding executable files (contents irrelevant). */
function fakeMachine(files: readonly string[]): { root: string; env: NodeJS.ProcessEnv } {
  const root = mkdtempSync(join(tmpdir(), 'langperf-disc-'))
  for (const f of files) {
    mkdirSync(dirname(join(root, f)), { recursive: true })
    writeFileSync(join(root, f), '#!/bin/sh\nexit 0\n')
    chmodSync(join(root, f), 0o755)
  }
  const env = {
    PATH: [join(root, 'pyenv', 'shims'), join(root, 'usr', 'bin')].join(delimiter),
    PYENV_ROOT: join(root, 'pyenv'),
    HOME: root,
  }
  return { root, env }
}

test('a versioned name the pyenv shim would refuse resolves to the pyenv version that has it', async () => {
  const { root, env } = fakeMachine([
    'pyenv/shims/python3',
    'pyenv/shims/python3.12',
    'pyenv/versions/3.11.7/bin/python3.11',
    'pyenv/versions/3.12.0/bin/python3.12',
    'pyenv/versions/3.12.1/bin/python3.12',
    'usr/bin/python3.11',
  ])
  assert.equal(await resolvePythonName('python3.12', env), join(root, 'pyenv/versions/3.12.1/bin/python3.12'))
  // A plain name is what the shell runs: the shim, which runs pyenv's active version.
  assert.equal(await resolvePythonName('python3', env), join(root, 'pyenv/shims/python3'))
  // Not a shim on PATH: as the shell would run it.
  assert.equal(await resolvePythonName('python3.11', env), join(root, 'usr/bin/python3.11'))
  assert.equal(await resolvePythonName('python3.99', env), null)
  assert.equal(await resolvePythonName('./here/python', env), './here/python')
})

test('discovery lists the Pythons behind a pyenv shim on PATH, and skips versioned shims', async () => {
  const { root, env } = fakeMachine([
    'pyenv/shims/python3',
    'pyenv/shims/python3.12',
    'pyenv/versions/3.12.1/bin/python3',
    'usr/bin/python3',
    'usr/bin/python3.11',
    'usr/bin/python3-config',
  ])
  const paths = (await candidatePaths(env)).map((c) => `${c.path.slice(root.length + 1)} (${c.origin})`)
  assert.deepEqual(paths, [
    'pyenv/shims/python3 (PATH)',
    'pyenv/versions/3.12.1/bin/python3 (pyenv)',
    'usr/bin/python3 (PATH)',
    'usr/bin/python3.11 (PATH)',
  ])
})

test('a --python name nothing has says where it looked and how to list what there is', async () => {
  const { env } = fakeMachine(['usr/bin/python3'])
  await assert.rejects(
    discoverInterpreters({ explicit: ['python3.99'], env }),
    /Cannot use --python "python3.99": expected an executable file or a name on PATH or in pyenv, found nothing; `langperf interpreters` lists/,
  )
})
