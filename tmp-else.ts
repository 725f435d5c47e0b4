import { alertElsewhere } from './src/analysis/index.ts'
import { openSqliteStore } from './src/store/index.ts'
const store = await openSqliteStore('/work/scratch/bp/all.db', { readonly: true } as never)
const alerts = (await store.listAlerts({ limit: 1000 } as never)).rows
const pick = alerts.filter((a) => a.largest?.workload === process.argv[2]).slice(0, 6)
for (const a of pick) {
  const d = (await store.getAlert(a.id))!
  const t0 = performance.now()
  const e = await alertElsewhere(store, d)
  console.log(`alert ${a.id} ${a.machines} ${a.configs} ${a.branch} ${a.lastGoodCommit.slice(0,8)}..${a.firstBadCommit.slice(0,8)} (${(performance.now()-t0).toFixed(0)} ms)`)
  for (const r of e.rows.slice(0, 3)) console.log('  ', r.workload, r.config, r.ratio.toFixed(3), r.others.map((o) => `${o.machine.slice(0,10)}:${o.verdict}${o.ratio ? ' ×'+o.ratio.estimate.toFixed(3) + (o.ratio.low? ` [${o.ratio.low.toFixed(3)},${o.ratio.high!.toFixed(3)}]`:'') : ''} ${o.before}/${o.after}${o.change?' rec':''}`).join(' | '))
}
await store.close()
