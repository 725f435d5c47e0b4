import { z } from 'zod'
import {
  isSafeRefName,
  NIGHTLY_REFERENCES,
  PROFILERS,
  RECIPE_KINDS,
  REQUIREMENT_RE,
  RUNTIME_FAMILIES,
  SMTP_SECURITY_MODES,
  WORKLOAD_NAME_RE,
} from '../model/index.ts'
import { expectation, suggestion } from './errors.ts'
import {
  EMAIL_RE,
  ENV_NAME_RE,
  GITHUB_REPO_RE,
  isValidTimeZone,
  MACHINE_NAME_RE,
  NAME_RE,
  parseDurationMs,
  parseSizeBytes,
  TIME_OF_DAY_RE,
} from './values.ts'

// The shape of `langperf.toml` as zod checks it: snake_case keys, one expectation per key in the
// words of the error messages. An unknown key is an error, so a typo never falls back silently to
// a default. What needs more than one key is checked after, in check.ts.

/** A table whose unknown keys are errors; its expectation lists the known keys. */
function table<T extends z.core.$ZodLooseShape>(shape: T, what: string) {
  const keys = Object.keys(shape)
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `only the keys ${keys.join(', ')}${suggestion(issue.keys, keys)}`
        : `${what} (a TOML table)`,
  })
}

const str = (what: string) => z.string({ error: what })
const nonEmpty = (what: string) => z.string({ error: what }).min(1, { error: what })
const name = (what: string) => z.string({ error: what }).regex(NAME_RE, { error: what })
const envName = z
  .string({ error: expectation('envName') })
  .regex(ENV_NAME_RE, { error: expectation('envName') })
const positiveInt = (what: string) =>
  z.number({ error: what }).int({ error: what }).positive({ error: what }).max(1_000_000, { error: what })
const stringArray = (what: string) => z.array(z.string({ error: what }), { error: `an array of ${what}s` })
const envTable = z.record(
  z.string().regex(ENV_NAME_RE, { error: expectation('envName') }),
  z.string({ error: 'a string value' }),
  { error: 'a table of environment variables, such as { CC = "gcc" }' },
)

const refName = z.string({ error: expectation('ref') }).refine(isSafeRefName, { error: expectation('ref') })

/** A `[runtimes.configs.<name>]` table: one build config's recipe. */
export const configSchema = table(
  {
    recipe: z.enum(RECIPE_KINDS, { error: `one of ${RECIPE_KINDS.join(', ')}` }).optional(),
    configure: stringArray('configure argument').optional(),
    env: envTable.optional(),
    fetch: stringArray('shell command line').optional(),
    build: stringArray('shell command line').optional(),
    install: stringArray('shell command line').optional(),
    executable: nonEmpty('the executable path inside the install prefix, such as "bin/pypy3"')
      .refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), {
        error: 'a relative path inside the install prefix, such as "bin/pypy3"',
      })
      .optional(),
  },
  'a build config',
)

