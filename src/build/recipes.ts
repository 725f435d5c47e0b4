import { spawn } from 'node:child_process'
import { createWriteStream, type WriteStream } from 'node:fs'
import { access, constants, mkdir, readdir } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { dirname, join } from 'node:path'
import { assertNever } from '../lib/index.ts'
import type { CpythonRecipe, GenericRecipe, RecipeDefinition } from '../model/index.ts'

// Recipes turn a worktree into an installed runtime under a prefix. A recipe is first planned
// (pure: the exact command lines, testable without building anything), then run step by step:
// each step is spawned without a shell (spawn(file, args), like execFile), killed with its
// whole process group after its timeout, and its output appended to the build log.
//
// The generic recipe's lines do go through `/bin/sh -c`: they come from the operator's own
// configuration file, never from a request, and need pipes and redirections.

/** One command of a plan. */
export interface PlannedStep {
  /** `configure`, `make`, `install`, or `fetch[0]`, `build[1]`… for generic recipes. */
  readonly name: string
  readonly file: string
  readonly args: readonly string[]
}

/** What a recipe will run, in order, and where its executable will be. */
export interface RecipePlan {
  readonly steps: readonly PlannedStep[]
  /** Environment added to the inherited one for every step. */
  readonly env: Readonly<Record<string, string>>
  /** Candidate executable paths relative to the prefix; the first that exists is used. */
  readonly executables: readonly string[]
  /** `./configure` options to check against `./configure --help` before building (CPython). */
  readonly configureOptions: readonly string[]
}

/** Where and how a plan is carried out. */
export interface RecipeContext {
  /** The worktree: cwd of every step, `$SRC`. */
  readonly srcDir: string
  /** The install prefix, `$PREFIX`. */
  readonly prefix: string
  /** `make -j`, `$JOBS`. */
  readonly jobs: number
  /** Full sha, `$COMMIT`. */
  readonly commit: string
}

/** What one step did. */
export interface StepRecord {
  readonly name: string
  /** The command as shown in the log (arguments space-joined, for people). */
  readonly command: string
  readonly durationMs: number
  readonly exitCode: number | null
  readonly signal: string | null
  readonly timedOut: boolean
}

/** The end of a recipe: installed, failed at a step, or not supported by this source tree. */
export type RecipeOutcome =
  | { readonly status: 'ok'; readonly steps: readonly StepRecord[]; readonly executablePath: string }
  | {
      readonly status: 'failed'
      readonly steps: readonly StepRecord[]
      readonly failedStep: string
      readonly reason: string
      /** The last lines of output, for a failure shown without opening the log. */
      readonly logTail: string
    }
  | { readonly status: 'unsupported'; readonly steps: readonly StepRecord[]; readonly reason: string }

/** Events of a running recipe, for progress displays. */
export type RecipeEvent =
  | { readonly kind: 'step-start'; readonly step: string; readonly command: string }
  | { readonly kind: 'step-end'; readonly step: string; readonly durationMs: number; readonly ok: boolean }

/** Options of runRecipe. */
export interface RunRecipeOptions {
  /** Output of every step is appended here. */
  readonly logFile: string
  /** Each step is killed (with its process group) after this long. */
  readonly stepTimeoutMs: number
  readonly onEvent?: (event: RecipeEvent) => void
  /** Raw output of the steps as it arrives. */
  readonly onOutput?: (chunk: string) => void
}

/** The number of parallel jobs for `jobs` from the configuration (`auto` = logical CPUs). */
export function resolveJobs(jobs: number | 'auto'): number {
  return jobs === 'auto' ? availableParallelism() : jobs
}

/**
 * CPython's plan: `./configure --prefix=<prefix> <configureArgs>`, `make -j<jobs>`,
 * `make install`; the executable is `bin/python3` (free-threaded builds of 3.13+ may install
 * only `bin/python3.X t`, found by the fallback pattern in findExecutable).
 */
export function cpythonPlan(recipe: CpythonRecipe, ctx: Pick<RecipeContext, 'prefix' | 'jobs'>): RecipePlan {
  return {
    steps: [
      { name: 'configure', file: './configure', args: [`--prefix=${ctx.prefix}`, ...recipe.configureArgs] },
      { name: 'make', file: 'make', args: [`-j${ctx.jobs}`] },
      { name: 'install', file: 'make', args: ['install'] },
    ],
    env: { ...recipe.env },
    executables: ['bin/python3', 'bin/python3t'],
    configureOptions: recipe.configureArgs.filter((a) => a.startsWith('--')),
  }
}

/** A generic plan: each fetch, build and install line as `/bin/sh -c <line>`, in that order. */
export function genericPlan(recipe: GenericRecipe, ctx: RecipeContext): RecipePlan {
  const lines = [
    ...recipe.fetch.map((line, i) => [`fetch[${i}]`, line] as const),
    ...recipe.build.map((line, i) => [`build[${i}]`, line] as const),
    ...recipe.install.map((line, i) => [`install[${i}]`, line] as const),
  ]
  return {
    steps: lines.map(([name, line]) => ({ name, file: '/bin/sh', args: ['-c', line] })),
    // The four variables come last: the file's env cannot redirect the install elsewhere.
    env: { ...recipe.env, PREFIX: ctx.prefix, JOBS: String(ctx.jobs), SRC: ctx.srcDir, COMMIT: ctx.commit },
    executables: [recipe.executable],
    configureOptions: [],
  }
}

