import type { VNode } from 'preact'
import { formatBytes } from '../../lib/format.ts'
import { differentialHeadline, shortLocation } from '../../model/index.ts'
import { TableWrap } from '../components.tsx'
import type { Out, PageContext, PageResult } from '../context.ts'
import { FlameGraph, type FlameIslandProps } from '../flame.tsx'
import { diffFlameTree, diffScale } from '../flame-diff.ts'
import { formatDate } from '../format.ts'
import { Island } from '../html.tsx'
import { Heads } from './alert-evidence.tsx'
import { CommitLink, FactTable, Notice } from './parts.tsx'

// Profiles on the dashboard (docs/profiles.md, "Views"): the page of one stored profile (its
// top functions by self samples, with self and total, and its flame graph), and the alert page's
// section on the culprit profiled against its parent (the functions whose self share changed
// most, with intervals).

/** Rows of a profile's top-functions table. */
const TOP_FUNCTIONS = 30
/** Rows of a differential on the alert page. */
const TOP_CHANGES = 15

type AlertProfiles = Out<'getAlertProfiles'>
type ProfileDetail = Out<'getProfile'>

const pct = (x: number) => `${x.toFixed(1)} %`
const signed = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(1)}`

/** `cpython 3.13.0 (default) abc123…`: what a profile's build is. */
function buildLabel(p: ProfileDetail) {
  return `${p.build.runtime} ${p.build.version} (${p.build.config})`
}

/** Which samples a view counts, in words. */
function scopeText(v: NonNullable<ProfileDetail['view']>): string {
  return v.timedOnly
    ? `${v.samples} of ${v.processSamples} samples, those taken inside timed values (start-up, imports and make() left out)`
    : `every sample of the processes: ${v.processSamples}`
}

/** How the profiler was run, as its metadata records it (profiles stored before it was recorded have none). */
function profilerRows(p: ProfileDetail): [string, string][] {
  const text = (key: string) => {
    const v = p.metadata[key]
    return typeof v === 'string' && v !== '' ? v : null
  }
  const rows: [string, string][] = []
  const command = text('profiler_command')
  if (command !== null) rows.push(['options', command])
  const python = text('python_options')
  if (p.tool === 'perf')
    rows.push([
      'Python frames',
      `${python === null ? '' : `${python}: `}${text('python_frames') ?? 'not recorded'}`,
    ])
  return rows
}

/** The page of one profile: its facts, top functions and flame graph. */
export async function profilePage(ctx: PageContext, id: number): Promise<PageResult> {
  const p = await ctx.api.getProfile({ params: { id }, query: { top: TOP_FUNCTIONS } })
  const flame = p.state === 'profiled' ? await ctx.api.getProfileFlame({ params: { id } }) : null
  const view = p.view
  const stacksHref = ctx.links.mode === 'server' ? `/api/v1/profiles/${p.id}/stacks` : null
  const body = (
    <>
      <h1>
        Profile #{p.id}: {p.workload.name} on {buildLabel(p)}
      </h1>
      <FactTable
        label="Profile"
        rows={[
          ['workload', `${p.workload.name} (version ${p.workload.version})`],
          [
            'build',
            <>
              {buildLabel(p)} <CommitLink links={ctx.links} sha={p.build.commitSha} key="c" />
            </>,
          ],
          [
            'machine',
            <a href={ctx.links.page({ page: 'machine', name: p.machine })} key="m">
              {p.machine}
            </a>,
          ],
          ['profiler', `${p.tool} ${p.toolVersion} at ${p.rateHz} Hz, ${p.processes} process(es)`],
          ...profilerRows(p),
          ['state', p.state === 'profiled' ? `${p.sampleCount} samples` : `${p.state}: ${p.message ?? ''}`],
          ['taken', formatDate(p.createdAt)],
          ...(stacksHref !== null && p.state === 'profiled'
            ? [
                [
                  'stacks',
                  <>
                    <a href={stacksHref} key="s">
                      collapsed stacks
                    </a>{' '}
                    <span class="small muted">
                      ({formatBytes(p.stacksBytes)} compressed; flamegraph.pl and speedscope import them)
                    </span>
                  </>,
                ] as const,
              ]
            : []),
        ]}
      />
      {view === null ? (
        <Notice kind="warn">
          Not profiled: {p.message ?? p.state}. Nothing was sampled, so there is no table and no flame graph.
        </Notice>
      ) : (
        <>
          <h2>Top functions</h2>
          <p class="small muted">
            {scopeText(view)}. Self: samples with the function as the leaf, time in its own code; total: with
            it anywhere on the stack (once per stack).{' '}
            {p.tool === 'perf'
              ? 'perf samples C frames too: the self time is in C functions (interpreter, libraries, kernel), a Python function has it in total.'
              : 'Python frames only: time in C is charged to its caller.'}
          </p>
          <TopFunctions view={view} />
          {flame !== null ? (
            <>
              <h2>Flame graph</h2>
              <p class="small muted">
                Callers above callees; a frame's width is its share of the samples.
                {flame.foldedSamples > 0
                  ? ` Frames under ${flame.minSamples} samples are folded into their caller (${flame.foldedSamples} samples).`
                  : ''}
              </p>
              <Island
                name="flame"
                id={`flame-${p.id}`}
                data={
                  {
                    root: flame.root,
                    samples: flame.samples,
                    timedOnly: flame.timedOnly,
                  } satisfies FlameIslandProps
                }
              >
                <FlameGraph root={flame.root} label={`Flame graph of profile ${p.id}`} />
              </Island>
            </>
          ) : null}
        </>
      )}
    </>
  )
  return { status: 200, title: `Profile #${p.id}`, section: 'profile', body }
}

