import jStat from 'jstat'

// Thin, checked wrappers over jstat's distributions, so the rest of stats/ never touches
// the untyped library and every tail probability is computed the same way.

/** P(T ≤ t) for Student's t with `dof` degrees of freedom (dof may be fractional, as in Welch). */
export function studentTCdf(t: number, dof: number): number {
  if (Number.isNaN(t) || !(dof > 0)) return Number.NaN
  if (t === Number.POSITIVE_INFINITY) return 1
  if (t === Number.NEGATIVE_INFINITY) return 0
  return jStat.studentt.cdf(t, dof)
}

/** Two-sided p-value of a t statistic: P(|T| ≥ |t|). */
export function studentTTwoSidedP(t: number, dof: number): number {
  const tail = studentTCdf(-Math.abs(t), dof)
  return Math.min(1, 2 * tail)
}

/** The p-quantile of Student's t: studentTQuantile(0.975, 10) = 2.2281… (dof may be Infinity). */
export function studentTQuantile(p: number, dof: number): number {
  if (!(p > 0 && p < 1) || !(dof > 0)) return Number.NaN
  // jstat's inverse loses accuracy for huge dof (studentt.inv(0.975, 1e9) = 1.95698, not
  // 1.95996), so beyond 1e5 use the Cornish–Fisher expansion about the normal quantile
  // (Abramowitz & Stegun 26.7.5); its next term is below 1e-12 there.
  if (dof > 1e5) {
    const z = normalQuantile(p)
    const z3 = z * z * z
    return z + (z3 + z) / (4 * dof) + (5 * z3 * z * z + 16 * z3 + 3 * z) / (96 * dof * dof)
  }
  return jStat.studentt.inv(p, dof)
}

/** Standard normal CDF Φ(z). */
export function normalCdf(z: number): number {
  return jStat.normal.cdf(z, 0, 1)
}

/** Standard normal quantile Φ⁻¹(p): normalQuantile(0.975) = 1.95996… */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) return Number.NaN
  return jStat.normal.inv(p, 0, 1)
}
