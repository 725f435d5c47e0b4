import { badInput, quote } from '../lib/index.ts'
import { type Insufficient, insufficient } from './result.ts'

// Input checks shared by the files of stats/ (not part of the room's public surface).

/** Throws bad-input unless 0 < confidence < 1: a confidence is chosen by code, not read from data. */
export function checkConfidence(confidence: number, action: string): void {
  if (!(confidence > 0 && confidence < 1)) {
    throw badInput(
      `Cannot ${action}: expected a confidence between 0 and 1 (exclusive), found ${quote(confidence)}`,
    )
  }
}

/** Throws bad-input unless `count` is an integer ≥ 1. */
export function checkResamples(count: number, action: string): void {
  if (!(Number.isInteger(count) && count >= 1)) {
    throw badInput(`Cannot ${action}: expected a whole number of resamples ≥ 1, found ${quote(count)}`)
  }
}

/**
 * Returns Insufficient when `values` has fewer than `minCount` entries or a non-finite entry
 * (`label` names the sample in the reason), else undefined.
 */
export function checkSample(
  values: readonly number[],
  minCount: number,
  label: string,
): Insufficient | undefined {
  if (values.length < minCount) {
    return insufficient(`Need at least ${minCount} ${label} values, found ${values.length}`)
  }
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!
    if (!Number.isFinite(v)) return insufficient(`The ${label} value at index ${i} is not finite (${v})`)
  }
  return undefined
}

/** Like checkSample, and also every value must be > 0 (needed before taking logarithms). */
export function checkPositiveSample(
  values: readonly number[],
  minCount: number,
  label: string,
): Insufficient | undefined {
  const bad = checkSample(values, minCount, label)
  if (bad) return bad
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!
    if (!(v > 0))
      return insufficient(
        `The ${label} value at index ${i} is not positive (${v}); ratios need positive values`,
      )
  }
  return undefined
}
