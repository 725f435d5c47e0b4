// Measures one workload twice on the same interpreter (an interleaved A/A pair) in each preset
// and prints, per preset: the relative half-width of each side's 95 % interval of the mean, the
// A/A ratio with its interval (should contain 1), and the wall time spent.
//
//   node --import tsx bench/presets.ts [--workload nbody] [--python python3] [--presets fast,default,rigorous]
//
// For scale, pyperf 2.10 with its default settings on the project's 2-core machines: nbody on
// CPython 3.11 took 16.6 s for a ±4.7 % interval; --rigorous ±3.5–5.4 % in 31–41 s
// (docs/stats.md, "Noise on the project's machines").
import { parseArgs } from 'node:util'
import { createRng } from '../src/lib/index.ts'
import { processMeans, type WorkloadResult } from '../src/model/index.ts'
import {
  discoverInterpreters,
  getPreset,
  loadWorkloads,
  measureSuite,
  PRESET_NAMES,
} from '../src/runner/index.ts'
import { compareTwo, summarize } from '../src/stats/index.ts'

const { values } = parseArgs({
  options: {
    workload: { type: 'string', default: 'nbody' },
    python: { type: 'string', default: 'python3' },
    presets: { type: 'string', default: PRESET_NAMES.join(',') },
  },
})
const workloads = await loadWorkloads()
const def = workloads.find((w) => w.manifest.name === values.workload)
if (!def) throw new Error(`No workload "${values.workload}"`)
const { interpreters } = await discoverInterpreters({ explicit: [values.python] })
const interp = interpreters[0]
if (!interp) throw new Error(`No interpreter ${values.python}`)
console.log(
  `workload ${def.manifest.name} on ${interp.info.implementation} ${interp.info.version} (${interp.info.executable})`,
)
console.log('preset    processes  side A ±%  side B ±%  A/A ratio [95 % interval]   wall time')
for (const name of values.presets.split(',')) {
  const preset = getPreset(name)
  const results: WorkloadResult[] = []
  const t0 = performance.now()
  await measureSuite(
    { interpreters: [interp, interp], workloads: [def], preset, timeoutMs: 600_000 },
    {
      onEvent: (e) => {
        if (e.kind === 'result') results.push(e.result)
      },
    },
  )
  const wallS = (performance.now() - t0) / 1000
  const [a, b] = results.map((r) => processMeans(r.processes))
  if (!a || !b) throw new Error('missing results')
  const rng = createRng(1)
  const sa = summarize(a, { rng })
  const sb = summarize(b, { rng })
  const c = compareTwo(a, b)
  const pct = (s: typeof sa) => (s.kind === 'summary' ? `±${(s.relativeHalfWidth * 100).toFixed(2)}` : 'n/a')
  const ratio =
    c.kind === 'comparison'
      ? `${c.ratio.toFixed(4)} [${c.low.toFixed(4)}, ${c.high.toFixed(4)}] ${c.verdict}`
      : c.reason
  console.log(
    `${name.padEnd(9)} ${String(a.length).padStart(9)}  ${pct(sa).padStart(9)}  ${pct(sb).padStart(9)}  ${ratio.padEnd(28)}  ${wallS.toFixed(1)} s (both sides)`,
  )
}
