import { CompareTable, GeometricMean, TableWrap } from '../components.tsx'
import {
  allPages,
  clientErrorMessage,
  compareFinished,
  type Out,
  type PageContext,
  type PageResult,
  type Run,
} from '../context.ts'
import { formatDate } from '../format.ts'
import { rowsWithTimelines } from './compare.tsx'
import { compareVersions, RELEASE_RE } from './overview.tsx'
import { Notice } from './parts.tsx'

// Releases: for every runtime, each release against the next one measured on the same machine
// and config (3.12.0 → 3.13.0), with the geometric mean per machine and config and the table by
// workload. A release is a build whose version is a final release (X.Y.Z, no a/b/rc/+ suffix);
// its run on a machine and config is the newest complete run of the newest build of that version
// measured there.

/** Builds read per runtime and config when looking for releases (newest first). */
const MAX_BUILDS = 20_000
/** Builds of one version tried on a machine before giving the version up there. */
const MAX_TRIES = 20

/** One machine and config on which a runtime's releases were measured, oldest release first. */
export interface ReleaseLine {
  readonly machine: string
  readonly runtime: string
  readonly config: string
  /** The run of each release: the newest complete run of the newest build of that version measured there. */
  readonly releases: readonly { readonly version: string; readonly run: Run }[]
}

/** Two consecutive releases of a runtime and where both were measured. */
export interface ReleasePair {
  readonly runtime: string
  readonly from: string
  readonly to: string
  readonly places: readonly {
    readonly machine: string
    readonly config: string
    readonly base: Run
    readonly candidate: Run
  }[]
}

/**
 * Every machine × runtime × config with the runs of its releases, read through the API (the
 * overview's rows name what is measured; the builds list names the releases).
 */
export async function releaseLines(ctx: PageContext, machine?: string): Promise<ReleaseLine[]> {
  const overview = await ctx.api.overview(machine === undefined ? {} : { query: { machine } })
  const read = async (): Promise<ReleaseLine[]> => {
    const places = new Map<string, { machine: string; runtime: string; config: string }>()
    for (const r of overview.rows) {
      places.set(JSON.stringify([r.machine, r.runtime, r.config]), {
        machine: r.machine,
        runtime: r.runtime,
        config: r.config,
      })
    }
    const buildsOf = new Map<string, Promise<Out<'listBuilds'>['items']>>()
    const lines: ReleaseLine[] = []
    for (const p of places.values()) {
      const key = JSON.stringify([p.runtime, p.config])
      if (!buildsOf.has(key)) {
        buildsOf.set(
          key,
          allPages(
            (offset, limit) =>
              ctx.api.listBuilds({ query: { runtime: p.runtime, config: p.config, offset, limit } }),
            MAX_BUILDS,
          ).then((builds) => builds.filter((b) => RELEASE_RE.test(b.version))),
        )
      }
      const builds = await buildsOf.get(key)!
      // Builds come newest commit first: a version's run is that of its newest build measured here
      // (a version rebuilt at many commits, like a runtime that keeps its version between
      // releases, costs at most MAX_TRIES look-ups).
      const byVersion = new Map<string, Run>()
      const tries = new Map<string, number>()
      for (const b of builds) {
        const tried = tries.get(b.version) ?? 0
        if (byVersion.has(b.version) || tried >= MAX_TRIES) continue
        tries.set(b.version, tried + 1)
        const runs = await ctx.api.listRuns({
          query: { build: b.id, machine: p.machine, status: 'complete', limit: 1 },
        })
        if (runs.items[0] !== undefined) byVersion.set(b.version, runs.items[0])
      }
      if (byVersion.size === 0) continue
      const releases = [...byVersion]
        .sort(([a], [b]) => compareVersions(a, b))
        .map(([version, run]) => ({ version, run }))
      lines.push({ ...p, releases })
    }
    return lines
  }
  // The lines change only when the runs do (overview.state): a server reads them once per state.
  return ctx.memo === undefined
    ? read()
    : ctx.memo.current(`release-lines:${machine ?? ''}`, overview.state, read)
}

/** The consecutive release pairs of `lines`, by runtime, then by version. */
export function releasePairs(lines: readonly ReleaseLine[]): ReleasePair[] {
  const pairs = new Map<
    string,
    { runtime: string; from: string; to: string; places: ReleasePair['places'][number][] }
  >()
  for (const line of lines) {
    for (let i = 1; i < line.releases.length; i++) {
      const a = line.releases[i - 1]!
      const b = line.releases[i]!
      const key = JSON.stringify([line.runtime, a.version, b.version])
      let pair = pairs.get(key)
      if (pair === undefined) {
        pair = { runtime: line.runtime, from: a.version, to: b.version, places: [] }
        pairs.set(key, pair)
      }
      pair.places.push({ machine: line.machine, config: line.config, base: a.run, candidate: b.run })
    }
  }
  return [...pairs.values()].sort(
    (a, b) =>
      a.runtime.localeCompare(b.runtime) || compareVersions(b.to, a.to) || compareVersions(b.from, a.from),
  )
}

