import assert from 'node:assert/strict'
import { test } from 'node:test'
import { readStack } from './stack.ts'

// The stack facts of a result's metadata, read defensively: what the runner records, and what an
// upload may send instead.

test('readStack() reads modules, BLAS libraries, mapped libraries, --blas and requirements', () => {
  const facts = readStack({
    stack: {
      modules: { numpy: '2.0.2', odd: 3 },
      blas: {
        libraries: [
          { api: 'blas', implementation: 'openblas', version: '0.3.27', architecture: 'Haswell', threads: 1 },
          'not a library',
          { api: 'lapack', threads: 'many' },
        ],
      },
      native_libraries: ['/usr/lib/x86_64-linux-gnu/blas/libblas.so.3', 7],
      blis_arch: 'skx',
      thread_env: { OPENBLAS_NUM_THREADS: '1', BAD: 2 },
    },
    blas: { variant: 'reference', label: 'reference' },
    requirements: { mode: 'system', installed: ['numpy==1.24.2', null] },
  })
  assert.deepEqual(facts, {
    hasStack: true,
    modules: [
      ['numpy', '2.0.2'],
      ['odd', null],
    ],
    libraries: [
      { api: 'blas', implementation: 'openblas', version: '0.3.27', architecture: 'Haswell', threads: 1 },
      { api: 'lapack', implementation: null, version: null, architecture: null, threads: null },
    ],
    mapped: ['/usr/lib/x86_64-linux-gnu/blas/libblas.so.3'],
    blisArch: 'skx',
    threadEnv: { OPENBLAS_NUM_THREADS: '1' },
    chosen: { variant: 'reference', label: 'reference' },
    requirements: { mode: 'system', installed: ['numpy==1.24.2'] },
  })
})

test('readStack() is null without a stack or requirements, and reads requirements alone', () => {
  assert.equal(readStack({ tags: ['micro'] }), null)
  assert.equal(readStack(null), null)
  assert.equal(readStack('stack'), null)
  assert.equal(readStack({ stack: [] }), null)
  const only = readStack({
    requirements: { installed: ['django==4.2.1'] },
    thread_env: { OMP_NUM_THREADS: '1' },
  })
  assert.equal(only?.hasStack, false)
  assert.deepEqual(only?.requirements, { mode: null, installed: ['django==4.2.1'] })
  assert.deepEqual(
    only?.threadEnv,
    { OMP_NUM_THREADS: '1' },
    'the variables recorded beside the stack count too',
  )
})
