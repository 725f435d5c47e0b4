import { ApiError } from '../../api/index.ts'
import type { PageContext, PageResult } from '../context.ts'
import { Layout, renderDocument } from '../html.tsx'
import type { PageRef } from '../links.ts'
import { agentsPage } from './agents.tsx'
import { alertPage, alertsPage } from './alerts.tsx'
import { comparePage } from './compare.tsx'
import { comparePickerPage } from './compare-picker.tsx'
import { matrixPage } from './matrix.tsx'
import { overviewPage } from './overview.tsx'
import { Notice } from './parts.tsx'
import { profileDiffPage, profilePage } from './profiles.tsx'
import { releasePage, releasesPage } from './releases.tsx'
import { machinePage, runPage } from './run.tsx'
import { timelinePage } from './timeline.tsx'
import { workloadsPage } from './workloads.tsx'

// One entry point for every page: a PageRef in, the HTML document and its status out. Used by
// the server's routes and by the static report alike.

/** The page's content for `ref`, read through the API of `ctx`. */
export async function loadPage(ctx: PageContext, ref: PageRef): Promise<PageResult> {
  switch (ref.page) {
    case 'overview':
      return overviewPage(ctx, ref.baseline ?? null)
    case 'workloads':
      return workloadsPage(ctx, ref)
    case 'timeline':
      return timelinePage(ctx, ref)
    case 'compare':
      return comparePage(ctx, ref)
    case 'compare-picker':
      return comparePickerPage(ctx, ref)
    case 'matrix':
      return matrixPage(ctx, ref)
    case 'alerts':
      return alertsPage(ctx, ref.filters ?? {})
    case 'alert':
      return alertPage(ctx, ref.id)
    case 'run':
      return runPage(ctx, ref.id)
    case 'profile':
      return profilePage(ctx, ref.id)
    case 'profile-diff':
      return profileDiffPage(ctx, ref.id, ref.base)
    case 'machine':
      return machinePage(ctx, ref.name)
    case 'agents':
      return agentsPage(ctx)
    case 'releases':
      return releasesPage(ctx)
    case 'release':
      return releasePage(ctx, ref)
  }
}

/** An error page: what was asked for and why it cannot be shown. */
export function errorPage(status: number, message: string): PageResult {
  const title = status === 404 ? 'Not found' : status < 500 ? 'Bad request' : 'Error'
  return {
    status,
    title,
    section: 'error',
    body: (
      <>
        <h1>{title}</h1>
        <Notice kind="error">{message}</Notice>
      </>
    ),
  }
}

/**
 * The HTML document of `ref` with its HTTP status. The API's 4xx answers (no such run, a bad
 * selector) become error pages with the API's sentence; anything else is a bug and is thrown.
 */
export async function renderPage(ctx: PageContext, ref: PageRef): Promise<{ status: number; html: string }> {
  let page: PageResult
  try {
    page = await loadPage(ctx, ref)
  } catch (error) {
    if (!(error instanceof ApiError) || error.statusCode >= 500) throw error
    page = errorPage(error.statusCode, error.message)
  }
  const html = renderDocument(
    <Layout
      title={page.title}
      section={page.section}
      links={ctx.links}
      version={ctx.version}
      {...(ctx.generatedAt === undefined ? {} : { generatedAt: ctx.generatedAt })}
    >
      {page.body}
    </Layout>,
  )
  return { status: page.status, html }
}
