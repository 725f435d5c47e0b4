// Runs the harness on every Python interpreter this machine has, with small fixture workloads
// written to a temporary directory, and checks what it writes on its result descriptor through
// the runner's own parser. An interpreter that is not installed is skipped with the places
// searched. Each interpreter takes about a second (PyPy's start-up is the slowest part).
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { accessSync, constants, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { basename, delimiter, dirname, join } from 'node:path'
import { after, before, test } from 'node:test'
import {
  HARNESS_PATH,
  type HarnessError,
  type HarnessMessage,
  type HarnessResult,
  parseHarnessOutput,
  toInterpreterInfo,
} from '../../src/runner/protocol.ts'

/** Interpreter names looked for, oldest first. */
const NAMES = [
  'python2.7',
  ...Array.from({ length: 9 }, (_, i) => `python3.${i + 6}`),
  'pypy',
  'pypy3',
] as const

const pyenvRoot = process.env.PYENV_ROOT ?? join(homedir(), '.pyenv')

/** Directories searched: every pyenv version's bin/, then PATH without pyenv's shims (shell scripts). */
function searchDirs(): string[] {
  const dirs: string[] = []
  try {
    for (const v of readdirSync(join(pyenvRoot, 'versions')).sort())
      dirs.push(join(pyenvRoot, 'versions', v, 'bin'))
  } catch {
    // no pyenv here
  }
  for (const d of (process.env.PATH ?? '').split(delimiter)) {
    if (d !== '' && !d.includes(`${join('.pyenv', 'shims')}`) && !dirs.includes(d)) dirs.push(d)
  }
  return dirs
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/** name → first executable found, with the pyenv version directory it came from (if any). */
function findInterpreters(): Map<string, { path: string; pyenvVersion: string | null }> {
  const found = new Map<string, { path: string; pyenvVersion: string | null }>()
  const seenReal = new Set<string>()
  const dirs = searchDirs()
  for (const name of NAMES) {
    for (const dir of dirs) {
      const path = join(dir, name)
      if (!isExecutable(path)) continue
      const real = realpathSync(path)
      if (seenReal.has(real)) break
      seenReal.add(real)
      const inPyenv = dir.startsWith(join(pyenvRoot, 'versions'))
      found.set(name, { path, pyenvVersion: inPyenv ? basename(dirname(dir)) : null })
      break
    }
  }
  return found
}

interface Spawned {
  readonly status: number | null
  readonly stdout: string
  readonly stderr: string
  /** What the harness wrote on descriptor 3. */
  readonly result: string
}

/** Runs the harness with `args`; descriptor 3 is a pipe unless `withResultFd` is false. */
function runHarness(python: string, args: readonly string[], withResultFd = true): Promise<Spawned> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, [HARNESS_PATH, ...args], {
      stdio: withResultFd ? ['ignore', 'pipe', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
    })
    const out: Buffer[] = []
    const err: Buffer[] = []
    const res: Buffer[] = []
    child.stdout?.on('data', (b: Buffer) => out.push(b))
    child.stderr?.on('data', (b: Buffer) => err.push(b))
    const fd3 = child.stdio[3]
    if (fd3 && 'on' in fd3) fd3.on('data', (b: Buffer) => res.push(b))
    child.on('error', reject)
    child.on('close', (status) =>
      resolve({
        status,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        result: Buffer.concat(res).toString('utf8'),
      }),
    )
  })
}

function parsed(run: Spawned): HarnessMessage {
  const p = parseHarnessOutput(run.result)
  assert.ok(p.ok, `${p.ok ? '' : p.problem}\nstderr: ${run.stderr}`)
  return p.message
}

function expectResult(run: Spawned): HarnessResult {
  const m = parsed(run)
  assert.equal(m.kind, 'result', `expected a result, got ${JSON.stringify(m)}\nstderr: ${run.stderr}`)
  assert.equal(run.status, 0)
  return m as HarnessResult
}

function expectError(run: Spawned, status: number): HarnessError {
  const m = parsed(run)
  assert.equal(m.kind, 'error', `expected an error, got ${JSON.stringify(m)}`)
  assert.equal(run.status, status, `exit status (stderr: ${run.stderr})`)
  return m as HarnessError
}

// ---------------------------------------------------------------------------------------------
// Fixture workloads: Python 2.7-compatible, each a few lines.

let dir = ''
/** Touched memory held by this process while children run (see the max RSS assertion). */
let ballast: Buffer | null = null
const fixture = (name: string) => join(dir, name)

