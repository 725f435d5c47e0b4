import { LangperfError, quote } from '../lib/index.ts'
import { type Db, json, num } from './rows.ts'
import { type NewToken, TOKEN_ROLES, type TokenRecord, type TokenRole, type TokenRow } from './types.ts'
import { checkId, checkIsoUtc, checkName } from './validate.ts'

// API tokens (TokenStore). The store keeps only the SHA-256 of a secret, never the secret, and
// lists tokens without even that hash.

/** A token as listed, from its row. */
function toTokenRow(r: {
  id: number | string
  name: string
  role: string
  scopes: string
  created_at: string
  last_used_at: string | null
  revoked_at: string | null
}): TokenRow {
  return {
    id: num(r.id),
    name: r.name,
    role: r.role as TokenRole,
    scopes: json<string[]>(r.scopes),
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    revokedAt: r.revoked_at,
  }
}

/** Validates and stores a new token; a second token with the same hash is a conflict. */
export async function createToken(db: Db, token: NewToken): Promise<TokenRow> {
  const what = `create token ${quote(token?.name)}`
  checkName(token.name, 'name', what)
  if (!(TOKEN_ROLES as readonly unknown[]).includes(token.role)) {
    throw new LangperfError(
      'bad-input',
      `Cannot ${what}: expected role to be one of ${TOKEN_ROLES.join(', ')}, found ${quote(token.role)}`,
    )
  }
  if (!Array.isArray(token.scopes)) {
    throw new LangperfError('bad-input', `Cannot ${what}: expected scopes to be an array of machine names`)
  }
  for (const scope of token.scopes) checkName(scope, 'scope', what)
  if (typeof token.hash !== 'string' || !/^[0-9a-f]{64}$/.test(token.hash)) {
    throw new LangperfError(
      'bad-input',
      `Cannot ${what}: expected hash to be 64 lower-case hex characters (SHA-256), found ${quote(token.hash, 20)}`,
    )
  }
  checkIsoUtc(token.createdAt, 'createdAt', what)
  return db.transaction().execute(async (trx) => {
    const dup = await trx
      .selectFrom('api_tokens')
      .select('id')
      .where('hash', '=', token.hash)
      .executeTakeFirst()
    if (dup !== undefined) {
      throw new LangperfError(
        'conflict',
        `Cannot ${what}: a token with the same secret exists (id ${num(dup.id)})`,
      )
    }
    const row = await trx
      .insertInto('api_tokens')
      .values({
        name: token.name,
        role: token.role,
        scopes: JSON.stringify([...new Set(token.scopes)]),
        hash: token.hash,
        created_at: token.createdAt,
        last_used_at: null,
        revoked_at: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow()
    return toTokenRow(row)
  })
}

/** The token whose secret hashes to `hash`, with that hash, or undefined. */
export async function findTokenByHash(db: Db, hash: string): Promise<TokenRecord | undefined> {
  if (typeof hash !== 'string' || hash === '') return undefined
  const row = await db.selectFrom('api_tokens').selectAll().where('hash', '=', hash).executeTakeFirst()
  return row === undefined ? undefined : { ...toTokenRow(row), hash: row.hash }
}

/** Every token, revoked ones included, by id. */
export async function listTokens(db: Db): Promise<TokenRow[]> {
  const rows = await db.selectFrom('api_tokens').selectAll().orderBy('id').execute()
  return rows.map(toTokenRow)
}

/** Revokes a token at `revokedAt`; a token already revoked keeps its first time. */
export async function revokeToken(db: Db, id: number, revokedAt: string): Promise<TokenRow> {
  const what = `revoke token ${quote(id)}`
  checkId(id, 'id', what)
  checkIsoUtc(revokedAt, 'revokedAt', what)
  return db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst()
    if (row === undefined) throw new LangperfError('not-found', `Cannot ${what}: no token has id ${id}`)
    if (row.revoked_at !== null) return toTokenRow(row)
    const updated = await trx
      .updateTable('api_tokens')
      .set({ revoked_at: revokedAt })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow()
    return toTokenRow(updated)
  })
}

/** Records that a token was used at `usedAt`. */
export async function touchToken(db: Db, id: number, usedAt: string): Promise<void> {
  const what = `record use of token ${quote(id)}`
  checkId(id, 'id', what)
  checkIsoUtc(usedAt, 'usedAt', what)
  await db.updateTable('api_tokens').set({ last_used_at: usedAt }).where('id', '=', id).execute()
}
