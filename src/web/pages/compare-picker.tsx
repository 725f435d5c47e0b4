import { DEFAULT_MIN_EFFECT } from '../../model/index.ts'
import type { PageContext, PageResult, Run } from '../context.ts'
import { formatDay, shortSha } from '../format.ts'
import { ComparePicker, formatThreshold } from './compare.tsx'
import { RELEASE_RE } from './overview.tsx'

// `/compare` without a candidate: a GET form to pick two builds (a run, `latest`, a release, a
// commit prefix) with the threshold of the verdict, filled in with the two newest builds of one
// runtime and config on one machine, and the newest runs and releases offered as suggestions.

/** Runs read for the defaults and the suggestions. */
const RECENT_RUNS = 100

/** `cpython 3.14.0a1+ jit abc0060000 on ci-box · 2024-10-07`. */
function label(r: Run): string {
  const b = r.build
  return `${b.runtime} ${b.version}${b.config !== 'default' ? ` ${b.config}` : ''}${b.commitSha !== null ? ` ${shortSha(b.commitSha)}` : ''}${b.branch !== null ? ` (${b.branch})` : ''} on ${r.machine} · ${formatDay(b.commitDateUtc ?? r.startedAt)}`
}

/**
 * The default pair: the newest complete run, and the newest run before it of another build of the
 * same runtime and config on the same machine (the same branch preferred).
 */
export function defaultPair(runs: readonly Run[]): { base: Run; candidate: Run } | undefined {
  const candidate = runs[0]
  if (candidate === undefined) return undefined
  const same = runs.filter(
    (r) =>
      r.machine === candidate.machine &&
      r.build.runtime === candidate.build.runtime &&
      r.build.config === candidate.build.config &&
      r.build.id !== candidate.build.id,
  )
  const base = same.find((r) => r.build.branch === candidate.build.branch) ?? same[0]
  return base === undefined ? undefined : { base, candidate }
}

/** The picker page; `base` and `threshold` (percent) prefill the form when given. */
export async function comparePickerPage(
  ctx: PageContext,
  ref: { readonly base?: string | null; readonly threshold?: number | null },
): Promise<PageResult> {
  const runs = (await ctx.api.listRuns({ query: { status: 'complete', limit: RECENT_RUNS } })).items
  const pair = defaultPair(runs)
  const releases = [
    ...new Set(
      runs
        .filter((r) => RELEASE_RE.test(r.build.version))
        .map((r) => `${r.build.runtime}-${r.build.version}`),
    ),
  ]
  const suggestions = [
    { value: 'latest', label: 'the run stored last' },
    ...runs.map((r) => ({ value: String(r.id), label: `run ${r.id}: ${label(r)}` })),
    ...releases.map((v) => ({ value: v, label: `the newest run of ${v}` })),
  ]
  const base = ref.base ?? (pair === undefined ? '' : String(pair.base.id))
  const candidate =
    pair === undefined ? (runs[0] === undefined ? '' : String(runs[0].id)) : String(pair.candidate.id)
  const threshold = ref.threshold ?? DEFAULT_MIN_EFFECT * 100
  const body = (
    <>
      <h1>Compare</h1>
      <p class="lede">
        Pick two builds: a run id, <code>build:ID</code>, <code>latest</code>, a release (<code>3.12.1</code>{' '}
        or <code>cpython-3.12.1</code>) or a commit prefix. A workload is called slower or faster only when
        its interval excludes 1 and it moved by at least the threshold ({formatThreshold(threshold / 100)}{' '}
        here); otherwise it reads = with its interval.
      </p>
      {runs.length === 0 ? (
        <p class="empty">No complete run yet: there is nothing to compare.</p>
      ) : (
        <>
          <ComparePicker selectors={{ base, candidate }} threshold={threshold} suggestions={suggestions} />
          {pair !== undefined ? (
            <p class="small muted">
              Filled in: the newest build, {label(pair.candidate)}, against the build before it of the same
              runtime and config on the same machine, {label(pair.base)}.
            </p>
          ) : null}
        </>
      )}
    </>
  )
  return { status: 200, title: 'Compare', section: 'compare', body }
}
