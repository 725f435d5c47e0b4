import { isJsonObject, type JsonObject } from '../lib/index.ts'

// What an alert says about an infrastructure change in its blame range, in one sentence that
// the CLI, the dashboard and the notifications share (docs/stats.md, "Epochs"). Detection
// records on each change that crosses one (analysis/detect.ts): the fields that changed and how
// the group's workloads moved there — `details` itself for an infrastructure change,
// `details.epochCrossed` for a commit change whose step stood out of that crowd.

/**
 * How far, in robust standard deviations of the whole group's shifts at one infrastructure
 * change, a step must stand from their median to be blamed on a commit rather than on the
 * infrastructure. A kernel, CPU setting or suite upgrade moves many workloads by various amounts
 * (the crowd); a commit in the same range moves a few far beyond that crowd.
 */
export const OUTLIER_SPREADS = 5

/** Fewest workloads crossing an infrastructure change for their spread to be trusted. */
export const MIN_CROWD = 5

/** How the workloads of a group moved across one infrastructure change, as recorded. */
export interface BoundaryFacts {
  /** `field: old → new` for each fact that changed (kernel, CPU configuration, suite…). */
  readonly changed: readonly string[]
  /** Workloads with builds on both sides. */
  readonly crossing: number | null
  /** Of them, those with a detected step there. */
  readonly moved: number | null
  /** The typical (median) ratio of the crossing workloads across the change. */
  readonly crowdRatio: number | null
  /** The robust spread (1.4826 × MAD) of their log shifts. */
  readonly crowdSpread: number | null
}

function facts(d: JsonObject | undefined): BoundaryFacts | null {
  if (d === undefined || !Array.isArray(d.infrastructure)) return null
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null)
  return {
    changed: d.infrastructure.filter((x): x is string => typeof x === 'string'),
    crossing: num(d.seriesCrossing),
    moved: num(d.seriesMoved),
    crowdRatio: num(d.crowdMedian),
    crowdSpread: num(d.crowdSpread),
  }
}

/** The infrastructure change a change's blame range crosses, if detection recorded one. */
export function boundaryOf(change: {
  readonly kind: string
  readonly details: JsonObject
}): BoundaryFacts | null {
  if (change.kind === 'infrastructure') return facts(change.details)
  const crossed = change.details.epochCrossed
  return isJsonObject(crossed) ? facts(crossed) : null
}

/**
 * How the suite moved across the boundary and the band a step is judged against, in words:
 * "across it the group's 93 workloads shifted typically ×1.003 with a robust spread of ± 1.3 %,
 * and 1 had a detected step" plus the rule's band, or null when detection recorded no crowd.
 */
function crowdWords(b: BoundaryFacts, kind: string): { crowd: string; rule: string } | null {
  if (b.crossing === null || b.moved === null) return null
  const stepped = `${b.moved} had a detected step`
  if (b.crossing < MIN_CROWD || b.crowdRatio === null || b.crowdSpread === null) {
    return {
      crowd: `only ${b.crossing} workload${b.crossing === 1 ? '' : 's'} cross${b.crossing === 1 ? 'es' : ''} it, too few to tell how the suite moved, and ${stepped}`,
      rule:
        kind === 'infrastructure' ? 'more than a quarter of them moved' : 'a quarter of them or fewer moved',
    }
  }
  const m = Math.log(b.crowdRatio)
  const band = `×${Math.exp(m - OUTLIER_SPREADS * b.crowdSpread).toFixed(3)}–×${Math.exp(m + OUTLIER_SPREADS * b.crowdSpread).toFixed(3)}`
  return {
    crowd: `across it the group's ${b.crossing} workloads shifted typically ×${b.crowdRatio.toFixed(3)} with a robust spread of ± ${(100 * b.crowdSpread).toFixed(1)} %, and ${stepped}`,
    rule:
      kind === 'infrastructure'
        ? `the step lies within ${OUTLIER_SPREADS} spreads of how the suite moved (${band})`
        : `the step stands more than ${OUTLIER_SPREADS} spreads out of how the suite moved (${band})`,
  }
}

/**
 * One sentence on the boundary, for an alert of `kind`, shared by the CLI, the alert page and
 * the notifications:
 * infrastructure — "kernel: a → b changed in this range; across it the group's 100 workloads
 * shifted typically ×1.021 with a robust spread of ± 1.0 %, and 40 had a detected step: the step
 * lies within 5 spreads of how the suite moved (×0.971–×1.073), so it is not blamed on a commit.
 * Re-running …";
 * commit — "The range also holds an infrastructure change (kernel: a → b), but across it the
 * group's 100 workloads shifted typically ×1.002 with a robust spread of ± 0.4 %, and 3 had a
 * detected step: the step stands more than 5 spreads out of how the suite moved (×0.982–×1.022),
 * so a commit in the range is the likelier cause."
 */
export function boundaryNote(kind: string, b: BoundaryFacts): string {
  const what = b.changed.length > 0 ? b.changed.join('; ') : 'the infrastructure'
  const words = crowdWords(b, kind)
  if (kind === 'infrastructure') {
    return `${what} changed in this range${words ? `; ${words.crowd}: ${words.rule}` : ': the step is within how the suite moved'}, so it is not blamed on a commit. Re-running the last good build on the new setup tells the two apart.`
  }
  return `The range also holds an infrastructure change (${what}), but ${words ? `${words.crowd}: ${words.rule}` : 'the step stands far out of how the suite moved there'}, so a commit in the range is the likelier cause.`
}
