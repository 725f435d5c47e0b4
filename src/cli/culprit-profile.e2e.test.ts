import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { stacksText } from '../analysis/index.ts'
import { parseConfig } from '../config/index.ts'
import { differentialHeadline } from '../model/index.ts'
import { type AlertMessage, renderText, type Transport } from '../notify/index.ts'
import { type NightlyReport, runNightly } from '../pipeline/index.ts'
import { ensurePySpy, findPerf, type ToolInstall } from '../runner/index.ts'
import { openSqliteStore } from '../store/index.ts'
import {
  makeToyRepo,
  pythonHookMain,
  TOY_HOOK_FILE,
  TOY_HOOK_FUNCTION,
  TOY_SKIP,
  type ToyRepo,
  toyConfigToml,
} from './toy-runtime.ts'

// Profiles at the culprit, end to end (docs/profiles.md, "At the culprit"): three commits of the
// toy runtime, the last of which installs a call hook written in Python (`toy_call_hook`), every
// commit measured beside the one before it. The pair of the third raises an alert whose blame
// range holds that one commit, so it is the culprit as it stands; the nightly then profiles it
// against its parent with py-spy and attaches the differential to the alert, whose culprit
// notification names the hook. The same history on a machine without py-spy keeps its alert, its
// culprit and its notification, which says why there is no profile.

const COMMITS = 3
const SLOW = 2
const WORKLOAD = 'calls_closures'
/** py-spy from the tool cache the other profile tests share (pip installs it there once). */
const TOOL_CACHE = join(tmpdir(), 'langperf-test-cache')

/** A transport that keeps what it is sent. */
function recordingTransport(): Transport & { readonly sent: AlertMessage[] } {
  const sent: AlertMessage[] = []
  return {
    name: 'recorder',
    kind: 'webhook',
    sent,
    async send(message) {
      // Alerts about a machine (the farm's) have no culprit: not kept here.
      if (message.kind !== 'machine-silent') sent.push(message)
      return {
        state: 'delivered',
        target: 'recorder',
        kind: 'webhook',
        attempts: 1,
        detail: 'kept',
        url: null,
      }
    },
  }
}

