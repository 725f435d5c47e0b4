import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { initGitRepo } from '../build/index.ts'
import { main } from './main.ts'
import type { Io } from './output.ts'

// Test support for the nightly's end-to-end tests (not used by the product): the toy runtime —
// a git repository of a tiny interpreter, a C file that embeds CPython, built by `make` with a
// generic recipe — and the CLI run in-process with its output captured.

/** A python3.X-config that can link an embedded interpreter, or null (the test is skipped). */
function findPythonConfig(): string | null {
  const candidates: string[] = []
  const pyenv = join(process.env.PYENV_ROOT ?? join(homedir(), '.pyenv'), 'versions')
  try {
    for (const v of readdirSync(pyenv).sort((a, b) =>
      a.startsWith('3.11') ? -1 : b.startsWith('3.11') ? 1 : 0,
    )) {
      const minor = /^3\.(\d+)\./.exec(v)?.[1]
      if (minor !== undefined && Number(minor) >= 8)
        candidates.push(join(pyenv, v, 'bin', `python3.${minor}-config`))
    }
  } catch {
    // No pyenv here.
  }
  candidates.push('python3-config')
  for (const c of candidates) {
    const r = spawnSync(c, ['--ldflags', '--embed'], { encoding: 'utf8' })
    if (r.status === 0) return c
  }
  return null
}

/** The python3.X-config the toy links against (null: the tests skip). */
export const PYTHON_CONFIG = findPythonConfig()
/** Why the toy cannot be built here, or false. */
export const TOY_SKIP =
  PYTHON_CONFIG === null
    ? 'no python3.X-config with --embed found'
    : spawnSync('make', ['--version']).status !== 0 || spawnSync('cc', ['--version']).status !== 0
      ? 'make and a C compiler (cc) are needed to build the toy runtime'
      : false
/** The toy's main.c before any change: hands everything to CPython. */
export const FAST_MAIN = (version: string) => `/* toy ${version}: a tiny interpreter that embeds CPython. */
#include <Python.h>

int main(int argc, char **argv) { return Py_BytesMain(argc, argv); }
`

/**
 * A toy main.c that starts CPython from argv and runs `afterInit` (C statements) once the
 * interpreter is up, before handing over to Py_RunMain: where a scenario installs its slowdown.
 */
export function embeddingMain(header: string, afterInit: string): string {
  return `${header}
int main(int argc, char **argv) {
  PyStatus status;
  PyConfig config;
  PyConfig_InitPythonConfig(&config);
  status = PyConfig_SetBytesArgv(&config, argc, argv);
  if (PyStatus_Exception(status)) goto fail;
  status = Py_InitializeFromConfig(&config);
  if (PyStatus_Exception(status)) goto fail;
  PyConfig_Clear(&config);
${afterInit}
  return Py_RunMain();
fail:
  PyConfig_Clear(&config);
  if (PyStatus_IsExit(status)) return status.exitcode;
  Py_ExitStatusException(status);
}
`
}

/** The Python function the hooked toy calls on every call: what a differential profile must name. */
export const TOY_HOOK_FUNCTION = 'toy_call_hook'
/** The file name the hook is compiled under (py-spy shows it as the frame's file). */
export const TOY_HOOK_FILE = 'toy_hooks.py'

/**
 * A toy main.c whose interpreter installs a Python-level profile hook, `toy_call_hook` of
 * `toy_hooks.py`, before running the program: every Python call (and generator resumption) then
 * also runs a few lines of Python, an accidental per-call cost that lives in one named Python
 * function, so a profile of the culprit against its parent can name it. `burn` is how many loop
 * iterations the hook spends per call.
 */
