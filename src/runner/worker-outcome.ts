import type { FailureReason } from '../model/index.ts'
import type { WorkerOutcome } from './process.ts'
import { type HarnessResult, parseHarnessOutput } from './protocol.ts'

/** Turns a worker's outcome into samples or a failure with its reason. */
export function classifyWorker(out: WorkerOutcome):
  | { readonly ok: true; readonly result: HarnessResult }
  | {
      readonly ok: false
      readonly reason: FailureReason
      readonly message: string
      readonly stderrTail: string
    } {
  // NUL bytes cannot be stored in PostgreSQL text and mean nothing to people reading a tail.
  const tail = out.stderrTail.slice(-4096).replaceAll('\u0000', '')
  if (out.spawnError)
    return {
      ok: false,
      reason: 'error',
      message: `Cannot start the interpreter: ${out.spawnError}`,
      stderrTail: tail,
    }
  if (out.timedOut) {
    return {
      ok: false,
      reason: 'timeout',
      message: `Worker killed after the time limit (${Math.round(out.wallTimeMs / 1000)} s)`,
      stderrTail: tail,
    }
  }
  const parsed = parseHarnessOutput(out.resultText)
  if (parsed.ok && parsed.message.kind === 'error') {
    const m = parsed.message
    const traceback = 'traceback' in m && typeof m.traceback === 'string' ? m.traceback : ''
    return {
      ok: false,
      reason: 'error',
      message: `${m.error_type}: ${m.message}`,
      stderrTail: (traceback ? `${traceback}\n${tail}` : tail).slice(-4096),
    }
  }
  if (out.signal || (out.exitCode !== 0 && !parsed.ok)) {
    const how = out.signal ? `killed by ${out.signal}` : `exit status ${out.exitCode}`
    return {
      ok: false,
      reason: 'crashed',
      message: `Worker crashed (${how}) without a result`,
      stderrTail: tail,
    }
  }
  if (!parsed.ok) {
    return {
      ok: false,
      reason: 'bad-output',
      message: `Unreadable result channel: ${parsed.problem}`,
      stderrTail: tail,
    }
  }
  if (parsed.message.kind !== 'result') {
    return {
      ok: false,
      reason: 'bad-output',
      message: `Expected a result document, found "${parsed.message.kind}"`,
      stderrTail: tail,
    }
  }
  if (out.exitCode !== 0) {
    return {
      ok: false,
      reason: 'crashed',
      message: `Worker exited with status ${out.exitCode} after writing its result`,
      stderrTail: tail,
    }
  }
  return { ok: true, result: parsed.message }
}
