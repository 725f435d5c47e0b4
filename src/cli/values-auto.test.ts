import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { samplingAdvice } from '../analysis/index.ts'
import type { ProcessSamples } from '../model/index.ts'
import { cli } from './toy-runtime.ts'

const tmp = mkdtempSync(join(tmpdir(), 'langperf-values-auto-'))
after(() => rmSync(tmp, { recursive: true, force: true }))

test('samplingAdvice reads a process cost and a value cost from the recorded wall times', () => {
  // Values of 0.01 s per loop × 10 loops = 0.1 s each; wall 1.4 s → 1.1 s besides the values (its warm-up included).
  const proc = (level: number): ProcessSamples => ({
    warmups: [[10, 0.01]],
    values: [0.01 * level, 0.0101 * level, 0.0099 * level],
    metadata: { worker_wall_ms: 1400 },
  })
  const result = {
    processes: [
      proc(1),
      proc(1.05),
      proc(0.95),
      proc(1.02),
      { warmups: [], values: [], metadata: { calibrate_loops: 10 } },
    ],
    loops: 10,
    innerLoops: 1,
    outcome: { state: 'measured' } as const,
  }
  const a = samplingAdvice(result)
  assert.ok(!('reason' in a))
  assert.ok(Math.abs(a.costs.valueS - 0.1) < 0.002, `value ${a.costs.valueS}`)
  assert.ok(Math.abs(a.costs.processS - 1.1) < 0.01, `process ${a.costs.processS}`)
  assert.equal(a.measuredValues, 3)
  // Processes differ (±5 %) far more than values within them (±1 %): one value per process.
  assert.equal(a.allocation.values, 1)
  assert.ok(a.timeRatio < 1)
  const imported = { ...result, processes: result.processes.map((p) => ({ ...p, metadata: {} })) }
  assert.deepEqual(samplingAdvice(imported), { reason: 'no wall time recorded per process (worker_wall_ms)' })
})

test('run --values auto allocates from the earlier run of the build, and says so', async () => {
  const db = join(tmp, 'auto.db')
  const base = ['--workload', 'sieve', '--python', 'python3', '--processes', '3', '--min-time', '0.01']
  const first = await cli('run', ...base, '--values', 'auto', '--db', db, '--no-progress')
  assert.equal(first.code, 0, first.err)
  assert.match(
    first.err,
    /--values auto: no earlier run of these builds on .* 3 values per process \(the preset's\) this time/,
  )
  const second = await cli('run', ...base, '--values', 'auto', '--db', db, '--no-progress')
  assert.equal(second.code, 0, second.err)
  const m = /--values auto, values per process from earlier runs on [^:]+: sieve (\d+) \(σ within/.exec(
    second.err,
  )
  assert.ok(m, second.err)
  const { run, results } = JSON.parse((await cli('show', '2', '--db', db, '--json', '--samples')).out)
  assert.deepEqual(run.metadata.values_auto, { sieve: Number(m[1]) })
  const measured = results[0].processes.filter((p: { values: unknown[] }) => p.values.length > 0)
  assert.ok(
    measured.length === 3 && measured.every((p: { values: unknown[] }) => p.values.length === Number(m[1])),
  )
  const bad = await cli('run', ...base, '--values', 'some', '--db', db, '--no-progress')
  assert.equal(bad.code, 2)
  assert.match(bad.err, /expected a positive integer or auto for --values, found "some"/)
})
