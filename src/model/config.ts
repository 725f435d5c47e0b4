import { posix } from 'node:path'
import { parse as parseToml, TomlError } from 'smol-toml'
import { z } from 'zod'
import { LangperfError, quote } from '../lib/index.ts'

// The configuration file, `langperf.toml`: which runtimes to fetch and build in which configs,
// on which machines, which suites, when, whom to tell, and the limits of the build cache.
// Pure: `parseConfig(text, fileName)` reads no disk and no environment; the caller reads the
// file. Keys in the file are snake_case; the typed result is camelCase. Every documented key is
// in langperf.example.toml and docs/configuration.md.
//
// Validation rules: an unknown key is an error (a typo must not silently fall back to a
// default); each error names the file, the key path (`runtimes.cpython.configs.jit.configure`:
// array entries are named by their `name` where they have one), what was expected and what was
// found; a TOML syntax error gives its line and column. Relative paths are resolved against the
// directory of the file (with path.posix.join, so no working directory is read here).

/** Runtime families langperf knows; `generic` is anything built by commands from the file. */
export const RUNTIME_FAMILIES = ['cpython', 'pypy', 'node', 'generic'] as const
/** One of RUNTIME_FAMILIES. */
export type RuntimeFamily = (typeof RUNTIME_FAMILIES)[number]

/** Build recipes: CPython's configure/make, or commands from the configuration. */
export const RECIPE_KINDS = ['cpython', 'generic'] as const
/** One of RECIPE_KINDS. */
export type RecipeKind = (typeof RECIPE_KINDS)[number]

/**
 * The `configure` arguments of CPython's named build configs, used when a config of that name
 * gives no `configure` of its own. Sources: CPython's configure.ac and Doc/using/configure.rst
 * (`--enable-optimizations` is PGO, `--with-lto` link-time optimisation, `--enable-experimental-jit`
 * since 3.13, `--disable-gil` since 3.13, `--with-pydebug` the debug build).
 */
export const CPYTHON_NAMED_CONFIGS: Readonly<Record<string, readonly string[]>> = {
  default: [],
  'pgo-lto': ['--enable-optimizations', '--with-lto'],
  jit: ['--enable-experimental-jit'],
  freethreading: ['--disable-gil'],
  debug: ['--with-pydebug'],
}

/** CPython's recipe: `./configure --prefix=… <configureArgs>`, `make -j`, `make install`. */
export interface CpythonRecipe {
  readonly kind: 'cpython'
  readonly configureArgs: readonly string[]
  /** Extra environment for every step (e.g. `CC`, `CFLAGS`). */
  readonly env: Readonly<Record<string, string>>
}

/**
 * A recipe whose shell lines come from the configuration (PyPy nightly binaries, Node.js, …).
 * Each line runs with `/bin/sh -c` in the worktree, with PREFIX, JOBS, SRC and COMMIT set.
 */
export interface GenericRecipe {
  readonly kind: 'generic'
  readonly fetch: readonly string[]
  readonly build: readonly string[]
  readonly install: readonly string[]
  readonly env: Readonly<Record<string, string>>
  /** The executable to measure, relative to the install prefix, e.g. `bin/pypy3`. */
  readonly executable: string
}

/** How one build config is built. */
export type RecipeDefinition = CpythonRecipe | GenericRecipe

/** One named build config of a runtime. */
export interface BuildConfigDefinition {
  readonly name: string
  readonly recipe: RecipeDefinition
}

/** A runtime to track: where its sources live and how to build it. */
export interface RuntimeConfig {
  readonly name: string
  readonly family: RuntimeFamily
  /** Git remote: a URL, `user@host:path`, or a local path (resolved against the file's directory). */
  readonly remote: string
  readonly branches: readonly string[]
  /** In the order the file gives them. */
  readonly configs: readonly BuildConfigDefinition[]
}

/** Where results are stored. */
export type StoreConfig =
  | { readonly kind: 'sqlite'; readonly path: string }
  | { readonly kind: 'postgres'; readonly url: string }
  /** The location (a path or a postgres URL) is read from this environment variable at start. */
  | { readonly kind: 'env'; readonly variable: string }

