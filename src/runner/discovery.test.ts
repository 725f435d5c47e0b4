import assert from 'node:assert/strict'
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { LangperfError } from '../lib/index.ts'
import { candidatePaths, discoverInterpreters, interpreterIdentity } from './discovery.ts'

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
