import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { JsonObject } from '../lib/index.ts'
import { type OpenStore, registerPart, rejectsWith, type WithStore } from './contract-helpers.ts'
import { exampleBuild, exampleResult, exampleRunSpec, exampleRunWithResults } from './fixtures.ts'
import type { Store } from './roles.ts'

// Contract of runtimes, builds and workloads (part of storeContract): builds upserted by identity
// and filled but never overwritten, workload versions and their manifests, build filters and
// pages, runtime counts, and a build moved to another line of development.

/** Registers the runtimes, builds and workloads part of the Store contract (BuildCatalog). */
export function buildsContract(name: string, open: OpenStore): void {
  registerPart({ name, open, title: 'builds' }, [buildUpserts, buildListing, buildPages, buildLineage])
}

/** Builds and workload versions upserted as runs are stored. */
function buildUpserts(withStore: WithStore): void {
  describe('upserts', () => {
    test('runs of the same build identity share one build row', () =>
      withStore(async (store) => {
        const a = await store.beginRun(exampleRunSpec({ startedAt: '2024-10-01T10:00:00Z' }))
        const b = await store.beginRun(
          exampleRunSpec({ startedAt: '2024-10-02T10:00:00Z', machine: 'bench-2' }),
        )
        const [ra, rb] = [await store.getRun(a.runId), await store.getRun(b.runId)]
        assert.equal(ra?.build.id, rb?.build.id)
        assert.equal((await store.findBuilds()).length, 1)
      }))

    test('a build stored without commit facts gets them from a later run, never overwriting', () =>
      withStore(async (store) => {
        const bare = exampleBuild('0123abcd', {
          commitDateUtc: null,
          branch: null,
          commitSha: null,
          interpreter: null,
          identity: 'local:py313',
        })
        await store.beginRun(exampleRunSpec({ build: bare }))
        await store.beginRun(
          exampleRunSpec({
            build: { ...bare, commitSha: '0123abcd', commitDateUtc: '2024-09-30T00:00:00Z' },
          }),
        )
        await store.beginRun(exampleRunSpec({ build: { ...bare, commitDateUtc: '2030-01-01T00:00:00Z' } }))
        const [build] = await store.findBuilds({ identity: 'local:py313' })
        assert.equal(build?.commitSha, '0123abcd')
        assert.equal(build?.commitDateUtc, '2024-09-30T00:00:00Z')
        assert.equal(build?.branch, null)
      }))

    test('workload versions are upserted, and a manifest given later fills an empty one', () =>
      withStore(async (store) => {
        await store.insertRuns([exampleRunWithResults({}, { workloads: ['nbody'] })])
        const { runId } = await store.beginRun(exampleRunSpec())
        const manifest = { name: 'nbody', description: 'N-body', tags: ['numeric'] }
        await store.addResult(runId, exampleResult('nbody'), { manifest })
        await store.addResult(runId, exampleResult('nbody', { version: 'v2hash000000' }))
        assert.deepEqual(
          (await store.listWorkloads()).map((w) => [w.name, w.version, w.manifest]),
          [
            ['nbody', 'v1hash000000', manifest],
            ['nbody', 'v2hash000000', null],
          ],
        )
        assert.equal((await store.listWorkloads({ name: 'other' })).length, 0)
      }))
  })
}

/** findBuilds() and its filters. */
function buildListing(withStore: WithStore): void {
  describe('listing and filtering', () => {
    test('findBuilds() filters by runtime, version, config and commit prefix, newest commit first', () =>
      withStore(async (store) => {
        const builds = [
          exampleBuild('aaa111', { commitDateUtc: '2024-01-02T00:00:00Z' }),
          exampleBuild('aab222', {
            commitDateUtc: '2024-03-01T00:00:00Z',
            config: 'jit',
            identity: 'jit:aab222',
          }),
          exampleBuild('bbb333', { commitDateUtc: null, version: '3.13.0', identity: 'x:bbb333' }),
          exampleBuild('AAC444', { commitDateUtc: '2024-02-01T00:00:00Z' }),
        ]
        for (const build of builds) await store.beginRun(exampleRunSpec({ build }))
        const shas = async (q: Parameters<Store['findBuilds']>[0]) =>
          (await store.findBuilds(q)).map((b) => b.commitSha)
        assert.deepEqual(await shas({}), ['aab222', 'AAC444', 'aaa111', 'bbb333'])
        assert.deepEqual(await shas({ commitPrefix: 'aa' }), ['aab222', 'aaa111'])
        assert.deepEqual(await shas({ commitPrefix: 'aaa111' }), ['aaa111'])
        assert.deepEqual(await shas({ config: 'jit' }), ['aab222'])
        assert.deepEqual(await shas({ version: '3.13.0' }), ['bbb333'])
        assert.deepEqual(await shas({ runtime: 'pypy' }), [])
        assert.deepEqual(await shas({ limit: 1 }), ['aab222'])
        const [found] = await store.findBuilds({ identity: 'jit:aab222' })
        assert.deepEqual(found && { ...found, id: 0 }, { ...builds[1]!, id: 0 })
      }))
  })
}

