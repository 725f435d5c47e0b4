import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { isNativeFrame } from '../lib/index.ts'
import { PERF_SCRIPT_LIMITS, parsePerfScript, perfFrame } from '../runner/index.ts'
import { diffProfiles, parseCollapsedStacks, topFunctions } from './profile-stacks.ts'

// `perf script` text into collapsed stacks (runner/perf-script.ts) and what the views read of
// them, on samples captured on this project's VM with `perf record -e cpu-clock -k 1
// --call-graph dwarf` and `perf script --no-inline -F pid,ip,sym,dso` (trimmed to a few
// samples): CPython 3.13 with -X perf_jit (jitdump injected) dividing floats in `divide`,
// CPython 3.12 with -X perf (perf map).

const fixture = (name: string) => readFileSync(new URL(`../runner/fixtures/${name}`, import.meta.url), 'utf8')
const LIB313 = '/root/.pyenv/versions/3.13.0/lib/libpython3.13.so.1.0'

test('parsePerfScript() turns 3.13 jitdump samples into root-first stacks of C and Python frames', () => {
  const s = parsePerfScript(fixture('perf-script-cpython3.13.txt'))
  assert.equal(s.samples, 3)
  assert.equal(s.pythonSamples, 2)
  assert.deepEqual(s.pids, [23525])
  assert.equal(s.otherProcessSamples + s.droppedSamples + s.truncatedStacks + s.unreadLines, 0)
  const parsed = parseCollapsedStacks(s.collapsed)
  assert.equal(parsed.samples, 3)
  assert.equal(parsed.unreadLines, 0)
  const divide = parsed.stacks.find((st) => st.frames.some((f) => f.name === 'float_div'))
  assert.ok(divide)
  const names = divide.frames.map((f) => f.name)
  // Root first: the program's entry, then the interpreter, the Python functions, and the C leaf.
  assert.equal(names[0], '_start')
  assert.deepEqual(names.slice(-4), [
    '_PyEval_EvalFrameDefault',
    'PyNumber_TrueDivide',
    'float_div',
    'PyLong_AsDouble',
  ])
  // The Python frame named by the jitdump (`py::divide:/tmp/pn/g.py`) is the function in its file.
  const py = divide.frames.find((f) => f.name === 'divide')
  assert.deepEqual(py, { name: 'divide', file: '/tmp/pn/g.py', line: null })
  assert.equal(isNativeFrame(py), false)
  assert.ok(
    names.indexOf('divide') < names.indexOf('float_div'),
    'C frames sit under the Python frame that called them',
  )
  const floatDiv = divide.frames.find((f) => f.name === 'float_div')
  assert.deepEqual(floatDiv, { name: 'float_div', file: LIB313, line: null })
  assert.equal(isNativeFrame(floatDiv ?? { name: '', file: '', line: 1 }), true)
  // The top-functions table names the C functions and charges the Python function the total.
  const top = topFunctions(parsed, { lines: 'definition' })
  const row = (name: string) => top.rows.find((r) => r.name === name)
  assert.deepEqual([row('PyLong_AsDouble')?.self, row('float_div')?.total, row('divide')?.total], [1, 1, 2])
  assert.equal(row('divide')?.self, 0)
  assert.equal(row('_dl_relocate_object')?.file, '/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2')
})

test('parsePerfScript() reads the 3.12 perf map frame as the innermost Python function', () => {
  const s = parsePerfScript(fixture('perf-script-cpython3.12.txt'))
  assert.equal(s.samples, 1)
  assert.equal(s.pythonSamples, 1)
  assert.equal(
    s.collapsed,
    'work (/tmp/pn/f.py);_PyEval_EvalFrameDefault (/root/.pyenv/versions/3.12.1/lib/libpython3.12.so.1.0) 1\n',
  )
})

