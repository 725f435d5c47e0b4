import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { fileURLToPath } from 'node:url'

// bin/langperf.mjs and scripts/build-cli.mjs on a copy of the package (its own src/ and dist/,
// the repository's node_modules): the compiled command line runs, finds the files it reads
// beside the sources, and an edit under src/ is run from the sources until the next build.

const repo = fileURLToPath(new URL('../../', import.meta.url))
const pkg = mkdtempSync(join(tmpdir(), 'langperf-bin-'))
after(() => rmSync(pkg, { recursive: true, force: true }))
for (const path of ['bin', 'src', 'workloads', 'scripts/build-cli.mjs', 'package.json', 'tsconfig.json'])
  cpSync(join(repo, path), join(pkg, path), { recursive: true })
symlinkSync(realpathSync(join(repo, 'node_modules')), join(pkg, 'node_modules'))
const db = join(pkg, 'langperf.db')
const example = join(repo, 'examples/pyperf/bm-20240525-3.14.0a0-e418fc3.json.gz')

/** Runs the copy's bin with $LANGPERF_CLI set to `mode` (auto: unset), in the package or `cwd`. */
function langperf(mode: 'auto' | 'dist' | 'src' | string, ...args: string[]) {
  return langperfIn(pkg, mode, ...args)
}

function langperfIn(cwd: string, mode: 'auto' | 'dist' | 'src' | string, ...args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, LANGPERF_DB: db }
  delete env.LANGPERF_CLI
  if (mode !== 'auto') env.LANGPERF_CLI = mode
  const r = spawnSync(process.execPath, [join(pkg, 'bin/langperf.mjs'), ...args], {
    cwd,
    env,
    encoding: 'utf8',
  })
  return { status: r.status, out: r.stdout, err: r.stderr }
}

function buildCli(): void {
  const r = spawnSync(process.execPath, [join(pkg, 'scripts/build-cli.mjs')], { cwd: pkg, encoding: 'utf8' })
  assert.equal(r.status, 0, r.stderr)
}

test('without a build the bin runs the sources, and LANGPERF_CLI=dist refuses saying why', () => {
  const help = langperf('auto', '--help')
  assert.equal(help.status, 0, help.err)
  assert.match(help.out, /^Usage: langperf \[options\] \[command\]/)
  const dist = langperf('dist', '--help')
  assert.equal(dist.status, 3)
  assert.match(dist.err, /cannot run dist\/cli \(LANGPERF_CLI=dist\): dist\/cli\/inputs\.json is missing/)
  assert.equal(dist.out, '')
})

test('an unknown LANGPERF_CLI is refused with the values it takes', () => {
  const r = langperf('fast', '--help')
  assert.equal(r.status, 2)
  assert.match(r.err, /expected \$LANGPERF_CLI to be one of auto, dist, src, found "fast"/)
})

test('the compiled command line prints the same help as the sources, imports, shows and finds the workloads', () => {
  buildCli()
  assert.ok(existsSync(join(pkg, 'dist/cli/main.js')))
  const compiled = langperf('dist', '--help')
  assert.equal(compiled.status, 0, compiled.err)
  assert.equal(compiled.out, langperf('src', '--help').out)
  assert.equal(langperf('auto', 'show', '--help').out, langperf('src', 'show', '--help').out)

  const imported = langperf('dist', 'import', 'pyperf', example)
  assert.equal(imported.status, 0, imported.err)
  assert.match(imported.out, /^run 1: .* → cpython-3\.14\.0a0 default e418fc3a6e/m)
  const list = langperf('dist', 'show')
  assert.equal(list.status, 0, list.err)
  assert.match(list.out, /^ {2}1 {2}2024-05-26 .*cpython-3\.14\.0a0 e418fc3a6e .*complete {2}98$/m)
  const one = langperf('dist', 'show', 'latest')
  assert.match(one.out, /^2to3 +measured +\d+ ms/m)
  const missing = langperf('dist', 'show', '99')
  assert.equal(missing.status, 2)
  assert.match(missing.err, /^langperf: Cannot find run 99: no run has that id/)

  // The workloads directory is found from the compiled code, beside the copy's sources.
  const workloads = langperf('dist', 'workloads', '--json')
  assert.equal(workloads.status, 0, workloads.err)
  const names = (JSON.parse(workloads.out) as { workloads: { manifest: { name: string } }[] }).workloads.map(
    (w) => w.manifest.name,
  )
  assert.ok(names.includes('alloc_objects'), names.join(', '))
})