/** Facts a machine is expected to show; a mismatch is a warning on its runs. */
export interface MachineExpectations {
  readonly hostname?: string
  readonly cpuModel?: string
  readonly logicalCpus?: number
  readonly physicalCores?: number
  readonly memoryBytes?: number
  readonly kernel?: string
  readonly os?: string
  readonly arch?: string
  readonly governor?: string
  readonly turbo?: 'on' | 'off'
  readonly smt?: 'on' | 'off'
  readonly isolatedCpus?: string
}

/** A benchmark machine. */
export interface MachineConfig {
  readonly name: string
  readonly expect: MachineExpectations
}

/** Which suites run for which runtime. */
export interface SuiteSelection {
  /** For runtimes not named in `perRuntime`. */
  readonly default: readonly string[]
  readonly perRuntime: Readonly<Record<string, readonly string[]>>
}

/** When the nightly starts: a time of day or a five-field cron expression. */
export type ScheduleTrigger =
  | { readonly kind: 'daily'; readonly hour: number; readonly minute: number }
  | { readonly kind: 'cron'; readonly expression: string }

/** The nightly's schedule. */
export interface ScheduleConfig {
  readonly trigger: ScheduleTrigger
  /** IANA time zone of the trigger, e.g. `UTC` or `Europe/Paris`. */
  readonly timezone: string
  /** Measure every k-th new commit in first-parent order (always the newest); 1 = every commit. */
  readonly backfillEvery: number
}

/** A secret or address given directly or by the name of an environment variable. */
export type ValueSource =
  | { readonly kind: 'value'; readonly value: string }
  | { readonly kind: 'env'; readonly variable: string }

/**
 * How an SMTP connection is protected: `starttls` upgrades a plain connection and fails when the
 * server cannot (usual on port 587), `tls` is TLS from the first byte (usual on port 465), `none`
 * sends in the clear (only for a relay on the same machine).
 */
export const SMTP_SECURITY_MODES = ['starttls', 'tls', 'none'] as const
/** One of SMTP_SECURITY_MODES. */
export type SmtpSecurity = (typeof SMTP_SECURITY_MODES)[number]

/** Where alerts go. Secrets are never in the file: only the names of environment variables. */
export type NotifyTarget =
  | { readonly kind: 'webhook'; readonly name: string; readonly url: ValueSource }
  | {
      readonly kind: 'email'
      readonly name: string
      readonly smtpHost: string
      readonly smtpPort: number
      readonly security: SmtpSecurity
      readonly from: string
      readonly to: readonly string[]
      readonly usernameEnv: string | null
      readonly passwordEnv: string | null
    }
  | {
      readonly kind: 'github'
      readonly name: string
      readonly repo: string
      readonly tokenEnv: string
      /** REST API base URL: https://api.github.com, or a GitHub Enterprise Server's `https://HOST/api/v3`. */
      readonly apiUrl: string
    }

/** Build room settings. */
export interface BuildSettings {
  /** Holds `mirrors/`, `worktrees/` and `artifacts/`. */
  readonly cacheDir: string
  /** Artifacts are evicted, least recently used first, above this size. */
  readonly cacheMaxBytes: number
  /** `make -j` / `$JOBS`; `auto` = the machine's logical CPUs. */
  readonly jobs: number | 'auto'
  /** Each build step is killed after this long. */
  readonly stepTimeoutMs: number
}

/**
 * What the nightly measures each new commit beside: `previous`, the newest commit of the same
 * branch × config measured before it on this machine, interleaved in one run; `none`, nothing.
 */
export const NIGHTLY_REFERENCES = ['previous', 'none'] as const
/** One of NIGHTLY_REFERENCES. */
export type NightlyReference = (typeof NIGHTLY_REFERENCES)[number]

/** Nightly measurement settings. */
export interface NightlySettings {
  /** The reference build measured interleaved with each new commit (docs/nightly.md). */
  readonly reference: NightlyReference
  /** Rounds a pair may measure at most, the first included; each doubles its processes (1 = never grow). */
  readonly pairBudget: number
  /** The practical threshold of a pair, |ratio − 1|: the change it must be able to see or rule out. */
  readonly pairThreshold: number
}

/** Bisection limits. */
export interface BisectSettings {
  readonly enabled: boolean
  /** At most this many builds per bisection. */
  readonly maxBuilds: number
  /** Runs per bisected commit. */
  readonly repeats: number
}

