import assert from 'node:assert/strict'
import { test } from 'node:test'
import { stackLine } from './commands/stack-line.ts'

// The one line `show` and `compare` print for the stack a result ran on.

test('stackLine() names the modules, each BLAS once with its copies, and what --blas loaded', () => {
  const openblas = {
    api: 'blas',
    implementation: 'openblas',
    version: '0.3.27',
    architecture: 'Haswell',
    threads: 1,
  }
  assert.equal(
    stackLine({
      stack: { modules: { numpy: '2.0.2', scipy: '1.14.1' }, blas: { libraries: [openblas, openblas] } },
    }),
    'numpy 2.0.2, scipy 1.14.1; blas openblas 0.3.27 Haswell, 1 thread (2 copies loaded)',
  )
  assert.equal(
    stackLine({
      stack: {
        modules: { numpy: '1.24.2' },
        native_libraries: ['/usr/lib/x86_64-linux-gnu/blas/libblas.so.3'],
      },
      blas: { variant: 'reference', label: 'reference' },
    }),
    'numpy 1.24.2; --blas reference: loaded blas/libblas.so.3',
  )
  assert.equal(
    stackLine({ stack: { modules: { numpy: '1.26.4' }, blis_arch: 'skx', blas: { libraries: [] } } }),
    'numpy 1.26.4; BLIS kernels skx',
  )
  assert.equal(stackLine({ requirements: { installed: ['django==4.2.1'] } }), null, 'no stack recorded')
  assert.equal(stackLine({}), null)
})
