import assert from 'node:assert/strict'
import { test } from 'node:test'
import { exampleRunWithResults, openSqliteStore } from '../store/index.ts'
import { checkSilentMachines, type SilenceFacts, silenceVerdict } from './silence.ts'

// A machine is silent when no result arrived from it for the period while it had work, or while
// its agent was not seen either; the alert is raised once and cleared when a result arrives.

const H = 3_600_000
const NOW = Date.parse('2024-10-03T00:00:00Z')
const agent = (over: Partial<SilenceFacts['agent']> = {}): SilenceFacts['agent'] => ({
  machine: 'bench-1',
  state: 'idle',
  registeredAt: '2024-09-01T00:00:00Z',
  lastSeenAt: '2024-10-02T23:59:00Z',
  lastResultAt: '2024-10-01T00:00:00Z',
  ...over,
})
const verdict = (facts: Partial<SilenceFacts>) =>
  silenceVerdict(
    { agent: agent(), pendingJobs: 0, open: undefined, ...facts },
    { nowMs: NOW, silentAfterMs: 36 * H },
  )

test('silenceVerdict() raises after the period when the machine had work or its agent was not seen', () => {
  // 48 h without a result, 2 jobs waiting: silent, counted from the last result.
  assert.deepEqual(verdict({ pendingJobs: 2 }), {
    kind: 'raise',
    since: '2024-10-01T00:00:00Z',
    detail: {
      silentHours: 48,
      lastResultAt: '2024-10-01T00:00:00Z',
      pendingJobs: 2,
      lastSeenAt: '2024-10-02T23:59:00Z',
      agentState: 'idle',
    },
  })
  // Nothing to do and the agent polls: a quiet branch, not an alarm.
  assert.deepEqual(verdict({ pendingJobs: 0 }), { kind: 'none' })
  // Nothing queued, but the agent itself is gone as long.
  assert.equal(verdict({ agent: agent({ lastSeenAt: '2024-10-01T00:00:00Z' }) }).kind, 'raise')
  // Within the period: nothing.
  assert.deepEqual(verdict({ pendingJobs: 2, agent: agent({ lastResultAt: '2024-10-02T00:00:00Z' }) }), {
    kind: 'none',
  })
  // Never a result: counted from the registration.
  const never = verdict({
    pendingJobs: 1,
    agent: agent({ lastResultAt: null, registeredAt: '2024-10-01T06:00:00Z' }),
  })
  assert.equal(never.kind === 'raise' && never.since, '2024-10-01T06:00:00Z')
})

test('silenceVerdict() clears an open alert once a result arrived after the time it counts from', () => {
  const open = {
    id: 1,
    machine: 'bench-1',
    kind: 'silent' as const,
    since: '2024-10-01T00:00:00Z',
    raisedAt: '2024-10-02T12:00:00Z',
    clearedAt: null,
    clearedBy: null,
    detail: {},
  }
  assert.deepEqual(verdict({ open, pendingJobs: 5 }), { kind: 'none' })
  assert.deepEqual(verdict({ open, agent: agent({ lastResultAt: '2024-10-02T20:00:00Z' }) }), {
    kind: 'clear',
    reason: 'a result arrived at 2024-10-02T20:00:00Z',
  })
})

test('checkSilentMachines() raises one alert per silent machine, once, and clears it when results arrive', async () => {
  const store = await openSqliteStore(':memory:')
  try {
    for (const machine of ['bench-1', 'bench-2'])
      await store.registerAgent({ machine, tokenId: 1, info: {}, at: '2024-09-30T00:00:00Z' })
    await store.insertRunOnce(
      'upload:1',
      exampleRunWithResults({ machine: 'bench-2', startedAt: '2024-10-02T10:00:00Z' }),
      '2024-10-02T10:00:00Z',
    )
    let now = new Date('2024-10-03T00:00:00Z')
    const check = () =>
      checkSilentMachines(store, {
        now: () => now,
        silentAfterMs: 36 * H,
        pendingJobs: async (m) => (m === 'bench-1' ? 3 : 1),
      })
    const first = await check()
    assert.deepEqual(
      first.raised.map((a) => [a.machine, a.since, a.detail.pendingJobs]),
      [['bench-1', '2024-09-30T00:00:00Z', 3]],
    )
    assert.deepEqual((await check()).raised, [], 'raised once')
    await store.insertRunOnce(
      'upload:2',
      exampleRunWithResults({ machine: 'bench-1', startedAt: '2024-10-03T01:00:00Z' }),
      '2024-10-03T01:00:00Z',
    )
    now = new Date('2024-10-03T02:00:00Z')
    const after = await check()
    assert.deepEqual(
      after.cleared.map((a) => [a.machine, a.clearedBy]),
      [['bench-1', 'a result arrived at 2024-10-03T01:00:00Z']],
    )
    assert.deepEqual(await store.listMachineAlerts({ open: true }), [])
  } finally {
    await store.close()
  }
})