/** A validated `langperf.toml`, with every default filled in. */
export interface LangperfConfig {
  /** The file name it was parsed from (for messages). */
  readonly file: string
  readonly store: StoreConfig
  readonly runtimes: readonly RuntimeConfig[]
  readonly machines: readonly MachineConfig[]
  readonly suites: SuiteSelection
  readonly schedule: ScheduleConfig
  readonly notify: readonly NotifyTarget[]
  /** Named releases (git refs) per runtime name, e.g. `{ cpython: ['v3.12.0'] }`. */
  readonly baselines: Readonly<Record<string, readonly string[]>>
  readonly build: BuildSettings
  readonly nightly: NightlySettings
  readonly bisect: BisectSettings
}

// --- value syntaxes --------------------------------------------------------------------------

const NAME_RE = /^[a-z0-9][a-z0-9_.-]{0,63}$/
/** Machine names follow host names, which may have capitals. */
const MACHINE_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/
const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/
const EMAIL_RE = /^[^@\s<>]+@[^@\s<>]+$/
const GITHUB_REPO_RE = /^[A-Za-z0-9][A-Za-z0-9-]{0,38}\/[A-Za-z0-9._-]{1,100}$/
const TIME_OF_DAY_RE = /^([01]\d|2[0-3]):([0-5]\d)$/
const DURATION_RE = /^(?:(\d+)h)?\s*(?:(\d+)m)?\s*(?:(\d+)s)?$/
const SIZE_RE = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/
const SIZE_FACTORS: Readonly<Record<string, number>> = {
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KiB: 2 ** 10,
  MiB: 2 ** 20,
  GiB: 2 ** 30,
  TiB: 2 ** 40,
}
/** Bounds of the five cron fields: minute, hour, day of month, month, day of week (0 and 7 = Sunday). */
const CRON_FIELDS = [
  ['minute', 0, 59],
  ['hour', 0, 23],
  ['day of month', 1, 31],
  ['month', 1, 12],
  ['day of week', 0, 7],
] as const

/** Parses `"90s"`, `"45m"`, `"2h"`, `"1h30m"` into milliseconds; undefined when malformed. */
export function parseDurationMs(text: string): number | undefined {
  const m = DURATION_RE.exec(text.trim())
  if (m === null || (m[1] === undefined && m[2] === undefined && m[3] === undefined)) return undefined
  const [h, min, s] = [m[1], m[2], m[3]].map((v) => (v === undefined ? 0 : Number(v))) as [
    number,
    number,
    number,
  ]
  return ((h * 60 + min) * 60 + s) * 1000
}

/** Parses `"50 GiB"`, `"500MB"`, `"1.5 GiB"` (or a whole number of bytes) into bytes. */
export function parseSizeBytes(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined
  const m = SIZE_RE.exec(value.trim())
  if (m === null) return undefined
  return Math.round(Number(m[1]) * (SIZE_FACTORS[m[2] as string] as number))
}

/** Checks a five-field cron expression; returns a problem description or null when valid. */
export function cronProblem(expression: string): string | null {
  const fields = expression.trim().split(/\s+/)
  if (fields.length !== 5)
    return `5 fields (minute hour day-of-month month day-of-week), found ${fields.length}`
  for (const [i, field] of fields.entries()) {
    const [label, lo, hi] = CRON_FIELDS[i] as (typeof CRON_FIELDS)[number]
    for (const part of (field as string).split(',')) {
      const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part)
      if (m === null) return `numbers, ranges, lists or steps in the ${label} field, found ${quote(part)}`
      const nums = [m[2], m[3]].filter((v): v is string => v !== undefined).map(Number)
      if (nums.some((n) => n < lo || n > hi)) return `${label} values in ${lo}–${hi}, found ${quote(part)}`
      if (nums.length === 2 && (nums[0] as number) > (nums[1] as number)) {
        return `an increasing range in the ${label} field, found ${quote(part)}`
      }
      if (m[4] !== undefined && Number(m[4]) === 0)
        return `a step above 0 in the ${label} field, found ${quote(part)}`
    }
  }
  return null
}

function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone })
    return true
  } catch {
    return false
  }
}

/** True for `scheme://…` and scp-like `user@host:path` remotes; false for local paths. */
function isRemoteUrl(remote: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(remote) || /^[^/\s]+@[^/\s:]+:/.test(remote)
}

