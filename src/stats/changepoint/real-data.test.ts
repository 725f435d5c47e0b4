import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { gunzipSync } from 'node:zlib'
import { detectChanges } from './detect.ts'
import { epochKey, orderFromCommitDate } from './epochs.ts'
import type { SeriesPoint } from './types.ts'

// A real slice: the pyperf result files of CPython main (default PGO+LTO build) on the Faster
// CPython team's machine pythonperf2, 2024-04-14 … 2024-05-07, from the shared data directory
// (which holds every build of that machine: the slice is chosen by date and config).
// Inside it: typing_runtime_protocols got ~45 % slower between 550483b and 2c45148 (ground truth
// GT04), in the same range where the kernel went from 5.15.0-97 to 5.15.0-105; and telco got
// ~20× slower in the newest build, 9762122, when _decimal stopped being built (GT06).
const DATA_DIR =
  process.env.LANGPERF_PYPERF_SLICE ??
  `${process.env.LANGPERF_SHARED_DATA ?? '/work/shared/data'}/pyperf-json-pythonperf2`
const skip = existsSync(DATA_DIR) ? false : `shared data directory ${DATA_DIR} is absent`

interface PyperfRun {
  readonly values?: readonly number[]
}
interface PyperfFile {
  readonly metadata: Readonly<Record<string, string | number>>
  readonly benchmarks: readonly {
    readonly metadata: Readonly<Record<string, unknown>>
    readonly runs: readonly PyperfRun[]
  }[]
}

/** Main-line default builds committed 2024-04-14 … 2024-05-07 (the name's date and flags tell). */
function sliceFiles(): string[] {
  return readdirSync(DATA_DIR).filter((f) => {
    const m = /^bm-(\d{8})-3\.13\.0a6\+-[0-9a-f]{7}\.json\.gz$/.exec(f)
    return m !== null && m[1]! >= '20240414' && m[1]! <= '20240507'
  })
}

function seriesOf(benchmark: string, epochFields: readonly string[]): SeriesPoint[] {
  const points: SeriesPoint[] = []
  for (const file of sliceFiles()) {
    const doc = JSON.parse(gunzipSync(readFileSync(join(DATA_DIR, file))).toString('utf8')) as PyperfFile
    const meta = doc.metadata
    const bench = doc.benchmarks.find((b) => b.metadata.name === benchmark)
    if (bench === undefined) continue
    // Per-process means: the calibration run has no values and is left out.
    const processMeans = bench.runs
      .filter((r) => (r.values?.length ?? 0) > 0)
      .map((r) => (r.values ?? []).reduce((a, b) => a + b, 0) / (r.values ?? []).length)
    points.push({
      id: String(meta.commit_id),
      order: orderFromCommitDate(String(meta.commit_date)),
      epoch: epochKey(
        {
          workloadVersion: meta.benchmark_hash,
          suiteVersion: meta.performance_version,
          kernel: meta.platform,
          cpuConfig: meta.cpu_config,
        },
        epochFields,
      ),
      value: processMeans.reduce((a, b) => a + b, 0) / processMeans.length,
      processMeans,
    })
  }
  return points
}

const ALL_FIELDS = ['workloadVersion', 'suiteVersion', 'kernel', 'cpuConfig'] as const

test('the typing_runtime_protocols regression lands on the kernel upgrade and is not blamed on a commit', {
  skip,
}, () => {
  const d = detectChanges(seriesOf('typing_runtime_protocols', ALL_FIELDS))
  assert.equal(d.points.length, sliceFiles().length)
  assert.ok(d.points.length >= 8)
  assert.deepEqual(d.changes, [])
  const boundary = d.epochs.find((b) => b.id === '2c45148')
  assert.equal(boundary?.previousId, '550483b')
  assert.equal(boundary?.significant, true)
  // Ground truth (ground_truth_observations.csv): mean after / mean before = 1.4491.
  const step = boundary?.step
  assert.ok(
    step !== null && step !== undefined && step.ratioLow <= 1.4491 && 1.4491 <= step.ratioHigh,
    JSON.stringify(step),
  )
})

test('the typing_runtime_protocols regression is blamed on 550483b..2c45148 where the kernel is not tracked', {
  skip,
}, () => {
  const d = detectChanges(seriesOf('typing_runtime_protocols', ['workloadVersion', 'suiteVersion']))
  assert.deepEqual(
    d.changes.map((c) => [c.state, c.direction, c.lastGoodId, c.firstBadId]),
    [['confirmed', 'regression', '550483b', '2c45148']],
  )
  const step = d.changes[0]?.step
  assert.ok(step !== undefined && step.ratioLow <= 1.4491 && 1.4491 <= step.ratioHigh, JSON.stringify(step))
})

test('the telco breakage of 9762122 gets a provisional verdict the morning it appears', { skip }, () => {
  const d = detectChanges(seriesOf('telco', ALL_FIELDS))
  assert.equal(d.newest.kind, 'provisional')
  const change = d.newest.kind === 'provisional' ? d.newest.change : undefined
  assert.equal(change?.firstBadId, '9762122')
  assert.equal(change?.direction, 'regression')
  assert.ok((change?.step.ratio ?? 0) > 15)
})
