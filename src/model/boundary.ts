import { isJsonObject, type JsonObject } from '../lib/index.ts'

// What an alert says about an infrastructure change in its blame range, in one sentence that
// the CLI, the dashboard and the notifications share (docs/stats.md, "Epochs"). Detection
// records on each change that crosses one (analysis/detect.ts): the fields that changed and how
// the group's workloads moved there — `details` itself for an infrastructure change,
// `details.epochCrossed` for a commit change whose step stood out of that crowd.

/** How the workloads of a group moved across one infrastructure change, as recorded. */
export interface BoundaryFacts {
  /** `field: old → new` for each fact that changed (kernel, CPU configuration, suite…). */
  readonly changed: readonly string[]
  readonly crossing: number | null
  readonly moved: number | null
  /** The typical (median) ratio of the crossing workloads across the change. */
  readonly crowdRatio: number | null
}

function facts(d: JsonObject | undefined): BoundaryFacts | null {
  if (d === undefined || !Array.isArray(d.infrastructure)) return null
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null)
  return {
    changed: d.infrastructure.filter((x): x is string => typeof x === 'string'),
    crossing: num(d.seriesCrossing),
    moved: num(d.seriesMoved),
    crowdRatio: num(d.crowdMedian),
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
 * One sentence on the boundary, for an alert of `kind`:
 * infrastructure — "kernel: a → b changed in this range; 40 of 100 workloads moved (typically
 * ×1.021): this step is within how the suite moved, so it is not blamed on a commit";
 * commit — "the range also holds an infrastructure change (kernel: a → b), but this step stands
 * far out of how the suite moved there (3 of 100 workloads moved, typically ×1.002): a commit in
 * the range is the likelier cause".
 */
export function boundaryNote(kind: string, b: BoundaryFacts): string {
  const what = b.changed.length > 0 ? b.changed.join('; ') : 'the infrastructure'
  const crowd =
    b.crossing !== null && b.moved !== null
      ? `${b.moved} of ${b.crossing} workloads moved${b.crowdRatio !== null ? `, typically ×${b.crowdRatio.toFixed(3)}` : ''}`
      : null
  if (kind === 'infrastructure') {
    return `${what} changed in this range${crowd ? `; ${crowd}` : ''}: the step is within how the suite moved, so it is not blamed on a commit. Re-running the last good build on the new setup tells the two apart.`
  }
  return `The range also holds an infrastructure change (${what}), but the step stands far out of how the suite moved there${crowd ? ` (${crowd})` : ''}: a commit in the range is the likelier cause.`
}
