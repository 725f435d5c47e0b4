// Formatting shared by the server-rendered pages and the browser islands: numbers with their
// units, ratios and intervals, verdicts as words and symbols. Pure and browser-safe: it imports
// only lib/format.ts (numbers), so the islands' bundle can use it.

export {
  formatBytes,
  formatInterval,
  formatP,
  formatPercent as formatChange,
  formatRatio,
  formatSeconds,
  formatValue,
  shortSha,
  significant,
} from '../lib/format.ts'

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

/** The verdicts of a secondary metric (requests/s, latency): better and worse, not faster and slower. */
export const METRIC_VERDICT_LABELS: Readonly<
  Record<Verdict, { readonly symbol: string; readonly word: string }>
> = {
  slower: { symbol: '▲', word: 'worse' },
  faster: { symbol: '▼', word: 'better' },
  'no-difference': { symbol: '=', word: 'same' },
  insufficient: { symbol: '?', word: 'not enough data' },
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

/**
 * About five ticks spread evenly on a log scale between `min` and `max`, at three significant
 * digits: uPlot's own log ticks fall on powers of ten and their multiples, so a series that moves
 * between 10 and 12.5 ms would get one tick or none.
 */
export function logTicks(min: number, max: number, count = 5): number[] {
  if (!(min > 0 && max > min)) return min > 0 ? [min] : []
  const step = Math.log(max / min) / (count - 1)
  const ticks = new Set<number>()
  for (let i = 0; i < count; i++) ticks.add(Number((min * Math.exp(step * i)).toPrecision(3)))
  return [...ticks].filter((t) => t >= min && t <= max)
}
