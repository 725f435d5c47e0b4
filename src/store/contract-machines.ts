import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { type OpenStore, registerPart, type WithStore } from './contract-helpers.ts'
import { exampleEnvironment, exampleFingerprint, exampleRunSpec } from './fixtures.ts'

// Contract of machines (part of storeContract): one row per machine name, its current fingerprint
// following its latest run, and the history of every fingerprint it had.

/** Registers the machines part of the Store contract (MachineRegistry). */
export function machinesContract(name: string, open: OpenStore): void {
  registerPart({ name, open, title: 'machines' }, [machineUpserts])
}

/** Machines and fingerprints upserted as runs are stored. */
function machineUpserts(withStore: WithStore): void {
  describe('upserts', () => {
    test('the same machine with a new fingerprint keeps a history of both', () =>
      withStore(async (store) => {
        const fpA = exampleFingerprint()
        const fpB = exampleFingerprint({ kernel: '6.1.0-21-amd64' })
        await store.beginRun(
          exampleRunSpec({ startedAt: '2024-10-01T10:00:00Z', environment: exampleEnvironment(fpA) }),
        )
        await store.beginRun(
          exampleRunSpec({ startedAt: '2024-10-05T10:00:00Z', environment: exampleEnvironment(fpB) }),
        )
        let machine = await store.getMachine('bench-1')
        assert.deepEqual(machine?.fingerprint, fpB)
        assert.deepEqual(
          machine?.fingerprints.map((f) => [f.fingerprint.kernel, f.firstSeenAt, f.lastSeenAt]),
          [
            ['6.1.0-18-amd64', '2024-10-01T10:00:00Z', '2024-10-01T10:00:00Z'],
            ['6.1.0-21-amd64', '2024-10-05T10:00:00Z', '2024-10-05T10:00:00Z'],
          ],
        )
        // An old run imported late widens the spans but does not change the current fingerprint;
        // the same facts in another key order are the same fingerprint.
        const fpAReordered = Object.fromEntries(Object.entries(fpA).reverse()) as typeof fpA
        await store.beginRun(
          exampleRunSpec({
            startedAt: '2024-09-01T10:00:00Z',
            environment: exampleEnvironment(fpAReordered),
          }),
        )
        machine = await store.getMachine('bench-1')
        assert.deepEqual(machine?.fingerprint, fpB)
        assert.equal(machine?.fingerprints.length, 2)
        assert.equal(machine?.firstSeenAt, '2024-09-01T10:00:00Z')
        assert.equal(machine?.lastSeenAt, '2024-10-05T10:00:00Z')
        assert.equal(machine?.fingerprints[0]?.firstSeenAt, '2024-09-01T10:00:00Z')
        assert.equal(await store.getMachine('nowhere'), undefined)
      }))

    test('listMachines() lists every machine once, by name', () =>
      withStore(async (store) => {
        for (const m of ['zed', 'alpha', 'zed', 'mid']) await store.beginRun(exampleRunSpec({ machine: m }))
        const machines = await store.listMachines()
        assert.deepEqual(
          machines.map((m) => m.name),
          ['alpha', 'mid', 'zed'],
        )
        assert.equal(machines[0]?.fingerprintHash?.length, 16)
      }))
  })
}
