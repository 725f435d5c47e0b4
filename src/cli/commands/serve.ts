import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { pino } from 'pino'
import { DEFAULT_SILENT_AFTER_MS } from '../../analysis/index.ts'
import { cachePaths, mirrorDirName } from '../../build/index.ts'
import { FarmQueue } from '../../farm/index.ts'
import { LangperfError } from '../../lib/index.ts'
import type { LangperfConfig } from '../../model/index.ts'
import { createTransport } from '../../notify/index.ts'
import { buildServer, type RuntimeSource, startSilenceWatch, type WebRoutes } from '../../server/index.ts'
import { openStore } from '../../store/index.ts'
import { checkCommitUrl, createWebRoutes, warmPages } from '../../web/index.ts'
import { type CommonOptions, type Ctx, storeLocation } from '../context.ts'
import { DEFAULT_PORT, DEFAULT_SERVE_CACHE_MB, LOG_LEVELS } from '../options.ts'
import { log } from '../output.ts'
import { loadConfigFile } from './pipeline-options.ts'

// `langperf serve`: the portal's HTTP server over the database. Listens on 127.0.0.1 unless told
// otherwise (exposing the write API to a network is a decision, not a default), logs one line per
// request on stderr (readable text, or pino's JSON lines with --log-format json), and on SIGINT or SIGTERM stops accepting, finishes the requests in
// flight and closes the database before exiting.

/** Options of `langperf serve`. */
export interface ServeOptions extends CommonOptions {
  readonly host?: string
  readonly port?: number
  /** pino level: fatal, error, warn, info, debug, trace, silent. */
  readonly logLevel?: string
  /** `text` (default): one readable line per record; `json`: pino's JSON lines. */
  readonly logFormat?: string
  /** Commit URL pattern with `{sha}` for the dashboard's commit links; $LANGPERF_COMMIT_URL when absent. */
  readonly commitUrl?: string
  /** The configuration file whose runtimes' mirrors and link templates the alert pages use. */
  readonly config?: string
  /** PostgreSQL only: the schema holding the store (the farm's queue goes in `<schema>_farm`). */
  readonly pgSchema?: string
  /** SQLite only: the connection's page cache in MB (DEFAULT_SERVE_CACHE_MB), primed at start. */
  readonly cacheMb?: number
  /** Serve the benchmark farm (agents, job queue): PostgreSQL only. */
  readonly farm?: boolean
  /** How long a claimed job is held without a heartbeat, ms (default 30000). */
  readonly farmLockMs?: number
  /** With --farm: hours without a result after which a machine with work is silent (default 36). */
  readonly farmSilentHours?: number
  /** The portal's public URL, for links in notifications ($LANGPERF_PORTAL_URL). */
  readonly portalUrl?: string
}

/** The farm's queue of `serve --farm` over the PostgreSQL at `location`, or undefined without --farm. */
async function openFarm(options: ServeOptions, location: string): Promise<FarmQueue | undefined> {
  if (options.farm !== true) return undefined
  if (!/^postgres(?:ql)?:\/\//.test(location)) {
    throw new LangperfError(
      'bad-input',
      `Cannot serve the farm: expected --db to be a postgres:// URL (the job queue lives in PostgreSQL), found ${JSON.stringify(location)}`,
    )
  }
  const lock = options.farmLockMs ?? 30_000
  if (!(lock >= 500 && lock <= 3_600_000)) {
    throw new LangperfError(
      'bad-input',
      `Cannot serve the farm: expected --farm-lock-ms from 500 to 3600000, found ${lock}`,
    )
  }
  return new FarmQueue({
    connectionString: location,
    lockDurationMs: lock,
    ...(options.pgSchema === undefined ? {} : { schema: `${options.pgSchema}_farm` }),
  })
}

/**
 * The runtimes of `config` as the server reads their commits: each one's bare mirror under the
 * cache directory (the nightly's, `<cache_dir>/mirrors/<name>-<hash>.git`) when it exists.
 */
export function runtimeSources(config: LangperfConfig): RuntimeSource[] {
  const mirrors = cachePaths(config.build.cacheDir).mirrors
  return config.runtimes.map((r) => {
    const gitDir = join(mirrors, mirrorDirName(r.remote))
    return {
      name: r.name,
      remote: r.remote,
      gitDir: existsSync(gitDir) ? gitDir : null,
      ...(r.commitUrl === undefined ? {} : { commitUrl: r.commitUrl }),
      ...(r.compareUrl === undefined ? {} : { compareUrl: r.compareUrl }),
    }
  })
}

/** What the composition root may plug into the server. */
export interface ServeDeps {
  /** The dashboard's pages (web/); the built dashboard of src/web when absent. */
  readonly web?: WebRoutes
  /** Resolves when the server should stop; SIGINT or SIGTERM when absent. */
  readonly stop?: Promise<unknown>
}

const LOG_FORMATS = ['text', 'json'] as const
/** pino's numeric levels, as words. */
const LEVEL_NAMES: Record<number, string> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
}

/**
 * A destination for pino that writes each JSON record as one readable line on `out`:
 * `09:20:01 GET /api/v1/runs 200 3.1 ms` for the access log, `09:20:01 warn <message>: <error>`
 * for the rest (the level shown when it is not info).
 */
export function textLogDestination(out: NodeJS.WritableStream): { write(line: string): void } {
  return {
    write(line: string) {
      let record: Record<string, unknown>
      try {
        record = JSON.parse(line) as Record<string, unknown>
      } catch {
        out.write(line.endsWith('\n') ? line : `${line}\n`)
        return
      }
      const time = new Date(typeof record.time === 'number' ? record.time : Date.now())
        .toISOString()
        .slice(11, 19)
      const level = LEVEL_NAMES[typeof record.level === 'number' ? record.level : 30] ?? 'info'
      const err = record.err as { message?: unknown } | undefined
      const why = err && typeof err.message === 'string' ? `: ${err.message}` : ''
      out.write(`${time}${level === 'info' ? '' : ` ${level}`} ${String(record.msg ?? '')}${why}\n`)
    },
  }
}