/** The plan of any recipe. */
export function planRecipe(recipe: RecipeDefinition, ctx: RecipeContext): RecipePlan {
  switch (recipe.kind) {
    case 'cpython':
      return cpythonPlan(recipe, ctx)
    case 'generic':
      return genericPlan(recipe, ctx)
    default:
      return assertNever(recipe)
  }
}

/**
 * The `configure` options in `options` that `./configure --help` does not list. Autoconf only
 * warns about an unknown option ("unrecognized options") and builds anyway, so without this
 * check `--enable-experimental-jit` on 3.11 would silently produce a default build under the
 * name "jit". `--enable-x`/`--disable-x` and `--with-x`/`--without-x` are the same feature.
 */
export function unsupportedConfigureOptions(helpText: string, options: readonly string[]): string[] {
  const listed = new Set<string>()
  for (const m of helpText.matchAll(/--(enable|disable|with|without)-([A-Za-z0-9_-]+)/g)) {
    listed.add(`${featureKind(m[1] as string)}-${m[2] as string}`)
  }
  for (const m of helpText.matchAll(/(?:^|\s)(--[a-z][a-z0-9-]*)/g)) listed.add(m[1] as string)
  return options.filter((option) => {
    const name = option.split('=')[0] as string
    const feature = /^--(enable|disable|with|without)-(.+)$/.exec(name)
    if (feature !== null) return !listed.has(`${featureKind(feature[1] as string)}-${feature[2] as string}`)
    return !listed.has(name)
  })
}

function featureKind(prefix: string): 'enable' | 'with' {
  return prefix === 'enable' || prefix === 'disable' ? 'enable' : 'with'
}

/** How a spawned step ended. */
interface StepExit {
  readonly exitCode: number | null
  readonly signal: string | null
  readonly timedOut: boolean
  readonly spawnError: string | null
  readonly durationMs: number
}

const KILL_GRACE_MS = 5_000
const TAIL_BYTES = 4096

/**
 * Spawns `file args` in `options.cwd` with `options.env` (no shell), appending its output to
 * `log` and handing each chunk to `options.onData`; never rejects. After `options.timeoutMs`
 * the whole process group gets SIGTERM, then SIGKILL after a grace period.
 */
function spawnStep(
  step: PlannedStep,
  log: WriteStream,
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number; onData: (chunk: Buffer) => void },
): Promise<StepExit> {
  const { cwd, env } = options
  const t0 = performance.now()
  return new Promise((resolve) => {
    let child: ReturnType<typeof spawn>
    try {
      child = spawn(step.file, [...step.args], {
        cwd,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      })
    } catch (error) {
      resolve({ exitCode: null, signal: null, timedOut: false, spawnError: String(error), durationMs: 0 })
      return
    }
    let timedOut = false
    let spawnError: string | null = null
    const killGroup = (signal: NodeJS.Signals) => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal)
      } catch {
        // Already gone.
      }
    }
    let killTimer: NodeJS.Timeout | undefined
    const timer = setTimeout(() => {
      timedOut = true
      killGroup('SIGTERM')
      killTimer = setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS)
    }, options.timeoutMs)
    const onData = (chunk: Buffer) => {
      log.write(chunk)
      options.onData(chunk)
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.on('error', (error) => {
      spawnError = error.message
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      if (killTimer !== undefined) clearTimeout(killTimer)
      resolve({ exitCode: code, signal, timedOut, spawnError, durationMs: performance.now() - t0 })
    })
  })
}

function displayCommand(step: PlannedStep): string {
  return [step.file, ...step.args]
    .map((a) => (/^[A-Za-z0-9_./=:,+-]+$/.test(a) ? a : JSON.stringify(a)))
    .join(' ')
}

function writeLine(log: WriteStream, line: string): void {
  log.write(`${line}\n`)
}

/** Runs `./configure --help` and returns its output ('' when it cannot run). */
function configureHelp(srcDir: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    const child = spawn('./configure', ['--help'], { cwd: srcDir, env, stdio: ['ignore', 'pipe', 'ignore'] })
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.stdout.on('data', (c: Buffer) => chunks.push(c))
    child.on('error', () => {})
    child.on('close', () => {
      clearTimeout(timer)
      resolve(Buffer.concat(chunks).toString('utf8'))
    })
  })
}

/** The first of `candidates` (relative to `prefix`) that is an executable file, else a `bin/python3.*` fallback for CPython. */
export async function findExecutable(prefix: string, candidates: readonly string[]): Promise<string | null> {
  for (const rel of candidates) {
    const path = join(prefix, rel)
    try {
      await access(path, constants.X_OK)
      return path
    } catch {
      // Try the next.
    }
  }
  if (candidates.includes('bin/python3')) {
    // A free-threaded CPython 3.13 installs python3.13t (and no python3 link).
    try {
      const names = (await readdir(join(prefix, 'bin'))).filter((n) => /^python3\.\d+t?$/.test(n)).sort()
      if (names.length > 0) return join(prefix, 'bin', names[names.length - 1] as string)
    } catch {
      return null
    }
  }
  return null
}

