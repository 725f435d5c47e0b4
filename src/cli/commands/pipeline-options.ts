import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { parseConfig } from '../../config/index.ts'
import { LangperfError, quote } from '../../lib/index.ts'
import { CONFIG_DEFAULTS, type LangperfConfig } from '../../model/index.ts'
import type { SamplingOptions } from '../../pipeline/index.ts'
import { openStore, type Store } from '../../store/index.ts'
import { type CommonOptions, storeLocation } from '../context.ts'

// What the commands that drive the pipeline (`nightly`, `bisect`) share: the configuration file,
// the store it names and the sampling options; and langperf's cache directory (`profile`, `run`).

/** Options shared by the commands that read a langperf.toml. */
export interface ConfigOptions extends CommonOptions {
  /** Path of the configuration (default ./langperf.toml). */
  readonly config?: string
}

/** Sampling options shared by `nightly` and `bisect`. */
export interface SamplingCliOptions {
  readonly fast?: boolean
  readonly rigorous?: boolean
  readonly warmups?: number
  readonly values?: number
  readonly minTime?: number
  readonly timeout?: number
  readonly machine?: string
}

/** Reads and validates the configuration file. */
export async function loadConfigFile(options: ConfigOptions): Promise<LangperfConfig> {
  const path = resolve(options.config ?? 'langperf.toml')
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new LangperfError(
      code === 'ENOENT' ? 'not-found' : 'unavailable',
      `Cannot read configuration ${quote(path, 200)}: ${code === 'ENOENT' ? 'no such file (copy langperf.example.toml to langperf.toml, or give --config PATH)' : (error as Error).message}`,
      { cause: error },
    )
  }
  return parseConfig(text, path)
}

/**
 * The configuration when there is one to read: `--config`, else ./langperf.toml when present;
 * null without either (`run` and `workloads` work without a configuration).
 */
export async function optionalConfig(options: ConfigOptions): Promise<LangperfConfig | null> {
  return options.config !== undefined || existsSync('langperf.toml') ? loadConfigFile(options) : null
}

/** Where the store is: `--db` when given, else the configuration's `[store]`. */
export function configuredStoreLocation(
  config: LangperfConfig,
  options: CommonOptions,
  env: NodeJS.ProcessEnv,
): string {
  if (options.db !== undefined) return storeLocation(options, env)
  const s = config.store
  switch (s.kind) {
    case 'sqlite':
      return s.path
    case 'postgres':
      return s.url
    case 'env': {
      const location = env[s.variable]
      if (location === undefined || location.trim() === '') {
        throw new LangperfError(
          'bad-input',
          `Cannot open the store: ${quote(config.file)} names the environment variable ${quote(s.variable)}, which is not set`,
        )
      }
      return location.trim()
    }
    default:
      return s satisfies never
  }
}

/** The store: `--db` when given, else the configuration's `[store]` (in PostgreSQL schema `schema` when given). */
export async function openConfiguredStore(
  config: LangperfConfig,
  options: CommonOptions,
  env: NodeJS.ProcessEnv,
  open: { readonly schema?: string } = {},
): Promise<Store> {
  return openStore(configuredStoreLocation(config, options, env), open)
}

/** The sampling options from the command line. */
export function samplingFrom(options: SamplingCliOptions, processes?: number): SamplingOptions {
  if (options.fast && options.rigorous) {
    throw new LangperfError('bad-input', 'Cannot use --fast and --rigorous together: pick one preset')
  }
  if (options.timeout !== undefined && !(options.timeout > 0)) {
    throw new LangperfError(
      'bad-input',
      `Cannot use --timeout ${options.timeout}: expected a positive number of seconds`,
    )
  }
  return {
    preset: options.fast ? 'fast' : options.rigorous ? 'rigorous' : 'default',
    ...(processes !== undefined ? { processes } : {}),
    ...(options.warmups !== undefined ? { warmups: options.warmups } : {}),
    ...(options.values !== undefined ? { values: options.values } : {}),
    ...(options.minTime !== undefined ? { minTimeS: options.minTime } : {}),
    ...(options.timeout !== undefined ? { timeoutMs: options.timeout * 1000 } : {}),
  }
}

/**
 * langperf's cache directory: `--cache-dir`, else `[build] cache_dir` of the configuration
 * (`--config`, or ./langperf.toml when there is one), else `.cache/langperf` here — the root the
 * build cache uses, tools going to its `tools/`.
 */
export async function cacheDirOf(options: ConfigOptions & { readonly cacheDir?: string }): Promise<string> {
  if (options.cacheDir !== undefined) return resolve(options.cacheDir)
  return (await optionalConfig(options))?.build.cacheDir ?? resolve(CONFIG_DEFAULTS.cacheDir)
}
