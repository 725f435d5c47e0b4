import { checkSilentMachines } from '../analysis/index.ts'
import type { FarmQueue } from '../farm/index.ts'
import { machineAlertMessageFrom, notifyAll, type Transport } from '../notify/index.ts'
import type { Store } from '../store/index.ts'

// The farm server's watch for silent machines (analysis/silence.ts): at start and then every
// `intervalMs`, every registered agent's machine is checked; a machine silent for the period
// gets its "no results since …" alert, sent once through the configured notification targets by
// the server that raised it (two servers over one database raise it once); an alert a result has
// ended is cleared (a result arriving through the server clears it at once, farm-handlers.ts).
// Sending is at most once: a server that dies between raising and sending does not send it.

/** Options of startSilenceWatch. */
export interface SilenceWatchOptions {
  readonly store: Store
  readonly farm: FarmQueue
  readonly silentAfterMs: number
  /** How often to check (default: a tenth of the period, at most 10 minutes). */
  readonly intervalMs?: number
  /** `[[notify]]` targets of the server's configuration; none when absent. */
  readonly transports?: readonly Transport[]
  /** The portal's public URL, for links in the messages. */
  readonly portalUrl: string
  readonly now?: () => Date
  readonly log: (line: string) => void
}

/** Starts the watch; `stop()` ends it once a check in progress has finished. */
export function startSilenceWatch(options: SilenceWatchOptions): { stop(): Promise<void> } {
  const { store, farm, log } = options
  const intervalMs = options.intervalMs ?? Math.min(600_000, Math.max(1000, options.silentAfterMs / 10))
  let running: Promise<void> = Promise.resolve()
  const check = async () => {
    try {
      const outcome = await checkSilentMachines(store, {
        now: options.now ?? (() => new Date()),
        silentAfterMs: options.silentAfterMs,
        pendingJobs: async (machine) => {
          const d = await farm.depth(machine)
          return d.waiting + d.active + d.delayed
        },
      })
      for (const a of outcome.cleared)
        log(`machine ${a.machine}: silent alert ${a.id} cleared (${a.clearedBy})`)
      for (const a of outcome.raised) {
        log(`machine ${a.machine}: no results since ${a.since}; silent alert ${a.id} raised`)
        const message = machineAlertMessageFrom(a, { portalUrl: options.portalUrl })
        for (const r of await notifyAll(message, options.transports ?? [])) {
          log(
            `machine alert ${a.id} → ${r.target}: ${r.state === 'delivered' ? `delivered (${r.detail})` : `failed: ${r.reason}`}`,
          )
        }
      }
    } catch (error) {
      log(`silence check failed: ${error instanceof Error ? error.message : String(error)}`)
    }
  }
  running = check()
  const timer = setInterval(() => {
    running = running.then(check)
  }, intervalMs)
  timer.unref()
  return {
    async stop() {
      clearInterval(timer)
      await running
    },
  }
}
