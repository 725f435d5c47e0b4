import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { gunzipSync, gzipSync } from 'node:zlib'
import { type OpenStore, registerPart, rejectsWith, type WithStore } from './contract-helpers.ts'
import { exampleBuild, exampleEnvironment, exampleRunSpec } from './fixtures.ts'
import { MAX_PROFILE_STACKS_BYTES, type NewProfile } from './profile-types.ts'

// Contract of profiles (part of storeContract): a profile is stored with its machine, build and
// workload, its stacks come back byte for byte, an unavailable one carries its reason, listings
// filter and page without the stacks, and bad input is refused at the edge.

/** Registers the profiles part of the Store contract (ProfileStore). */
export function profilesContract(name: string, open: OpenStore): void {
  registerPart({ name, open, title: 'profiles' }, [profiles])
}

const STACKS = '<module> (h.py:1);main (h.py:3);burn (h.py:9) 40\n<module> (h.py:1);main (h.py:3) 2\n'

/** A profiled profile of `nbody` on the example build, overridable. */
function profiled(overrides: Partial<NewProfile> = {}): NewProfile {
  return {
    machine: 'bench-1',
    environment: exampleEnvironment(),
    build: exampleBuild(),
    workload: { name: 'nbody', version: 'v1hash000000' },
    runId: null,
    groupId: 'g-1',
    tool: 'py-spy',
    toolVersion: '0.4.2',
    rateHz: 250,
    processes: 2,
    state: 'profiled',
    message: null,
    sampleCount: 42,
    stacksGzip: gzipSync(STACKS),
    metadata: { loops: 64, values: [10, 10], ratio: 1 / 3 },
    createdAt: '2024-10-01T10:00:00Z',
    ...overrides,
  }
}

/** The same, unavailable (PyPy: py-spy cannot read it). */
function unavailable(overrides: Partial<NewProfile> = {}): NewProfile {
  return profiled({
    build: exampleBuild('b'.repeat(40), { runtime: 'pypy', version: '3.9.18', identity: 'local:pypy' }),
    state: 'unavailable',
    message: 'py-spy: Failed to find python version from target process',
    sampleCount: 0,
    stacksGzip: null,
    processes: 1,
    createdAt: '2024-10-01T10:01:00Z',
    ...overrides,
  })
}

