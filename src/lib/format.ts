// Number formatting for people, shared by the CLI, the notifications and the dashboard (server
// pages and browser islands alike): durations with their units, ratios, percent changes,
// intervals and p-values. Pure and browser-safe: it imports nothing, so browser bundles import
// this file directly rather than lib/index.ts (which pulls node:crypto).

/** A number with `digits` significant digits, without exponent for everyday magnitudes. */
export function significant(value: number, digits = 3): string {
  if (!Number.isFinite(value)) return '–'
  if (value === 0) return '0'
  // The decimals follow the magnitude after rounding: 9.996 rounds to 10.0, which has one decimal
  // fewer than 9.996 (counting them before rounding printed 10.00). Whole digits are never dropped.
  const abs = Math.abs(Number(value.toPrecision(digits)))
  if (abs >= 1e-3 && abs < 1e6) {
    const decimals = Math.max(0, digits - 1 - Math.floor(Math.log10(abs)))
    return value.toFixed(Math.min(decimals, 12))
  }
  return value.toPrecision(digits)
}

/** A duration in seconds as ns, µs, ms or s with three significant digits. */
export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return '–'
  const abs = Math.abs(seconds)
  if (abs === 0) return '0 s'
  if (abs < 1e-6) return `${significant(seconds * 1e9)} ns`
  if (abs < 1e-3) return `${significant(seconds * 1e6)} µs`
  if (abs < 1) return `${significant(seconds * 1e3)} ms`
  return `${significant(seconds)} s`
}

/**
 * Time left as a clock reads: `45s`, `28m05s`, `1h02m`. Rounded to whole seconds before it is
 * split, so 28 min 59.6 s reads `29m00s`, never `28m60s`; '–' when unknown.
 */
export function formatTimeLeft(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '–'
  const total = Math.round(seconds)
  const h = Math.floor(total / 3600)
  const m = Math.floor((total % 3600) / 60)
  const s = total % 60
  if (h > 0) return `${h}h${String(m).padStart(2, '0')}m`
  if (m > 0) return `${m}m${String(s).padStart(2, '0')}s`
  return `${s}s`
}

/** A byte count as B, kB, MB or GB (powers of 1000) with three significant digits. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '–'
  const units = ['B', 'kB', 'MB', 'GB', 'TB']
  let v = bytes
  let i = 0
  while (Math.abs(v) >= 1000 && i < units.length - 1) {
    v /= 1000
    i++
  }
  return `${significant(v)} ${units[i]}`
}

/** A value in its unit (`second`, `byte`, anything else as a plain number). */
export function formatValue(value: number | null | undefined, unit: string): string {
  if (value === null || value === undefined) return '–'
  if (unit === 'second') return formatSeconds(value)
  if (unit === 'byte') return formatBytes(value)
  // Instruction counts are exact: every digit is kept (grouped), not three significant ones.
  if (unit === 'instruction') return `${Math.round(value).toLocaleString('en-US')} instr`
  return significant(value)
}

/** A ratio as `1.042×`. */
export function formatRatio(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return '–'
  return `${ratio.toFixed(3)}×`
}

/** A ratio's change as a signed percentage: 1.042 → `+4.2 %`, 1.5 → `+50 %`. */
export function formatPercent(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return '–'
  const pct = (ratio - 1) * 100
  if (Math.abs(pct) < 0.05) return '±0.0 %'
  const text = Math.abs(pct) < 10 ? pct.toFixed(1) : pct.toFixed(0)
  return `${pct >= 0 ? '+' : '−'}${text.replace('-', '')} %`
}

/** An interval as `[0.981, 1.013]`. */
export function formatInterval(
  low: number | null | undefined,
  high: number | null | undefined,
  exact = false,
): string {
  if (low === null || low === undefined || high === null || high === undefined) return ''
  // An exact comparison (instruction counts) has no interval: low = high = the ratio.
  if (exact) return 'exact'
  return `[${low.toFixed(3)}, ${high.toFixed(3)}]`
}

/** A p-value: `< 0.001` below a thousandth, else three decimals. */
export function formatP(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return '–'
  return p < 0.001 ? '< 0.001' : p.toFixed(3)
}

/** A commit SHA shortened to 10 characters (or `–`). */
export function shortSha(sha: string | null | undefined): string {
  if (sha === null || sha === undefined || sha === '') return '–'
  return sha.length > 10 ? sha.slice(0, 10) : sha
}
