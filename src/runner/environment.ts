import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import os from 'node:os'
import type {
  EnvironmentWarning,
  MachineEnvironment,
  MachineFingerprint,
  MachineTuning,
  OnOff,
} from '../model/index.ts'

// Reads what the machine is and how it is set up, from /proc and /sys (Linux). Every read may
// fail (containers, other OSes): a missing file is "unknown", never an exception.

/** Where the probes read from; tests point it at a fixture directory. */
export interface ProbeRoot {
  /** Prefix for absolute paths such as /proc/cpuinfo (empty for the real machine). */
  readonly root: string
}

async function readText(path: string, probe: ProbeRoot): Promise<string | null> {
  try {
    return await readFile(probe.root + path, 'utf8')
  } catch {
    return null
  }
}

/** Parses a CPU list such as `0-3,8,10-11` into the CPUs it names. */
export function parseCpuList(text: string): number[] {
  const out: number[] = []
  for (const part of text.trim().split(',')) {
    if (!part) continue
    const [a, b] = part.split('-')
    const lo = Number(a)
    const hi = b === undefined ? lo : Number(b)
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || hi < lo || hi - lo > 65_536) continue
    for (let i = lo; i <= hi; i++) out.push(i)
  }
  return out
}

/** Reads the stable facts about this machine. */
export async function readFingerprint(probe: ProbeRoot = { root: '' }): Promise<MachineFingerprint> {
  const cpuinfo = (await readText('/proc/cpuinfo', probe)) ?? ''
  const model =
    /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ??
    /^Processor\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ??
    os.cpus()[0]?.model ??
    'unknown'
  // Physical cores: distinct (physical id, core id) pairs, when the kernel lists them.
  const cores = new Set<string>()
  let physical = '0'
  for (const line of cpuinfo.split('\n')) {
    const pid = /^physical id\s*:\s*(\d+)/.exec(line)
    if (pid?.[1]) physical = pid[1]
    const cid = /^core id\s*:\s*(\d+)/.exec(line)
    if (cid?.[1]) cores.add(`${physical}:${cid[1]}`)
  }
  const logical = (/^processor\s*:/gm[Symbol.match](cpuinfo) ?? []).length || os.cpus().length
  return {
    hostname: os.hostname(),
    cpuModel: model,
    logicalCpus: logical,
    physicalCores: cores.size > 0 ? cores.size : null,
    memoryBytes: os.totalmem(),
    kernel: os.release(),
    os: os.platform(),
    arch: os.arch(),
  }
}

async function readTurbo(probe: ProbeRoot): Promise<OnOff> {
  const noTurbo = await readText('/sys/devices/system/cpu/intel_pstate/no_turbo', probe)
  if (noTurbo !== null) return noTurbo.trim() === '1' ? 'off' : 'on'
  const boost = await readText('/sys/devices/system/cpu/cpufreq/boost', probe)
  if (boost !== null) return boost.trim() === '1' ? 'on' : 'off'
  return 'unknown'
}

async function readSmt(probe: ProbeRoot): Promise<OnOff> {
  const active = await readText('/sys/devices/system/cpu/smt/active', probe)
  if (active !== null && /^[01]$/.test(active.trim())) return active.trim() === '1' ? 'on' : 'off'
  const control = (await readText('/sys/devices/system/cpu/smt/control', probe))?.trim()
  if (control === 'on') return 'on'
  if (control === 'off' || control === 'forceoff') return 'off'
  return 'unknown'
}

/** Reads how the machine is tuned right now (governor, turbo, SMT, ASLR, load, isolation). */
export async function readTuning(
  probe: ProbeRoot = { root: '' },
  options: { readonly probePerf?: boolean } = {},
): Promise<MachineTuning> {
  const online = parseCpuList((await readText('/sys/devices/system/cpu/online', probe)) ?? '')
  const governors = new Set<string>()
  const freqs: number[] = []
  for (const cpu of online) {
    const g = await readText(`/sys/devices/system/cpu/cpu${cpu}/cpufreq/scaling_governor`, probe)
    if (g?.trim()) governors.add(g.trim())
    const f = await readText(`/sys/devices/system/cpu/cpu${cpu}/cpufreq/scaling_cur_freq`, probe)
    if (f !== null && Number.isFinite(Number(f))) freqs.push(Math.round(Number(f) / 1000))
  }
  const cpuinfo = (await readText('/proc/cpuinfo', probe)) ?? ''
  if (freqs.length === 0) {
    for (const m of cpuinfo.matchAll(/^cpu MHz\s*:\s*([\d.]+)/gm)) freqs.push(Math.round(Number(m[1])))
  }
  const aslrText = (await readText('/proc/sys/kernel/randomize_va_space', probe))?.trim()
  const aslr = aslrText !== undefined && /^[0-2]$/.test(aslrText) ? Number(aslrText) : null
  const loadText = await readText('/proc/loadavg', probe)
  const load = loadText ? Number(loadText.split(/\s+/)[0]) : os.loadavg()[0]
  const isolated = ((await readText('/sys/devices/system/cpu/isolated', probe)) ?? '').trim()
  return {
    governors: [...governors].sort(),
    turbo: await readTurbo(probe),
    smt: await readSmt(probe),
    aslr,
    loadAverage1m: Number.isFinite(load) ? (load ?? 0) : 0,
    isolatedCpus: isolated,
    cpuFrequenciesMhz: freqs,
    virtualized: /^flags\s*:.*\bhypervisor\b/m.test(cpuinfo),
    perfCounters: options.probePerf ? await probePerfCounters() : null,
  }
}

