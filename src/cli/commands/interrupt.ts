import type { Ctx } from '../context.ts'
import { log } from '../output.ts'

/**
 * Calls `fn` with a signal aborted by the first Ctrl-C, so that a long measurement stops between
 * processes and keeps what it measured; a second Ctrl-C exits at once (status 130). `then` says
 * what happens after the current process (printed on the first Ctrl-C).
 */
export async function withInterrupt<T>(
  ctx: Ctx,
  fn: (signal: AbortSignal) => Promise<T>,
  then = 'stopping',
): Promise<T> {
  const controller = new AbortController()
  let count = 0
  const onSigint = () => {
    count++
    if (count > 1) process.exit(130)
    log(ctx.io, `\nInterrupted: finishing the current process, then ${then} (Ctrl-C again to quit at once)`)
    controller.abort()
  }
  process.on('SIGINT', onSigint)
  try {
    return await fn(controller.signal)
  } finally {
    process.off('SIGINT', onSigint)
  }
}
