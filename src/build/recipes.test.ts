import assert from 'node:assert/strict'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { parseConfig } from '../config/index.ts'
import { CPYTHON_NAMED_CONFIGS, type CpythonRecipe } from '../model/index.ts'
import {
  cpythonPlan,
  findExecutable,
  genericPlan,
  runRecipe,
  unsupportedConfigureOptions,
} from './recipes.ts'

const scratch = mkdtempSync(join(tmpdir(), 'langperf-recipes-'))
after(() => rmSync(scratch, { recursive: true, force: true }))

function cpython(configName: string): CpythonRecipe {
  return { kind: 'cpython', configureArgs: CPYTHON_NAMED_CONFIGS[configName] ?? [], env: {} }
}

test('cpythonPlan() runs configure with the prefix and the named config flags, make -j<jobs>, make install', () => {
  const expected: Record<string, readonly string[]> = {
    default: [],
    'pgo-lto': ['--enable-optimizations', '--with-lto'],
    jit: ['--enable-experimental-jit'],
    freethreading: ['--disable-gil'],
    debug: ['--with-pydebug'],
  }
  for (const [name, flags] of Object.entries(expected)) {
    const plan = cpythonPlan(cpython(name), { prefix: '/cache/x/prefix', jobs: 8 })
    assert.deepEqual(
      plan.steps.map((s) => [s.name, s.file, ...s.args]),
      [
        ['configure', './configure', '--prefix=/cache/x/prefix', ...flags],
        ['make', 'make', '-j8'],
        ['install', 'make', 'install'],
      ],
      name,
    )
    assert.deepEqual(plan.configureOptions, flags)
    assert.equal(plan.executables[0], 'bin/python3')
  }
})

test('cpythonPlan() takes the configure arguments and environment a configuration file gives', () => {
  const config = parseConfig(
    '[[runtimes]]\nname = "cpython"\nfamily = "cpython"\nremote = "x"\nbranches = ["main"]\n' +
      '[runtimes.configs.lto-only]\nconfigure = ["--with-lto=thin", "CC=clang"]\nenv = { CFLAGS = "-O3" }\n',
    'langperf.toml',
  )
  const recipe = config.runtimes[0]?.configs[0]?.recipe
  assert.equal(recipe?.kind, 'cpython')
  if (recipe?.kind !== 'cpython') return
  const plan = cpythonPlan(recipe, { prefix: '/p', jobs: 2 })
  assert.deepEqual(plan.steps[0]?.args, ['--prefix=/p', '--with-lto=thin', 'CC=clang'])
  assert.deepEqual(plan.configureOptions, ['--with-lto=thin'])
  assert.deepEqual(plan.env, { CFLAGS: '-O3' })
})

test('genericPlan() runs each line with /bin/sh -c and sets PREFIX, JOBS, SRC and COMMIT over the file env', () => {
  const plan = genericPlan(
    {
      kind: 'generic',
      fetch: ['curl -O "$URL"'],
      build: [],
      install: ['tar -xf x.tar -C "$PREFIX"', 'true'],
      env: { URL: 'https://example.org/x.tar', PREFIX: '/elsewhere' },
      executable: 'bin/pypy3',
    },
    { srcDir: '/w', prefix: '/p', jobs: 4, commit: 'abc' },
  )
  assert.deepEqual(
    plan.steps.map((s) => [s.name, s.file, ...s.args]),
    [
      ['fetch[0]', '/bin/sh', '-c', 'curl -O "$URL"'],
      ['install[0]', '/bin/sh', '-c', 'tar -xf x.tar -C "$PREFIX"'],
      ['install[1]', '/bin/sh', '-c', 'true'],
    ],
  )
  assert.deepEqual(plan.env, {
    URL: 'https://example.org/x.tar',
    PREFIX: '/p',
    JOBS: '4',
    SRC: '/w',
    COMMIT: 'abc',
  })
  assert.deepEqual(plan.executables, ['bin/pypy3'])
})

// Lines of CPython 3.11.2's `./configure --help` (the options the named configs use, and the
// generic autoconf lines that mention placeholders).
const HELP_3_11 = `
  --disable-FEATURE       do not include FEATURE (same as --enable-FEATURE=no)
  --enable-FEATURE[=ARG]  include FEATURE [ARG=yes]
  --enable-shared         enable building a shared Python library (default is
  --enable-optimizations  enable expensive, stable optimizations (PGO, etc.)
  --with-PACKAGE[=ARG]    use PACKAGE [ARG=yes]
  --without-PACKAGE       do not use PACKAGE (same as --with-PACKAGE=no)
  --with-pydebug          build with Py_DEBUG defined (default is no)
  --with-lto=[full|thin|no|yes]
  --without-static-libpython
  --prefix=PREFIX         install architecture-independent files in PREFIX
`

