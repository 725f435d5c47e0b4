import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createRng } from '../lib/index.ts'
import { type BisectProbe, bisectWith } from './bisect.ts'

// The search on synthetic builds: commit i of a linear history (sha `c<ii>000…`) has a level per workload, and
// each measured process gets seeded log-normal noise around it.

interface Fake {
  readonly probe: BisectProbe
  readonly measured: { shas: readonly string[]; processes: number; phase: string }[]
  readonly prepared: string[]
}

function fakeHistory(
  level: (i: number, workload: string) => number,
  options: { readonly failing?: readonly number[]; readonly noise?: number; readonly seed?: number } = {},
): Fake {
  const rng = createRng(options.seed ?? 1)
  const sha = (i: number) => `c${String(i).padStart(2, '0')}${'0'.repeat(37)}`
  const index = (s: string) => Number(s.slice(1, 3))
  const noise = options.noise ?? 0.01
  const measured: Fake['measured'] = []
  const prepared: string[] = []
  const probe: BisectProbe = {
    between: async (good, bad) =>
      Array.from({ length: index(bad) - index(good) - 1 }, (_, k) => ({
        sha: sha(index(good) + 1 + k),
        subject: `commit ${index(good) + 1 + k}`,
      })),
    commit: async (s) => ({
      sha: s,
      subject: `commit ${index(s)}`,
      parent: index(s) > 0 ? sha(index(s) - 1) : null,
    }),
    prepare: async (s) => {
      prepared.push(s)
      return options.failing?.includes(index(s)) ? { ok: false, reason: 'make failed' } : { ok: true }
    },
    measure: async (shas, workloads, processes, context) => {
      measured.push({ shas, processes, phase: context.phase })
      return new Map(
        shas.map((s) => [
          s,
          new Map(
            workloads.map((w) => [
              w,
              Array.from({ length: processes }, () => {
                const z = Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng())
                return level(index(s), w) * Math.exp(noise * z)
              }),
            ]),
          ),
        ]),
      )
    },
  }
  return { probe, measured, prepared }
}

const SHA = (i: number) => `c${String(i).padStart(2, '0')}${'0'.repeat(37)}`
/** calls gets 50 % slower from commit 13 on; flat never moves. */
const step13 = (i: number, w: string) => (w === 'calls' && i >= 13 ? 1.5 : 1)

test('bisectWith() names the commit that slowed a workload and confirms it against its parent', async () => {
  const fake = fakeHistory(step13)
  const out = await bisectWith(fake.probe, { good: SHA(0), bad: SHA(20), workloads: ['calls', 'flat'] })
  assert.equal(out.kind, 'culprit')
  if (out.kind !== 'culprit') return
  assert.equal(out.culprit.sha, SHA(13))
  assert.equal(out.parent, SHA(12))
  assert.equal(out.confirmation.verdict, 'confirmed')
  // 19 candidates: about log2(20) midpoints.
  assert.ok(out.builds <= 5, `${out.builds} builds`)
  assert.match(
    out.note,
    /^c13\S* "commit 13" against its parent c12\S*: calls 1\.\d{3}× \[1\.\d{3}, 1\.\d{3}\]/,
  )
  assert.ok(out.steps.every((s) => s.outcome === 'like-good' || s.outcome === 'like-bad'))
  // Every midpoint measured with both ends, interleaved in one call; the confirmation with the parent.
  assert.ok(fake.measured.filter((m) => m.phase === 'midpoint').every((m) => m.shas.length === 3))
  assert.deepEqual(fake.measured.at(-1)!.shas, [SHA(12), SHA(13)])
})

test('bisectWith() finds an improvement as well as a slowdown', async () => {
  const fake = fakeHistory((i) => (i >= 3 ? 0.6 : 1))
  const out = await bisectWith(fake.probe, { good: SHA(0), bad: SHA(8), workloads: ['w'] })
  assert.equal(out.kind, 'culprit')
  assert.equal(out.kind === 'culprit' && out.culprit.sha, SHA(3))
})

test('a midpoint that fails to build is set aside and its neighbour tried', async () => {
  const fake = fakeHistory(step13, { failing: [10, 16] })
  const out = await bisectWith(fake.probe, { good: SHA(0), bad: SHA(20), workloads: ['calls'] })
  assert.equal(out.kind, 'culprit')
  assert.equal(out.kind === 'culprit' && out.culprit.sha, SHA(13))
  assert.ok(out.steps.some((s) => s.outcome === 'build-failed'))
})

