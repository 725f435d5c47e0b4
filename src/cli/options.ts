import { type Command, InvalidArgumentError, Option } from 'commander'

// Option helpers shared by every command, so `--db`, `--json` and number parsing read the same
// everywhere; the command line (program.ts) loads this file for `--help`, so it imports commander only.

/** A commander parser for a number (or integer) option that names the option when it fails. */
export function number(label: string, integer: boolean) {
  return (text: string): number => {
    const v = Number(text)
    if (text.trim() === '' || !Number.isFinite(v) || (integer && !Number.isInteger(v))) {
      throw new InvalidArgumentError(
        `expected ${integer ? 'an integer' : 'a number'} for ${label}, found "${text}"`,
      )
    }
    return v
  }
}

/** A commander parser for `--values`: a positive integer, or `auto` (the allocation learned from earlier runs). */
export function valuesOption(text: string): number | 'auto' {
  if (text.trim() === 'auto') return 'auto'
  const v = Number(text)
  if (text.trim() === '' || !Number.isInteger(v) || v < 1)
    throw new InvalidArgumentError(`expected a positive integer or auto for --values, found "${text}"`)
  return v
}

/** A commander parser for a percentage, `1` or `1%` (returned as 1). */
export function percent(label: string) {
  const parse = number(label, false)
  return (text: string): number => {
    const v = parse(text.trim().replace(/\s*%$/, ''))
    if (!(v > 0 && v < 100)) {
      throw new InvalidArgumentError(
        `expected a percentage above 0 and below 100 for ${label}, found "${text}"`,
      )
    }
    return v
  }
}

/** Seconds per unit of a duration option. */
const DURATION_UNITS: Readonly<Record<string, number>> = { '': 1, s: 1, m: 60, min: 60, h: 3600 }

/** A commander parser for a duration, `90`, `90s`, `10m` or `1.5h`, returned in seconds. */
export function duration(label: string) {
  return (text: string): number => {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(s|m|min|h)?\s*$/.exec(text)
    const seconds = m ? Number(m[1]) * (DURATION_UNITS[m[2] ?? ''] ?? Number.NaN) : Number.NaN
    if (!(seconds > 0 && Number.isFinite(seconds))) {
      throw new InvalidArgumentError(
        `expected a positive duration like 90s, 10m or 1h for ${label}, found "${text}"`,
      )
    }
    return seconds
  }
}

/** A commander reducer for repeatable options. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value]
}

/** Adds `--db` and `--json`, which every command that reads the database accepts. */
export function common(cmd: Command): Command {
  return cmd
    .addOption(
      new Option(
        '--db <path>',
        'the database: an SQLite file or a postgres:// URL (default: $LANGPERF_DB or ./langperf.db)',
      ),
    )
    .option('--json', 'print machine-readable JSON on stdout')
}

/** Adds `--config` and the sampling options to a command. */
export function withSamplingOptions(cmd: Command): Command {
  return cmd
    .option('--config <path>', 'configuration file (default ./langperf.toml)')
    .option('--fast', 'sample with the fast preset: 6 processes × (1 warm-up + 3 values)')
    .option('--rigorous', 'sample with the rigorous preset: 40 processes × (1 + 3)')
    .option('--warmups <n>', 'warm-ups per process', number('--warmups', true))
    .option('--values <n>', 'values per process', number('--values', true))
    .option(
      '--min-time <seconds>',
      'minimum duration of one value (default 0.1)',
      number('--min-time', false),
    )
    .option(
      '--timeout <seconds>',
      'kill a worker process after this long (default 600)',
      number('--timeout', false),
    )
    .option('--machine <name>', 'machine name recorded on the runs (default: hostname)')
}

/** A commander parser for `--port`: 0–65535 (0 picks a free port). */
export function port(text: string): number {
  const n = Number(text)
  if (!/^\d+$/.test(text) || n > 65535) {
    throw new InvalidArgumentError(`expected a port number 0–65535 for --port, found "${text}"`)
  }
  return n
}

/** A commander parser for a positive integer id that names what it is (`alert`, `token`). */
export function positiveId(what: string) {
  return (text: string): number => {
    const n = Number(text)
    if (!/^\d+$/.test(text) || n < 1 || !Number.isSafeInteger(n)) {
      throw new InvalidArgumentError(
        `expected ${/^[aeiou]/.test(what) ? 'an' : 'a'} ${what} id (a positive integer), found "${text}"`,
      )
    }
    return n
  }
}

/** Parses an alert id argument. */
export const alertId = positiveId('alert')
/** Parses a token id argument. */
export const tokenId = positiveId('token')

/** Default port of `langperf serve`. */
/** `serve --cache-mb`: room for the series index of about 5 M results (store/prime.ts). */
export const DEFAULT_SERVE_CACHE_MB = 512

export const DEFAULT_PORT = 8080
/** The portal's address in notifications when `--portal-url` is not given. */
export const DEFAULT_PORTAL_URL = 'http://127.0.0.1:8080'
/** pino's levels, as `langperf serve --log-level` accepts them. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
