import { mkdir, open, readFile, rm } from 'node:fs/promises'
import { hostname as osHostname } from 'node:os'
import { dirname } from 'node:path'
import { LangperfError, quote } from '../lib/index.ts'

// One nightly at a time per machine: a lock file created with O_EXCL (`wx`), so of two processes
// racing to create it exactly one succeeds (POSIX open(2), O_CREAT|O_EXCL). It holds the pid, host
// and start time of its owner. A lock whose owner is gone (same host, pid no longer alive) is
// stale: it is taken over with a log line. A lock held by another host (a shared file system)
// cannot be checked from here and is never taken over.

/** What the lock file says about its owner. */
export interface LockOwner {
  readonly pid: number
  readonly host: string
  /** ISO UTC. */
  readonly startedAt: string
}

/** A held lock; `release()` removes the file (only if it is still ours). */
export interface HeldLock {
  readonly path: string
  readonly owner: LockOwner
  /** When a stale lock was taken over, its previous owner. */
  readonly tookOverFrom: LockOwner | null
  release(): Promise<void>
}

/** Thrown when another live nightly holds the lock; the CLI exits with NIGHTLY_LOCKED_EXIT_STATUS. */
export class NightlyLockedError extends LangperfError {
  readonly holder: LockOwner | null
  readonly path: string
  constructor(path: string, holder: LockOwner | null) {
    super(
      'conflict',
      holder === null
        ? `Cannot start the nightly: the lock ${quote(path, 200)} is held and its owner is unreadable; remove it if no nightly is running`
        : `Cannot start the nightly: another nightly (pid ${holder.pid} on ${quote(holder.host)}, started ${holder.startedAt}) holds the lock ${quote(path, 200)}`,
    )
    this.holder = holder
    this.path = path
  }
}

/**
 * Exit status of `langperf nightly` when another nightly holds the lock: 75, EX_TEMPFAIL of
 * sysexits.h ("temporary failure; the user is invited to retry"), which cron wrappers know.
 */
export const NIGHTLY_LOCKED_EXIT_STATUS = 75

/** The world the lock needs; tests replace it. */
export interface LockOptions {
  readonly pid?: number
  readonly host?: string
  readonly now?: () => Date
  /** Whether a pid is alive on this host (default: `kill(pid, 0)`). */
  readonly isAlive?: (pid: number) => boolean
  readonly log?: (line: string) => void
}

function defaultIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

async function readOwner(path: string): Promise<LockOwner | null | 'missing'> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing'
    throw error
  }
  try {
    const o = JSON.parse(text) as Partial<LockOwner>
    if (Number.isInteger(o.pid) && typeof o.host === 'string' && typeof o.startedAt === 'string') {
      return { pid: o.pid as number, host: o.host, startedAt: o.startedAt }
    }
  } catch {
    // An owner that died while writing leaves an empty or partial file.
  }
  return null
}

async function createExclusive(path: string, owner: LockOwner): Promise<boolean> {
  try {
    const handle = await open(path, 'wx')
    try {
      await handle.writeFile(`${JSON.stringify(owner)}\n`)
      await handle.sync()
    } finally {
      await handle.close()
    }
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw new LangperfError(
      'unavailable',
      `Cannot create the lock ${quote(path, 200)}: ${(error as Error).message}`,
      {
        cause: error,
      },
    )
  }
}

/**
 * Takes the nightly lock at `path`, or throws NightlyLockedError when a live owner holds it (or
 * the file is unreadable: a person must look). A stale lock (its pid dead on this host) is
 * removed and taken over, with a log line.
 */
export async function acquireLock(path: string, options: LockOptions = {}): Promise<HeldLock> {
  const owner: LockOwner = {
    pid: options.pid ?? process.pid,
    host: options.host ?? osHostname(),
    startedAt: (options.now ?? (() => new Date()))().toISOString(),
  }
  const isAlive = options.isAlive ?? defaultIsAlive
  await mkdir(dirname(path), { recursive: true })
  let tookOverFrom: LockOwner | null = null
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await createExclusive(path, owner)) {
      return { path, owner, tookOverFrom, release: () => releaseLock(path, owner) }
    }
    const current = await readOwner(path)
    if (current === 'missing') continue // Released between our create and read: try again.
    if (current === null) throw new NightlyLockedError(path, null)
    const stale = current.host === owner.host && !isAlive(current.pid)
    if (!stale) throw new NightlyLockedError(path, current)
    options.log?.(
      `Taking over a stale nightly lock ${quote(path, 200)}: pid ${current.pid} on ${quote(current.host)} (started ${current.startedAt}) is no longer running`,
    )
    tookOverFrom = current
    // Remove only the file we judged: if another process took it over meanwhile, its file differs.
    const again = await readOwner(path)
    if (
      again !== 'missing' &&
      again !== null &&
      again.pid === current.pid &&
      again.startedAt === current.startedAt
    ) {
      await rm(path, { force: true })
    }
  }
  throw new NightlyLockedError(path, null)
}

async function releaseLock(path: string, owner: LockOwner): Promise<void> {
  const current = await readOwner(path)
  if (
    current !== 'missing' &&
    current !== null &&
    current.pid === owner.pid &&
    current.startedAt === owner.startedAt
  ) {
    await rm(path, { force: true })
  }
}
