import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import type { FarmJobKey, NewFarmJob } from '../api/index.ts'
import { gitMissing, initGitRepo } from '../build/index.ts'
import { openSqliteStore } from '../store/index.ts'
import { type FarmScheduler, runFarmNightly } from './farm-nightly.ts'
import { toyRecipeConfig } from './testing.ts'

// The farm's nightly planner against a queue that only remembers (no agent runs anything): each
// machine's plan, build jobs with their build and sampling, a commit queued for a machine never
// planned again for it, and a machine's plan going on from what its queue holds.

const root = mkdtempSync(join(tmpdir(), 'langperf-farm-plan-'))
after(() => rmSync(root, { recursive: true, force: true }))

/** A queue that keeps what is enqueued; every job stays waiting, but those the test fails for good. */
function memoryQueue(): FarmScheduler & {
  readonly jobs: NewFarmJob[]
  readonly failed: Set<string>
  readonly asked: number[]
} {
  const jobs: NewFarmJob[] = []
  const failed = new Set<string>()
  const asked: number[] = []
  const idOf = (k: FarmJobKey) => [k.runtime, k.commit, k.config, k.machine, k.suite, k.purpose].join('|')
  return {
    jobs,
    failed,
    asked,
    async enqueue(batch) {
      return batch.map((j) => {
        const added = !jobs.some((x) => idOf(x.key) === idOf(j.key))
        if (added) jobs.push(j)
        return { id: idOf(j.key), added }
      })
    },
    async unfinishedKeys(machine) {
      return jobs.filter((j) => j.key.machine === machine).map((j) => j.key)
    },
    async states(_machine, ids) {
      return new Map(ids.map((id) => [id, 'waiting']))
    },
    async retryFailed(machine, maxTries) {
      asked.push(maxTries)
      const again = jobs.filter((j) => j.key.machine === machine && failed.has(idOf(j.key)))
      for (const j of again) failed.delete(idOf(j.key))
      return again.map((j) => ({
        id: `${idOf(j.key)}-t2`,
        key: j.key,
        nightlyTry: 2,
        build: j.build ?? null,
      }))
    },
  }
}

test('the farm nightly enqueues one build job per planned commit and machine, and never plans a queued commit again', {
  skip: gitMissing(),
}, async () => {
  const { commit } = initGitRepo(join(root, 'origin'))
  const shas = Array.from({ length: 6 }, (_, i) =>
    commit({ VERSION: `0.${i}\n` }, `Version 0.${i}`, { date: `2024-01-01T00:0${i}:00Z` }),
  )
  const config = toyRecipeConfig(
    join(root, 'origin'),
    root,
    `
[suites]
default = ["quick"]

[[machines]]
name = "bench-3"
`,
  )
  const store = await openSqliteStore(':memory:')
  const farm = memoryQueue()
  try {
    await store.registerAgent({ machine: 'bench-1', tokenId: 1, info: {}, at: '2024-01-02T00:00:00Z' })
    const nightly = (options: Parameters<typeof runFarmNightly>[2] = {}) =>
      runFarmNightly(config, { store, farm }, { sampling: { preset: 'fast', processes: 4 }, ...options })

    const first = await nightly({ backfill: 5, every: 2 })
    // The registered agent's machine and the configured one, each commits 1, 3 and 5.
    assert.deepEqual(first.machines, ['bench-1', 'bench-3'])
    assert.deepEqual(
      first.jobs.map((j) => [j.machine, shas.indexOf(j.sha), j.added]),
      [
        ['bench-1', 1, true],
        ['bench-1', 3, true],
        ['bench-1', 5, true],
        ['bench-3', 1, true],
        ['bench-3', 3, true],
        ['bench-3', 5, true],
      ],
    )
    const job = farm.jobs[0]
    assert.deepEqual(job?.key, {
      runtime: 'toy',
      commit: shas[1],
      config: 'default',
      machine: 'bench-1',
      suite: 'quick',
      purpose: 'measure',
    })
    assert.equal(job?.measure.preset, 'fast')
    assert.equal(job?.measure.processes, 4)
    assert.deepEqual(job?.measure.workloads, [
      'nbody',
      'oo_simulation',
      'regex_logs',
      'json_roundtrip',
      'generators',
    ])
    assert.deepEqual(job?.build, {
      remote: join(root, 'origin'),
      branch: 'main',
      commitDateUtc: '2024-01-01T00:01:00Z',
      firstParentPosition: 1,
      subject: 'Version 0.1',
      recipe: {
        kind: 'generic',
        fetch: [],
        build: ['make'],
        install: ['make install'],
        env: {},
        executable: 'bin/toy',
      },
      references: [],
    })
    // Each later job may be measured beside the commits planned before it (a chain), newest first.
    assert.deepEqual(
      farm.jobs
        .slice(1, 3)
        .map((j) => [shas.indexOf(j.key.commit), j.build?.references.map((r) => shas.indexOf(r.commit))]),
      [
        [3, [1]],
        [5, [3, 1]],
      ],
    )
    // Nothing measured yet: no detection.
    assert.deepEqual(
      first.detections.map((d) => [d.machine, d.state]),
      [
        ['bench-1', 'skipped'],
        ['bench-3', 'skipped'],
      ],
    )

    // The jobs still wait (the agents are away): the same nightly plans nothing.
    const again = await nightly({ backfill: 5, every: 2 })
    assert.deepEqual(again.jobs, [])

    // Two new commits: each machine's plan goes on from the queued head, one machine at a time.
    shas.push(commit({ VERSION: '0.6\n' }, 'Version 0.6', { date: '2024-01-01T00:06:00Z' }))
    shas.push(commit({ VERSION: '0.7\n' }, 'Version 0.7', { date: '2024-01-01T00:07:00Z' }))
    const only = await nightly({ machines: ['bench-3'] })
    assert.deepEqual(
      only.jobs.map((j) => [j.machine, shas.indexOf(j.sha)]),
      [
        ['bench-3', 6],
        ['bench-3', 7],
      ],
    )
    const dry = await nightly({ dryRun: true })
    assert.deepEqual(
      dry.planned.map((p) => [p.machine, shas.indexOf(p.sha)]),
      [
        ['bench-1', 6],
        ['bench-1', 7],
      ],
    )
    assert.deepEqual(dry.jobs, [])
    assert.equal(farm.jobs.length, 8)

    // bench-1's job of commit 1 failed for good: the next nightly enqueues it again (its second
    // try, at most 3 nightlies' tries) beside its plan; a dry run retries nothing.
    const triesAsked = farm.asked.length
    farm.failed.add(Object.values(farm.jobs[0]!.key).join('|'))
    await nightly({ machines: ['bench-1'], dryRun: true })
    assert.equal(farm.asked.length, triesAsked)
    const retry = await nightly({ machines: ['bench-1'] })
    assert.deepEqual(
      retry.jobs.map((j) => [j.machine, shas.indexOf(j.sha), j.nightlyTry ?? 1, j.state]),
      [
        ['bench-1', 1, 2, 'waiting'],
        ['bench-1', 6, 1, 'waiting'],
        ['bench-1', 7, 1, 'waiting'],
      ],
    )
    assert.deepEqual(farm.asked.slice(triesAsked), [3])
  } finally {
    await store.close()
  }
})