/**
 * Whether a git ref name could be passed to git as a revision: not an option, no spaces or
 * control characters, none of the sequences `git check-ref-format` forbids.
 */
export function isSafeRefName(ref: string): boolean {
  return (
    ref.length > 0 &&
    ref.length <= 255 &&
    !ref.startsWith('-') &&
    !ref.includes('..') &&
    !ref.includes('@{') &&
    !ref.endsWith('.lock') &&
    !ref.endsWith('/') &&
    !ref.endsWith('.') &&
    !/[\s~^:?*[\\]/.test(ref) &&
    ![...ref].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)
  )
}

// --- schema ----------------------------------------------------------------------------------

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

function expectation(key: 'envName' | 'name' | 'ref' | 'size' | 'duration'): string {
  switch (key) {
    case 'envName':
      return 'an environment variable name such as "GITHUB_TOKEN"'
    case 'name':
      return `a name of lower-case letters, digits, "_", "-" and "." (matching ${NAME_RE})`
    case 'ref':
      return 'a git branch, tag or commit (not starting with "-", no spaces)'
    case 'size':
      return 'a size such as "50 GiB", "500 MB" or a whole number of bytes'
    case 'duration':
      return 'a duration such as "90s", "45m", "2h" or "1h30m"'
  }
}

const refName = z.string({ error: expectation('ref') }).refine(isSafeRefName, { error: expectation('ref') })

const configSchema = table(
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

const runtimeSchema = table(
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
  },
  'a runtime',
)

const machineSchema = table(
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

const notifySchema = table(
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

const rootSchema = table(
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
      },
      'the suite selection',
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
      },
      'the bisection settings',
    ).optional(),
  },
  'a configuration',
)

type RawConfig = z.infer<typeof rootSchema>
type RawRuntime = z.infer<typeof runtimeSchema>
type RawBuildConfig = z.infer<typeof configSchema>
type RawNotify = z.infer<typeof notifySchema>

/** Defaults, written once so the example file and the docs can be checked against them. */
export const CONFIG_DEFAULTS = {
  storeLocation: 'langperf.db',
  suites: ['default'],
  scheduleAt: '02:00',
  timezone: 'UTC',
  backfillEvery: 1,
  cacheDir: '.cache/langperf',
  cacheMaxSize: '50 GiB',
  jobs: 'auto',
  stepTimeout: '3h',
  smtpPort: 587,
  githubApiUrl: 'https://api.github.com',
  bisectMaxBuilds: 12,
  bisectRepeats: 3,
  nightlyReference: 'previous',
  nightlyPairBudget: 3,
  nightlyPairThreshold: 0.1,
} as const

// --- parsing ---------------------------------------------------------------------------------

/** One problem found in a configuration: where and what. */
interface Problem {
  readonly path: readonly PropertyKey[]
  /** Full sentence fragment after the key path, e.g. `expected …, found …`. */
  readonly text: string
}

/**
 * Parses and validates a `langperf.toml`; `fileName` names it in errors and anchors relative
 * paths. Throws `bad-input` listing every problem.
 * @example parseConfig(readFileSync('langperf.toml', 'utf8'), 'langperf.toml')
 */
export function parseConfig(text: string, fileName: string): LangperfConfig {
  let raw: unknown
  try {
    raw = parseToml(text)
  } catch (error) {
    if (error instanceof TomlError) {
      const reason = (error.message.split('\n')[0] ?? '').replace(/^Invalid TOML document:\s*/, '')
      throw new LangperfError(
        'bad-input',
        `Cannot parse configuration ${quote(fileName, 200)}: TOML syntax error at line ${error.line}, column ${error.column}: ${reason}`,
        { cause: error },
      )
    }
    throw error
  }
  const parsed = rootSchema.safeParse(raw)
  const problems: Problem[] = parsed.success
    ? []
    : parsed.error.issues.map((issue) => issueProblem(issue, raw))
  if (parsed.success) problems.push(...crossCheck(parsed.data))
  if (problems.length > 0) {
    const lines = problems.map((p) => `${formatPath(p.path, raw)} ${p.text}`)
    const body = lines.length === 1 ? lines[0] : `${lines.length} problems:\n- ${lines.join('\n- ')}`
    throw new LangperfError('bad-input', `Cannot load configuration ${quote(fileName, 200)}: ${body}`)
  }
  return build(parsed.data as RawConfig, fileName)
}

