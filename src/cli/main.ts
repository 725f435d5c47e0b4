import { Command, CommanderError } from 'commander'
import { LangperfError } from '../lib/index.ts'
import type { Ctx } from './context.ts'
import { type Io, processIo } from './output.ts'
import {
  addAlertCommands,
  addBisectCommand,
  addCompareCommand,
  addInterchangeCommands,
  addInventoryCommands,
  addNightlyCommand,
  addNotifyCommands,
  addProfileCommands,
  addRunCommand,
  addShowCommand,
  addSystemCommands,
  addWarmupCommand,
} from './program.ts'
import {
  addAgentCommand,
  addReportCommand,
  addServeCommand,
  addTokenCommands,
  addUploadCommand,
} from './program-server.ts'

// The composition root: parses the command line, wires the rooms together, maps errors to exit
// codes. Exit codes: 0 success; 1 a check failed (a slowdown over --fail-on-slowdown); 2 bad
// input or a name that does not exist; 3 something needed is unavailable; 4 a bug; 75 another
// nightly holds the lock (`langperf nightly`); 130 interrupted.

/** Exit status for each error code. */
const EXIT_CODES: Readonly<Record<LangperfError['code'], number>> = {
  'bad-input': 2,
  'not-found': 2,
  conflict: 2,
  unauthorized: 2,
  forbidden: 2,
  'too-large': 2,
  'unsupported-media-type': 2,
  'not-implemented': 3,
  unavailable: 3,
  internal: 4,
}

/** A description with its single line breaks made spaces (blank lines kept as paragraphs). */
export function proseOf(text: string): string {
  return text.replace(/([^\n])\n(?!\n)/g, '$1 ')
}

/**
 * The line a command gets in its parent's list of commands: its summary, else its description's
 * first clause (up to the first colon, semicolon, parenthesis, dash or sentence end), so that
 * `langperf --help` is a list to scan and the full prose stays in `langperf CMD --help`.
 * @example summaryOf('Import result files (all or none: …). pyperf JSON 1.0') === 'Import result files'
 */
export function summaryOf(text: string): string {
  const prose = proseOf(text).replace(/\s+/g, ' ').trim()
  const cut = prose.search(/: | ?; | \(| — |\. |\.$/)
  return cut > 0 ? prose.slice(0, cut) : prose
}

/** Builds the program; `run` resolves with the exit status through `setStatus`. */
export function buildProgram(ctx: Ctx, setStatus: (code: number) => void): Command {
  const program = new Command('langperf')
    .description(
      'Measure language runtimes rigorously, keep every sample, and compare builds with confidence intervals.\n' +
        'Start with `langperf run --suite quick --fast`, then `langperf show` and `langperf compare A B`.',
    )
    .version('0.1.0')
    .showHelpAfterError('(add --help for usage)')
    // Descriptions are written as prose: a single line break inside one is a space, so Commander
    // wraps whole sentences to the terminal's width; a blank line stays a paragraph break.
    // Set before any command is added, so that every subcommand inherits it.
    .configureHelp({
      commandDescription: (cmd) => proseOf(cmd.description()),
      subcommandDescription: (cmd) => cmd.summary() || summaryOf(cmd.description()),
    })
    .configureOutput({
      writeOut: (s) => ctx.io.out.write(s),
      writeErr: (s) => ctx.io.err.write(s),
    })
    .exitOverride()

  addRunCommand(program, ctx, setStatus)
  addCompareCommand(program, ctx, setStatus)
  addShowCommand(program, ctx, setStatus)
  addWarmupCommand(program, ctx, setStatus)
  addInterchangeCommands(program, ctx, setStatus)
  addSystemCommands(program, ctx, setStatus)
  addInventoryCommands(program, ctx, setStatus)
  addAlertCommands(program, ctx, setStatus)
  addNightlyCommand(program, ctx, setStatus)
  addBisectCommand(program, ctx, setStatus)
  addNotifyCommands(program, ctx, setStatus)
  addServeCommand(program, ctx, setStatus)
  addAgentCommand(program, ctx, setStatus)
  addUploadCommand(program, ctx, setStatus)
  addReportCommand(program, ctx, setStatus)
  addTokenCommands(program, ctx, setStatus)
  addProfileCommands(program, ctx, setStatus)
  return program
}

/** Runs the CLI with `argv` (as process.argv) and returns the exit status. */
export async function main(
  argv: readonly string[],
  io: Io = processIo(),
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  let status = 0
  const program = buildProgram({ io, env }, (code) => {
    status = code
  })
  try {
    await program.parseAsync([...argv])
    return status
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit with 0; usage errors were already printed by commander.
      return err.exitCode === 0 ? 0 : 2
    }
    if (err instanceof LangperfError) {
      io.err.write(`langperf: ${err.message}\n`)
      return EXIT_CODES[err.code]
    }
    io.err.write(
      `langperf: unexpected error (a bug; please report it): ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    )
    return 4
  }
}
