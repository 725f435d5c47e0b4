import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { type OpenStore, registerPart, rejectsWith, type WithStore } from './contract-helpers.ts'
import { exampleRunWithResults } from './fixtures.ts'

// Contract of the farm's ledger (part of storeContract): one agent per machine, its state and
// counts, and a job's result stored once however often the job is completed.

/** Registers the farm part of the Store contract (FarmLedger). */
export function farmContract(name: string, open: OpenStore): void {
  registerPart({ name, open, title: 'farm' }, [agents, runOnce, machineAlerts])
}

function agents(withStore: WithStore): void {
  describe('agents', () => {
    test('registerAgent() keeps one agent per machine; touchAgent() records its state and finished jobs', () =>
      withStore(async (store) => {
        const first = await store.registerAgent({
          machine: 'bench-1',
          tokenId: 3,
          info: { hostname: 'h1' },
          at: '2024-10-01T10:00:00Z',
        })
        assert.deepEqual(first, {
          machine: 'bench-1',
          tokenId: 3,
          state: 'idle',
          registeredAt: '2024-10-01T10:00:00Z',
          lastSeenAt: '2024-10-01T10:00:00Z',
          info: { hostname: 'h1' },
          jobsDone: 0,
          jobsFailed: 0,
          lastResultAt: null,
        })
        await store.touchAgent('bench-1', { state: 'measuring', at: '2024-10-01T10:01:00Z' })
        await store.touchAgent('bench-1', { state: 'idle', at: '2024-10-01T10:02:00Z', finished: 'done' })
        await store.touchAgent('bench-1', { state: 'idle', at: '2024-10-01T10:03:00Z', finished: 'failed' })
        await store.registerAgent({ machine: 'bench-1', tokenId: 4, info: {}, at: '2024-10-01T11:00:00Z' })
        await store.registerAgent({ machine: 'bench-2', tokenId: 5, info: {}, at: '2024-10-01T11:00:00Z' })
        const listed = await store.listAgents()
        assert.deepEqual(
          listed.map((a) => [a.machine, a.tokenId, a.state, a.lastSeenAt, a.jobsDone, a.jobsFailed]),
          [
            ['bench-1', 4, 'idle', '2024-10-01T11:00:00Z', 1, 1],
            ['bench-2', 5, 'idle', '2024-10-01T11:00:00Z', 0, 0],
          ],
        )
      }))

    test("listAgents() says when each machine's newest result arrived: stored by job key, else the newest run's start", () =>
      withStore(async (store) => {
        const at = '2024-10-01T10:00:00Z'
        for (const machine of ['bench-1', 'bench-2', 'bench-3'])
          await store.registerAgent({ machine, tokenId: 1, info: {}, at })
        // A run measured long ago, uploaded (stored by key) later: it arrived when it was stored.
        const old = exampleRunWithResults({ machine: 'bench-1', startedAt: '2024-09-01T00:00:00Z' })
        await store.insertRunOnce('upload:a', old, '2024-10-02T08:00:00Z')
        await store.insertRuns([
          exampleRunWithResults({ machine: 'bench-2', startedAt: '2024-10-03T09:30:00Z' }),
        ])
        await store.insertRuns([
          exampleRunWithResults({ machine: 'elsewhere', startedAt: '2024-10-04T00:00:00Z' }),
        ])
        assert.deepEqual(
          (await store.listAgents()).map((a) => [a.machine, a.lastResultAt]),
          [
            ['bench-1', '2024-10-02T08:00:00Z'],
            ['bench-2', '2024-10-03T09:30:00Z'],
            ['bench-3', null],
          ],
        )
      }))

    test('touchAgent() refuses an unregistered machine and an unknown state', () =>
      withStore(async (store) => {
        await rejectsWith(
          store.touchAgent('nowhere', { state: 'idle', at: '2024-10-01T10:00:00Z' }),
          'not-found',
          /no agent/,
        )
        await store.registerAgent({ machine: 'bench-1', tokenId: 1, info: {}, at: '2024-10-01T10:00:00Z' })
        await rejectsWith(
          store.touchAgent('bench-1', { state: 'dancing' as 'idle', at: '2024-10-01T10:00:00Z' }),
          'bad-input',
          /expected state/,
        )
      }))
  })
}