/** Pages of builds and the runtime families with their counts. */
function buildPages(withStore: WithStore): void {
  describe('runtimes and build pages', () => {
    test('listBuilds() pages builds newest commit first and counts every match', () =>
      withStore(async (store) => {
        for (const day of ['01', '03', '02']) {
          const build = exampleBuild(`sha${day}`, {
            commitDateUtc: `2024-01-${day}T00:00:00Z`,
            identity: `b:${day}`,
          })
          await store.beginRun(exampleRunSpec({ build }))
        }
        const first = await store.listBuilds({ limit: 2 })
        assert.equal(first.total, 3)
        assert.deepEqual(
          first.rows.map((b) => b.commitSha),
          ['sha03', 'sha02'],
        )
        const second = await store.listBuilds({ limit: 2, offset: 2 })
        assert.deepEqual(
          second.rows.map((b) => b.commitSha),
          ['sha01'],
        )
        assert.equal((await store.listBuilds({ commitPrefix: 'sha0', limit: 1 })).total, 3)
        await rejectsWith(store.listBuilds({ offset: -1 }), 'bad-input', /offset/)
      }))

    test('listRuntimes() lists each family with its configs, build and run counts', () =>
      withStore(async (store) => {
        const pypy = exampleBuild('p1', { runtime: 'pypy', config: 'default', identity: 'pypy:p1' })
        await store.insertRuns([
          exampleRunWithResults({ startedAt: '2024-10-01T10:00:00Z' }),
          exampleRunWithResults({ startedAt: '2024-10-02T10:00:00Z', machine: 'bench-2' }),
          exampleRunWithResults({ startedAt: '2024-10-03T10:00:00Z', build: pypy }),
        ])
        assert.deepEqual(await store.listRuntimes(), [
          {
            name: 'cpython',
            builds: 1,
            configs: [{ config: 'pgo-lto', builds: 1, runs: 2, lastRunAt: '2024-10-02T10:00:00Z' }],
          },
          {
            name: 'pypy',
            builds: 1,
            configs: [{ config: 'default', builds: 1, runs: 1, lastRunAt: '2024-10-03T10:00:00Z' }],
          },
        ])
      }))
  })
}

/** setBuildLineage(): a build moved to another branch, its series re-keyed. */
function buildLineage(withStore: WithStore): void {
  describe('lineage', () => {
    test('setBuildLineage() sets the branch, merges the metadata and re-keys the series; unknown ids are not-found', () =>
      withStore(async (store) => {
        const [runId] = await store.insertRuns([exampleRunWithResults({}, { workloads: ['nbody'] })])
        const before = (await store.getRun(runId!))!.build
        const moved = await store.setBuildLineage(before.id, {
          branch: 'feature',
          metadata: { lineage: 'rule', ccache: false },
        })
        assert.deepEqual(moved, {
          ...before,
          branch: 'feature',
          metadata: { ...before.metadata, lineage: 'rule', ccache: false },
        })
        assert.deepEqual(await store.findBuilds({ identity: before.identity }), [moved])
        assert.deepEqual(
          (await store.listSeries()).map((s) => [s.branch, s.workload]),
          [['feature', 'nbody']],
        )
        const local = await store.setBuildLineage(before.id, { branch: null, metadata: {} })
        assert.equal(local.branch, null)
        assert.deepEqual(local.metadata, moved.metadata)
        await rejectsWith(
          store.setBuildLineage(before.id + 100, { branch: 'main', metadata: {} }),
          'not-found',
          /no build/,
        )
        await rejectsWith(
          store.setBuildLineage(before.id, { branch: 'main', metadata: [] as unknown as JsonObject }),
          'bad-input',
          /metadata/,
        )
        assert.equal((await store.getRun(runId!))?.build.branch, null)
      }))
  })
}
