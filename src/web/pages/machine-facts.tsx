import type { JsonValue } from '../../lib/index.ts'
import { TableWrap } from '../components.tsx'
import { allPages, type PageContext, type Run } from '../context.ts'
import { formatDate } from '../format.ts'
import { FactTable } from './parts.tsx'

// A machine as its imported runs describe it: pyperf records the CPU, the kernel, the CPU
// configuration, the host and the compiler in each file's metadata, which the importer keeps in
// the run's (and the build's) metadata. The same fields, read the way analysis/epochs.ts's
// epochFacts reads them (platform, cpu_config, python_compiler), give the machine's facts and
// the history of their changes.

/** Runs read for a machine's facts and their history. */
const MAX_RUNS = 5000

/** The facts read from imported metadata, in the order shown. */
export const METADATA_FACTS = [
  { field: 'CPU model', read: (r: Run) => text(r.metadata.cpu_model_name) },
  { field: 'CPU count', read: (r: Run) => text(r.metadata.cpu_count) },
  { field: 'kernel/platform', read: (r: Run) => text(r.metadata.platform) },
  { field: 'CPU configuration', read: (r: Run) => text(r.metadata.cpu_config) },
  { field: 'hostname', read: (r: Run) => text(r.metadata.hostname) },
  {
    field: 'Python compiler',
    read: (r: Run) => text(r.build.metadata.python_compiler) ?? text(r.metadata.python_compiler),
  },
] as const

function text(v: JsonValue | undefined): string | null {
  return typeof v === 'string' && v.length > 0 ? v : typeof v === 'number' ? String(v) : null
}

/** One change of a fact between consecutive runs that recorded it. */
export interface FactChange {
  readonly at: string
  readonly runId: number
  readonly field: string
  readonly from: string
  readonly to: string
}

/**
 * The latest value of each fact (null when no run recorded it) and every change between
 * consecutive runs recording it, oldest first. `runs` may come in any order.
 */
export function factHistory(runs: readonly Run[]): {
  readonly latest: ReadonlyMap<string, string | null>
  readonly changes: readonly FactChange[]
} {
  const ordered = [...runs].sort((a, b) =>
    a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : a.id - b.id,
  )
  const latest = new Map<string, string | null>(METADATA_FACTS.map((f) => [f.field, null]))
  const changes: FactChange[] = []
  for (const run of ordered) {
    for (const f of METADATA_FACTS) {
      const value = f.read(run)
      if (value === null) continue
      const before = latest.get(f.field) ?? null
      if (before !== null && before !== value)
        changes.push({ at: run.startedAt, runId: run.id, field: f.field, from: before, to: value })
      latest.set(f.field, value)
    }
  }
  return { latest, changes }
}

/** True when one of `runs` records one of the facts. */
export function hasMetadataFacts(runs: readonly Run[]): boolean {
  return runs.some((r) => METADATA_FACTS.some((f) => f.read(r) !== null))
}

/** Every run of the machine (up to MAX_RUNS, newest first), for its facts' history. */
export function machineRuns(ctx: PageContext, name: string): Promise<Run[]> {
  return allPages((offset, limit) => ctx.api.listRuns({ query: { machine: name, offset, limit } }), MAX_RUNS)
}

/** The machine's facts from its runs' imported metadata and their changes; null when no run has any. */
export function metadataSection(ctx: PageContext, runs: readonly Run[]) {
  const { latest, changes } = factHistory(runs)
  if ([...latest.values()].every((v) => v === null)) return null
  return (
    <section>
      <h2>From the imported metadata</h2>
      <p class="small muted">
        What the newest of its {runs.length} runs that recorded each fact says, read from the imported pyperf
        metadata (<code>cpu_model_name</code>, <code>cpu_count</code>, <code>platform</code>,{' '}
        <code>cpu_config</code>, <code>hostname</code>, <code>python_compiler</code>), not from a langperf
        fingerprint.
      </p>
      <FactTable
        label="Facts from the imported metadata"
        rows={METADATA_FACTS.map((f) => [f.field, latest.get(f.field) ?? '–'] as [string, string])}
      />
      <h3>Environment changes ({changes.length})</h3>
      {changes.length === 0 ? (
        <p class="muted">None: every run that recorded a fact recorded the same value.</p>
      ) : (
        <TableWrap label="Environment changes">
          <table class="data">
            <thead>
              <tr>
                <th scope="col">date</th>
                <th scope="col">run</th>
                <th scope="col">field</th>
                <th scope="col">old → new</th>
              </tr>
            </thead>
            <tbody>
              {[...changes].reverse().map((c) => (
                <tr key={`${c.runId}|${c.field}`}>
                  <td>{formatDate(c.at)}</td>
                  <td>
                    <a href={ctx.links.page({ page: 'run', id: c.runId })}>{c.runId}</a>
                  </td>
                  <td>{c.field}</td>
                  <td>
                    {c.from} → {c.to}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </section>
  )
}
