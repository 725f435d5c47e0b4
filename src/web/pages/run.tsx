import { busyCpuWarning, isExperiment } from '../../model/index.ts'
import { StatusBadge, TableWrap } from '../components.tsx'
import type { Out, PageContext, PageResult } from '../context.ts'
import { formatBytes, formatDate, formatValue, significant } from '../format.ts'
import { PREVIOUS } from './compare.tsx'
import { hasMetadataFacts, machineRuns, metadataSection } from './machine-facts.tsx'
import { CommitLink, FactTable, jsonText, Notice } from './parts.tsx'
import { warmupSection } from './warmup.tsx'

// Run and machine pages: where a run was measured (environment, warnings), what it measured and
// what failed with its reason; a machine's fingerprint and its history.

type RunDetail = Out<'getRun'>['run']
type RunResult = Out<'getRun'>['results'][number]

/** The preset of `langperf run --warmup-series`: its run page shows the warm-up section. */
const WARMUP_PRESET = 'warmup'

/**
 * One run: its build, environment, warnings, results and failures; for a warm-up series, each
 * workload's warm-up class and its processes' iterations drawn.
 */
export async function runPage(ctx: PageContext, id: number): Promise<PageResult> {
  const { run, results, mergeBaseRun, mergeBaseMissing } = await ctx.api.getRun({ params: { id } })
  const warmup =
    run.preset === WARMUP_PRESET
      ? await Promise.all([
          ctx.api.getRunWarmup({ params: { id } }),
          ctx.api.getRun({ params: { id }, query: { samples: true } }),
        ])
      : null
  const b = run.build
  const failed = results.filter((r) => r.outcome.state !== 'measured')
  const busy = busyCpuWarning(run.metadata)
  const body = (
    <>
      <h1>
        Run {run.id}: {b.runtime} {b.version} {b.config}
      </h1>
      <p>
        <a href={ctx.links.page({ page: 'compare', base: PREVIOUS, candidate: String(run.id) })}>
          Compare with the run before
        </a>
        {' · '}
        {mergeBaseRun === null ? null : (
          <>
            <a
              href={ctx.links.page({
                page: 'compare',
                base: String(mergeBaseRun.id),
                candidate: String(run.id),
              })}
            >
              Compare with its merge base {(b.mergeBase ?? mergeBaseRun.commitSha).slice(0, 10)}
            </a>
            {isExperiment(b.branch, b.metadata.lineage_rule)
              ? ' (a fork’s experiment: this is its verdict)'
              : null}
            {' · '}
          </>
        )}
        <a href={ctx.links.page({ page: 'machine', name: run.machine })}>machine {run.machine}</a>
      </p>
      <div class="columns">
        <section>
          <h2>Build</h2>
          <BuildFacts ctx={ctx} run={run} mergeBaseMissing={mergeBaseMissing} />
        </section>
        <section>
          <h2>Run</h2>
          <RunFacts run={run} results={results.length} failed={failed.length} />
        </section>
      </div>
      <h2>Environment</h2>
      {busy === null ? null : (
        <Notice kind="warn">
          <strong>Busy CPU:</strong> {busy}
        </Notice>
      )}
      <EnvironmentSection env={run.environment} />
      {failed.length > 0 ? <FailedWorkloads failed={failed} /> : null}
      <h2>Results ({results.length - failed.length} measured)</h2>
      <ResultsTable ctx={ctx} run={run} results={results} />
      {warmup === null ? null : warmupSection(warmup[0], warmup[1].results)}
      <MetadataDetails label="Build metadata" metadata={b.metadata} />
      <MetadataDetails label="Metadata" metadata={run.metadata} />
    </>
  )
  return { status: 200, title: `Run ${run.id}`, section: 'run', body }
}