function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (signal: string) => {
      process.off('SIGINT', on)
      process.off('SIGTERM', on)
      resolve(signal)
    }
    process.on('SIGINT', on)
    process.on('SIGTERM', on)
  })
}

/** `langperf serve`: serves the API (and the dashboard when plugged in) until a signal. */
export async function serveCommand(ctx: Ctx, options: ServeOptions, deps: ServeDeps = {}): Promise<number> {
  const host = options.host ?? '127.0.0.1'
  const port = options.port ?? DEFAULT_PORT
  const level = options.logLevel ?? 'info'
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new LangperfError(
      'bad-input',
      `Cannot serve: expected --log-level to be one of ${LOG_LEVELS.join(', ')}, found "${level}"`,
    )
  }
  const format = options.logFormat ?? 'text'
  if (!(LOG_FORMATS as readonly string[]).includes(format)) {
    throw new LangperfError(
      'bad-input',
      `Cannot serve: expected --log-format to be one of ${LOG_FORMATS.join(', ')}, found "${format}"`,
    )
  }
  const web = deps.web ?? createWebRoutes(dashboardOptions(options, ctx.env, 'serve'))
  const logger = pino(
    { level, base: { name: 'langperf' } },
    format === 'json' ? ctx.io.err : textLogDestination(ctx.io.err),
  )
  const config = options.config === undefined ? undefined : await loadConfigFile(options)
  const runtimes = config === undefined ? [] : runtimeSources(config)
  const silentHours = options.farmSilentHours ?? DEFAULT_SILENT_AFTER_MS / 3_600_000
  if (!(silentHours > 0 && silentHours <= 24 * 366)) {
    throw new LangperfError(
      'bad-input',
      `Cannot serve: expected --farm-silent-hours between 0 and 8784, found ${silentHours}`,
    )
  }
  const location = storeLocation(options, ctx.env)
  const store = await openStore(location, {
    ...(options.pgSchema === undefined ? {} : { schema: options.pgSchema }),
    cacheMb: options.cacheMb ?? DEFAULT_SERVE_CACHE_MB,
  })
  const stop = deps.stop ?? untilSignal()
  let farm: FarmQueue | undefined
  let silence: { stop(): Promise<void> } | undefined
  try {
    farm = await openFarm(options, location)
    // The queues of every registered agent are watched from the start, so that a job whose
    // agent died while no server ran goes back to waiting.
    if (farm !== undefined) await farm.watch((await store.listAgents()).map((a) => a.machine))
    // Machines whose agents went silent: "no results from M since …", sent to the configuration's targets.
    silence =
      farm === undefined
        ? undefined
        : startSilenceWatch({
            store,
            farm,
            silentAfterMs: silentHours * 3_600_000,
            transports: (config?.notify ?? []).map((t) => createTransport(t, ctx.env)),
            portalUrl: options.portalUrl ?? ctx.env.LANGPERF_PORTAL_URL ?? `http://${host}:${port}`,
            log: (line) => log(ctx.io, `langperf: ${line}`),
          })
    const app = await buildServer(store, { logger, web, runtimes, ...(farm === undefined ? {} : { farm }) })
    let address: string
    try {
      address = await app.listen({ host, port })
    } catch (error) {
      await app.close()
      const why = error instanceof Error ? error.message : String(error)
      throw new LangperfError('unavailable', `Cannot serve on ${host}:${port}: ${why}`, { cause: error })
    }
    log(
      ctx.io,
      `langperf serving ${address} (API under /api/v1, OpenAPI at /api/v1/openapi.json); Ctrl-C stops`,
    )
    // In the background: what a series' first visit reads, into the page cache, then the
    // dashboard's main pages made once, so their first visitor does not wait for what they derive
    // from the store.
    void store
      .primeReads()
      .then((p) => log(ctx.io, `langperf: ${p.note}`))
      .then(() => warmPages(app))
      .then((w) =>
        log(
          ctx.io,
          `langperf: warmed ${w.ok} of ${w.pages} dashboard pages in ${(w.ms / 1000).toFixed(1)} s`,
        ),
      )
      .catch((error: unknown) =>
        log(ctx.io, `langperf: warm-up stopped: ${error instanceof Error ? error.message : String(error)}`),
      )
    const signal = await stop
    log(ctx.io, `langperf: ${typeof signal === 'string' ? signal : 'stop'} received, closing`)
    await app.close()
    return 0
  } finally {
    await silence?.stop()
    await farm?.close()
    await store.close()
  }
}

/** The dashboard's options from `--commit-url` or $LANGPERF_COMMIT_URL, checked (bad-input when malformed). */
export function dashboardOptions(
  options: { readonly commitUrl?: string },
  env: NodeJS.ProcessEnv,
  action: string,
): { commitUrl?: string; version: string } {
  const pattern = options.commitUrl ?? env.LANGPERF_COMMIT_URL
  try {
    const commitUrl = checkCommitUrl(pattern)
    return { ...(commitUrl === undefined ? {} : { commitUrl }), version: '0.1.0' }
  } catch {
    throw new LangperfError(
      'bad-input',
      `Cannot ${action}: expected --commit-url (or $LANGPERF_COMMIT_URL) to be an http(s) URL containing {sha}, like https://github.com/python/cpython/commit/{sha}, found ${JSON.stringify(pattern)}`,
    )
  }
}