function runOnce(withStore: WithStore): void {
  describe('insertRunOnce()', () => {
    test('stores the run of a job key once, however often and concurrently it is called', () =>
      withStore(async (store) => {
        const run = exampleRunWithResults()
        const at = '2024-10-01T10:00:00Z'
        const first = await store.insertRunOnce('cpython|abc|default|bench-1|default|measure', run, at)
        assert.equal(first.stored, true)
        const again = await Promise.all(
          Array.from({ length: 4 }, () =>
            store.insertRunOnce('cpython|abc|default|bench-1|default|measure', run, at),
          ),
        )
        assert.deepEqual(
          again.map((r) => r),
          again.map(() => ({ runId: first.runId, stored: false })),
        )
        const other = await store.insertRunOnce('cpython|def|default|bench-1|default|measure', run, at)
        assert.equal(other.stored, true)
        assert.notEqual(other.runId, first.runId)
        assert.equal((await store.listRuns()).total, 2)
      }))

    test('racing first calls of one key store one run', () =>
      withStore(async (store) => {
        const run = exampleRunWithResults()
        const outcomes = await Promise.all(
          Array.from({ length: 4 }, () => store.insertRunOnce('k|race', run, '2024-10-01T10:00:00Z')),
        )
        assert.equal(new Set(outcomes.map((o) => o.runId)).size, 1)
        assert.equal(outcomes.filter((o) => o.stored).length, 1)
        assert.equal((await store.listRuns()).total, 1)
      }))

    test('a bad run stores nothing and leaves the key free', () =>
      withStore(async (store) => {
        const bad = { ...exampleRunWithResults(), status: 'running' as 'complete' }
        await assert.rejects(store.insertRunOnce('k|bad', bad, '2024-10-01T10:00:00Z'))
        assert.equal((await store.listRuns()).total, 0)
        const good = await store.insertRunOnce('k|bad', exampleRunWithResults(), '2024-10-01T10:00:00Z')
        assert.equal(good.stored, true)
        await rejectsWith(
          store.insertRunOnce('', exampleRunWithResults(), '2024-10-01T10:00:00Z'),
          'bad-input',
          /job key/,
        )
      }))
  })
}

function machineAlerts(withStore: WithStore): void {
  describe('machine alerts', () => {
    const silent = (machine: string, at: string) =>
      ({ machine, kind: 'silent', since: '2024-10-01T00:00:00Z', at, detail: { hours: 40 } }) as const

    test('raiseMachineAlert() keeps one open alert per machine and kind, however often and concurrently raised', () =>
      withStore(async (store) => {
        const outcomes = await Promise.all(
          Array.from({ length: 4 }, () => store.raiseMachineAlert(silent('bench-1', '2024-10-02T16:00:00Z'))),
        )
        assert.equal(outcomes.filter((o) => o.raised).length, 1)
        assert.equal(new Set(outcomes.map((o) => o.alert.id)).size, 1)
        assert.deepEqual(outcomes[0]?.alert, {
          id: outcomes[0]?.alert.id,
          machine: 'bench-1',
          kind: 'silent',
          since: '2024-10-01T00:00:00Z',
          raisedAt: '2024-10-02T16:00:00Z',
          clearedAt: null,
          clearedBy: null,
          detail: { hours: 40 },
        })
        const other = await store.raiseMachineAlert(silent('bench-2', '2024-10-02T17:00:00Z'))
        assert.equal(other.raised, true)
        assert.deepEqual(
          (await store.listMachineAlerts({ open: true })).map((a) => a.machine),
          ['bench-2', 'bench-1'],
        )
      }))

    test('clearMachineAlerts() closes the open alert with its reason; the next silence is a new alert', () =>
      withStore(async (store) => {
        const first = await store.raiseMachineAlert(silent('bench-1', '2024-10-02T16:00:00Z'))
        const cleared = await store.clearMachineAlerts('bench-1', {
          at: '2024-10-02T18:00:00Z',
          reason: 'run 7 arrived',
        })
        assert.deepEqual(
          cleared.map((a) => [a.id, a.clearedAt, a.clearedBy]),
          [[first.alert.id, '2024-10-02T18:00:00Z', 'run 7 arrived']],
        )
        assert.deepEqual(
          await store.clearMachineAlerts('bench-1', { at: '2024-10-02T19:00:00Z', reason: 'again' }),
          [],
        )
        const second = await store.raiseMachineAlert(silent('bench-1', '2024-10-05T00:00:00Z'))
        assert.equal(second.raised, true)
        assert.notEqual(second.alert.id, first.alert.id)
        assert.deepEqual(
          (await store.listMachineAlerts({ machine: 'bench-1' })).map((a) => [a.id, a.clearedAt === null]),
          [
            [second.alert.id, true],
            [first.alert.id, false],
          ],
        )
        assert.deepEqual(
          (await store.listMachineAlerts({ open: false })).map((a) => a.id),
          [first.alert.id],
        )
      }))

    test('raiseMachineAlert() refuses an unknown kind and a bad time', () =>
      withStore(async (store) => {
        await rejectsWith(
          store.raiseMachineAlert({
            ...silent('bench-1', '2024-10-02T16:00:00Z'),
            kind: 'grumpy' as 'silent',
          }),
          'bad-input',
          /expected kind/,
        )
        await rejectsWith(store.raiseMachineAlert(silent('bench-1', 'yesterday')), 'bad-input', /at/)
      }))
  })
}