test('unsupportedConfigureOptions() finds the options a configure script does not list', () => {
  assert.deepEqual(unsupportedConfigureOptions(HELP_3_11, ['--enable-optimizations', '--with-lto']), [])
  assert.deepEqual(unsupportedConfigureOptions(HELP_3_11, ['--with-lto=thin', '--with-pydebug']), [])
  assert.deepEqual(unsupportedConfigureOptions(HELP_3_11, ['--enable-experimental-jit']), [
    '--enable-experimental-jit',
  ])
  assert.deepEqual(unsupportedConfigureOptions(HELP_3_11, ['--disable-gil']), ['--disable-gil'])
  // --disable-x is the same feature as --enable-x, --with-x the same as --without-x.
  assert.deepEqual(
    unsupportedConfigureOptions(HELP_3_11, ['--disable-shared', '--with-static-libpython']),
    [],
  )
  assert.deepEqual(unsupportedConfigureOptions(HELP_3_11, ['--prefix=/x', '--nonsense']), ['--nonsense'])
})

/** A fake CPython tree: `configure --help` prints HELP_3_11, `configure` writes a Makefile that installs a python3 script. */
function fakeCpythonTree(name: string): string {
  const dir = join(scratch, name)
  mkdirSync(dir, { recursive: true })
  const configure = [
    '#!/bin/sh',
    `if [ "$1" = "--help" ]; then cat <<'EOF'${HELP_3_11}EOF`,
    'exit 0; fi',
    'echo "configure $*" > configured',
    'prefix=$(echo "$1" | sed s/^--prefix=//)',
    `printf 'all:\\n\\techo built > python\\ninstall:\\n\\tmkdir -p %s/bin && printf "#!/bin/sh\\\\n" > %s/bin/python3 && chmod +x %s/bin/python3\\n' "$prefix" "$prefix" "$prefix" > Makefile`,
    '',
  ].join('\n')
  writeFileSync(join(dir, 'configure'), configure)
  chmodSync(join(dir, 'configure'), 0o755)
  return dir
}

test('runRecipe() builds a CPython-like tree through configure, make and make install', async () => {
  const src = fakeCpythonTree('ok')
  const prefix = join(scratch, 'ok-prefix')
  const logFile = join(scratch, 'ok.log')
  const outcome = await runRecipe(
    cpython('pgo-lto'),
    { srcDir: src, prefix, jobs: 3, commit: 'c0ffee' },
    { logFile, stepTimeoutMs: 30_000 },
  )
  assert.equal(outcome.status, 'ok', JSON.stringify(outcome))
  assert.equal(outcome.status === 'ok' ? outcome.executablePath : '', join(prefix, 'bin', 'python3'))
  assert.deepEqual(
    outcome.steps.map((s) => s.name),
    ['configure', 'make', 'install'],
  )
  assert.equal(
    readFileSync(join(src, 'configured'), 'utf8'),
    `configure --prefix=${prefix} --enable-optimizations --with-lto\n`,
  )
  assert.match(readFileSync(logFile, 'utf8'), /\$ make -j3\n/)
})

test('runRecipe() reports a configure option the tree does not know as unsupported, without building', async () => {
  const src = fakeCpythonTree('jit')
  const logFile = join(scratch, 'jit.log')
  for (const name of ['jit', 'freethreading']) {
    const outcome = await runRecipe(
      cpython(name),
      { srcDir: src, prefix: join(scratch, `${name}-prefix`), jobs: 1, commit: 'c0ffee' },
      { logFile, stepTimeoutMs: 30_000 },
    )
    assert.equal(outcome.status, 'unsupported')
    assert.deepEqual(outcome.steps, [])
    if (outcome.status === 'unsupported') {
      assert.match(
        outcome.reason,
        new RegExp(`^not supported by this version: .*${CPYTHON_NAMED_CONFIGS[name]?.[0]}`),
      )
    }
  }
  assert.doesNotMatch(readFileSync(logFile, 'utf8'), /\$ \.\/configure/)
})

test('findExecutable() falls back to bin/python3.X(t) for CPython installs without a python3 link', async () => {
  const prefix = join(scratch, 'ft-prefix')
  mkdirSync(join(prefix, 'bin'), { recursive: true })
  writeFileSync(join(prefix, 'bin', 'python3.13t'), '')
  chmodSync(join(prefix, 'bin', 'python3.13t'), 0o755)
  assert.equal(
    await findExecutable(prefix, ['bin/python3', 'bin/python3t']),
    join(prefix, 'bin', 'python3.13t'),
  )
  assert.equal(await findExecutable(prefix, ['bin/pypy3']), null)
})
