import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createRng } from '../../lib/index.ts'
import { bestSplit, energyQ, energyTable } from './energy.ts'

/** Q̂ straight from Matteson & James (2014), eq. for α = 1: the trivial reference. */
function referenceQ(z: readonly number[], s: number, tau: number, kappa: number): number {
  const x = z.slice(s, tau)
  const y = z.slice(tau, kappa)
  const n = x.length
  const m = y.length
  let between = 0
  for (const a of x) for (const b of y) between += Math.abs(a - b)
  let withinX = 0
  for (let i = 0; i < n; i++) for (let k = i + 1; k < n; k++) withinX += Math.abs((x[i] ?? 0) - (x[k] ?? 0))
  let withinY = 0
  for (let i = 0; i < m; i++) for (let k = i + 1; k < m; k++) withinY += Math.abs((y[i] ?? 0) - (y[k] ?? 0))
  const e =
    (2 / (n * m)) * between -
    (n > 1 ? withinX / ((n * (n - 1)) / 2) : 0) -
    (m > 1 ? withinY / ((m * (m - 1)) / 2) : 0)
  return ((n * m) / (n + m)) * e
}

test('energyQ() equals the E-Divisive statistic computed from its definition', () => {
  const rng = createRng(7)
  const z = Array.from({ length: 23 }, () => rng() * 10)
  const table = energyTable(z, 3, 20)
  for (const [s, tau, kappa] of [
    [3, 4, 20],
    [3, 10, 20],
    [5, 12, 17],
    [8, 9, 10],
    [3, 19, 20],
  ] as const) {
    assert.ok(
      Math.abs(energyQ(table, s, tau, kappa) - referenceQ(z, s, tau, kappa)) < 1e-9,
      `${s},${tau},${kappa}`,
    )
  }
})

test('bestSplit() maximises the reference statistic over every τ and κ', () => {
  const rng = createRng(11)
  const z = Array.from({ length: 30 }, (_, i) => rng() + (i >= 17 ? 3 : 0))
  const table = energyTable(z, 0, 30)
  let best = { tau: -1, q: Number.NEGATIVE_INFINITY }
  for (let tau = 1; tau < 30; tau++) {
    for (let kappa = tau + 1; kappa <= 30; kappa++) {
      const q = referenceQ(z, 0, tau, kappa)
      if (q > best.q) best = { tau, q }
    }
  }
  const found = bestSplit(table, 0, 30)
  assert.equal(found?.tau, 17)
  assert.equal(found?.tau, best.tau)
  assert.ok(Math.abs((found?.q ?? 0) - best.q) < 1e-9)
})

test('bestSplit() needs two values to split', () => {
  const table = energyTable([1, 2, 3], 0, 3)
  assert.equal(bestSplit(table, 1, 2), null)
  assert.equal(bestSplit(table, 0, 2)?.tau, 1)
})
