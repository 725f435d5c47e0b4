import { z } from 'zod'
import { AlertElsewhereSchema } from './elsewhere-schemas.ts'
import { AlertDetailSchema, AlertProfilesSchema } from './profile-schemas.ts'
import { DateText, Repeated, route, Text } from './route-kit.ts'
import {
  AlertCommitsSchema,
  AlertSchema,
  CHANGE_DIRECTIONS,
  CHANGE_KINDS,
  CHANGE_STATUSES,
  ChangeSchema,
  IdParam,
  PageQuery,
  pageOf,
  TRIAGE_STATES,
} from './schemas.ts'

// The routes of detected changes and their alerts (routes.ts spreads them in declaration order):
// listing, one alert with its commits, its reading on other machines and its profiles, triage.

/** The changes and alerts routes of ROUTES. */
export const ALERT_ROUTES = {
  listChanges: route({
    method: 'GET',
    path: '/api/v1/changes',
    action: 'list changes',
    summary: 'Detected changes (steps in a series), oldest first; of one alert or one series',
    description:
      'A series is named by all of machine, runtime, config, workload and version (branch absent = no branch); give all or none of them.',
    tag: 'changes',
    auth: 'public',
    query: z.strictObject({
      ...PageQuery.shape,
      alert: IdParam.optional(),
      status: Repeated(z.enum(CHANGE_STATUSES)).describe('Detection states (repeatable)'),
      machine: Text.optional(),
      runtime: Text.optional(),
      config: Text.optional(),
      branch: Text.optional(),
      workload: Text.optional(),
      version: Text.optional(),
    }),
    bodyKind: 'none',
    status: 200,
    response: pageOf(ChangeSchema),
    validateResponse: true,
  }),
  listAlerts: route({
    method: 'GET',
    path: '/api/v1/alerts',
    action: 'list alerts',
    summary: 'Alerts (changes grouped by commit range), newest first',
    tag: 'changes',
    auth: 'public',
    query: z.strictObject({
      ...PageQuery.shape,
      triage: Repeated(z.enum(TRIAGE_STATES)).describe('Triage states (repeatable)'),
      status: Repeated(z.enum(CHANGE_STATUSES)).describe('Detection states (repeatable)'),
      runtime: Text.optional(),
      branch: Text.optional(),
      machine: Text.optional().describe('Only alerts with a change on this machine'),
      config: Text.optional().describe('Only alerts with a change on this build config'),
      kind: z.enum(CHANGE_KINDS).optional(),
      direction: z.enum([...CHANGE_DIRECTIONS, 'mixed']).optional(),
      minChange: z.coerce
        .number<string | number>()
        .gt(0)
        .max(10_000)
        .optional()
        .describe('Only alerts with a change of at least this many percent either way'),
      from: DateText.optional().describe(
        'Only alerts whose first bad build was committed on or after this date',
      ),
      to: DateText.optional().describe(
        'Only alerts whose first bad build was committed on or before this date',
      ),
      showAcknowledged: z
        .enum(['true', 'false'])
        .optional()
        .describe(
          'true: also alerts acknowledged until a time not yet passed (hidden by default unless triage names acknowledged)',
        ),
    }),
    bodyKind: 'none',
    status: 200,
    response: pageOf(AlertSchema),
    validateResponse: true,
  }),
  getAlert: route({
    method: 'GET',
    path: '/api/v1/alerts/:id',
    action: 'get alert',
    summary: 'One alert with every change',
    tag: 'changes',
    auth: 'public',
    params: z.strictObject({ id: IdParam }),
    bodyKind: 'none',
    status: 200,
    response: AlertDetailSchema,
    validateResponse: true,
  }),
  getAlertCommits: route({
    method: 'GET',
    path: '/api/v1/alerts/:id/commits',
    action: 'list the commits of an alert',
    summary:
      'The commits of an alert’s blame range (last good, first bad], from the runtime’s local git mirror',
    description:
      'Newest first, at most `limit` (default 200), with date, author and subject; `total` counts them all. Without a mirror (the server was started without the configuration, or the nightly has not cloned it yet) `listed` is false and `reason` says why. Links come from the runtime’s `commit_url` and `compare_url`.',
    tag: 'changes',
    auth: 'public',
    params: z.strictObject({ id: IdParam }),
    query: z.strictObject({ limit: z.coerce.number<string | number>().int().min(1).max(1000).default(200) }),
    bodyKind: 'none',
    status: 200,
    response: AlertCommitsSchema,
    validateResponse: true,
  }),
  getAlertElsewhere: route({
    method: 'GET',
    path: '/api/v1/alerts/:id/elsewhere',
    action: 'read an alert on the other machines',
    summary:
      'The alert’s 20 largest steps on every other machine measuring the workload, across its blame range',
    description:
      'For each change, each other machine’s series of the same workload, runtime, config and branch read across the blame range by commit date: up to 5 builds before the last good commit’s date against up to 5 from the first bad commit’s date, the step with its 95 % interval (builds as samples), a change recorded there in an overlapping range, and a verdict: moved, not moved (less than half this step), unclear, or not measured.',
    tag: 'changes',
    auth: 'public',
    params: z.strictObject({ id: IdParam }),
    bodyKind: 'none',
    status: 200,
    response: AlertElsewhereSchema,
    validateResponse: true,
  }),
  getAlertProfiles: route({
    method: 'GET',
    path: '/api/v1/alerts/:id/profiles',
    action: 'get the profiles of an alert',
    summary: 'The alert’s culprit profiled against its parent: per machine × workload, the differential',
    description:
      'Each pair as recorded by the nightly, with its differential recomputed from the two stored profiles over the samples of timed values: per function, its self share in the parent (A) and the culprit (B) and the change in percentage points with a 95 % interval (Agresti–Caffo), largest absolute change first, at most `top` rows. A pair the profiler could not take has its reason in `message` and no differential.',
    tag: 'profiles',
    auth: 'public',
    params: z.strictObject({ id: IdParam }),
    query: z.strictObject({
      top: z.coerce
        .number<string | number>()
        .int()
        .min(1)
        .max(1000)
        .default(20)
        .describe('Rows of each differential'),
    }),
    bodyKind: 'none',
    status: 200,
    response: AlertProfilesSchema,
    validateResponse: true,
  }),
  triageAlert: route({
    method: 'POST',
    path: '/api/v1/alerts/:id/triage',
    action: 'triage alert',
    summary: 'Sets an alert’s triage state with an optional note and link',
    tag: 'changes',
    auth: 'admin',
    params: z.strictObject({ id: IdParam }),
    bodyKind: 'json',
    body: z.strictObject({
      triage: z.enum(TRIAGE_STATES),
      note: z.string().max(10_000).nullable().optional(),
      link: z.string().max(2_000).nullable().optional().describe('An http(s) URL: the issue or pull request'),
      until: z
        .union([
          DateText,
          z
            .string()
            .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/, 'expected an ISO 8601 UTC time'),
        ])
        .nullable()
        .optional()
        .describe(
          'Only with acknowledged: known and expected until this date (the end of that day, UTC) or ISO UTC time; in the future, at most a year ahead',
        ),
    }),
    status: 200,
    response: AlertDetailSchema,
    validateResponse: true,
  }),
} as const