/**
 * Profile `id` (B) against profile `base` (A) as a differential flame graph: B's flame graph
 * coloured by the change of each frame's self share from A (flame-diff.ts).
 */
export async function profileDiffPage(ctx: PageContext, id: number, base: number): Promise<PageResult> {
  const [a, b] = await Promise.all([
    ctx.api.getProfile({ params: { id: base }, query: { top: 1 } }),
    ctx.api.getProfile({ params: { id }, query: { top: 1 } }),
  ])
  const title = `Profile #${b.id} against #${a.id}`
  const link = (p: ProfileDetail) => (
    <>
      <a href={ctx.links.page({ page: 'profile', id: p.id })}>#{p.id}</a>: {p.workload.name} on{' '}
      {buildLabel(p)} <CommitLink links={ctx.links} sha={p.build.commitSha} /> ({p.machine})
    </>
  )
  const facts = (
    <FactTable
      label="Profiles compared"
      rows={[
        ['A (base)', link(a)],
        ['B', link(b)],
      ]}
    />
  )
  const missing = [a, b].filter((p) => p.state !== 'profiled')
  if (missing.length > 0) {
    const body = (
      <>
        <h1>{title}</h1>
        {facts}
        <Notice kind="warn">
          {missing.map((p) => `Profile #${p.id} was not profiled: ${p.message ?? p.state}.`).join(' ')} There
          is nothing to compare.
        </Notice>
      </>
    )
    return { status: 200, title, section: 'profile', body }
  }
  const [fa, fb] = await Promise.all([
    ctx.api.getProfileFlame({ params: { id: base } }),
    ctx.api.getProfileFlame({ params: { id } }),
  ])
  const root = diffFlameTree(fa.root, fb.root)
  const scale = diffScale(root)
  const caveats = [
    a.workload.name !== b.workload.name || a.workload.version !== b.workload.version
      ? `they profile different workloads (${a.workload.name} ${a.workload.version}, ${b.workload.name} ${b.workload.version})`
      : null,
    fa.timedOnly !== fb.timedOnly
      ? 'one counts only samples inside timed values, the other every sample'
      : null,
  ].filter((c) => c !== null)
  const body = (
    <>
      <h1>{title}</h1>
      {facts}
      {caveats.length > 0 ? <Notice kind="warn">Read with care: {caveats.join('; ')}.</Notice> : null}
      <h2>Differential flame graph</h2>
      <p class="small muted">
        B's flame graph (widths are B's shares of its {fb.samples} samples), each frame coloured by how its
        self share (samples in its own code) changed from A ({fa.samples} samples): red where B spends more of
        its time there, blue where less, white where nothing changed; the darkest is the largest change,{' '}
        {(100 * scale.maxDelta).toFixed(1)} points. A frame only A has is not drawn. Shares of single profiles
        carry sampling noise: the alert page's differential gives the changes with intervals over repeated
        profiles.
        {fa.foldedSamples + fb.foldedSamples > 0
          ? ` Frames under ${fb.minSamples} (B) or ${fa.minSamples} (A) samples are folded into their caller.`
          : ''}
      </p>
      <Island
        name="flame"
        id={`flame-${b.id}-${a.id}`}
        data={{ root, samples: fb.samples, timedOnly: fb.timedOnly, diff: scale } satisfies FlameIslandProps}
      >
        <FlameGraph root={root} diff={scale} label={`Profile ${b.id} against profile ${a.id}`} />
      </Island>
    </>
  )
  return { status: 200, title, section: 'profile', body }
}

