// How often stats/warmup classifies synthetic iteration series right (docs/stats.md, "Warm-up").
//
//   node --import tsx bench/warmup-accuracy.ts [--trials 200] [--seed 1] [--iterations 500]
//
// Each scenario is a process of `iterations` iterations made of stretches of normal noise (sd 3 %
// of the level unless said), with a known class and a known first steady iteration. Printed per
// scenario: how often each class came out, and for the right class, how far the steady iteration
// landed from the truth (median and 95th percentile of |error|). "Load bursts" mimic a shared
// machine: stretches of 20–60 iterations 20–60 % slower at random places, which the wall clock
// records and the classification cannot tell from the runtime's own behaviour.
import { parseArgs } from 'node:util'
import { createRng, type Rng } from '../src/lib/index.ts'
import { PROCESS_CLASSES, type ProcessClass } from '../src/model/index.ts'
import { classifyProcess, quantile, sortSamples } from '../src/stats/index.ts'
import { normalSample } from '../src/stats/synthetic.ts'

const { values } = parseArgs({
  options: {
    trials: { type: 'string', default: '200' },
    seed: { type: 'string', default: '1' },
    iterations: { type: 'string', default: '500' },
  },
})
const trials = Number(values.trials)
const n = Number(values.iterations)

interface Scenario {
  readonly name: string
  readonly truth: ProcessClass
  /** First steady iteration (from 1); absent for no steady state. */
  readonly steady?: number
  readonly make: (rng: Rng) => number[]
}

/** Normal stretches: [length, level, relative sd]. */
function stretches(rng: Rng, parts: readonly (readonly [number, number, number])[]): number[] {
  return parts.flatMap(([len, level, sd]) => normalSample(rng, len, { mean: level, sd: sd * level }))
}

/** Spikes of 3–10× on 1 % of iterations after the first tenth. */
function spiky(rng: Rng, values: number[]): number[] {
  return values.map((v, i) => (i > n / 10 && rng() < 0.01 ? v * (3 + 7 * rng()) : v))
}

/** Two or three stretches of 20–60 iterations, 20–60 % slower, at random places. */
function bursts(rng: Rng, values: number[]): number[] {
  const out = values.slice()
  const count = 2 + Math.floor(rng() * 2)
  for (let k = 0; k < count; k++) {
    const len = 20 + Math.floor(rng() * 40)
    const at = Math.floor(rng() * (n - len))
    const factor = 1.2 + 0.4 * rng()
    for (let i = at; i < at + len; i++) out[i] = out[i]! * factor
  }
  return out
}

const warm = Math.round(n * 0.06)
const SCENARIOS: readonly Scenario[] = [
  { name: 'flat', truth: 'flat', steady: 1, make: (r) => stretches(r, [[n, 1, 0.03]]) },
  { name: 'flat, spikes', truth: 'flat', steady: 1, make: (r) => spiky(r, stretches(r, [[n, 1, 0.03]])) },
  {
    name: `warm-up 3× for ${warm}`,
    truth: 'warmup',
    steady: warm + 1,
    make: (r) =>
      stretches(r, [
        [warm, 3, 0.05],
        [n - warm, 1, 0.03],
      ]),
  },
  {
    name: `warm-up 1.3× for ${warm}, spikes`,
    truth: 'warmup',
    steady: warm + 1,
    make: (r) =>
      spiky(
        r,
        stretches(r, [
          [warm, 1.3, 0.03],
          [n - warm, 1, 0.03],
        ]),
      ),
  },
  {
    name: 'JIT: 1st iterations 20×, 10×, 5×',
    truth: 'warmup',
    steady: 4,
    make: (r) => [20, 10, 5, ...stretches(r, [[n - 3, 1, 0.03]])],
  },
  {
    name: 'slow-down +10 % at 40 %',
    truth: 'slowdown',
    steady: Math.round(n * 0.4) + 1,
    make: (r) =>
      stretches(r, [
        [Math.round(n * 0.4), 1, 0.03],
        [n - Math.round(n * 0.4), 1.1, 0.03],
      ]),
  },
  {
    name: 'slow-down +3 % at 40 %',
    truth: 'slowdown',
    steady: Math.round(n * 0.4) + 1,
    make: (r) =>
      stretches(r, [
        [Math.round(n * 0.4), 1, 0.03],
        [n - Math.round(n * 0.4), 1.03, 0.03],
      ]),
  },
  {
    name: 'no steady state: +20 % for the last 15 %',
    truth: 'no-steady-state',
    make: (r) =>
      stretches(r, [
        [Math.round(n * 0.85), 1, 0.03],
        [n - Math.round(n * 0.85), 1.2, 0.03],
      ]),
  },
  {
    name: 'flat, load bursts',
    truth: 'flat',
    steady: 1,
    make: (r) => bursts(r, stretches(r, [[n, 1, 0.03]])),
  },
]

const rng = createRng(Number(values.seed))
console.log(`${trials} trials of ${n} iterations per scenario (seed ${values.seed})`)
console.log(['scenario', 'right', ...PROCESS_CLASSES, '|Δ steady| median', 'p95'].join('\t'))
for (const s of SCENARIOS) {
  const counts = Object.fromEntries(PROCESS_CLASSES.map((c) => [c, 0])) as Record<ProcessClass, number>
  const errors: number[] = []
  for (let t = 0; t < trials; t++) {
    const p = classifyProcess(s.make(rng))
    counts[p.class]++
    if (p.class === s.truth && p.class !== 'no-steady-state' && s.steady !== undefined)
      errors.push(Math.abs(p.steady.iteration - s.steady))
  }
  const sorted = sortSamples(errors)
  const pct = (k: number) => `${((100 * k) / trials).toFixed(0)} %`
  console.log(
    [
      s.name,
      pct(counts[s.truth]),
      ...PROCESS_CLASSES.map((c) => String(counts[c])),
      errors.length ? String(quantile(sorted, 0.5)) : '–',
      errors.length ? String(quantile(sorted, 0.95)) : '–',
    ].join('\t'),
  )
}