test('parsePerfScript() reads a pid padded on the left as perf prints a short one', () => {
  const text = fixture('perf-script-cpython3.12.txt').replace(/^17137 $/m, ' 6190 ')
  const s = parsePerfScript(text)
  assert.deepEqual([s.samples, s.pids, s.unreadLines], [1, [6190], 0])
})

test('parsePerfScript() sums identical stacks and keeps only the process perf started', () => {
  const one = fixture('perf-script-cpython3.13.txt')
  const child = '99\n\t  10 main (/usr/bin/child)\n\n'
  const s = parsePerfScript(`${one}${child}${one}`)
  assert.equal(s.samples, 6)
  assert.equal(s.otherProcessSamples, 1)
  assert.deepEqual(s.pids, [23525, 99])
  assert.ok(
    s.collapsed
      .split('\n')
      .filter(Boolean)
      .every((l) => / 2$/.test(l)),
    s.collapsed,
  )
  assert.ok(!s.collapsed.includes('/usr/bin/child'))
})

test('perfFrame() keeps untrusted names from breaking the collapsed format', () => {
  assert.deepEqual(perfFrame('py::Outer.<locals>.inner:/w/a;b.py', 'x'), {
    text: 'inner (/w/a,b.py)',
    python: true,
  })
  assert.deepEqual(perfFrame('f;g\u0007', '/lib/x;y.so'), { text: 'f,g (/lib/x,y.so)', python: false })
  assert.equal(perfFrame('x'.repeat(5000), 'o').text.length, PERF_SCRIPT_LIMITS.nameChars + 4)
  // A C++ symbol with parentheses still parses back to its object.
  const cxx = parseCollapsedStacks(`${perfFrame('ns::f(int)', '/lib/libx.so').text} 1\n`).stacks[0]?.frames[0]
  assert.deepEqual(cxx, { name: 'ns::f(int)', file: '/lib/libx.so', line: null })
})

test('parsePerfScript() caps a stack at the frame limit and counts unreadable lines', () => {
  const frames = Array.from(
    { length: PERF_SCRIPT_LIMITS.framesPerStack + 10 },
    (_, i) => `\t ${i.toString(16)} f${i} (/lib/l.so)`,
  )
  const s = parsePerfScript(`7\n${frames.join('\n')}\n\tgarbage\n\n`)
  assert.equal(s.truncatedStacks, 1)
  assert.equal(s.unreadLines, 1)
  const [stack] = parseCollapsedStacks(s.collapsed).stacks
  assert.equal(stack?.frames.length, PERF_SCRIPT_LIMITS.framesPerStack + 1)
  assert.equal(stack?.frames[0]?.name, '[truncated]')
  assert.equal(stack?.frames.at(-1)?.name, 'f0')
})

test('diffProfiles() matches a C function across two builds of the interpreter, Python functions by file', () => {
  const stacks = (lib: string, py: string, div: number, rest: number) =>
    parseCollapsedStacks(
      [
        `run (${py}/w.py);_PyEval_EvalFrameDefault (${lib}) ${rest}`,
        `run (${py}/w.py);_PyEval_EvalFrameDefault (${lib});float_div (${lib}) ${div}`,
      ].join('\n'),
    )
  const a = topFunctions(stacks('/cache/a1/lib/libpython3.12.so.1.0', '/src/a', 20, 80), {
    lines: 'definition',
  })
  const b = topFunctions(stacks('/cache/b2/lib/libpython3.13.so.1.0', '/src/b', 60, 40), {
    lines: 'definition',
  })
  const d = diffProfiles(a, b)
  const row = (name: string) => d.rows.filter((r) => r.name === name)
  const [div] = row('float_div')
  assert.equal(row('float_div').length, 1)
  assert.deepEqual([div?.selfPercentA, div?.selfPercentB, div?.significant], [20, 60, true])
  assert.equal(div?.file, '/cache/b2/lib/libpython3.13.so.1.0')
  assert.equal(row('_PyEval_EvalFrameDefault').length, 1)
  // Python frames of different files stay apart.
  assert.equal(row('run').length, 2)
})
