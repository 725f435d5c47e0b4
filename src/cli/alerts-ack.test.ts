import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { after, test } from 'node:test'
import { documentToRun, exampleRunDocument, LangperfRunDocumentSchema } from '../api/index.ts'
import { openSqliteStore } from '../store/index.ts'
import { main } from './main.ts'

// `langperf alerts triage ID acknowledged --until DATE`: known and expected until the end of that day.

const tmp = mkdtempSync(join(tmpdir(), 'langperf-ack-'))
after(() => rmSync(tmp, { recursive: true, force: true }))

async function cli(...args: string[]) {
  let out = ''
  let err = ''
  const stream = (add: (s: string) => void) =>
    new Writable({
      write(chunk, _enc, cb) {
        add(String(chunk))
        cb()
      },
    })
  const code = await main(['node', 'langperf', ...args], {
    out: stream((s) => {
      out += s
    }),
    err: stream((s) => {
      err += s
    }),
    isTty: false,
  })
  return { code, out, err }
}

test('alerts triage --until acknowledges until the end of that day and refuses a date in the past', async () => {
  const db = join(tmp, 'ack.db')
  const store = await openSqliteStore(db)
  let alertId = 0
  try {
    const runIds = await store.insertRuns(
      [0, 1].map((i) =>
        documentToRun(
          LangperfRunDocumentSchema.parse(
            exampleRunDocument({
              commitSha: `${i}`.repeat(40),
              startedAt: `2024-10-0${i + 1}T10:00:00Z`,
              workloads: ['nbody'],
            }),
          ),
        ),
      ),
    )
    const ends = await Promise.all(
      runIds.map(async (id) => {
        const run = await store.getRun(id)
        const [result] = await store.getResults(id)
        return { buildId: run!.build.id, resultId: result!.id, commitSha: run!.build.commitSha }
      }),
    )
    const run = await store.getRun(runIds[0]!)
    const { newAlertIds } = await store.applyDetection({
      changes: [
        {
          kind: 'commit',
          series: {
            machine: run!.machine,
            runtime: run!.build.runtime,
            config: run!.build.config,
            branch: run!.build.branch,
            workload: 'nbody',
            workloadVersion: (await store.getResults(runIds[0]!))[0]!.workload.version,
          },
          lastGood: ends[0]!,
          firstBad: ends[1]!,
          unit: 'second',
          ratio: 1.2,
          ratioLow: 1.1,
          ratioHigh: 1.3,
          pValue: 0.0001,
          direction: 'regression',
          status: 'confirmed',
          details: {},
        },
      ],
      withdrawn: [],
      at: '2024-10-02T12:00:00.000Z',
    })
    alertId = newAlertIds[0]!
  } finally {
    await store.close()
  }
  const day = new Date(Date.now() + 20 * 86_400_000).toISOString().slice(0, 10)
  const ok = await cli('alerts', 'triage', String(alertId), 'acknowledged', '--until', day, '--db', db)
  assert.equal(ok.code, 0, ok.err)
  assert.match(ok.out, new RegExp(`Alert ${alertId} is now acknowledged until ${day}T23:59:59\\.999Z`))
  const past = await cli(
    'alerts',
    'triage',
    String(alertId),
    'acknowledged',
    '--until',
    '2020-01-01',
    '--db',
    db,
  )
  assert.equal(past.code, 2)
  assert.match(past.err, /expected until after now and at most 366 days ahead/)
})
