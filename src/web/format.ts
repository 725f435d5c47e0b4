// Formatting shared by the server-rendered pages and the browser islands: numbers with their
// units, ratios and intervals, verdicts as words and symbols. Pure and browser-safe: it imports
// nothing, so the islands' bundle can use it.

/** The verdicts a comparison gives (api's VERDICTS). */
export type Verdict = 'faster' | 'slower' | 'no-difference' | 'insufficient'

/**
 * The symbol and word of a verdict. Colour is never the only signal (colour-blind readers,
 * printouts): every verdict also carries a symbol and a word.
 */
export const VERDICT_LABELS: Readonly<Record<Verdict, { readonly symbol: string; readonly word: string }>> = {
  slower: { symbol: '▲', word: 'slower' },
  faster: { symbol: '▼', word: 'faster' },
  'no-difference': { symbol: '=', word: 'same' },
  insufficient: { symbol: '?', word: 'not enough data' },
}

/** A number with `digits` significant digits, without exponent for everyday magnitudes. */
export function significant(value: number, digits = 3): string {
  if (!Number.isFinite(value)) return '–'
  if (value === 0) return '0'
  const abs = Math.abs(value)
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
  return significant(value)
}

/** A ratio as `1.042×`. */
export function formatRatio(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return '–'
  return `${ratio.toFixed(3)}×`
}

/** A ratio's change as a signed percentage: 1.042 → `+4.2 %`. */
export function formatChange(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return '–'
  const pct = (ratio - 1) * 100
  if (Math.abs(pct) < 0.05) return '±0.0 %'
  const text = Math.abs(pct) < 10 ? pct.toFixed(1) : pct.toFixed(0)
  return `${pct >= 0 ? '+' : '−'}${text.replace('-', '')} %`
}

/** An interval as `[0.981, 1.013]`. */
export function formatInterval(low: number | null | undefined, high: number | null | undefined): string {
  if (low === null || low === undefined || high === null || high === undefined) return ''
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

/** An ISO time as `2024-05-01 12:00` (UTC), or `–`. */
export function formatDate(iso: string | null | undefined): string {
  if (iso === null || iso === undefined || iso === '') return '–'
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso)
  return m ? `${m[1]} ${m[2]}` : iso
}

/** An ISO time as its date only, `2024-05-01`, or `–`. */
export function formatDay(iso: string | null | undefined): string {
  if (iso === null || iso === undefined || iso === '') return '–'
  return iso.slice(0, 10)
}

/**
 * The heat class of a ratio, -4 … 4: how far from 1 on a log scale, in steps of about 2.5 %, 5 %,
 * 10 % and 20 % and more; positive is slower for times. The CSS gives each step a colour of a
 * blue (faster) – orange (slower) scale that colour-blind readers tell apart.
 */
export function heatStep(ratio: number | null | undefined, lowerIsBetter = true): number {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio) || ratio <= 0) return 0
  const l = Math.log(ratio) * (lowerIsBetter ? 1 : -1)
  const a = Math.abs(l)
  const step = a < 0.01 ? 0 : a < 0.025 ? 1 : a < 0.05 ? 2 : a < 0.1 ? 3 : 4
  return l < 0 ? -step : step
}

/** The CSS class of a heat step: `heat-p3` (slower) or `heat-m2` (faster) or `heat-0`. */
export function heatClass(step: number): string {
  return step === 0 ? 'heat-0' : step > 0 ? `heat-p${step}` : `heat-m${-step}`
}
