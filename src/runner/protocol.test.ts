import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { isAbsolute } from 'node:path'
import { test } from 'node:test'
import {
  HARNESS_PATH,
  HARNESS_PROTOCOL_VERSION,
  type HarnessDescribe,
  harnessDescribeArgs,
  harnessRunArgs,
  parseHarnessOutput,
  toInterpreterInfo,
} from './protocol.ts'

const describeDoc = {
  protocol: 1,
  kind: 'describe',
  harness_version: '1.0.0',
  interpreter: {
    implementation: 'pypy',
    version: '3.9.16',
    implementation_version: '7.3.11',
    sys_version: '3.9.16 (7.3.11+dfsg-2+deb12u3, Dec 30 2024, 22:36:23)\n[PyPy 7.3.11 with GCC 12.2.0]',
    executable: '/usr/bin/pypy3.9',
    compiler: 'GCC 12.2.0',
    pointer_bits: 64,
    build_flags: { CC: 'gcc -pthread', Py_DEBUG: '0' },
    jit: 'enabled',
    free_threading: 'absent',
    extra: { platform: 'linux', flags: { optimize: 0 }, gc_threshold: [700, 10, 10] },
  },
}

const resultDoc = {
  protocol: 1,
  kind: 'result',
  harness_version: '1.0.0',
  unit: 'second',
  loops: 8,
  inner_loops: 1,
  warmups: [
    [1, 0.002],
    [2, 0.0015],
    [8, 0.001],
  ],
  values: [0.001, 0.0011, 0.00099],
  metadata: {
    date: '2025-11-27T12:30:05.123Z',
    duration_s: 0.5,
    calibrated: true,
    calibration_capped: false,
    timing: 'step',
    clock: 'perf_counter',
    clock_resolution_s: 1e-9,
    max_rss_bytes: 10_000_000,
    cpu_time_s: 0.4,
    load_avg_1min: 0.2,
    something_new: { nested: [1, 'two'] },
  },
}

const errorDoc = {
  protocol: 1,
  kind: 'error',
  harness_version: '1.0.0',
  phase: 'value',
  error_type: 'ValueError',
  message: 'boom',
  traceback: 'Traceback (most recent call last):\n  ...\nValueError: boom\n',
}

function line(doc: unknown): string {
  return `${JSON.stringify(doc)}\n`
}

/** The problem sentence for `text`, failing the test when the text parses. */
function problemOf(text: string): string {
  const parsed = parseHarnessOutput(text)
  assert.equal(parsed.ok, false, `expected a problem for ${JSON.stringify(text).slice(0, 200)}`)
  return parsed.ok ? '' : parsed.problem
}

test('parseHarnessOutput() accepts a describe, a result and an error document', () => {
  for (const doc of [describeDoc, resultDoc, errorDoc]) {
    const parsed = parseHarnessOutput(line(doc))
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.problem)
    assert.equal(parsed.message.kind, doc.kind)
  }
})

test('parseHarnessOutput() keeps unknown metadata and accepts a missing final newline', () => {
  const parsed = parseHarnessOutput(JSON.stringify(resultDoc))
  assert.ok(parsed.ok)
  assert.equal(parsed.message.kind, 'result')
  if (parsed.message.kind !== 'result') return
  assert.deepEqual(parsed.message.metadata.something_new, { nested: [1, 'two'] })
  assert.deepEqual(parsed.message.warmups[2], [8, 0.001])
})

test('parseHarnessOutput() reports empty output as nothing written', () => {
  for (const text of ['', '\n', '   \n\n']) assert.match(problemOf(text), /found nothing/)
})

test('parseHarnessOutput() reports truncated JSON as invalid and possibly truncated', () => {
  const full = JSON.stringify(resultDoc)
  const problem = problemOf(full.slice(0, full.length - 10))
  assert.match(problem, /^Cannot parse harness output ".*": invalid JSON \(truncated\? it ends ".*"\): /)
})

test('parseHarnessOutput() refuses two documents', () => {
  assert.match(
    problemOf(line(resultDoc) + line(errorDoc)),
    /expected one JSON document on one line, found 2 lines/,
  )
})

test('parseHarnessOutput() refuses pretty-printed JSON spread over lines', () => {
  assert.match(problemOf(JSON.stringify(errorDoc, null, 2)), /found \d+ lines/)
})

test('parseHarnessOutput() refuses JSON that is not an object', () => {
  for (const text of ['[1,2]', '42', 'null', '"result"'])
    assert.match(problemOf(text), /expected a JSON object/)
})

test('parseHarnessOutput() refuses another protocol version or none', () => {
  assert.match(problemOf(line({ ...resultDoc, protocol: 2 })), /expected protocol 1, found "2"/)
  assert.match(problemOf(line({ ...resultDoc, protocol: '1' })), /expected protocol 1, found "1"/)
  const { protocol: _dropped, ...noProtocol } = resultDoc
  assert.match(problemOf(line(noProtocol)), /expected a "protocol" field/)
})

test('parseHarnessOutput() refuses an unknown kind', () => {
  assert.match(
    problemOf(line({ ...resultDoc, kind: 'progress' })),
    /expected kind describe, result, error, found "progress"/,
  )
  const { kind: _dropped, ...noKind } = resultDoc
  assert.match(problemOf(line(noKind)), /expected a "kind" field/)
})

