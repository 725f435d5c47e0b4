import assert from 'node:assert/strict'
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { resolvePythonName } from '../runner/index.ts'

// The README's five-minute tour, as a newcomer meets it: every command of its code block, in
// order, verbatim, in a fresh clone of this repository. A command that exits non-zero fails the
// test, and so does a file the tour leaves in the clone (beyond what installing made and the
// database the README says the tour adds to). `serve` runs until stopped: it must report its
// address and answer its dashboard before Ctrl-C (SIGINT) stops it with status 0.
//
// The clone gets this checkout's node_modules by a symlink and its web bundle and compiled command
// line built as `npm ci` would (the `prepare` script), so the test does not download anything. It clones what is
// committed (HEAD), as CI does.

const root = fileURLToPath(new URL('../..', import.meta.url))

/** The commands of the README's tour: its first shell block, comments and blank lines dropped. */
export function tourCommands(readme: string): string[] {
  const section = readme.split(/^## A five-minute tour$/m)[1]
  if (section === undefined) throw new Error('README.md has no "## A five-minute tour" section')
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1]
  if (block === undefined) throw new Error('the tour section has no ```sh block')
  return block
    .split('\n')
    .map((line) => line.replace(/\s{2,}#.*$/, '').trim())
    .filter((line) => line.length > 0 && !line.startsWith('#'))
}

/** Why the tour cannot run here, or null: it needs git and the two Pythons it names. */
async function unavailable(): Promise<string | null> {
  if (!existsSync(join(root, '.git'))) return 'not a git checkout: nothing to clone'
  for (const name of ['python3.12', 'python3.13']) {
    if ((await resolvePythonName(name, process.env)) === null)
      return `the tour runs ${name}, which this machine lacks`
  }
  return null
}

const SKIP = await unavailable()

/** This process's environment without $LANGPERF_DB: the tour uses the default database. */
function tourEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env }
  delete env.LANGPERF_DB
  return env
}

/** Runs one shell line in `cwd`; resolves with its status and output. */
function sh(line: string, cwd: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', line], { cwd, env: tourEnv() })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => {
      out += d
    })
    child.stderr.on('data', (d) => {
      err += d
    })
    child.on('close', (code) => resolve({ code, out, err }))
  })
}

/** Runs `serve` until it reports its address, asks for the dashboard, then stops it with SIGINT. */
function serveOnce(line: string, cwd: string): Promise<{ code: number | null; page: number; err: string }> {
  return new Promise((resolve, reject) => {
    // exec: the signal reaches langperf itself, not a shell around it.
    const child = spawn('bash', ['-c', `exec ${line} --port 0`], { cwd, env: tourEnv() })
    let err = ''
    let page = 0
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`serve did not report its address within 60 s: ${err}`))
    }, 60_000)
    child.stderr.on('data', async (d) => {
      err += d
      const url = /serving (http:\/\/127\.0\.0\.1:\d+)/.exec(err)?.[1]
      if (url === undefined || page !== 0) return
      page = -1
      page = (await fetch(`${url}/`)).status
      child.kill('SIGINT')
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, page, err })
    })
  })
}

describe("the README's tour in a fresh clone", { skip: SKIP ?? false }, () => {
  let tmp = ''
  let clone = ''
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'langperf-tour-'))
    clone = join(tmp, 'langperf')
    execFileSync('git', ['clone', '--quiet', root, clone])
    symlinkSync(join(root, 'node_modules'), join(clone, 'node_modules'))
    for (const script of ['scripts/build-web.mjs', 'scripts/build-cli.mjs'])
      execFileSync(process.execPath, [script], { cwd: clone, stdio: 'ignore' })
  })
  after(() => rmSync(tmp, { recursive: true, force: true }))

  test('every command exits 0, in order, and the clone keeps only the database', async () => {
    const commands = tourCommands(readFileSync(join(clone, 'README.md'), 'utf8'))
    assert.ok(commands.length >= 10, `the tour has ${commands.length} commands`)
    for (const line of commands) {
      const started = performance.now()
      if (/langperf\.mjs serve\b/.test(line)) {
        const r = await serveOnce(line, clone)
        assert.equal(r.page, 200, `serve answered its dashboard: ${r.err}`)
        assert.equal(r.code, 0, `${line}\n${r.err}`)
      } else {
        const r = await sh(line, clone)
        assert.equal(r.code, 0, `${line} exited ${r.code}\n${r.err}`)
      }
      process.stderr.write(
        `  tour: ${line.slice(0, 70)} (${((performance.now() - started) / 1000).toFixed(1)} s)\n`,
      )
    }
    // What git sees besides the committed tree, ignored files included.
    const left = execFileSync('git', ['status', '--porcelain', '--ignored', '--untracked-files=all'], {
      cwd: clone,
      encoding: 'utf8',
    })
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => l.slice(3))
      // Installing made these (the symlink standing for `npm ci`, the bundle of its `prepare`).
      .filter((p) => p !== 'node_modules' && !p.startsWith('dist/'))
    assert.deepEqual(left, ['langperf.db'])
  })
})

test('the tour parser keeps commands and drops comments', () => {
  assert.deepEqual(
    tourCommands(
      'x\n## A five-minute tour\n\n```sh\n./a --x   # what\n# note\n\nrm -r b/  # c\n```\n```sh\nnot this\n```',
    ),
    ['./a --x', 'rm -r b/'],
  )
})
