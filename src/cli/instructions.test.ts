import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { onPath } from '../runner/index.ts'
import { cli } from './toy-runtime.ts'

// `langperf run --measure instructions` end to end: the real python3 under the real valgrind,
// stored, shown and compared through the command line.

const NO_VALGRIND =
  (await onPath('valgrind', process.env)) === null
    ? 'valgrind is not installed (apt-get install valgrind)'
    : false
const tmp = mkdtempSync(join(tmpdir(), 'langperf-instructions-cli-'))
after(() => rmSync(tmp, { recursive: true, force: true }))

const workloads = join(tmp, 'workloads')
mkdirSync(join(workloads, 'dict_fill'), { recursive: true })
writeFileSync(
  join(workloads, 'dict_fill', 'workload.py'),
  'def make(params):\n    n = params["n"]\n    def step():\n        d = {}\n        for i in range(n):\n            d[str(i)] = i\n        return len(d)\n    return step\n',
)
writeFileSync(
  join(workloads, 'dict_fill', 'manifest.json'),
  JSON.stringify({
    name: 'dict_fill',
    description: 'Fills a dict keyed by strings.',
    tags: ['micro'],
    language: 'python',
    entry: 'workload.py',
    parameters: { n: 3000 },
    innerLoops: 1,
    requiresPython: '2.7',
  }),
)

test('run --measure instructions stores exact counts twice alike, records the counters, and compare says exact', {
  skip: NO_VALGRIND,
}, async () => {
  const db = join(tmp, 'runs.db')
  const args = [
    'run',
    '--measure',
    'instructions',
    '--workloads',
    workloads,
    '--python',
    'python3',
    '--db',
    db,
  ]
  const first = await cli(...args, '--no-progress', '--min-time', '0.005')
  assert.equal(first.code, 0, first.err)
  assert.match(first.err, /preset instructions/)
  assert.match(first.out, /dict_fill\s+measured\s+[\d,]+ instr/)
  // The second run reuses the first one's loops (frozen), so both count the same program.
  const second = await cli(...args, '--no-progress', '--min-time', '0.005')
  assert.equal(second.code, 0, second.err)
  const show = async (id: number) =>
    JSON.parse((await cli('show', String(id), '--db', db, '--json', '--samples')).out)
  const [a, b] = [await show(1), await show(2)]
  assert.equal(a.run.preset, 'instructions')
  assert.equal(a.run.metadata.measure, 'instructions')
  assert.match(a.run.metadata.instructions.valgrind, /^valgrind-/)
  // Hardware counters and energy: counted where the machine has them, else said so, never guessed.
  for (const probe of [a.run.metadata.hardware_counters, a.run.metadata.energy]) {
    if (probe.available !== true) assert.match(probe.reason, /^not available on this machine: /)
  }
  const counts = [a, b].map((s) => {
    const [result] = s.results
    assert.equal(result.unit, 'instruction')
    assert.equal(result.outcome.state, 'measured')
    const measured = result.processes.filter((p: { values: number[] }) => p.values.length > 0)
    assert.equal(measured.length, 1)
    assert.equal(measured[0].metadata.instructions_method, 'region')
    return { loops: result.loops, value: measured[0].values[0] as number }
  })
  assert.equal(counts[0]!.loops, counts[1]!.loops)
  assert.ok(counts[0]!.value > 10_000)
  assert.equal(counts[0]!.value, counts[1]!.value, 'two runs of one build count the same instructions')
  const compared = await cli('compare', '1', '2', '--db', db)
  assert.equal(compared.code, 0, compared.err)
  assert.match(
    compared.out,
    /dict_fill\s+[\d,]+ instr\s+[\d,]+ instr\s+1\.000×\s+exact\s+±0\.0 %\s+no (significant )?(difference|change)/,
  )
  assert.match(compared.out, /instructions per loop \(callgrind\); ratio = candidate \/ base, exact/)
  const json = JSON.parse((await cli('compare', '1', '2', '--db', db, '--json')).out)
  assert.equal(json.rows[0].comparison.method, 'exact')
  assert.equal(json.rows[0].comparison.ratio, 1)
})

test('run --measure refuses a mode it does not know and the options of timing', async () => {
  const db = join(tmp, 'refused.db')
  const cases = [
    [['--measure', 'cycles'], /Cannot use --measure cycles: expected one of time, instructions/],
    [['--measure', 'instructions', '--fast'], /Cannot use --fast with --measure instructions/],
    [['--measure', 'instructions', '--processes', '3'], /Cannot use --processes with --measure instructions/],
  ] as const
  for (const [given, said] of cases) {
    const r = await cli('run', ...given, '--workload', 'sieve', '--python', 'python3', '--db', db)
    assert.notEqual(r.code, 0)
    assert.match(r.err, said)
  }
})