test('parseHarnessOutput() refuses negative, zero and non-finite values', () => {
  // JSON.parse turns 1e999 into Infinity: the only way a non-finite number reaches the parser.
  for (const [bad, pattern] of [
    ['-1', /at "values.1": too small/],
    ['0', /at "values.1": too small/],
    ['1e999', /at "values.1": expected number, received Infinity/],
  ] as const) {
    const text = line(resultDoc).replace('"values":[0.001,0.0011', `"values":[0.001,${bad}`)
    assert.match(problemOf(text), pattern)
  }
  const badWarmup = line({ ...resultDoc, warmups: [[1, -0.5]] })
  assert.match(problemOf(badWarmup), /at "warmups.0.1": too small.*found "-0.5"/)
  const fractionalLoops = line({ ...resultDoc, loops: 2.5 })
  assert.match(problemOf(fractionalLoops), /at "loops": expected int/)
})

test('parseHarnessOutput() names a missing field and counts the other problems', () => {
  const { values: _values, loops: _loops, ...partial } = resultDoc
  const problem = problemOf(line(partial))
  assert.match(
    problem,
    /^Cannot read harness result document: field "(loops|values)" is missing \(and 1 more problems\)$/,
  )
  const { interpreter, ...rest } = describeDoc
  const { jit: _jit, ...noJit } = interpreter
  assert.match(problemOf(line({ ...rest, interpreter: noJit })), /field "interpreter.jit" is missing/)
})

test('parseHarnessOutput() refuses a feature state or an error phase outside the closed sets', () => {
  const badJit = { ...describeDoc, interpreter: { ...describeDoc.interpreter, jit: 'maybe' } }
  assert.match(problemOf(line(badJit)), /at "interpreter.jit": invalid option/)
  assert.match(problemOf(line({ ...errorDoc, phase: 'teardown' })), /at "phase"/)
})

test('parseHarnessOutput() never throws on garbage', () => {
  const garbage = [
    '\u0000\u0001',
    '{',
    '}{',
    '{"protocol":1,"kind":"result"',
    'NaN',
    '{"a":1}{"b":2}',
    '\uFEFF{}',
  ]
  for (const text of garbage) assert.doesNotThrow(() => parseHarnessOutput(text))
  assert.equal(parseHarnessOutput(undefined as unknown as string).ok, false)
})

test('toInterpreterInfo() maps every wire field to the model', () => {
  const parsed = parseHarnessOutput(line(describeDoc))
  assert.ok(parsed.ok && parsed.message.kind === 'describe')
  const info = toInterpreterInfo(parsed.message as HarnessDescribe)
  assert.deepEqual(info, {
    implementation: 'pypy',
    version: '3.9.16',
    implementationVersion: '7.3.11',
    sysVersion: describeDoc.interpreter.sys_version,
    executable: '/usr/bin/pypy3.9',
    compiler: 'GCC 12.2.0',
    pointerBits: 64,
    buildFlags: { CC: 'gcc -pthread', Py_DEBUG: '0' },
    jit: 'enabled',
    freeThreading: 'absent',
    extra: describeDoc.interpreter.extra,
  })
})

test('HARNESS_PATH is the absolute path of the harness file', () => {
  assert.ok(isAbsolute(HARNESS_PATH))
  assert.ok(HARNESS_PATH.endsWith('harness/python/langperf_harness.py'))
  assert.ok(existsSync(HARNESS_PATH))
  assert.equal(HARNESS_PROTOCOL_VERSION, 1)
})

test('harnessRunArgs() spells every option the way the harness reads it', () => {
  assert.deepEqual(harnessDescribeArgs(), ['--result-fd', '3', 'describe'])
  assert.deepEqual(harnessRunArgs('/w.py', { loopMode: { mode: 'fixed', loops: 64 } }), [
    '--result-fd',
    '3',
    'run',
    '--workload',
    '/w.py',
    '--loops',
    '64',
  ])
  assert.deepEqual(
    harnessRunArgs('/w.py', {
      loopMode: { mode: 'calibrate', minTimeS: 0.1, maxLoops: 1024 },
      params: { n: 10 },
      warmups: 0,
      values: 0,
      innerLoops: 4,
      resultFd: 5,
    }),
    [
      '--result-fd',
      '5',
      'run',
      '--workload',
      '/w.py',
      '--params',
      '{"n":10}',
      '--inner-loops',
      '4',
      '--calibrate',
      '--min-time',
      '0.1',
      '--max-loops',
      '1024',
      '--warmups',
      '0',
      '--values',
      '0',
    ],
  )
  assert.deepEqual(
    harnessRunArgs('/w.py', { loopMode: { mode: 'fixed', loops: 1 }, values: 500, clock: 'process' }).slice(
      -4,
    ),
    ['--values', '500', '--clock', 'process'],
  )
  assert.ok(
    !harnessRunArgs('/w.py', { loopMode: { mode: 'fixed', loops: 1 }, clock: 'wall' }).includes('--clock'),
  )
})
