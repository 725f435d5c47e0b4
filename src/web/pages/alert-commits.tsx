import { TableWrap } from '../components.tsx'
import type { Out, PageContext } from '../context.ts'
import { formatDate } from '../format.ts'
import { Heads } from './alert-evidence.tsx'
import { CommitLink, Notice } from './parts.tsx'

// The commits of an alert's blame range, as the API reads them from the runtime's local mirror:
// date, sha, author, subject (all text from data, escaped by Preact), linked by the runtime's
// commit_url; the whole range by its compare_url. Without a mirror, why not, and the two ends.

type Commits = Out<'getAlertCommits'>

/** Commits listed on the page at most; the rest are counted. */
export const MAX_LISTED = 200

/** A link from the API, used only when it is http(s). */
function safe(url: string | null): string | null {
  return url !== null && /^https?:\/\//i.test(url) ? url : null
}

/** A sha linked by the runtime's template when there is one, else by the dashboard's pattern. */
function Sha(props: { readonly ctx: PageContext; readonly sha: string; readonly url: string | null }) {
  const href = safe(props.url)
  if (href === null) return <CommitLink links={props.ctx.links} sha={props.sha} />
  return (
    <a class="sha" href={href} rel="noopener noreferrer external">
      <code>{props.sha.slice(0, 10)}</code>
    </a>
  )
}

/** The section: the range's commits, or why they cannot be listed and its two ends. */
export function CommitRange(props: { readonly ctx: PageContext; readonly range: Commits }) {
  const { ctx, range: r } = props
  const compare = safe(r.compareUrl)
  const ends = (
    <p class="small">
      last good <Sha ctx={ctx} sha={r.lastGoodCommit} url={r.lastGoodUrl} /> … first bad{' '}
      <Sha ctx={ctx} sha={r.firstBadCommit} url={r.firstBadUrl} />
      {compare !== null ? (
        <>
          {' '}
          ·{' '}
          <a href={compare} rel="noopener noreferrer external">
            compare the range
          </a>
        </>
      ) : null}
    </p>
  )
  if (!r.listed) {
    return (
      <>
        <Notice kind="info">Commits not listed: {r.reason ?? 'no local mirror'}.</Notice>
        {ends}
      </>
    )
  }
  const more = (r.total ?? r.commits.length) - r.commits.length
  return (
    <>
      {ends}
      <p class="small muted commit-count">
        {r.total} commit{r.total === 1 ? '' : 's'} in (last good, first bad], newest first
        {more > 0 ? `; the newest ${r.commits.length} are listed, ${more} more are not` : ''}.
      </p>
      {r.commits.length > 0 ? (
        <TableWrap label="Commits in the blame range">
          <table class="data commits-table">
            <Heads cols={['date', 'commit', 'author', 'subject']} />
            <tbody>
              {r.commits.map((c) => (
                <tr key={c.sha}>
                  <td class="small">{formatDate(c.authorDateUtc)}</td>
                  <td>
                    <Sha ctx={ctx} sha={c.sha} url={c.url} />
                  </td>
                  <td class="small">{c.author}</td>
                  <td>{c.subject}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      ) : null}
    </>
  )
}
