import type { Command } from 'commander'
import { InvalidArgumentError } from 'commander'
import type { AgentCommandOptions } from './commands/agent.ts'
import type { ReportOptions } from './commands/report.ts'
import type { ServeOptions } from './commands/serve.ts'
import type { TokenCreateOptions } from './commands/token.ts'
import type { UploadOptions } from './commands/upload.ts'
import type { CommonOptions, Ctx } from './context.ts'
import {
  collect,
  common,
  DEFAULT_PORT,
  DEFAULT_SERVE_CACHE_MB,
  LOG_LEVELS,
  number,
  port,
  tokenId,
} from './options.ts'

// The commands of the portal's server side (program.ts has the rest and the rule on imports):
// `serve`, the farm's `agent`, `upload` to a server, the static `report` and API `token`s.

/** Adds `serve` to the program. */
export function addServeCommand(program: Command, ctx: Ctx, setStatus: (code: number) => void): void {
  program
    .command('serve')
    .summary('Serve the HTTP API and the dashboard')
    .description(
      'Serve the HTTP API (and the dashboard) over the database until SIGINT or SIGTERM.\n' +
        'Reads are public; writes need a token from `langperf token create`',
    )
    .option('--host <host>', 'address to listen on (default 127.0.0.1: this machine only)')
    .option('--port <port>', `port to listen on (default ${DEFAULT_PORT}; 0 picks a free one)`, port)
    .option(
      '--db <path>',
      'the database: an SQLite file or a postgres:// URL (default: $LANGPERF_DB or ./langperf.db)',
    )
    .option('--log-level <level>', `log level on stderr: ${LOG_LEVELS.join(', ')} (default info)`)
    .option(
      '--log-format <format>',
      'text: one readable line per request on stderr (default); json: JSON lines for a log collector',
    )
    .option(
      '--commit-url <pattern>',
      'dashboard links to commits, {sha} replaced (default $LANGPERF_COMMIT_URL), e.g. https://github.com/python/cpython/commit/{sha}',
    )
    .option(
      '--config <path>',
      "a langperf.toml whose runtimes' local git mirrors (the nightly's) list the commits of alerts' blame ranges, linked by their commit_url and compare_url; with --farm, its [[notify]] targets get the machine alerts",
    )
    .option(
      '--pg-schema <name>',
      "PostgreSQL only: the schema holding the store (default: the connection's search_path)",
    )
    .option(
      '--cache-mb <n>',
      `SQLite only: the page cache of the server's connection in MB (default ${DEFAULT_SERVE_CACHE_MB}); at start the server reads the runs, builds and the series index into it (when the index fits), so a timeline's first visit reads memory, not the file; use about 85 bytes per stored result`,
      number('--cache-mb', true),
    )
    .option(
      '--farm',
      'serve the benchmark farm: agents claim jobs of their machine from a queue in the same PostgreSQL (docs/farm.md)',
    )
    .option(
      '--farm-lock-ms <ms>',
      'with --farm: how long a job stays held without a heartbeat (default 30000)',
      number('--farm-lock-ms', true),
    )
    .option(
      '--farm-silent-hours <h>',
      'with --farm: a machine whose agent sent no result for this long, while jobs waited for it or the agent was not seen either, ' +
        'raises a "no results since …" alert, sent to the [[notify]] targets of --config (default 36)',
      number('--farm-silent-hours', false),
    )
    .option(
      '--portal-url <url>',
      'public URL of the portal, for links in notifications ($LANGPERF_PORTAL_URL; default: the address served)',
    )
    .action(async (opts: ServeOptions) => {
      const { serveCommand } = await import('./commands/serve.ts')
      setStatus(await serveCommand(ctx, opts))
    })
}

/** Adds `agent` (the farm's agent on a benchmark machine) to the program. */
export function addAgentCommand(program: Command, ctx: Ctx, setStatus: (code: number) => void): void {
  program
    .command('agent')
    .description(
      "Run the benchmark farm's agent on this machine: register with the server, claim this machine's jobs one at a time,\n" +
        'build the commit of a build job (cached: the build room, as the nightly), measure as `langperf run` does, renew the\n' +
        "job's lease while it runs and upload its result. It runs the build commands the server's jobs carry: trust its admins.\n" +
        'SIGTERM releases the running job and stops (after the build step in progress, if any) (docs/farm.md)',
    )
    .requiredOption(
      '--server <url>',
      'the langperf server, e.g. http://portal:8080 (started with `serve --farm`)',
    )
    .option('--token <secret>', 'an agent token whose scope names this machine (default: $LANGPERF_TOKEN)')
    .option('--machine <name>', "this machine's name (default: the host name)")
    .option(
      '--claim-wait <s>',
      'longest wait of one claim for a job, seconds (default 10)',
      number('--claim-wait', false),
    )
    .option(
      '--max-jobs <n>',
      'stop after this many jobs (default: run until SIGTERM)',
      number('--max-jobs', true),
    )
    .option(
      '--cache-dir <dir>',
      "where build jobs keep this machine's git mirrors, worktrees and built artifacts (default: [build] cache_dir of langperf.toml, else .cache/langperf)",
    )
    .option(
      '--config <path>',
      'a langperf.toml whose [build] settings (cache_dir, jobs, step_timeout, cache_max_size) build jobs use and whose\n' +
        '[[suites.define]] suites jobs may name besides the built-in ones (default ./langperf.toml when present)',
    )
    .action(async (opts: AgentCommandOptions) => {
      const { agentCommand } = await import('./commands/agent.ts')
      setStatus(await agentCommand(ctx, opts))
    })
}

