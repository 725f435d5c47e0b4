import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  normalCdf,
  normalQuantile,
  studentTCdf,
  studentTQuantile,
  studentTTwoSidedP,
} from './distributions.ts'

const close = (actual: number, expected: number, tolerance: number, what: string): void => {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: expected ${expected}, found ${actual}`)
}

test('studentTQuantile() matches scipy from 1 to 1e9 degrees of freedom', () => {
  // scipy.stats.t.ppf(0.975, dof) for each dof below (scipy 1.17.1).
  const expected: readonly (readonly [number, number])[] = [
    [1, 12.706204736174694],
    [3.5, 2.9400886379827282],
    [15.2, 2.129009473263834],
    [1000, 1.9623390808264083],
    [1e5, 1.9599877075346095],
    [1e6, 1.959966356814107],
    [1e9, 1.959963986912325],
  ]
  for (const [dof, q] of expected) close(studentTQuantile(0.975, dof), q, 1e-7, `dof ${dof}`)
  // By definition t with infinite dof is the standard normal.
  close(studentTQuantile(0.975, Number.POSITIVE_INFINITY), normalQuantile(0.975), 1e-15, 'infinite dof')
  assert.ok(Number.isNaN(studentTQuantile(0.975, 0)))
})

test('studentTCdf() and studentTTwoSidedP() match scipy', () => {
  // scipy.stats.t.cdf(-2, 5) → 0.050969739414929174; by symmetry the two-sided p of ±2 is twice that.
  close(studentTCdf(-2, 5), 0.050969739414929174, 1e-10, 'cdf')
  close(studentTTwoSidedP(2, 5), 2 * 0.050969739414929174, 1e-10, 'two-sided p')
  assert.equal(studentTCdf(Number.POSITIVE_INFINITY, 3), 1)
})

test('normalQuantile() and normalCdf() invert each other at the usual levels', () => {
  // Φ⁻¹(0.975) = 1.959963984540054 (scipy.stats.norm.ppf(0.975))
  close(normalQuantile(0.975), 1.959963984540054, 1e-9, 'quantile')
  close(normalCdf(1.959963984540054), 0.975, 1e-9, 'cdf')
  assert.ok(Number.isNaN(normalQuantile(1)))
})
