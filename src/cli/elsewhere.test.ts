import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { createRng } from '../lib/index.ts'
import { cli } from './toy-runtime.ts'

// `langperf alerts show` says what the other machines saw of an alert's step, as a user meets it:
// three machines' pyperf files of the same commits imported, detect, then the alert.

const root = mkdtempSync(join(tmpdir(), 'langperf-elsewhere-cli-'))
after(() => rmSync(root, { recursive: true, force: true }))

const rng = createRng(9)
const sha = (i: number) => `${(0xabc000 + i).toString(16)}${'0'.repeat(34)}`

/** Commit i measured on `host`: workload `a` 30 % slower from commit 10 when `slows`, `b` flat. */
function pyperfFile(host: string, i: number, slows: boolean): string {
  const benchmarks = ['a', 'b'].map((name) => {
    const level = 0.01 * (name === 'a' && slows && i >= 10 ? 1.3 : 1) * (1 + 0.003 * (rng() - 0.5))
    return {
      metadata: { name, python_version: '3.14.0a0+', loops: 1 },
      runs: Array.from({ length: 8 }, () => ({
        metadata: {},
        values: [0, 1, 2].map(() => level * (1 + 0.004 * (rng() - 0.5))),
      })),
    }
  })
  const path = join(root, 'files', `bm-${host}-3.14.0a0+-${sha(i).slice(0, 7)}.json`)
  const date = new Date(Date.UTC(2024, 3, 1 + i, 12)).toISOString()
  const metadata = { hostname: host, commit_id: sha(i), commit_branch: 'main', commit_date: date }
  writeFileSync(path, JSON.stringify({ version: '1.0', metadata, benchmarks }))
  return path
}

test('alerts show names the other machines that moved and did not move across the range', async () => {
  mkdirSync(join(root, 'files'))
  const files: string[] = []
  for (let i = 0; i < 16; i++)
    files.push(pyperfFile('box', i, true), pyperfFile('twin', i, true), pyperfFile('flat', i, false))
  const db = join(root, 'langperf.db')
  const imported = await cli('import', 'pyperf', ...files, '--db', db)
  assert.equal(imported.code, 0, imported.err)
  const detected = await cli('detect', '--db', db, '--json')
  assert.equal(detected.code, 0, detected.err)
  const alerts = JSON.parse(detected.out).newAlerts as {
    id: number
    changes: { series: { workload: string } }[]
  }[]
  const alert = alerts.find((a) => a.changes.some((c) => c.series.workload === 'a'))
  assert.ok(alert, detected.out)
  const shown = await cli('alerts', 'show', String(alert.id), '--db', db)
  assert.equal(shown.code, 0, shown.err)
  // One line per change of the alert (box's and twin's): the other slowing machine moved, flat did not.
  assert.match(
    shown.out,
    /On other machines: a · default, 1\.\d{3}× on box: moved on twin 1\.\d{3}× \[[\d., ]+\]; not moved on flat [01]\.\d{3}× \[[\d., ]+\]/,
  )
  assert.match(
    shown.out,
    /On other machines: a · default, 1\.\d{3}× on twin: moved on box 1\.\d{3}× .*; not moved on flat /,
  )
})
