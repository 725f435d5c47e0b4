import { type ChildProcess, spawn } from 'node:child_process'
import { createConnection, createServer } from 'node:net'
import type { ServiceKind } from '../model/index.ts'

// Services a workload needs (workloads/README.md, "Server workloads"): started by langperf on
// 127.0.0.1 on a free port for one measuring process, their version asked of the running
// service, and stopped afterwards whatever happens. Each runs in a process group of its own, so
// that stopping kills everything it started. The list is closed: langperf knows how to start
// each kind, a manifest only names it.

/** A service that is running: where it listens, its version, and how to stop it. */
export interface RunningService {
  readonly name: ServiceKind
  /** `127.0.0.1:port`. */
  readonly address: string
  readonly port: number
  readonly pid: number
  /** The version the service reports, e.g. `1.6.18`. */
  readonly version: string
  /** Kills its process group and waits for the process to end. */
  readonly stop: () => Promise<void>
}

/** A free TCP port on 127.0.0.1 (asked of the kernel; free when asked, taken by the caller soon after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/** Process groups of services and servers still running, killed if langperf exits before stopping them. */
const liveGroups = new Set<number>()

function killLiveGroups(): void {
  for (const pid of liveGroups) signalGroup(pid, 'SIGKILL')
}

/**
 * Records the process group of `child` (spawned `detached`) as running until stopProcessGroup:
 * should langperf exit first (`process.exit`, a second Ctrl-C), its 'exit' handler kills the
 * group, so no service or server outlives it. A SIGKILL of langperf itself cannot be caught.
 */
export function trackProcessGroup(child: ChildProcess): void {
  if (child.pid === undefined) return
  if (liveGroups.size === 0) process.on('exit', killLiveGroups)
  liveGroups.add(child.pid)
}

/** Kills the process group of `child` (SIGTERM, then SIGKILL after `graceMs`) and waits for it to exit. */
export async function stopProcessGroup(child: ChildProcess, graceMs = 2000): Promise<void> {
  const pid = child.pid
  if (pid === undefined) return
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve()
    else child.once('exit', () => resolve())
  })
  signalGroup(pid, 'SIGTERM')
  const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs)
  await exited
  clearTimeout(timer)
  // Anything the group left behind (a worker that ignored SIGTERM) goes too.
  signalGroup(pid, 'SIGKILL')
  liveGroups.delete(pid)
  if (liveGroups.size === 0) process.off('exit', killLiveGroups)
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal)
  } catch {
    // Already gone.
  }
}

/**
 * Starts service `name` on a free loopback port and waits (up to `timeoutMs`) until it answers;
 * throws an Error saying why when it does not, with nothing left running.
 */
export async function startService(
  name: ServiceKind,
  options: { readonly timeoutMs: number },
): Promise<RunningService> {
  switch (name) {
    case 'memcached':
      return startMemcached(options.timeoutMs)
  }
}

async function startMemcached(timeoutMs: number): Promise<RunningService> {
  const port = await freePort()
  // -U 0: no UDP; -t 1: one thread (the machine's other cores belong to the server under test).
  const args = ['-l', '127.0.0.1', '-p', String(port), '-U', '0', '-t', '1', '-m', '64']
  // memcached refuses to run as root without a user to switch to.
  if (process.getuid?.() === 0) args.push('-u', 'nobody')
  const child = spawn('memcached', args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true })
  trackProcessGroup(child)
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-2048)
  })
  const spawnError = new Promise<string>((resolve) => child.once('error', (e) => resolve(e.message)))
  const stop = () => stopProcessGroup(child)
  try {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const failed = await Promise.race([spawnError, delay(0).then(() => null)])
      if (failed !== null) throw new Error(`Cannot start memcached: ${failed}`)
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(
          `memcached exited (${child.exitCode ?? child.signalCode}) before answering: ${stderr.trim()}`,
        )
      const version = await memcachedVersion(port).catch(() => null)
      if (version !== null)
        return { name: 'memcached', address: `127.0.0.1:${port}`, port, pid: child.pid ?? 0, version, stop }
      if (Date.now() > deadline)
        throw new Error(`memcached did not answer on 127.0.0.1:${port} within ${timeoutMs} ms`)
      await delay(50)
    }
  } catch (error) {
    await stop()
    throw error
  }
}

/** Asks the memcached on `port` its version (text protocol `version`). */
function memcachedVersion(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port })
    let text = ''
    socket.setTimeout(1000, () => socket.destroy(new Error('timeout')))
    socket.on('connect', () => socket.write('version\r\n'))
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1')
      const m = /^VERSION (\S+)\r\n/.exec(text)
      if (m?.[1]) {
        socket.end()
        resolve(m[1])
      }
    })
    socket.on('error', reject)
    socket.on('close', () => reject(new Error('closed')))
  })
}

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/**
 * Starts every service of a list, in order; when one fails, those already started are stopped and
 * the error is thrown.
 */
export async function startServices(
  names: readonly ServiceKind[],
  options: { readonly timeoutMs: number },
): Promise<RunningService[]> {
  const started: RunningService[] = []
  try {
    for (const name of names) started.push(await startService(name, options))
    return started
  } catch (error) {
    await stopServices(started)
    throw error
  }
}

/** Stops every service of a list (never rejects). */
export async function stopServices(services: readonly RunningService[]): Promise<void> {
  await Promise.all(services.map((s) => s.stop().catch(() => {})))
}
