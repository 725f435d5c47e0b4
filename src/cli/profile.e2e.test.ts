import assert from 'node:assert/strict'
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { ensurePySpy } from '../runner/index.ts'
import { cli } from './toy-runtime.ts'

// `langperf profile` end to end, in-process: py-spy from a tool cache shared with the runner's
// test (installed there with pip on first use), python3 profiling nbody for about 2 s, the stored
// profile read back by `show`, `list` and `diff`; PyPy, which py-spy cannot read, stored as
// unavailable with the reason. Skipped, with pip's reason, where py-spy cannot be installed.

const tmp = mkdtempSync(join(tmpdir(), 'langperf-profile-cli-'))
const CACHE = join(tmpdir(), 'langperf-test-cache')

/** `langperf profile nbody` on one interpreter, in one process of about `seconds`, into `db`. */
function profileNbody(python: string, seconds: number, db: string, ...more: string[]) {
  const args = ['--python', python, '--duration', String(seconds), '--processes', '1']
  return cli('profile', 'nbody', ...args, '--cache-dir', CACHE, '--db', db, ...more)
}

test('profile finds where nbody spends its time on python3, stores it, and shows it again', async (t) => {
  const tool = await ensurePySpy(CACHE, { env: process.env })
  if (!tool.ok) {
    t.skip(tool.reason)
    return
  }
  const db = join(tmp, 'p.db')
  const r = await profileNbody('python3', 2, db, '--top', '5')
  assert.equal(r.code, 0, r.err)
  // nbody's `advance` holds its loop over the bodies: most samples are in it, by itself.
  const advance = /^\s*(\d+\.\d) %\s+\d+\s+\d+\.\d %\s+\d+\s+advance\s+nbody\/workload\.py:\d+$/m.exec(r.out)
  assert.ok(advance, r.out)
  assert.ok(Number(advance[1]) > 50, r.out)
  const id = /Profile (\d+): nbody on cpython-/.exec(r.out)?.[1]
  assert.ok(id !== undefined, r.out)

  const shown = await cli('profile', 'show', id, '--db', db, '--json')
  assert.equal(shown.code, 0, shown.err)
  const profile = JSON.parse(shown.out)
  assert.equal(profile.state, 'profiled')
  assert.equal(profile.tool, 'py-spy')
  assert.equal(profile.processes, 1)
  assert.ok(profile.sampleCount > 100, String(profile.sampleCount))
  assert.equal(profile.view.top.rows[0].name, 'advance')
  // By default only samples inside timed values count: start-up and imports are left out.
  assert.equal(profile.view.timedOnly, true)
  assert.ok(profile.view.top.samples < profile.view.processSamples)
  assert.ok(profile.view.top.samples > 0.5 * profile.view.processSamples)
  assert.match(r.out, /\d+ of \d+ samples in timed values/)
  const whole = JSON.parse((await cli('profile', 'show', id, '--db', db, '--json', '--whole-process')).out)
  assert.equal(whole.view.top.samples, profile.sampleCount)

  const listed = await cli('profile', 'list', '--db', db)
  assert.match(listed.out, new RegExp(`^\\s*${id}\\s+nbody\\s+cpython-\\S+\\s+\\S+\\s+profiled\\s+\\d+`, 'm'))
  const same = await cli('profile', 'diff', id, id, '--db', db, '--json')
  assert.equal(same.code, 0, same.err)
  assert.ok(JSON.parse(same.out).rows.every((row: { deltaPoints: number }) => row.deltaPoints === 0))
  const missing = await cli('profile', 'show', '999', '--db', db)
  assert.equal(missing.code, 2)
  assert.match(missing.err, /Cannot show profile 999: there is none/)
})

test('profile on PyPy stores an unavailable profile with py-spy’s reason and exits 0', async (t) => {
  if (!existsSync('/usr/bin/pypy3')) {
    t.skip('no /usr/bin/pypy3 on this machine')
    return
  }
  const db = join(tmp, 'pypy.db')
  const r = await profileNbody('/usr/bin/pypy3', 1, db)
  assert.equal(r.code, 0, r.err)
  assert.match(r.out, /Profile \d+: nbody on pypy-\S+ .*: unavailable: /)
  const listed = await cli('profile', 'list', '--db', db, '--json')
  const [row] = JSON.parse(listed.out).rows
  assert.equal(row.state, 'unavailable')
  assert.equal(row.sampleCount, 0)
  assert.match(row.message, /py-spy|pip/)
})
