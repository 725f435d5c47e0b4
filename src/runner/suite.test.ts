import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import type { WorkloadDefinition, WorkloadResult } from '../model/index.ts'
import { discoverInterpreters, type Interpreter } from './discovery.ts'
import { getPreset } from './presets.ts'
import { peakRssMetadata } from './result-metadata.ts'
import { measureSuite, type SuiteEvent } from './suite.ts'
import { testWorkload } from './workload-testing.ts'

// These tests spawn the real python3 with the real harness on small workload files.

const dir = mkdtempSync(join(tmpdir(), 'langperf-suite-'))

function workload(name: string, code: string, requiresPython = '2.7'): WorkloadDefinition {
  return testWorkload(dir, name, code, { requiresPython })
}

const ok = workload(
  'ok',
  'def make(params):\n    n = params["n"]\n    def step():\n        return sum(range(n))\n    return step\n',
)
const noisy = workload(
  'noisy',
  'import sys\ndef make(params):\n    print("hello on stdout")\n    sys.stderr.write("hello on stderr\\n")\n    def step():\n        return sum(range(100))\n    return step\n',
)
const raises = workload('raises', 'def make(params):\n    raise ValueError("boom at setup")\n')
const crashes = workload(
  'crashes',
  'import os\ndef make(params):\n    def step():\n        os.abort()\n    return step\n',
)
const hangs = workload(
  'hangs',
  'import time\ndef make(params):\n    def step():\n        time.sleep(3600)\n    return step\n',
)
const garbage = workload(
  'garbage',
  'import os\ndef make(params):\n    os.write(3, b"{not json at all")\n    def step():\n        return 1\n    return step\n',
)
const future = workload('future', 'def make(params):\n    return lambda: None\n', '9.9')

const tiny = {
  ...getPreset('fast'),
  plain: { processes: 3, warmups: 1, values: 2 },
  jit: { processes: 3, warmups: 1, values: 2 },
  minTimeS: 0.005,
}

async function python3(): Promise<Interpreter> {
  const { interpreters } = await discoverInterpreters({ explicit: ['python3'] })
  return interpreters[0]!
}

async function measure(
  interps: readonly Interpreter[],
  workloads: readonly WorkloadDefinition[],
  timeoutMs = 20_000,
) {
  const events: SuiteEvent[] = []
  const results: { index: number; result: WorkloadResult }[] = []
  await measureSuite(
    { interpreters: interps, workloads, preset: tiny, timeoutMs },
    {
      onEvent: (e) => {
        events.push(e)
        if (e.kind === 'result') results.push({ index: e.interpreterIndex, result: e.result })
      },
    },
  )
  return { events, results }
}

test('measureSuite() calibrates once, then runs every process at the frozen loop count', async () => {
  const py = await python3()
  const { results } = await measure([py], [ok])
  const r = results[0]!.result
  assert.equal(r.outcome.state, 'measured')
  assert.equal(r.processes.length, 1 + 3, 'calibration process plus three workers')
  const [calibration, ...workers] = r.processes
  assert.equal(calibration!.values.length, 0)
  assert.ok(calibration!.warmups.length >= 1)
  assert.equal(calibration!.metadata.calibrate_loops, r.loops)
  for (const p of workers) {
    assert.equal(p.values.length, 2)
    assert.equal(p.warmups.length, 1)
    assert.equal(p.warmups[0]![0], r.loops, 'warm-up ran at the frozen loop count')
    for (const v of p.values) assert.ok(v > 0 && Number.isFinite(v))
  }
  // The result records the largest peak memory of its processes, as each worker measured it.
  const peaks = r.processes.map((p) => p.metadata.max_rss_bytes).filter((v) => typeof v === 'number')
  assert.ok(peaks.length > 0)
  assert.equal(r.metadata.peak_rss_bytes, Math.max(...(peaks as number[])))
})

test('peakRssMetadata() keeps the largest measured peak, nothing when none was measured', () => {
  const p = (metadata: Record<string, number | string>) => ({ warmups: [], values: [1], metadata })
  assert.deepEqual(peakRssMetadata([p({ max_rss_bytes: 10 }), p({ max_rss_bytes: 30 }), p({})]), {
    peak_rss_bytes: 30,
  })
  assert.deepEqual(peakRssMetadata([p({ max_rss_bytes: 'lots' }), p({})]), {})
  assert.deepEqual(peakRssMetadata([]), {})
})

