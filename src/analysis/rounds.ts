// The doubling schedule shared by bisection and the nightly's adaptive pairs: measure, and while
// the answer is undecided, measure again as many processes as measured so far, so the total
// doubles each round (Pinpoint's schedule: 10, 20, 40 … processes a build).

/**
 * Processes to add in round `round` (1-based): the first round's `start`, then as many as were
 * measured so far, so that the total doubles.
 * @example doublingRound(1, 6, 0) // 6; then doublingRound(2, 6, 6) // 6; doublingRound(3, 6, 12) // 12
 */
export function doublingRound(round: number, start: number, measuredSoFar: number): number {
  return round === 1 ? start : measuredSoFar
}

/** Processes a build has after `rounds` rounds of the doubling schedule that starts at `start`. */
export function doublingTotal(rounds: number, start: number): number {
  return rounds < 1 ? 0 : start * 2 ** (rounds - 1)
}
