import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { test } from 'node:test'
import { evaluateTuning, parseCpuList, readEnvironment, readFingerprint, readTuning } from './environment.ts'

function fakeMachine(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'langperf-env-'))
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true })
    writeFileSync(join(root, path), text)
  }
  return root
}

const cpuinfo = (flags: string) =>
  [0, 1, 2, 3]
    .map(
      (i) =>
        `processor\t: ${i}\nmodel name\t: Test CPU 9000\nphysical id\t: 0\ncore id\t\t: ${i % 2}\ncpu MHz\t\t: 2400.0\nflags\t\t: fpu sse ${flags}\n`,
    )
    .join('\n')

test('parseCpuList() reads ranges and single CPUs', () => {
  assert.deepEqual(parseCpuList('0-3,8,10-11\n'), [0, 1, 2, 3, 8, 10, 11])
  assert.deepEqual(parseCpuList(''), [])
  assert.deepEqual(parseCpuList('x,5'), [5])
})

test('a tuned bare-metal machine gets no warning', async () => {
  const root = fakeMachine({
    '/proc/cpuinfo': cpuinfo(''),
    '/sys/devices/system/cpu/online': '0-3',
    '/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor': 'performance\n',
    '/sys/devices/system/cpu/cpu1/cpufreq/scaling_governor': 'performance\n',
    '/sys/devices/system/cpu/cpu2/cpufreq/scaling_governor': 'performance\n',
    '/sys/devices/system/cpu/cpu3/cpufreq/scaling_governor': 'performance\n',
    '/sys/devices/system/cpu/intel_pstate/no_turbo': '1\n',
    '/sys/devices/system/cpu/smt/active': '0\n',
    '/proc/sys/kernel/randomize_va_space': '0\n',
    '/proc/loadavg': '0.05 0.10 0.10 1/100 42\n',
    '/sys/devices/system/cpu/isolated': '2-3\n',
  })
  const fp = await readFingerprint({ root })
  assert.equal(fp.cpuModel, 'Test CPU 9000')
  assert.equal(fp.logicalCpus, 4)
  assert.equal(fp.physicalCores, 2)
  const tuning = await readTuning({ root })
  assert.deepEqual(tuning.governors, ['performance'])
  assert.equal(tuning.turbo, 'off')
  assert.equal(tuning.smt, 'off')
  assert.equal(tuning.aslr, 0)
  assert.equal(tuning.isolatedCpus, '2-3')
  assert.equal(tuning.virtualized, false)
  assert.deepEqual(evaluateTuning(tuning, fp), [])
})

test('an untuned virtual machine gets a warning with advice for each problem', async () => {
  const root = fakeMachine({
    '/proc/cpuinfo': cpuinfo('hypervisor'),
    '/sys/devices/system/cpu/online': '0-3',
    '/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor': 'powersave\n',
    '/sys/devices/system/cpu/cpufreq/boost': '1\n',
    '/sys/devices/system/cpu/smt/control': 'on\n',
    '/proc/sys/kernel/randomize_va_space': '2\n',
    '/proc/loadavg': '3.50 1.0 1.0 1/100 42\n',
  })
  const env = await readEnvironment({ probe: { root } })
  const codes = env.warnings.map((w) => w.code)
  assert.deepEqual(codes, ['governor', 'turbo', 'smt', 'aslr', 'load', 'no-isolated-cpus', 'virtualized'])
  for (const w of env.warnings) {
    assert.ok(w.message.length > 10, w.code)
    assert.ok(w.advice.length > 10, w.code)
  }
  assert.match(env.warnings[0]!.message, /powersave/)
})

test('a machine without cpufreq says the governor is unknown instead of guessing', async () => {
  const root = fakeMachine({ '/proc/cpuinfo': cpuinfo(''), '/sys/devices/system/cpu/online': '0-3' })
  const env = await readEnvironment({ probe: { root } })
  assert.equal(env.tuning.turbo, 'unknown')
  assert.equal(env.tuning.aslr, null)
  assert.deepEqual(env.tuning.cpuFrequenciesMhz, [2400, 2400, 2400, 2400])
  assert.ok(env.warnings.some((w) => w.code === 'no-cpufreq'))
})

test('readEnvironment() on this machine returns a fingerprint without throwing', async () => {
  const env = await readEnvironment()
  assert.ok(env.fingerprint.logicalCpus >= 1)
  assert.ok(env.fingerprint.memoryBytes > 0)
  assert.ok(env.fingerprint.kernel.length > 0)
})
