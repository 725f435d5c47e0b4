import { z } from 'zod'
import { CHANGE_DIRECTIONS, Id } from './schemas.ts'

// The schema of an alert's changes on the other machines (analysis/elsewhere.ts), beside the rest
// of the contract in schemas.ts.

/** One other machine's reading of one change across the alert's blame range. */
const ElsewhereCellSchema = z.object({
  machine: z.string(),
  /**
   * `moved`: a step in the same direction there (its interval excludes 1) or a change its
   * detection recorded in an overlapping range; `not moved`: a step clearly smaller than half of
   * this one; `unclear`: between the two; `not measured`: no build on one side of the range.
   */
  verdict: z.enum(['moved', 'not moved', 'unclear', 'not measured']),
  /** After over before on that machine, with its 95 % interval (null bounds with one build a side). */
  ratio: z
    .object({ estimate: z.number(), low: z.number().nullable(), high: z.number().nullable() })
    .nullable(),
  /** Builds read before and after the range (at most 5 each). */
  before: z.number().int(),
  after: z.number().int(),
  /** The change that machine's detection recorded in an overlapping range, in the same direction. */
  change: z.object({ id: Id, alertId: Id, ratio: z.number() }).nullable(),
})

/** An alert's changes (the 20 largest timing steps) on every other machine measuring their workloads. */
export const AlertElsewhereSchema = z.object({
  /** The other machines with a series of any of the changes' workloads, by name. */
  machines: z.array(z.string()),
  rows: z.array(
    z.object({
      changeId: Id,
      workload: z.string(),
      config: z.string(),
      machine: z.string(),
      ratio: z.number(),
      direction: z.enum(CHANGE_DIRECTIONS),
      others: z.array(ElsewhereCellSchema),
    }),
  ),
  /** Changes not looked at: instruction counts, and those past the 20 largest. */
  omitted: z.number().int(),
  /** Why nothing could be read, when nothing could. */
  reason: z.string().nullable(),
})
