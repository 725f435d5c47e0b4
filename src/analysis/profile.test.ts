import assert from 'node:assert/strict'
import { test } from 'node:test'
import { gzipSync } from 'node:zlib'
import { describeInterpreter, interpreterIdentity, loadWorkloads } from '../runner/index.ts'
import { exampleEnvironment, openSqliteStore } from '../store/index.ts'
import { isTimedFrame, profileAndStore, profileStacks, stacksText } from './profile.ts'

// The views' choice of samples: by default those inside the harness's timed loop.

const H = '/repo/harness/python/langperf_harness.py'
const STACKS = [
  `<module> (${H}:1);main (${H}:1036);run (${H}:909);load_workload (${H}:782);<module> (/w/typing.py:1) 7`,
  `<module> (${H}:1);main (${H}:1036);run (${H}:909);_time_step (${H}:801);step (/w/nbody/workload.py:100);advance (/w/nbody/workload.py:72) 90`,
  `<module> (${H}:1);main (${H}:1036);run (${H}:909);_time_step (${H}:801) 1`,
  `<module> (${H}:1);main (${H}:1036);run (${H}:909);_time_with_time_loops (${H}:811);time_loops (/w/s/workload.py:5) 2`,
  ' 4',
  '',
].join('\n')

test('isTimedFrame() knows the timed functions of the harness file only', () => {
  assert.equal(isTimedFrame({ name: '_time_step', file: H, line: 801 }), true)
  assert.equal(isTimedFrame({ name: '_time_with_time_loops', file: 'langperf_harness.py', line: 811 }), true)
  assert.equal(isTimedFrame({ name: '_time_step', file: '/w/other.py', line: 1 }), false)
  assert.equal(isTimedFrame({ name: 'run', file: H, line: 909 }), false)
})

test('profileStacks() counts the timed samples by default, every sample with wholeProcess', () => {
  const gz = gzipSync(STACKS)
  assert.equal(stacksText(gz), STACKS)
  const timed = profileStacks(gz)
  assert.deepEqual([timed.stacks.samples, timed.processSamples, timed.timedOnly], [93, 104, true])
  const whole = profileStacks(gz, { wholeProcess: true })
  assert.deepEqual([whole.stacks.samples, whole.processSamples, whole.timedOnly], [104, 104, false])
})

test('profileStacks() counts every sample when none was taken in a timed value', () => {
  const s = profileStacks(gzipSync('main (/w/a.py:1);f (/w/a.py:3) 5\n'))
  assert.deepEqual([s.stacks.samples, s.processSamples, s.timedOnly], [5, 5, false])
})

test('profileAndStore() stores an unavailable profile with the reason when py-spy could not be installed', async (t) => {
  const d = await describeInterpreter('python3')
  if (!d.ok) {
    t.skip(`no python3: ${d.reason}`)
    return
  }
  const interpreter = {
    identity: interpreterIdentity(d.info),
    info: d.info,
    foundAs: 'python3',
    origin: '--python',
  }
  const workload = (await loadWorkloads()).find((w) => w.manifest.name === 'nbody')
  assert.ok(workload)
  const store = await openSqliteStore(':memory:')
  try {
    const reason =
      'Cannot install py-spy==0.4.2 with "python3 -m pip install --target": No matching distribution'
    const out = await profileAndStore(
      store,
      {
        interpreters: [interpreter],
        workload,
        tool: { ok: false, reason },
        durationS: 1,
        processes: 1,
        rateHz: 250,
        minTimeS: 0.1,
      },
      { machine: 'bench-1', environment: exampleEnvironment(), now: () => new Date('2024-10-01T10:00:00Z') },
    )
    const p = await store.getProfile(out.profileIds[0] ?? 0)
    assert.equal(p?.state, 'unavailable')
    assert.equal(p?.message, reason)
    assert.equal(p?.processes, 0)
    assert.equal(p?.build.identity, `local:${interpreter.identity}`)
    assert.deepEqual(p?.workload, { name: 'nbody', version: workload.version })
  } finally {
    await store.close()
  }
})