/** True when `perf stat -e instructions` counts on this machine (false in most VMs). */
export function probePerfCounters(): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(
      'perf',
      ['stat', '-x', ',', '-e', 'instructions', 'true'],
      { timeout: 5_000 },
      (err, _stdout, stderr) => {
        if (err) return resolve(false)
        resolve(!/not supported|not counted|<not/i.test(stderr))
      },
    )
  })
}

/**
 * The warnings a machine in this state deserves, each with the advice that fixes it.
 * Pure: decides from the readings alone (`system check` prints these; runs store them).
 */
export function evaluateTuning(tuning: MachineTuning, fingerprint: MachineFingerprint): EnvironmentWarning[] {
  const out: EnvironmentWarning[] = []
  if (tuning.governors.length === 0) {
    out.push({
      code: 'no-cpufreq',
      message: 'No CPU frequency governor can be read (no cpufreq in /sys): frequency scaling is unknown',
      advice:
        'On a physical machine, load the cpufreq driver and set the governor to performance; on a virtual machine, prefer a dedicated host or compare only interleaved runs',
    })
  } else if (tuning.governors.some((g) => g !== 'performance')) {
    out.push({
      code: 'governor',
      message: `CPU frequency governor is ${tuning.governors.join(', ')}, not performance`,
      advice:
        'Run `sudo cpupower frequency-set -g performance` (or `pyperf system tune`) before benchmarking',
    })
  }
  if (tuning.turbo === 'on') {
    out.push({
      code: 'turbo',
      message: 'Turbo boost is on: frequency depends on temperature and on the other cores',
      advice:
        'Disable it: `echo 1 | sudo tee /sys/devices/system/cpu/intel_pstate/no_turbo` (Intel) or `echo 0 | sudo tee /sys/devices/system/cpu/cpufreq/boost` (AMD)',
    })
  }
  if (tuning.smt === 'on') {
    out.push({
      code: 'smt',
      message: 'Simultaneous multithreading is on: a sibling thread shares the core being measured',
      advice:
        'Disable SMT (`echo off | sudo tee /sys/devices/system/cpu/smt/control`) or isolate whole cores',
    })
  }
  if (tuning.aslr === 2 || tuning.aslr === 1) {
    out.push({
      code: 'aslr',
      message: `Address space layout randomisation is on (randomize_va_space=${tuning.aslr}): layout varies between processes`,
      advice:
        'Keep it on and rely on many processes (langperf averages over them), or set `kernel.randomize_va_space=0` on a dedicated machine for steadier values',
    })
  }
  const loadPerCpu = tuning.loadAverage1m / Math.max(1, fingerprint.logicalCpus)
  if (loadPerCpu > 0.25) {
    out.push({
      code: 'load',
      message: `Load average is ${tuning.loadAverage1m.toFixed(2)} on ${fingerprint.logicalCpus} CPUs: other work competes with the benchmark`,
      advice: 'Stop other jobs (check `top`) and wait for the load to fall before running',
    })
  }
  if (!tuning.isolatedCpus) {
    out.push({
      code: 'no-isolated-cpus',
      message: 'No CPU is isolated from the scheduler',
      advice:
        'Boot with `isolcpus=<cpus> nohz_full=<cpus> rcu_nocbs=<cpus>` and run benchmarks pinned to those CPUs',
    })
  }
  if (tuning.virtualized) {
    out.push({
      code: 'virtualized',
      message: 'This is a virtual machine: neighbours on the host add noise that cannot be tuned away here',
      advice:
        'Use a dedicated bare-metal machine for tracking; here compare only interleaved runs and prefer instruction counts',
    })
  }
  if (tuning.perfCounters === false) {
    out.push({
      code: 'no-perf-counters',
      message: 'Hardware performance counters cannot be read (`perf stat -e instructions` is not supported)',
      advice:
        'Install linux-perf and allow access (`sysctl kernel.perf_event_paranoid=1`), or use callgrind for instruction counts',
    })
  }
  return out
}

/** Reads the fingerprint and tuning and evaluates the warnings. */
export async function readEnvironment(
  options: { readonly probe?: ProbeRoot; readonly probePerf?: boolean } = {},
): Promise<MachineEnvironment> {
  const probe = options.probe ?? { root: '' }
  const fingerprint = await readFingerprint(probe)
  const tuning = await readTuning(probe, { probePerf: options.probePerf ?? false })
  return { fingerprint, tuning, warnings: evaluateTuning(tuning, fingerprint) }
}
