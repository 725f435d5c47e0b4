import { LangperfError } from '../lib/index.ts'
import type { BuildCatalog, RunReader } from '../store/index.ts'

// Resolves what people type to name a run: `12` (a run id), `latest`, or a build: a version
// (`3.12.1`, or a prefix such as `3.12` when only one build matches), `cpython-3.12.1`, or a
// commit prefix of at least 4 hex digits; a build names its newest run.

/** The run a selector names, or a clear error that lists what would have matched. */
export async function resolveRunSelector(store: RunReader & BuildCatalog, selector: string): Promise<number> {
  const text = selector.trim()
  if (/^\d+$/.test(text)) {
    const id = Number(text)
    if (!(await store.getRun(id)))
      throw new LangperfError(
        'not-found',
        `Cannot find run ${id}: no run has that id (see \`langperf show\`)`,
      )
    return id
  }
  if (text === 'latest') {
    const page = await store.listRuns({ limit: 1 })
    const row = page.rows[0]
    if (!row)
      throw new LangperfError('not-found', 'Cannot find the latest run: the database holds no run yet')
    return row.id
  }
  const labelMatch = /^([a-z][a-z0-9_]*)-(\d.*)$/.exec(text)
  const runtime = labelMatch?.[1]
  const version = labelMatch?.[2] ?? text
  const builds = await store.findBuilds({ limit: 1000, ...(runtime ? { runtime } : {}) })
  let matches = builds.filter((b) => b.version === version)
  if (matches.length === 0)
    matches = builds.filter((b) => b.version.startsWith(version) && /^\d/.test(version))
  if (matches.length === 0 && /^[0-9a-f]{4,40}$/i.test(text)) {
    matches = builds.filter((b) => b.commitSha?.toLowerCase().startsWith(text.toLowerCase()))
  }
  if (matches.length === 0) {
    throw new LangperfError(
      'not-found',
      `Cannot find a run for "${selector}": expected a run id, "latest", a version, runtime-version or commit prefix that matches a stored build`,
    )
  }
  const ids = new Set(matches.map((b) => b.id))
  if (ids.size > 1) {
    const names = matches
      .slice(0, 8)
      .map((b) => `${b.runtime}-${b.version} ${b.config}${b.commitSha ? ` ${b.commitSha.slice(0, 10)}` : ''}`)
    throw new LangperfError(
      'bad-input',
      `Cannot choose a run for "${selector}": it matches ${ids.size} builds (${names.join('; ')}); give a run id or a longer selector`,
    )
  }
  const page = await store.listRuns({ buildId: matches[0]!.id, limit: 1 })
  const row = page.rows[0]
  if (!row)
    throw new LangperfError('not-found', `Cannot find a run of build "${selector}": the build has no run`)
  return row.id
}