/** A profile's top functions by self samples. */
function TopFunctions(props: { readonly view: NonNullable<ProfileDetail['view']> }) {
  const v = props.view
  return (
    <>
      <TableWrap label="Top functions">
        <table class="data">
          <Heads cols={['function', 'where', '#self', '#samples', '#total', '#samples']} />
          <tbody>
            {v.functions.map((f) => (
              <tr key={`${f.name}:${f.file}:${f.line}`}>
                <th scope="row" class="name">
                  {f.name}
                </th>
                <td class="small" title={f.file}>
                  {shortLocation(f)}
                </td>
                <td class="num">{pct(f.selfPercent)}</td>
                <td class="num muted">{f.self}</td>
                <td class="num">{pct(f.totalPercent)}</td>
                <td class="num muted">{f.total}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableWrap>
      <p class="small muted">
        {v.functionCount > v.functions.length
          ? `${v.functionCount - v.functions.length} more functions. `
          : ''}
        {v.withoutFrames > 0 ? `${v.withoutFrames} of ${v.samples} samples had no Python frame.` : ''}
      </p>
    </>
  )
}

/**
 * The alert page's section on its culprit profiled against its parent: per machine × workload the
 * headline, the functions whose self share changed most with their intervals, and links to both
 * profiles; or why there is no profile.
 */
export async function culpritProfiles(ctx: PageContext, alertId: number): Promise<VNode | null> {
  const r: AlertProfiles = await ctx.api.getAlertProfiles({
    params: { id: alertId },
    query: { top: TOP_CHANGES },
  })
  if (r.items.length === 0) return null
  return (
    <>
      <h2 id="profiles">Profile at the culprit</h2>
      <p class="small muted">
        The culprit (B) and its parent (A) profiled by py-spy in processes of their own, interleaved; per
        function its self share (samples in its own code) in each and the change in percentage points with a
        95 % interval (samples treated as independent, so read it as a lower bound on the uncertainty).
      </p>
      {r.items.map((pair) => (
        <section key={pair.id} class="profile-pair">
          <h3>
            {pair.workload} on {pair.machine}: <CommitLink links={ctx.links} sha={pair.culpritCommit} />{' '}
            against its parent <CommitLink links={ctx.links} sha={pair.parentCommit} />
          </h3>
          {pair.parentProfileId !== null && pair.culpritProfileId !== null ? (
            <p class="small">
              <a href={ctx.links.page({ page: 'profile', id: pair.parentProfileId })}>parent's profile</a> ·{' '}
              <a href={ctx.links.page({ page: 'profile', id: pair.culpritProfileId })}>culprit's profile</a> ·{' '}
              <a
                href={ctx.links.page({
                  page: 'profile-diff',
                  id: pair.culpritProfileId,
                  base: pair.parentProfileId,
                })}
              >
                differential flame graph
              </a>
            </p>
          ) : null}
          {pair.differential === null ? (
            <Notice kind="warn">Not profiled: {pair.message ?? pair.state}</Notice>
          ) : (
            <>
              <p class="headline">{pair.headline}</p>
              <Differential rows={pair.differential.rows} />
              <p class="small muted">{samplesText(pair.differential)}</p>
            </>
          )}
        </section>
      ))}
    </>
  )
}

/** How many samples a differential counted, and how many functions it leaves out. */
function samplesText(d: NonNullable<AlertProfiles['items'][number]['differential']>): string {
  const more = d.functionCount - d.rows.length
  return `A ${d.samplesA} samples, B ${d.samplesB}${d.timedOnly ? ', inside timed values' : ''}${more > 0 ? `; ${more} more functions changed less` : ''}.`
}

/** The alert's facts row on its culprit's profiles: each pair's headline, or why there is none. */
export function ProfileFacts(props: { readonly profiles: Out<'getAlert'>['profiles'] }) {
  return (
    <>
      {props.profiles.map((p) => (
        <div key={p.id}>
          <a href="#profiles">{p.workload}</a> ({p.machine}):{' '}
          {p.summary !== null ? differentialHeadline(p.summary) : `not profiled: ${p.message ?? p.state}`}
        </div>
      ))}
    </>
  )
}

/** Functions by change in self share, largest first, with intervals. */
function Differential(props: {
  readonly rows: NonNullable<AlertProfiles['items'][number]['differential']>['rows']
}) {
  return (
    <TableWrap label="Functions by change in self share">
      <table class="data">
        <Heads cols={['function', 'where', '#self A', '#self B', '#Δ points', '#95 % interval', '']} />
        <tbody>
          {props.rows.map((r) => (
            <tr key={`${r.name}:${r.file}:${r.line}`}>
              <th scope="row" class="name">
                {r.name}
              </th>
              <td class="small" title={r.file}>
                {shortLocation(r)}
              </td>
              <td class="num">{pct(r.selfPercentA)}</td>
              <td class="num">{pct(r.selfPercentB)}</td>
              <td class="num">{signed(r.deltaPoints)}</td>
              <td class="num muted">
                [{signed(r.low)}, {signed(r.high)}]
              </td>
              <td>{r.significant ? (r.deltaPoints > 0 ? '▲ more' : '▼ less') : '='}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  )
}
