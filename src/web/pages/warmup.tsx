import type { VNode } from 'preact'
import { PROCESS_CLASSES, warmupClassLabel } from '../../model/index.ts'
import { SmallChart, TableWrap } from '../components.tsx'
import type { Out } from '../context.ts'
import { formatValue } from '../format.ts'
import { Heads } from './alert-evidence.tsx'

// The warm-up section of a run page, for runs of `langperf run --warmup-series N` (preset
// `warmup`): per workload its class over processes (Barrett et al. 2017) and steady state, then
// one small plot per process of its in-process iterations, drawn on the server as SVG (as the
// alert page's small multiples: classes, no inline style, so the strict CSP holds and the static
// report needs no script). docs/stats.md, "Warm-up".

type Warmup = Out<'getRunWarmup'>
type WorkloadWarmup = Warmup['workloads'][number]
type Classified = Extract<WorkloadWarmup, { state: 'classified' }>
type ProcessWarmup = Classified['processes'][number]
type Interval = Extract<Classified['steady'], { kind: 'steady' }>['mean']
type ResultWithSamples = Out<'getRun'>['results'][number]

const WIDTH = 240
const HEIGHT = 72
const PAD = 3

/** `12 [8, 15]`, or a dash when one process gives no interval. */
function withInterval(r: Interval, show: (x: number) => string): string {
  if (r.kind === 'insufficient') return '– (one process)'
  return `${show(r.estimate)} [${show(r.low)}, ${show(r.high)}]`
}

/** How many processes fell in each class, in words. */
function countsText(w: Classified): string {
  return PROCESS_CLASSES.filter((c) => (w.counts[c] ?? 0) > 0)
    .map((c) => `${w.counts[c]} ${warmupClassLabel(c)}`)
    .join(', ')
}

