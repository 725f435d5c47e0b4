import type { FastifyRequest } from 'fastify'
import type { RouteDefinition } from '../api/index.ts'
import { LangperfError } from '../lib/index.ts'
import type { Store } from '../store/index.ts'
import { hashesEqual, hashTokenSecret, looksLikeTokenSecret } from './tokens.ts'
import './types.ts'

/**
 * Checks the bearer token of a route that needs one and remembers it on the request, so that
 * handlers know who writes and the token's use can be recorded. Throws `unauthorized` (401) for
 * a missing, malformed, unknown or revoked token and `forbidden` (403) for a role too low.
 */
export async function authenticate(
  store: Store,
  request: FastifyRequest,
  def: RouteDefinition,
): Promise<void> {
  if (def.auth === 'public') return
  const header = request.headers.authorization
  const hint = 'create one with `langperf token create`'
  if (header === undefined || header === '') {
    throw new LangperfError(
      'unauthorized',
      `Cannot ${def.action}: expected an Authorization header with a bearer token (${hint}), found none`,
    )
  }
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header)
  if (match === null) {
    throw new LangperfError(
      'unauthorized',
      `Cannot ${def.action}: expected "Authorization: Bearer <token>", found another scheme`,
    )
  }
  const secret = match[1] ?? ''
  const invalid = new LangperfError(
    'unauthorized',
    `Cannot ${def.action}: the bearer token is not valid (unknown or mistyped; ${hint})`,
  )
  if (!looksLikeTokenSecret(secret)) throw invalid
  const hash = hashTokenSecret(secret)
  const token = await store.findTokenByHash(hash)
  if (token === undefined || !hashesEqual(token.hash, hash)) throw invalid
  if (token.revokedAt !== null) {
    throw new LangperfError(
      'unauthorized',
      `Cannot ${def.action}: token ${token.id} (${JSON.stringify(token.name)}) was revoked at ${token.revokedAt}`,
    )
  }
  if (def.auth === 'admin' && token.role !== 'admin') {
    throw new LangperfError(
      'forbidden',
      `Cannot ${def.action}: expected a token with role admin, found token ${token.id} with role ${token.role}`,
    )
  }
  request.langperfToken = token
}
