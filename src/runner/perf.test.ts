import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { findPerf, perfPythonArgs, perfPythonSupport, perfRecordArgs, perfScriptArgs } from './perf.ts'

// perf's command lines and which interpreters name their Python frames for it.

test('perfPythonSupport() asks CPython 3.13+ for a jitdump, 3.12 for a perf map, nothing of others', () => {
  const support = (implementation: string, version: string) => perfPythonSupport({ implementation, version })
  assert.equal(support('cpython', '3.13.0'), 'perf_jit')
  assert.equal(support('cpython', '3.14.0a1+'), 'perf_jit')
  assert.equal(support('cpython', '3.12.1'), 'perf')
  assert.equal(support('cpython', '3.11.7'), 'none')
  assert.equal(support('cpython', '2.7.18'), 'none')
  assert.equal(support('pypy', '3.13.0'), 'none')
  assert.deepEqual(perfPythonArgs('perf_jit'), ['-X', 'perf_jit'])
  assert.deepEqual(perfPythonArgs('perf'), ['-X', 'perf'])
  assert.deepEqual(perfPythonArgs('none'), [])
})

test('perfRecordArgs() samples cpu-clock with dwarf call graphs and runs the command after --', () => {
  const args = perfRecordArgs('/py/bin/python3', ['-X', 'perf_jit', 'h.py', '--x'], {
    rateHz: 99,
    outFile: '/w/p.data',
  })
  assert.deepEqual(args.slice(0, 9), [
    'record',
    '-e',
    'cpu-clock',
    '-F',
    '99',
    '-k',
    '1',
    '--call-graph',
    'dwarf,16384',
  ])
  assert.ok(args.includes('--no-buildid-cache'))
  assert.deepEqual(args.slice(args.indexOf('-o'), args.indexOf('-o') + 2), ['-o', '/w/p.data'])
  assert.deepEqual(args.slice(args.indexOf('--')), ['--', '/py/bin/python3', '-X', 'perf_jit', 'h.py', '--x'])
  assert.deepEqual(perfScriptArgs('/w/p.data'), [
    'script',
    '--no-inline',
    '-F',
    'pid,ip,sym,dso',
    '-i',
    '/w/p.data',
  ])
})

test('findPerf() says perf is missing, and how to install it, when it is not on PATH', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'langperf-no-perf-'))
  const r = await findPerf({ PATH: empty })
  assert.equal(r.ok, false)
  assert.match(r.ok ? '' : r.reason, /^perf is not installed \(Debian: apt-get install linux-perf/)
})
