import { resolve } from 'node:path'
import { type ApiClient, createApiClient } from '../../api/index.ts'
import { LangperfError } from '../../lib/index.ts'
import { buildServer } from '../../server/index.ts'
import { openStore } from '../../store/index.ts'
import { renderSite } from '../../web/index.ts'
import { type CommonOptions, type Ctx, existingStoreLocation } from '../context.ts'
import { log } from '../output.ts'
import { dashboardOptions } from './serve.ts'

// `langperf report --out DIR`: the dashboard as a static site. The pages are the server's, read
// through the same API answered in-process (no socket), written with relative links and their
// data embedded, so DIR can be opened from disk or published on any static host.

/** Options of `langperf report`. */
export interface ReportOptions extends CommonOptions {
  readonly out: string
  /** Read from this langperf server's API instead of a database. */
  readonly baseUrl?: string
  readonly commitUrl?: string
  readonly maxPages?: number
}

/** Writes the site from `api` and prints where it is. */
async function write(ctx: Ctx, api: ApiClient, options: ReportOptions): Promise<number> {
  const out = resolve(options.out)
  const dashboard = dashboardOptions(options, ctx.env, 'write the report')
  const report = await renderSite(api, out, {
    ...dashboard,
    ...(options.maxPages === undefined ? {} : { maxPages: options.maxPages }),
    onPage: (_path, n) => {
      if (n % 100 === 0) log(ctx.io, `langperf report: ${n} pages written`)
    },
  })
  log(
    ctx.io,
    `langperf report: wrote ${report.pages.length} pages and ${report.data.length} data files to ${out}${report.skipped > 0 ? ` (${report.skipped} linked pages left out past --max-pages)` : ''}`,
  )
  if (options.json === true) {
    ctx.io.out.write(
      `${JSON.stringify({ out, pages: report.pages.length, skipped: report.skipped, index: resolve(out, 'index.html') })}\n`,
    )
  } else {
    ctx.io.out.write(`${resolve(out, 'index.html')}\n`)
  }
  return 0
}

/** `langperf report`: writes the static site and prints where (stdout: the index's path). */
export async function reportCommand(ctx: Ctx, options: ReportOptions): Promise<number> {
  dashboardOptions(options, ctx.env, 'write the report')
  if (options.baseUrl !== undefined) {
    if (!/^https?:\/\/\S+$/.test(options.baseUrl)) {
      throw new LangperfError(
        'bad-input',
        `Cannot write the report: expected --base-url to be an http(s) URL of a langperf server, found ${JSON.stringify(options.baseUrl)}`,
      )
    }
    return write(ctx, createApiClient(options.baseUrl), options)
  }
  const store = await openStore(existingStoreLocation(options, ctx.env))
  try {
    // The API without a socket: the client the server hands its dashboard hook, answered in-process.
    let api: ApiClient | undefined
    const app = await buildServer(store, {
      web: {
        register: (_app, context) => {
          api = context.api
        },
      },
    })
    try {
      if (api === undefined)
        throw new LangperfError('internal', 'The server did not hand its API client to the report')
      return await write(ctx, api, options)
    } finally {
      await app.close()
    }
  } finally {
    await store.close()
  }
}
