import { readFile } from 'node:fs/promises'
import { basename } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { gunzipSync } from 'node:zlib'
import { ApiError, createApiClient, type LangperfRunDocumentInput } from '../../api/index.ts'
import { LangperfError } from '../../lib/index.ts'
import type { Ctx } from '../context.ts'
import { log, printJson, println } from '../output.ts'

// `langperf upload FILE…`: sends result files made elsewhere (someone's CI) to a langperf server
// with a token: langperf-run documents to POST /api/v1/runs, pyperf JSON (plain or gzip) to
// POST /api/v1/runs/pyperf. Each file is sent on its own; the command fails if any did. The
// server stores a file's content once: a file sent again is answered with the run stored before,
// and the command says so (a CI job retried after a lost answer stores nothing twice). A file
// whose request failed without an answer (connection refused or reset: the server restarting) or
// with a 5xx is sent again, `--tries` times in all, 2 s apart: that is safe for the same reason.

/** Options of `langperf upload`. */
export interface UploadOptions {
  readonly server: string
  /** An agent or admin token; $LANGPERF_TOKEN when absent. */
  readonly token?: string
  /** pyperf only: overrides of what the metadata implies. */
  readonly runtime?: string
  readonly config?: string
  readonly machine?: string
  readonly branch?: string
  readonly json?: boolean
  /** Sends of one file that fail without an answer or with a 5xx, in all; 5 when absent. */
  readonly tries?: string
}

/** Pause between two sends of a file. */
const RETRY_PAUSE_MS = 2000

/** What one file became. */
interface Uploaded {
  readonly file: string
  readonly format: 'langperf-run' | 'pyperf'
  readonly runIds: readonly number[]
  /** False when the server had stored the same content before: nothing new was stored. */
  readonly stored: boolean
}

const GZIP_MAGIC = [0x1f, 0x8b]

/** The format of a file's bytes: a langperf-run document or a pyperf file, else bad-input. */
function formatOf(file: string, bytes: Buffer): { format: 'langperf-run' | 'pyperf'; json: unknown } {
  const gzip = bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1]
  let json: unknown
  try {
    json = JSON.parse((gzip ? gunzipSync(bytes) : bytes).toString('utf8'))
  } catch (error) {
    throw new LangperfError(
      'bad-input',
      `Cannot upload ${JSON.stringify(file)}: expected JSON (plain or gzip), found ${error instanceof Error ? error.message : String(error)}`,
    )
  }
  const doc = json as { format?: unknown; version?: unknown; benchmarks?: unknown }
  if (doc?.format === 'langperf-run') return { format: 'langperf-run', json }
  if (doc?.version === '1.0' && Array.isArray(doc.benchmarks)) return { format: 'pyperf', json }
  throw new LangperfError(
    'bad-input',
    `Cannot upload ${JSON.stringify(file)}: expected a langperf-run document ("format": "langperf-run") or a pyperf 1.0 file, found neither`,
  )
}

/** `langperf upload FILE…`: every file, each on its own; 1 when any failed. */
export async function uploadCommand(
  ctx: Ctx,
  files: readonly string[],
  options: UploadOptions,
): Promise<number> {
  const token = options.token ?? ctx.env.LANGPERF_TOKEN
  if (token === undefined || token === '') {
    throw new LangperfError('bad-input', 'Cannot upload: expected --token or $LANGPERF_TOKEN, found neither')
  }
  if (!/^https?:\/\//.test(options.server)) {
    throw new LangperfError(
      'bad-input',
      `Cannot upload: expected --server to be an http(s) URL, found ${JSON.stringify(options.server)}`,
    )
  }
  if (files.length === 0) throw new LangperfError('bad-input', 'Cannot upload: expected at least one FILE')
  const tries = triesOf(options.tries)
  const api = createApiClient(options.server, { token })
  const done: Uploaded[] = []
  let failed = 0
  for (const file of files) {
    try {
      const bytes = await readFile(file)
      const { format, json } = formatOf(file, bytes)
      const send = () =>
        format === 'langperf-run'
          ? api.ingestRun({ body: json as LangperfRunDocumentInput })
          : api.ingestPyperf({
              body: bytes,
              gzip: bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1],
              query: {
                name: basename(file),
                ...(options.runtime === undefined ? {} : { runtime: options.runtime }),
                ...(options.config === undefined ? {} : { config: options.config }),
                ...(options.machine === undefined ? {} : { machine: options.machine }),
                ...(options.branch === undefined ? {} : { branch: options.branch }),
              },
            })
      const answer = await withRetries(send, tries, (why, attempt) =>
        log(ctx.io, `${file}: send ${attempt} of ${tries} failed (${why}); sending again in 2 s`),
      )
      const runIds = answer.runs.map((r) => r.id)
      const stored = answer.runs.some((r) => r.stored)
      done.push({ file, format, runIds, stored })
      if (!options.json) {
        println(
          ctx.io,
          stored
            ? `${file}: stored as run ${runIds.join(', ')} (${format})`
            : `${file}: already stored as run ${runIds.join(', ')} (${format}): the same content was uploaded before, nothing stored again`,
        )
      }
    } catch (error) {
      failed++
      const why =
        error instanceof ApiError || error instanceof LangperfError || error instanceof Error
          ? error.message
          : String(error)
      log(ctx.io, `${file}: not stored: ${why}`)
    }
  }
  if (options.json) printJson(ctx.io, { uploaded: done, failed })
  if (failed > 0) log(ctx.io, `${failed} of ${files.length} file${files.length === 1 ? '' : 's'} not stored`)
  return failed > 0 ? 1 : 0
}

/** `--tries`: a whole number from 1 to 100. */
function triesOf(raw: string | undefined): number {
  if (raw === undefined) return 5
  const n = Number(raw)
  if (!/^\d+$/.test(raw) || n < 1 || n > 100) {
    throw new LangperfError(
      'bad-input',
      `Cannot upload: expected --tries to be 1 to 100, found ${JSON.stringify(raw)}`,
    )
  }
  return n
}

/**
 * `send()`, again after a failure without an answer (a network error) or with a 5xx, `tries`
 * times in all; a 4xx is the server's answer and is not sent again.
 */
async function withRetries<T>(
  send: () => Promise<T>,
  tries: number,
  onRetry: (why: string, attempt: number) => void,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send()
    } catch (error) {
      const answered = error instanceof ApiError && error.statusCode < 500
      if (answered || attempt >= tries) throw error
      onRetry(error instanceof Error ? error.message : String(error), attempt)
      await sleep(RETRY_PAUSE_MS)
    }
  }
}
