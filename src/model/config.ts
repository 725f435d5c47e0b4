// The vocabulary of a configuration, `langperf.toml`: which runtimes to fetch and build in which
// configs, on which machines, which suites, when, whom to tell, and the limits of the build cache.
// These are the resolved, camelCase types every room reads, and the defaults as plain data; the
// file itself is read, validated and resolved into a `LangperfConfig` by the `config` room
// (`parseConfig`). Every documented key is in langperf.example.toml and docs/configuration.md.

import type { ProfilerName } from './profile.ts'

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
 * gives no `configure` of its own: `--enable-optimizations` is PGO, `--with-lto` link-time
 * optimisation, `--enable-experimental-jit` (CPython 3.13 and later) the JIT, `--disable-gil`
 * (3.13 and later) the free-threaded build, `--with-pydebug` the debug build.
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
  /** A link to one commit: an http(s) URL with `{sha}` (see `linkFromTemplate`). */
  readonly commitUrl?: string
  /** A link to a range of commits: an http(s) URL with `{from}` and `{to}`. */
  readonly compareUrl?: string
}

/**
 * A link from a configured template (`commit_url`, `compare_url`): each `{name}` replaced by its
 * sha, URL-encoded. Undefined unless the template is an http(s) URL and every value is a hex sha
 * of 7 to 64 digits (anything else is data that must not make a link).
 */
export function linkFromTemplate(
  template: string | undefined,
  values: Readonly<Record<string, string | null>>,
): string | undefined {
  if (template === undefined || !/^https?:\/\//i.test(template)) return undefined
  let ok = true
  const url = template.replace(/\{([a-z]+)\}/g, (_m, key: string) => {
    const v = values[key]
    if (v === undefined || v === null || !/^[0-9a-f]{7,64}$/i.test(v)) {
      ok = false
      return ''
    }
    return encodeURIComponent(v)
  })
  return ok ? url : undefined
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

/**
 * A suite the configuration defines (`[[suites.define]]`): the workloads of a folder of one's own,
 * in the format of the built-in `workloads/` directory, under a name `run --suite` and the
 * nightly's suite lists use like a built-in suite's.
 */
export interface DefinedSuite {
  readonly name: string
  /** The folder, resolved against the configuration file's directory. */
  readonly path: string
  readonly description: string | null
  /** The folder's workloads the suite runs, in order; null: every workload of the folder. */
  readonly workloads: readonly string[] | null
  /** Pinned requirements replacing the pins of the same distributions in its workloads. */
  readonly requirementsOverride: readonly string[]
}

/** Which suites run for which runtime, and the suites the file defines. */
export interface SuiteSelection {
  /** For runtimes not named in `perRuntime`. */
  readonly default: readonly string[]
  readonly perRuntime: Readonly<Record<string, readonly string[]>>
  /** Suites of one's own workload folders (`[[suites.define]]`), in the file's order. */
  readonly defined: readonly DefinedSuite[]
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

/** Bisection limits, and the profiles taken at the culprit it finds. */
export interface BisectSettings {
  readonly enabled: boolean
  /** At most this many builds per bisection. */
  readonly maxBuilds: number
  /** Runs per bisected commit. */
  readonly repeats: number
  /** Profile the culprit and its parent on the moved workloads (docs/profiles.md). */
  readonly profile: boolean
  /** Profile at most this many workloads of an alert, the largest moves first. */
  readonly profileWorkloads: number
  /** Seconds of profiled workload per build and workload. */
  readonly profileDurationS: number
  /** The profiler at a culprit: py-spy (Python frames) or perf (C frames too). */
  readonly profiler: ProfilerName
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
  bisectRepeats: 5,
  bisectProfileWorkloads: 2,
  bisectProfileDuration: '10s',
  nightlyReference: 'previous',
  nightlyPairBudget: 3,
  nightlyPairThreshold: 0.1,
} as const

/**
 * Whether a git ref name could be passed to git as a revision: not an option, no spaces or
 * control characters, none of the sequences `git check-ref-format` forbids. The configuration's
 * branches and baselines, and the refs the build and lineage rooms hand to git, are checked by it.
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

/**
 * The suites to run for runtime `runtimeName`: its own list when the configuration names one,
 * else the default list, so every caller resolves `[suites]` the same way.
 */
export function suitesFor(config: Pick<LangperfConfig, 'suites'>, runtimeName: string): readonly string[] {
  return config.suites.perRuntime[runtimeName] ?? config.suites.default
}