/** Keys that look like a secret written into the file, and the `*_env` key to use instead. */
const SECRET_KEYS: Readonly<Record<string, string>> = {
  token: 'token_env',
  github_token: 'token_env',
  api_key: 'token_env',
  secret: 'token_env',
  password: 'password_env',
  smtp_password: 'password_env',
}

function issueProblem(issue: z.core.$ZodIssue, raw: unknown): Problem {
  if (issue.code === 'unrecognized_keys') {
    const secret = issue.keys.find((k) => Object.hasOwn(SECRET_KEYS, k.toLowerCase()))
    if (secret !== undefined) {
      return {
        path: [...issue.path, secret],
        text: `must not hold a secret in the file, expected the name of an environment variable in ${quote(SECRET_KEYS[secret.toLowerCase()])} instead`,
      }
    }
    const keys = issue.keys.map((k) => quote(k)).join(', ')
    return {
      path: issue.path,
      text: `has unknown key${issue.keys.length > 1 ? 's' : ''} ${keys}, expected ${issue.message}`,
    }
  }
  const value = valueAt(raw, issue.path)
  if (value === undefined) return { path: issue.path, text: `is missing, expected ${issue.message}` }
  return { path: issue.path, text: `expected ${issue.message}, found ${describeValue(value)}` }
}

/** Checks that need more than one key: recipes against families, references between sections. */
function crossCheck(cfg: RawConfig): Problem[] {
  const problems: Problem[] = []
  const runtimes = cfg.runtimes ?? []
  const names = new Set<string>()
  runtimes.forEach((rt, i) => {
    if (names.has(rt.name))
      problems.push({
        path: ['runtimes', i, 'name'],
        text: `repeats ${quote(rt.name)}, expected unique runtime names`,
      })
    names.add(rt.name)
    if (rt.configs === undefined && rt.family !== 'cpython') {
      problems.push({
        path: ['runtimes', i, 'configs'],
        text: `is missing, expected at least one [runtimes.configs.<name>] table: a ${rt.family} runtime is built by the commands of a generic recipe`,
      })
    }
    for (const [configName, def] of Object.entries(rt.configs ?? {})) {
      problems.push(...checkBuildConfig(rt, i, configName, def))
    }
  })
  const machineNames = new Set<string>()
  ;(cfg.machines ?? []).forEach((m, i) => {
    if (machineNames.has(m.name)) {
      problems.push({
        path: ['machines', i, 'name'],
        text: `repeats ${quote(m.name)}, expected unique machine names`,
      })
    }
    machineNames.add(m.name)
  })
  const known = [...names].join(', ') || '(no runtimes defined)'
  for (const key of Object.keys(cfg.suites?.runtimes ?? {})) {
    if (!names.has(key))
      problems.push({ path: ['suites', 'runtimes', key], text: `names no runtime, expected one of ${known}` })
  }
  for (const key of Object.keys(cfg.baselines ?? {})) {
    if (!names.has(key))
      problems.push({ path: ['baselines', key], text: `names no runtime, expected one of ${known}` })
  }
  if (cfg.schedule?.at !== undefined && cfg.schedule.cron !== undefined) {
    problems.push({ path: ['schedule'], text: 'has both "at" and "cron", expected one of them' })
  }
  if (cfg.schedule?.cron !== undefined) {
    const problem = cronProblem(cfg.schedule.cron)
    if (problem !== null) problems.push({ path: ['schedule', 'cron'], text: `expected ${problem}` })
  }
  if (cfg.store?.location !== undefined && cfg.store.location_env !== undefined) {
    problems.push({ path: ['store'], text: 'has both "location" and "location_env", expected one of them' })
  }
  ;(cfg.notify ?? []).forEach((n, i) => {
    problems.push(...checkNotify(n, i))
  })
  return problems
}

const CPYTHON_ONLY_KEYS = ['configure'] as const
const GENERIC_ONLY_KEYS = ['fetch', 'build', 'install', 'executable'] as const

