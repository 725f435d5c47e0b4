import { type Command, InvalidArgumentError, Option } from 'commander'

// Option helpers shared by every command, so `--db`, `--json` and number parsing read the same
// everywhere.

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
