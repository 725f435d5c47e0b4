import assert from 'node:assert/strict'
import { test } from 'node:test'
import { everyKth, planCommits } from './select.ts'

const commits = Array.from({ length: 10 }, (_, i) => ({ sha: `c${i}` }))
const shas = (xs: readonly { sha: string }[]) => xs.map((c) => c.sha)

test('everyKth() keeps the newest and every k-th before it, in order', () => {
  assert.deepEqual(everyKth([1, 2, 3, 4, 5, 6, 7], 3), [1, 4, 7])
  assert.deepEqual(everyKth([1, 2, 3], 1), [1, 2, 3])
  assert.deepEqual(everyKth([1, 2], 5), [2])
  assert.deepEqual(everyKth([], 2), [])
  assert.throws(() => everyKth([1], 0), /expected a positive integer/)
})

test('the first nightly of a branch measures only its head', () => {
  assert.deepEqual(shas(planCommits(commits, { measured: new Set(), every: 1 })), ['c9'])
})

test('a nightly measures the commits after the newest measured one, every k-th from the head', () => {
  assert.deepEqual(shas(planCommits(commits, { measured: new Set(['c2', 'c4']), every: 1 })), [
    'c5',
    'c6',
    'c7',
    'c8',
    'c9',
  ])
  assert.deepEqual(shas(planCommits(commits, { measured: new Set(['c4']), every: 2 })), ['c5', 'c7', 'c9'])
  assert.deepEqual(shas(planCommits(commits, { measured: new Set(['c9']), every: 1 })), [])
})

test('when the last measured commit is older than the listing, the newest maxNew commits are considered', () => {
  assert.deepEqual(shas(planCommits(commits, { measured: new Set(['zz']), every: 1, maxNew: 3 })), [
    'c7',
    'c8',
    'c9',
  ])
})

test('backfill plans every k-th of the last N commits and leaves out those measured', () => {
  assert.deepEqual(shas(planCommits(commits, { measured: new Set(), every: 3, backfill: 8 })), [
    'c3',
    'c6',
    'c9',
  ])
  assert.deepEqual(shas(planCommits(commits, { measured: new Set(['c6']), every: 3, backfill: 100 })), [
    'c0',
    'c3',
    'c9',
  ])
  assert.throws(
    () => planCommits(commits, { measured: new Set(), every: 1, backfill: 0 }),
    /Cannot backfill "0" commits/,
  )
})
