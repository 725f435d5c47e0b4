import { LangperfError } from '../lib/index.ts'
import type { BuildCatalog, RunReader, RunRow } from '../store/index.ts'

// Resolves what people type to name a run: `12` (a run id), `latest`, or a build: a version
// (`3.12.1`, or a prefix such as `3.12` when only one build matches), `cpython-3.12.1`, or a
// commit prefix of at least 4 hex digits; a build names its newest run. `latest` is the run
// stored last (an import just made, although its runs were measured long ago). `latest` and a build
// skip runs that hold no result (a run interrupted before its first workload finished): there is
// nothing in them to compare or export. A run id is taken as given. `base:SELECTOR` names the run
// of the merge base of the build SELECTOR names (bench_runner records it for every build: a fork's
// branch point on main, or a main commit's parent), on the same machine, runtime and config.

/** Runs looked at, newest first, for one with results. */
const RUNS_SCANNED = 100
/** Builds named in the error of an ambiguous selector. */
const BUILDS_NAMED = 12

/** The run a selector names, or a clear error that lists what would have matched. */
export async function resolveRunSelector(store: RunReader & BuildCatalog, selector: string): Promise<number> {
  const text = selector.trim()
  const base = /^base:(.+)$/.exec(text)
  if (base?.[1]) {
    const found = await mergeBaseRun(store, await resolveRunSelector(store, base[1]))
    if ('reason' in found)
      throw new LangperfError('not-found', `Cannot find a run for "${selector}": ${found.reason}`)
    return found.run.id
  }
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
    const page = await store.listRuns({ order: 'stored', limit: RUNS_SCANNED })
    if (page.rows.length === 0)
      throw new LangperfError('not-found', 'Cannot find the latest run: the database holds no run yet')
    return withResults(page.rows, 'the latest run', page.total)
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
      .slice(0, BUILDS_NAMED)
      .map(
        (b) =>
          `${b.runtime}-${b.version} ${b.config}${b.branch ? ` ${b.branch}` : ''}${b.commitSha ? ` ${b.commitSha.slice(0, 10)}` : ''}`,
      )
    const more = ids.size > names.length ? ` and ${ids.size - names.length} more` : ''
    throw new LangperfError(
      'bad-input',
      `Cannot choose a run for "${selector}": it matches ${ids.size} builds (${names.join('; ')}${more}); give a run id or a longer selector`,
    )
  }
  const page = await store.listRuns({ buildId: matches[0]!.id, limit: RUNS_SCANNED })
  if (page.rows.length === 0)
    throw new LangperfError('not-found', `Cannot find a run of build "${selector}": the build has no run`)
  return withResults(page.rows, `a run of "${selector}"`, page.total)
}

/** The newest of `rows` (newest first) holding a result, or an error saying the runs are empty. */
function withResults(rows: readonly RunRow[], what: string, total: number): number {
  const row = rows.find((r) => r.resultCount > 0)
  if (row) return row.id
  const scanned =
    rows.length < total ? `the ${rows.length} newest of ${total} runs` : `its ${rows.length} run(s)`
  throw new LangperfError(
    'not-found',
    `Cannot use ${what}: ${scanned} hold no result (interrupted before a workload finished: run ${rows[0]?.id}, status ${rows[0]?.status}); give a run id (\`langperf show\` lists them)`,
  )
}

/**
 * The run of run `runId`'s merge base: the newest run with results of a build of the same runtime
 * and config whose commit is the merge base, on the same machine; or why there is none.
 */
export async function mergeBaseRun(
  store: RunReader & BuildCatalog,
  runId: number,
): Promise<{ readonly run: RunRow } | { readonly reason: string }> {
  const run = await store.getRun(runId)
  if (!run) return { reason: `no run ${runId}` }
  const b = run.build
  const mergeBase = b.mergeBase?.toLowerCase() ?? null
  if (mergeBase === null || !/^[0-9a-f]{7,64}$/.test(mergeBase)) {
    return { reason: `run ${runId}'s build records no merge base` }
  }
  const builds = await store.findBuilds({
    runtime: b.runtime,
    config: b.config,
    commitPrefix: mergeBase.slice(0, 7),
    limit: 100,
  })
  // The merge base is recorded in full; a build's commit may be the short id its file recorded.
  const same = builds.filter((x) => {
    const sha = x.commitSha?.toLowerCase()
    return sha !== undefined && x.id !== b.id && (mergeBase.startsWith(sha) || sha.startsWith(mergeBase))
  })
  for (const x of same) {
    const page = await store.listRuns({ buildId: x.id, machine: run.machine, limit: RUNS_SCANNED })
    const row = page.rows.find((r) => r.resultCount > 0)
    if (row) return { run: row }
  }
  return {
    reason: `its merge base ${mergeBase.slice(0, 10)} has no ${b.runtime} ${b.config} run with results on ${run.machine}`,
  }
}