/** The build's facts: runtime, version, config, branch, commit, identity and the interpreter's make. */
function BuildFacts(props: {
  readonly ctx: PageContext
  readonly run: RunDetail
  /** Why the merge base the build records has no run to compare with, when it has none. */
  readonly mergeBaseMissing: string | null
}) {
  const b = props.run.build
  return (
    <FactTable
      label="Build"
      rows={[
        ['runtime', b.runtime],
        ['version', b.version],
        ['config', b.config],
        ['branch', b.branch ?? '–'],
        ['commit', <CommitLink links={props.ctx.links} sha={b.commitSha} key="c" />],
        ['commit date', formatDate(b.commitDateUtc)],
        ...(b.mergeBase !== null
          ? ([
              [
                'merge base',
                <span key="mb">
                  <CommitLink links={props.ctx.links} sha={b.mergeBase} />
                  {props.mergeBaseMissing === null ? null : (
                    <span class="muted small"> (not compared: {props.mergeBaseMissing})</span>
                  )}
                </span>,
              ],
            ] as const)
          : []),
        ['identity', <code key="i">{b.identity}</code>],
        ...(b.interpreter !== null
          ? ([
              ['compiler', b.interpreter.compiler],
              ['JIT', b.interpreter.jit],
              ['free threading', b.interpreter.freeThreading],
            ] as const)
          : []),
      ]}
    />
  )
}

/** The run's facts: status, times, suite, preset, harness, source and how many results. */
function RunFacts(props: { readonly run: RunDetail; readonly results: number; readonly failed: number }) {
  const { run } = props
  return (
    <FactTable
      label="Run"
      rows={[
        ['status', <StatusBadge status={run.status} key="s" />],
        ['started', formatDate(run.startedAt)],
        ['finished', formatDate(run.finishedAt)],
        ['suite', run.suite],
        ['preset', run.preset],
        ['harness', run.harnessVersion],
        ['source', run.source],
        ['results', `${props.results} (${props.failed} not measured)`],
      ]}
    />
  )
}

/** Where the run was measured: the environment's warnings (or none) and the machine's facts. */
function EnvironmentSection(props: { readonly env: RunDetail['environment'] }) {
  const { env } = props
  if (env === null) {
    return <p class="muted">Not recorded (imported results carry only their metadata, below).</p>
  }
  return (
    <>
      {env.warnings.length === 0 ? (
        <Notice kind="info">No warnings: the machine was set up for benchmarking.</Notice>
      ) : (
        env.warnings.map((w) => (
          <Notice kind="warn" key={w.code}>
            <strong>{w.message}</strong> <span class="small">{w.advice}</span>
          </Notice>
        ))
      )}
      <FactTable
        label="Environment"
        rows={[
          ['CPU', `${env.fingerprint.cpuModel} (${env.fingerprint.logicalCpus} logical CPUs)`],
          ['memory', formatBytes(env.fingerprint.memoryBytes)],
          ['kernel', `${env.fingerprint.os} ${env.fingerprint.kernel} ${env.fingerprint.arch}`],
          ['governors', env.tuning.governors.join(', ') || '–'],
          ['turbo · SMT · ASLR', `${env.tuning.turbo} · ${env.tuning.smt} · ${env.tuning.aslr ?? '?'}`],
          ['load (1 min)', significant(env.tuning.loadAverage1m)],
          ['isolated CPUs', env.tuning.isolatedCpus || '–'],
          ['virtualized', env.tuning.virtualized ? 'yes' : 'no'],
        ]}
      />
    </>
  )
}