test('measureSuite() interleaves interpreters, alternating the order every round', async () => {
  const py = await python3()
  const twin = { ...py, identity: `${py.identity}-twin` }
  const { events } = await measure([py, twin], [ok])
  const order = events.flatMap((e) => (e.kind === 'process' && e.process > 0 ? [e.interpreterIndex] : []))
  assert.deepEqual(order, [0, 1, 1, 0, 0, 1])
  const done = events.flatMap((e) => (e.kind === 'process' ? [e.done] : []))
  assert.deepEqual(done, [1, 2, 3, 4, 5, 6, 7, 8], 'progress counts every process once')
})

test('adaptive sampling stops at the round its rule is settled, or at the bound, and records which', async () => {
  const py = await python3()
  const seen: number[] = []
  const run = async (settleAt: number | null) => {
    const results: WorkloadResult[] = []
    const events: SuiteEvent[] = []
    await measureSuite(
      {
        interpreters: [py],
        workloads: [ok],
        preset: tiny,
        timeoutMs: 20_000,
        adaptive: {
          minProcesses: 2,
          maxProcesses: 5,
          settled: (sides) => {
            const n = sides[0]!.processMeans.length
            seen.push(n)
            return settleAt !== null && n >= settleAt
          },
          describe: { rule: 'test' },
        },
      },
      {
        onEvent: (e) => {
          events.push(e)
          if (e.kind === 'result') results.push(e.result)
        },
      },
    )
    return { result: results[0]!, events }
  }
  const settled = await run(3)
  assert.deepEqual(seen, [2, 3], 'asked after each round from the minimum on')
  assert.equal(settled.result.processes.length, 1 + 3, 'calibration plus the three processes it took')
  assert.deepEqual(settled.result.metadata.sampling, {
    processes: 3,
    warmups: 1,
    values: 2,
    adaptive: { rule: 'test', min_processes: 2, max_processes: 5, settled: true },
  })
  const last = settled.events.filter((e) => e.kind === 'process').at(-1)
  assert.ok(last?.kind === 'process' && last.done === last.total, 'the bar ends full')
  seen.length = 0
  const bounded = await run(null)
  assert.equal(bounded.result.processes.length, 1 + 5, 'never settled: the bound')
  assert.deepEqual(seen, [2, 3, 4], 'not asked after the last round')
  assert.deepEqual(
    (bounded.result.metadata.sampling as { adaptive: { settled: boolean; reason: string } }).adaptive,
    { rule: 'test', min_processes: 2, max_processes: 5, settled: false, reason: 'bound' },
  )
})

test("a time budget stops starting rounds that would end after the workload's share, past the minimum", async () => {
  const py = await python3()
  // A clock that moves 1 s with every process (calibration included), so the budget is exact.
  let nowMs = 0
  let lastProcess = ''
  const run = async (workloads: readonly WorkloadDefinition[], budgetMs: number) => {
    nowMs = 0
    lastProcess = ''
    const results: WorkloadResult[] = []
    const events: SuiteEvent[] = []
    await measureSuite(
      {
        interpreters: [py],
        workloads,
        preset: tiny,
        timeoutMs: 20_000,
        clockMs: () => nowMs,
        adaptive: {
          minProcesses: 2,
          maxProcesses: 20,
          budgetMs,
          settled: () => false,
          describe: { rule: 'test' },
        },
      },
      {
        onEvent: (e) => {
          events.push(e)
          // The event a stop sends repeats its last process: no process ran.
          if (e.kind === 'process' && `${e.workload} ${e.process}` !== lastProcess) nowMs += 1000
          if (e.kind === 'process') lastProcess = `${e.workload} ${e.process}`
          if (e.kind === 'result') results.push(e.result)
        },
      },
    )
    return { results, events }
  }
  // One workload, 10 s: calibration ends at 1 s, round k at 1 + k s; the round that would end at
  // 11 s is not started.
  const alone = await run([ok], 10_000)
  const measured = (r: WorkloadResult) => r.processes.filter((p) => p.values.length > 0).length
  assert.equal(measured(alone.results[0]!), 9)
  assert.deepEqual(alone.results[0]!.metadata.sampling, {
    processes: 9,
    warmups: 1,
    values: 2,
    adaptive: {
      rule: 'test',
      min_processes: 2,
      max_processes: 20,
      max_time_s: 10,
      settled: false,
      reason: 'budget',
    },
  })
  const last = alone.events.filter((e) => e.kind === 'process').at(-1)
  assert.ok(last?.kind === 'process' && last.done === last.total, 'the bar ends full')
  // Two workloads share it evenly: 5 s each, so 4 rounds each after its calibration.
  const twin = { ...ok, manifest: { ...ok.manifest, name: 'ok2' } }
  const shared = await run([ok, twin], 10_000)
  assert.deepEqual(shared.results.map(measured), [4, 4])
  // A budget too small for anything still gets the minimum, recorded as stopped by the budget.
  const tight = await run([ok], 500)
  assert.equal(measured(tight.results[0]!), 2)
  assert.equal(
    (tight.results[0]!.metadata.sampling as { adaptive: { reason: string } }).adaptive.reason,
    'budget',
  )
})

