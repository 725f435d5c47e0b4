import assert from 'node:assert/strict'
import { test } from 'node:test'
import { lineHistory } from '../analysis/index.ts'
import type { BuildSpec } from '../model/index.ts'
import { exampleBuild, exampleRunWithResults, openSqliteStore } from '../store/index.ts'
import { computeOverview } from './overview.ts'

// The overview's row of a line is its head against the build before it, in the line's history
// order: not the run started last, which may be an older commit run again.

const build = (sha: string, date: string | null, metadata: BuildSpec['metadata'] = {}): BuildSpec =>
  exampleBuild(sha, { identity: sha, commitDateUtc: date, metadata })

test("a line's row is its head against the build before it, whatever ran later", async () => {
  const store = await openSqliteStore(':memory:')
  try {
    const day = (d: number) => `2024-10-0${d}T10:00:00Z`
    const c1 = build('c1c1c1c1', '2024-09-01T00:00:00Z')
    const c2 = build('c2c2c2c2', '2024-09-02T00:00:00Z')
    const c3 = build('c3c3c3c3', '2024-09-03T00:00:00Z')
    const [first, ownC2, head, , , again] = await store.insertRuns([
      exampleRunWithResults({ startedAt: day(1), build: c1 }),
      exampleRunWithResults({ startedAt: day(2), build: c2 }),
      exampleRunWithResults({ startedAt: day(3), build: c3 }),
      // A nightly's pair of c3: c2 measured again as its reference, then a round of both.
      exampleRunWithResults({ startedAt: day(4), build: c2, metadata: { purpose: 'reference' } }),
      exampleRunWithResults({ startedAt: day(5), build: c3, metadata: { purpose: 'pair-round' } }),
      // The oldest commit run again as a baseline: started last, still not the line's news.
      exampleRunWithResults({ startedAt: day(6), build: c1 }),
    ])
    const { rows } = await computeOverview(store)
    assert.equal(rows.length, 1)
    assert.deepEqual([rows[0]?.latest.id, rows[0]?.previous?.id], [head, ownC2])
    // Its recent history (the page's sparkline) in the same order, without the pair's runs.
    assert.deepEqual(rows[0]?.recent, [head, ownC2, again, first])
  } finally {
    await store.close()
  }
})

test('a nightly head is compared with the reference it was measured beside, not a separate run', async () => {
  const store = await openSqliteStore(':memory:')
  try {
    const day = (d: number) => `2024-10-0${d}T10:00:00Z`
    const c1 = build('c1c1c1c1', '2024-09-01T00:00:00Z')
    const c2 = build('c2c2c2c2', '2024-09-02T00:00:00Z')
    const [, ownC2, reference] = await store.insertRuns([
      exampleRunWithResults({ startedAt: day(1), build: c1 }),
      exampleRunWithResults({ startedAt: day(2), build: c2 }),
      // The night of c3: c2 again as its reference, in one group with c3's run.
      exampleRunWithResults({
        startedAt: day(3),
        build: c2,
        groupId: 'pair-3',
        metadata: { purpose: 'reference', reference_for: 'c3c3c3c3' },
      }),
    ])
    const [head] = await store.insertRuns([
      exampleRunWithResults({
        startedAt: day(3),
        build: build('c3c3c3c3', '2024-09-03T00:00:00Z'),
        groupId: 'pair-3',
        metadata: { purpose: 'nightly', reference_run_id: reference! },
      }),
    ])
    const { rows } = await computeOverview(store)
    assert.deepEqual(
      [rows[0]?.latest.id, rows[0]?.previous?.id, rows[0]?.against],
      [head, reference, 'previous run'],
    )
    // The reference is not history: the recent runs are the builds' own.
    assert.deepEqual(rows[0]?.recent.slice(0, 2), [head, ownC2])
    // A reference of another build than the one before (c2's, when c3 is before c4) is not used.
    const [again] = await store.insertRuns([
      exampleRunWithResults({
        startedAt: day(5),
        build: build('c4c4c4c4', '2024-09-04T00:00:00Z'),
        metadata: { purpose: 'nightly', reference_run_id: ownC2! },
      }),
    ])
    const next = await computeOverview(store)
    assert.deepEqual([next.rows[0]?.latest.id, next.rows[0]?.previous?.id], [again, head])
  } finally {
    await store.close()
  }
})

test('a line placed by ancestry takes its head by first-parent position, not commit date', async () => {
  const store = await openSqliteStore(':memory:')
  try {
    // The later commit on the line carries the earlier date (committer dates are not monotonic).
    const first = build('f1f1f1f1', '2024-09-02T00:00:00Z', { history_order: 1 })
    const second = build('f2f2f2f2', '2024-09-01T00:00:00Z', { history_order: 2 })
    const [a, b] = await store.insertRuns([
      exampleRunWithResults({ startedAt: '2024-10-01T10:00:00Z', build: first }),
      exampleRunWithResults({ startedAt: '2024-10-01T11:00:00Z', build: second }),
    ])
    const { rows } = await computeOverview(store)
    assert.deepEqual([rows[0]?.latest.id, rows[0]?.previous?.id], [b, a])
  } finally {
    await store.close()
  }
})

test('a line without commits (an interpreter found on the machine) compares its last two runs', async () => {
  const store = await openSqliteStore(':memory:')
  try {
    const found = exampleBuild('unused', {
      identity: 'python3.12',
      commitSha: null,
      commitDateUtc: null,
      branch: '3.12.1',
    })
    const [first, second] = await store.insertRuns([
      exampleRunWithResults({ startedAt: '2024-10-01T10:00:00Z', build: found }),
      exampleRunWithResults({ startedAt: '2024-10-02T10:00:00Z', build: found }),
    ])
    const { rows } = await computeOverview(store)
    assert.deepEqual([rows[0]?.branch, rows[0]?.latest.id, rows[0]?.previous?.id], ['3.12.1', second, first])
  } finally {
    await store.close()
  }
})

test("lineHistory() gives a line's order whatever order its runs come in", async () => {
  const store = await openSqliteStore(':memory:')
  try {
    const b1 = build('b1b1b1b1', '2024-09-01T00:00:00Z')
    const b2 = build('b2b2b2b2', '2024-09-02T00:00:00Z')
    await store.insertRuns([
      exampleRunWithResults({ startedAt: '2024-10-01T10:00:00Z', build: b1 }),
      exampleRunWithResults({ startedAt: '2024-10-02T10:00:00Z', build: b2 }),
      exampleRunWithResults({
        startedAt: '2024-10-03T10:00:00Z',
        build: b2,
        metadata: { purpose: 'reference' },
      }),
      exampleRunWithResults({ startedAt: '2024-10-04T10:00:00Z', build: b1 }),
    ])
    const [group] = await store.latestRunsByGroup({ perGroup: 10, order: 'commit' })
    const runs = group?.runs ?? []
    const expected = runs.filter((r) => r.metadata.purpose !== 'reference').map((r) => r.id)
    assert.equal(expected.length, 3)
    for (const shuffled of [[...runs].reverse(), [runs[2]!, runs[0]!, runs[3]!, runs[1]!]]) {
      assert.deepEqual(
        lineHistory(shuffled).map((r) => r.id),
        expected,
      )
    }
  } finally {
    await store.close()
  }
})
