import { type RangeCommit, rangeCommits } from '../build/index.ts'
import { LangperfError, quote } from '../lib/index.ts'
import { linkFromTemplate } from '../model/index.ts'
import type { AlertDetail } from '../store/index.ts'
import type { RuntimeSource } from './types.ts'

// The commits of an alert's blame range, read with git from the runtime's local mirror (the one
// the nightly keeps under its cache), with links from the runtime's commit_url / compare_url.

const HEX_SHA = /^[0-9a-f]{7,64}$/i
/** A git call reading a range stops after this long. */
const GIT_TIMEOUT_MS = 15_000

/** The API's answer for one alert's range. */
export async function alertCommits(alert: AlertDetail, runtimes: readonly RuntimeSource[], limit: number) {
  const src = runtimes.find((r) => r.name === alert.runtime)
  const link = (sha: string) => linkFromTemplate(src?.commitUrl, { sha }) ?? null
  const base = {
    runtime: alert.runtime,
    lastGoodCommit: alert.lastGoodCommit,
    firstBadCommit: alert.firstBadCommit,
    lastGoodUrl: link(alert.lastGoodCommit),
    firstBadUrl: link(alert.firstBadCommit),
    compareUrl:
      linkFromTemplate(src?.compareUrl, { from: alert.lastGoodCommit, to: alert.firstBadCommit }) ?? null,
  }
  const notListed = (reason: string) => ({ ...base, listed: false, reason, total: null, commits: [] })
  if (src === undefined) {
    return notListed(
      `Runtime ${quote(alert.runtime)} is not in the server's configuration (langperf serve --config FILE), so no mirror is known`,
    )
  }
  if (src.gitDir === null) {
    return notListed(
      `No local mirror of ${quote(src.remote, 200)} yet: the nightly clones it on its first run`,
    )
  }
  if (!HEX_SHA.test(alert.lastGoodCommit) || !HEX_SHA.test(alert.firstBadCommit)) {
    return notListed('The builds at the ends of the range were stored without commits')
  }
  let listed: { readonly commits: readonly RangeCommit[]; readonly total: number }
  try {
    listed = await rangeCommits(
      { remote: src.remote, gitDir: src.gitDir },
      alert.lastGoodCommit,
      alert.firstBadCommit,
      { limit, timeoutMs: GIT_TIMEOUT_MS },
    )
  } catch (error) {
    if (!(error instanceof LangperfError)) throw error
    return notListed(
      error.code === 'not-found'
        ? 'The local mirror does not hold both ends of the range (it may not have been fetched since)'
        : `Cannot read the local mirror: ${error.message}`,
    )
  }
  return {
    ...base,
    listed: true,
    reason: null,
    total: listed.total,
    commits: listed.commits.map((c) => ({ ...c, url: link(c.sha) })),
  }
}
