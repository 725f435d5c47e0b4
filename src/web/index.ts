/**
 * The dashboard: server-rendered pages (Preact) with islands for the interactive parts (the uPlot
 * timeline, compare filtering and Markdown export, the matrix's baseline, triage), reading data
 * only through the API client. The same pages make the static report (`langperf report`).
 * See docs/dashboard.md.
 */
export { type Assets, DEFAULT_ASSETS_DIR, loadAssets, REQUIRED_ASSETS } from './assets.ts'
export type { PageContext, PageResult } from './context.ts'
export * from './format.ts'
export { Island, jsonForScript, Layout, renderDocument } from './html.tsx'
export type * from './islands.ts'
export * from './links.ts'
export { compareMarkdown, escapeMarkdown } from './markdown.ts'
export { loadPage, renderPage } from './pages/index.tsx'
export {
  createWebRoutes,
  PAGE_CSP,
  registerWebRoutes,
  releaseLinks,
  timelineLinks,
  timelineRef,
  WARM_PAGES,
  WARM_RELEASE_PAGES,
  type WebOptions,
  type WebRoutesLike,
  warmPages,
} from './routes.tsx'
export { type RenderSiteOptions, renderSite, type SiteReport } from './site.ts'