function checkBuildConfig(rt: RawRuntime, i: number, configName: string, def: RawBuildConfig): Problem[] {
  const at = (...rest: PropertyKey[]) => ['runtimes', i, 'configs', configName, ...rest]
  const problems: Problem[] = []
  if (!NAME_RE.test(configName)) {
    problems.push({ path: at(), text: `is not a valid config name, expected ${expectation('name')}` })
  }
  const recipe = def.recipe ?? defaultRecipe(rt.family)
  if (recipe === 'cpython') {
    if (rt.family !== 'cpython') {
      problems.push({
        path: at('recipe'),
        text: `expected "generic" for a runtime of family ${quote(rt.family)}, found "cpython" (the cpython recipe builds CPython only)`,
      })
    }
    for (const key of GENERIC_ONLY_KEYS) {
      if (def[key] !== undefined) {
        problems.push({
          path: at(key),
          text: `is not used by the cpython recipe, expected it only with recipe = "generic"`,
        })
      }
    }
    if (def.configure === undefined && !(configName in CPYTHON_NAMED_CONFIGS)) {
      problems.push({
        path: at('configure'),
        text: `is missing, expected an array of configure arguments (only ${Object.keys(CPYTHON_NAMED_CONFIGS).join(', ')} are predefined)`,
      })
    }
  } else {
    for (const key of CPYTHON_ONLY_KEYS) {
      if (def[key] !== undefined) {
        problems.push({
          path: at(key),
          text: 'is not used by the generic recipe, expected it only with recipe = "cpython"',
        })
      }
    }
    if (def.executable === undefined) {
      problems.push({
        path: at('executable'),
        text: 'is missing, expected the executable path inside the install prefix, such as "bin/pypy3"',
      })
    }
    if ((def.fetch?.length ?? 0) + (def.build?.length ?? 0) + (def.install?.length ?? 0) === 0) {
      problems.push({
        path: at(),
        text: 'has no commands, expected at least one line in fetch, build or install',
      })
    }
  }
  return problems
}

function checkNotify(n: RawNotify, i: number): Problem[] {
  const allowed: Record<RawNotify['kind'], readonly string[]> = {
    webhook: ['url', 'url_env'],
    email: ['smtp_host', 'smtp_port', 'smtp_security', 'from', 'to', 'username_env', 'password_env'],
    github: ['repo', 'token_env', 'api_url'],
  }
  const required: Record<RawNotify['kind'], readonly (readonly string[])[]> = {
    webhook: [['url', 'url_env']],
    email: [['smtp_host'], ['from'], ['to']],
    github: [['repo'], ['token_env']],
  }
  const problems: Problem[] = []
  const present = Object.entries(n)
    .filter(([, v]) => v !== undefined)
    .map(([k]) => k)
  for (const key of present) {
    if (key === 'kind' || key === 'name' || allowed[n.kind].includes(key)) continue
    problems.push({
      path: ['notify', i, key],
      text: `is not used by kind = ${quote(n.kind)}, expected only ${['kind', 'name', ...allowed[n.kind]].join(', ')}`,
    })
  }
  for (const alternatives of required[n.kind]) {
    const found = alternatives.filter((k) => present.includes(k))
    if (found.length === 0) {
      problems.push({
        path: ['notify', i, alternatives[0] as string],
        text: `is missing, expected ${alternatives.map((k) => quote(k)).join(' or ')} for kind = ${quote(n.kind)}`,
      })
    } else if (found.length > 1) {
      problems.push({
        path: ['notify', i],
        text: `has both ${found.map((k) => quote(k)).join(' and ')}, expected one of them`,
      })
    }
  }
  return problems
}

function defaultRecipe(family: RuntimeFamily): RecipeKind {
  return family === 'cpython' ? 'cpython' : 'generic'
}

// --- building the typed result ---------------------------------------------------------------