/** A link template: an http(s) URL holding each of `placeholders` (`{sha}`) and no other. */
function urlTemplate(placeholders: readonly string[], what: string) {
  return z
    .string({ error: what })
    .max(2000, { error: what })
    .refine(
      (t) => {
        if (!/^https?:\/\/[^\s/]+/i.test(t) || /[\s<>"']/.test(t)) return false
        const used = [...t.matchAll(/\{([^}]*)\}/g)].map((m) => m[1])
        return (
          placeholders.every((p) => used.includes(p)) && used.every((u) => placeholders.includes(u ?? ''))
        )
      },
      { error: what },
    )
}

/** A `[[runtimes]]` table. */
export const runtimeSchema = table(
  {
    name: name(expectation('name')),
    family: z.enum(RUNTIME_FAMILIES, { error: `one of ${RUNTIME_FAMILIES.join(', ')}` }),
    remote: nonEmpty('a git remote: a URL, "user@host:path" or a local path').refine(
      (r) => !r.startsWith('-') && !/^(ext|fd)::/.test(r),
      { error: 'a git remote that is not an option or an ext::/fd:: transport' },
    ),
    branches: z
      .array(refName, { error: 'an array of branch names' })
      .min(1, { error: 'at least one branch' }),
    configs: z.record(z.string(), configSchema, { error: 'tables of build configs' }).optional(),
    commit_url: urlTemplate(
      ['sha'],
      'an http(s) URL with {sha}, such as "https://github.com/python/cpython/commit/{sha}"',
    ).optional(),
    compare_url: urlTemplate(
      ['from', 'to'],
      'an http(s) URL with {from} and {to}, such as "https://github.com/python/cpython/compare/{from}...{to}"',
    ).optional(),
  },
  'a runtime',
)

/** A `[[machines]]` table and the facts it expects. */
export const machineSchema = table(
  {
    name: z
      .string({ error: `a machine name matching ${MACHINE_NAME_RE}` })
      .regex(MACHINE_NAME_RE, { error: `a machine name matching ${MACHINE_NAME_RE}` }),
    expect: table(
      {
        hostname: nonEmpty('a host name').optional(),
        cpu_model: nonEmpty('a CPU model as /proc/cpuinfo names it').optional(),
        logical_cpus: positiveInt('a positive integer').optional(),
        physical_cores: positiveInt('a positive integer').optional(),
        memory: z
          .union([z.string(), z.number()], { error: expectation('size') })
          .refine((v) => parseSizeBytes(v) !== undefined, { error: expectation('size') })
          .optional(),
        kernel: nonEmpty('a kernel release such as "6.1.0-18-amd64"').optional(),
        os: nonEmpty('an OS name as Node reports it, such as "linux"').optional(),
        arch: nonEmpty('an architecture as Node reports it, such as "x64"').optional(),
        governor: nonEmpty('a cpufreq governor such as "performance"').optional(),
        turbo: z.enum(['on', 'off'], { error: '"on" or "off"' }).optional(),
        smt: z.enum(['on', 'off'], { error: '"on" or "off"' }).optional(),
        isolated_cpus: nonEmpty('a CPU list such as "2-3"').optional(),
      },
      'expected machine facts',
    ).optional(),
  },
  'a machine',
)

/** A `[[notify]]` table; which keys each kind needs is checked in check.ts. */
export const notifySchema = table(
  {
    kind: z.enum(['webhook', 'email', 'github'], { error: 'one of webhook, email, github' }),
    name: name(expectation('name')).optional(),
    url: z.url({ protocol: /^https?$/, error: 'an http(s) URL' }).optional(),
    url_env: envName.optional(),
    smtp_host: nonEmpty('an SMTP host name').optional(),
    smtp_port: positiveInt('a port number').max(65535, { error: 'a port number' }).optional(),
    smtp_security: z
      .enum(SMTP_SECURITY_MODES, { error: `one of ${SMTP_SECURITY_MODES.join(', ')}` })
      .optional(),
    from: str('an email address').regex(EMAIL_RE, { error: 'an email address' }).optional(),
    to: z
      .array(str('an email address').regex(EMAIL_RE, { error: 'an email address' }), {
        error: 'an array of email addresses',
      })
      .min(1, { error: 'at least one email address' })
      .optional(),
    username_env: envName.optional(),
    password_env: envName.optional(),
    repo: str('a GitHub repository "owner/name"')
      .regex(GITHUB_REPO_RE, { error: 'a GitHub repository "owner/name"' })
      .optional(),
    token_env: envName.optional(),
    api_url: z.url({ protocol: /^https?$/, error: 'an http(s) URL' }).optional(),
  },
  'a notification target',
)

/** A `[[suites.define]]` table: a suite of one's own workload folder. */
export const definedSuiteSchema = table(
  {
    name: z
      .string({ error: 'a suite name matching /^[a-z0-9][a-z0-9_.-]{0,99}$/' })
      .regex(WORKLOAD_NAME_RE, { error: 'a suite name matching /^[a-z0-9][a-z0-9_.-]{0,99}$/' }),
    path: nonEmpty('the path of a folder of workloads (one <name>/manifest.json per workload)'),
    description: nonEmpty('one sentence').optional(),
    workloads: z
      .array(
        z
          .string({ error: 'a workload name' })
          .regex(WORKLOAD_NAME_RE, { error: 'a workload name matching /^[a-z0-9][a-z0-9_.-]{0,99}$/' }),
        { error: 'an array of workload names of the folder' },
      )
      .min(1, { error: 'at least one workload (leave the key out for every workload of the folder)' })
      .optional(),
    requirements_override: z
      .array(
        z
          .string({ error: 'a pinned requirement such as "numpy==1.26.4"' })
          .max(200, { error: 'a pinned requirement such as "numpy==1.26.4"' })
          .regex(REQUIREMENT_RE, {
            error: 'a pinned requirement such as "numpy==1.26.4" (name, optional [extras], ==, version)',
          }),
        { error: 'an array of pinned requirements such as ["numpy==1.26.4"]' },
      )
      .optional(),
  },
  'a suite definition',
)

/** The whole file. */
export const rootSchema = table(
  {
    store: table(
      {
        location: nonEmpty('a SQLite file path or a postgres:// URL').optional(),
        location_env: envName.optional(),
      },
      'the store settings',
    ).optional(),
    runtimes: z.array(runtimeSchema, { error: 'an array of runtime tables ([[runtimes]])' }).optional(),
    machines: z.array(machineSchema, { error: 'an array of machine tables ([[machines]])' }).optional(),
    suites: table(
      {
        default: z
          .array(name('a suite name'), { error: 'an array of suite names' })
          .min(1, { error: 'at least one suite' })
          .optional(),
        runtimes: z
          .record(z.string(), z.array(name('a suite name'), { error: 'an array of suite names' }), {
            error: 'a table of runtime name = [suite names]',
          })
          .optional(),
        define: z
          .array(definedSuiteSchema, { error: 'an array of suite tables ([[suites.define]])' })
          .optional(),
      },
      'the suite selection [suites]; suites of your own folders are [[suites.define]] tables inside it',
    ).optional(),
    schedule: table(
      {
        at: str('a time of day "HH:MM" (24-hour, in quotes)')
          .regex(TIME_OF_DAY_RE, { error: 'a time of day "HH:MM" (24-hour, in quotes)' })
          .optional(),
        cron: str('a five-field cron expression such as "30 2 * * *"').optional(),
        timezone: str('an IANA time zone such as "UTC" or "Europe/Paris"')
          .refine(isValidTimeZone, { error: 'an IANA time zone such as "UTC" or "Europe/Paris"' })
          .optional(),
        backfill_every: positiveInt('a positive integer (1 = every commit)').optional(),
      },
      'the schedule',
    ).optional(),
    notify: z.array(notifySchema, { error: 'an array of notification tables ([[notify]])' }).optional(),
    baselines: z
      .record(z.string(), z.array(refName, { error: 'an array of git tags or branches such as "v3.12.0"' }), {
        error: 'a table of runtime name = [release refs]',
      })
      .optional(),
    build: table(
      {
        cache_dir: nonEmpty('a directory path').optional(),
        cache_max_size: z
          .union([z.string(), z.number()], { error: expectation('size') })
          .refine((v) => (parseSizeBytes(v) ?? 0) > 0, { error: expectation('size') })
          .optional(),
        jobs: z
          .union([z.literal('auto'), positiveInt('a positive integer or "auto"')], {
            error: 'a positive integer or "auto"',
          })
          .optional(),
        step_timeout: str(expectation('duration'))
          .refine((v) => (parseDurationMs(v) ?? 0) > 0, { error: expectation('duration') })
          .optional(),
      },
      'the build settings',
    ).optional(),
    nightly: table(
      {
        reference: z
          .enum(NIGHTLY_REFERENCES, { error: `one of ${NIGHTLY_REFERENCES.map((r) => `"${r}"`).join(', ')}` })
          .optional(),
        pair_budget: positiveInt('a positive integer (rounds; 1 = never grow a pair)')
          .max(10, {
            error: 'a positive integer (rounds; 1 = never grow a pair)',
          })
          .optional(),
        pair_threshold: z
          .number({ error: 'a fraction between 0 and 1, such as 0.1 for 10 %' })
          .gt(0, { error: 'a fraction between 0 and 1, such as 0.1 for 10 %' })
          .lt(1, { error: 'a fraction between 0 and 1, such as 0.1 for 10 %' })
          .optional(),
      },
      'the nightly settings',
    ).optional(),
    bisect: table(
      {
        enabled: z.boolean({ error: 'true or false' }).optional(),
        max_builds: positiveInt('a positive integer').optional(),
        repeats: positiveInt('a positive integer').optional(),
        profile: z.boolean({ error: 'true or false' }).optional(),
        profile_workloads: positiveInt('a positive integer').optional(),
        profiler: z.enum(PROFILERS, { error: `one of ${PROFILERS.join(', ')}` }).optional(),
        profile_duration: str(expectation('duration'))
          .refine((v) => (parseDurationMs(v) ?? 0) > 0, { error: expectation('duration') })
          .optional(),
      },
      'the bisection settings',
    ).optional(),
  },
  'a configuration',
)

/** A configuration as the file gives it, checked key by key, nothing filled in. */
export type RawConfig = z.infer<typeof rootSchema>
/** One `[[runtimes]]` table as the file gives it. */
export type RawRuntime = z.infer<typeof runtimeSchema>
/** One `[runtimes.configs.<name>]` table as the file gives it. */
export type RawBuildConfig = z.infer<typeof configSchema>
/** One `[[notify]]` table as the file gives it. */
export type RawNotify = z.infer<typeof notifySchema>
/** One `[[suites.define]]` table as the file gives it. */
export type RawDefinedSuite = z.infer<typeof definedSuiteSchema>
/** The `[machines.expect]` table as the file gives it. */
export type RawExpectations = NonNullable<z.infer<typeof machineSchema>['expect']>
