import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readdirSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { parseCollapsedStacks, stacksText } from '../analysis/index.ts'
import { findPerf } from '../runner/index.ts'
import { openSqliteStore } from '../store/index.ts'
import { main } from './main.ts'
import type { Io } from './output.ts'
import { cli, sink } from './toy-runtime.ts'

// `langperf profile --profiler perf` end to end, in-process: pyenv's CPython 3.13 (-X perf_jit)
// profiling nbody for about 2 s under perf; the stored profile names C functions of the
// interpreter and the workload's Python function, the C frames under the Python one. Skipped,
// with perf's reason, where perf cannot record here. Without perf on PATH the profile is stored
// as unavailable with the reason.

const tmp = mkdtempSync(join(tmpdir(), 'langperf-profile-perf-'))
const PY313 = join(homedir(), '.pyenv', 'versions', '3.13.0', 'bin', 'python3.13')
const LIBPYTHON = /(^|\/)libpython3\.13\.so[.\d]*$|(^|\/)python3\.13$/

/** CPython's perf files in /tmp (perf map, jitdump, the objects perf inject makes of it). */
const cpythonPerfFiles = () =>
  readdirSync('/tmp').filter((n) => /^(jit-\d+\.dump|jitted-\d+-\d+\.so|perf-\d+\.map)$/.test(n))

test('profile --profiler perf names the interpreter’s C functions under nbody’s Python function on CPython 3.13', async (t) => {
  const perf = await findPerf(process.env)
  if (!perf.ok) {
    t.skip(perf.reason)
    return
  }
  if (!existsSync(PY313)) {
    t.skip(`no ${PY313} on this machine`)
    return
  }
  const db = join(tmp, 'perf.db')
  const before = new Set(cpythonPerfFiles())
  const r = await cli(
    'profile',
    'nbody',
    '--python',
    PY313,
    '--profiler',
    'perf',
    '--duration',
    '2',
    '--processes',
    '1',
    '--db',
    db,
    '--json',
  )
  assert.equal(r.code, 0, r.err)
  const [profile] = JSON.parse(r.out).profiles
  assert.equal(profile.state, 'profiled', profile.message)
  assert.equal(profile.tool, 'perf')
  assert.equal(profile.toolVersion, perf.version)
  assert.equal(profile.metadata.python_options, '-X perf_jit')
  assert.match(profile.metadata.profiler_command, /^perf record -e cpu-clock -F 250 -k 1 --call-graph dwarf/)
  // The harness's Python frames are named, so the view counts the timed values only.
  assert.equal(profile.view.timedOnly, true)
  const rows: { name: string; file: string; self: number; total: number }[] = profile.view.top.rows
  const samples: number = profile.view.top.samples
  // cpu-clock counts the process's CPU time: on a loaded machine 2 s of wall time can be a few
  // tenths of CPU seconds (54 timed samples once, at load 7).
  assert.ok(samples >= 25, String(samples))
  // A C function of the interpreter takes self time, and nbody's `advance` holds nearly all of it.
  const c = rows.filter((row) => LIBPYTHON.test(row.file) && row.self > 0)
  assert.ok(
    c.some((row) => row.name === '_PyEval_EvalFrameDefault'),
    JSON.stringify(c.slice(0, 10)),
  )
  const advance = rows.find((row) => row.name === 'advance' && /nbody\/workload\.py$/.test(row.file))
  assert.ok(advance, JSON.stringify(rows.slice(0, 10)))
  assert.ok(advance.total > 0.8 * samples, `${advance.total} of ${samples}`)
  // In the stored stacks the C frames sit under the Python frame that called them.
  const store = await openSqliteStore(db)
  try {
    const stored = await store.getProfile(profile.id)
    assert.ok(stored?.stacksGzip)
    const stacks = parseCollapsedStacks(stacksText(stored.stacksGzip)).stacks
    const under = stacks.some((s) => {
      const i = s.frames.findIndex((f) => f.name === 'advance')
      return i >= 0 && s.frames.slice(i + 1).some((f) => LIBPYTHON.test(f.file))
    })
    assert.ok(under, 'no stack with a libpython frame under advance')
  } finally {
    await store.close()
  }
  // CPython's perf files of the profiled process were removed from /tmp.
  assert.deepEqual(
    cpythonPerfFiles().filter((n) => !before.has(n)),
    [],
  )
})

test('profile --profiler perf without perf stores an unavailable profile that says so', async (t) => {
  if (!existsSync(PY313)) {
    t.skip(`no ${PY313} on this machine`)
    return
  }
  const out = sink()
  const err = sink()
  const io: Io = { out: out.stream, err: err.stream, isTty: false }
  const db = join(tmp, 'none.db')
  const args = ['profile', 'nbody', '--python', PY313, '--profiler', 'perf', '--duration', '1', '--db', db]
  const code = await main(['node', 'langperf', ...args], io, {
    ...process.env,
    PATH: join(tmp, 'empty-path'),
  })
  assert.equal(code, 0, err.text())
  assert.match(out.text(), /: unavailable: perf is not installed \(Debian: apt-get install linux-perf/)
  const bad = await cli('profile', 'nbody', '--python', PY313, '--profiler', 'vtune', '--db', db)
  assert.equal(bad.code, 2)
  assert.match(bad.err, /Cannot use --profiler "vtune": expected one of py-spy, perf/)
})