const FIXTURES: Record<string, string> = {
  // ~20-100 us per step: far above Python 2's 1 us clock resolution.
  'step.py': `
def make(params):
    n = params["n"]
    def step():
        return sum(range(n))
    return step
`,
  // Deterministic timing: time_loops returns 1 ms per loop, 2 ms per loop for its first calls.
  'timed.py': `
calls = [0]
def time_loops(loops, params):
    calls[0] += 1
    per_loop = 0.002 if calls[0] <= params.get("slow_calls", 0) else 0.001
    return loops * per_loop
`,
  'noisy.py': `
import sys
def make(params):
    print('{"protocol":1,"kind":"error","message":"printed by the workload"}')
    sys.stderr.write("noise on stderr\\n")
    sys.__stdout__.write("more noise\\n")
    def step():
        sys.stdout.write("step output\\n")
        sys.stderr.write("step error output\\n")
        return sum(range(3000))
    return step
`,
  'raises.py': `
calls = [0]
def make(params):
    def step():
        calls[0] += 1
        if calls[0] > 3:
            raise ValueError("boom after %d calls" % calls[0])
        return sum(range(3000))
    return step
`,
  'make_raises.py': `
def make(params):
    raise KeyError("missing-setting")
`,
  'import_fails.py': `
import no_such_module_for_langperf_tests
`,
  'no_api.py': `
VALUE = 1
`,
  'returns_none.py': `
def make(params):
    return None
`,
  'zero.py': `
def time_loops(loops, params):
    return 0.0
`,
  'not_a_number.py': `
def time_loops(loops, params):
    return "fast"
`,
  // Sleeps: calibration must double loops until a value lasts --min-time.
  'sleepy.py': `
import time
def make(params):
    def step():
        time.sleep(0.001)
    return step
`,
  // The module contract: not __main__, sibling imports, pickle of own classes, sys.path restored.
  'contract.py': `
import os, pickle, sys
import contract_helper
assert __name__ != "__main__", __name__
HERE = os.path.dirname(os.path.abspath(__file__))
class Point(object):
    def __init__(self, x):
        self.x = x
def make(params):
    assert sys.argv == [__file__] or os.path.abspath(sys.argv[0]) == os.path.abspath(__file__), sys.argv
    def step():
        assert HERE not in sys.path, "workload directory left on sys.path"
        assert pickle.loads(pickle.dumps(Point(contract_helper.VALUE))).x == 42
    return step
`,
  'contract_helper.py': `
VALUE = 42
`,
  // Echoes its params as JSON on stdout, to compare the harness's own JSON reader with json.
  'echo_params.py': `
import json
def make(params):
    print("PARAMS " + json.dumps(params, sort_keys=True))
    return lambda: sum(range(3000))
`,
}

before(() => {
  ballast = Buffer.alloc(160 * 1024 * 1024, 1)
  dir = mkdtempSync(join(tmpdir(), 'langperf-harness-'))
  for (const [name, source] of Object.entries(FIXTURES)) writeFileSync(join(dir, name), source)
})

after(() => {
  ballast = null
  if (dir) rmSync(dir, { recursive: true, force: true })
})

// ---------------------------------------------------------------------------------------------

const interpreters = findInterpreters()
const searched = `looked for ${NAMES.join(', ')} in ${join(pyenvRoot, 'versions', '*', 'bin')} and on PATH`

