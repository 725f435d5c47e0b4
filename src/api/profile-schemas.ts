import { z } from 'zod'
import { AlertSchema, BuildSchema, ChangeSchema, Id, JsonObjectSchema } from './schemas.ts'

// The schemas of stored profiles, their views and an alert's profile at the culprit
// (docs/profiles.md), beside the rest of the contract in schemas.ts.

/** How a profile ended (store PROFILE_STATES). */
export const PROFILE_STATES = ['profiled', 'unavailable', 'failed'] as const

/** A stored profile, without its stacks. */
export const ProfileSchema = z
  .object({
    id: Id,
    machine: z.string(),
    build: BuildSchema,
    workload: z.object({ name: z.string(), version: z.string() }),
    runId: Id.nullable(),
    groupId: z
      .string()
      .nullable()
      .describe('Shared by the profiles taken together (the two sides of a differential)'),
    tool: z.string().describe('The profiler, e.g. py-spy'),
    toolVersion: z.string(),
    rateHz: z.number().describe('Samples per second asked of the profiler'),
    processes: z.number().int().min(0),
    state: z.enum(PROFILE_STATES),
    message: z.string().nullable().describe('Why a profile is unavailable or failed'),
    sampleCount: z.number().int().min(0),
    stacksBytes: z.number().int().min(0).describe('Size of the gzip-compressed collapsed stacks'),
    metadata: JsonObjectSchema,
    createdAt: z.string(),
  })
  .meta({ id: 'Profile' })

/** One function of a profile's top-functions table. */
export const FunctionRowSchema = z.object({
  name: z.string(),
  file: z.string(),
  line: z
    .number()
    .int()
    .nullable()
    .describe('First line of the function (null when the profile has current lines)'),
  self: z.number().int().describe('Samples with the function as the leaf: time in its own code'),
  total: z.number().int().describe('Samples with the function anywhere on the stack, once per stack'),
  selfPercent: z.number(),
  totalPercent: z.number(),
})

/** What a profile's views count and its top functions. */
export const ProfileViewSchema = z.object({
  timedOnly: z
    .boolean()
    .describe('Only samples inside timed values were counted (start-up, imports and make() left out)'),
  processSamples: z.number().int().describe('Every sample of the profile’s processes'),
  samples: z.number().int().describe('Samples counted: the percentages’ denominator'),
  withoutFrames: z.number().int().describe('Samples whose stack had no Python frame'),
  functionCount: z.number().int().describe('Functions seen; `functions` holds the first `top`'),
  functions: z.array(FunctionRowSchema).describe('Most self samples first'),
})

/** A profile with its view (null when it has no stacks). */
export const ProfileDetailSchema = ProfileSchema.extend({ view: ProfileViewSchema.nullable() })

/** One node of a flame graph. */
export interface FlameNodeData {
  readonly name: string
  readonly file: string
  readonly line: number | null
  readonly total: number
  readonly self: number
  readonly children: readonly FlameNodeData[]
}

/** One node of a flame graph: a frame under its parents, with its samples and its children. */
export const FlameNodeSchema: z.ZodType<FlameNodeData> = z
  .object({
    name: z.string(),
    file: z.string(),
    line: z.number().int().nullable(),
    total: z.number().int().describe('Samples of the stacks through this frame'),
    self: z.number().int().describe('Samples of the stacks ending here (and of folded children)'),
    get children() {
      return z.array(FlameNodeSchema)
    },
  })
  .meta({ id: 'FlameNode' })

/** A profile's stacks as a flame graph's tree. */
export const FlameTreeSchema = z.object({
  profileId: Id,
  timedOnly: z.boolean(),
  samples: z.number().int(),
  minSamples: z.number().int().describe('Frames of fewer samples were folded into their parent'),
  foldedSamples: z.number().int(),
  root: FlameNodeSchema,
})

/** One function's change in self share between two profiles. */
export const FunctionChangeSchema = z.object({
  name: z.string(),
  file: z.string(),
  line: z.number().int().nullable(),
  selfA: z.number().int(),
  selfB: z.number().int(),
  selfPercentA: z.number(),
  selfPercentB: z.number(),
  deltaPoints: z.number().describe('B − A in percentage points of the samples'),
  low: z.number(),
  high: z.number(),
  significant: z.boolean().describe('The interval excludes 0'),
})

/** The largest changes of a differential. */
export const DifferentialSummarySchema = z.object({
  samplesA: z.number().int(),
  samplesB: z.number().int(),
  confidence: z.number(),
  timedOnly: z.boolean(),
  rows: z.array(FunctionChangeSchema).describe('Largest absolute change first'),
})

/** The culprit of an alert profiled against its parent on one machine for one workload. */
export const AlertProfileSchema = z
  .object({
    id: Id,
    alertId: Id,
    machine: z.string(),
    workload: z.string(),
    parentCommit: z.string(),
    culpritCommit: z.string(),
    parentProfileId: Id.nullable(),
    culpritProfileId: Id.nullable(),
    state: z.enum(PROFILE_STATES),
    message: z.string().nullable().describe('Why the pair is not profiled'),
    summary: DifferentialSummarySchema.nullable().describe(
      'The largest changes in self share, parent (A) to culprit (B), kept when recorded',
    ),
    createdAt: z.string(),
  })
  .meta({ id: 'AlertProfile' })

/** An alert's profile pairs with their full differentials, recomputed from the stored stacks. */
export const AlertProfilesSchema = z.object({
  alertId: Id,
  items: z.array(
    AlertProfileSchema.extend({
      headline: z.string().nullable().describe('The functions whose self time changed most, with intervals'),
      differential: DifferentialSummarySchema.extend({
        functionCount: z.number().int().describe('Functions in either profile; `rows` holds the first `top`'),
      })
        .nullable()
        .describe('Null unless both profiles have stacks'),
    }),
  ),
})

export const AlertDetailSchema = AlertSchema.extend({
  changes: z.array(ChangeSchema),
  profiles: z
    .array(AlertProfileSchema)
    .describe('The culprit profiled against its parent, per machine × workload'),
})