/** The packages of node_modules that the compiled `langperf ARGS` imports (a resolve hook logs them). */
function packagesLoaded(...args: string[]): string[] {
  const log = join(pkg, 'loaded.txt')
  writeFileSync(log, '')
  writeFileSync(
    join(pkg, 'resolve-log.mjs'),
    `import { appendFileSync } from 'node:fs'
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context)
  appendFileSync(${JSON.stringify(log)}, r.url + '\\n')
  return r
}
`,
  )
  writeFileSync(
    join(pkg, 'hook.mjs'),
    "import { register } from 'node:module'\nregister(new URL('./resolve-log.mjs', import.meta.url))\n",
  )
  const r = spawnSync(
    process.execPath,
    ['--import', join(pkg, 'hook.mjs'), join(pkg, 'bin/langperf.mjs'), ...args],
    { cwd: pkg, env: { ...process.env, LANGPERF_CLI: 'dist', LANGPERF_DB: db }, encoding: 'utf8' },
  )
  assert.equal(r.status, 0, r.stderr)
  const names = readFileSync(log, 'utf8')
    .split('\n')
    .map((url) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1])
  return [...new Set(names.filter((n) => n !== undefined))].sort()
}

test('the compiled --help imports commander alone from node_modules, show none of the server, web or mail packages', () => {
  if (!existsSync(join(pkg, 'dist/cli/inputs.json'))) buildCli()
  assert.deepEqual(packagesLoaded('--help'), ['commander'])
  const show = packagesLoaded('show')
  assert.ok(show.includes('better-sqlite3'), show.join(', '))
  for (const heavy of [
    'fastify',
    'pino',
    'pg',
    'nodemailer',
    'preact',
    'preact-render-to-string',
    'smol-toml',
  ])
    assert.ok(!show.includes(heavy), `show imports ${heavy}: ${show.join(', ')}`)
  // Bundled into dist/cli (their hundreds of modules are slow to load one by one).
  for (const bundled of ['kysely', 'zod', 'jstat']) assert.ok(!show.includes(bundled), show.join(', '))
})

test('after an edit under src/ the bin runs the sources until the next build', () => {
  if (!existsSync(join(pkg, 'dist/cli/inputs.json'))) buildCli()
  const program = join(pkg, 'src/cli/program.ts')
  const marker = 'List runs (edited after the build)'
  writeFileSync(program, readFileSync(program, 'utf8').replace("'List runs, or show one run", `'${marker}`))
  const stale = langperf('dist', 'show', '--help')
  assert.equal(stale.status, 3)
  assert.match(stale.err, /src\/cli\/program\.ts changed since the build/)
  const edited = langperf('auto', 'show', '--help')
  assert.equal(edited.status, 0, edited.err)
  assert.ok(edited.out.includes(marker), edited.out)

  buildCli()
  const rebuilt = langperf('dist', 'show', '--help')
  assert.equal(rebuilt.status, 0, rebuilt.err)
  assert.ok(rebuilt.out.includes(marker), rebuilt.out)
})

test('the sources run from any directory with the package’s TypeScript settings (its JSX pages render)', () => {
  const elsewhere = mkdtempSync(join(tmpdir(), 'langperf-elsewhere-'))
  // The report embeds the browser assets `npm ci` built beside the package's sources.
  cpSync(join(repo, 'dist/web'), join(pkg, 'dist/web'), { recursive: true })
  try {
    assert.equal(langperfIn(elsewhere, 'src', 'import', 'pyperf', example).status, 0)
    const report = langperfIn(elsewhere, 'src', 'report', '-o', 'site')
    assert.equal(report.status, 0, report.err)
    assert.match(readFileSync(join(elsewhere, 'site', 'index.html'), 'utf8'), /<h1>Overview<\/h1>/)
  } finally {
    rmSync(elsewhere, { recursive: true, force: true })
  }
})
