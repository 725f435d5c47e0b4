// The Django web workload's run-to-run spread, through the product's own command: `repeats`
// separate `langperf run --suite web` runs on one interpreter (each `processes` measuring
// processes, each a fresh server, memcached and data set under `durationS` seconds of wrk load),
// then per run the mean of requests/s and of the server's CPU ms/request over its processes, and
// across runs the range and coefficient of variation of both. CPU per request, the result's
// value, is expected to spread less than requests/s on a shared machine (workloads/README.md,
// "Server workloads").
//
//   node --import tsx bench/django-spread.ts [--python python3.11] [--repeats 3] [--processes 3]
//        [--cache-dir DIR] [--system-path DIR]
//
// --system-path DIR runs on the interpreter's own packages with DIR on its PYTHONPATH
// (`--system-packages --system-path DIR`): Debian's Django 3.2 for CPython 3.9 or PyPy, e.g.
//   node --import tsx bench/django-spread.ts --python ~/.pyenv/versions/3.9.18/bin/python3.9 \
//        --system-path /usr/lib/python3/dist-packages
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { langperf } from './shared.ts'

const { values } = parseArgs({
  options: {
    python: { type: 'string', default: 'python3.11' },
    repeats: { type: 'string', default: '3' },
    processes: { type: 'string', default: '3' },
    'cache-dir': { type: 'string' },
    'system-path': { type: 'string' },
  },
})
const repeats = Number(values.repeats)
if (!Number.isInteger(repeats) || repeats < 1) throw new Error('--repeats must be a positive integer')
const dir = mkdtempSync(join(tmpdir(), 'langperf-django-spread-'))
const db = join(dir, 'runs.db')
const cacheDir = values['cache-dir'] ?? join(dir, 'cache')

interface Shown {
  readonly results: readonly {
    readonly outcome: { readonly state: string; readonly message?: string }
    readonly metadata: {
      readonly http?: {
        readonly requests_per_s: readonly number[]
        readonly cpu_ms_per_request: readonly number[]
        readonly latency_p99_ms: readonly number[]
        readonly open_loop?: readonly (readonly { fraction: number; latency_p99_ms: number }[] | null)[]
      }
    }
  }[]
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
const cv = (xs: readonly number[]) => {
  const m = mean(xs)
  return xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1)) / m
}

try {
  const rps: number[] = []
  const cpu: number[] = []
  for (let r = 0; r < repeats; r++) {
    const system = values['system-path'] ? ['--system-packages', '--system-path', values['system-path']] : []
    const args = [
      'run',
      '--suite',
      'web',
      '--python',
      values.python,
      '--processes',
      values.processes,
      ...system,
    ]
    const out = JSON.parse(
      langperf(db, [...args, '--cache-dir', cacheDir, '--no-progress', '--json'], true),
    ) as { runIds: number[] }
    const shown = JSON.parse(langperf(db, ['show', String(out.runIds[0]), '--json'])) as Shown
    const result = shown.results[0]
    const http = result?.metadata.http
    if (result?.outcome.state !== 'measured' || !http) {
      console.log(`run ${r + 1}: ${result?.outcome.state ?? 'no result'} ${result?.outcome.message ?? ''}`)
      continue
    }
    rps.push(mean(http.requests_per_s))
    cpu.push(mean(http.cpu_ms_per_request))
    const open = (http.open_loop ?? [])
      .map((windows) => (windows ?? []).map((w) => `${w.fraction * 100} %: ${w.latency_p99_ms}`).join(', '))
      .join('; ')
    console.log(`run ${r + 1}: open-loop p99 ms ${open || '–'}`)
    console.log(
      `run ${r + 1}: requests/s ${http.requests_per_s.join(', ')} (mean ${rps.at(-1)?.toFixed(1)}); CPU ms/request ${http.cpu_ms_per_request.join(', ')} (mean ${cpu.at(-1)?.toFixed(3)}); p99 ms ${http.latency_p99_ms.join(', ')}; load ${loadavg()[0]?.toFixed(1)}`,
    )
  }
  if (rps.length > 0) {
    const line = (name: string, xs: readonly number[], digits: number) =>
      `${name}: min ${Math.min(...xs).toFixed(digits)}, max ${Math.max(...xs).toFixed(digits)}, range ${(((Math.max(...xs) - Math.min(...xs)) / mean(xs)) * 100).toFixed(1)} % of the mean, CV ${(cv(xs) * 100).toFixed(1)} %`
    console.log(`\nspread over ${rps.length} runs of ${values.python}`)
    console.log(line('requests/s (run means)', rps, 1))
    console.log(line('CPU ms/request (run means)', cpu, 3))
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
