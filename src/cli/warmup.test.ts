import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { exampleWarmupRun, openSqliteStore } from '../store/index.ts'
import { cli } from './toy-runtime.ts'

const tmp = mkdtempSync(join(tmpdir(), 'langperf-warmup-'))
after(() => rmSync(tmp, { recursive: true, force: true }))

test('langperf warmup prints each workload’s class, process classes and steady state', async () => {
  const db = join(tmp, 'warmup.db')
  const store = await openSqliteStore(db)
  await store.insertRuns([exampleWarmupRun()])
  await store.close()
  const { code, out } = await cli('warmup', 'latest', '--db', db, '--per-process')
  assert.equal(code, 0)
  const line = (name: string) => out.split('\n').find((l) => l.startsWith(`${name} `)) ?? ''
  assert.match(line('jit_warm'), /^jit_warm\s+warm-up\s+4 warm-up\s+21 \[\d+, \d+\]\s+\d+\.?\d* ms \[/)
  assert.match(line('steady'), /^steady\s+flat\s+4 flat\s+1 \[1, 1\]/)
  assert.match(
    line('late'),
    /^late\s+bad inconsistent\s+3 flat, 1 none\s+no steady state \(1 of 4 processes\)/,
  )
  assert.match(out, /late: bad inconsistent\nprocess/)
  const json = await cli('warmup', 'latest', '--db', db, '--json')
  const doc = JSON.parse(json.out) as { workloads: { class: string }[] }
  assert.deepEqual(
    doc.workloads.map((w) => w.class),
    ['warmup', 'flat', 'bad-inconsistent'],
  )
})

test('run --warmup-series times one call per iteration, none dropped, and warmup classifies it', async () => {
  const db = join(tmp, 'series.db')
  const series = [
    '--workload',
    'sieve',
    '--python',
    'python3',
    '--processes',
    '2',
    '--db',
    db,
    '--no-progress',
  ]
  const r = await cli('run', ...series, '--warmup-series', '25', '--cpu-time')
  assert.equal(r.code, 0, r.err)
  assert.match(r.err, /2 processes × \(0 warm-up \+ 25 values\)/)
  assert.match(r.out, /`langperf warmup 1`/)
  const { run, results } = JSON.parse((await cli('show', '1', '--db', db, '--json', '--samples')).out)
  assert.equal(run.preset, 'warmup')
  assert.deepEqual(run.metadata.warmup_series, { iterations: 25, loops: 'one', clock: 'cpu' })
  // min_time_s 0: a later ordinary run must not reuse loops of 1 as calibrated ones.
  assert.equal(run.metadata.min_time_s, 0)
  const [result] = results
  assert.equal(result.loops, 1)
  assert.deepEqual(result.metadata.calibration, { frozen_loops: 1 })
  assert.deepEqual(
    result.processes.map((p: { warmups: unknown[]; values: unknown[] }) => [
      p.warmups.length,
      p.values.length,
    ]),
    [
      [0, 25],
      [0, 25],
    ],
    'no calibration process, no warm-up dropped',
  )
  assert.equal(result.processes[0].metadata.clock, 'process_time')
  const classified = await cli('warmup', '1', '--db', db, '--json')
  assert.equal(JSON.parse(classified.out).workloads[0].state, 'classified')
  // At the default minimum time, the one a warm-up series of loops 1 would wrongly have recorded.
  const later = await cli(
    'run',
    ...['--workload', 'sieve', '--python', 'python3', '--processes', '1', '--values', '1'],
    ...['--db', db, '--no-progress'],
  )
  assert.equal(later.code, 0, later.err)
  assert.doesNotMatch(later.err, /reused from earlier runs/)
})

test('run refuses --cpu-time without --warmup-series, and presets beside it', async () => {
  const db = join(tmp, 'refused.db')
  const base = ['--workload', 'sieve', '--python', 'python3', '--db', db, '--no-progress']
  const lone = await cli('run', ...base, '--cpu-time')
  assert.equal(lone.code, 2)
  assert.match(lone.err, /Cannot use --cpu-time without --warmup-series/)
  const fast = await cli('run', ...base, '--warmup-series', '50', '--fast')
  assert.equal(fast.code, 2)
  assert.match(fast.err, /Cannot use --fast with --warmup-series/)
  const many = await cli('run', ...base, '--warmup-series', '1')
  assert.equal(many.code, 2)
  assert.match(many.err, /Cannot use --warmup-series 1: expected an integer from 2 to 10000/)
})
