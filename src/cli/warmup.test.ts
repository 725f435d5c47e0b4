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