/** The class of each workload and its steady state, one row each. */
function WarmupTable(props: { readonly workloads: readonly WorkloadWarmup[] }) {
  return (
    <TableWrap label="Warm-up">
      <table class="data">
        <Heads
          cols={[
            'workload',
            'class',
            'processes',
            '#steady iteration [95 %]',
            '#time to steady [95 %]',
            '#steady performance [95 %]',
          ]}
        />
        <tbody>
          {props.workloads.map((w) => (
            <tr key={w.workload.name}>
              <th scope="row" class="name">
                {w.state === 'classified' ? (
                  <a href={`#warmup-${w.workload.name}`}>{w.workload.name}</a>
                ) : (
                  w.workload.name
                )}
              </th>
              {w.state === 'not-classified' ? (
                <td colSpan={5} class="muted">
                  not classified: {w.reason}
                </td>
              ) : (
                <>
                  <td>
                    <strong>{warmupClassLabel(w.class)}</strong>
                  </td>
                  <td>{countsText(w)}</td>
                  {w.steady.kind === 'no-steady-state' ? (
                    <td colSpan={3}>
                      no steady state ({w.steady.processes} of {w.processes.length} processes never settled)
                    </td>
                  ) : (
                    <>
                      <td class="num">{withInterval(w.steady.iteration, (x) => String(Math.round(x)))}</td>
                      <td class="num">
                        {withInterval(w.steady.timeToSteady, (x) => formatValue(x, w.unit))}
                      </td>
                      <td class="num">{withInterval(w.steady.mean, (x) => formatValue(x, w.unit))}</td>
                    </>
                  )}
                </>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  )
}

/** Points of a line through `values`, at most two per pixel column (each column's min and max). */
function linePoints(values: readonly number[], x: (i: number) => number, y: (v: number) => number): string {
  const n = values.length
  const columns = WIDTH - 2 * PAD
  if (n <= 2 * columns) return values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ')
  const out: string[] = []
  for (let c = 0; c < columns; c++) {
    const from = Math.floor((c * n) / columns)
    const to = Math.floor(((c + 1) * n) / columns)
    let lo = from
    let hi = from
    for (let i = from; i < to; i++) {
      if (values[i]! < values[lo]!) lo = i
      if (values[i]! > values[hi]!) hi = i
    }
    for (const i of lo < hi ? [lo, hi] : [hi, lo]) out.push(`${x(i).toFixed(1)},${y(values[i]!).toFixed(1)}`)
  }
  return out.join(' ')
}

/** One process's iterations on a log scale: segment means, outliers and where the steady state starts. */
function ProcessPlot(props: {
  readonly values: readonly number[]
  readonly p: ProcessWarmup
  readonly unit: string
}) {
  const { values, p, unit } = props
  const n = values.length
  const steadyText = p.steady === null ? 'no steady state' : `steady from iteration ${p.steady.iteration}`
  const label = `Process ${p.process}: ${warmupClassLabel(p.class)}, ${steadyText}; ${n} iterations, ${p.outliers.length} outliers`
  if (n < 2) return null
  // The range of the iterations that are not outliers (the first window never holds one, so a
  // JIT's slow first iterations stay in it); an outlier beyond it is drawn on the edge.
  const outlier = new Set(p.outliers)
  const kept = values.filter((_, i) => !outlier.has(i))
  let lo = Math.min(...kept)
  let hi = Math.max(...kept)
  if (hi / lo < 1.1) {
    const mid = Math.sqrt(hi * lo)
    lo = mid / 1.05
    hi = mid * 1.05
  }
  const x = (i: number) => PAD + (i / (n - 1)) * (WIDTH - 2 * PAD)
  const y = (v: number) =>
    HEIGHT -
    PAD -
    ((Math.log(Math.min(hi, Math.max(lo, v))) - Math.log(lo)) / Math.log(hi / lo)) * (HEIGHT - 2 * PAD)
  const last = p.segments.length - 1
  return (
    <figure class="small-multiple" data-process={p.process} data-class={p.class}>
      <figcaption class="small">
        {p.process} · <strong>{warmupClassLabel(p.class)}</strong>
        {p.steady === null ? null : (
          <span class="muted">
            {' '}
            · from {p.steady.iteration} · {formatValue(p.steady.mean, unit)}
          </span>
        )}
      </figcaption>
      <SmallChart width={WIDTH} height={HEIGHT} label={label} description={label}>
        {p.steady !== null && p.steady.iteration > 1 ? (
          <line
            class="epoch-line"
            x1={x(p.steady.iteration - 1).toFixed(1)}
            x2={x(p.steady.iteration - 1).toFixed(1)}
            y1={0}
            y2={HEIGHT}
          />
        ) : null}
        <polyline class="sm-line wu-line" points={linePoints(values, x, y)} />
        {p.segments.map((s, k) => (
          <line
            key={s.start}
            class={k === last && p.steady !== null ? 'wu-steady' : 'wu-segment'}
            x1={x(s.start).toFixed(1)}
            x2={x(Math.max(s.start, s.end - 1)).toFixed(1)}
            y1={y(s.mean).toFixed(1)}
            y2={y(s.mean).toFixed(1)}
          />
        ))}
        {p.outliers.map((i) => (
          <circle key={i} class="wu-outlier" cx={x(i).toFixed(1)} cy={y(values[i]!).toFixed(1)} r={1.8} />
        ))}
      </SmallChart>
    </figure>
  )
}

/** The plots of one workload's processes. */
function WorkloadPlots(props: { readonly w: Classified; readonly result: ResultWithSamples | undefined }) {
  const { w, result } = props
  const series = (result?.processes ?? []).map((p) => p.values).filter((v) => v.length > 0)
  return (
    <section id={`warmup-${w.workload.name}`}>
      <h3>
        {w.workload.name}: {warmupClassLabel(w.class)}
      </h3>
      <div class="small-multiples">
        {w.processes.map((p) => {
          const values = series[p.process - 1]
          return values === undefined ? null : (
            <ProcessPlot key={p.process} values={values} p={p} unit={w.unit} />
          )
        })}
      </div>
    </section>
  )
}

/** The warm-up section: the table, then each classified workload's per-process plots. */
export function warmupSection(warmup: Warmup, results: readonly ResultWithSamples[]): VNode {
  const byName = new Map(results.map((r) => [r.workload.name, r]))
  const classified = warmup.workloads.filter((w): w is Classified => w.state === 'classified')
  return (
    <>
      <h2>Warm-up</h2>
      <p class="small muted">
        Each process's in-process iterations, classified after Barrett et al. (OOPSLA 2017): outliers (rolling
        median ± 3 × (P90 − P10)) set aside, PELT change points (normal mean and variance, penalty 15·ln n),
        equivalent neighbours merged; then flat, warm-up (the last segment is the fastest), slow-down (it is
        slower than an earlier one) or no steady state (it spans under a quarter of the iterations). A
        workload is its processes' class when all agree, else good inconsistent (flat and warm-up only) or bad
        inconsistent. Medians and a mean over processes, 95 % bootstrap intervals over processes.
      </p>
      <WarmupTable workloads={warmup.workloads} />
      {classified.length > 0 ? (
        <>
          <p class="small muted">
            One plot per process, time per iteration on a log scale: segment means as horizontal lines (the
            steady state's thicker), outliers as dots (on the edge when beyond the range of the others), the
            start of the steady state dashed.
          </p>
          {classified.map((w) => (
            <WorkloadPlots key={w.workload.name} w={w} result={byName.get(w.workload.name)} />
          ))}
        </>
      ) : null}
    </>
  )
}
