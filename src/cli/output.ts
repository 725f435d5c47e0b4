import type { Writable } from 'node:stream'

export {
  formatInterval,
  formatPercent,
  formatRatio,
  formatSeconds,
  formatTimeLeft,
  formatValue,
} from '../lib/format.ts'

// Output for people and for programs: tables on stdout for people, `--json` for scripts,
// logs and progress on stderr so stdout stays clean.

/** Where a command writes; tests pass string sinks. */
export interface Io {
  readonly out: Writable
  readonly err: Writable
  /** True when stderr is a terminal (progress bars redraw in place). */
  readonly isTty: boolean
}

/** The process's own streams. */
export function processIo(): Io {
  return { out: process.stdout, err: process.stderr, isTty: Boolean(process.stderr.isTTY) }
}

/** Writes a line to stdout. */
export function println(io: Io, text = ''): void {
  io.out.write(`${text}\n`)
}

/** Writes a line to stderr. */
export function log(io: Io, text: string): void {
  io.err.write(`${text}\n`)
}

/** Writes a value as pretty JSON on stdout. */
export function printJson(io: Io, value: unknown): void {
  io.out.write(`${JSON.stringify(value, null, 2)}\n`)
}

/** Column alignment of a table. */
export type Align = 'left' | 'right'

/** Renders rows as an aligned text table with a header and a rule under it. */
export function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  align: readonly Align[] = [],
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const fmt = (cells: readonly string[]) =>
    cells
      .map((c, i) => {
        const w = widths[i] ?? 0
        return (align[i] ?? 'left') === 'right' ? c.padStart(w) : c.padEnd(w)
      })
      .join('  ')
      .trimEnd()
  return [fmt(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(fmt)].join('\n')
}
