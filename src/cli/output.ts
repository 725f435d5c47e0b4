import type { Writable } from 'node:stream'

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

/** A duration in seconds with a unit people read at a glance: 12.3 ms, 1.05 s, 2 min 5 s. */
export function formatSeconds(s: number | null | undefined): string {
  if (s === null || s === undefined || !Number.isFinite(s)) return '–'
  const a = Math.abs(s)
  if (a >= 120) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`
  if (a >= 1) return `${s.toFixed(2)} s`
  if (a >= 1e-3) return `${(s * 1e3).toFixed(2)} ms`
  if (a >= 1e-6) return `${(s * 1e6).toFixed(2)} µs`
  return `${(s * 1e9).toFixed(1)} ns`
}

/** A value in its unit: seconds get formatSeconds, others a plain number with the unit. */
export function formatValue(v: number | null | undefined, unit: string): string {
  if (unit === 'second') return formatSeconds(v)
  if (v === null || v === undefined || !Number.isFinite(v)) return '–'
  return `${Number(v.toPrecision(4))} ${unit}`
}

/** A ratio as `1.052×`. */
export function formatRatio(r: number): string {
  return Number.isFinite(r) ? `${r.toFixed(3)}×` : '–'
}

/** A ratio as a signed percent change: `+5.2 %`, `−3.0 %`. */
export function formatPercent(r: number): string {
  if (!Number.isFinite(r)) return '–'
  const p = (r - 1) * 100
  const sign = p > 0 ? '+' : p < 0 ? '−' : '±'
  return `${sign}${Math.abs(p).toFixed(1)} %`
}