/** The releases index: every pair of consecutive releases, newest first, where it was measured. */
export async function releasesPage(ctx: PageContext): Promise<PageResult> {
  const pairs = releasePairs(await releaseLines(ctx))
  const body = (
    <>
      <h1>Releases</h1>
      <p class="lede">
        Each release of a runtime against the next release measured on the same machine and config (final
        releases X.Y.Z only; the run of a release is the newest complete run of the newest build of that
        version measured there).
      </p>
      {pairs.length === 0 ? (
        <p class="empty">No two releases of a runtime measured on the same machine and config yet.</p>
      ) : (
        <TableWrap label="Release comparisons">
          <table class="data releases">
            <thead>
              <tr>
                <th scope="col">runtime</th>
                <th scope="col">from → to</th>
                <th scope="col">measured on</th>
              </tr>
            </thead>
            <tbody>
              {pairs.map((p) => (
                <tr key={`${p.runtime}|${p.from}|${p.to}`}>
                  <td>{p.runtime}</td>
                  <td>
                    <a href={ctx.links.page({ page: 'release', runtime: p.runtime, from: p.from, to: p.to })}>
                      {p.from} → {p.to}
                    </a>
                  </td>
                  <td>{p.places.map((x) => `${x.machine} (${x.config})`).join(', ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </>
  )
  return { status: 200, title: 'Releases', section: 'releases', body }
}

type Place = ReleasePair['places'][number]
type Compared = { readonly place: Place; readonly result: Out<'compare'> | { readonly error: string } }

/** One release against the next: the geometric mean per machine and config, then each table by workload. */
export async function releasePage(
  ctx: PageContext,
  ref: { readonly runtime: string; readonly from: string; readonly to: string },
): Promise<PageResult> {
  const title = `${ref.runtime} ${ref.from} → ${ref.to}`
  const pair = releasePairs(await releaseLines(ctx)).find(
    (p) => p.runtime === ref.runtime && p.from === ref.from && p.to === ref.to,
  )
  if (pair === undefined) {
    return {
      status: 404,
      title,
      section: 'releases',
      body: (
        <>
          <h1>{title}</h1>
          <Notice kind="error">
            No machine and config measured {ref.runtime} {ref.from} and then {ref.to} as consecutive releases.
          </Notice>
          <p>
            <a href={ctx.links.page({ page: 'releases' })}>All release comparisons →</a>
          </p>
        </>
      ),
    }
  }
  const compared: Compared[] = await Promise.all(
    pair.places.map(async (place) => {
      try {
        const result = await compareFinished(ctx, place.base, place.candidate, { allowVersionMismatch: true })
        return { place, result }
      } catch (error) {
        const message = clientErrorMessage(error)
        if (message === undefined) throw error
        return { place, result: { error: message } }
      }
    }),
  )
  const body = (
    <>
      <h1>{title}</h1>
      <p class="lede">
        {ref.runtime} {ref.to} against {ref.from} on every machine and config that measured both: the newest
        complete run of each release, time ratios below 1 are faster.{' '}
        <a href={ctx.links.page({ page: 'releases' })}>All release comparisons</a>
      </p>
      <TableWrap label="Geometric mean by machine and config">
        <table class="data">
          <thead>
            <tr>
              <th scope="col">machine</th>
              <th scope="col">config</th>
              <th scope="col">runs</th>
              <th scope="col" class="num">
                geometric mean
              </th>
            </tr>
          </thead>
          <tbody>
            {compared.map((c) => (
              <tr key={`${c.place.machine}|${c.place.config}`}>
                <td>
                  <a href={ctx.links.page({ page: 'machine', name: c.place.machine })}>{c.place.machine}</a>
                </td>
                <td>{c.place.config}</td>
                <td>
                  <a href={ctx.links.page({ page: 'run', id: c.place.base.id })}>{c.place.base.id}</a> →{' '}
                  <a href={ctx.links.page({ page: 'run', id: c.place.candidate.id })}>
                    {c.place.candidate.id}
                  </a>
                  <span class="small muted">
                    {' '}
                    ({formatDate(c.place.base.startedAt)}, {formatDate(c.place.candidate.startedAt)})
                  </span>
                </td>
                <td class="num">
                  {'error' in c.result ? (
                    <span class="muted">{c.result.error}</span>
                  ) : (
                    <a
                      class="plain"
                      href={ctx.links.page({
                        page: 'compare',
                        base: String(c.place.base.id),
                        candidate: String(c.place.candidate.id),
                      })}
                    >
                      <GeometricMean value={c.result.geometricMean} compact />
                    </a>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableWrap>
      {compared.map((c) =>
        'error' in c.result ? null : (
          <section key={`${c.place.machine}|${c.place.config}`}>
            <h2>
              {c.place.machine} · {c.place.config}
            </h2>
            <GeometricMean value={c.result.geometricMean} />
            <CompareTable rows={rowsWithTimelines(ctx, c.result)} confidence={c.result.confidence} />
          </section>
        ),
      )}
    </>
  )
  return { status: 200, title, section: 'releases', body }
}
