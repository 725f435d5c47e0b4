import assert from 'node:assert/strict'
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import type { WorkloadResult } from '../model/index.ts'
import { kernelEnv } from './suite.ts'
import {
  type BlasChoice,
  blasLibraryPath,
  blasMismatch,
  probeSystemPackages,
  resolveBlas,
} from './system-packages.ts'
import { measureSystemMatmul, SYSTEM_PYTHON, systemNumpySkip } from './system-packages-testing.ts'
import { loadWorkloads, onSystemPackages, stackVersion } from './workloads.ts'

// The pure parts run everywhere; the measurements need Debian's python3-numpy and its BLAS
// packages (.ci/run installs them) and are skipped, with the reason, without them.

const LIB = '/usr/lib/x86_64-linux-gnu'
const numpySkip = systemNumpySkip()

/** A library directory of our own with the files of the named variants. */
function fakeLibDir(files: readonly string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'langperf-blas-'))
  for (const f of files) {
    mkdirSync(join(dir, f, '..'), { recursive: true })
    writeFileSync(join(dir, f), '')
  }
  return dir
}

test('resolveBlas() finds each named variant under the library directory, LAPACK beside BLAS where the variant has none', () => {
  const lib = fakeLibDir([
    'blas/libblas.so.3',
    'lapack/liblapack.so.3',
    'openblas-pthread/libblas.so.3',
    'blis-pthread/libblas.so.3',
  ])
  assert.deepEqual(resolveBlas('reference', { libDir: lib }).dirs, [join(lib, 'blas'), join(lib, 'lapack')])
  assert.deepEqual(resolveBlas('openblas', { libDir: lib }).dirs, [join(lib, 'openblas-pthread')])
  const blis = resolveBlas('blis', { libDir: lib })
  assert.deepEqual(blis.dirs, [join(lib, 'blis-pthread'), join(lib, 'lapack')])
  assert.equal(blis.label, 'blis')
  assert.equal(blasLibraryPath(blis, '/opt/x'), `${join(lib, 'blis-pthread')}:${join(lib, 'lapack')}:/opt/x`)
})

