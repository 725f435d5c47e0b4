import assert from 'node:assert/strict'
import { test } from 'node:test'
import { type BetweenRunReading, separateRunsSentence } from './compare.ts'

// The sentence every view of a comparison of separate runs gives: how the noise between runs was
// found for the workloads and for the geometric mean.

const noise = (source: BetweenRunReading['source'], sigma = 0.02, runs = 0): BetweenRunReading => ({
  source,
  sigma,
  runs,
})

test('separateRunsSentence() names each source of the between-run noise and the geometric mean’s', () => {
  const all = separateRunsSentence([{ betweenRuns: noise('default') }], noise('default'))
  assert.match(
    all,
    /a stated 2\.0 % per run for every workload; the geometric mean's: a stated 2\.0 % per run\./,
  )
  const mixed = separateRunsSentence(
    [
      { betweenRuns: noise('learned', 0.01, 6) },
      { betweenRuns: noise('history', 0.012, 30) },
      { betweenRuns: noise('history', 0.008, 30) },
    ],
    noise('history', 0.0056, 30),
    (c) => `\`${c}\``,
  )
  assert.match(mixed, /learned from repeated runs of these builds on their machine for 1 of 3 workloads/)
  assert.match(mixed, /successive differences of their line's newest builds there for 2 of 3 workloads/)
  assert.doesNotMatch(mixed, /stated/)
  assert.match(mixed, /the geometric mean's: ± 0\.6 % per run, read from 30 builds of their line\./)
  assert.match(mixed, /one `langperf run` for the tightest/)
  assert.match(
    separateRunsSentence([], noise('learned', 0.01, 4)),
    /none compared.*learned from 4 runs of these builds/,
  )
})
