import assert from 'node:assert/strict'
import { test } from 'node:test'
import { INSTRUCTION_MIN_EFFECT } from '../analysis/index.ts'
import { compareCountsExact, judgeCulpritExact, judgeMidpointExact } from './verdict.ts'

// The exact verdicts of a bisection by instruction counts: one count per build and workload,
// a change being a ratio at least INSTRUCTION_MIN_EFFECT (0.5 %) from 1.

test('the exact threshold is the one compare uses for instruction counts', () => {
  assert.equal(INSTRUCTION_MIN_EFFECT, 0.005)
  // 0.6 % apart differ, 0.4 % do not.
  assert.equal(compareCountsExact([1000], [1006])!.differ, true)
  assert.equal(compareCountsExact([1000], [1004])!.differ, false)
  assert.equal(compareCountsExact([1000], [994])!.differ, true)
  const e = compareCountsExact([1000], [1100])!
  assert.equal(e.ratio, 1.1)
  assert.equal(e.ratioLow, e.ratio)
  assert.equal(e.ratioHigh, e.ratio)
  assert.equal(e.stderr, 0)
})

test('compareCountsExact() has no estimate without exactly one positive count a side', () => {
  for (const [a, b] of [
    [[], [1000]],
    [[1000, 1001], [1100]],
    [[0], [1100]],
    [[1000], [Number.NaN]],
  ] as const)
    assert.equal(compareCountsExact(a, b), null, `${a} vs ${b}`)
  assert.throws(() => compareCountsExact([1], [2], -0.1), /threshold/)
})

test('judgeMidpointExact() places the midpoint by the end its count is nearer on the log scale', () => {
  // good 1000, bad 2000: on the log scale the middle is √2·1000 ≈ 1414.2, not 1500.
  const cases: [number, string, number][] = [
    [1000, 'like-good', 0],
    [2000, 'like-bad', 1],
    [1400, 'like-good', Math.log(1.4) / Math.log(2)],
    [1430, 'like-bad', Math.log(1.43) / Math.log(2)],
    [1500, 'like-bad', Math.log(1.5) / Math.log(2)],
    // Outside the ends: still on the side it is nearer.
    [900, 'like-good', Math.log(0.9) / Math.log(2)],
    [2500, 'like-bad', Math.log(2.5) / Math.log(2)],
  ]
  for (const [mid, verdict, f] of cases) {
    const v = judgeMidpointExact([{ workload: 'w', good: [1000], mid: [mid], bad: [2000] }])
    assert.equal(v.verdict, verdict, `mid ${mid}`)
    assert.ok(Math.abs(v.pooled!.f - f) < 1e-9, `mid ${mid}: f ${v.pooled!.f}`)
    assert.equal(v.pooled!.low, v.pooled!.high)
  }
})

test('judgeMidpointExact() leaves a midpoint exactly half-way on the log scale undecided', () => {
  const v = judgeMidpointExact([{ workload: 'w', good: [1000], mid: [2000], bad: [4000] }])
  assert.equal(v.pooled!.f, 0.5)
  assert.equal(v.verdict, 'undecided')
})

test('judgeMidpointExact() sees a faster bad end the same way', () => {
  const v = judgeMidpointExact([{ workload: 'w', good: [2000], mid: [1050], bad: [1000] }])
  assert.equal(v.verdict, 'like-bad')
  assert.equal(
    judgeMidpointExact([{ workload: 'w', good: [2000], mid: [1950], bad: [1000] }]).verdict,
    'like-good',
  )
})

test('judgeMidpointExact() says ends-same when no workload moved by the threshold', () => {
  const v = judgeMidpointExact([
    { workload: 'a', good: [1000], mid: [1002], bad: [1004] },
    { workload: 'b', good: [500], mid: [500], bad: [500] },
  ])
  assert.equal(v.verdict, 'ends-same')
  assert.equal(v.pooled, null)
  // A workload whose ends are within 0.5 % takes no part beside one that moved.
  const w = judgeMidpointExact([
    { workload: 'a', good: [1000], mid: [1004], bad: [1004] },
    { workload: 'b', good: [1000], mid: [1000], bad: [1500] },
  ])
  assert.equal(w.verdict, 'like-good')
  assert.equal(w.workloads[0]!.position, null)
})

test('judgeMidpointExact() without a midpoint count cannot place it', () => {
  const v = judgeMidpointExact([{ workload: 'w', good: [1000], mid: [], bad: [2000] }])
  assert.equal(v.verdict, 'ends-same')
  assert.equal(v.workloads[0]!.ends!.differ, true)
})

test('judgeMidpointExact() lets the primary workload decide when workloads are on opposite sides', () => {
  const triples = [
    { workload: 'a', good: [1000], mid: [1000], bad: [2000] },
    { workload: 'b', good: [1000], mid: [2000], bad: [2000] },
  ]
  const byB = judgeMidpointExact(triples, { primary: 'b' })
  assert.equal(byB.split, true)
  assert.equal(byB.verdict, 'like-bad')
  const byFirst = judgeMidpointExact(triples)
  assert.equal(byFirst.verdict, 'like-good')
  // On the same side: the mean position decides.
  const same = judgeMidpointExact([
    { workload: 'a', good: [1000], mid: [1000], bad: [2000] },
    { workload: 'b', good: [1000], mid: [1200], bad: [2000] },
  ])
  assert.equal(same.split, false)
  assert.equal(same.verdict, 'like-good')
  assert.ok(Math.abs(same.pooled!.f - Math.log(1.2) / Math.log(2) / 2) < 1e-12)
})

test('judgeCulpritExact() confirms a change beyond the threshold in the expected direction only', () => {
  const one = (parent: number, child: number, expectedSign: 1 | -1) =>
    judgeCulpritExact([{ workload: 'w', parent: [parent], child: [child], expectedSign }]).verdict
  assert.equal(one(1000, 1006, 1), 'confirmed')
  assert.equal(one(1000, 1004, 1), 'undecided')
  assert.equal(one(1000, 994, 1), 'contradicted')
  assert.equal(one(1000, 900, -1), 'confirmed')
  assert.equal(one(1000, 1100, -1), 'contradicted')
  assert.equal(one(1000, 1000, 1), 'undecided')
  const c = judgeCulpritExact([{ workload: 'w', parent: [1000], child: [1500], expectedSign: 1 }])
  assert.ok(Math.abs(c.pooled!.logRatio - Math.log(1.5)) < 1e-12)
  assert.equal(c.pooled!.low, c.pooled!.high)
})

test('judgeCulpritExact() over several workloads: confirmed unless one contradicts', () => {
  const pair = (workload: string, child: number) => ({
    workload,
    parent: [1000],
    child: [child],
    expectedSign: 1 as const,
  })
  assert.equal(judgeCulpritExact([pair('a', 1500), pair('b', 1001)]).verdict, 'confirmed')
  assert.equal(judgeCulpritExact([pair('a', 1500), pair('b', 900)]).verdict, 'undecided')
  assert.equal(judgeCulpritExact([pair('a', 1000), pair('b', 900)]).verdict, 'contradicted')
  const none = judgeCulpritExact([{ workload: 'a', parent: [], child: [1000], expectedSign: 1 }])
  assert.equal(none.verdict, 'undecided')
  assert.equal(none.pooled, null)
})