test('resolveBlas() refuses an absent variant, naming the Debian packages to install', () => {
  const lib = fakeLibDir(['blas/libblas.so.3'])
  assert.throws(() => resolveBlas('openblas', { libDir: lib }), /install Debian's libopenblas0-pthread/)
  assert.throws(
    () => resolveBlas('reference', { libDir: lib }),
    /liblapack\.so\.3.*install Debian's libblas3 liblapack3/,
  )
  assert.throws(() => resolveBlas('blis', { libDir: lib }), /libblis4-pthread/)
})

test('resolveBlas() takes a directory holding libblas.so.3, and refuses one without it or a bare word', () => {
  const lib = fakeLibDir(['mine/libblas.so.3'])
  const mine = resolveBlas(join(lib, 'mine'))
  assert.equal(mine.variant, 'path')
  assert.match(mine.label, /^path:\/.*mine$/)
  assert.throws(() => resolveBlas(lib), /expected a directory holding libblas\.so\.3/)
  assert.throws(() => resolveBlas('mkl'), /expected reference, openblas, blis or a directory/)
})

test('blasMismatch() accepts workers that mapped a library of the chosen directory and names what others loaded', () => {
  const blas: BlasChoice = { variant: 'path', dirs: ['/x/blas'], blasDir: '/x/blas', label: 'path:/x/blas' }
  const withLibs = (libs: string[]) => ({
    metadata: { stack: { modules: { numpy: '1.24.2' }, native_libraries: libs } },
  })
  assert.equal(blasMismatch(blas, [withLibs(['/x/blas/libblas.so.3'])]), null)
  assert.match(
    blasMismatch(blas, [withLibs(['/site/numpy.libs/libopenblas64_p.so'])]) ?? '',
    /did not take effect: .*loaded \/site\/numpy\.libs\/libopenblas64_p\.so/,
  )
  assert.equal(
    blasMismatch(blas, [{ metadata: { stack: { modules: { scipy: '1' } } } }]),
    null,
    'no numpy, nothing to check',
  )
  assert.match(
    blasMismatch(blas, [{ metadata: { stack: { modules: { numpy: '1' } } } }]) ?? '',
    /did not report/,
  )
})

test('onSystemPackages() gives workloads with requirements a version per BLAS, apart from the pip stack', async () => {
  const all = await loadWorkloads()
  const pick = all.filter((w) => w.manifest.name === 'np_matmul' || w.manifest.name === 'nbody')
  const pip = new Map(pick.map((w) => [w.manifest.name, w.version]))
  const versions = (label: string | undefined) =>
    new Map(onSystemPackages(pick, label).map((w) => [w.manifest.name, w.version]))
  const [byDefault, openblas, blis] = [versions(undefined), versions('openblas'), versions('blis')]
  assert.equal(byDefault.get('nbody'), pip.get('nbody'), 'a workload without requirements keeps its version')
  const matmul = new Set([pip, byDefault, openblas, blis].map((m) => m.get('np_matmul')))
  assert.equal(matmul.size, 4, 'pip, system default, OpenBLAS and BLIS are four series')
  assert.equal(versions('openblas').get('np_matmul'), openblas.get('np_matmul'), 'and the same each time')
})

test('probeSystemPackages() names a distribution the interpreter lacks, with its Debian package', async () => {
  const out = await probeSystemPackages('python3', ['langperf-no-such-dist==1.0'])
  assert.ok(!out.ok)
  assert.match(
    out.reason,
    /lacks langperf-no-such-dist \(PackageNotFoundError\) .*Debian's python3-langperf-no-such-dist\)$/,
  )
})

test('probeSystemPackages() finds Debian numpy with its version', { skip: numpySkip }, async () => {
  const out = await probeSystemPackages(SYSTEM_PYTHON, ['numpy==2.0.2', 'threadpoolctl==3.7.0'])
  assert.ok(out.ok, JSON.stringify(out))
  assert.match(out.installed.join(' '), /^numpy==\d+\.\d+.* threadpoolctl==\d/)
})

const measureMatmul = (blas: BlasChoice) => measureSystemMatmul(blas)

for (const variant of ['reference', 'openblas', 'blis'] as const) {
  const absent = numpySkip || (existsSync(LIB) ? false : `${LIB} is absent (not Debian on x86-64)`)
  let skip: string | false = absent
  if (!skip) {
    try {
      resolveBlas(variant)
    } catch (error) {
      skip = (error as Error).message
    }
  }
  test(`np_matmul on Debian numpy runs on ${variant} BLAS when --blas says so, and records it`, {
    skip,
  }, async () => {
    const blas = resolveBlas(variant)
    const r = await measureMatmul(blas)
    assert.equal(r.outcome.state, 'measured', JSON.stringify(r.outcome))
    const recorded = r.metadata.blas as { loaded: string[]; variant: string }
    assert.equal(recorded.variant, variant)
    assert.ok(
      recorded.loaded.some((l) => l.startsWith(`${blas.blasDir}/`)),
      `loaded ${recorded.loaded.join(', ')}`,
    )
    assert.equal((r.metadata.requirements as { mode: string }).mode, 'system')
    if (variant === 'blis') {
      const stack = r.metadata.stack as { blis_arch?: unknown }
      assert.equal(typeof stack.blis_arch, 'string', 'the kernel set BLIS chose is recorded')
    }
  })
}

test('a worker whose BLAS is not the one asked for fails the workload, naming what it loaded', {
  skip: numpySkip,
}, async () => {
  // The loader is sent to OpenBLAS while the check expects another directory: the switch "did not take".
  let openblas: BlasChoice
  try {
    openblas = resolveBlas('openblas')
  } catch (error) {
    return void assert.ok(true, (error as Error).message)
  }
  const r = await measureMatmul({
    ...openblas,
    blasDir: '/nonexistent/blas',
    label: 'path:/nonexistent/blas',
  })
  assert.ok(r.outcome.state === 'failed', JSON.stringify(r.outcome))
  assert.match(r.outcome.message, /BLAS switch did not take effect: .*loaded .*openblas/)
})

test('stackVersion() hashes the installed versions and the kernel variables in, and leaves a plain pip stack alone', () => {
  const base = 'abcdef012345'
  assert.equal(
    stackVersion(base, { installed: null, blasEnv: [] }),
    base,
    'pip pins, default kernels: unchanged',
  )
  const debian = stackVersion(base, { installed: ['numpy==1.24.2', 'threadpoolctl==3.1.0'], blasEnv: [] })
  assert.match(debian, /^[0-9a-f]{12}$/)
  assert.notEqual(debian, base)
  assert.equal(
    stackVersion(base, { installed: ['threadpoolctl==3.1.0', 'numpy==1.24.2'], blasEnv: [] }),
    debian,
    'the order found does not matter',
  )
  const upgraded = stackVersion(base, { installed: ['numpy==1.26.4', 'threadpoolctl==3.1.0'], blasEnv: [] })
  assert.notEqual(upgraded, debian, 'a python3-numpy upgrade is another series')
  const skx = stackVersion(base, {
    installed: ['numpy==1.24.2', 'threadpoolctl==3.1.0'],
    blasEnv: ['BLIS_ARCH_TYPE=0'],
  })
  assert.notEqual(skx, debian, 'another BLIS kernel set is another series')
  assert.notEqual(stackVersion(base, { installed: null, blasEnv: ['OPENBLAS_CORETYPE=Haswell'] }), base)
})

test('kernelEnv() names the kernel variables set and the thread counts other than 1', () => {
  assert.deepEqual(kernelEnv({}), [])
  assert.deepEqual(kernelEnv({ OMP_NUM_THREADS: '1', PATH: '/bin' }), [])
  assert.deepEqual(
    kernelEnv({ BLIS_ARCH_TYPE: '0', OPENBLAS_NUM_THREADS: '4', OPENBLAS_CORETYPE: 'Haswell' }),
    ['OPENBLAS_NUM_THREADS=4', 'OPENBLAS_CORETYPE=Haswell', 'BLIS_ARCH_TYPE=0'],
  )
})

test('a system-packages result records a version with its stack: BLIS_ARCH_TYPE set is another series', {
  skip: numpySkip,
}, async () => {
  let blas: BlasChoice
  try {
    blas = resolveBlas('reference')
  } catch (error) {
    return void assert.ok(true, (error as Error).message)
  }
  const plain = await measureMatmul(blas)
  const saved = process.env.BLIS_ARCH_TYPE
  process.env.BLIS_ARCH_TYPE = '3'
  let pinned: WorkloadResult
  try {
    pinned = await measureMatmul(blas)
  } finally {
    if (saved === undefined) delete process.env.BLIS_ARCH_TYPE
    else process.env.BLIS_ARCH_TYPE = saved
  }
  assert.equal(plain.outcome.state, 'measured', JSON.stringify(plain.outcome))
  const def = onSystemPackages(
    (await loadWorkloads()).filter((w) => w.manifest.name === 'np_matmul'),
    blas.label,
  )[0]
  const installed = (plain.metadata.requirements as { installed: string[] }).installed
  // The kernel variables of this environment (OPENBLAS_CORETYPE, say) are part of it too.
  assert.equal(
    plain.workload.version,
    stackVersion(def?.version ?? '', { installed, blasEnv: kernelEnv(process.env) }),
  )
  assert.notEqual(plain.workload.version, def?.version, 'the installed versions are part of it')
  assert.notEqual(pinned.workload.version, plain.workload.version, 'BLIS_ARCH_TYPE=3 is another series')
  assert.equal((pinned.metadata.thread_env as Record<string, string>).BLIS_ARCH_TYPE, '3')
})
