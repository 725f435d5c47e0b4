import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { describeInterpreter } from './discovery.ts'
import { workerEnv } from './process.ts'
import { HARNESS_PATH, harnessRunArgs, parseHarnessOutput } from './protocol.ts'
import { ensurePySpy, PY_SPY_VERSION, pySpyRecordArgs, runProfiledWorker } from './pyspy.ts'

// py-spy for real: installed with pip into a cache shared by the test files that profile (the
// install is reused, as langperf reuses it), then recording a harness process whose result
// descriptor must pass through py-spy. Skipped, with pip's reason, where it cannot be installed.

/** The tool cache the profiling tests share (installing py-spy takes seconds; reusing it, none). */
const TEST_TOOL_CACHE = join(tmpdir(), 'langperf-test-cache')

const tmp = mkdtempSync(join(tmpdir(), 'langperf-pyspy-'))

test('pySpyRecordArgs() records collapsed stacks at the rate, by function, with whole paths, of the command after --', () => {
  assert.deepEqual(
    pySpyRecordArgs('/usr/bin/python3', ['h.py', '--x'], { rateHz: 250, outFile: '/t/o.txt' }),
    [
      'record',
      '--format',
      'raw',
      '--rate',
      '250',
      '--function',
      '--full-filenames',
      '--output',
      '/t/o.txt',
      '--',
      '/usr/bin/python3',
      'h.py',
      '--x',
    ],
  )
})

test('ensurePySpy() says why when pip cannot install it, and never throws', async () => {
  const r = await ensurePySpy(join(tmp, 'cache-bad'), { pipPython: join(tmp, 'no-such-python') })
  assert.equal(r.ok, false)
  assert.match(
    r.ok ? '' : r.reason,
    /Cannot install py-spy==0\.4\.2 with ".*no-such-python -m pip install --target"/,
  )
})

test('a harness process runs under py-spy: its result passes through, its hot function is sampled', async (t) => {
  const tool = await ensurePySpy(TEST_TOOL_CACHE, { env: process.env })
  if (!tool.ok) {
    t.skip(tool.reason)
    return
  }
  assert.equal(tool.version, PY_SPY_VERSION)
  const again = await ensurePySpy(TEST_TOOL_CACHE)
  assert.deepEqual(again, { ...tool, installed: false })
  const described = await describeInterpreter('python3')
  if (!described.ok) {
    t.skip(`no python3: ${described.reason}`)
    return
  }
  const workload = join(tmp, 'hot.py')
  writeFileSync(
    workload,
    [
      'def burn(n):',
      '    s = 0',
      '    for i in range(n):',
      '        s += i * i',
      '    return s',
      '',
      'def make(params):',
      '    def step():',
      '        burn(20000)',
      '    return step',
      '',
    ].join('\n'),
  )
  const r = await runProfiledWorker(
    tool.path,
    {
      executable: described.info.executable,
      args: [
        HARNESS_PATH,
        ...harnessRunArgs(workload, { loopMode: { mode: 'fixed', loops: 20 }, warmups: 0, values: 10 }),
      ],
    },
    { timeoutMs: 60_000, env: workerEnv(process.env), rateHz: 250, outFile: join(tmp, 'out.txt') },
  )
  assert.equal(r.error, null, r.outcome.stderrTail)
  const parsed = parseHarnessOutput(r.outcome.resultText)
  assert.ok(parsed.ok && parsed.message.kind === 'result', r.outcome.resultText)
  assert.ok(r.stacks !== null)
  assert.match(r.stacks, new RegExp(`;burn \\(${workload}:1\\) \\d+$`, 'm'))
  assert.ok(r.reported !== null && r.reported.samples > 0, r.outcome.stdoutTail)
})
