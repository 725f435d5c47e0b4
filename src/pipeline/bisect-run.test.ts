import assert from 'node:assert/strict'
import { test } from 'node:test'
import { type AlertDetail, type ChangeRow, exampleAlertDetail } from '../store/index.ts'
import { alertMeasure, planAlertBisect } from './bisect-run.ts'
import { toyRecipeConfig } from './testing.ts'

// What bisecting an alert measures: an alert of instruction-count changes is bisected by counts
// (exact), a mixed alert by time on its time changes.

const config = toyRecipeConfig('/nowhere/origin', '/nowhere')

function change(
  workload: string,
  measure: 'time' | 'instructions',
  ratio: number,
  machine = 'box',
): ChangeRow {
  return {
    id: 1,
    alertId: 1,
    kind: 'commit',
    measure,
    series: { machine, runtime: 'toy', config: 'default', branch: 'main', workload, workloadVersion: 'v1' },
    lastGood: { buildId: 1, resultId: 1, commitSha: 'a'.repeat(40) },
    firstBad: { buildId: 2, resultId: 2, commitSha: 'b'.repeat(40) },
    unit: measure === 'instructions' ? 'instruction' : 'second',
    ratio,
    ratioLow: ratio,
    ratioHigh: ratio,
    pValue: 0,
    direction: ratio > 1 ? 'regression' : 'improvement',
    status: 'confirmed',
    details: {},
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-01T00:00:00.000Z',
  }
}

function alert(changes: readonly ChangeRow[]): AlertDetail {
  return exampleAlertDetail({
    runtime: 'toy',
    changeCount: changes.length,
    regressions: changes.length,
    machines: ['box'],
    changes,
  })
}

test('an alert of instruction-count changes is bisected by counts, on those workloads', () => {
  const a = alert([change('calls', 'instructions', 1.04), change('nbody', 'instructions', 0.98)])
  assert.equal(alertMeasure(a, 'box'), 'instructions')
  const plan = planAlertBisect(config, a, 'box')
  assert.equal(plan.kind, 'bisect')
  if (plan.kind !== 'bisect') return
  assert.equal(plan.measure, 'instructions')
  assert.deepEqual(plan.workloads, ['calls', 'nbody'])
  assert.equal(plan.primary, 'calls')
  assert.deepEqual(plan.directions, { calls: 1, nbody: -1 })
})

test('a mixed alert is bisected by time, on its time changes only', () => {
  const a = alert([change('calls', 'instructions', 1.3), change('nbody', 'time', 1.1)])
  assert.equal(alertMeasure(a, 'box'), 'time')
  const plan = planAlertBisect(config, a, 'box')
  assert.equal(plan.kind === 'bisect' && plan.measure, 'time')
  assert.deepEqual(plan.kind === 'bisect' && plan.workloads, ['nbody'])
})

test('the measure is chosen per machine, withdrawn changes left out', () => {
  const a = alert([
    change('calls', 'instructions', 1.04, 'box'),
    { ...change('nbody', 'time', 1.1, 'box'), status: 'withdrawn' },
    change('nbody', 'time', 1.1, 'other'),
  ])
  assert.equal(alertMeasure(a, 'box'), 'instructions')
  assert.equal(alertMeasure(a, 'other'), 'time')
  assert.equal(alertMeasure(a, 'nowhere'), 'time')
  assert.equal(planAlertBisect(config, a, 'nowhere').kind, 'skip')
})