function build(raw: RawConfig, fileName: string): LangperfConfig {
  const dir = posix.dirname(fileName.replaceAll('\\', '/'))
  const resolvePath = (p: string) => (p.startsWith('/') ? posix.normalize(p) : posix.join(dir, p))
  return {
    file: fileName,
    store: buildStore(raw.store, resolvePath),
    runtimes: (raw.runtimes ?? []).map((rt) => ({
      name: rt.name,
      family: rt.family,
      remote: isRemoteUrl(rt.remote) ? rt.remote : resolvePath(rt.remote),
      branches: rt.branches,
      configs: Object.entries(rt.configs ?? defaultConfigs(rt.family)).map(([configName, def]) => ({
        name: configName,
        recipe: buildRecipe(def, configName, rt.family),
      })),
    })),
    machines: (raw.machines ?? []).map((m) => ({ name: m.name, expect: buildExpectations(m.expect ?? {}) })),
    suites: {
      default: raw.suites?.default ?? CONFIG_DEFAULTS.suites,
      perRuntime: raw.suites?.runtimes ?? {},
    },
    schedule: {
      trigger:
        raw.schedule?.cron !== undefined
          ? { kind: 'cron', expression: raw.schedule.cron.trim().split(/\s+/).join(' ') }
          : dailyTrigger(raw.schedule?.at ?? CONFIG_DEFAULTS.scheduleAt),
      timezone: raw.schedule?.timezone ?? CONFIG_DEFAULTS.timezone,
      backfillEvery: raw.schedule?.backfill_every ?? CONFIG_DEFAULTS.backfillEvery,
    },
    notify: (raw.notify ?? []).map((n, i) => buildNotify(n, i)),
    baselines: raw.baselines ?? {},
    build: {
      cacheDir: resolvePath(raw.build?.cache_dir ?? CONFIG_DEFAULTS.cacheDir),
      cacheMaxBytes: parseSizeBytes(raw.build?.cache_max_size ?? CONFIG_DEFAULTS.cacheMaxSize) as number,
      jobs: raw.build?.jobs ?? CONFIG_DEFAULTS.jobs,
      stepTimeoutMs: parseDurationMs(raw.build?.step_timeout ?? CONFIG_DEFAULTS.stepTimeout) as number,
    },
    nightly: {
      reference: raw.nightly?.reference ?? CONFIG_DEFAULTS.nightlyReference,
      pairBudget: raw.nightly?.pair_budget ?? CONFIG_DEFAULTS.nightlyPairBudget,
      pairThreshold: raw.nightly?.pair_threshold ?? CONFIG_DEFAULTS.nightlyPairThreshold,
    },
    bisect: {
      enabled: raw.bisect?.enabled ?? true,
      maxBuilds: raw.bisect?.max_builds ?? CONFIG_DEFAULTS.bisectMaxBuilds,
      repeats: raw.bisect?.repeats ?? CONFIG_DEFAULTS.bisectRepeats,
    },
  }
}

