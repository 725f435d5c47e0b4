import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { type OpenStore, registerPart, rejectsWith, type WithStore } from './contract-helpers.ts'

// Contract of API tokens (part of storeContract): the store keeps a token's hash, never lists it,
// refuses a duplicate, and revokes a token once.

/** Registers the API-token part of the Store contract (TokenStore). */
export function tokensContract(name: string, open: OpenStore): void {
  registerPart({ name, open, title: 'tokens' }, [apiTokens])
}

/** Creating, finding, listing, touching and revoking tokens. */
function apiTokens(withStore: WithStore): void {
  describe('API tokens', () => {
    const hashA = 'a'.repeat(64)
    const hashB = 'b'.repeat(64)

    test('createToken() stores a token and findTokenByHash() finds it with its hash; listTokens() never shows it', () =>
      withStore(async (store) => {
        const created = await store.createToken({
          name: 'ci on bench-1',
          role: 'agent',
          scopes: ['bench-1', 'bench-1'],
          hash: hashA,
          createdAt: '2024-10-01T10:00:00Z',
        })
        assert.deepEqual(created, {
          id: created.id,
          name: 'ci on bench-1',
          role: 'agent',
          scopes: ['bench-1'],
          createdAt: '2024-10-01T10:00:00Z',
          lastUsedAt: null,
          revokedAt: null,
        })
        assert.deepEqual(await store.findTokenByHash(hashA), { ...created, hash: hashA })
        assert.equal(await store.findTokenByHash(hashB), undefined)
        const listed = await store.listTokens()
        assert.deepEqual(listed, [created])
        assert.ok(!JSON.stringify(listed).includes(hashA))
      }))

    test('createToken() refuses a bad role, a hash that is not SHA-256 hex and a duplicate hash', () =>
      withStore(async (store) => {
        const ok = {
          name: 'x',
          role: 'admin' as const,
          scopes: [],
          hash: hashA,
          createdAt: '2024-10-01T10:00:00Z',
        }
        await rejectsWith(store.createToken({ ...ok, role: 'root' as 'admin' }), 'bad-input', /role/)
        await rejectsWith(store.createToken({ ...ok, hash: 'lp_secret' }), 'bad-input', /hash/)
        await rejectsWith(store.createToken({ ...ok, name: '' }), 'bad-input', /name/)
        await store.createToken(ok)
        await rejectsWith(store.createToken({ ...ok, name: 'y' }), 'conflict', /same secret/)
        assert.equal((await store.listTokens()).length, 1)
      }))

    test('revokeToken() sets revokedAt once, touchToken() records the last use, unknown ids are not-found', () =>
      withStore(async (store) => {
        const t = await store.createToken({
          name: 'ops',
          role: 'admin',
          scopes: [],
          hash: hashB,
          createdAt: '2024-10-01T10:00:00Z',
        })
        await store.touchToken(t.id, '2024-10-02T10:00:00Z')
        assert.equal((await store.findTokenByHash(hashB))?.lastUsedAt, '2024-10-02T10:00:00Z')
        const revoked = await store.revokeToken(t.id, '2024-10-03T10:00:00Z')
        assert.equal(revoked.revokedAt, '2024-10-03T10:00:00Z')
        const again = await store.revokeToken(t.id, '2024-10-04T10:00:00Z')
        assert.equal(again.revokedAt, '2024-10-03T10:00:00Z')
        assert.equal((await store.findTokenByHash(hashB))?.revokedAt, '2024-10-03T10:00:00Z')
        await rejectsWith(store.revokeToken(t.id + 100, '2024-10-03T10:00:00Z'), 'not-found', /no token/)
        await rejectsWith(store.revokeToken(t.id, 'yesterday'), 'bad-input', /revokedAt/)
      }))
  })
}
