import assert from 'node:assert/strict'
import { test } from 'node:test'
import { boundaryNote, boundaryOf } from './index.ts'

const kernel = 'kernel: 5.15.0-67 → 5.15.0-88'

test('an infrastructure step names the crowd, its spread and the band it was judged against', () => {
  const b = boundaryOf({
    kind: 'infrastructure',
    details: {
      infrastructure: [kernel],
      seriesCrossing: 93,
      seriesMoved: 1,
      crowdMedian: 1.003,
      crowdSpread: 0.013,
    },
  })
  assert.ok(b !== null)
  assert.equal(
    boundaryNote('infrastructure', b),
    `${kernel} changed in this range; across it the group's 93 workloads shifted typically ×1.003 with a robust spread of ± 1.3 %, and 1 had a detected step: the step lies within 5 spreads of how the suite moved (×0.940–×1.070), so it is not blamed on a commit. Re-running the last good build on the new setup tells the two apart.`,
  )
})

test('a commit step across a boundary says it stands out of the band', () => {
  const b = boundaryOf({
    kind: 'commit',
    details: {
      epochCrossed: {
        infrastructure: [kernel],
        seriesCrossing: 100,
        seriesMoved: 3,
        crowdMedian: 1.0,
        crowdSpread: 0.004,
      },
    },
  })
  assert.ok(b !== null)
  const text = boundaryNote('commit', b)
  assert.match(
    text,
    /^The range also holds an infrastructure change \(kernel: 5\.15\.0-67 → 5\.15\.0-88\), but/,
  )
  assert.match(text, /stands more than 5 spreads out of how the suite moved \(×0\.980–×1\.020\)/)
  assert.match(text, /so a commit in the range is the likelier cause\.$/)
})

test('too few crossing workloads: the quarter rule is named instead of a spread', () => {
  const details = {
    infrastructure: [kernel],
    seriesCrossing: 3,
    seriesMoved: 2,
    crowdMedian: 1.1,
    crowdSpread: 0.01,
  }
  const text = boundaryNote('infrastructure', boundaryOf({ kind: 'infrastructure', details })!)
  assert.match(
    text,
    /only 3 workloads cross it, too few to tell how the suite moved, and 2 had a detected step: more than a quarter of them moved, so it is not blamed/,
  )
})

test('a change recorded before the crowd was kept still reads as one sentence', () => {
  const text = boundaryNote(
    'commit',
    boundaryOf({ kind: 'commit', details: { epochCrossed: { infrastructure: [] } } })!,
  )
  assert.equal(
    text,
    'The range also holds an infrastructure change (the infrastructure), but the step stands far out of how the suite moved there, so a commit in the range is the likelier cause.',
  )
})
