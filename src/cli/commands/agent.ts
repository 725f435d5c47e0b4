import { existsSync } from 'node:fs'
import { hostname } from 'node:os'
import { resolve } from 'node:path'
import { type BuildContext, buildJob, measureJob, runAgent } from '../../agent/index.ts'
import { createApiClient, FarmMachineName } from '../../api/index.ts'
import { resolveJobs } from '../../build/index.ts'
import { parseDurationMs, parseSizeBytes } from '../../config/index.ts'
import { LangperfError } from '../../lib/index.ts'
import { CONFIG_DEFAULTS } from '../../model/index.ts'
import { loadWorkloadCatalog, type WorkloadCatalog } from '../../runner/index.ts'
import type { Ctx } from '../context.ts'
import { log } from '../output.ts'
import { loadConfigFile } from './pipeline-options.ts'

// `langperf agent`: the farm's agent on a benchmark machine (docs/farm.md). It talks to the
// server only over HTTP with an agent token bound to its machine; SIGTERM or SIGINT stops it,
// releasing the job it runs.

/** Options of `langperf agent`. */
export interface AgentCommandOptions {
  readonly server: string
  /** The agent token; $LANGPERF_TOKEN when absent (keeps it out of the process list). */
  readonly token?: string
  /** The machine's name; the host name when absent. */
  readonly machine?: string
  /** Longest wait of one claim, seconds. */
  readonly claimWait?: number
  /** Stop after this many jobs (tests, one-shot use). */
  readonly maxJobs?: number
  /** Where build jobs keep their mirrors, worktrees and artifacts (default: [build] cache_dir, else .cache/langperf). */
  readonly cacheDir?: string
  /** A langperf.toml whose [build] settings build jobs use and whose defined suites jobs may name (default ./langperf.toml when present). */
  readonly config?: string
}

/**
 * What jobs use of the configuration (`--config`, else ./langperf.toml when present): the build
 * settings (`--cache-dir`, else its `[build]`, else the defaults) and the workload catalog (the
 * built-in suites and those its `[[suites.define]]` defines, checked now so that a bad definition
 * stops the agent before it claims a job).
 */
async function agentSettings(options: AgentCommandOptions): Promise<
  Pick<BuildContext, 'cacheDir' | 'jobs' | 'stepTimeoutMs' | 'maxCacheBytes'> & {
    readonly catalog: WorkloadCatalog
  }
> {
  const config =
    options.config !== undefined || existsSync('langperf.toml') ? await loadConfigFile(options) : undefined
  const b = config?.build
  return {
    catalog: await loadWorkloadCatalog(config ?? null),
    cacheDir: resolve(options.cacheDir ?? b?.cacheDir ?? CONFIG_DEFAULTS.cacheDir),
    jobs: resolveJobs(b?.jobs ?? 'auto'),
    stepTimeoutMs: b?.stepTimeoutMs ?? (parseDurationMs(CONFIG_DEFAULTS.stepTimeout) as number),
    maxCacheBytes: b?.cacheMaxBytes ?? (parseSizeBytes(CONFIG_DEFAULTS.cacheMaxSize) as number),
  }
}

/** `langperf agent --server URL`: claims and runs its machine's jobs until SIGTERM. */
export async function agentCommand(ctx: Ctx, options: AgentCommandOptions): Promise<number> {
  const token = options.token ?? ctx.env.LANGPERF_TOKEN
  if (token === undefined || token === '') {
    throw new LangperfError(
      'bad-input',
      'Cannot start the agent: expected --token or $LANGPERF_TOKEN, found neither',
    )
  }
  if (!/^https?:\/\//.test(options.server)) {
    throw new LangperfError(
      'bad-input',
      `Cannot start the agent: expected --server to be an http(s) URL, found ${JSON.stringify(options.server)}`,
    )
  }
  const machine = options.machine ?? hostname()
  if (!FarmMachineName.safeParse(machine).success) {
    throw new LangperfError(
      'bad-input',
      `Cannot start the agent: expected a machine name of letters, digits, "_", "." and "-", found ${JSON.stringify(machine)} (give one with --machine)`,
    )
  }
  const build = await agentSettings(options)
  const stop = new AbortController()
  const onSignal = (signal: string) => {
    log(ctx.io, `agent ${machine}: ${signal} received, releasing the running job and stopping`)
    stop.abort()
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
  const api = createApiClient(options.server, { token })
  try {
    await runAgent({
      api,
      machine,
      stop: stop.signal,
      run: (job, signal, phase) =>
        job.build === null
          ? measureJob(job, {
              machine,
              env: ctx.env,
              signal,
              cacheDir: build.cacheDir,
              catalog: build.catalog,
            })
          : buildJob(job, {
              machine,
              env: ctx.env,
              signal,
              ...build,
              log: (line) => log(ctx.io, line),
              onPhase: phase,
              // A pair's reference run: an upload like any other, stored once per content.
              uploadReference: async (document) => {
                const id = (await api.ingestRun({ body: document })).runs[0]?.id
                if (id === undefined)
                  throw new LangperfError('internal', 'The server stored no reference run')
                return id
              },
            }),
      log: (line) => log(ctx.io, line),
      info: { hostname: hostname(), version: '0.1.0', pid: process.pid },
      ...(options.claimWait === undefined ? {} : { claimWaitS: options.claimWait }),
      ...(options.maxJobs === undefined ? {} : { maxJobs: options.maxJobs }),
    })
    return 0
  } finally {
    process.off('SIGTERM', onSignal)
    process.off('SIGINT', onSignal)
  }
}
