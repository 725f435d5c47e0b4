import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { hashTokenSecret, newTokenSecret } from '../server/index.ts'
import { openPostgresStore, type Store, type TokenRole } from '../store/index.ts'

// Support for the farm's end-to-end test and bench/farm.ts (not used by the product): a
// `langperf serve --farm` and `langperf agent`s as separate processes of bin/langperf.mjs, their
// stderr lines, and tokens made straight in the store. Every process started is ended by `stop`.

const BIN = fileURLToPath(new URL('../../bin/langperf.mjs', import.meta.url))

/** A child process of bin/langperf.mjs with its stderr lines so far. */
export interface LangperfProcess {
  readonly child: ChildProcess
  readonly lines: string[]
  /** Its stdout lines so far. */
  readonly out: string[]
  /** Resolves with the first stderr line matching `re` (already printed or to come), or rejects after `timeoutMs`. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>
  /** Resolves with the exit code (or the signal's name) once the process has exited. */
  readonly exited: Promise<number | string>
  /** Sends `signal` to the process's whole group. */
  kill(signal: NodeJS.Signals): void
}

/** Starts `langperf ARGS…` in a process group of its own. */
export function startLangperf(args: readonly string[], env: NodeJS.ProcessEnv = {}): LangperfProcess {
  const child = spawn(process.execPath, [BIN, ...args], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  })
  const lines: string[] = []
  const out: string[] = []
  let outRest = ''
  child.stdout?.setEncoding('utf8')
  child.stdout?.on('data', (chunk: string) => {
    const parts = (outRest + chunk).split('\n')
    outRest = parts.pop() ?? ''
    out.push(...parts)
  })
  const waiters: { re: RegExp; resolve: (m: RegExpMatchArray) => void }[] = []
  let rest = ''
  child.stderr?.setEncoding('utf8')
  child.stderr?.on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n')
    rest = parts.pop() ?? ''
    for (const line of parts) {
      lines.push(line)
      for (const w of [...waiters]) {
        const m = line.match(w.re)
        if (m !== null) {
          waiters.splice(waiters.indexOf(w), 1)
          w.resolve(m)
        }
      }
    }
  })
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  )
  return {
    child,
    lines,
    out,
    exited,
    waitFor(re, timeoutMs = 60_000) {
      for (const line of lines) {
        const m = line.match(re)
        if (m !== null) return Promise.resolve(m)
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no line matching ${re} within ${timeoutMs} ms:\n${lines.join('\n')}`)),
          timeoutMs,
        )
        waiters.push({
          re,
          resolve: (m) => {
            clearTimeout(timer)
            resolve(m)
          },
        })
        void exited.then(() =>
          setTimeout(
            () => reject(new Error(`exited before a line matching ${re}:\n${lines.join('\n')}`)),
            100,
          ),
        )
      })
    },
    kill(signal) {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return
      try {
        process.kill(-child.pid, signal)
      } catch {
        // Already gone.
      }
    },
  }
}

/** `langperf serve --farm` on `port` (a free one when absent) over the store in `schema`; resolves once it listens. */
export async function startFarmServer(
  url: string,
  options: {
    readonly schema: string
    readonly lockMs: number
    readonly port?: number
    /** Extra environment (e.g. the crash test's seam, server/test-hooks.ts). */
    readonly env?: NodeJS.ProcessEnv
  },
): Promise<LangperfProcess & { readonly baseUrl: string }> {
  const p = startLangperf(
    [
      'serve',
      '--db',
      url,
      '--pg-schema',
      options.schema,
      '--farm',
      '--farm-lock-ms',
      String(options.lockMs),
      '--port',
      String(options.port ?? 0),
      '--log-level',
      'warn',
    ],
    options.env,
  )
  const m = await p.waitFor(/langperf serving (http:\/\/\S+)/)
  return { ...p, baseUrl: m[1] ?? '' }
}

/** `langperf agent` for `machine`, with `extra` arguments (e.g. its own `--cache-dir`). */
export function startFarmAgent(
  baseUrl: string,
  token: string,
  machine: string,
  extra: readonly string[] = [],
): LangperfProcess {
  return startLangperf(['agent', '--server', baseUrl, '--machine', machine, '--claim-wait', '1', ...extra], {
    LANGPERF_TOKEN: token,
  })
}

/** Creates tokens in the store of `schema`: name → [role, scopes]; answers name → secret. */
export async function createTokens(
  url: string,
  schema: string,
  specs: Readonly<Record<string, readonly [TokenRole, readonly string[]]>>,
): Promise<{ secrets: Record<string, string>; store: Store }> {
  const store = await openPostgresStore(url, { schema, maxConnections: 2 })
  const secrets: Record<string, string> = {}
  for (const [name, [role, scopes]] of Object.entries(specs)) {
    const secret = newTokenSecret()
    await store.createToken({
      name,
      role,
      scopes,
      hash: hashTokenSecret(secret),
      createdAt: new Date().toISOString(),
    })
    secrets[name] = secret
  }
  return { secrets, store }
}