test('when only commits that fail to build are left, the answer is the range they span', async () => {
  const fake = fakeHistory(step13, { failing: [13] })
  const out = await bisectWith(fake.probe, { good: SHA(0), bad: SHA(20), workloads: ['calls'] })
  assert.equal(out.kind, 'inconclusive')
  if (out.kind !== 'inconclusive') return
  assert.equal(out.good, SHA(12))
  assert.equal(out.bad, SHA(14))
  assert.match(out.reason, /every commit left in the range failed to build \(c13/)
})

test('the cap on builds stops a bisection with the range reached so far', async () => {
  const fake = fakeHistory(step13)
  const out = await bisectWith(
    fake.probe,
    { good: SHA(0), bad: SHA(20), workloads: ['calls'] },
    { maxBuilds: 2 },
  )
  assert.equal(out.kind, 'inconclusive')
  if (out.kind !== 'inconclusive') return
  assert.match(out.reason, /cap of 2 builds/)
  assert.equal(out.builds, 2)
  assert.ok(Number(out.good.slice(1, 3)) < 13 && Number(out.bad.slice(1, 3)) >= 13)
})

test('ends that do not differ stop the bisection: the change could not be reproduced', async () => {
  const fake = fakeHistory(() => 1)
  const out = await bisectWith(fake.probe, { good: SHA(0), bad: SHA(8), workloads: ['w'] }, { maxRounds: 2 })
  assert.equal(out.kind, 'inconclusive')
  assert.match(out.kind === 'inconclusive' ? out.reason : '', /ends do not differ in 20 processes each/)
})

test('a midpoint halfway between the ends gets doubling repeats, then is called inconclusive', async () => {
  // Commit 4 sits at the geometric middle of the ends: f = ½ however many processes are run.
  const fake = fakeHistory((i) => (i < 4 ? 1 : i === 4 ? Math.sqrt(1.5) : 1.5))
  const out = await bisectWith(
    fake.probe,
    { good: SHA(0), bad: SHA(8), workloads: ['w'] },
    { startProcesses: 5, maxRounds: 4 },
  )
  assert.equal(out.kind, 'inconclusive')
  assert.deepEqual(
    fake.measured.map((m) => m.processes),
    [5, 5, 10, 20],
  )
  assert.match(
    out.kind === 'inconclusive' ? out.reason : '',
    /stayed between the ends after 40 processes each/,
  )
})

test('a culprit that does not move the workload against its parent is not named', async () => {
  // The level changes between commits 2 and 3 for the search, but the confirmation measures
  // nothing (a probe where the parent is as slow as the culprit): inconclusive, not a wrong name.
  const fake = fakeHistory((i) => (i >= 3 ? 1.5 : 1))
  const probe: BisectProbe = {
    ...fake.probe,
    measure: async (shas, workloads, processes, context) =>
      context.phase === 'confirm'
        ? fake.probe
            .measure(
              shas.map(() => SHA(4)),
              workloads,
              processes,
              context,
            )
            .then((m) => new Map(shas.map((s) => [s, m.get(SHA(4))!])))
        : fake.probe.measure(shas, workloads, processes, context),
  }
  const out = await bisectWith(probe, { good: SHA(0), bad: SHA(4), workloads: ['w'] })
  assert.equal(out.kind, 'inconclusive')
  assert.match(out.kind === 'inconclusive' ? out.reason : '', /did not show the change against its parent/)
})

test('bisectWith() refuses bad options and ends that cannot be built', async () => {
  const fake = fakeHistory(() => 1, { failing: [4] })
  await assert.rejects(
    bisectWith(fake.probe, { good: SHA(0), bad: SHA(3), workloads: ['w'] }, { startProcesses: 1 }),
    /startProcesses "1": expected an integer ≥ 2/,
  )
  await assert.rejects(
    bisectWith(fake.probe, { good: SHA(0), bad: SHA(3), workloads: [] }),
    /at least one workload/,
  )
  await assert.rejects(
    bisectWith(fake.probe, { good: SHA(0), bad: SHA(4), workloads: ['w'] }),
    /the end c04\S* cannot be measured: make failed/,
  )
})

test('bisectWith() on exact counts: one process per build, one round, the culprit named and the note says so', async () => {
  // Exact counts (no noise): calls +3 % from commit 13; a midpoint never needs a second round.
  const fake = fakeHistory((i, w) => (w === 'calls' && i >= 13 ? 1.03e6 : 1e6), { noise: 0 })
  const out = await bisectWith(
    fake.probe,
    { good: SHA(0), bad: SHA(20), workloads: ['calls', 'flat'] },
    { exact: true },
  )
  assert.equal(out.kind, 'culprit')
  if (out.kind !== 'culprit') return
  assert.equal(out.culprit.sha, SHA(13))
  assert.ok(fake.measured.every((m) => m.processes === 1))
  assert.ok(out.steps.every((s) => s.rounds === 1 && s.processes === 1))
  // One measurement per midpoint and one for the confirmation: no repeats.
  assert.equal(fake.measured.length, out.steps.length + 1)
  assert.match(out.note, /calls 1\.0300×/)
  assert.match(
    out.note,
    /decided on instruction counts, a change being at least 0\.5 % from 1, one count per build\)/,
  )
  assert.doesNotMatch(out.note, /processes each|interleaved/)
  for (const step of out.steps) assert.match(step.note, /^calls f = \d\.\d\d \(exact\)/)
})

test('bisectWith() on exact counts calls a change under 0.5 % none, and refuses rounds or processes', async () => {
  const small = fakeHistory((i) => (i >= 5 ? 1.004e6 : 1e6), { noise: 0 })
  const out = await bisectWith(small.probe, { good: SHA(0), bad: SHA(9), workloads: ['w'] }, { exact: true })
  assert.equal(out.kind, 'inconclusive')
  assert.match(out.note, /the ends do not differ in one count per build .*decided on instruction counts/)
  const fake = fakeHistory(step13, { noise: 0 })
  for (const bad of [{ startProcesses: 2 }, { maxRounds: 3 }]) {
    await assert.rejects(
      bisectWith(fake.probe, { good: SHA(0), bad: SHA(20), workloads: ['calls'] }, { exact: true, ...bad }),
      /one process per build in one round/,
    )
  }
})