/**
 * Runs a recipe in `ctx.srcDir`, installing into `ctx.prefix`; every step's output goes to
 * `options.logFile`. Never rejects for a failing build: that is a `failed` outcome (a failure
 * is data, ARCHITECTURE.md). A CPython configure option the tree does not know is `unsupported`.
 */
export async function runRecipe(
  recipe: RecipeDefinition,
  ctx: RecipeContext,
  options: RunRecipeOptions,
): Promise<RecipeOutcome> {
  const plan = planRecipe(recipe, ctx)
  await mkdir(dirname(options.logFile), { recursive: true })
  await mkdir(ctx.prefix, { recursive: true })
  const log = createWriteStream(options.logFile, { flags: 'a' })
  const env: NodeJS.ProcessEnv = { ...process.env, ...plan.env }
  const steps: StepRecord[] = []
  let tail: Buffer = Buffer.alloc(0)
  const onData = (chunk: Buffer) => {
    const joined = Buffer.concat([tail, chunk])
    tail = joined.length > TAIL_BYTES ? joined.subarray(joined.length - TAIL_BYTES) : joined
    options.onOutput?.(chunk.toString('utf8'))
  }
  try {
    writeLine(
      log,
      `# langperf build of ${ctx.commit} (${recipe.kind} recipe) started ${new Date().toISOString()}`,
    )
    if (plan.configureOptions.length > 0) {
      const help = await configureHelp(ctx.srcDir, env, Math.min(options.stepTimeoutMs, 60_000))
      const missing = help === '' ? [] : unsupportedConfigureOptions(help, plan.configureOptions)
      if (missing.length > 0) {
        const reason = `not supported by this version: ./configure --help does not list ${missing.map((o) => JSON.stringify(o)).join(', ')}`
        writeLine(log, `# ${reason}`)
        return { status: 'unsupported', steps, reason }
      }
    }
    for (const step of plan.steps) {
      const command = displayCommand(step)
      writeLine(log, `\n$ ${command}`)
      options.onEvent?.({ kind: 'step-start', step: step.name, command })
      tail = Buffer.alloc(0)
      const exit = await spawnStep(step, log, {
        cwd: ctx.srcDir,
        env,
        timeoutMs: options.stepTimeoutMs,
        onData,
      })
      const record: StepRecord = {
        name: step.name,
        command,
        durationMs: Math.round(exit.durationMs),
        exitCode: exit.exitCode,
        signal: exit.signal,
        timedOut: exit.timedOut,
      }
      steps.push(record)
      const ok = exit.exitCode === 0 && !exit.timedOut && exit.spawnError === null
      writeLine(
        log,
        `# ${step.name}: ${ok ? 'ok' : 'FAILED'} after ${(exit.durationMs / 1000).toFixed(1)} s${exitText(exit)}`,
      )
      options.onEvent?.({ kind: 'step-end', step: step.name, durationMs: record.durationMs, ok })
      if (!ok) {
        return {
          status: 'failed',
          steps,
          failedStep: step.name,
          reason: failureReason(step, exit, options.stepTimeoutMs),
          logTail: tailText(tail),
        }
      }
    }
    const executablePath = await findExecutable(ctx.prefix, plan.executables)
    if (executablePath === null) {
      const reason = `Cannot find the built executable: expected ${plan.executables.map((e) => JSON.stringify(e)).join(' or ')} inside ${JSON.stringify(ctx.prefix)}, found none`
      writeLine(log, `# ${reason}`)
      return { status: 'failed', steps, failedStep: 'executable', reason, logTail: tailText(tail) }
    }
    writeLine(log, `# built ${executablePath}`)
    return { status: 'ok', steps, executablePath }
  } finally {
    await new Promise<void>((resolve) => log.end(resolve))
  }
}

function exitText(exit: StepExit): string {
  if (exit.spawnError !== null) return ` (${exit.spawnError})`
  if (exit.timedOut) return ' (timed out)'
  if (exit.signal !== null) return ` (signal ${exit.signal})`
  return exit.exitCode === 0 ? '' : ` (exit status ${exit.exitCode})`
}

function failureReason(step: PlannedStep, exit: StepExit, timeoutMs: number): string {
  if (exit.spawnError !== null)
    return `Cannot start step ${step.name} ${JSON.stringify(step.file)}: ${exit.spawnError}`
  if (exit.timedOut) return `Step ${step.name} timed out after ${timeoutMs} ms`
  if (exit.signal !== null) return `Step ${step.name} was killed by ${exit.signal}`
  return `Step ${step.name} failed with exit status ${exit.exitCode}`
}

function tailText(tail: Buffer): string {
  const lines = tail.toString('utf8').split('\n')
  return lines.slice(-20).join('\n').trimEnd()
}