/** Adds `upload` (result files to a server) to the program. */
export function addUploadCommand(program: Command, ctx: Ctx, setStatus: (code: number) => void): void {
  program
    .command('upload')
    .summary('Send result files made elsewhere to a langperf server')
    .description(
      'Send result files made elsewhere (a CI job) to a langperf server: langperf-run documents or pyperf JSON, plain or gzip.\n' +
        'Each file is stored on its own, once: the same content sent again is answered with the run stored before, and said so;\n' +
        'the exit status is 1 if any was not stored (docs/farm.md has a CI example)',
    )
    .argument('<file...>', 'langperf-run or pyperf JSON files')
    .requiredOption('--server <url>', 'the langperf server, e.g. https://perf.example.org')
    .option(
      '--token <secret>',
      'an agent token (scoped to the machines it uploads for) or admin token (default: $LANGPERF_TOKEN)',
    )
    .option('--runtime <name>', 'pyperf only: runtime family instead of python_implementation')
    .option('--config <name>', 'pyperf only: build config instead of the default')
    .option('--machine <name>', 'pyperf only: machine name instead of the hostname metadata')
    .option('--branch <name>', 'pyperf only: branch instead of commit_branch')
    .option('--json', 'print what was stored as JSON')
    .option(
      '--tries <n>',
      'sends of a file that fail without an answer (server restarting) or with a 5xx, in all, 2 s apart',
      '5',
    )
    .action(async (files: string[], opts: UploadOptions) => {
      const { uploadCommand } = await import('./commands/upload.ts')
      setStatus(await uploadCommand(ctx, files, opts))
    })
}

/** Adds `report` to the program. */
export function addReportCommand(program: Command, ctx: Ctx, setStatus: (code: number) => void): void {
  program
    .command('report')
    .description(
      'Write the dashboard as a static site (overview, timelines, comparisons, matrix, alerts, runs, machines)\n' +
        'with relative links and the data embedded: open DIR/index.html from disk or publish DIR anywhere',
    )
    .requiredOption('-o, --out <dir>', 'directory to write (created; existing files are overwritten)')
    .option(
      '--db <path>',
      'the database: an SQLite file or a postgres:// URL (default: $LANGPERF_DB or ./langperf.db)',
    )
    .option('--base-url <url>', 'read from the API of this langperf server instead of a database')
    .option('--json', 'print a JSON summary on stdout')
    .option(
      '--commit-url <pattern>',
      'links to commits, {sha} replaced (default $LANGPERF_COMMIT_URL), e.g. https://github.com/python/cpython/commit/{sha}',
    )
    .option('--max-pages <n>', 'most pages to write (default 5000)', (text: string) => {
      const n = Number(text)
      if (!/^\d+$/.test(text) || n < 1)
        throw new InvalidArgumentError(`expected a positive integer for --max-pages, found "${text}"`)
      return n
    })
    .action(async (opts: ReportOptions) => {
      const { reportCommand } = await import('./commands/report.ts')
      setStatus(await reportCommand(ctx, opts))
    })
}

/** Adds `token create|list|revoke` to the program. */
export function addTokenCommands(program: Command, ctx: Ctx, setStatus: (code: number) => void): void {
  const token = program
    .command('token')
    .summary('API tokens for agents and admins: create, list, revoke')
    .description('API tokens: an agent token writes results, an admin token also triages and manages tokens')
  const db = common
  db(
    token
      .command('create')
      .description('Create a token and print its secret once (only its SHA-256 is stored)')
      .requiredOption('--role <role>', `agent or admin`)
      .requiredOption('--name <name>', 'who or what uses it, e.g. "ci bench-1"')
      .option('--scope <machine>', 'machine it may write for (repeatable; default: every machine)', collect),
  ).action(async (opts: TokenCreateOptions) => {
    const { tokenCreateCommand } = await import('./commands/token.ts')
    setStatus(await tokenCreateCommand(ctx, opts))
  })
  db(token.command('list').description('List every token (never a secret)')).action(
    async (opts: CommonOptions) => {
      const { tokenListCommand } = await import('./commands/token.ts')
      setStatus(await tokenListCommand(ctx, opts))
    },
  )
  db(
    token
      .command('revoke')
      .description('Revoke a token: the API refuses it from now on')
      .argument('<id>', 'token id (see `langperf token list`)', tokenId),
  ).action(async (id: number, opts: CommonOptions) => {
    const { tokenRevokeCommand } = await import('./commands/token.ts')
    setStatus(await tokenRevokeCommand(ctx, id, opts))
  })
}
