import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import type { WorkloadDefinition, WorkloadResult } from '../model/index.ts'
import { discoverInterpreters, type Interpreter, onPath } from './discovery.ts'
import { findValgrind, INSTRUCTION_UNIT, parseCallgrindTotal } from './instructions.ts'
import { instructionsPreset } from './presets.ts'
import { measureSuite } from './suite.ts'
import { testWorkload } from './workload-testing.ts'

// These tests run the real python3 with the real harness under the real valgrind.

const NO_VALGRIND =
  (await onPath('valgrind', process.env)) === null
    ? 'valgrind is not installed (apt-get install valgrind)'
    : false
const dir = mkdtempSync(join(tmpdir(), 'langperf-instructions-'))
after(() => rmSync(dir, { recursive: true, force: true }))

function workload(name: string, code: string): WorkloadDefinition {
  return testWorkload(dir, name, code, { parameters: { n: 2000 } })
}

// A dict keyed by strings: its layout follows the hash seed, which the count fixes at 0.
const made = workload(
  'made',
  'def make(params):\n    n = params["n"]\n    def step():\n        d = {}\n        for i in range(n):\n            d[str(i)] = i\n        return sum(d.values())\n    return step\n',
)
// A workload that times itself: no `--clock process`, so counted by subtraction.
const timesItself = workload(
  'times_itself',
  'import time\ndef time_loops(loops, params):\n    t0 = time.perf_counter()\n    for _ in range(loops):\n        sum(range(params["n"]))\n    return time.perf_counter() - t0\n',
)

async function python3(): Promise<Interpreter> {
  const { interpreters } = await discoverInterpreters({ explicit: ['python3'] })
  return interpreters[0]!
}

async function count(workloads: readonly WorkloadDefinition[]): Promise<WorkloadResult[]> {
  const results: WorkloadResult[] = []
  await measureSuite(
    {
      interpreters: [await python3()],
      workloads,
      preset: instructionsPreset(),
      timeoutMs: 120_000,
      frozenLoops: { made: 4, times_itself: 4 },
      instructions: await findValgrind(process.env),
    },
    { onEvent: (e) => (e.kind === 'result' ? void results.push(e.result) : undefined) },
  )
  return results
}

test('parseCallgrindTotal() reads the totals line of a callgrind file', () => {
  assert.equal(parseCallgrindTotal('events: Ir\nfl=x\n1 2\ntotals: 292128992\n'), 292_128_992)
  assert.equal(parseCallgrindTotal('events: Ir\nsummary: 17\n'), 17)
  assert.equal(parseCallgrindTotal(''), null)
})

test('findValgrind() names the fix when valgrind is not on PATH', async () => {
  await assert.rejects(
    findValgrind({ PATH: dir }),
    /valgrind is not installed \(Debian\/Ubuntu: apt-get install valgrind\)/,
  )
})

test('instruction counts of the timed region repeat exactly, and the result says how they were taken', {
  skip: NO_VALGRIND,
}, async () => {
  const [first] = await count([made])
  const [second] = await count([made])
  for (const r of [first!, second!]) {
    assert.equal(r.outcome.state, 'measured', JSON.stringify(r.outcome))
    assert.equal(r.unit, INSTRUCTION_UNIT)
    assert.equal(r.loops, 4)
    assert.equal(r.processes.length, 1, 'one counted process, no calibration (frozen loops)')
    assert.equal(r.processes[0]!.metadata.instructions_method, 'region')
    const meta = r.metadata.instructions as {
      tool: string
      valgrind: string
      methods: Record<string, string>
    }
    assert.equal(meta.tool, 'callgrind')
    assert.match(meta.valgrind, /^valgrind-\d+\.\d+/)
    assert.deepEqual(Object.keys(meta.methods), ['region'])
  }
  const a = first!.processes[0]!
  const b = second!.processes[0]!
  // Per loop: the region's count over 4 loops, the same to the instruction in both runs.
  assert.equal(a.values[0], (a.metadata.instructions_region as number) / 4)
  assert.ok(a.values[0]! > 10_000, `2000 dict insertions take more than 10 000 instructions: ${a.values[0]}`)
  assert.equal(a.values[0], b.values[0])
  assert.equal(a.metadata.instructions_region, b.metadata.instructions_region)
})

test('a workload that times itself is counted by subtraction of two processes', {
  skip: NO_VALGRIND,
}, async () => {
  const [r] = await count([timesItself])
  assert.equal(r!.outcome.state, 'measured', JSON.stringify(r!.outcome))
  const p = r!.processes[0]!
  assert.equal(p.metadata.instructions_method, 'subtraction')
  assert.match(String(p.metadata.region_unavailable), /time_loops|--clock process/)
  const diff = (p.metadata.instructions_measured as number) - (p.metadata.instructions_baseline as number)
  assert.equal(p.values[0], diff / 4)
  assert.ok(p.values[0]! > 1000)
})
