import { quote } from '../lib/index.ts'

// The syntaxes of single values in `langperf.toml`: names, durations, sizes, cron expressions,
// time zones and git remotes. Pure: no clock, disk or environment.

/** Runtime, config, suite and notification target names. */
export const NAME_RE = /^[a-z0-9][a-z0-9_.-]{0,63}$/
/** Machine names follow host names, which may have capitals. */
export const MACHINE_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/
/** Environment variable names, the only way the file may point at a secret. */
export const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/
/** A bare email address (no display name). */
export const EMAIL_RE = /^[^@\s<>]+@[^@\s<>]+$/
/** A GitHub repository, `owner/name`. */
export const GITHUB_REPO_RE = /^[A-Za-z0-9][A-Za-z0-9-]{0,38}\/[A-Za-z0-9._-]{1,100}$/
/** A 24-hour time of day `HH:MM`; its groups are the hour and the minute. */
export const TIME_OF_DAY_RE = /^([01]\d|2[0-3]):([0-5]\d)$/
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

/** Whether `zone` is an IANA time zone this Node knows, so a schedule is never read in a wrong zone. */
export function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone })
    return true
  } catch {
    return false
  }
}

/**
 * True for `scheme://…` and scp-like `user@host:path` remotes; false for local paths, which are
 * resolved against the configuration file's directory.
 */
export function isRemoteUrl(remote: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(remote) || /^[^/\s]+@[^/\s:]+:/.test(remote)
}