// No JIT or free-threaded build is installed here, so the decision rules are checked by calling
// the harness's functions on 3.13 with the build flags and environment such builds would have.
const PROBE = `
import json, os, sys
sys.path.insert(0, os.path.dirname(sys.argv[1]))
import langperf_harness as h
out = {}
def jit(name, cflags, env):
    for k in ("PYTHON_JIT", "PYTHONPERFSUPPORT"):
        os.environ.pop(k, None)
    os.environ.update(env)
    out[name] = h._cpython_jit({"PY_CORE_CFLAGS": cflags})
jit("yes", "-O3 -D_Py_TIER2=1 -D_Py_JIT", {})
jit("yes, PYTHON_JIT=0", "-D_Py_TIER2=1 -D_Py_JIT", {"PYTHON_JIT": "0"})
jit("yes-off", "-D_Py_TIER2=3 -D_Py_JIT", {})
jit("yes-off, PYTHON_JIT=1", "-D_Py_TIER2=3 -D_Py_JIT", {"PYTHON_JIT": "1"})
jit("yes, perf support", "-D_Py_TIER2=1 -D_Py_JIT", {"PYTHONPERFSUPPORT": "1"})
jit("interpreter", "-D_Py_TIER2=4", {})
jit("no", "-O3", {})
jit("no flags known", "", {})
class FakeJit(object):
    def __init__(self, available, enabled):
        self.is_available = lambda: available
        self.is_enabled = lambda: enabled
sys._jit = FakeJit(True, False)
jit("3.14 sys._jit available, off", "", {})
sys._jit = FakeJit(False, False)
jit("3.14 sys._jit not built", "-D_Py_JIT", {})
del sys._jit
out["ft build, GIL on"] = h._free_threading("cpython", {"Py_GIL_DISABLED": "1"})
sys._is_gil_enabled = lambda: False
out["ft build, GIL off"] = h._free_threading("cpython", {"Py_GIL_DISABLED": "1"})
out["default build"] = h._free_threading("cpython", {"Py_GIL_DISABLED": "0"})
out["pypy"] = h._free_threading("pypy", {})
print(json.dumps(out))
`

test('describe decides JIT and free-threading states as CPython 3.13 and 3.14 builds would', async (t) => {
  const py = interpreters.get('python3.13')?.path
  if (py === undefined) {
    t.skip(`python3.13 is not installed (${searched})`)
    return
  }
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(py, ['-c', PROBE, HARNESS_PATH], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
    })
    const chunks: Buffer[] = []
    child.stdout.on('data', (b: Buffer) => chunks.push(b))
    child.on('error', reject)
    child.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')))
  })
  assert.deepEqual(JSON.parse(out), {
    yes: 'enabled',
    'yes, PYTHON_JIT=0': 'disabled',
    'yes-off': 'disabled',
    'yes-off, PYTHON_JIT=1': 'enabled',
    'yes, perf support': 'disabled',
    interpreter: 'absent',
    no: 'absent',
    'no flags known': 'unknown',
    '3.14 sys._jit available, off': 'disabled',
    '3.14 sys._jit not built': 'absent',
    'ft build, GIL on': 'disabled',
    'ft build, GIL off': 'enabled',
    'default build': 'absent',
    pypy: 'absent',
  })
})

