// How long change-point detection takes at scale: 2,000 series of 1,000 builds each (the size
// of a large portal's nightly re-analysis), one core, seeded synthetic data with a few steps.
//
//   node --import tsx bench/detect-speed.ts [--series 2000] [--points 1000]
//
// Prints the time; nothing is asserted (tests never check wall-clock time).
import { createRng, type Rng } from '../src/lib/index.ts'
import { detectChanges, type SeriesPoint } from '../src/stats/changepoint/index.ts'

const args = process.argv.slice(2)
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(name)
  return i >= 0 ? Number(args[i + 1]) : fallback
}
const SERIES = arg('--series', 2000)
const POINTS = arg('--points', 1000)

function gaussian(rng: Rng): number {
  const u = rng() || Number.MIN_VALUE
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng())
}

/** Log-normal noise of 0.5–3 %, an occasional outlier, a step every ~200 builds, two epochs. */
function syntheticSeries(rng: Rng, n: number): SeriesPoint[] {
  const sigma = 0.005 + 0.025 * rng()
  let level = 0
  const points: SeriesPoint[] = []
  for (let i = 0; i < n; i++) {
    if (rng() < 1 / 200) level += (rng() < 0.5 ? -1 : 1) * (0.02 + 0.1 * rng())
    const outlier = rng() < 0.01 ? 8 * sigma * (rng() < 0.5 ? -1 : 1) : 0
    const value = Math.exp(level + sigma * gaussian(rng) + outlier)
    points.push({
      id: `c${i}`,
      order: i,
      epoch: i < n * 0.6 ? 'kernel=5.15' : 'kernel=6.1',
      value,
      stderr: value * sigma * 0.2,
    })
  }
  return points
}

const rng = createRng(20240625)
const all = Array.from({ length: SERIES }, () => syntheticSeries(rng, POINTS))
let changes = 0
const t0 = performance.now()
for (const series of all) changes += detectChanges(series).changes.length
const ms = performance.now() - t0
console.log(
  `detectChanges: ${SERIES} series × ${POINTS} points in ${(ms / 1000).toFixed(2)} s ` +
    `(${(ms / SERIES).toFixed(2)} ms per series, ${((1e6 * ms) / (SERIES * POINTS)).toFixed(0)} ns per point); ` +
    `${changes} changes`,
)
