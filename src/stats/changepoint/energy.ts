// E-Divisive with means (Matteson & James 2014, "A nonparametric approach for multiple change
// point analysis of multivariate data", JASA 109(505)), univariate, α = 1.
//
// For a split of z[s, κ) at τ into X = z[s, τ) (n values) and Y = z[τ, κ) (m values):
//   Ê = 2/(n·m) Σ|Xi − Yj| − C(n,2)⁻¹ Σ_{i<k}|Xi − Xk| − C(m,2)⁻¹ Σ_{j<k}|Yj − Yk|
//   Q̂ = n·m/(n + m) · Ê
// and the candidate is the τ of the (τ, κ) that maximises Q̂. Every sum of pairwise distances over
// an interval comes from one table S[a][b] = Σ_{a≤i<j<b} |zi − zj| built in O(w²) per window, so
// each Q̂ costs O(1) and a whole search O(w²) (the cumulative-sum idea of Otava's calculator,
// written here from the formulas above).

/** Pairwise-distance sums over every sub-interval of one window. */
export interface EnergyTable {
  /** Absolute position of the window's first value. */
  readonly start: number
  /** Window length w. */
  readonly size: number
  /** S[a·(w+1) + b] = Σ_{a≤i<j<b} |z_i − z_j| for window-relative 0 ≤ a ≤ b ≤ w. */
  readonly sums: Float64Array
}

/** Builds the table for z[start, end). */
export function energyTable(z: ArrayLike<number>, start: number, end: number): EnergyTable {
  const size = end - start
  const stride = size + 1
  const sums = new Float64Array(stride * stride)
  for (let b = 2; b <= size; b++) {
    const last = z[start + b - 1] ?? 0
    let column = 0
    // S[a][b] = S[a][b−1] + Σ_{i=a}^{b−2} |z_i − z_{b−1}|, accumulated from a = b−2 downwards.
    for (let a = b - 2; a >= 0; a--) {
      column += Math.abs((z[start + a] ?? 0) - last)
      sums[a * stride + b] = (sums[a * stride + b - 1] ?? 0) + column
    }
  }
  return { start, size, sums }
}

/** Q̂ for X = z[s, τ), Y = z[τ, κ) (absolute positions inside the table's window). */
export function energyQ(table: EnergyTable, s: number, tau: number, kappa: number): number {
  const stride = table.size + 1
  const a = s - table.start
  const t = tau - table.start
  const k = kappa - table.start
  const sums = table.sums
  const within1 = sums[a * stride + t] ?? 0
  const within2 = sums[t * stride + k] ?? 0
  const between = (sums[a * stride + k] ?? 0) - within1 - within2
  const n = t - a
  const m = k - t
  let e = (2 * between) / (n * m)
  if (n > 1) e -= (2 * within1) / (n * (n - 1))
  if (m > 1) e -= (2 * within2) / (m * (m - 1))
  return ((n * m) / (n + m)) * e
}

/** The best split of z[s, e): τ in (s, e) and its Q̂ maximised over κ in (τ, e]; null if e − s < 2. */
export function bestSplit(table: EnergyTable, s: number, e: number): { tau: number; q: number } | null {
  if (e - s < 2) return null
  const stride = table.size + 1
  const sums = table.sums
  const a = s - table.start
  const end = e - table.start
  let bestTau = -1
  let bestQ = Number.NEGATIVE_INFINITY
  // Inlined energyQ: this double loop is the detector's hot path.
  for (let t = a + 1; t < end; t++) {
    const n = t - a
    const within1 = sums[a * stride + t] ?? 0
    const w1 = n > 1 ? (2 * within1) / (n * (n - 1)) : 0
    const rowA = a * stride
    const rowT = t * stride
    for (let k = t + 1; k <= end; k++) {
      const m = k - t
      const within2 = sums[rowT + k] ?? 0
      const between = (sums[rowA + k] ?? 0) - within1 - within2
      let e2 = (2 * between) / (n * m) - w1
      if (m > 1) e2 -= (2 * within2) / (m * (m - 1))
      const q = ((n * m) / (n + m)) * e2
      if (q > bestQ) {
        bestQ = q
        bestTau = t
      }
    }
  }
  return bestTau < 0 ? null : { tau: bestTau + table.start, q: bestQ }
}