for (const name of NAMES) {
  const found = interpreters.get(name)
  test(`the harness speaks protocol 1 on ${name}`, async (t) => {
    if (found === undefined) {
      t.skip(`${name} is not installed (${searched})`)
      return
    }
    const py = found.path
    const isPypy = name.startsWith('pypy')
    const expectedMajorMinor = isPypy ? (name === 'pypy' ? '2.' : '3.') : `${name.slice('python'.length)}.`

    await t.test('describe reports the interpreter it runs on', async () => {
      const run = await runHarness(py, ['--result-fd', '3', 'describe'])
      const m = parsed(run)
      assert.equal(m.kind, 'describe')
      assert.equal(run.status, 0)
      if (m.kind !== 'describe') return
      const i = m.interpreter
      assert.equal(i.implementation, isPypy ? 'pypy' : 'cpython')
      if (found.pyenvVersion !== null && !isPypy) assert.equal(i.version, found.pyenvVersion)
      assert.ok(
        i.version.startsWith(expectedMajorMinor),
        `${i.version} should start with ${expectedMajorMinor}`,
      )
      assert.match(i.version, /^\d+\.\d+\.\d+((a|b|rc)\d+)?$/)
      if (!isPypy) assert.equal(i.implementation_version, i.version)
      else assert.match(i.implementation_version, /^\d+\.\d+\.\d+/)
      assert.ok(i.sys_version.startsWith(i.version.replace(/(a|b|rc)\d+$/, '')), i.sys_version)
      assert.equal(i.executable, realpathSync(py))
      assert.ok([32, 64].includes(i.pointer_bits))
      assert.ok(i.compiler.length > 0, 'compiler should be known')
      for (const value of Object.values(i.build_flags)) assert.equal(typeof value, 'string')
      if (!isPypy) assert.ok('CONFIG_ARGS' in i.build_flags || process.platform === 'win32')
      const [major, minor] = i.version.split('.').map(Number)
      if (!isPypy && (major ?? 0) * 100 + (minor ?? 0) < 313) {
        assert.equal(i.jit, 'absent')
        assert.equal(i.free_threading, 'absent')
      }
      if (isPypy) {
        assert.equal(i.jit, 'enabled')
        assert.equal(i.free_threading, 'absent')
      }
      assert.equal(typeof i.extra.platform, 'string')
      assert.equal(typeof i.extra.recursion_limit, 'number')
      const info = toInterpreterInfo(m)
      assert.equal(info.implementationVersion, i.implementation_version)
    })

    if (isPypy) {
      await t.test('describe sees the JIT turned off with --jit off', async () => {
        const child = await new Promise<Spawned>((resolve, reject) => {
          const c = spawn(py, ['--jit', 'off', HARNESS_PATH, '--result-fd', '3', 'describe'], {
            stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
          })
          const res: Buffer[] = []
          const fd3 = c.stdio[3]
          if (fd3 && 'on' in fd3) fd3.on('data', (b: Buffer) => res.push(b))
          c.on('error', reject)
          c.on('close', (status) =>
            resolve({ status, stdout: '', stderr: '', result: Buffer.concat(res).toString('utf8') }),
          )
        })
        const m = parsed(child)
        assert.ok(m.kind === 'describe' && m.interpreter.jit === 'disabled')
      })
    }

    await t.test('a run with fixed loops gives the requested warm-ups and positive values', async () => {
      const run = await runHarness(py, [
        '--result-fd',
        '3',
        'run',
        '--workload',
        fixture('step.py'),
        '--params',
        '{"n": 2000}',
        '--loops',
        '5',
        '--warmups',
        '2',
        '--values',
        '4',
      ])
      const r = expectResult(run)
      assert.equal(r.loops, 5)
      assert.equal(r.inner_loops, 1)
      assert.equal(r.values.length, 4)
      assert.deepEqual(
        r.warmups.map(([loops]) => loops),
        [5, 5],
      )
      for (const v of r.values) assert.ok(v > 0 && Number.isFinite(v))
      assert.equal(r.metadata.calibrated, false)
      assert.equal(r.metadata.timing, 'step')
      const maxRssBytes = r.metadata.max_rss_bytes ?? 0
      assert.ok(maxRssBytes > 1_000_000, 'max RSS should be in bytes, not KiB')
      // This test process holds a 160 MB buffer: the child must not report it as its own peak
      // (ru_maxrss on Linux would, since exec() keeps the forked image's peak).
      assert.ok((ballast?.length ?? 0) > 150_000_000)
      assert.ok(maxRssBytes < 120_000_000, `max RSS ${maxRssBytes} includes the parent's memory`)
      if (process.platform === 'linux') assert.equal(r.metadata.max_rss_source, 'VmHWM')
      assert.ok(r.metadata.duration_s > 0)
      assert.ok(!Number.isNaN(Date.parse(r.metadata.date)))
      // A standard-library workload loads nothing from site-packages: no stack is recorded.
      assert.equal(r.metadata.stack, undefined)
    })

    await t.test('--clock process times CPU time (3.3+), and not a workload that times itself', async () => {
      const args = (workload: string) => [
        '--result-fd',
        '3',
        'run',
        '--workload',
        fixture(workload),
        '--loops',
        '1',
        '--warmups',
        '0',
        '--values',
        '3',
        '--clock',
        'process',
      ]
      if (name === 'python2.7' || name === 'pypy') {
        const e = expectError(await runHarness(py, args('sleepy.py')), 2)
        assert.match(e.message, /--clock process: time.process_time needs Python 3.3 or newer/)
        return
      }
      const r = expectResult(await runHarness(py, args('sleepy.py')))
      assert.equal(r.metadata.clock, 'process_time')
      // A 1 ms sleep (sleepy.py) costs microseconds of CPU: far under the wall clock's 1 ms.
      for (const v of r.values) assert.ok(v > 0 && v < 0.0005, `${v} s of CPU for a 1 ms sleep`)
      const e = expectError(await runHarness(py, args('timed.py')), 1)
      assert.match(e.message, /times itself \(time_loops\): --clock process cannot apply/)
    })

    await t.test('time_loops values are divided by loops and inner loops, warm-ups kept apart', async () => {
      const run = await runHarness(py, [
        '--result-fd=3',
        'run',
        '--workload',
        fixture('timed.py'),
        '--params',
        '{"slow_calls": 2}',
        '--loops',
        '10',
        '--inner-loops',
        '4',
        '--warmups',
        '2',
        '--values',
        '3',
      ])
      const r = expectResult(run)
      assert.equal(r.metadata.timing, 'time_loops')
      assert.equal(r.inner_loops, 4)
      // The first two calls (the warm-ups) report 2 ms per loop, later calls 1 ms.
      assert.deepEqual(
        r.warmups.map(([l, v]) => [l, Number(v.toPrecision(12))]),
        [
          [10, 0.0005],
          [10, 0.0005],
        ],
      )
      assert.deepEqual(
        r.values.map((v) => Number(v.toPrecision(12))),
        [0.00025, 0.00025, 0.00025],
      )
    })

    await t.test('calibration doubles loops from 1 until a value lasts --min-time', async () => {
      const run = await runHarness(py, [
        '--result-fd',
        '3',
        'run',
        '--workload',
        fixture('timed.py'),
        '--calibrate',
        '--min-time',
        '0.005',
        '--warmups',
        '0',
        '--values',
        '0',
      ])
      const r = expectResult(run)
      // 1 ms per loop: 1, 2, 4 loops last less than 5 ms, 8 loops last 8 ms.
      assert.deepEqual(
        r.warmups.map(([l]) => l),
        [1, 2, 4, 8],
      )
      assert.equal(r.loops, 8)
      assert.deepEqual(r.values, [])
      assert.equal(r.metadata.calibrated, true)
      assert.equal(r.metadata.calibration_capped, false)
    })

    await t.test('calibration stops at --max-loops and says so', async () => {
      const run = await runHarness(py, [
        '--result-fd',
        '3',
        'run',
        '--workload',
        fixture('timed.py'),
        '--calibrate',
        '--min-time',
        '1',
        '--max-loops',
        '3',
        '--warmups',
        '1',
        '--values',
        '2',
      ])
      const r = expectResult(run)
      assert.deepEqual(
        r.warmups.map(([l]) => l),
        [1, 2, 3, 3],
      )
      assert.equal(r.loops, 3)
      assert.equal(r.values.length, 2)
      assert.equal(r.metadata.calibration_capped, true)
    })

    await t.test('calibration of a real step stops at the first value that lasts --min-time', async () => {
      const run = await runHarness(py, [
        '--result-fd',
        '3',
        'run',
        '--workload',
        fixture('sleepy.py'),
        '--calibrate',
        '--min-time',
        '0.005',
        '--values',
        '1',
        '--warmups',
        '0',
      ])
      const r = expectResult(run)
      const loops = r.warmups.map(([l]) => l)
      assert.deepEqual(
        loops,
        loops.map((_, k) => 2 ** k),
      )
      // How many doublings it takes depends on the machine's load; the rule does not.
      assert.equal(r.loops, loops.at(-1))
      const seconds = r.warmups.map(([l, v]) => l * v)
      assert.ok((seconds.at(-1) ?? 0) >= 0.005 - 1e-12)
      for (const s of seconds.slice(0, -1)) assert.ok(s < 0.005 + 1e-12)
      assert.equal(r.values.length, 1)
    })

    await t.test(
      'a workload that prints on stdout and stderr does not disturb the result channel',
      async () => {
        const run = await runHarness(py, [
          '--result-fd',
          '3',
          'run',
          '--workload',
          fixture('noisy.py'),
          '--loops',
          '3',
          '--values',
          '2',
        ])
        const r = expectResult(run)
        assert.equal(r.values.length, 2)
        assert.match(run.stdout, /printed by the workload/)
        assert.match(run.stdout, /step output/)
        assert.match(run.stderr, /step error output/)
      },
    )

    await t.test(
      'the workload is a module of its own, with its directory on sys.path only while loading',
      async () => {
        const run = await runHarness(py, [
          '--result-fd',
          '3',
          'run',
          '--workload',
          fixture('contract.py'),
          '--loops',
          '2',
        ])
        expectResult(run)
      },
    )

    await t.test('--params reaches make() as json.loads would read it', async () => {
      const params = {
        text: 'caf\u00e9 \u2028 "quoted" \\ back/slash\n\ttab',
        emoji: '\u{1F600}',
        ints: [0, -12, 2 ** 40],
        floats: [1.5e-3, -0.25, 1e22],
        nested: { a: [true, false, null, [], {}] },
      }
      // Escaped surrogates, upper-case exponent and white space, as another runner might write them.
      const text = JSON.stringify(params).replace('"emoji":"\u{1F600}"', '"emoji" : "\\ud83d\\ude00"')
      const run = await runHarness(py, [
        '--result-fd',
        '3',
        'run',
        '--workload',
        fixture('echo_params.py'),
        '--params',
        text,
        '--loops',
        '1',
        '--values',
        '1',
      ])
      expectResult(run)
      const echoed = /^PARAMS (.*)$/m.exec(run.stdout)?.[1]
      assert.ok(echoed, run.stdout)
      assert.deepEqual(JSON.parse(echoed), params)
    })

    await t.test('a workload that raises gives an error record and exit status 1', async () => {
      const run = await runHarness(py, [
        '--result-fd',
        '3',
        'run',
        '--workload',
        fixture('raises.py'),
        '--loops',
        '1',
        '--warmups',
        '1',
        '--values',
        '5',
      ])
      const e = expectError(run, 1)
      assert.equal(e.phase, 'value')
      assert.equal(e.error_type, 'ValueError')
      assert.equal(e.message, 'boom after 4 calls')
      assert.match(e.traceback, /raises\.py/)
      assert.match(e.traceback, /ValueError: boom after 4 calls/)
    })

    await t.test('failures while loading or in make() name their phase', async () => {
      const cases = [
        ['make_raises.py', 'make', 'KeyError'],
        ['import_fails.py', 'load', 'ImportError|ModuleNotFoundError'],
        ['no_api.py', 'load', 'WorkloadApiError'],
        ['returns_none.py', 'make', 'WorkloadApiError'],
      ] as const
      for (const [file, phase, type] of cases) {
        const run = await runHarness(py, [
          '--result-fd',
          '3',
          'run',
          '--workload',
          fixture(file),
          '--loops',
          '1',
        ])
        const e = expectError(run, 1)
        assert.equal(e.phase, phase, file)
        assert.match(e.error_type, new RegExp(`^(${type})$`), file)
      }
    })

    await t.test(
      'a clock reading of zero or a non-number from time_loops is an error, not a value',
      async () => {
        const zero = expectError(
          await runHarness(py, ['--result-fd', '3', 'run', '--workload', fixture('zero.py'), '--loops', '4']),
          1,
        )
        assert.equal(zero.error_type, 'TimerResolutionError')
        assert.equal(zero.phase, 'warmup')
        assert.match(zero.message, /loop count is too low/)
        const nan = expectError(
          await runHarness(py, [
            '--result-fd',
            '3',
            'run',
            '--workload',
            fixture('not_a_number.py'),
            '--loops',
            '4',
          ]),
          1,
        )
        assert.equal(nan.error_type, 'WorkloadApiError')
      },
    )

    await t.test('bad arguments give an error record and exit status 2', async () => {
      const step = fixture('step.py')
      const cases: readonly (readonly string[])[] = [
        [],
        ['frobnicate'],
        ['run', '--workload', step],
        ['run', '--workload', step, '--loops', '2', '--calibrate'],
        ['run', '--workload', step, '--loops', '0'],
        ['run', '--workload', step, '--loops', 'many'],
        ['run', '--workload', step, '--loops', '2', '--min-time', '0.1'],
        ['run', '--workload', step, '--calibrate', '--min-time', '-1'],
        ['run', '--workload', step, '--loops', '2', '--params', '[1]'],
        ['run', '--workload', step, '--loops', '2', '--params', '{"n": }'],
        ['run', '--workload', fixture('missing.py'), '--loops', '2'],
        ['run', '--workload', step, '--loops', '2', '--bogus'],
        ['describe', '--loops', '2'],
      ]
      for (const args of cases) {
        const run = await runHarness(py, ['--result-fd', '3', ...args])
        const e = expectError(run, 2)
        assert.equal(e.phase, 'arguments', args.join(' '))
        assert.equal(e.error_type, 'UsageError')
        assert.match(e.message, /^Cannot /)
      }
    })

    await t.test('--help prints the usage and writes no document', async () => {
      const run = await runHarness(py, ['--result-fd', '3', '--help'])
      assert.equal(run.status, 0)
      assert.match(run.stdout, /^usage: langperf_harness\.py/)
      assert.equal(run.result, '')
    })

    await t.test('without a usable result descriptor it says so on stderr', async () => {
      const missing = await runHarness(py, ['describe'])
      assert.equal(missing.status, 2)
      assert.equal(missing.result, '')
      assert.match(missing.stderr, /expected --result-fd N/)
      const closed = await runHarness(py, ['--result-fd', '9', 'describe'], false)
      assert.equal(closed.status, 3)
      assert.match(closed.stderr, /file descriptor 9 is not open for writing/)
    })
  })
}
