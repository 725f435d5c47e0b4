import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { ApiClient } from '../api/index.ts'
import { loadAssets } from './assets.ts'
import { allPages, Memo, type PageContext } from './context.ts'
import { type PageRef, staticLinks, staticPath } from './links.ts'
import { renderPage } from './pages/index.tsx'

// The static report (`langperf report --out DIR`): the dashboard's pages written as files with
// relative links, the islands' data embedded in each page and the API's main answers as JSON
// beside them, so the directory works from file:// or any static host. The pages to write are
// found the way a crawler would: start from the overview, the alerts, the matrix and every run,
// and write every page a written page links to, up to a bound.

/** Options of renderSite. */
export interface RenderSiteOptions {
  /** Commit URL pattern with `{sha}`. */
  readonly commitUrl?: string
  /** langperf's version, in the footer. */
  readonly version?: string
  /** Where the built assets are; dist/web when absent. */
  readonly assetsDir?: string
  /** The clock, for the footer's generation time. */
  readonly now?: () => Date
  /** Most pages to write (5,000 when absent); links past it are left out and counted. */
  readonly maxPages?: number
  /** Called after each page is written, with its path relative to the site. */
  readonly onPage?: (path: string, written: number) => void
}

/** What renderSite wrote. */
export interface SiteReport {
  /** Pages written, paths relative to the site, in the order written. */
  readonly pages: readonly string[]
  /** Pages linked to but not written because of maxPages. */
  readonly skipped: number
  /** JSON files of API answers written under data/. */
  readonly data: readonly string[]
}

/** Writes the dashboard as a static site into `outDir`, reading everything through `api`. */
export async function renderSite(
  api: ApiClient,
  outDir: string,
  options: RenderSiteOptions = {},
): Promise<SiteReport> {
  const assets = loadAssets(options.assetsDir)
  const maxPages = options.maxPages ?? 5000
  const generatedAt = (options.now?.() ?? new Date()).toISOString()
  const seen = new Set<string>()
  const queue: PageRef[] = []
  let skipped = 0
  const enqueue = (ref: PageRef) => {
    const path = staticPath(ref)
    if (seen.has(path)) return
    seen.add(path)
    if (seen.size > maxPages) {
      skipped++
      return
    }
    queue.push(ref)
  }
  enqueue({ page: 'overview' })
  enqueue({ page: 'workloads' })
  enqueue({ page: 'alerts' })
  enqueue({ page: 'matrix', baseline: null, machine: null })
  enqueue({ page: 'releases' })
  const runs = await allPages((offset, limit) => api.listRuns({ query: { offset, limit } }), maxPages)
  for (const r of runs) enqueue({ page: 'run', id: r.id })

  await mkdir(join(outDir, 'assets'), { recursive: true })
  for (const asset of assets.files.values()) await writeFile(join(outDir, 'assets', asset.name), asset.bytes)

  const memo = new Memo()
  const pages: string[] = []
  for (let i = 0; i < queue.length; i++) {
    const ref = queue[i]!
    const path = staticPath(ref)
    const links = staticLinks(path, {
      ...(options.commitUrl === undefined ? {} : { commitUrl: options.commitUrl }),
      record: enqueue,
    })
    const ctx: PageContext = {
      api,
      links,
      version: options.version ?? '0.1.0',
      generatedAt,
      canTriage: false,
      memo,
    }
    const { html } = await renderPage(ctx, ref)
    await mkdir(dirname(join(outDir, path)), { recursive: true })
    await writeFile(join(outDir, path), html)
    pages.push(path)
    options.onPage?.(path, pages.length)
  }

  // The API's main answers, for readers and scripts that want the numbers behind the pages.
  const data: [string, unknown][] = [
    ['overview.json', await api.overview()],
    ['runtimes.json', await api.listRuntimes()],
    [
      'machines.json',
      { items: await allPages((offset, limit) => api.listMachines({ query: { offset, limit } })) },
    ],
    ['runs.json', { items: runs }],
    [
      'alerts.json',
      { items: await allPages((offset, limit) => api.listAlerts({ query: { offset, limit } })) },
    ],
    [
      'series.json',
      { items: await allPages((offset, limit) => api.listSeries({ query: { offset, limit } }), 100_000) },
    ],
  ]
  await mkdir(join(outDir, 'data'), { recursive: true })
  for (const [name, value] of data) await writeFile(join(outDir, 'data', name), `${JSON.stringify(value)}\n`)
  return { pages, skipped, data: data.map(([name]) => `data/${name}`) }
}
