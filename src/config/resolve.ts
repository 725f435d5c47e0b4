import { posix } from 'node:path'
import {
  CONFIG_DEFAULTS,
  CPYTHON_NAMED_CONFIGS,
  type LangperfConfig,
  type MachineExpectations,
  type NotifyTarget,
  type RecipeDefinition,
  type RecipeKind,
  type RuntimeFamily,
  type ScheduleTrigger,
  type StoreConfig,
} from '../model/index.ts'
import type { RawBuildConfig, RawConfig, RawExpectations, RawNotify } from './schema.ts'
import { isRemoteUrl, parseDurationMs, parseSizeBytes, TIME_OF_DAY_RE } from './values.ts'

// From a checked file to the typed `LangperfConfig`: snake_case keys become camelCase, defaults
// are filled in and relative paths are resolved against the file's directory.

/**
 * The typed configuration of a checked file: camelCase keys, every default filled in (from
 * `CONFIG_DEFAULTS`), relative paths resolved against the directory of `fileName` with
 * path.posix, so no working directory is read here.
 */
export function resolveConfig(raw: RawConfig, fileName: string): LangperfConfig {
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
      ...(rt.commit_url === undefined ? {} : { commitUrl: rt.commit_url }),
      ...(rt.compare_url === undefined ? {} : { compareUrl: rt.compare_url }),
    })),
    machines: (raw.machines ?? []).map((m) => ({ name: m.name, expect: buildExpectations(m.expect ?? {}) })),
    suites: {
      default: raw.suites?.default ?? CONFIG_DEFAULTS.suites,
      perRuntime: raw.suites?.runtimes ?? {},
      defined: (raw.suites?.define ?? []).map((d) => ({
        name: d.name,
        path: resolvePath(d.path),
        description: d.description ?? null,
        workloads: d.workloads ?? null,
        requirementsOverride: d.requirements_override ?? [],
      })),
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
      profile: raw.bisect?.profile ?? true,
      profileWorkloads: raw.bisect?.profile_workloads ?? CONFIG_DEFAULTS.bisectProfileWorkloads,
      profiler: raw.bisect?.profiler ?? 'py-spy',
      profileDurationS:
        (parseDurationMs(raw.bisect?.profile_duration ?? CONFIG_DEFAULTS.bisectProfileDuration) as number) /
        1000,
    },
  }
}

/** The recipe a config of a runtime of `family` uses when it names none: cpython for CPython, else generic. */
export function defaultRecipe(family: RuntimeFamily): RecipeKind {
  return family === 'cpython' ? 'cpython' : 'generic'
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

function buildExpectations(raw: RawExpectations): MachineExpectations {
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
