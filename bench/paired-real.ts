// The reference pairs of a real nightly, judged the way detection judges a step: for each commit
// measured beside a reference, every workload's step as separate runs show it (the commit's own
// run against the previous commit's own run, what a history of one run a night reads) and the
// commit's interleaved pair at 99 % (judgePair). Used for docs/real-cpython.md ("The nightly
// with reference pairs"); with four commits the detector itself has no baseline to judge by.
//
//   node --import tsx bench/paired-real.ts NIGHTLY.json DB
//
// NIGHTLY.json is the output of `langperf nightly --json`; DB the store it wrote.
import { readFileSync } from 'node:fs'
import { judgePair } from '../src/analysis/index.ts'
import { compareTwo } from '../src/stats/index.ts'
import { openSqliteStore } from '../src/store/index.ts'

const [reportPath, dbPath] = process.argv.slice(2)
if (reportPath === undefined || dbPath === undefined) {
  throw new Error('Usage: node --import tsx bench/paired-real.ts NIGHTLY.json DB')
}
interface Commit {
  readonly sha: string
  readonly runIds: readonly number[]
  readonly referenceRunIds: readonly number[]
}
const report = JSON.parse(readFileSync(reportPath, 'utf8')) as { commits: Commit[] }
const store = await openSqliteStore(dbPath)
const meansOf = async (runId: number) =>
  new Map((await store.getResults(runId)).map((r) => [r.workload.name, r.processMeans]))
const f = (x: number) => x.toFixed(3)
const verdicts = new Map<string, number>()
console.log(
  'commit   workload         separate runs (95 %)                       interleaved pair (99 %)                    verdict',
)
let previous: number | undefined
try {
  for (const c of report.commits) {
    const runId = c.runIds.at(-1)
    const referenceId = c.referenceRunIds.at(-1)
    if (runId !== undefined && previous !== undefined && referenceId !== undefined) {
      const [own, before, reference] = await Promise.all([
        meansOf(runId),
        meansOf(previous),
        meansOf(referenceId),
      ])
      for (const [workload, means] of own) {
        const base = before.get(workload)
        const ref = reference.get(workload)
        if (base === undefined || ref === undefined) continue
        const separate = compareTwo(base, means)
        if (separate.kind !== 'comparison') continue
        const step = {
          direction: separate.ratio > 1 ? 'regression' : 'improvement',
          ratio: separate.ratio,
          ratioLow: separate.low,
          ratioHigh: separate.high,
        } as const
        const judged = judgePair(step, ref, means, { lowerIsBetter: true })
        const p = judged.comparison
        const key = `${separate.verdict === 'no-difference' ? 'no step' : 'step'} → ${judged.verdict}`
        verdicts.set(key, (verdicts.get(key) ?? 0) + 1)
        console.log(
          [
            c.sha.slice(0, 7),
            workload.padEnd(15),
            `${f(separate.ratio)} [${f(separate.low)}, ${f(separate.high)}] ${separate.verdict}`.padEnd(41),
            (p.kind === 'comparison'
              ? `${f(p.ratio)} [${f(p.low)}, ${f(p.high)}] ${p.verdict}`
              : 'insufficient'
            ).padEnd(41),
            judged.verdict,
          ].join('  '),
        )
      }
    }
    previous = runId ?? previous
  }
} finally {
  await store.close()
}
console.log(`\n${[...verdicts].map(([k, n]) => `${k}: ${n}`).join('; ')}`)