/** The workloads that were not measured, each with its state and reason (and stderr when it failed). */
function FailedWorkloads(props: { readonly failed: readonly RunResult[] }) {
  const { failed } = props
  return (
    <>
      <h2>Failed and skipped workloads ({failed.length})</h2>
      <TableWrap label="Failed workloads">
        <table class="data">
          <thead>
            <tr>
              <th scope="col">workload</th>
              <th scope="col">state</th>
              <th scope="col">reason</th>
            </tr>
          </thead>
          <tbody>
            {failed.map((r) => (
              <tr key={r.id}>
                <th scope="row" class="name">
                  {r.workload.name}
                </th>
                <td class="bad-text">✗ {r.outcome.state}</td>
                <td>
                  {r.outcome.state === 'failed' ? (
                    <>
                      <strong>{r.outcome.reason}</strong>: {r.outcome.message}
                      {r.outcome.stderrTail !== '' ? (
                        <details>
                          <summary>stderr</summary>
                          <pre>{r.outcome.stderrTail}</pre>
                        </details>
                      ) : null}
                    </>
                  ) : r.outcome.state === 'skipped' ? (
                    r.outcome.message
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableWrap>
    </>
  )
}

/** The measured workloads: mean, spread, range, processes × values and loops, each linked to its timeline. */
function ResultsTable(props: {
  readonly ctx: PageContext
  readonly run: RunDetail
  readonly results: readonly RunResult[]
}) {
  const { ctx, run, results } = props
  const b = run.build
  const series = (workload: string, version: string) =>
    ctx.links.page({
      page: 'timeline',
      series: {
        machine: run.machine,
        runtime: b.runtime,
        config: b.config,
        branch: b.branch,
        workload,
        workloadVersion: version,
      },
      also: [],
    })
  return (
    <TableWrap label="Results">
      <table class="data">
        <thead>
          <tr>
            <th scope="col">workload</th>
            <th scope="col" class="num">
              mean
            </th>
            <th scope="col" class="num">
              sd of process means
            </th>
            <th scope="col" class="num">
              min … max
            </th>
            <th scope="col" class="num">
              processes × values
            </th>
            <th scope="col" class="num">
              loops
            </th>
            <th scope="col" class="num" title="The largest peak resident set size of its processes">
              peak memory
            </th>
          </tr>
        </thead>
        <tbody>
          {results
            .filter((r) => r.outcome.state === 'measured')
            .map((r) => (
              <tr key={r.id}>
                <th scope="row" class="name">
                  <a href={series(r.workload.name, r.workload.version)}>{r.workload.name}</a>
                </th>
                <td class="num">{formatValue(r.summary.mean, r.unit)}</td>
                <td class="num">{formatValue(r.summary.stdevProcessMeans, r.unit)}</td>
                <td class="num muted">
                  {formatValue(r.summary.min, r.unit)} … {formatValue(r.summary.max, r.unit)}
                </td>
                <td class="num">
                  {r.summary.nProcesses} ×{' '}
                  {r.summary.nProcesses > 0 ? Math.round(r.summary.nValues / r.summary.nProcesses) : 0}
                </td>
                <td class="num">{r.loops}</td>
                <td class="num">{peakRss(r.metadata)}</td>
              </tr>
            ))}
        </tbody>
      </table>
    </TableWrap>
  )
}

/** A result's peak memory (`peak_rss_bytes`, langperf's runs from December 2026 on), or `–`. */
function peakRss(metadata: RunResult['metadata']): string {
  const v = metadata.peak_rss_bytes
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? formatValue(v, 'byte') : '–'
}

/** A metadata record as a folded table of its keys, nothing when it is empty. */
function MetadataDetails(props: { readonly label: string; readonly metadata: RunDetail['metadata'] }) {
  const { label, metadata } = props
  if (Object.keys(metadata).length === 0) return null
  return (
    <details>
      <summary>
        {label} ({Object.keys(metadata).length} keys)
      </summary>
      <FactTable label={label} rows={Object.entries(metadata).map(([k, v]) => [k, jsonText(v)] as const)} />
    </details>
  )
}

/** One machine: its fingerprint, the history of its fingerprints and its latest runs. */
export async function machinePage(ctx: PageContext, name: string): Promise<PageResult> {
  const [m, runs, agents] = await Promise.all([
    ctx.api.getMachine({ params: { name } }),
    ctx.api.listRuns({ query: { machine: name, limit: 50 } }),
    ctx.api.listAgents(),
  ])
  const agent = agents.items.find((a) => a.machine === name)
  // The history of the imported facts needs every run; it is read only when the latest runs record some.
  const all = hasMetadataFacts(runs.items) ? await machineRuns(ctx, name) : runs.items
  const f = m.fingerprint
  const body = (
    <>
      <h1>Machine {m.name}</h1>
      {f !== null ? (
        <FactTable
          label="Fingerprint"
          rows={[
            ['hostname', f.hostname],
            ['CPU', f.cpuModel],
            [
              'cores',
              `${f.logicalCpus} logical${f.physicalCores !== null ? `, ${f.physicalCores} physical` : ''}`,
            ],
            ['memory', formatBytes(f.memoryBytes)],
            ['OS', `${f.os} ${f.kernel} ${f.arch}`],
            ['first seen', formatDate(m.firstSeenAt)],
            ['last seen', formatDate(m.lastSeenAt)],
          ]}
        />
      ) : (
        <p class="muted">No langperf fingerprint recorded (imported results only).</p>
      )}
      {agent === undefined ? null : (
        <>
          <h2>Farm agent</h2>
          <FactTable
            label="Farm agent"
            rows={[
              ['state', agent.state],
              ['last seen', formatDate(agent.lastSeenAt)],
              ['registered', formatDate(agent.registeredAt)],
              ['jobs done', String(agent.jobsDone)],
              ['jobs failed', String(agent.jobsFailed)],
              [
                'queue',
                `${agent.queue.waiting} waiting, ${agent.queue.active} running, ${agent.queue.delayed} delayed, ${agent.queue.failed} failed`,
              ],
            ]}
          />
          <p class="small">
            <a href={ctx.links.page({ page: 'agents' })}>All agents</a>
          </p>
        </>
      )}
      {metadataSection(ctx, all)}
      <h2>Fingerprint history ({m.fingerprints.length})</h2>
      {m.fingerprints.length === 0 ? (
        <p class="muted">None recorded.</p>
      ) : (
        <TableWrap label="Fingerprint history">
          <table class="data">
            <thead>
              <tr>
                <th scope="col">from</th>
                <th scope="col">to</th>
                <th scope="col">CPU</th>
                <th scope="col">kernel</th>
                <th scope="col" class="num">
                  memory
                </th>
                <th scope="col">hash</th>
              </tr>
            </thead>
            <tbody>
              {[...m.fingerprints].reverse().map((h) => (
                <tr key={h.id}>
                  <td>{formatDate(h.firstSeenAt)}</td>
                  <td>{formatDate(h.lastSeenAt)}</td>
                  <td>
                    {h.fingerprint.cpuModel} ({h.fingerprint.logicalCpus})
                  </td>
                  <td>
                    {h.fingerprint.os} {h.fingerprint.kernel}
                  </td>
                  <td class="num">{formatBytes(h.fingerprint.memoryBytes)}</td>
                  <td>
                    <code>{h.hash.slice(0, 12)}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      <h2>Latest runs ({runs.total})</h2>
      <TableWrap label="Latest runs">
        <table class="data">
          <thead>
            <tr>
              <th scope="col">run</th>
              <th scope="col">build</th>
              <th scope="col">commit</th>
              <th scope="col">started</th>
              <th scope="col">status</th>
              <th scope="col" class="num">
                results
              </th>
            </tr>
          </thead>
          <tbody>
            {runs.items.map((r) => (
              <tr key={r.id}>
                <th scope="row">
                  <a href={ctx.links.page({ page: 'run', id: r.id })}>{r.id}</a>
                </th>
                <td>
                  {r.build.runtime} {r.build.version} {r.build.config}
                  {r.build.branch !== null ? <span class="muted"> {r.build.branch}</span> : null}
                </td>
                <td>
                  <CommitLink links={ctx.links} sha={r.build.commitSha} />
                </td>
                <td>{formatDate(r.startedAt)}</td>
                <td>
                  <StatusBadge status={r.status} />
                </td>
                <td class="num">{r.resultCount}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableWrap>
    </>
  )
  return { status: 200, title: `Machine ${m.name}`, section: 'machine', body }
}
