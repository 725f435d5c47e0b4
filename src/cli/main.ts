import { Command, CommanderError } from 'commander'
import { LangperfError } from '../lib/index.ts'
import { addAlertCommands } from './commands/alerts.ts'
import { addBisectCommand } from './commands/bisect.ts'
import { compareCommand } from './commands/compare.ts'
import { exportCommand, importCommand } from './commands/interchange.ts'
import { interpretersCommand, workloadsCommand } from './commands/inventory.ts'
import { addNightlyCommand } from './commands/nightly.ts'
import { addNotifyCommands } from './commands/notify.ts'
import { addReportCommand } from './commands/report.ts'
import { runCommand } from './commands/run.ts'
import { addServeCommand } from './commands/serve.ts'
import { showCommand } from './commands/show.ts'
import { systemCheck } from './commands/system.ts'
import { addTokenCommands } from './commands/token.ts'
import type { Ctx } from './context.ts'
import { collect, common, number } from './options.ts'
import { type Io, processIo } from './output.ts'

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
    .configureHelp({ commandDescription: (cmd) => proseOf(cmd.description()) })
    .configureOutput({
      writeOut: (s) => ctx.io.out.write(s),
      writeErr: (s) => ctx.io.err.write(s),
    })
    .exitOverride()

  common(
    program
      .command('run')
      .description(
        'Measure interpreters × a suite: fresh processes, calibrated loops frozen per workload, interleaved A B / B A,\n' +
          'every raw value stored; then print each interpreter against the first',
      )
      .option('-s, --suite <name>', 'suite to run (see `langperf workloads`; default: default)')
      .option('-w, --workload <name>', 'run only this workload (repeatable; overrides --suite)', collect)
      .option(
        '-p, --python <path>',
        'interpreter to measure (repeatable); without it, every interpreter found on PATH and in pyenv',
        collect,
      )
      .option('--discover', 'with --python: also measure the interpreters discovery finds')
      .option('--fast', 'quick look: 6 processes × (1 warm-up + 3 values); JIT: 4 × (6 + 4)')
      .option('--rigorous', 'careful: 40 processes × (1 + 3); JIT: 12 × (20 + 10)')
      .option('--processes <n>', 'override the number of processes', number('--processes', true))
      .option('--warmups <n>', 'override warm-ups per process', number('--warmups', true))
      .option('--values <n>', 'override values per process', number('--values', true))
      .option(
        '--min-time <seconds>',
        'minimum duration of one value; loops are calibrated to reach it (default 0.1)',
        number('--min-time', false),
      )
      .option(
        '--timeout <seconds>',
        'kill a worker process after this long (default 600)',
        number('--timeout', false),
      )
      .option('--machine <name>', 'machine name to record (default: hostname)')
      .option('--no-progress', 'no progress bar'),
  ).action(async (opts) => setStatus(await runCommand(ctx, opts)))

  common(
    program
      .command('compare')
      .description(
        'Compare two runs workload by workload: ratio of per-process means with its 95 % interval and a verdict,\n' +
          'slowest first, and the geometric mean. A and B: a run id, "latest" (the run stored last), a version (3.12.1), runtime-version\n' +
          '(cpython-3.12.1) or a commit prefix (its newest run)',
      )
      .argument('<base>', 'the reference run')
      .argument('<candidate>', 'the run compared with it')
      .option(
        '--fail-on-slowdown <pct>',
        'exit with status 1 when a workload or the geometric mean is significantly slower by PCT % or more',
        number('--fail-on-slowdown', false),
      )
      .option(
        '--min-effect <pct>',
        'do not call changes smaller than PCT % (default 0: the interval decides)',
        number('--min-effect', false),
      )
      .option('--tag <tag>', 'only workloads with this tag (repeatable)', collect)
      .option(
        '--allow-version-mismatch',
        'also compare workloads whose versions differ (e.g. another benchmark_hash); marked in the table',
      ),
  ).action(async (a, b, opts) => setStatus(await compareCommand(ctx, a, b, opts)))

  common(
    program
      .command('show')
      .description(
        'List runs, or show one run (id, "latest" = the run stored last, version or commit prefix) with its environment and results',
      )
      .argument('[run]', 'run to show')
      .option('--limit <n>', 'runs per page (default 20)', number('--limit', true))
      .option('--offset <n>', 'skip this many runs', number('--offset', true))
      .option('--samples', 'with --json and a run: include every raw sample'),
  ).action(async (run, opts) => setStatus(await showCommand(ctx, run, opts)))

  common(
    program
      .command('import')
      .description(
        'Import result files (all or none: a bad file leaves the database unchanged). pyperf JSON 1.0, plain or gzipped;\n' +
          'every value and metadata key is kept, including commit_id, commit_date, commit_branch, benchmark_hash.\n' +
          'Each build is placed on its line of development (docs/lineage.md): by git ancestry with --repo, else by rules —\n' +
          'a recorded branch as is, an alpha tag (v3.13.0a4) or alpha version (3.14.0a0+) on main, any other tag or\n' +
          "version (v3.13.0b1, 3.13.0b1+) on its X.Y branch, a fork's commit on fork/branch. The config comes from the\n" +
          "file name's -FLAGS after the commit hash (bench_runner: -JIT, -NOGIL, -PYTHON_UOPS), else default.\n" +
          'Importing a file again stores nothing new (and re-keys its build if the placement changed).',
      )
      .argument('<format>', 'file format: pyperf')
      .argument('<files...>', 'files to import')
      .option('--runtime <name>', 'runtime family instead of python_implementation (e.g. pypy)')
      .option('--config <name>', "build config instead of the file name's flags (e.g. pgo-lto, jit)")
      .option('--machine <name>', 'machine name instead of the hostname metadata')
      .option('--branch <name>', 'line of development instead of the placement rules (e.g. main)')
      .option(
        '--repo <path>',
        "the runtime's git repository: place and order commits by first-parent ancestry",
      )
      .option('--strict', 'refuse the whole batch when any file contradicts itself or the repository'),
  ).action(async (format, files, opts) => setStatus(await importCommand(ctx, format, files, opts)))

  common(
    program
      .command('export')
      .description(
        'Export a run as pyperf JSON 1.0 (readable by `python -m pyperf` tools); an imported run gives back its file',
      )
      .argument('<format>', 'file format: pyperf')
      .argument('<run>', 'run id, "latest" (the run stored last), a version or a commit prefix')
      .option('-o, --out <file>', 'write to FILE (gzipped when it ends in .gz) instead of stdout')
      .option('--gzip', 'gzip the output'),
  ).action(async (format, run, opts) => setStatus(await exportCommand(ctx, format, run, opts)))

  const system = program.command('system').description('The machine: is it set up for benchmarking?')
  common(
    system
      .command('check')
      .description(
        'Print the machine fingerprint and tuning (governor, turbo, SMT, ASLR, load, isolated CPUs) with advice for each problem',
      )
      .option('--strict', 'exit with status 1 when there is any warning'),
  ).action(async (opts) => setStatus(await systemCheck(ctx, opts)))

  common(
    program
      .command('interpreters')
      .description(
        'List the interpreters found on PATH and in pyenv, identified by what each reports about itself',
      )
      .option('-p, --python <path>', 'also describe this interpreter (repeatable)', collect),
  ).action(async (opts) => setStatus(await interpretersCommand(ctx, opts)))

  common(program.command('workloads').description('List the built-in workloads and suites')).action(
    async (opts) => setStatus(await workloadsCommand(ctx, opts)),
  )
  addAlertCommands(program, ctx, setStatus)
  addNightlyCommand(program, ctx, setStatus)
  addBisectCommand(program, ctx, setStatus)
  addNotifyCommands(program, ctx, setStatus)
  addServeCommand(program, ctx, setStatus)
  addReportCommand(program, ctx, setStatus)
  addTokenCommands(program, ctx, setStatus)
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