describe('the nightly profiles the culprit against its parent', { skip: TOY_SKIP }, () => {
  let root = ''
  let repo: ToyRepo
  let tool: ToolInstall = { ok: false, reason: 'not looked for yet' }
  const t0 = performance.now()

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'langperf-culprit-'))
    repo = makeToyRepo(root, {
      dir: 'toy',
      total: COMMITS,
      broken: null,
      slow: SLOW,
      slowMain: (version) => pythonHookMain(version, 10),
      slowSubject: 'Install a call hook written in Python',
    })
    tool = await ensurePySpy(TOOL_CACHE, { env: process.env })
  })

  after(() => {
    rmSync(root, { recursive: true, force: true })
    process.stderr.write(`culprit profile end to end: ${((performance.now() - t0) / 1000).toFixed(1)} s\n`)
  })

  /** One nightly over the whole history on `machine`, into its own store; its report and the alert holding SLOW. */
  async function nightly(machine: string, ensureProfiler: () => Promise<ToolInstall>, bisectMore = '') {
    const dir = join(root, machine)
    mkdirSync(dir)
    const configPath = join(dir, 'langperf.toml')
    // Both machines share one build cache: the second builds nothing.
    writeFileSync(
      configPath,
      `${toyConfigToml(join(root, 'toy'))}
[build]
cache_dir = "${join(root, 'cache')}"
jobs = 1
step_timeout = "2m"

[bisect]
max_builds = 4
repeats = 2
${bisectMore}`,
    )
    const store = await openSqliteStore(join(dir, 'langperf.db'))
    const transport = recordingTransport()
    const logged: string[] = []
    try {
      const report: NightlyReport = await runNightly(
        parseConfig(readFileSync(configPath, 'utf8'), configPath),
        { store, log: (line) => logged.push(line), transports: [transport], ensureProfiler },
        {
          machine,
          backfill: COMMITS,
          every: 1,
          workloads: [WORKLOAD],
          // Five processes a side: with three, a 99 % paired interval has 2 degrees of freedom
          // (t = 9.9) and, on this loaded 2-core machine, once left the step undecided.
          sampling: { processes: 5, warmups: 1, values: 2, minTimeS: 0.01 },
          pairBudget: 2,
          profileDurationS: 1.5,
          profileProcesses: 1,
          portalUrl: 'http://portal.test',
        },
      )
      const alerts = (await store.listAlerts({ kind: 'commit' })).rows
      const holds = alerts.find(
        (a) => repo.shas.indexOf(a.lastGoodCommit) < SLOW && SLOW <= repo.shas.indexOf(a.firstBadCommit),
      )
      assert.ok(
        holds,
        JSON.stringify({ alerts, detections: report.detections, errors: report.errors, logged }),
      )
      const alert = await store.getAlert(holds.id)
      const profiles = await Promise.all(
        (alert?.profiles ?? [])
          .flatMap((p) => [p.parentProfileId, p.culpritProfileId])
          .map(async (id) => (id === null ? null : store.getProfile(id))),
      )
      return { report, alert: alert!, profiles, sent: transport.sent }
    } finally {
      await store.close()
    }
  }

  test('the alert carries the differential profile naming the Python function the culprit slowed', async (t) => {
    if (!tool.ok) {
      t.skip(tool.reason)
      return
    }
    const { report, alert, profiles, sent } = await nightly('culprit-bench', async () => tool)
    assert.deepEqual(report.errors, [])
    // The range holds one commit: the culprit as it stands, confirmed by nothing more.
    assert.equal(alert.culpritCommit, repo.shas[SLOW])
    assert.equal(alert.profiles.length, 1)
    const pair = alert.profiles[0]!
    assert.equal(pair.workload, WORKLOAD)
    assert.equal(pair.state, 'profiled', pair.message ?? '')
    assert.equal(pair.culpritCommit, repo.shas[SLOW])
    assert.equal(pair.parentCommit, repo.shas[SLOW - 1])
    // The function whose self time grew most is the hook, beyond its interval.
    const top = pair.summary!.rows[0]!
    assert.equal(top.name, TOY_HOOK_FUNCTION)
    assert.equal(top.file, TOY_HOOK_FILE)
    assert.equal(top.significant, true)
    assert.equal(top.selfPercentA, 0)
    assert.ok(top.deltaPoints > 10 && top.low > 0, JSON.stringify(top))
    assert.equal(pair.summary!.timedOnly, true)
    // Both profiles are stored against the nightly's builds of the two commits.
    assert.deepEqual(
      profiles.map((p) => [p?.state, p?.build.identity]),
      [
        ['profiled', `toy:${repo.shas[SLOW - 1]}:default`],
        ['profiled', `toy:${repo.shas[SLOW]}:default`],
      ],
    )
    // The culprit's notification says where the time went.
    const culpritMessage = sent.find((m) => m.alertId === alert.id && m.blame.culprit !== null)
    assert.ok(culpritMessage, JSON.stringify(sent.map((m) => m.title)))
    const text = renderText(culpritMessage)
    assert.match(
      text,
      new RegExp(
        `Profile against its parent, ${WORKLOAD} \\(culprit-bench\\): \\+\\d+\\.\\d points self time in ${TOY_HOOK_FUNCTION} \\(${TOY_HOOK_FILE.replace('.', '\\.')}:\\d+\\): 0\\.0 % → \\d+\\.\\d % \\[\\+\\d+\\.\\d, \\+\\d+\\.\\d\\]`,
      ),
    )
    const step = report.profiles.find((p) => p.alertId === alert.id)
    assert.equal(step?.state, 'recorded')
    assert.match(step?.pairs[0]?.headline ?? '', new RegExp(TOY_HOOK_FUNCTION))
    process.stderr.write(
      `culprit profile: ${step?.seconds} s for ${WORKLOAD} on both builds; ${text.split('\n').find((l) => l.startsWith('Profile against'))}\n`,
    )
  })

  test('without py-spy the alert keeps its culprit and notification, which say why there is no profile', async () => {
    const reason = 'Cannot install py-spy==0.4.2 with "python3 -m pip install --target": no index reachable'
    const { report, alert, sent } = await nightly('no-profiler', async () => ({ ok: false, reason }))
    assert.deepEqual(report.errors, [], 'a missing profiler is data, not a failed step')
    assert.equal(alert.culpritCommit, repo.shas[SLOW])
    assert.deepEqual(
      alert.profiles.map((p) => [p.workload, p.state, p.message, p.parentProfileId, p.summary]),
      [[WORKLOAD, 'unavailable', reason, null, null]],
    )
    const events = report.notifications
      .filter((n) => n.alertId === alert.id)
      .map((n) => `${n.event}:${n.state}`)
    assert.ok(events.includes('new:delivered') && events.includes('culprit:delivered'), events.join(', '))
    const culpritMessage = sent.find((m) => m.alertId === alert.id && m.blame.culprit !== null)
    assert.ok(
      renderText(culpritMessage!).includes(
        `Profile against its parent, ${WORKLOAD} (no-profiler): not profiled: ${reason}`,
      ),
    )
    assert.deepEqual(
      report.profiles.map((p) => [p.alertId, p.state, p.pairs.map((x) => x.state)]),
      [[alert.id, 'recorded', ['unavailable']]],
    )
  })

  test('with [bisect] profiler = "perf" both builds are profiled by perf, C frames and all', async (t) => {
    const perf = await findPerf(process.env)
    if (!perf.ok) {
      t.skip(perf.reason)
      return
    }
    const asked: string[] = []
    const { report, alert, profiles } = await nightly(
      'perf-bench',
      async () => {
        asked.push('perf')
        return perf
      },
      'profiler = "perf"\n',
    )
    assert.deepEqual(report.errors, [])
    assert.deepEqual(asked, ['perf'])
    const pair = alert.profiles[0]
    assert.equal(pair?.state, 'profiled', pair?.message ?? '')
    assert.deepEqual(
      profiles.map((p) => [p?.tool, p?.toolVersion, p?.state]),
      [
        ['perf', perf.version, 'profiled'],
        ['perf', perf.version, 'profiled'],
      ],
    )
    // The toy embeds CPython 3.11 (no perf support): its stacks are C frames of the toy and libpython.
    const culprit = profiles[1]
    assert.ok(culprit?.stacksGzip)
    const stacks = stacksText(culprit.stacksGzip)
    assert.match(stacks, /_PyEval_EvalFrameDefault \([^)]*libpython3\.\d+\.so[^)]*\)/)
    assert.match(stacks, /main \([^)]*\/bin\/python3\)/)
    assert.equal(culprit.metadata.python_options, '')
    assert.ok(pair?.summary && pair.summary.rows.length > 0)
    process.stderr.write(`culprit profile with perf: ${differentialHeadline(pair.summary)}\n`)
  })
})