function buildStore(raw: RawConfig['store'], resolvePath: (p: string) => string): StoreConfig {
  if (raw?.location_env !== undefined) return { kind: 'env', variable: raw.location_env }
  const location = raw?.location ?? CONFIG_DEFAULTS.storeLocation
  if (/^postgres(ql)?:\/\//.test(location)) return { kind: 'postgres', url: location }
  return { kind: 'sqlite', path: resolvePath(location) }
}

function defaultConfigs(family: RuntimeFamily): Record<string, RawBuildConfig> {
  // Only CPython has a recipe that needs no commands; crossCheck demands configs of the others.
  return family === 'cpython' ? { default: {} } : {}
}

/** The recipe of one config with its defaults filled in (named CPython configs predefined). */
function buildRecipe(def: RawBuildConfig, configName: string, family: RuntimeFamily): RecipeDefinition {
  const kind = def.recipe ?? defaultRecipe(family)
  switch (kind) {
    case 'cpython':
      return {
        kind,
        configureArgs: def.configure ?? CPYTHON_NAMED_CONFIGS[configName] ?? [],
        env: def.env ?? {},
      }
    case 'generic':
      return {
        kind,
        fetch: def.fetch ?? [],
        build: def.build ?? [],
        install: def.install ?? [],
        env: def.env ?? {},
        executable: def.executable ?? '',
      }
  }
}

function buildExpectations(raw: NonNullable<z.infer<typeof machineSchema>['expect']>): MachineExpectations {
  const out: { -readonly [K in keyof MachineExpectations]: MachineExpectations[K] } = {}
  if (raw.hostname !== undefined) out.hostname = raw.hostname
  if (raw.cpu_model !== undefined) out.cpuModel = raw.cpu_model
  if (raw.logical_cpus !== undefined) out.logicalCpus = raw.logical_cpus
  if (raw.physical_cores !== undefined) out.physicalCores = raw.physical_cores
  if (raw.memory !== undefined) out.memoryBytes = parseSizeBytes(raw.memory) as number
  if (raw.kernel !== undefined) out.kernel = raw.kernel
  if (raw.os !== undefined) out.os = raw.os
  if (raw.arch !== undefined) out.arch = raw.arch
  if (raw.governor !== undefined) out.governor = raw.governor
  if (raw.turbo !== undefined) out.turbo = raw.turbo
  if (raw.smt !== undefined) out.smt = raw.smt
  if (raw.isolated_cpus !== undefined) out.isolatedCpus = raw.isolated_cpus
  return out
}

function dailyTrigger(at: string): ScheduleTrigger {
  const m = TIME_OF_DAY_RE.exec(at) as RegExpExecArray
  return { kind: 'daily', hour: Number(m[1]), minute: Number(m[2]) }
}

function buildNotify(n: RawNotify, i: number): NotifyTarget {
  const label = n.name ?? `${n.kind}-${i + 1}`
  switch (n.kind) {
    case 'webhook':
      return {
        kind: 'webhook',
        name: label,
        url:
          n.url_env !== undefined
            ? { kind: 'env', variable: n.url_env }
            : { kind: 'value', value: n.url as string },
      }
    case 'email': {
      const port = n.smtp_port ?? CONFIG_DEFAULTS.smtpPort
      return {
        kind: 'email',
        name: label,
        smtpHost: n.smtp_host as string,
        smtpPort: port,
        // Port 465 is SMTP submission over TLS from the start (RFC 8314, section 3.3).
        security: n.smtp_security ?? (port === 465 ? 'tls' : 'starttls'),
        from: n.from as string,
        to: n.to as string[],
        usernameEnv: n.username_env ?? null,
        passwordEnv: n.password_env ?? null,
      }
    }
    case 'github':
      return {
        kind: 'github',
        name: label,
        repo: n.repo as string,
        tokenEnv: n.token_env as string,
        apiUrl: (n.api_url ?? CONFIG_DEFAULTS.githubApiUrl).replace(/\/+$/, ''),
      }
  }
}

/** The suites to run for runtime `runtimeName`. */
export function suitesFor(config: Pick<LangperfConfig, 'suites'>, runtimeName: string): readonly string[] {
  return config.suites.perRuntime[runtimeName] ?? config.suites.default
}

// --- messages --------------------------------------------------------------------------------

/** `runtimes.cpython.configs.jit.configure`: array entries named by their `name` when they have one. */
function formatPath(path: readonly PropertyKey[], raw: unknown): string {
  if (path.length === 0) return 'the file'
  let out = ''
  let node: unknown = raw
  for (const key of path) {
    const child =
      node !== null && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[key] : undefined
    if (typeof key === 'number') {
      const entryName =
        child !== null && typeof child === 'object' ? (child as Record<string, unknown>).name : undefined
      out += typeof entryName === 'string' && MACHINE_NAME_RE.test(entryName) ? `.${entryName}` : `[${key}]`
    } else {
      const k = String(key)
      const bare = /^[A-Za-z0-9_-]+$/.test(k) ? k : JSON.stringify(k)
      out += out === '' ? bare : `.${bare}`
    }
    node = child
  }
  return out
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let node = raw
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined
    node = (node as Record<PropertyKey, unknown>)[key]
  }
  return node
}

function describeValue(value: unknown): string {
  if (Array.isArray(value)) return `an array ${quote(value)}`
  if (value instanceof Date) return `the unquoted date or time ${quote(value.toISOString())}`
  if (value !== null && typeof value === 'object') return 'a table'
  if (typeof value === 'string') return quote(value)
  return `the ${typeof value} ${String(value)}`
}

/** ` (did you mean "x"?)` for a key within edit distance 2 of a known one. */
function suggestion(unknown: readonly string[], known: readonly string[]): string {
  for (const key of unknown) {
    const best = known.map((k) => ({ k, d: editDistance(key.toLowerCase(), k) })).sort((a, b) => a.d - b.d)[0]
    if (best !== undefined && best.d <= 2) return ` (did you mean ${quote(best.k)} for ${quote(key)}?)`
  }
  return ''
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const cur = [i]
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      cur.push(Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + cost))
    }
    prev = cur
  }
  return prev[b.length] as number
}