function profiles(withStore: WithStore): void {
  describe('profiles', () => {
    test('addProfile() stores a profile that getProfile() returns with its stacks byte for byte', () =>
      withStore(async (store) => {
        const input = profiled()
        const { profileId } = await store.addProfile(input)
        const got = await store.getProfile(profileId)
        assert.ok(got !== undefined)
        assert.equal(gunzipSync(got.stacksGzip ?? new Uint8Array()).toString('utf8'), STACKS)
        assert.deepEqual(Buffer.from(got.stacksGzip ?? []), Buffer.from(input.stacksGzip ?? []))
        const { stacksGzip: _, environment: __, build, ...rest } = input
        const { stacksGzip: ___, build: gotBuild, id, stacksBytes, ...gotRest } = got
        assert.deepEqual(gotRest, rest)
        assert.equal(id, profileId)
        assert.equal(stacksBytes, input.stacksGzip?.length)
        assert.equal(gotBuild.identity, build.identity)
        assert.equal(gotBuild.version, build.version)
        // The machine, build and workload are there as a run would have left them.
        assert.equal((await store.getMachine('bench-1'))?.fingerprint?.hostname, 'bench-1')
        assert.deepEqual(
          (await store.listWorkloads({ name: 'nbody' })).map((w) => w.version),
          ['v1hash000000'],
        )
        assert.equal(await store.getProfile(profileId + 100), undefined)
      }))

    test('an unavailable profile keeps its reason and no stacks; listProfiles() filters and pages, newest first', () =>
      withStore(async (store) => {
        const a = (await store.addProfile(profiled())).profileId
        const b = (await store.addProfile(unavailable())).profileId
        const c = (
          await store.addProfile(profiled({ groupId: 'g-2', workload: { name: 'fannkuch', version: 'v2' } }))
        ).profileId
        const none = await store.getProfile(b)
        assert.equal(none?.state, 'unavailable')
        assert.match(none?.message ?? '', /Failed to find python version/)
        assert.equal(none?.stacksGzip, null)
        assert.equal(none?.stacksBytes, 0)
        assert.equal(none?.build.runtime, 'pypy')
        const all = await store.listProfiles()
        assert.equal(all.total, 3)
        // Newest first: b (10:01), then c and a (10:00) by id.
        assert.deepEqual(
          all.rows.map((r) => r.id),
          [b, c, a],
        )
        assert.ok(all.rows.every((r) => !('stacksGzip' in r)))
        assert.deepEqual(
          (await store.listProfiles({ groupId: 'g-1' })).rows.map((r) => r.id),
          [b, a],
        )
        assert.deepEqual(
          (await store.listProfiles({ workload: 'nbody', state: 'profiled' })).rows.map((r) => r.id),
          [a],
        )
        const page = await store.listProfiles({ limit: 1, offset: 1 })
        assert.deepEqual([page.total, page.rows.map((r) => r.id)], [3, [c]])
        const buildId = none?.build.id ?? 0
        assert.deepEqual(
          (await store.listProfiles({ buildId })).rows.map((r) => r.id),
          [b],
        )
      }))

    test('a profile taken for a run names a run of its machine and build', () =>
      withStore(async (store) => {
        const { runId } = await store.beginRun(exampleRunSpec())
        const { profileId } = await store.addProfile(profiled({ runId }))
        assert.equal((await store.getProfile(profileId))?.runId, runId)
        assert.deepEqual(
          (await store.listProfiles({ runId })).rows.map((r) => r.id),
          [profileId],
        )
        await rejectsWith(store.addProfile(profiled({ runId: runId + 100 })), 'not-found', /no run/)
        await rejectsWith(
          store.addProfile(profiled({ runId, machine: 'bench-2' })),
          'conflict',
          /another machine/,
        )
      }))

    test('addProfile() refuses bad input at the edge, stacks over the cap as too-large', () =>
      withStore(async (store) => {
        await rejectsWith(store.addProfile(profiled({ machine: '' })), 'bad-input', /machine/)
        await rejectsWith(store.addProfile(profiled({ rateHz: 0 })), 'bad-input', /rateHz/)
        await rejectsWith(store.addProfile(profiled({ sampleCount: -1 })), 'bad-input', /sampleCount/)
        await rejectsWith(
          store.addProfile(profiled({ state: 'lost' as 'failed' })),
          'bad-input',
          /state to be one of profiled, unavailable, failed/,
        )
        await rejectsWith(
          store.addProfile(profiled({ stacksGzip: Buffer.from(STACKS) })),
          'bad-input',
          /gzip data/,
        )
        await rejectsWith(store.addProfile(profiled({ stacksGzip: null })), 'bad-input', /stacksGzip/)
        await rejectsWith(store.addProfile(profiled({ message: 'why' })), 'bad-input', /no message/)
        await rejectsWith(store.addProfile(unavailable({ message: null })), 'bad-input', /message/)
        await rejectsWith(
          store.addProfile(unavailable({ stacksGzip: gzipSync(STACKS) })),
          'bad-input',
          /no stacks/,
        )
        await rejectsWith(store.addProfile(profiled({ createdAt: 'now' })), 'bad-input', /createdAt/)
        const huge = new Uint8Array(MAX_PROFILE_STACKS_BYTES + 1)
        huge[0] = 0x1f
        huge[1] = 0x8b
        await rejectsWith(
          store.addProfile(profiled({ stacksGzip: huge })),
          'too-large',
          /at most 16777216 bytes/,
        )
        assert.equal((await store.listProfiles()).total, 0)
        assert.deepEqual(await store.listMachines(), [])
      }))
  })
}