test('a workload that prints on stdout and stderr is measured normally', async () => {
  const { results } = await measure([await python3()], [noisy])
  assert.equal(results[0]!.result.outcome.state, 'measured')
})

test('failures are results with their reason and stderr, and the run goes on', async () => {
  const py = await python3()
  const { results } = await measure([py], [raises, crashes, garbage, ok], 20_000)
  const byName = new Map(results.map((r) => [r.result.workload.name, r.result]))
  const raised = byName.get('raises')!.outcome
  assert.equal(raised.state, 'failed')
  assert.ok(
    raised.state === 'failed' &&
      raised.reason === 'error' &&
      /ValueError: boom at setup/.test(raised.message),
  )
  assert.ok(raised.state === 'failed' && /boom at setup/.test(raised.stderrTail), 'traceback kept')
  const crashed = byName.get('crashes')!.outcome
  assert.ok(
    crashed.state === 'failed' && crashed.reason === 'crashed' && /SIGABRT/.test(crashed.message),
    JSON.stringify(crashed),
  )
  const bad = byName.get('garbage')!.outcome
  assert.ok(bad.state === 'failed' && bad.reason === 'bad-output', JSON.stringify(bad))
  assert.equal(byName.get('ok')!.outcome.state, 'measured', 'the run went on after three failures')
})

test('a workload that hangs is killed at the timeout and recorded as such', async () => {
  const { results } = await measure([await python3()], [hangs], 1_500)
  const o = results[0]!.result.outcome
  assert.ok(o.state === 'failed' && o.reason === 'timeout', JSON.stringify(o))
})

test('a workload that needs a newer Python is skipped with the reason', async () => {
  const { results } = await measure([await python3()], [future])
  const o = results[0]!.result.outcome
  assert.ok(o.state === 'skipped' && /needs Python 9\.9/.test(o.message), JSON.stringify(o))
  assert.equal(results[0]!.result.processes.length, 0)
})

test('an aborted suite stops between processes and keeps the processes it measured, marked incomplete', async () => {
  const py = await python3()
  const controller = new AbortController()
  let processes = 0
  const results: WorkloadResult[] = []
  await measureSuite(
    { interpreters: [py], workloads: [ok, ok], preset: tiny, timeoutMs: 20_000 },
    {
      signal: controller.signal,
      onEvent: (e) => {
        // Calibration, then the first two of three worker processes: stop.
        if (e.kind === 'process' && ++processes === 3) controller.abort()
        if (e.kind === 'result') results.push(e.result)
      },
    },
  )
  assert.equal(processes, 3)
  assert.equal(results.length, 1, 'the workload under way is reported; the next one never started')
  const r = results[0]!
  assert.equal(r.outcome.state, 'measured')
  assert.equal(r.processes.filter((p) => p.values.length > 0).length, 2)
  assert.deepEqual(r.metadata.incomplete, { reason: 'interrupted', processes: 2, planned: 3 })
})

test('an aborted suite reports nothing for a workload with no process measured yet', async () => {
  const py = await python3()
  const controller = new AbortController()
  const results: WorkloadResult[] = []
  await measureSuite(
    { interpreters: [py], workloads: [ok], preset: tiny, timeoutMs: 20_000 },
    {
      signal: controller.signal,
      onEvent: (e) => {
        if (e.kind === 'process') controller.abort() // after calibration only
        if (e.kind === 'result') results.push(e.result)
      },
    },
  )
  assert.deepEqual(results, [])
})
