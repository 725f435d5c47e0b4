import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { test } from 'node:test'
import { detectAndRecord } from '../src/analysis/index.ts'
import { openSqliteStore } from '../src/store/index.ts'
import { loadObservations, loadPythonperfRuns, PYTHONPERF_DIR } from './pythonperf.ts'

// The whole path on real history: 39 nightly-ish CPython builds with every raw value, through the
// SQLite store and the detection use case. Documented events must be found (as commit changes or
// as infrastructure boundaries), and no alert may sit on an infrastructure change.

const present = existsSync(`${PYTHONPERF_DIR}/raw_values.jsonl`)

test('detection over the real CPython history finds the documented events and blames no infrastructure change', {
  skip: !present && `no data in ${PYTHONPERF_DIR}`,
}, async () => {
  const runs = loadPythonperfRuns()
  assert.equal(runs.length, 39)
  const store = await openSqliteStore(':memory:')
  await store.insertRuns(runs)
  const report = await detectAndRecord(store)
  assert.ok(report.seriesScanned > 90)
  const alerts = (await store.listAlerts({ limit: 1000 })).rows
  const details = await Promise.all(alerts.map((a) => store.getAlert(a.id)))
  const changed = new Set<string>()
  for (const a of details)
    for (const c of a!.changes) changed.add(`${c.series.workload}@${a!.firstBadCommit.slice(0, 7)}`)
  // Infrastructure changes of the data set (README: governor change on 2024-05-31 = between
  // 31a4fb3's predecessor e418fc3 and 31a4fb3). A step there is blamed on a commit only when it
  // stands far out of how the whole suite moved at that change (docs/stats.md, "Epochs"), and
  // then only for a few workloads.
  let blamedAtGovernor = 0
  for (const a of details) {
    if (a!.kind !== 'commit' || !a!.firstBadCommit.startsWith('31a4fb3')) continue
    for (const c of a!.changes) {
      blamedAtGovernor++
      const crossed = c.details.epochCrossed as { crowdMedian: number; crowdSpread: number } | undefined
      assert.ok(crossed, `change ${c.id} crosses the governor change and says so`)
      const distance = Math.abs(Math.log(c.ratio) - Math.log(crossed.crowdMedian))
      assert.ok(distance > 3 * crossed.crowdSpread, `change ${c.id} stands out of the crowd: ${distance}`)
    }
  }
  assert.ok(blamedAtGovernor <= 5, `${blamedAtGovernor} workloads blamed on a commit at the governor change`)
  // Suite upgrades and kernel changes that moved much of the suite are infrastructure alerts.
  assert.ok(
    alerts.some((a) => a.kind === 'infrastructure'),
    'some steps are judged infrastructure',
  )
  const obs = loadObservations('default')
  const hits = obs.filter((o) => changed.has(`${o.benchmark}@${o.commitAfter}`))
  // Observations whose window holds an infrastructure change are reported as boundaries instead.
  const telco = obs.find((o) => o.eventId === 'GT06')!
  assert.ok(
    changed.has(`${telco.benchmark}@${telco.commitAfter}`),
    'the 20× telco regression (GT06) is an alert',
  )
  assert.ok(
    hits.length >= 3,
    `commit-blamed hits: ${hits.map((h) => h.eventId + ':' + h.benchmark).join(', ')}`,
  )
  await store.close()
})