export function pythonHookMain(version: string, burn: number): string {
  const hook = [
    'import sys',
    `def ${TOY_HOOK_FUNCTION}(frame, event, arg):`,
    "    if event == 'call':",
    '        n = 0',
    `        for i in range(${burn}):`,
    '            n += i',
    `sys.setprofile(${TOY_HOOK_FUNCTION})`,
  ]
  return embeddingMain(
    `/* toy ${version}: embeds CPython, now with a call hook written in Python. */
#include <Python.h>

static const char HOOK[] =
${hook.map((l) => `  "${l.replaceAll('"', '\\"')}\\n"`).join('\n')};

/* Installs the hook: compiled under its own file name, run in a namespace of its own. */
static int install_hook(void) {
  PyObject *code = Py_CompileString(HOOK, "${TOY_HOOK_FILE}", Py_file_input);
  PyObject *globals = code == NULL ? NULL : PyDict_New();
  PyObject *done = NULL;
  if (globals != NULL && PyDict_SetItemString(globals, "__builtins__", PyEval_GetBuiltins()) == 0)
    done = PyEval_EvalCode(code, globals, globals);
  Py_XDECREF(globals);
  Py_XDECREF(code);
  if (done == NULL) {
    PyErr_Print();
    return -1;
  }
  Py_DECREF(done);
  return 0;
}
`,
    `  if (install_hook() != 0) return 1;`,
  )
}

/**
 * The start of a langperf.toml for the toy: the store beside it and the toy runtime, cloned
 * from `remote` and built with make against PYTHON_CONFIG; tests append their own sections.
 */
export function toyConfigToml(remote: string): string {
  return `[store]
location = "langperf.db"

[[runtimes]]
name = "toy"
family = "generic"
remote = "${remote}"
branches = ["main"]

[runtimes.configs.default]
build = ["make"]
install = ["mkdir -p \\"$PREFIX/bin\\"", "cp python3 \\"$PREFIX/bin/python3\\""]
executable = "bin/python3"
env = { PYTHON_CONFIG = "${PYTHON_CONFIG}" }
`
}

/** The [build] section of a toy test's langperf.toml: its cache beside the config, one job, 2 minutes a step. */
export const TOY_BUILD_TOML = `[build]
cache_dir = "cache"
jobs = 1
step_timeout = "2m"
`

/** The toy's Makefile. */
export const MAKEFILE = `# The toy runtime: one C file linked against libpython (PYTHON_CONFIG names python3.X-config).
python3: main.c
\t$(CC) -O1 -o python3 main.c $$($(PYTHON_CONFIG) --cflags --embed) $$($(PYTHON_CONFIG) --ldflags --embed)
`

/** A toy repository: its path and its commits, oldest first. */
export interface ToyRepo {
  readonly origin: string
  readonly shas: readonly string[]
}

/** A history of the toy runtime: how many commits, which breaks the build, which slows it and how. */
export interface ToyHistory {
  readonly dir: string
  readonly total: number
  readonly broken: number | null
  readonly slow: number | null
  readonly slowMain: (version: string) => string
  readonly slowSubject: string
}

/** Makes the toy runtime's history: commit i has author date 2024-01-01 00:i:00 UTC. */
export function makeToyRepo(root: string, history: ToyHistory): ToyRepo {
  const origin = join(root, history.dir)
  const { commit } = initGitRepo(origin)
  const shas: string[] = []
  let slow = false
  for (let i = 0; i < history.total; i++) {
    const version = `0.${i}`
    let subject = `Bump the version to ${version}`
    if (i === history.slow) {
      slow = true
      subject = history.slowSubject
    }
    let main = slow ? history.slowMain(version) : FAST_MAIN(version)
    if (i === history.broken) {
      main = `${main}\nint broken( {\n`
      subject = 'Start a helper (does not compile)'
    }
    if (history.broken !== null && i === history.broken + 1) subject = 'Fix the build'
    const date = `2024-01-01T00:${String(i).padStart(2, '0')}:00Z`
    shas.push(commit({ 'main.c': main, Makefile: MAKEFILE, VERSION: `${version}\n` }, subject, { date }))
  }
  return { origin, shas }
}

/** A writable stream that keeps what it is given. */
export function sink(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = []
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(Buffer.from(chunk))
      cb()
    },
  })
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') }
}

/** Runs the CLI in-process with `args`; its status and what it wrote. */
export async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = sink()
  const err = sink()
  const io: Io = { out: out.stream, err: err.stream, isTty: false }
  const code = await main(['node', 'langperf', ...args], io, process.env)
  return { code, out: out.text(), err: err.text() }
}
