import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { type ExecSeam, parsePerfStat, probeHardwareCounters, probeRapl } from './counters.ts'
import { onPath } from './discovery.ts'

const dir = mkdtempSync(join(tmpdir(), 'langperf-counters-'))
after(() => rmSync(dir, { recursive: true, force: true }))

// What `perf stat -x ,` prints on a virtual machine without a PMU (this machine), and on one with.
const UNSUPPORTED = [
  '<not supported>,,cycles,0,100.00,,',
  '<not supported>,,instructions,0,100.00,,',
  '<not supported>,,branch-misses,0,100.00,,',
  '<not supported>,,L1-icache-load-misses,0,100.00,,',
].join('\n')
const SUPPORTED = [
  '1234567,,cycles:u,800000,100.00,,',
  '2345678,,instructions:u,800000,100.00,1.90,insn per cycle',
  '3456,,branch-misses:u,800000,100.00,,',
  '<not counted>,,L1-icache-load-misses:u,0,0.00,,',
].join('\n')

const answering =
  (stderr: string): ExecSeam =>
  async () => ({ ok: true, stdout: '', stderr })

test('parsePerfStat() reads counts and the reasons perf gives instead', () => {
  const r = parsePerfStat(SUPPORTED)
  assert.deepEqual(r.get('cycles'), { count: 1_234_567 })
  assert.deepEqual(r.get('instructions'), { count: 2_345_678 })
  assert.deepEqual(r.get('L1-icache-load-misses'), { missing: 'not counted' })
  assert.deepEqual(parsePerfStat(UNSUPPORTED).get('cycles'), { missing: 'not supported' })
})

test('hardware counters perf does not support are recorded as not available, with perf’s answer', {
  skip: (await onPath('perf', process.env)) === null ? 'perf is not installed' : false,
}, async () => {
  const r = await probeHardwareCounters(process.env, answering(UNSUPPORTED))
  assert.equal(r.available, false)
  assert.match(
    String(r.reason),
    /^not available on this machine: perf stat says cycles not supported, instructions not supported, branch-misses not supported, L1-icache-load-misses not supported/,
  )
  // One event that is not counted is enough to say no: no figure is made up for it.
  const partial = await probeHardwareCounters(process.env, answering(SUPPORTED))
  assert.equal(partial.available, false)
  assert.match(String(partial.reason), /L1-icache-load-misses not counted/)
  const full = await probeHardwareCounters(process.env, answering(SUPPORTED.replace('<not counted>', '99')))
  assert.equal(full.available, true)
  // And the real perf of this machine, once: either it counts every event or it says why not.
  const real = await probeHardwareCounters(process.env)
  if (real.available !== true) assert.match(String(real.reason), /^not available on this machine: /)
})

test('hardware counters without perf say perf is not installed', async () => {
  const r = await probeHardwareCounters({ PATH: dir })
  assert.deepEqual(r, { available: false, reason: 'not available on this machine: perf is not installed' })
})

test('RAPL energy is available only where the powercap tree has a readable intel-rapl counter', async () => {
  const none = await probeRapl(join(dir, 'absent'))
  assert.equal(none.available, false)
  assert.match(String(none.reason), /^not available on this machine: there is no .*absent \(no RAPL\)/)
  const empty = join(dir, 'empty')
  mkdirSync(join(empty, 'intel-rapl:0'), { recursive: true })
  assert.equal((await probeRapl(empty)).available, false)
  const tree = join(dir, 'tree')
  mkdirSync(join(tree, 'intel-rapl:0'), { recursive: true })
  writeFileSync(join(tree, 'intel-rapl:0', 'energy_uj'), '123456789\n')
  assert.deepEqual(await probeRapl(tree), { available: true, zone: 'intel-rapl:0' })
})
